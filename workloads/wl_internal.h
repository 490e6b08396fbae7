/*
 * wl_internal.h — what the generator files of workloads/ share: the
 * registry entry type behind `struct hl_workload`, the live-slot set kept
 * in scratch, op emission and the size samplers.  Freestanding; not part
 * of the interface (the harness includes only workload.h).
 */
#ifndef HEAPLAB_WL_INTERNAL_H
#define HEAPLAB_WL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdalign.h>

#include "allocators/util.h"
#include "workloads/rng.h"
#include "workloads/workload.h"

/* A registered workload: the public descriptor first (hl_workloads[]
 * points at it), then what only workload.c needs. */
struct wl_def {
    struct hl_workload pub;
    /* Set the parameters so the stream has about `ops` ops in all. */
    void (*scale)(struct hl_wl_params *p, uint64_t ops);
};
_Static_assert(offsetof(struct wl_def, pub) == 0,
               "a struct hl_workload * of the registry is its struct wl_def *");

static inline const struct wl_def *wl_def_of(const struct hl_workload *w)
{
    return (const struct wl_def *)(const void *)w;
}

/* The common part of every start(): seed the PRNG, zero the counters,
 * set g->total. */
void wl_start_common(struct hl_wl_gen *g);

/* Emit one op: fill *op, count it.  Always returns true (for `return`). */
static inline bool wl_emit(struct hl_wl_gen *g, struct hl_op *op,
                           enum hl_op_kind kind, uint64_t slot, uint64_t bytes)
{
    op->kind = (uint8_t)kind;
    op->align_log2 = 0;
    op->thread = 0;
    op->slot = (uint32_t)slot;
    op->bytes = kind == HL_OP_ALLOC ? bytes : 0;
    g->emitted++;
    return true;
}

/* Clamp v into [lo, hi]. */
static inline uint64_t wl_clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/*
 * The live-slot set, at the start of scratch:
 *
 *   scratch: | struct wl_set | live[cap] (uint32_t) | recycled[cap] (uint32_t) |
 *
 *   live[0 .. nlive)          slots holding a block, in no particular
 *                             order except that a generator may keep a
 *                             prefix [0, pinned) apart (long-lived blocks)
 *   recycled[0 .. nrecycled)  freed slots, reused last-freed first
 *   fresh                     the next never-used slot number
 *
 * A slot is either in live[], in recycled[], or >= fresh: so slots stay
 * below the stream's peak live count, which is what slots(p) declares.
 * Add is O(1); removing a uniformly random member of live[lo, nlive) is
 * O(1) (swap with the last).
 */
struct wl_set {
    uint64_t cap;
    uint64_t nlive;
    uint64_t nrecycled;
    uint64_t fresh;
};
_Static_assert(sizeof(struct wl_set) % 8 == 0, "the arrays follow 8-aligned");

/* Scratch bytes for a set of cap slots. */
static inline size_t wl_set_bytes(uint64_t cap)
{
    return sizeof(struct wl_set) + (size_t)cap * 2u * sizeof(uint32_t);
}

static inline struct wl_set *wl_set_of(struct hl_wl_gen *g)
{
    return (struct wl_set *)g->scratch;
}
static inline uint32_t *wl_set_live(struct wl_set *s)
{
    return (uint32_t *)(void *)(s + 1);
}
static inline uint32_t *wl_set_recycled(struct wl_set *s)
{
    return wl_set_live(s) + s->cap;
}

/* pre: g->scratch holds wl_set_bytes(cap) bytes. */
static inline void wl_set_start(struct hl_wl_gen *g, uint64_t cap)
{
    HL_ASSERT(g->scratch_bytes >= wl_set_bytes(cap));
    struct wl_set *s = wl_set_of(g);
    s->cap = cap;
    s->nlive = 0;
    s->nrecycled = 0;
    s->fresh = 0;
}

/* A slot for a new block (recorded live).  pre: nlive < cap. */
static inline uint64_t wl_set_add(struct hl_wl_gen *g)
{
    struct wl_set *s = wl_set_of(g);
    HL_ASSERT(s->nlive < s->cap);
    uint32_t slot = s->nrecycled ? wl_set_recycled(s)[--s->nrecycled]
                                 : (uint32_t)s->fresh++;
    wl_set_live(s)[s->nlive++] = slot;
    return slot;
}

/* Remove live[idx] and return its slot.  pre: idx < nlive. */
static inline uint64_t wl_set_take_at(struct hl_wl_gen *g, uint64_t idx)
{
    struct wl_set *s = wl_set_of(g);
    uint32_t *live = wl_set_live(s);
    HL_ASSERT(idx < s->nlive);
    uint32_t slot = live[idx];
    live[idx] = live[--s->nlive];
    wl_set_recycled(s)[s->nrecycled++] = slot;
    return slot;
}

/* Remove a uniformly random member of live[lo, nlive).  pre: lo < nlive. */
static inline uint64_t wl_set_take_random(struct hl_wl_gen *g, uint64_t lo)
{
    uint64_t n = wl_set_of(g)->nlive - lo;
    return wl_set_take_at(g, lo + hl_wl_rng_below(g->rng, n));
}

/* ---- sizes ---------------------------------------------------------------- */

/* Uniform in [min, max] (max < min is read as max = min). */
static inline uint64_t wl_size_uniform(struct hl_wl_gen *g, uint64_t min,
                                       uint64_t max)
{
    return max <= min ? min : hl_wl_rng_range(g->rng, min, max);
}

/* Bits of the fixed-point uniform variate of wl_size_powerlaw. */
#define WL_POW_UBITS 24u
/* The largest min and max wl_size_powerlaw accepts: min * max * 2^24 must
 * fit in 64 bits. */
#define WL_POW_MAX_BYTES ((uint64_t)1 << 20)

/*
 * Inverse-square density on [min, max] (glibc's benchtests
 * bench-malloc-thread draws its block sizes the same way, in float):
 *     pdf(s) = c / s^2,   CDF(s) = (1/min - 1/s) / (1/min - 1/max)
 *     inverse CDF:  s = min * max / (max - u * (max - min)),   u in [0, 1)
 * In fixed point, u = r / 2^24 with r a 24-bit draw:
 *     s = floor(min * max * 2^24 / (max * 2^24 - r * (max - min)))
 * The denominator is > min * 2^24, so min <= s < max (max itself only
 * when min == max).  Every octave [a, 2a) inside the range holds about
 * half the mass of the one below it.  One 64-bit division per draw.
 * pre: 1 <= min, max <= WL_POW_MAX_BYTES.
 */
static inline uint64_t wl_size_powerlaw(struct hl_wl_gen *g, uint64_t min,
                                        uint64_t max)
{
    if (max <= min)
        return min;
    uint64_t r = hl_wl_rng_next(g->rng) >> (64u - WL_POW_UBITS);
    uint64_t num = (min * max) << WL_POW_UBITS;
    uint64_t den = (max << WL_POW_UBITS) - r * (max - min);
    return num / den;
}

/* An order in [0, max_order] with P(k) proportional to 2^-k (each order
 * half as likely as the one below: small runs dominate, while every order
 * contributes about the same number of frames).  The trailing zeros of a
 * random word are geometric; draws past max_order are redrawn. */
static inline unsigned wl_order_geometric(struct hl_wl_gen *g, unsigned max_order)
{
    if (max_order == 0)
        return 0;
    for (;;) {
        uint32_t x = hl_wl_rng_u32(g->rng);
        if (x == 0)
            continue;
        unsigned k = hl_ctz32(x);
        if (k <= max_order)
            return k;
    }
}

/* ---- scaling helpers ------------------------------------------------------ */

/* A stream of `build` fill allocs (drained again at the end) plus a churn
 * of 2 ops per step: keep the build-up if it is at most half of `ops`,
 * else shrink it (proportionally, to at least 1) to half; the rest is
 * churn.  Writes the new build-up count and steps. */
static inline void wl_scale_churn(uint64_t build, uint64_t ops,
                                  uint64_t *new_build, uint64_t *steps)
{
    uint64_t fill_drain = 2 * build;
    if (fill_drain > ops / 2) {
        build = ops / 4;
        if (build == 0)
            build = 1;
        fill_drain = 2 * build;
    }
    *new_build = build;
    *steps = ops > fill_drain ? (ops - fill_drain) / 2 : 0;
}

#endif /* HEAPLAB_WL_INTERNAL_H */
