/*
 * churn.c — workloads with a steady live set: churn-fixed, churn-uniform,
 * churn-powerlaw, plateau, frames-churn, frames-orders.  Freestanding.
 *
 * All six are one program over the live-slot set (wl_internal.h):
 *
 *   fill   `pinned + level` allocs: first the pinned (long-lived) blocks,
 *          then the churning ones;
 *   churn  `steps` steps, each free(a uniformly random churning block)
 *          then alloc(a new one): the live count is level + pinned after
 *          every step, level + pinned - 1 between its two ops;
 *   drain  free every block, in uniformly random order.
 *
 *   ops in all = 2 * (pinned + level) + 2 * steps; slots = pinned + level.
 *
 * Only plateau pins blocks (its long-lived plateau data); the others have
 * pinned = 0.  Workloads differ in their sizes and parameters.
 */
#include "workloads/wl_internal.h"

/* The shape of one churn program, read from a workload's parameters. */
struct churn_shape {
    uint64_t pinned; /* blocks allocated first, freed only by the drain */
    uint64_t level;  /* churning blocks */
    uint64_t steps;  /* churn steps */
};

enum { CHURN_FILL, CHURN_FREE, CHURN_ALLOC, CHURN_DRAIN, CHURN_DONE };

/* One op of the program; size() draws an alloc's bytes.
 * g->i: fill allocs done; g->j: churn steps done. */
static bool churn_next(struct hl_wl_gen *g, struct hl_op *op,
                       const struct churn_shape *c,
                       uint64_t (*size)(struct hl_wl_gen *g))
{
    struct wl_set *s = wl_set_of(g);
    switch (g->phase) {
    case CHURN_FILL:
        if (g->i < c->pinned + c->level) {
            g->i++;
            return wl_emit(g, op, HL_OP_ALLOC, wl_set_add(g), size(g));
        }
        g->phase = CHURN_FREE;
        /* fall through */
    case CHURN_FREE:
        if (g->j < c->steps) {
            g->phase = CHURN_ALLOC;
            return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, c->pinned), 0);
        }
        g->phase = CHURN_DRAIN;
        /* fall through */
    case CHURN_DRAIN:
        if (s->nlive > 0)
            return wl_emit(g, op, HL_OP_FREE, wl_set_take_random(g, 0), 0);
        g->phase = CHURN_DONE;
        return false;
    case CHURN_ALLOC:
        g->j++;
        g->phase = CHURN_FREE;
        return wl_emit(g, op, HL_OP_ALLOC, wl_set_add(g), size(g));
    default:
        return false;
    }
}

static uint64_t churn_total(const struct churn_shape *c)
{
    return 2 * (c->pinned + c->level) + 2 * c->steps;
}

static void churn_start(struct hl_wl_gen *g, const struct churn_shape *c)
{
    wl_set_start(g, c->pinned + c->level);
    wl_start_common(g);
}

/* The boilerplate of one workload: its vtable over its shape() and size(). */
#define CHURN_VTABLE(prefix)                                                  \
    static uint64_t prefix##_slots(const struct hl_wl_params *p)              \
    {                                                                         \
        struct churn_shape c = prefix##_shape(p);                             \
        return c.pinned + c.level;                                            \
    }                                                                         \
    static size_t prefix##_scratch(const struct hl_wl_params *p)              \
    {                                                                         \
        return wl_set_bytes(prefix##_slots(p));                               \
    }                                                                         \
    static uint64_t prefix##_total(const struct hl_wl_params *p)              \
    {                                                                         \
        struct churn_shape c = prefix##_shape(p);                             \
        return churn_total(&c);                                               \
    }                                                                         \
    static void prefix##_start(struct hl_wl_gen *g)                           \
    {                                                                         \
        struct churn_shape c = prefix##_shape(&g->p);                         \
        churn_start(g, &c);                                                   \
    }                                                                         \
    static bool prefix##_next(struct hl_wl_gen *g, struct hl_op *op)          \
    {                                                                         \
        struct churn_shape c = prefix##_shape(&g->p);                         \
        return churn_next(g, op, &c, prefix##_size);                          \
    }

#define CHURN_OPS(prefix)                                                     \
    .slots = prefix##_slots, .scratch_bytes = prefix##_scratch,               \
    .total_ops = prefix##_total, .start = prefix##_start,                     \
    .next = prefix##_next

/* Parameters every churn workload declares. */
#define P_LIVE(d)                                                             \
    { "live", "blocks", "steady live set during the churn", (d), 1,          \
      (uint64_t)1 << 22 }
#define P_OPS                                                                 \
    { "ops", "steps", "churn steps (one free + one alloc each)", 100000, 0,  \
      (uint64_t)1 << 40 }
#define P_BYTES(n, s, d)                                                      \
    { (n), "bytes", (s), (d), 1, WL_POW_MAX_BYTES }

/* ---- churn-fixed, churn-uniform, churn-powerlaw -------------------------- */

enum { CH_LIVE, CH_OPS, CH_MIN, CH_MAX }; /* churn-fixed: CH_MIN is size */

static struct churn_shape ch_shape(const struct hl_wl_params *p)
{
    return (struct churn_shape){0, p->v[CH_LIVE], p->v[CH_OPS]};
}
#define fixed_shape ch_shape
#define uniform_shape ch_shape
#define powerlaw_shape ch_shape

static void ch_scale(struct hl_wl_params *p, uint64_t ops)
{
    wl_scale_churn(p->v[CH_LIVE], ops, &p->v[CH_LIVE], &p->v[CH_OPS]);
}

static uint64_t fixed_size(struct hl_wl_gen *g) { return g->p.v[CH_MIN]; }
static uint64_t uniform_size(struct hl_wl_gen *g)
{
    return wl_size_uniform(g, g->p.v[CH_MIN], g->p.v[CH_MAX]);
}
static uint64_t powerlaw_size(struct hl_wl_gen *g)
{
    return wl_size_powerlaw(g, g->p.v[CH_MIN], g->p.v[CH_MAX]);
}

CHURN_VTABLE(fixed)
CHURN_VTABLE(uniform)
CHURN_VTABLE(powerlaw)

const struct wl_def wl_churn_fixed = {
    .pub = {
        .name = "churn-fixed",
        .summary = "one size; random free + alloc at a steady live set",
        .family = HL_FAMILY_HEAP,
        .nparams = 3,
        .params = {P_LIVE(10000), P_OPS,
                   P_BYTES("size", "the one request size", 64)},
        CHURN_OPS(fixed),
    },
    .scale = ch_scale,
};

const struct wl_def wl_churn_uniform = {
    .pub = {
        .name = "churn-uniform",
        .summary = "sizes uniform in [min, max]; random free + alloc at a "
                   "steady live set",
        .family = HL_FAMILY_HEAP,
        .nparams = 4,
        .params = {P_LIVE(10000), P_OPS,
                   P_BYTES("min", "smallest request", 16),
                   P_BYTES("max", "largest request", 1024)},
        CHURN_OPS(uniform),
    },
    .scale = ch_scale,
};

const struct wl_def wl_churn_powerlaw = {
    .pub = {
        .name = "churn-powerlaw",
        .summary = "small-heavy sizes (density 1/s^2 on [min, max]); random "
                   "free + alloc at a steady live set",
        .family = HL_FAMILY_HEAP,
        .nparams = 4,
        .params = {P_LIVE(10000), P_OPS,
                   P_BYTES("min", "smallest request", 4),
                   P_BYTES("max", "largest request (exclusive unless = min)",
                           32768)},
        CHURN_OPS(powerlaw),
    },
    .scale = ch_scale,
};

/* ---- plateau --------------------------------------------------------------- */

enum { PL_LIVE, PL_TEMP, PL_OPS, PL_MIN, PL_MAX };

static struct churn_shape plateau_shape(const struct hl_wl_params *p)
{
    return (struct churn_shape){p->v[PL_LIVE], p->v[PL_TEMP], p->v[PL_OPS]};
}

static uint64_t plateau_size(struct hl_wl_gen *g)
{
    return wl_size_powerlaw(g, g->p.v[PL_MIN], g->p.v[PL_MAX]);
}

static void plateau_scale(struct hl_wl_params *p, uint64_t ops)
{
    uint64_t build = p->v[PL_LIVE] + p->v[PL_TEMP], nb;
    wl_scale_churn(build, ops, &nb, &p->v[PL_OPS]);
    if (nb < build) { /* shrink both, keeping their ratio roughly */
        uint64_t temp = p->v[PL_TEMP] * nb / build;
        p->v[PL_TEMP] = temp ? temp : 1;
        p->v[PL_LIVE] = nb > p->v[PL_TEMP] ? nb - p->v[PL_TEMP] : 1;
    }
}

CHURN_VTABLE(plateau)

const struct wl_def wl_plateau = {
    .pub = {
        .name = "plateau",
        .summary = "fast ramp to a long-lived plateau, long churn of "
                   "short-lived blocks on top, then drain; mixed sizes",
        .family = HL_FAMILY_HEAP,
        .nparams = 5,
        .params = {{"live", "blocks", "long-lived plateau blocks (freed by "
                    "the drain only)", 10000, 1, (uint64_t)1 << 22},
                   {"temp", "blocks", "short-lived blocks churning on top",
                    1000, 1, (uint64_t)1 << 22},
                   P_OPS,
                   P_BYTES("min", "smallest request", 16),
                   P_BYTES("max", "largest request (exclusive unless = min)",
                           4096)},
        CHURN_OPS(plateau),
    },
    .scale = plateau_scale,
};

/* ---- frames-churn ---------------------------------------------------------- */

enum { FC_FRAMES, FC_OCCUPANCY, FC_OPS };

/* Live frames: occupancy % of frames, rounded down, at least 1.
 * frames <= 2^20 and occupancy <= 100, so 32-bit arithmetic suffices (no
 * 64-bit division on i386). */
static uint64_t fc_level(uint64_t frames, uint64_t occupancy)
{
    uint32_t level = (uint32_t)(frames * occupancy) / 100u;
    return level ? level : 1;
}

static struct churn_shape fc_shape(const struct hl_wl_params *p)
{
    return (struct churn_shape){
        0, fc_level(p->v[FC_FRAMES], p->v[FC_OCCUPANCY]), p->v[FC_OPS]};
}

static uint64_t fc_size(struct hl_wl_gen *g)
{
    (void)g;
    return HL_FRAME_BYTES;
}

static void fc_scale(struct hl_wl_params *p, uint64_t ops)
{
    uint64_t level = fc_level(p->v[FC_FRAMES], p->v[FC_OCCUPANCY]), nl;
    wl_scale_churn(level, ops, &nl, &p->v[FC_OPS]);
    if (nl < level) { /* fewer frames at the same occupancy */
        uint64_t occ = p->v[FC_OCCUPANCY];
        p->v[FC_FRAMES] = (nl * 100 + occ - 1) / occ;
    }
}

CHURN_VTABLE(fc)

/* Every live frame at once, the fill's peak. */
static uint64_t fc_peak_frames(const struct hl_wl_params *p)
{
    return fc_level(p->v[FC_FRAMES], p->v[FC_OCCUPANCY]) * HL_FRAME_BYTES;
}

const struct wl_def wl_frames_churn = {
    .pub = {
        .name = "frames-churn",
        .summary = "single 4 KiB frames: fill to an occupancy, random free + "
                   "alloc, drain",
        .family = HL_FAMILY_FRAME,
        .nparams = 3,
        .params = {{"frames", "frames", "frames of the region the occupancy "
                    "refers to", 65536, 1, (uint64_t)1 << 20},
                   {"occupancy", "%", "frames live during the churn", 99, 1,
                    100},
                   P_OPS},
        CHURN_OPS(fc),
        .peak_frame_bytes = fc_peak_frames,
    },
    .scale = fc_scale,
};

/* ---- frames-orders --------------------------------------------------------- */

enum { FO_LIVE, FO_OPS, FO_MAX_ORDER };

static struct churn_shape fo_shape(const struct hl_wl_params *p)
{
    return (struct churn_shape){0, p->v[FO_LIVE], p->v[FO_OPS]};
}

static uint64_t fo_size(struct hl_wl_gen *g)
{
    unsigned order = wl_order_geometric(g, (unsigned)g->p.v[FO_MAX_ORDER]);
    return (uint64_t)HL_FRAME_BYTES << order;
}

static void fo_scale(struct hl_wl_params *p, uint64_t ops)
{
    wl_scale_churn(p->v[FO_LIVE], ops, &p->v[FO_LIVE], &p->v[FO_OPS]);
}

CHURN_VTABLE(fo)

/* At most every live run at the largest order. */
static uint64_t fo_peak_frames(const struct hl_wl_params *p)
{
    return p->v[FO_LIVE] * ((uint64_t)HL_FRAME_BYTES << p->v[FO_MAX_ORDER]);
}

const struct wl_def wl_frames_orders = {
    .pub = {
        .name = "frames-orders",
        .summary = "power-of-two runs of frames (order k with probability "
                   "~2^-k); random free + alloc at a steady live set",
        .family = HL_FAMILY_FRAME,
        .nparams = 3,
        .params = {P_LIVE(4096), P_OPS,
                   {"max_order", "order", "largest run: 4096 << max_order "
                    "bytes", 4, 0, 10}},
        CHURN_OPS(fo),
        .peak_frame_bytes = fo_peak_frames,
    },
    .scale = fo_scale,
};
