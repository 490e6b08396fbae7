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
 * Parameters (allocator variants): an allocator declares named integer
 * parameters (name, unit, default, range, one-line summary) exactly as a
 * workload does; init receives a parameter set (struct hl_al_params, one
 * uint64_t per parameter, by declaration index), validated by the caller
 * (hl_al_validate).  Every parameter at its default is the allocator as it
 * always was.  An allocator reads its parameters once, in init, into its
 * state: never on the fast path.  A preset is a registered allocator that
 * is another with some parameters fixed (bestfit = the seed heap with
 * policy=2), so that common variants keep short names.  Canonical text:
 * "name=value,..." in declaration order, every parameter ("" if none).
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

#include "allocators/param.h"
#include "allocators/port.h"

enum hl_family {
    HL_FAMILY_FRAME = 0,
    HL_FAMILY_HEAP = 1,
    HL_FAMILY_VM = 2, /* page-level workloads (workloads/vm.h); its
                         "allocators" are mapping kinds (bench/core/vmpass.h) */
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

/* The most parameters an allocator declares. */
#define HL_AL_MAX_PARAMS HL_PARAM_MAX

/* A parameter set: v[i] is the value of the allocator's params[i]. */
struct hl_al_params {
    uint64_t v[HL_AL_MAX_PARAMS];
};

struct hl_allocator {
    const char *name;    /* registry name, e.g. "firstfit-seed" */
    const char *summary; /* one line for `heaplab list` */
    enum hl_family family;
    unsigned flags;
    size_t state_bytes; /* size of the caller-given state block */
    size_t align_bytes; /* every returned block is aligned to this */
    unsigned nparams;   /* parameters declared in params[] */
    struct hl_param params[HL_AL_MAX_PARAMS];

    /* Take over [base, base + bytes) with parameters p.  pre: state is
     * state_bytes bytes aligned to HL_STATE_ALIGN; p is non-NULL and valid
     * (hl_al_validate).  Returns HL_E_REGION if the region cannot hold the
     * allocator's metadata plus at least one block. */
    enum hl_status (*init)(void *state, void *base, size_t bytes,
                           const struct hl_al_params *p);
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

/* ---- parameters (allocators/param.c does the text) -------------------- */

/* Every parameter of a at its default (unused entries 0). */
void hl_al_defaults(const struct hl_allocator *a, struct hl_al_params *p);
/* Index of a's parameter `name`, or -1. */
int hl_al_param_index(const struct hl_allocator *a, const char *name);
/* Parse "k=v,k=v" (any subset, any order; "" or NULL: all defaults) over
 * the defaults.  0, or -1 with a static message in *err and the offending
 * text's offset in *err_at (either may be NULL). */
int hl_al_parse(const struct hl_allocator *a, const char *text,
                struct hl_al_params *p, const char **err, size_t *err_at);
/* 0 if every value is in its range; else -1, *err and *bad_index. */
int hl_al_validate(const struct hl_allocator *a, const struct hl_al_params *p,
                   const char **err, int *bad_index);
/* Canonical text ("" for an allocator without parameters); returns the
 * length, writes at most cap bytes (NUL included), like snprintf. */
size_t hl_al_format(const struct hl_allocator *a, const struct hl_al_params *p,
                    char *buf, size_t cap);
/* a->init with p, or with the defaults when p is NULL. */
enum hl_status hl_al_init(const struct hl_allocator *a, void *state,
                          void *base, size_t bytes,
                          const struct hl_al_params *p);

const char *hl_status_str(enum hl_status st);
const char *hl_family_str(enum hl_family f);

#endif /* HEAPLAB_ALLOCATOR_H */
