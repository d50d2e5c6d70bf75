/* A program outside the project that links the installed libraries: the
 * binding API (libslminspect.so) and the static parsing core
 * (libslmformats.a).  Prints `slminspect verify --json PATH`'s document
 * through the API, then a line from the core; exits with verify's status. */
#include <slm/slm.h>
#include <slminspect.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer PATH\n");
        return 2;
    }
    const char *paths[] = {argv[1]};
    char *json = NULL, *error = NULL;
    int rc = slminspect_run("verify", paths, 1, "{\"target\": \"hf\"}", &json, &error);
    if (json)
        printf("%s\n", json);
    if (error)
        fprintf(stderr, "%s\n", error);
    slminspect_free(json);
    slminspect_free(error);
    fprintf(stderr, "libslminspect %s, core severity name: %s\n", slminspect_version(),
            slm_severity_name(SLM_WARNING));
    return rc;
}
