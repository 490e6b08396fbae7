/*
 * nextfit.c — the seed's first-fit heap with the next-fit policy (registry
 * name "nextfit"): firstfit.c's block layout, list, splitting and
 * coalescing, checks and accounting; only the choice of block differs
 * (firstfit.h, "Fit policies").  Knuth's next fit: the search starts
 * where the last one stopped (the rover) and wraps around.
 */
#include "allocators/nextfit.h"

/* A preset: firstfit-seed with policy=FFH_NEXT_FIT fixed; split_bytes stays a
 * parameter. */
static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    return ffh_vt_init_policy(state, base, bytes, p, FFH_NEXT_FIT, 0);
}

const struct hl_allocator hl_nextfit = {
    .name = "nextfit",
    .summary = "the seed heap with next fit: first free block from a roving pointer, O(n) alloc and free",
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
