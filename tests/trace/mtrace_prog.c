/*
 * mtrace_prog.c — glibc's real mtrace() writing MALLOC_TRACE (with
 * glibc >= 2.34, under LD_PRELOAD=libc_malloc_debug.so); tests/trace/
 * mtrace.sh imports the file and checks the ops.
 */
#include <malloc.h>
#include <mcheck.h>
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
    mtrace();
    char *a = malloc(10);
    char *b = calloc(3, 5);
    a = realloc(a, 100);
    void *c = memalign(64, 30);
    void *d = realloc(NULL, 7);
    free(b);
    free(c);
    void *e = realloc(d, 0);
    void *volatile f = malloc(SIZE_MAX / 2);
    free(a);
    muntrace();
    return e || f;
}
