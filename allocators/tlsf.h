/*
 * tlsf.h — Two-Level Segregated Fit (registry name "tlsf"), after the
 * description in Masmano, Ripoll, Crespo & Real, "TLSF: a New Dynamic
 * Memory Allocator for Real-Time Systems", ECRTS 2004.  Written for
 * heaplab from the paper's description.
 *
 * Free blocks sit on segregated lists indexed by two levels: the first
 * level fl is the power of two of the size, the second level sl splits
 * each power-of-two range into TLSF_SL_COUNT equal parts.  One bitmap per
 * level says which lists are non-empty, so alloc finds a list whose every
 * block fits with two find-first-set operations, and alloc and free are
 * O(1) with a bounded worst case (no loop depends on the number of blocks
 * or the arena size).  Good fit, immediate coalescing with both physical
 * neighbours (boundary tags: prev_phys is valid when the previous block
 * is free), split on alloc.
 *
 * Size mapping (ALIGN 16, TLSF_SL_LOG2 4: 16 second-level lists):
 *   size < 256:  fl = 0, sl = size / 16                 (linear, exact)
 *   size >= 256: f = floor(log2(size)), fl = f - 7,
 *                sl = (size >> (f - 4)) - 16
 *   e.g. 1000 = 0b1111101000: f = 9, fl = 2, sl = (1000 >> 5) - 16 = 15,
 *   the list of sizes 992..1023.  A request first rounds up to the next
 *   list boundary (1000 -> 1023 -> fl 2, sl 15 still; 1001 -> 1024 +31 ->
 *   fl 3, sl 0), so that any block on the list found fits ("good fit").
 *
 * Arena map:
 *
 *   base                                                        base + bytes
 *   | slack | hdr | payload ... | hdr | payload ... | ... | sentinel hdr | slack |
 *           ^arena_addr (16-aligned)                        size 0, used
 *
 *   hdr = {prev_phys, size_flags}, 16 bytes on both targets; a free
 *   block's payload starts with {next_free, prev_free} (the only bytes of
 *   a free block not poisoned at level >= 2).  Blocks tile the arena; the
 *   sentinel ends the physical walk.
 *
 * Accounting as the seed heap's: meta = slack + sentinel header; held =
 * meta + used blocks with their headers; free = free blocks with their
 * headers; largest_free = the largest free payload.  Blocks never exceed
 * TLSF_MAX_BLOCK_BYTES; a larger arena is used up to that size and the
 * rest counted as meta.
 *
 * Checked builds validate a free by walking the physical blocks (O(n),
 * as firstfit's validation does): the O(1) bound is a release-build
 * property.
 */
#ifndef HEAPLAB_TLSF_H
#define HEAPLAB_TLSF_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/util.h"

#define TLSF_ALIGN_SHIFT 4u
#define TLSF_SL_LOG2 4u
#define TLSF_SL_COUNT (1u << TLSF_SL_LOG2)
/* Sizes below this are mapped linearly into fl 0. */
#define TLSF_SMALL_BYTES ((size_t)1 << (TLSF_SL_LOG2 + TLSF_ALIGN_SHIFT))
/* First-level lists: fl 0 (small) and one per power of two 2^8 .. 2^30. */
#define TLSF_FL_COUNT 24u
/* The largest block payload: every size maps below TLSF_FL_COUNT. */
#define TLSF_MAX_BLOCK_BYTES                                                 \
    (((size_t)1 << (TLSF_FL_COUNT + TLSF_SL_LOG2 + TLSF_ALIGN_SHIFT - 1)) - \
     HL_HEAP_ALIGN)
#define TLSF_MIN_PAYLOAD_BYTES HL_HEAP_ALIGN

/* Flags in the low bits of size_flags (sizes are multiples of 16). */
#define TLSF_F_FREE ((size_t)1)      /* this block is free */
#define TLSF_F_PREV_FREE ((size_t)2) /* the previous physical block is */
#define TLSF_F_MASK ((size_t)3)

/* A block header.  prev_phys is valid only while TLSF_F_PREV_FREE is set
 * (it is written when the previous block becomes free). */
struct tlsf_block {
    alignas(HL_HEAP_ALIGN) struct tlsf_block *prev_phys;
    size_t size_flags; /* payload bytes | flags */
};

/* What a free block keeps at the start of its payload. */
struct tlsf_links {
    struct tlsf_block *next_free, *prev_free;
};

#define TLSF_HEADER_BYTES (sizeof(struct tlsf_block))
#define TLSF_LINK_BYTES (sizeof(struct tlsf_links))

_Static_assert(sizeof(struct tlsf_block) == HL_HEAP_ALIGN,
               "a header is 16 bytes on ILP32 and LP64: payloads stay "
               "16-aligned");
_Static_assert(sizeof(struct tlsf_links) <= TLSF_MIN_PAYLOAD_BYTES,
               "the smallest free block holds its list links");
_Static_assert(TLSF_SL_COUNT <= 32 && TLSF_FL_COUNT <= 32,
               "each level's bitmap is one 32-bit word");
_Static_assert(TLSF_FL_COUNT + TLSF_SL_LOG2 + TLSF_ALIGN_SHIFT - 1 < 32,
               "the largest block size fits in a 32-bit size_t");

struct tlsf {
    uintptr_t region_addr;
    size_t region_bytes;
    uintptr_t arena_addr;         /* the first block */
    uintptr_t sentinel_addr;      /* the sentinel header, the arena's end */
    uint32_t fl_bitmap;           /* bit fl: some sl list of fl non-empty */
    uint32_t sl_bitmap[TLSF_FL_COUNT];
    struct tlsf_block *heads[TLSF_FL_COUNT][TLSF_SL_COUNT];
    size_t used_bytes;            /* used blocks with their headers */
    size_t live_bytes, live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

extern const struct hl_allocator hl_tlsf;

/* Take over [base, base + bytes).  HL_E_REGION if it cannot hold a block
 * of TLSF_MIN_PAYLOAD_BYTES plus the sentinel. */
enum hl_status tlsf_init(struct tlsf *t, void *base, size_t bytes);
/* A 16-aligned block of at least `bytes` bytes, or NULL.  O(1). */
void *tlsf_alloc(struct tlsf *t, size_t bytes);
/* Give back a block from tlsf_alloc(t, bytes).  O(1) (checked builds:
 * O(blocks) validation first). */
enum hl_status tlsf_free(struct tlsf *t, void *ptr, size_t bytes);
void tlsf_stats(const struct tlsf *t, struct hl_stats *out);
/* Count violations: the physical tiling (alignment, sizes, flags,
 * prev_phys, no two free neighbours, the sentinel), the lists (each free
 * block on the list its size maps to, once, links both ways), the bitmaps
 * (a bit set iff its list is non-empty) and the counters.  O(blocks). */
size_t tlsf_check(const struct tlsf *t, struct hl_violation *first);

/* The (fl, sl) list a free block of `size_bytes` goes on (for tests).
 * pre: TLSF_MIN_PAYLOAD_BYTES <= size_bytes <= TLSF_MAX_BLOCK_BYTES. */
void tlsf_mapping(size_t size_bytes, unsigned *fl, unsigned *sl);

#endif /* HEAPLAB_TLSF_H */
