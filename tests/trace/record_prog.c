/*
 * record_prog.c — the program tests/trace/record.sh records.  Built
 * WITHOUT sanitizers (a preloaded recorder and a sanitizer runtime both
 * want to come first).  Its ops of interest lie between two marker
 * blocks, malloc(0xDEAD1) and malloc(0xDEAD2), so libc's own allocations
 * before and after do not matter.
 *
 *   record_prog single   every entry point once, in a fixed order (the
 *                        expected ops are written in record.sh), a signal
 *                        handler that allocates, an unknown free, a fork
 *                        whose child allocates 1000 bytes
 *   record_prog threads  4 threads x 1000 malloc/free pairs, each thread's
 *                        last block freed by main, then main allocates the
 *                        same sizes (glibc hands out addresses other
 *                        threads freed: the global order must hold)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);

static void marker(size_t bytes)
{
    void *volatile m = malloc(bytes);
    free(m);
}

static void on_usr1(int sig)
{
    (void)sig;
    void *volatile p = malloc(77);
    free(p);
}

static int single(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    marker(0xDEAD1);
    char *a = malloc(100);
    char *b = calloc(10, 8);
    a = realloc(a, 200);
    void *c = memalign(64, 50);
    void *d = NULL;
    if (posix_memalign(&d, 128, 70) != 0)
        return 1;
    void *e = aligned_alloc(256, 512);
    void *f = valloc(10);
    void *g = pvalloc(10);
    free(b);
    char *h = malloc(33);
    char *r = realloc(NULL, 40);
    r = reallocarray(r, 10, 6);
    r = realloc(r, 0); /* glibc: frees, returns NULL */
    void *u = __libc_malloc(24); /* the recorder never sees it */
    free(u);
    size_t us = 0;
    for (int i = 0; i < 3; i++)
        us += malloc_usable_size(h);
    free(NULL);
    free(NULL);
    void *volatile big = malloc(SIZE_MAX / 2);
    raise(SIGUSR1);
    free(a);
    free(c);
    free(d);
    free(e);
    free(f);
    free(g);
    free(h);
    pid_t pid = fork();
    if (pid == 0) {
        marker(1000);
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    marker(0xDEAD2);
    return (us < 99 || big || r || !WIFEXITED(st)) ? 1 : 0;
}

#define NT 4
#define PAIRS 1000

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PAIRS; i++) {
        void *volatile p = malloc((size_t)(i % 500) + 1);
        free(p);
    }
    return malloc(48); /* freed by main */
}

static int threads(void)
{
    pthread_t t[NT];
    void *q[NT];
    marker(0xDEAD1);
    for (int i = 0; i < NT; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            return 1;
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], &q[i]);
    for (int i = 0; i < NT; i++)
        free(q[i]);
    for (int i = 0; i < NT; i++)
        q[i] = malloc(48);
    for (int i = 0; i < NT; i++)
        free(q[i]);
    marker(0xDEAD2);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "single"))
        return single();
    if (argc == 2 && !strcmp(argv[1], "threads"))
        return threads();
    fprintf(stderr, "usage: record_prog single|threads\n");
    return 2;
}
