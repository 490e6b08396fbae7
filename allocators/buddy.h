/*
 * buddy.h — binary buddy frame allocator (registry name "buddy").
 *
 * Blocks are runs of 2^order frames, order 0..BUDDY_MAX_ORDER, aligned to
 * their own size relative to the first managed frame.  One free list per
 * order; the classic state bits (one bit per buddy pair and order, the XOR
 * of the two buddies' "free" states) decide in O(1) whether a freed
 * block's buddy is free too, and the pair coalesces upward until it is not.
 *
 * Region map (all metadata at the start of the region, frames untouched):
 *
 *   base                                                      base + bytes
 *   | frame_info | link_next | link_prev | pair bits | pad | frame 0 | ... |
 *   |  u8/frame  | u32/frame | u32/frame | per order |     |   frames_addr  |
 *   '-------------------- meta_bytes ------------------'   '-- managed --' tail
 *
 * meta_bytes is everything but the managed frames: the tables above, the
 * padding up to the first 4096-aligned frame, and the tail slack (less
 * than a frame).  frame_info, the links and the pair bits are written only
 * by buddy.c; the managed frames are never touched (except for poison at
 * HL_CHECK_LEVEL >= 2, where init poisons them all).
 *
 * A region whose frame count is not a power of two is covered by the
 * largest aligned blocks that fit (each at most BUDDY_MAX_ORDER): 13
 * frames are [0..7] order 3, [8..11] order 2, [12] order 0.
 *
 * The order-0 cache (Linux's per-CPU page lists, one list here): with
 * pcp_cap > 0, a freed single frame goes on a LIFO stack of up to pcp_cap
 * frame numbers instead of being coalesced at once, and an order-0 alloc
 * pops that stack first; a full stack coalesces its oldest pcp_cap / 2
 * into the lists.  To the lists and head bytes, a frame on the stack is
 * allocated (an order-0 head); to stats it is free.  buddy_init leaves
 * the stack off (pcp_cap 0: slab's embedded buddy and the unit tests see
 * plain buddy behaviour); the registry's "buddy" turns it on with
 * BUDDY_PCP_SLOTS, and its reclaim() empties it, after which the lists
 * are exactly those of a buddy without it.  Placement stays deterministic.
 *
 * Costs: alloc and free O(max_order) (order 0 from or to the stack: O(1));
 * check O(nframes + pcp_cap^2); init O(nframes).
 *
 * The state is a plain struct so that callers (slab) can embed it; its
 * fields are private to buddy.c.
 */
#ifndef HEAPLAB_BUDDY_H
#define HEAPLAB_BUDDY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/util.h"

/* 2^18 frames = 1 GiB: the largest block whose size fits in 32 bits with
 * room to spare, so order arithmetic never wraps on i386. */
#define BUDDY_MAX_ORDER 18u

/* Frames the registry's buddy keeps on its order-0 stack (see above). */
#define BUDDY_PCP_SLOTS 32u

/* Metadata is written a chunk of 2^BUDDY_CHUNK_ORDER frames at a time, when
 * a block of the chunk is first split below the chunk's order: a region's
 * frame table and low-order pair bits cost pages only where it is used
 * (buddy.c, "Chunks"). */
#define BUDDY_CHUNK_ORDER 10u
/* Pair bits of orders below this are kept per chunk (whole words). */
#define BUDDY_LAZY_ORDERS (BUDDY_CHUNK_ORDER - 5u)

/* Index of "no frame" in the free-list links. */
#define BUDDY_NIL UINT32_MAX

/* Frame indices (links, free_head) count from frames_addr, not from
 * address 0, so block alignment is relative to frame 0 of the region. */
struct buddy {
    uintptr_t frames_addr;     /* address of managed frame 0 */
    uint32_t nframes;          /* managed frames */
    uint32_t max_order;        /* largest order any block can have here:
                                  min(floor(log2 nframes), order_limit) */
    uint32_t order_limit;      /* the max_order parameter, <= BUDDY_MAX_ORDER */
    uint8_t *frame_info;       /* per frame: order and state (buddy.c) */
    uint32_t *link_next;       /* per frame: free-list links, by frame index */
    uint32_t *link_prev;
    uint32_t *pair_bits[BUDDY_MAX_ORDER + 1]; /* state bits for
                                   each order o < max_order (NULL from
                                   max_order on): bit p is free(block 2p)
                                   XOR free(block 2p+1), blocks of 2^o */
    uint32_t free_head[BUDDY_MAX_ORDER + 1];  /* frame index or BUDDY_NIL */
    uint32_t free_count[BUDDY_MAX_ORDER + 1]; /* blocks on each list */
    uint32_t pcp_n;            /* frames on the order-0 stack */
    uint32_t pcp_cap;          /* its capacity in use, <= BUDDY_PCP_SLOTS */
    uint32_t pcp[BUDDY_PCP_SLOTS]; /* frame indices; pcp[pcp_n - 1] is the
                                   top */
    uint8_t *chunk_info;       /* per chunk not yet written: the info of its
                                  first frame (its others are tails) */
    uint32_t *chunk_ready;     /* per chunk: 1 once its metadata is written */
    uint32_t nchunks;
    size_t capacity_bytes;
    size_t meta_bytes;
    size_t free_frames;        /* frames on the free lists (not the stack) */
    size_t live_bytes;
    size_t live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

extern const struct hl_allocator hl_buddy;

/* The smallest max_order parameter the registry's buddy accepts: a frame
 * allocator serves runs of frames (the conformance suite asks for up to
 * 16), not single frames only.  buddy_init_limit itself takes any order. */
#define BUDDY_MIN_MAX_ORDER 4u

/* Take over [base, base + bytes).  pre: b points to a struct buddy. */
enum hl_status buddy_init(struct buddy *b, void *base, size_t bytes);
/* The same with no block above order_limit (<= BUDDY_MAX_ORDER, else
 * HL_E_REGION): the registry's max_order parameter.  buddy_init is
 * buddy_init_limit(b, base, bytes, BUDDY_MAX_ORDER). */
enum hl_status buddy_init_limit(struct buddy *b, void *base, size_t bytes,
                                unsigned order_limit);

/* A block of 2^order frames, or NULL.  pre: order <= BUDDY_MAX_ORDER. */
void *buddy_alloc_order(struct buddy *b, unsigned order);

/* Give back a block from buddy_alloc_order with the same order.  Checked
 * builds refuse (report, state unchanged) a pointer outside the frames
 * (HL_E_FOREIGN), not the start of a live block (HL_E_INTERIOR), inside a
 * free block (HL_E_DOUBLE_FREE) or with another order (HL_E_SIZE). */
enum hl_status buddy_free_order(struct buddy *b, void *block, unsigned order);

/* The byte view used by the registry: bytes -> order of the smallest
 * power-of-two run of frames that holds them.  live_bytes counts the bytes
 * requested here, 0 counting as 1 (buddy_alloc_order counts 4096 << order);
 * free a block through the same view that allocated it. */
void *buddy_alloc(struct buddy *b, size_t bytes);
enum hl_status buddy_free(struct buddy *b, void *block, size_t bytes);

/* The order-0 stack's capacity: 0 (off, buddy_init's default) up to
 * BUDDY_PCP_SLOTS.  Empties the stack into the lists first. */
void buddy_set_pcp(struct buddy *b, unsigned slots);
/* Empty the order-0 stack into the lists (coalescing). */
void buddy_reclaim(struct buddy *b);

void buddy_stats(const struct buddy *b, struct hl_stats *out);
size_t buddy_check(const struct buddy *b, struct hl_violation *first);

/* The order buddy_alloc uses for a request of `bytes` (0 counts as 1), or
 * BUDDY_MAX_ORDER + 1 if no block can be that large. */
unsigned buddy_order_for_bytes(size_t bytes);

/* Start address of the order-`order` block that contains addr.
 * pre: addr lies in the managed frames. */
static inline uintptr_t buddy_block_of(const struct buddy *b, uintptr_t addr,
                                       unsigned order)
{
    uintptr_t off = addr - b->frames_addr;
    uintptr_t block_bytes = (uintptr_t)HL_FRAME_BYTES << order;
    return b->frames_addr + (off & ~(block_bytes - 1));
}

#endif /* HEAPLAB_BUDDY_H */
