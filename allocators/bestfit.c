/*
 * bestfit.c — the seed's first-fit heap with the best-fit policy (registry
 * name "bestfit"): firstfit.c's block layout, list, splitting and
 * coalescing, checks and accounting; only the choice of block differs
 * (firstfit.h, "Fit policies").  The smallest free block that
 * fits, the first of equals in address order; an exact fit ends the walk.
 */
#include "allocators/bestfit.h"

/* A preset: firstfit-seed with policy=FFH_BEST_FIT fixed; split_bytes stays a
 * parameter. */
static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    return ffh_vt_init_policy(state, base, bytes, p, FFH_BEST_FIT, 0);
}

const struct hl_allocator hl_bestfit = {
    .name = "bestfit",
    .summary = "the seed heap with best fit: smallest free block that fits, O(n) alloc and free",
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
