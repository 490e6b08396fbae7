/*
 * hist.c — the log-linear histogram of hist.h: bucket bounds, quantiles,
 * iteration.  Freestanding; the only 64-bit division is in
 * hl_hist_quantile (by 10^6), never in hl_hist_add.
 */
#include "bench/core/hist.h"

#include "allocators/port.h"

void hl_hist_reset(struct hl_hist *h)
{
    hl_memset(h->buckets, 0, sizeof h->buckets);
    h->count = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0;
}

/* log2 of bucket i's width, and its lowest value.  pre: i >= EXACT. */
static unsigned bucket_shift(unsigned i)
{
    unsigned k = HL_HIST_FIRST_K + (i - HL_HIST_EXACT) / HL_HIST_SUB;
    return k - HL_HIST_SUB_SHIFT;
}

uint64_t hl_hist_bucket_lo(unsigned i)
{
    HL_ASSERT(i < HL_HIST_BUCKETS);
    if (i < HL_HIST_EXACT)
        return i;
    uint64_t sub = (i - HL_HIST_EXACT) % HL_HIST_SUB;
    return (HL_HIST_SUB + sub) << bucket_shift(i);
}

uint64_t hl_hist_bucket_hi(unsigned i)
{
    HL_ASSERT(i < HL_HIST_BUCKETS);
    if (i < HL_HIST_EXACT)
        return i;
    /* lo + width - 1; for the last bucket this is exactly UINT64_MAX. */
    return hl_hist_bucket_lo(i) + (((uint64_t)1 << bucket_shift(i)) - 1);
}

unsigned hl_hist_next(const struct hl_hist *h, unsigned from)
{
    for (unsigned i = from; i < HL_HIST_BUCKETS; i++)
        if (h->buckets[i])
            return i;
    return HL_HIST_BUCKETS;
}

#define PPM 1000000u

uint64_t hl_hist_quantile(const struct hl_hist *h, uint32_t q_ppm)
{
    if (h->count == 0)
        return 0;
    if (q_ppm == 0)
        return h->min;
    if (q_ppm >= PPM)
        return h->max;
    /* rank = ceil(count * q / 10^6), split so that it cannot overflow:
     * count = a * 10^6 + b, rank = a * q + ceil(b * q / 10^6). */
    uint64_t a = h->count / PPM, b = h->count % PPM;
    uint64_t rank = a * q_ppm + (b * q_ppm + PPM - 1) / PPM;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HL_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t hi = hl_hist_bucket_hi(i);
            return hi < h->max ? hi : h->max;
        }
    }
    return h->max; /* counts saturated: the rank lies beyond the buckets */
}
