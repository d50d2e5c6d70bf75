/* Writes the seed inputs of fuzz/corpus/gguf: the test suite's base GGUF
 * files (tests/gguf_build.h) and one of each kind of its hostile cases.
 *   cc -Itests fuzz/seeds/gguf.c -o /tmp/gguf_seeds && /tmp/gguf_seeds fuzz/corpus/gguf */
#include "gguf_build.h"

static void put(const char *dir, const char *name, const gb *b)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(b->p, 1, b->n, f);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    gb_opts o = gb_defaults();
    gb b = {0};
    gb_build(&b, &o), put(dir, "seed_mixed.gguf", &b), gb_free(&b);
    o.llama = true;
    gb_build(&b, &o), put(dir, "seed_llama_f16.gguf", &b), gb_free(&b);
    o.alignment = 64;
    o.blocks = 1;
    gb_build(&b, &o), put(dir, "seed_llama_align64.gguf", &b), gb_free(&b);
    static const int cases[] = {1, 50, 120, 301, 345, 372, 373, 374};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char desc[160], name[64];
        gb_case(cases[i], &b, desc, sizeof desc);
        snprintf(name, sizeof name, "seed_case%d.gguf", cases[i]);
        put(dir, name, &b);
        gb_free(&b);
    }
    return 0;
}
