/* ggml's verdict on each hostile GGUF case of tests/gguf_build.h, for
 * tests/data/gguf_reference.tsv.  Built by hand against a ggml checkout
 * (never by CI):
 *
 *   cc -O1 -std=c11 -Itests -I$GGML/include tests/reference/gguf_oracle.c \
 *      -L$GGML/build/src -lggml-base -o /tmp/gguf_oracle
 *   LD_LIBRARY_PATH=$GGML/build/src /tmp/gguf_oracle > tests/data/gguf_reference.tsv
 *
 * Each case is written to a file and loaded the way llama.cpp's tools load a
 * file with its data: gguf_init_from_file with a ggml context and no_alloc
 * false, in a child process (ggml aborts on some inputs; an abort or a signal
 * is recorded as "crash").  Lines: CASE FNV1A64 VERDICT FIRST-ERROR DESCRIPTION. */
#define _GNU_SOURCE
#include "gguf_build.h"

#include "ggml.h"
#include "gguf.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    char path[] = "/tmp/gguf_oracle_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 2;
    close(fd);
    printf("# ggml d99724f2 gguf_init_from_file(no_alloc=false, ctx): case\tfnv1a64\tverdict\tggml's first error\tcase\n");
    for (int i = 0; i < GB_NCASES; i++) {
        gb b = {0};
        char desc[160];
        gb_case(i, &b, desc, sizeof desc);
        FILE *f = fopen(path, "wb");
        fwrite(b.p, 1, b.n, f);
        fclose(f);
        int pfd[2];
        if (pipe(pfd) != 0)
            return 2;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = {4ull << 30, 4ull << 30};
            setrlimit(RLIMIT_AS, &rl);
            dup2(pfd[1], 2);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            setenv("GGML_NO_BACKTRACE", "1", 1);
            close(pfd[0]);
            struct ggml_context *ctx = NULL;
            struct gguf_init_params p = {false, &ctx};
            struct gguf_context *g = gguf_init_from_file(path, p);
            _exit(g ? 0 : 1);
        }
        close(pfd[1]);
        char err[4096];
        ssize_t n = 0, r;
        while ((r = read(pfd[0], err + n, sizeof err - 1 - (size_t)n)) > 0)
            n += r;
        close(pfd[0]);
        err[n] = 0;
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = 0;
        for (char *c = err; *c; c++)
            if (*c == '\t')
                *c = ' ';
        int st;
        waitpid(pid, &st, 0);
        const char *v = WIFEXITED(st) ? (WEXITSTATUS(st) == 0 ? "ok" : "error") : "crash";
        printf("%d\t%016llx\t%s\t%.200s\t%s\n", i, (unsigned long long)gb_fnv(b.p, b.n), v, err, desc);
        gb_free(&b);
    }
    unlink(path);
    return 0;
}
