/*
 * firstfit_lifo.c — the seed's first-fit heap with the LIFO first-fit policy (registry
 * name "firstfit-lifo"): firstfit.c's block layout, list, splitting and
 * coalescing, checks and accounting; only the choice of block differs
 * (firstfit.h, "Fit policies").  First fit over a free list in
 * LIFO order (Johnstone & Wilson, ISMM 1998), not in address order.
 */
#include "allocators/firstfit_lifo.h"

/* A preset: firstfit-seed with policy=FFH_FIRST_LIFO fixed; split_bytes stays a
 * parameter. */
static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    return ffh_vt_init_policy(state, base, bytes, p, FFH_FIRST_LIFO, 0);
}

const struct hl_allocator hl_firstfit_lifo = {
    .name = "firstfit-lifo",
    .summary = "the seed heap with first fit over a LIFO free list (Johnstone & Wilson 1998), O(n) alloc and free",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_FREE_SIZE_EXACT,
    .state_bytes = sizeof(struct ffh_heap),
    .align_bytes = HL_HEAP_ALIGN,
    .nparams = 1,
    .params = {FFH_SPLIT_PARAM},
    .init = vt_init,
    .alloc = ffh_vt_alloc,
    .free = ffh_vt_free,
    .stats = ffh_vt_stats,
    .reclaim = NULL,
    .check = ffh_vt_check,
};
