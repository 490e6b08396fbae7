/*
 * bestfit.h — the first-fit heap with the best-fit policy (registry name
 * "bestfit"); the state is a struct ffh_heap (firstfit.h).
 */
#ifndef HEAPLAB_BESTFIT_H
#define HEAPLAB_BESTFIT_H

#include "allocators/firstfit.h"

extern const struct hl_allocator hl_bestfit;

#endif /* HEAPLAB_BESTFIT_H */
