/*
 * hist.h — a log-linear latency histogram (HdrHistogram's bucket scheme
 * with two significant digits), in caller memory, with no floating point.
 *
 * Layout of the buckets, for a value v (a tick delta):
 *
 *   v < 128                 bucket v: exact, width 1
 *   2^k <= v < 2^(k+1),     64 equal sub-buckets of width 2^(k-6):
 *     k = 7 .. 63           bucket 128 + (k - 7) * 64 + (v >> (k - 6)) - 64
 *
 * so a bucket's width is at most 1/64 of its lowest value (relative error
 * of any reported value < 1.6%), and the last bucket ends at UINT64_MAX:
 * every uint64_t has a bucket.  Worked example: v = 1000 has k = 9, width
 * 8, sub-bucket 1000 >> 3 = 125 -> 61 -> index 128 + 2*64 + 61 = 317,
 * holding [1000, 1007].
 *
 * The array is fixed (HL_HIST_BUCKETS counters, ~30 KiB): the caller owns
 * the struct (static, stack of a host thread, or kernel .bss).
 */
#ifndef HEAPLAB_HIST_H
#define HEAPLAB_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HL_HIST_EXACT 128u       /* values below this have their own bucket */
#define HL_HIST_SUB_SHIFT 6u     /* 2^6 = 64 sub-buckets per power of two */
#define HL_HIST_SUB ((unsigned)1 << HL_HIST_SUB_SHIFT)
#define HL_HIST_FIRST_K 7u       /* 2^7 == HL_HIST_EXACT */
#define HL_HIST_BUCKETS (HL_HIST_EXACT + (64u - HL_HIST_FIRST_K) * HL_HIST_SUB)

_Static_assert(HL_HIST_EXACT == (1u << HL_HIST_FIRST_K),
               "the exact range ends where the first power-of-two range begins");
_Static_assert(HL_HIST_EXACT == 2u * HL_HIST_SUB,
               "2^7 split into 64 sub-buckets has width 2: the scheme is seamless");
_Static_assert(HL_HIST_BUCKETS == 3776u, "128 + 57 * 64 buckets");

struct hl_hist {
    uint64_t count; /* values added (saturating) */
    uint64_t min;   /* UINT64_MAX when empty */
    uint64_t max;   /* 0 when empty */
    uint64_t sum;   /* saturating at UINT64_MAX */
    uint64_t buckets[HL_HIST_BUCKETS];
};

/* Empty the histogram. */
void hl_hist_reset(struct hl_hist *h);

/* The bucket holding v (0 .. HL_HIST_BUCKETS - 1). */
static inline unsigned hl_hist_bucket_index(uint64_t v)
{
    if (v < HL_HIST_EXACT)
        return (unsigned)v;
    unsigned k = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)(v >> (k - HL_HIST_SUB_SHIFT)) - HL_HIST_SUB;
    return HL_HIST_EXACT + (k - HL_HIST_FIRST_K) * HL_HIST_SUB + sub;
}

/* Lowest and highest value (both inclusive) of bucket i.
 * pre: i < HL_HIST_BUCKETS. */
uint64_t hl_hist_bucket_lo(unsigned i);
uint64_t hl_hist_bucket_hi(unsigned i);

/* Add one value.  Cheap enough for the per-op loop (no division). */
static inline void hl_hist_add(struct hl_hist *h, uint64_t v)
{
    h->buckets[hl_hist_bucket_index(v)]++;
    if (h->count != UINT64_MAX)
        h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    uint64_t s;
    h->sum = __builtin_add_overflow(h->sum, v, &s) ? UINT64_MAX : s;
}

/* The value at quantile q_ppm (parts per million: 500000 = median,
 * 999000 = p99.9).  The answer is the highest value equivalent to the
 * bucket that holds the ceil(q * count)-th smallest value (HdrHistogram's
 * "highest equivalent value"), capped at max, so it never understates a
 * latency and never exceeds the largest value seen.  q_ppm == 0 gives min;
 * q_ppm >= 1000000 gives max; an empty histogram gives 0. */
uint64_t hl_hist_quantile(const struct hl_hist *h, uint32_t q_ppm);

/* Iterate the non-empty buckets: the first non-empty bucket with index >=
 * from, or HL_HIST_BUCKETS if none.
 *   for (unsigned i = hl_hist_next(h, 0); i < HL_HIST_BUCKETS;
 *        i = hl_hist_next(h, i + 1)) ... */
unsigned hl_hist_next(const struct hl_hist *h, unsigned from);

#endif /* HEAPLAB_HIST_H */
