/*
 * exec_prog.c — the program tests/exec/exec.sh runs under `heaplab exec`:
 * it allocates through every entry point the shim defines (malloc, calloc,
 * realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc,
 * pvalloc, malloc_usable_size, free), from four threads at once and in a
 * forked child, fills each block with a pattern of its own and checks
 * every byte, every alignment and calloc's zeroes before freeing.  Exits 0
 * if all held, 1 naming the first failure on stderr.
 *
 *   exec_prog            the check above
 *   exec_prog portable   for the baselines: no pvalloc, which Debian's
 *                        jemalloc does not define (glibc's serves it, and
 *                        jemalloc's free then crashes on the block), and
 *                        alignments over 16 counted, not fatal (Debian's
 *                        mimalloc 2.0.9 answered posix_memalign(256, 256)
 *                        with a 128-aligned block after a series of
 *                        smaller 256-aligned requests)
 *   exec_prog crash      dies by SIGSEGV after a few allocations
 *   exec_prog exit N     exits with status N
 *   exec_prog sleep S    sleeps S seconds (a timeout)
 *   exec_prog hog MIB    allocates and touches MIB MiB (max RSS grows)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NBLOCKS 512
#define ROUNDS 6

static int portable; /* no pvalloc; over-alignment counted */
static _Atomic unsigned long misaligned;

static void die(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "exec_prog: %s (%zu, %zu)\n", what, a, b);
    exit(1);
}

struct blk {
    unsigned char *p;
    size_t size;
    unsigned char fill;
};

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_fill(const struct blk *b)
{
    for (size_t i = 0; i < b->size; i++)
        if (b->p[i] != b->fill)
            die("a block's bytes changed", i, b->size);
}

static void aligned(const void *p, size_t align)
{
    if ((uintptr_t)p % align)
        die("misaligned block", (size_t)(uintptr_t)p % align, align);
}

/* One round of NBLOCKS blocks through a random entry point each. */
static void churn(uint64_t seed)
{
    static __thread struct blk b[NBLOCKS];
    uint64_t s = seed | 1;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < NBLOCKS; i++) {
            size_t size = (size_t)(rng(&s) % (rng(&s) % 8 == 0 ? 70000 : 300));
            unsigned kind = (unsigned)(rng(&s) % 8);
            void *p = NULL;
            size_t align = 16;
            switch (kind) {
            case 0: p = malloc(size); break;
            case 1:
                p = calloc(size, 1);
                for (size_t k = 0; k < size; k++)
                    if (((unsigned char *)p)[k])
                        die("calloc's block is not zero", k, size);
                break;
            case 2: {
                align = (size_t)64 << (rng(&s) % 5);
                if (posix_memalign(&p, align, size) != 0)
                    p = NULL;
                break;
            }
            case 3:
                align = (size_t)32 << (rng(&s) % 4);
                p = aligned_alloc(align, size);
                break;
            case 4:
                align = 256;
                p = memalign(align, size);
                break;
            case 5:
                align = 4096;
                p = (rng(&s) & 1) || portable ? valloc(size) : pvalloc(size);
                break;
            case 6:
                p = reallocarray(NULL, size ? size : 1, 1);
                break;
            default:
                p = malloc(size / 2 + 1);
                p = realloc(p, size + 1);
                size += 1;
                break;
            }
            if (!p)
                die("allocation failed", kind, size);
            /* malloc's alignment: any object that fits (C11 7.22.3) */
            if (portable && align > 16 && (uintptr_t)p % align)
                misaligned++;
            else
                aligned(p, align > 16 || size >= 16 ? align
                                                   : size >= 8 ? 8 : 1);
            if (malloc_usable_size(p) < size)
                die("malloc_usable_size too small", malloc_usable_size(p), size);
            b[i] = (struct blk){p, size, (unsigned char)(rng(&s) | 1)};
            memset(p, b[i].fill, size);
        }
        /* grow half of them: realloc keeps the contents */
        for (int i = 0; i < NBLOCKS; i += 2) {
            check_fill(&b[i]);
            size_t n = b[i].size * 2 + 40;
            unsigned char *q = realloc(b[i].p, n);
            if (!q)
                die("realloc failed", b[i].size, n);
            aligned(q, n >= 16 ? 16 : 8);
            for (size_t k = 0; k < b[i].size; k++)
                if (q[k] != b[i].fill)
                    die("realloc lost bytes", k, b[i].size);
            memset(q, b[i].fill, n);
            b[i].p = q;
            b[i].size = n;
        }
        for (int i = 0; i < NBLOCKS; i++) {
            check_fill(&b[i]);
            free(b[i].p);
        }
    }
}

static void *thread_main(void *arg)
{
    churn((uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull);
    return NULL;
}

static int full_check(void)
{
    free(NULL);
    free(realloc(malloc(8), 0)); /* NULL (glibc, the shim) or a block */
    void *p;
    if (posix_memalign(&p, 24, 8) == 0)
        die("posix_memalign accepted alignment 24", 24, 0);
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, thread_main, (void *)(i + 1)) != 0)
            die("pthread_create", i, 0);
    /* fork while the threads allocate: the child's heap must work */
    pid_t pid = fork();
    if (pid < 0)
        die("fork", 0, 0);
    if (pid == 0) {
        churn(99);
        _exit(0);
    }
    churn(7);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        die("the forked child failed", (size_t)st, 0);
    /* stdio allocates too */
    char *text = NULL;
    if (asprintf(&text, "%d-%s", 42, "heaplab") < 0 || strcmp(text, "42-heaplab"))
        die("asprintf", 0, 0);
    free(text);
    printf("exec_prog: ok (%lu over-aligned blocks misaligned)\n",
           (unsigned long)misaligned);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "crash")) {
        volatile int *q = malloc(64);
        free((void *)q);
        raise(SIGSEGV);
        return 3;
    }
    if (argc >= 3 && !strcmp(argv[1], "exit"))
        return atoi(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "sleep")) {
        sleep((unsigned)atoi(argv[2]));
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "hog")) {
        size_t n = (size_t)atoi(argv[2]) << 20;
        unsigned char *p = malloc(n);
        if (!p)
            die("hog: malloc failed", n, 0);
        for (size_t i = 0; i < n; i += 4096)
            p[i] = (unsigned char)i;
        free(p);
        return 0;
    }
    portable = argc >= 2 && !strcmp(argv[1], "portable");
    return full_check();
}
