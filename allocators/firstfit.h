/*
 * firstfit.h — the seed's first-fit kernel heap (registry name
 * "firstfit-seed"), with its errata fixed (docs/seed-errata.md, 5..8).
 *
 * This is the baseline whose linear costs the figures show, so the seed's
 * algorithm is kept as it is: ONE singly linked list of ALL blocks, used
 * and free, in address order; alloc walks it from the start and takes the
 * first free block that fits (O(n) in blocks), splitting off the rest when
 * the rest can hold a header plus split_bytes (a parameter, default
 * FFH_MIN_PAYLOAD_BYTES); free merges with
 * the next block directly and finds the previous block by walking from the
 * start (O(n)).  check() and stats() walk the list too (O(n)).
 *
 * Arena map (headers live in the arena, the state block holds the rest):
 *
 *   base                                                      base + bytes
 *   | slack | hdr | payload ... | hdr | payload ... | ... | hdr | ... | slack |
 *   '-meta-'^arena_addr (16-aligned)                      arena_end^ '-meta-'
 *
 *   every block = FFH_HEADER_BYTES + size_bytes; the blocks tile
 *   [arena_addr, arena_end) exactly, so block->next is always the address
 *   just past the block's payload (or NULL for the last block).
 *
 * Accounting: meta_bytes = the slack at both ends; held_bytes = meta +
 * used blocks with their headers; free_bytes = free blocks with their
 * headers (so a drained heap, one free block, reports what init did);
 * largest_free_bytes = the largest free block's payload.  A request of 0
 * bytes is served (and counted in live_bytes) as a request of 1.
 *
 * Fit policies.  The same block layout, list and code serve the seed and
 * three policies that papers compare (Wilson, Johnstone, Neely & Boles,
 * IWMM 1995; Johnstone & Wilson, ISMM 1998), chosen by a field of the
 * heap (ffh_init_policy) and registered by thin descriptors of their own
 * (nextfit.c, bestfit.c, firstfit_lifo.c):
 *   FFH_FIRST_FIT   "firstfit-seed": the first free block from the list's
 *                   start (address order);
 *   FFH_NEXT_FIT    "nextfit": the first free block from where the last
 *                   search stopped (the rover), wrapping around;
 *   FFH_BEST_FIT    "bestfit": the smallest free block that fits (the
 *                   first of equals in address order), exact fits end the
 *                   search;
 *   FFH_FIRST_LIFO  "firstfit-lifo": the first block that fits on a
 *                   separate free list kept in LIFO order: a freed block
 *                   (after coalescing) goes to the front, a split block's
 *                   rest keeps its place.  The link lives in the header's
 *                   padding (free_next), so the layout does not change.
 * Splitting, coalescing, checks and accounting are the same for all four.
 *
 * The state is a plain struct so tests can look at the list; its fields are
 * private to firstfit.c.
 */
#ifndef HEAPLAB_FIRSTFIT_H
#define HEAPLAB_FIRSTFIT_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/util.h"

/* The seed's free flag, as two magic words, so that check() and checked
 * frees tell a trampled header from a block in either state. */
#define FFH_MAGIC_FREE 0xF4EEB10Cu
#define FFH_MAGIC_USED 0x05EDB10Cu

/*
 * A block header: the seed's {size, is_free, next}.  Its size is a multiple
 * of HL_HEAP_ALIGN (erratum 5: the seed's 12-byte header on i386 put
 * payloads on 4-byte boundaries), so headers and payloads stay 16-aligned
 * when the arena start is:
 *   ILP32: 4 + 4 + 4 (+4 pad) = 16 bytes     LP64: 8 + 8 + 4 (+12 pad) = 32
 */
struct ffh_block {
    alignas(HL_HEAP_ALIGN) size_t size_bytes; /* payload; multiple of 16 */
    struct ffh_block *next; /* next block in address order, NULL at the end */
    uint32_t magic;         /* FFH_MAGIC_FREE or FFH_MAGIC_USED */
    /* In the header's padding: 12..15 on ILP32, 24..31 on LP64. */
    union {
        /* Free blocks (FFH_FIRST_LIFO only; NULL otherwise): the next
         * block on the LIFO free list (NULL at its end). */
        struct ffh_block *free_next;
        /* Used blocks, checked builds (HL_CHECK_LEVEL >= 1): the size
         * alloc was asked for (0 counted as 1), so that free refuses any
         * other (HL_F_FREE_SIZE_EXACT); release builds leave it alone. */
        size_t asked_bytes;
    };
};

#define FFH_HEADER_BYTES (sizeof(struct ffh_block))
/* No block (used or free) has a smaller payload than this. */
#define FFH_MIN_PAYLOAD_BYTES HL_HEAP_ALIGN

_Static_assert(sizeof(struct ffh_block) % HL_HEAP_ALIGN == 0,
               "payloads must stay 16-aligned behind a header");
_Static_assert(sizeof(struct ffh_block) == (sizeof(void *) == 4 ? 16 : 32),
               "header is 16 bytes on ILP32, 32 on LP64");
_Static_assert(sizeof(size_t) == sizeof(uintptr_t),
               "addresses and sizes share a width on both targets");

enum ffh_policy {
    FFH_FIRST_FIT = 0,
    FFH_NEXT_FIT = 1,
    FFH_BEST_FIT = 2,
    FFH_FIRST_LIFO = 3,
    FFH_NPOLICIES = 4,
};

struct ffh_heap {
    struct ffh_block *head; /* first block, == arena_addr */
    uint32_t policy;        /* enum ffh_policy */
    size_t split_min_bytes; /* a block is split when the rest is at least
                               this (header included): FFH_HEADER_BYTES +
                               the split_bytes parameter */
    const char *name;       /* the registry name, for reports */
    struct ffh_block *rover; /* FFH_NEXT_FIT: where the next search starts
                                (a block header, or NULL for the head) */
    struct ffh_block *free_head; /* FFH_FIRST_LIFO: the LIFO free list */
    uintptr_t region_addr;  /* as given to init */
    size_t region_bytes;
    uintptr_t arena_addr; /* region start rounded up to 16 */
    uintptr_t arena_end;  /* region end rounded down to 16 */
    size_t used_bytes;    /* headers + payloads of used blocks */
    size_t live_bytes;    /* requested bytes of live blocks (0 counted as 1) */
    size_t live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

extern const struct hl_allocator hl_firstfit_seed;

/* Take over [base, base + bytes).  HL_E_REGION if, after aligning both ends
 * to 16, it cannot hold one header plus FFH_MIN_PAYLOAD_BYTES (erratum 8:
 * the seed's constructor computed `size - HEADER_SIZE` and wrapped). */
enum hl_status ffh_init(struct ffh_heap *h, void *base, size_t bytes);
/* The same with another fit policy (ffh_init is FFH_FIRST_FIT). */
enum hl_status ffh_init_policy(struct ffh_heap *h, void *base, size_t bytes,
                               enum ffh_policy policy);

/* First fit: a 16-aligned block of at least `bytes` bytes, or NULL.
 * O(blocks).  Never wraps on huge requests (erratum 6). */
void *ffh_alloc(struct ffh_heap *h, size_t bytes);

/* Give back a block from ffh_alloc(h, bytes); merges with both neighbours.
 * O(blocks).  Checked builds validate it first (erratum 7). */
enum hl_status ffh_free(struct ffh_heap *h, void *ptr, size_t bytes);

void ffh_stats(const struct ffh_heap *h, struct hl_stats *out);

/* Walk the list and count violations of: arena bounds, header magic, block
 * size (multiple of 16, at least the minimum, inside the arena), the list
 * being the address-ordered tiling of the arena, free neighbours being
 * coalesced, and the counters agreeing with the list.  O(blocks). */
size_t ffh_check(const struct ffh_heap *h, struct hl_violation *first);

/* Split a block only when the rest has at least split_bytes of payload
 * (at least FFH_MIN_PAYLOAD_BYTES; the default).  The split_bytes
 * parameter of every fit-policy descriptor. */
void ffh_set_split(struct ffh_heap *h, size_t split_bytes);

/* The split_bytes parameter, as every fit-policy descriptor declares it. */
#define FFH_SPLIT_BYTES_MAX ((uint64_t)1 << 16)
#define FFH_SPLIT_PARAM                                                       \
    {"split_bytes", "bytes",                                                  \
     "split a free block only if the rest keeps this much payload (else "     \
     "the whole block is used)",                                              \
     FFH_MIN_PAYLOAD_BYTES, FFH_MIN_PAYLOAD_BYTES, FFH_SPLIT_BYTES_MAX}

/* A descriptor's init: ffh_init_policy(policy), then ffh_set_split with
 * p->v[split_index]. */
enum hl_status ffh_vt_init_policy(void *state, void *base, size_t bytes,
                                  const struct hl_al_params *p, unsigned policy,
                                  unsigned split_index);

/* The vtable's functions on a struct ffh_heap, for the fit-policy
 * descriptors (each supplies only its init). */
void *ffh_vt_alloc(void *state, size_t bytes);
enum hl_status ffh_vt_free(void *state, void *ptr, size_t bytes);
void ffh_vt_stats(const void *state, struct hl_stats *out);
size_t ffh_vt_check(const void *state, struct hl_violation *first);

#endif /* HEAPLAB_FIRSTFIT_H */
