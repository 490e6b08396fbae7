/*
 * nextfit.h — the first-fit heap with the next-fit policy (registry name
 * "nextfit"); the state is a struct ffh_heap (firstfit.h).
 */
#ifndef HEAPLAB_NEXTFIT_H
#define HEAPLAB_NEXTFIT_H

#include "allocators/firstfit.h"

extern const struct hl_allocator hl_nextfit;

#endif /* HEAPLAB_NEXTFIT_H */
