/*
 * registry.c — every freestanding allocator, in the order `heaplab list`
 * shows them.  Adding an allocator: include its header, add one line.
 */
#include "allocators/allocator.h"

#include "allocators/bitmap_fast.h"
#include "allocators/bitmap_seed.h"
#include "allocators/buddy.h"
#include "allocators/bump.h"
#include "allocators/bestfit.h"
#include "allocators/firstfit.h"
#include "allocators/firstfit_lifo.h"
#include "allocators/nextfit.h"
#include "allocators/slab.h"
#include "allocators/tlsf.h"

const struct hl_allocator *const hl_allocators[] = {
    &hl_bitmap_seed,
    &hl_bitmap_fast,
    &hl_buddy,
    &hl_firstfit_seed,
    &hl_nextfit,
    &hl_bestfit,
    &hl_firstfit_lifo,
    &hl_slab,
    &hl_tlsf,
    &hl_bump,
    NULL,
};

const struct hl_allocator *hl_allocator_find(const char *name)
{
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++)
        if (hl_streq((*a)->name, name))
            return *a;
    return NULL;
}

const char *hl_status_str(enum hl_status st)
{
    switch (st) {
    case HL_OK: return "ok";
    case HL_E_REGION: return "region too small or misaligned";
    case HL_E_FOREIGN: return "foreign pointer";
    case HL_E_INTERIOR: return "interior pointer";
    case HL_E_DOUBLE_FREE: return "double free";
    case HL_E_SIZE: return "wrong size";
    }
    return "unknown status";
}

const char *hl_family_str(enum hl_family f)
{
    return f == HL_FAMILY_FRAME ? "frame" : f == HL_FAMILY_VM ? "vm" : "heap";
}
