/*
 * firstfit_lifo.h — the first-fit heap with the LIFO first-fit policy (registry name
 * "firstfit-lifo"); the state is a struct ffh_heap (firstfit.h).
 */
#ifndef HEAPLAB_FIRSTFIT_LIFO_H
#define HEAPLAB_FIRSTFIT_LIFO_H

#include "allocators/firstfit.h"

extern const struct hl_allocator hl_firstfit_lifo;

#endif /* HEAPLAB_FIRSTFIT_LIFO_H */
