/*
 * batch.c — workloads that build up a set of blocks and release it:
 * lifo, fifo, random-free (slab_test's "N allocs then N frees"), and the
 * ramp and peak lifetime patterns of Wilson, Johnstone, Neely & Boles,
 * "Dynamic Storage Allocation: A Survey and Critical Review" (1995).
 * Freestanding.
 *
 * Counters in struct hl_wl_gen: g->i allocs done (in this peak), g->j frees
 * done (this phase) or a countdown, g->k a pending free (ramp) or the peak
 * number (peak).
 */
#include "workloads/wl_internal.h"

#define P_N(s, d, max) { "n", "blocks", (s), (d), 1, (max) }
#define P_BYTES(n, s, d) { (n), "bytes", (s), (d), 1, WL_POW_MAX_BYTES }

/* ---- lifo, fifo, random-free ----------------------------------------------
 *
 *   n allocs into slots 0 .. n-1 (sizes uniform in [min, max]), then n
 *   frees: lifo n-1 .. 0, fifo 0 .. n-1, random-free a uniformly random
 *   permutation.  2n ops; n slots.  With min == max, lifo and fifo draw
 *   nothing: their streams do not depend on the seed.
 */

enum { SEQ_N, SEQ_MIN, SEQ_MAX };
enum { SEQ_ALLOC, SEQ_FREE, SEQ_DONE };

static uint64_t seq_slots(const struct hl_wl_params *p) { return p->v[SEQ_N]; }
static uint64_t seq_total(const struct hl_wl_params *p) { return 2 * p->v[SEQ_N]; }
static size_t seq_no_scratch(const struct hl_wl_params *p)
{
    (void)p;
    return 0;
}
static size_t seq_set_scratch(const struct hl_wl_params *p)
{
    return wl_set_bytes(p->v[SEQ_N]);
}

static void seq_start(struct hl_wl_gen *g) { wl_start_common(g); }
static void random_free_start(struct hl_wl_gen *g)
{
    wl_set_start(g, g->p.v[SEQ_N]);
    wl_start_common(g);
}

static void seq_scale(struct hl_wl_params *p, uint64_t ops)
{
    p->v[SEQ_N] = ops / 2;
}

/* The alloc phase (shared); false once all n are out. */
static bool seq_alloc(struct hl_wl_gen *g, struct hl_op *op, bool use_set)
{
    if (g->i >= g->p.v[SEQ_N])
        return false;
    uint64_t slot = use_set ? wl_set_add(g) : g->i;
    g->i++;
    return wl_emit(g, op, HL_OP_ALLOC, slot,
                   wl_size_uniform(g, g->p.v[SEQ_MIN], g->p.v[SEQ_MAX]));
}

static bool lifo_next(struct hl_wl_gen *g, struct hl_op *op)
{
    if (g->phase == SEQ_ALLOC && seq_alloc(g, op, false))
        return true;
    g->phase = SEQ_FREE;
    if (g->j >= g->p.v[SEQ_N]) {
        g->phase = SEQ_DONE;
        return false;
    }
    g->j++;
    return wl_emit(g, op, HL_OP_FREE, g->p.v[SEQ_N] - g->j, 0);
}

static bool fifo_next(struct hl_wl_gen *g, struct hl_op *op)
{
    if (g->phase == SEQ_ALLOC && seq_alloc(g, op, false))
        return true;
    g->phase = SEQ_FREE;
    if (g->j >= g->p.v[SEQ_N]) {
        g->phase = SEQ_DONE;
        return false;
    }
    return wl_emit(g, op, HL_OP_FREE, g->j++, 0);
}

static bool random_free_next(struct hl_wl_gen *g, struct hl_op *op)
{
    if (g->phase == SEQ_ALLOC && seq_alloc(g, op, true))
        return true;
    g->phase = SEQ_FREE;
    if (wl_set_of(g)->nlive == 0) {
        g->phase = SEQ_DONE;
        return false;
    }
    return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, 0), 0);
}

#define SEQ_PARAMS                                                            \
    .nparams = 3,                                                             \
    .params = {P_N("blocks allocated, then all freed", 100000,               \
                   (uint64_t)1 << 24),                                        \
               P_BYTES("min", "smallest request (sizes uniform)", 64),       \
               P_BYTES("max", "largest request", 64)},                        \
    .slots = seq_slots, .total_ops = seq_total

const struct wl_def wl_lifo = {
    .pub = {
        .name = "lifo",
        .summary = "n allocs, then n frees in reverse (stack) order",
        .family = HL_FAMILY_HEAP,
        SEQ_PARAMS,
        .scratch_bytes = seq_no_scratch,
        .start = seq_start,
        .next = lifo_next,
    },
    .scale = seq_scale,
};

const struct wl_def wl_fifo = {
    .pub = {
        .name = "fifo",
        .summary = "n allocs, then n frees in allocation (queue) order",
        .family = HL_FAMILY_HEAP,
        SEQ_PARAMS,
        .scratch_bytes = seq_no_scratch,
        .start = seq_start,
        .next = fifo_next,
    },
    .scale = seq_scale,
};

const struct wl_def wl_random_free = {
    .pub = {
        .name = "random-free",
        .summary = "n allocs, then n frees in random order",
        .family = HL_FAMILY_HEAP,
        SEQ_PARAMS,
        .scratch_bytes = seq_set_scratch,
        .start = random_free_start,
        .next = random_free_next,
    },
    .scale = seq_scale,
};

/* ---- ramp -------------------------------------------------------------------
 *
 *   n allocs (power-law sizes on [min, max]); after every free_every-th
 *   alloc, one free of a uniformly random live block (0: none); then a
 *   drain in random order.  2n ops.  Peak live, after the last alloc:
 *   n - floor((n - 1) / free_every) blocks = slots.
 */

enum { RA_N, RA_FREE_EVERY, RA_MIN, RA_MAX };
enum { RAMP_UP, RAMP_DRAIN, RAMP_DONE };

static uint64_t ramp_slots(const struct hl_wl_params *p)
{
    uint64_t n = p->v[RA_N], e = p->v[RA_FREE_EVERY];
    return e ? n - (n - 1) / e : n;
}
static uint64_t ramp_total(const struct hl_wl_params *p) { return 2 * p->v[RA_N]; }
static size_t ramp_scratch(const struct hl_wl_params *p)
{
    return wl_set_bytes(ramp_slots(p));
}
static void ramp_start(struct hl_wl_gen *g)
{
    wl_set_start(g, ramp_slots(&g->p));
    wl_start_common(g);
    g->j = g->p.v[RA_FREE_EVERY]; /* allocs until the next free */
}
static void ramp_scale(struct hl_wl_params *p, uint64_t ops)
{
    p->v[RA_N] = ops / 2;
}

static bool ramp_next(struct hl_wl_gen *g, struct hl_op *op)
{
    if (g->phase == RAMP_UP) {
        if (g->k) {
            g->k = 0;
            return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, 0), 0);
        }
        if (g->i < g->p.v[RA_N]) {
            g->i++;
            if (g->j && --g->j == 0) { /* a countdown: no division per op */
                g->k = 1;
                g->j = g->p.v[RA_FREE_EVERY];
            }
            return wl_emit(g, op, HL_OP_ALLOC, wl_set_add(g),
                           wl_size_powerlaw(g, g->p.v[RA_MIN], g->p.v[RA_MAX]));
        }
        g->phase = RAMP_DRAIN;
    }
    if (g->phase == RAMP_DRAIN && wl_set_of(g)->nlive > 0)
        return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, 0), 0);
    g->phase = RAMP_DONE;
    return false;
}

const struct wl_def wl_ramp = {
    .pub = {
        .name = "ramp",
        .summary = "live data accumulates steadily (few frees), then drains; "
                   "mixed sizes",
        .family = HL_FAMILY_HEAP,
        .nparams = 4,
        .params = {P_N("blocks allocated during the ramp", 100000,
                       (uint64_t)1 << 24),
                   {"free_every", "allocs", "one random free after every "
                    "this many allocs (0: none)", 4, 0, (uint64_t)1 << 24},
                   P_BYTES("min", "smallest request", 16),
                   P_BYTES("max", "largest request (exclusive unless = min)",
                           4096)},
        .slots = ramp_slots,
        .scratch_bytes = ramp_scratch,
        .total_ops = ramp_total,
        .start = ramp_start,
        .next = ramp_next,
    },
    .scale = ramp_scale,
};

/* ---- peak -------------------------------------------------------------------
 *
 *   `peaks` times: n allocs (power-law sizes on [min, max]), then free all
 *   but keep% of that peak's blocks, in random order (the survivors stay
 *   until the end, a slowly growing base under the peaks); then a drain.
 *   2 * peaks * n ops.  slots = n + (peaks - 1) * kept, kept = n*keep/100.
 *   live[] holds the survivors of earlier peaks first: peak k's blocks are
 *   live[k * kept, nlive).
 */

enum { PK_PEAKS, PK_N, PK_KEEP, PK_MIN, PK_MAX };
enum { PEAK_BUILD, PEAK_RELEASE, PEAK_DRAIN, PEAK_DONE };

/* n <= 2^20 and keep <= 100: 32-bit arithmetic, no libgcc division. */
static uint64_t peak_kept(const struct hl_wl_params *p)
{
    return (uint32_t)(p->v[PK_N] * p->v[PK_KEEP]) / 100u;
}
static uint64_t peak_slots(const struct hl_wl_params *p)
{
    return p->v[PK_N] + (p->v[PK_PEAKS] - 1) * peak_kept(p);
}
static uint64_t peak_total(const struct hl_wl_params *p)
{
    return 2 * p->v[PK_PEAKS] * p->v[PK_N];
}
static size_t peak_scratch(const struct hl_wl_params *p)
{
    return wl_set_bytes(peak_slots(p));
}
static void peak_start(struct hl_wl_gen *g)
{
    wl_set_start(g, peak_slots(&g->p));
    wl_start_common(g);
}
static void peak_scale(struct hl_wl_params *p, uint64_t ops)
{
    uint64_t peaks = p->v[PK_PEAKS];
    if (ops / 2 < peaks)
        p->v[PK_PEAKS] = peaks = ops / 2 ? ops / 2 : 1;
    p->v[PK_N] = ops / (2 * peaks);
}

static bool peak_next(struct hl_wl_gen *g, struct hl_op *op)
{
    uint64_t n = g->p.v[PK_N], kept = peak_kept(&g->p);
    switch (g->phase) {
    case PEAK_BUILD:
        if (g->i < n) {
            g->i++;
            return wl_emit(g, op, HL_OP_ALLOC, wl_set_add(g),
                           wl_size_powerlaw(g, g->p.v[PK_MIN], g->p.v[PK_MAX]));
        }
        g->phase = PEAK_RELEASE;
        /* fall through */
    case PEAK_RELEASE:
        if (g->j < n - kept) {
            g->j++;
            return wl_emit(g, op, HL_OP_FREE,
                           wl_set_take_random(g, g->k * kept), 0);
        }
        g->i = g->j = 0;
        if (++g->k < g->p.v[PK_PEAKS]) {
            g->phase = PEAK_BUILD;
            return peak_next(g, op);
        }
        g->phase = PEAK_DRAIN;
        /* fall through */
    case PEAK_DRAIN:
        if (wl_set_of(g)->nlive > 0)
            return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, 0), 0);
        g->phase = PEAK_DONE;
        return false;
    default:
        return false;
    }
}

const struct wl_def wl_peak = {
    .pub = {
        .name = "peak",
        .summary = "repeated sharp build-ups and releases (keep% of each "
                   "peak survives to the end); mixed sizes",
        .family = HL_FAMILY_HEAP,
        .nparams = 5,
        .params = {{"peaks", "peaks", "build-up/release cycles", 10, 1, 1024},
                   P_N("blocks allocated per peak", 20000, (uint64_t)1 << 20),
                   {"keep", "%", "share of each peak's blocks that survives "
                    "to the final drain", 5, 0, 100},
                   P_BYTES("min", "smallest request", 16),
                   P_BYTES("max", "largest request (exclusive unless = min)",
                           4096)},
        .slots = peak_slots,
        .scratch_bytes = peak_scratch,
        .total_ops = peak_total,
        .start = peak_start,
        .next = peak_next,
    },
    .scale = peak_scale,
};
