/*
 * pairs.c — heaplab-pairs: a first, rough figure per allocator: TSC cycles
 * per alloc+free pair of one size, in a simple loop, with `live` other
 * blocks of that size allocated beforehand (so first-fit's list walk and
 * the bitmap's scan have something to walk over).
 *
 * Batch timing: one fenced rdtsc pair around `pairs` iterations, so the
 * timer's own overhead (tens of cycles) is spread over the batch.  One
 * warm-up repetition, then the median (and minimum) of --reps.  This is a
 * smoke-level driver, not the harness: `heaplab run` (bench/host/) is what
 * produces CSV with full metadata.
 *
 * usage: heaplab-pairs [--pairs N] [--reps N] [--live N] [allocator...]
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "allocators/allocator.h"
#include "allocators/util.h"
#include "bench/core/clock.h"

/* 1 GiB of address space, reserved but untouched: release-build
 * allocators write only their metadata and what they hand out is not
 * written, so only touched pages cost memory. */
#define REGION_BYTES ((size_t)1 << 30)

static const size_t heap_sizes[] = {16, 64, 512, 4096};
static const size_t frame_sizes[] = {4096, 16384};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static unsigned long parse_count(const char *opt, const char *s,
                                 unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || *s == '-' || v > max) {
        fprintf(stderr, "heaplab-pairs: bad value for %s: '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

/* Time one repetition: init, `live` blocks allocated, then `pairs`
 * alloc+free pairs.  Returns the cycles, or 0 if a request failed. */
static uint64_t one_rep(const struct hl_allocator *a, void *state,
                        void *region, size_t bytes, unsigned long pairs,
                        void **held, unsigned long live)
{
    uint64_t cycles = 0;
    unsigned long nheld = 0;
    if (hl_al_init(a, state, region, REGION_BYTES, NULL) != HL_OK)
        return 0;
    for (; nheld < live; nheld++)
        if (!(held[nheld] = a->alloc(state, bytes)))
            goto out;
    uint64_t t0 = hl_clock_start();
    for (unsigned long i = 0; i < pairs; i++) {
        void *p = a->alloc(state, bytes);
        if (!p)
            goto out;
        a->free(state, p, bytes);
    }
    cycles = hl_clock_stop() - t0;
out:
    while (nheld)
        a->free(state, held[--nheld], bytes);
    return cycles;
}

/* The median cycles per pair over reps (after one warm-up), or -1.0 if a
 * request failed. */
static double measure(const struct hl_allocator *a, void *region,
                      size_t bytes, unsigned long pairs, unsigned long reps,
                      unsigned long live, double *min_out)
{
    static alignas(16) unsigned char state[1 << 16];
    if (a->state_bytes > sizeof state)
        return -1.0;
    void **held = calloc(live ? live : 1, sizeof *held);
    uint64_t *cyc = calloc(reps + 1, sizeof *cyc);
    double result = -1.0;
    if (!held || !cyc)
        goto out;
    for (unsigned long r = 0; r <= reps; r++) /* rep 0 is the warm-up */
        if (!(cyc[r] = one_rep(a, state, region, bytes, pairs, held, live)))
            goto out;
    qsort(cyc + 1, reps, sizeof *cyc, cmp_u64);
    result = (double)cyc[1 + reps / 2] / (double)pairs;
    *min_out = (double)cyc[1] / (double)pairs;
out:
    free(cyc);
    free(held);
    return result;
}

int main(int argc, char **argv)
{
    unsigned long pairs = 200000, reps = 9, live = 0;
    const struct hl_allocator *only[32];
    size_t nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: heaplab-pairs [--pairs N] [--reps N] [--live N] "
                   "[allocator...]\n"
                   "TSC cycles per alloc+free pair, median of N reps after "
                   "one warm-up,\nwith N other blocks of the same size live "
                   "(--live).\n");
            return 0;
        } else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
            pairs = parse_count("--pairs", argv[++i], 1ul << 40);
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = parse_count("--reps", argv[++i], 1000);
        } else if (!strcmp(argv[i], "--live") && i + 1 < argc) {
            live = parse_count("--live", argv[++i], 1ul << 24);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "heaplab-pairs: unknown option '%s'\n", argv[i]);
            return 2;
        } else {
            const struct hl_allocator *a = hl_allocator_find(argv[i]);
            if (!a || nonly == 32) {
                fprintf(stderr, "heaplab-pairs: unknown allocator '%s'\n",
                        argv[i]);
                return 2;
            }
            only[nonly++] = a;
        }
    }
    if (pairs == 0 || reps == 0) {
        fprintf(stderr, "heaplab-pairs: --pairs and --reps must be > 0\n");
        return 2;
    }
    if (HL_CHECK_LEVEL > 0)
        fprintf(stderr, "heaplab-pairs: WARNING: timing a checked build "
                        "(HL_CHECK_LEVEL=%d): these are not release figures\n",
                HL_CHECK_LEVEL);
    if (!nonly)
        for (const struct hl_allocator *const *a = hl_allocators; *a; a++)
            only[nonly++] = *a;

    void *region = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        perror("heaplab-pairs: mmap");
        return 1;
    }
    printf("%-14s %6s %8s %14s %12s\n", "allocator", "bytes", "live",
           "cycles/pair", "min");
    int rc = 0;
    for (size_t k = 0; k < nonly; k++) {
        const struct hl_allocator *a = only[k];
        bool frame = a->family == HL_FAMILY_FRAME;
        const size_t *sizes = frame ? frame_sizes : heap_sizes;
        size_t nsizes = frame ? 2 : 4;
        for (size_t s = 0; s < nsizes; s++) {
            double min = 0;
            double med = measure(a, region, sizes[s], pairs, reps,
                                 live, &min);
            if (med < 0) {
                printf("%-14s %6zu %8lu %14s %12s\n", a->name, sizes[s], live,
                       "failed", "-");
                rc = 1;
                continue;
            }
            printf("%-14s %6zu %8lu %14.1f %12.1f\n", a->name, sizes[s], live,
                   med, min);
        }
    }
    munmap(region, REGION_BYTES);
    return rc;
}
