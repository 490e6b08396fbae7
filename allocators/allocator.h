/*
 * allocator.h — the one allocator interface, and the registry.
 *
 * Every allocator is one `struct hl_allocator` value: its name, family and
 * a small vtable.  Two families share the call shape:
 *
 *   frame  hands out 4 KiB frames, or runs of frames, from a region:
 *          a request of n bytes is a run of ceil(n / 4096) frames (0 counts
 *          as 1) and the result is the address of the run's first frame
 *          inside the region.  Frame allocators keep their metadata at the
 *          start of the region and never touch the frames they manage
 *          (except to poison them in checked builds), so the region may be
 *          physical memory the caller has not mapped yet.
 *   heap   hands out byte blocks from an arena; every block is aligned to
 *          `align_bytes` (HL_HEAP_ALIGN, 16).  A request of 0 bytes is
 *          served as 1 byte: the result is a unique, freeable block.
 *
 * The caller gives all memory: a state block of `state_bytes` bytes
 * (aligned to HL_STATE_ALIGN) and a region/arena.  An allocator never
 * calls malloc, never touches memory outside the two, and returns NULL
 * (counted in stats.failed_allocs) when it cannot satisfy a request.
 *
 * Free is sized: the caller passes the size it asked for, as in
 * C23 free_sized / jemalloc sdallocx.  In checked builds (HL_CHECK_LEVEL
 * >= 1) every allocator validates each free — foreign pointer, interior
 * pointer, double free, wrong size or order — reports a bad one through
 * hl_report() and returns the matching error status WITHOUT changing its
 * state.  In release builds (level 0) free trusts its arguments.
 * At level >= 2 free fills the block with HL_POISON_FREED (except what the
 * allocator keeps inside free blocks, e.g. a list link), and alloc first
 * verifies that poison on the memory it reuses, reporting "write after
 * free" through hl_report() if a byte changed, then fills the requested
 * bytes with HL_POISON_FRESH.
 *
 * Adding an allocator: one file pair in allocators/, one line in
 * registry.c.  The conformance suite (tests/test_conformance.c) runs
 * against every registered allocator automatically.
 */
#ifndef HEAPLAB_ALLOCATOR_H
#define HEAPLAB_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/port.h"

enum hl_family {
    HL_FAMILY_FRAME = 0,
    HL_FAMILY_HEAP = 1,
};

enum hl_status {
    HL_OK = 0,
    HL_E_REGION,      /* init: region too small, misaligned or too large */
    HL_E_FOREIGN,     /* free: pointer outside the region */
    HL_E_INTERIOR,    /* free: inside the region but not a block start */
    HL_E_DOUBLE_FREE, /* free: the block is already free */
    HL_E_SIZE,        /* free: size (order, run length) does not match */
};

/* Every state block is aligned to this. */
#define HL_STATE_ALIGN ((size_t)16)

/*
 * What an allocator reports about itself.  Conservation law, checked by
 * the conformance suite after every operation:
 *     held_bytes + free_bytes == capacity_bytes
 *     largest_free_bytes <= free_bytes
 *     live_bytes <= held_bytes - meta_bytes        (except bump: see flags)
 * After init, and after every block has been freed again and reclaim()
 * (if any) has run, live_*, held_bytes, free_bytes and largest_free_bytes
 * are back to their values right after init (except for allocators with
 * HL_F_NO_REUSE).
 */
struct hl_stats {
    size_t capacity_bytes;     /* region bytes given to init */
    size_t meta_bytes;         /* region bytes kept for the allocator's own
                                  structures from init on (bitmaps, tables,
                                  alignment slack at the region's ends) */
    size_t live_bytes;         /* sum of the sizes requested by live blocks
                                  (a request of 0 counts as 1: it is served
                                  as 1) */
    size_t live_blocks;        /* number of live blocks */
    size_t held_bytes;         /* region bytes not available to a new request:
                                  meta_bytes + live blocks as granted (headers,
                                  rounding) + cached empty slabs etc. */
    size_t free_bytes;         /* capacity_bytes - held_bytes */
    size_t largest_free_bytes; /* the largest free extent, in bytes, as the
                                  allocator's own structures see it */
    uint64_t allocs;           /* successful allocs */
    uint64_t frees;            /* successful frees */
    uint64_t failed_allocs;    /* allocs that returned NULL */
};

/* The first invariant violation check() found. */
struct hl_violation {
    const char *what; /* static text naming the broken invariant */
    uintptr_t addr;   /* where (a block, frame or word address), or 0 */
};

/* For check() functions: count one more violation in *count and, if it
 * is the first and first is non-NULL, describe it there. */
static inline void hl_violation_add(size_t *count, struct hl_violation *first,
                                    const char *what, uintptr_t addr)
{
    if (*count == 0 && first) {
        first->what = what;
        first->addr = addr;
    }
    (*count)++;
}

/* Flags describing an allocator's contract. */
#define HL_F_NO_REUSE 0x1u /* free never makes memory reusable (bump) */
/* Checked builds (HL_CHECK_LEVEL >= 1) record each block's asked size and
 * free refuses any other (HL_E_SIZE).  Without the flag, free refuses only
 * a size of another class, order or frame count: a slightly wrong size
 * that rounds the same is accepted and skews live_bytes by the difference
 * (docs/allocators.md, "Sized free"). */
#define HL_F_FREE_SIZE_EXACT 0x2u

struct hl_allocator {
    const char *name;    /* registry name, e.g. "firstfit-seed" */
    const char *summary; /* one line for `heaplab list` */
    enum hl_family family;
    unsigned flags;
    size_t state_bytes; /* size of the caller-given state block */
    size_t align_bytes; /* every returned block is aligned to this */

    /* Take over [base, base + bytes).  pre: state is state_bytes bytes
     * aligned to HL_STATE_ALIGN.  Returns HL_E_REGION if the region cannot
     * hold the allocator's metadata plus at least one block. */
    enum hl_status (*init)(void *state, void *base, size_t bytes);
    /* A block of at least `bytes` bytes, or NULL. */
    void *(*alloc)(void *state, size_t bytes);
    /* Give back a block; bytes is what was asked of alloc.  free(NULL, _)
     * is HL_OK and does nothing. */
    enum hl_status (*free)(void *state, void *ptr, size_t bytes);
    void (*stats)(const void *state, struct hl_stats *out);
    /* Give cached free memory back to the allocator's own backing store
     * (slab: empty slabs kept by policy go back to buddy), so that stats
     * after freeing everything equal stats after init.  NULL when the
     * allocator caches nothing. */
    void (*reclaim)(void *state);
    /* Walk every structure, verify every invariant; return the number of
     * violations found and describe the first in *first (if non-NULL). */
    size_t (*check)(const void *state, struct hl_violation *first);
};

/* The registry: every freestanding allocator, NULL-terminated. */
extern const struct hl_allocator *const hl_allocators[];

/* The registered allocator called name, or NULL. */
const struct hl_allocator *hl_allocator_find(const char *name);

const char *hl_status_str(enum hl_status st);
const char *hl_family_str(enum hl_family f);

#endif /* HEAPLAB_ALLOCATOR_H */
