/*
 * vm.c — the vm family's generators (vm.h): vm-touch and vm-remap.
 * Freestanding.  State: the PRNG and counters, and, for vm-touch in
 * random order, a permutation of the page indexes in scratch (N uint32_t).
 */
#include "workloads/vm.h"

#include "workloads/wl_internal.h"

bool hl_wl_is_vm(const struct hl_workload *w)
{
    return w && w->family == HL_FAMILY_VM;
}

uint64_t hl_vm_pages(const struct hl_wl_params *p)
{
    return p->v[0]; /* HL_VM_TOUCH_PAGES == HL_VM_REMAP_PAGES == 0 */
}
_Static_assert(HL_VM_TOUCH_PAGES == 0 && HL_VM_REMAP_PAGES == 0, "pages is parameter 0");

/* Emit a vm op of `kind` on `page`. */
static bool vm_emit(struct hl_wl_gen *g, struct hl_op *op, uint8_t kind, uint64_t page)
{
    wl_emit(g, op, HL_OP_FREE, page, 0);
    op->kind = kind;
    return true;
}

/* A slot per page (nothing in a vm cell uses slots; the count is honest). */
static uint64_t vm_slots(const struct hl_wl_params *p)
{
    return p->v[0];
}

/* The region: N pages of 4 KiB. */
static uint64_t vm_region(const struct hl_wl_params *p)
{
    return p->v[0] * HL_VM_PAGE_BYTES;
}

/* ---- vm-touch -------------------------------------------------------------
 *
 * g->i: pass, g->j: position in the pass.  Random order: perm[] holds a
 * permutation of 0..N-1, shuffled again (Fisher-Yates, the stream's
 * PRNG) at the start of each pass, so pass k's order depends on the seed
 * and k only.
 */

static size_t touch_scratch(const struct hl_wl_params *p)
{
    return p->v[HL_VM_TOUCH_ORDER] == HL_VM_ORDER_RANDOM
               ? (size_t)p->v[HL_VM_TOUCH_PAGES] * sizeof(uint32_t)
               : 8;
}

static uint64_t touch_total(const struct hl_wl_params *p)
{
    return p->v[HL_VM_TOUCH_PAGES] * p->v[HL_VM_TOUCH_PASSES];
}

static void touch_start(struct hl_wl_gen *g)
{
    wl_start_common(g);
    if (g->p.v[HL_VM_TOUCH_ORDER] == HL_VM_ORDER_RANDOM) {
        uint32_t *perm = g->scratch;
        for (uint64_t i = 0; i < g->p.v[HL_VM_TOUCH_PAGES]; i++)
            perm[i] = (uint32_t)i;
    }
}

static void touch_shuffle(struct hl_wl_gen *g)
{
    uint32_t *perm = g->scratch;
    for (uint64_t k = g->p.v[HL_VM_TOUCH_PAGES]; k > 1; k--) {
        uint64_t j = hl_wl_rng_below(g->rng, k);
        uint32_t t = perm[k - 1];
        perm[k - 1] = perm[j];
        perm[j] = t;
    }
}

static bool touch_next(struct hl_wl_gen *g, struct hl_op *op)
{
    uint64_t n = g->p.v[HL_VM_TOUCH_PAGES];
    if (g->j == n) {
        g->j = 0;
        g->i++;
    }
    if (g->i >= g->p.v[HL_VM_TOUCH_PASSES])
        return false;
    bool random = g->p.v[HL_VM_TOUCH_ORDER] == HL_VM_ORDER_RANDOM;
    if (random && g->j == 0)
        touch_shuffle(g);
    uint64_t page = random ? ((const uint32_t *)g->scratch)[g->j] : g->j;
    g->j++;
    return vm_emit(g, op, HL_VM_OP_TOUCH, page);
}

/* --ops: passes = ops / pages, rounded; fewer ops than pages: one pass
 * over that many pages (at least 1: the clamp). */
static void touch_scale(struct hl_wl_params *p, uint64_t ops)
{
    uint64_t n = p->v[HL_VM_TOUCH_PAGES];
    if (ops < n)
        p->v[HL_VM_TOUCH_PAGES] = n = ops ? ops : 1;
    p->v[HL_VM_TOUCH_PASSES] = ops / n + (ops % n >= (n + 1) / 2); /* rounded, no overflow */
}

const struct wl_def wl_vm_touch = {
    .pub = {
        .name = "vm-touch",
        .summary = "one word written per 4 KiB page of an N-page region, "
                   "sequential or random order, P passes (allocator: the "
                   "mapping kind)",
        .family = HL_FAMILY_VM,
        .nparams = 3,
        .params = {{"pages", "pages", "4 KiB pages of the region touched",
                    1024, 1, (uint64_t)1 << 20},
                   {"order", "0|1", "0: sequential, 1: a random "
                    "permutation per pass", 0, 0, 1},
                   {"passes", "passes", "passes over the pages", 128, 1,
                    (uint64_t)1 << 20}},
        .slots = vm_slots,
        .scratch_bytes = touch_scratch,
        .total_ops = touch_total,
        .peak_frame_bytes = vm_region,
        .start = touch_start,
        .next = touch_next,
    },
    .scale = touch_scale,
};

/* ---- vm-remap ---------------------------------------------------------------
 *
 * g->i: round; g->phase: 0 map + touch, 1 unmap (+ invlpg), 2 the round's
 * end (CR3); g->j: page; g->k: 1 between the two ops of a page's pair.
 */

static size_t remap_scratch(const struct hl_wl_params *p)
{
    (void)p;
    return 8;
}

static uint64_t remap_per_round(const struct hl_wl_params *p)
{
    uint64_t n = p->v[HL_VM_REMAP_PAGES];
    return p->v[HL_VM_REMAP_FLUSH] == HL_VM_FLUSH_CR3 ? 3 * n + 1 : 4 * n;
}

static uint64_t remap_total(const struct hl_wl_params *p)
{
    return remap_per_round(p) * p->v[HL_VM_REMAP_ROUNDS];
}

static void remap_start(struct hl_wl_gen *g)
{
    wl_start_common(g);
}

static bool remap_next(struct hl_wl_gen *g, struct hl_op *op)
{
    uint64_t n = g->p.v[HL_VM_REMAP_PAGES];
    bool cr3 = g->p.v[HL_VM_REMAP_FLUSH] == HL_VM_FLUSH_CR3;
    while (g->i < g->p.v[HL_VM_REMAP_ROUNDS]) {
        if (g->phase == 0 && g->j < n) { /* map, then touch */
            uint64_t page = g->j;
            if (g->k == 0) {
                g->k = 1;
                return vm_emit(g, op, HL_VM_OP_MAP, page);
            }
            g->k = 0;
            g->j++;
            return vm_emit(g, op, HL_VM_OP_TOUCH, page);
        }
        if (g->phase == 0) {
            g->phase = 1;
            g->j = 0;
        }
        if (g->phase == 1 && g->j < n) { /* unmap, then invlpg */
            uint64_t page = g->j;
            if (!cr3 && g->k == 0) {
                g->k = 1;
                return vm_emit(g, op, HL_VM_OP_UNMAP, page);
            }
            bool second = g->k != 0;
            g->k = 0;
            g->j++;
            return vm_emit(g, op, second ? HL_VM_OP_INVLPG : HL_VM_OP_UNMAP, page);
        }
        if (g->phase == 1) {
            g->phase = 2;
            if (cr3)
                return vm_emit(g, op, HL_VM_OP_CR3, 0);
        }
        g->phase = 0;
        g->j = 0;
        g->i++;
    }
    return false;
}

/* --ops: rounds = ops / (ops per round), rounded; fewer ops than a
 * round: one round of about ops / 4 pages (at least 1: the clamp). */
static void remap_scale(struct hl_wl_params *p, uint64_t ops)
{
    uint64_t per = remap_per_round(p);
    if (ops < per) {
        p->v[HL_VM_REMAP_PAGES] = ops / 4 ? ops / 4 : 1;
        per = remap_per_round(p);
    }
    p->v[HL_VM_REMAP_ROUNDS] = ops / per + (ops % per >= (per + 1) / 2);
}

const struct wl_def wl_vm_remap = {
    .pub = {
        .name = "vm-remap",
        .summary = "map + touch N pages, unmap them; the TLB flushed per "
                   "page (invlpg) or per round (CR3 reload); kernel only",
        .family = HL_FAMILY_VM,
        .nparams = 3,
        .params = {{"pages", "pages", "4 KiB pages mapped and unmapped per "
                    "round", 64, 1, (uint64_t)1 << 16},
                   {"rounds", "rounds", "map/unmap rounds", 512, 1,
                    (uint64_t)1 << 20},
                   {"flush", "0|1", "0: invlpg per unmapped page, 1: one "
                    "CR3 reload per round", 0, 0, 1}},
        .slots = vm_slots,
        .scratch_bytes = remap_scratch,
        .total_ops = remap_total,
        .peak_frame_bytes = vm_region,
        .start = remap_start,
        .next = remap_next,
        .host_none = "kernel only: user space has no invlpg or CR3 reload to "
                     "choose between (munmap and MADV_DONTNEED flush as the "
                     "host kernel decides)",
    },
    .scale = remap_scale,
};
