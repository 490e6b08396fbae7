/*
 * buddy.c — binary buddy frame allocator (see buddy.h for the region map).
 *
 * Invariants (buddy_check() verifies every one of them):
 *   - Every managed frame belongs to exactly one block: a block of order o
 *     starts at a frame index i with i % 2^o == 0, i + 2^o <= nframes, and
 *     frame_info[i] is a head (order o, free or allocated) while
 *     frame_info[i + 1 .. i + 2^o - 1] are all BUDDY_INFO_TAIL.
 *   - A block is on free list o iff its head says "free, order o".  Lists
 *     are doubly linked through link_next/link_prev (frame indices, the
 *     head's prev is BUDDY_NIL) and free_count[o] is their length.
 *   - Coalescing is complete: a free block of order o < max_order never
 *     has its buddy (index i ^ 2^o) free at order o as well.
 *   - pair_bits[o], bit p, is free(2p, o) XOR free(2p + 1, o) (blocks
 *     numbered in units of 2^o frames).  Every insert into or removal from
 *     list o toggles exactly that bit, so when a block is about to be
 *     freed (not yet on a list) the bit IS its buddy's free state: O(1).
 *     A buddy that would reach past the last frame is never free.
 *   - free_frames == sum over o of free_count[o] << o.
 *
 * Worked example, 6 frames (max_order 2): init covers them with the largest
 * aligned blocks that fit, [0..3] order 2 and [4..5] order 1.  Freeing
 * [4..5] later looks at pair_bits[1] bit 1 (pair [4..5]/[6..7]); [6..7]
 * does not exist, so the bit is 0 and [4..5] stays order 1.
 *
 * Chunks: the frame table and the pair bits of orders below
 * BUDDY_LAZY_ORDERS are written a chunk (2^BUDDY_CHUNK_ORDER frames) at a
 * time, the first time a block inside the chunk is split below the chunk's
 * order (chunk_make_ready).  Until then the chunk holds no block smaller
 * than itself, so its frames' info is implied: the first frame's is in
 * chunk_info[], the others are tails, and its low-order pair bits are 0.
 * init writes O(nframes / 2^BUDDY_CHUNK_ORDER + nframes / 2^(BUDDY_LAZY_ORDERS
 * + 3)) bytes, so the pages of metadata a region costs grow with the part
 * of it in use (meta_bytes, the bytes reserved, does not change).
 *
 * Costs: alloc O(max_order), free O(max_order) (plus O(block bytes)
 * poisoning at level >= 2), a chunk's first split O(2^BUDDY_CHUNK_ORDER),
 * check O(nframes), init O(nframes / 2^BUDDY_LAZY_ORDERS) (level >= 2 also
 * poisons every frame).
 */
#include "allocators/buddy.h"

#include <stdalign.h>

/* ---- per-frame info byte ------------------------------------------------
 *
 *   bit 7  HEAD   the frame starts a block (free or allocated)
 *   bit 6  FREE   that block is on free list `order`
 *   0..4   order  of the block (heads only)
 * A frame inside a block (not its first) holds BUDDY_INFO_TAIL (0).
 */
#define BUDDY_INFO_TAIL ((uint8_t)0x00u)
#define BUDDY_INFO_HEAD ((uint8_t)0x80u)
#define BUDDY_INFO_FREE ((uint8_t)0x40u)
#define BUDDY_INFO_ORDER_BITS ((uint8_t)0x1Fu)

_Static_assert(BUDDY_MAX_ORDER <= BUDDY_INFO_ORDER_BITS,
               "an order must fit in the info byte's order field");
_Static_assert(HL_FRAME_SHIFT + BUDDY_MAX_ORDER < 32,
               "4096 << BUDDY_MAX_ORDER must fit in a 32-bit size_t");
_Static_assert(sizeof(uint32_t) == 4 && alignof(uint32_t) <= 4,
               "links and pair bits are 4-byte words");
_Static_assert(BUDDY_NIL == UINT32_MAX, "BUDDY_NIL is never a frame index");

/* The largest frame count a region may have: indices stay below BUDDY_NIL
 * and frames * 4096 never wraps on LP64 (i386 can never reach it). */
#define BUDDY_MAX_FRAMES ((size_t)1 << 31)

static const char buddy_name[] = "buddy";

static inline uint8_t info_head(unsigned order, bool is_free)
{
    return (uint8_t)(BUDDY_INFO_HEAD | (is_free ? BUDDY_INFO_FREE : 0u) |
                     order);
}

static inline bool info_is_head(uint8_t info)
{
    return (info & BUDDY_INFO_HEAD) != 0;
}

static inline bool info_is_free(uint8_t info)
{
    return (info & BUDDY_INFO_FREE) != 0;
}

static inline unsigned info_order(uint8_t info)
{
    return info & BUDDY_INFO_ORDER_BITS;
}

static inline size_t order_frames(unsigned order) { return (size_t)1 << order; }

static inline size_t order_bytes(unsigned order)
{
    return HL_FRAME_BYTES << order;
}

static inline uintptr_t frame_addr(const struct buddy *b, uint32_t pfn)
{
    return b->frames_addr + ((uintptr_t)pfn << HL_FRAME_SHIFT);
}

/* Number of pair bits at `order` for nframes frames (pairs of 2^order
 * blocks, the last possibly incomplete). */
static inline size_t pair_count(size_t nframes, unsigned order)
{
    return (nframes + order_frames(order + 1) - 1) >> (order + 1);
}

static inline size_t pair_words(size_t nframes, unsigned order)
{
    return (pair_count(nframes, order) + 31) >> 5;
}

static inline unsigned floor_log2(size_t n)
{
    unsigned order = 0;
    while (n >> (order + 1))
        order++;
    return order;
}

/* pre: limit <= BUDDY_MAX_ORDER (the max_order parameter). */
static inline unsigned max_order_for(size_t nframes, unsigned limit)
{
    return HL_MIN(floor_log2(nframes), limit);
}

/* ---- pair bits ---------------------------------------------------------- */

/* pre: order < b->max_order. */
static inline bool pair_bit(const struct buddy *b, uint32_t pfn, unsigned order)
{
    uint32_t p = pfn >> (order + 1);
    return (b->pair_bits[order][p >> 5] >> (p & 31u)) & 1u;
}

static inline void pair_toggle(struct buddy *b, uint32_t pfn, unsigned order)
{
    if (order >= b->max_order)
        return; /* blocks of max_order never merge: no bits kept */
    uint32_t p = pfn >> (order + 1);
    b->pair_bits[order][p >> 5] ^= (uint32_t)1 << (p & 31u);
}

/* ---- chunks --------------------------------------------------------------- */

static inline uint32_t chunk_of(uint32_t pfn) { return pfn >> BUDDY_CHUNK_ORDER; }

static inline bool chunk_is_ready(const struct buddy *b, uint32_t pfn)
{
    uint32_t c = chunk_of(pfn);
    return (b->chunk_ready[c >> 5] >> (c & 31u)) & 1u;
}

static inline bool chunk_start(uint32_t pfn)
{
    return (pfn & ((1u << BUDDY_CHUNK_ORDER) - 1u)) == 0;
}

/* frame_info[pfn], or what it implies for a chunk not yet written. */
static inline uint8_t info_get(const struct buddy *b, uint32_t pfn)
{
    if (chunk_is_ready(b, pfn))
        return b->frame_info[pfn];
    return chunk_start(pfn) ? b->chunk_info[chunk_of(pfn)] : BUDDY_INFO_TAIL;
}

/* pre: pfn's chunk is written, or pfn starts it, or info is a tail. */
static inline void info_set(struct buddy *b, uint32_t pfn, uint8_t info)
{
    if (chunk_is_ready(b, pfn))
        b->frame_info[pfn] = info;
    else if (chunk_start(pfn))
        b->chunk_info[chunk_of(pfn)] = info;
    else
        HL_ASSERT(info == BUDDY_INFO_TAIL);
}

/* Write the metadata of pfn's chunk (its frame table and low-order pair
 * bits), once: before a block of the chunk is split below its order. */
static void chunk_make_ready(struct buddy *b, uint32_t pfn)
{
    if (chunk_is_ready(b, pfn))
        return;
    uint32_t c = chunk_of(pfn), start = c << BUDDY_CHUNK_ORDER;
    size_t n = HL_MIN((size_t)1 << BUDDY_CHUNK_ORDER, (size_t)(b->nframes - start));
    hl_memset(b->frame_info + start, BUDDY_INFO_TAIL, n);
    b->frame_info[start] = b->chunk_info[c];
    for (unsigned o = 0; o < BUDDY_LAZY_ORDERS && o < b->max_order; o++)
        hl_memset(&b->pair_bits[o][start >> (o + 6)], 0,
                  pair_words(n, o) * sizeof(uint32_t));
    b->chunk_ready[c >> 5] |= (uint32_t)1 << (c & 31u);
}

/* pair_bit for any block, written chunk or not (check()). */
static bool pair_bit_any(const struct buddy *b, uint32_t pfn, unsigned order)
{
    if (order < BUDDY_LAZY_ORDERS && !chunk_is_ready(b, pfn))
        return false;
    return pair_bit(b, pfn, order);
}

/* ---- free lists ---------------------------------------------------------- */

/* Put block pfn on list `order` and mark its head free.
 * pre: pfn is not on any list; its frames are not in another block. */
static void list_push(struct buddy *b, uint32_t pfn, unsigned order)
{
    uint32_t head = b->free_head[order];
    b->link_next[pfn] = head;
    b->link_prev[pfn] = BUDDY_NIL;
    if (head != BUDDY_NIL)
        b->link_prev[head] = pfn;
    b->free_head[order] = pfn;
    b->free_count[order]++;
    b->free_frames += order_frames(order);
    info_set(b, pfn, info_head(order, true));
    pair_toggle(b, pfn, order);
}

/* Take block pfn off list `order`; its head info is left to the caller.
 * pre: pfn is on list `order`. */
static void list_remove(struct buddy *b, uint32_t pfn, unsigned order)
{
    uint32_t next = b->link_next[pfn], prev = b->link_prev[pfn];
    if (prev != BUDDY_NIL)
        b->link_next[prev] = next;
    else
        b->free_head[order] = next;
    if (next != BUDDY_NIL)
        b->link_prev[next] = prev;
    b->free_count[order]--;
    b->free_frames -= order_frames(order);
    pair_toggle(b, pfn, order);
}

/* ---- init ---------------------------------------------------------------- */

/* Metadata layout for nframes frames starting at meta_addr: returns the
 * metadata's byte count (frame table, then the 4-byte-aligned link arrays
 * and pair words).  Never wraps for nframes <= BUDDY_MAX_FRAMES. */
static size_t meta_layout_bytes(uintptr_t meta_addr, size_t nframes,
                                unsigned limit)
{
    uintptr_t links = HL_ALIGN_UP(meta_addr + nframes, (uintptr_t)4);
    size_t words = 2 * nframes;
    unsigned max_order = max_order_for(nframes, limit);
    for (unsigned o = 0; o < max_order; o++)
        words += pair_words(nframes, o);
    size_t nchunks = (nframes >> BUDDY_CHUNK_ORDER) + 1;
    words += (nchunks + 31) >> 5;                        /* chunk_ready */
    return (size_t)(links - meta_addr) + words * sizeof(uint32_t) +
           nchunks;                                      /* chunk_info */
}

/* Does a buddy of nframes frames fit in [meta_addr, end)?  Sets *frames_out
 * to the first frame's address when it does. */
static bool layout_fits(uintptr_t meta_addr, uintptr_t end, size_t nframes,
                        unsigned limit, uintptr_t *frames_out)
{
    size_t meta = meta_layout_bytes(meta_addr, nframes, limit);
    if (meta > end - meta_addr)
        return false;
    uintptr_t frames;
    if (!hl_align_up_checked(meta_addr + meta, HL_FRAME_BYTES, &frames) ||
        frames > end)
        return false;
    if (nframes > (end - frames) >> HL_FRAME_SHIFT)
        return false;
    *frames_out = frames;
    return true;
}

enum hl_status buddy_init(struct buddy *b, void *base, size_t bytes)
{
    return buddy_init_limit(b, base, bytes, BUDDY_MAX_ORDER);
}

enum hl_status buddy_init_limit(struct buddy *b, void *base, size_t bytes,
                                unsigned order_limit)
{
    uintptr_t start = (uintptr_t)base, end;
    hl_memset(b, 0, sizeof *b);
    if (order_limit > BUDDY_MAX_ORDER)
        return HL_E_REGION;
    if (base == NULL || __builtin_add_overflow(start, bytes, &end))
        return HL_E_REGION;
    uintptr_t meta_addr = HL_ALIGN_UP(start, (uintptr_t)4);
    if (meta_addr < start || meta_addr >= end)
        return HL_E_REGION;

    /* Each frame costs 4096 bytes plus about 9 bytes of metadata: start
     * from that estimate, then settle on the largest count that fits. */
    size_t avail = end - meta_addr;
    size_t nframes = avail / (HL_FRAME_BYTES + 10u);
    if (nframes > BUDDY_MAX_FRAMES)
        return HL_E_REGION;
    uintptr_t frames = 0;
    while (nframes > 0 && !layout_fits(meta_addr, end, nframes, order_limit, &frames))
        nframes--;
    while (nframes < BUDDY_MAX_FRAMES &&
           layout_fits(meta_addr, end, nframes + 1, order_limit, &frames))
        nframes++;
    if (nframes == 0 || !layout_fits(meta_addr, end, nframes, order_limit, &frames))
        return HL_E_REGION;

    b->frames_addr = frames;
    b->nframes = (uint32_t)nframes;
    b->order_limit = order_limit;
    b->max_order = max_order_for(nframes, order_limit);
    b->frame_info = (uint8_t *)meta_addr;
    uint32_t *words = (uint32_t *)HL_ALIGN_UP(meta_addr + nframes,
                                              (uintptr_t)4);
    b->link_next = words;
    b->link_prev = words + nframes;
    words += 2 * nframes;
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        b->free_head[o] = BUDDY_NIL;
        b->pair_bits[o] = NULL;
        if (o < b->max_order) {
            b->pair_bits[o] = words;
            if (o >= BUDDY_LAZY_ORDERS) /* below: per chunk */
                hl_memset(words, 0, pair_words(nframes, o) * sizeof(uint32_t));
            words += pair_words(nframes, o);
        }
    }
    b->nchunks = (uint32_t)((nframes >> BUDDY_CHUNK_ORDER) + 1);
    b->chunk_ready = words;
    hl_memset(words, 0, ((b->nchunks + 31) >> 5) * sizeof(uint32_t));
    words += (b->nchunks + 31) >> 5;
    b->chunk_info = (uint8_t *)words;
    hl_memset(b->chunk_info, BUDDY_INFO_TAIL, b->nchunks);
    b->capacity_bytes = bytes;
    b->meta_bytes = bytes - (nframes << HL_FRAME_SHIFT);

    /* Cover the frames with the largest aligned blocks that fit.  Two of
     * them are never free buddies below max_order: they would have been
     * one block. */
    for (uint32_t pfn = 0; pfn < nframes;) {
        unsigned order = b->max_order;
        while (!HL_IS_ALIGNED(pfn, (uint32_t)order_frames(order)) ||
               pfn + order_frames(order) > nframes)
            order--;
        if (order < BUDDY_CHUNK_ORDER) /* a small region, or its end */
            chunk_make_ready(b, pfn);
        list_push(b, pfn, order);
        pfn += (uint32_t)order_frames(order);
    }
    if (HL_CHECK_LEVEL >= 2)
        hl_memset((void *)frames, HL_POISON_FREED,
                  nframes << HL_FRAME_SHIFT);
    return HL_OK;
}

/* ---- alloc / free ------------------------------------------------------- */

/* Level 3: the whole structure after every operation. */
static void paranoid_check(const struct buddy *b)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation first = {0};
        size_t n = buddy_check(b, &first);
        HL_ASSERT(n == 0);
    }
}

/* Take a block of exactly `order` off the lists, splitting a larger one.
 * Returns its frame index or BUDDY_NIL. */
static uint32_t take_block(struct buddy *b, unsigned order)
{
    unsigned k = order;
    while (k <= b->max_order && b->free_head[k] == BUDDY_NIL)
        k++;
    if (k > b->max_order)
        return BUDDY_NIL;
    uint32_t pfn = b->free_head[k];
    list_remove(b, pfn, k);
    while (k > order) {
        k--;
        if (k < BUDDY_CHUNK_ORDER)
            chunk_make_ready(b, pfn);
        list_push(b, pfn + (uint32_t)order_frames(k), k); /* upper half */
    }
    info_set(b, pfn, info_head(order, false));
    return pfn;
}

/* Level >= 2: verify the freed poison of a reused block, then fill the
 * first fresh_bytes with fresh poison. */
static void poison_on_alloc(void *block, unsigned order, size_t fresh_bytes)
{
    if (HL_CHECK_LEVEL < 2)
        return;
    const uint8_t *bad = hl_find_not(block, HL_POISON_FREED, order_bytes(order));
    if (bad != NULL)
        hl_report(buddy_name, "write after free", bad, order_bytes(order));
    hl_memset(block, HL_POISON_FRESH, fresh_bytes);
}

static void *alloc_order_counted(struct buddy *b, unsigned order,
                                 size_t live_bytes)
{
    uint32_t pfn;
    if (order == 0 && b->pcp_n > 0)
        pfn = b->pcp[--b->pcp_n]; /* an allocated order-0 head already */
    else
        pfn = order <= b->max_order ? take_block(b, order) : BUDDY_NIL;
    if (pfn == BUDDY_NIL) {
        b->failed_allocs++;
        return NULL;
    }
    void *block = (void *)frame_addr(b, pfn);
    b->allocs++;
    b->live_blocks++;
    b->live_bytes += live_bytes;
    poison_on_alloc(block, order, live_bytes);
    paranoid_check(b);
    return block;
}

void *buddy_alloc_order(struct buddy *b, unsigned order)
{
    if (order > BUDDY_MAX_ORDER) {
        b->failed_allocs++;
        return NULL;
    }
    return alloc_order_counted(b, order, order_bytes(order));
}

unsigned buddy_order_for_bytes(size_t bytes)
{
    size_t nframes = hl_bytes_to_frames(bytes);
    if (nframes == 0 || nframes > order_frames(BUDDY_MAX_ORDER))
        return BUDDY_MAX_ORDER + 1;
    return hl_order_for(nframes);
}

void *buddy_alloc(struct buddy *b, size_t bytes)
{
    unsigned order = buddy_order_for_bytes(bytes);
    if (order > BUDDY_MAX_ORDER) {
        b->failed_allocs++;
        return NULL;
    }
    return alloc_order_counted(b, order, bytes ? bytes : 1);
}

/* The head of the block that contains frame pfn (pfn itself or the start
 * of an enclosing block), or BUDDY_NIL if the info is inconsistent. */
static uint32_t containing_head(const struct buddy *b, uint32_t pfn)
{
    for (unsigned o = 0; o <= b->max_order; o++) {
        uint32_t head = (uint32_t)HL_ALIGN_DOWN(pfn, (uint32_t)order_frames(o));
        uint8_t info = info_get(b, head);
        if (info_is_head(info))
            return info_order(info) >= o ? head : BUDDY_NIL;
    }
    return BUDDY_NIL;
}

/* Checked builds: is (block, order) a live block of b?  Reports and
 * returns the error otherwise. */
static enum hl_status validate_free(const struct buddy *b, void *block,
                                    unsigned order, size_t bytes)
{
    uintptr_t addr = (uintptr_t)block;
    if (addr < b->frames_addr ||
        addr - b->frames_addr >= ((uintptr_t)b->nframes << HL_FRAME_SHIFT)) {
        hl_report(buddy_name, "foreign pointer", block, bytes);
        return HL_E_FOREIGN;
    }
    if (!HL_IS_ALIGNED(addr - b->frames_addr, (uintptr_t)HL_FRAME_BYTES)) {
        hl_report(buddy_name, "interior pointer", block, bytes);
        return HL_E_INTERIOR;
    }
    uint32_t pfn = (uint32_t)((addr - b->frames_addr) >> HL_FRAME_SHIFT);
    uint32_t head = containing_head(b, pfn);
    if (head == BUDDY_NIL) {
        hl_report(buddy_name, "corrupt block info", block, bytes);
        return HL_E_INTERIOR;
    }
    uint8_t info = info_get(b, head);
    if (info_is_free(info)) {
        /* A freed block may since have merged into a larger free one. */
        hl_report(buddy_name, "double free", block, bytes);
        return HL_E_DOUBLE_FREE;
    }
    if (head != pfn) {
        hl_report(buddy_name, "interior pointer", block, bytes);
        return HL_E_INTERIOR;
    }
    for (uint32_t i = 0; i < b->pcp_n; i++) {
        if (b->pcp[i] == pfn) { /* freed onto the order-0 stack */
            hl_report(buddy_name, "double free", block, bytes);
            return HL_E_DOUBLE_FREE;
        }
    }
    if (order > BUDDY_MAX_ORDER || info_order(info) != order) {
        hl_report(buddy_name, "wrong order", block, bytes);
        return HL_E_SIZE;
    }
    return HL_OK;
}

/* Put the (allocated) block pfn of `order` on the lists, coalescing it
 * with its free buddies. */
static void merge_and_push(struct buddy *b, uint32_t pfn, unsigned order)
{
    /* Before pfn goes on a list, its pair bit is its buddy's free state. */
    while (order < b->max_order && pair_bit(b, pfn, order)) {
        uint32_t buddy = pfn ^ (uint32_t)order_frames(order);
        HL_ASSERT(info_get(b, buddy) == info_head(order, true));
        list_remove(b, buddy, order);
        info_set(b, HL_MAX(pfn, buddy), BUDDY_INFO_TAIL);
        pfn = HL_MIN(pfn, buddy);
        order++;
    }
    list_push(b, pfn, order);
}

/* Coalesce the order-0 stack's oldest frames into the lists until `keep`
 * are left; the newest move to the bottom. */
static void pcp_flush(struct buddy *b, uint32_t keep)
{
    uint32_t n = b->pcp_n;
    if (n <= keep)
        return;
    uint32_t out = n - keep;
    for (uint32_t i = 0; i < out; i++)
        merge_and_push(b, b->pcp[i], 0);
    for (uint32_t i = 0; i < keep; i++)
        b->pcp[i] = b->pcp[out + i];
    b->pcp_n = keep;
}

void buddy_reclaim(struct buddy *b)
{
    pcp_flush(b, 0);
    paranoid_check(b);
}

void buddy_set_pcp(struct buddy *b, unsigned slots)
{
    pcp_flush(b, 0);
    b->pcp_cap = slots < BUDDY_PCP_SLOTS ? slots : BUDDY_PCP_SLOTS;
    paranoid_check(b);
}

static enum hl_status free_order_counted(struct buddy *b, void *block,
                                         unsigned order, size_t live_bytes,
                                         size_t report_bytes)
{
    if (block == NULL)
        return HL_OK;
    if (HL_CHECK_LEVEL >= 1) {
        enum hl_status st = validate_free(b, block, order, report_bytes);
        if (st != HL_OK)
            return st;
    } else if (order > b->max_order) {
        return HL_E_SIZE; /* even release must not index past the lists */
    }
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(block, HL_POISON_FREED, order_bytes(order));

    uint32_t pfn = (uint32_t)(((uintptr_t)block - b->frames_addr) >>
                              HL_FRAME_SHIFT);
    if (order == 0 && b->pcp_cap > 0) {
        if (b->pcp_n == b->pcp_cap)
            pcp_flush(b, b->pcp_cap / 2);
        b->pcp[b->pcp_n++] = pfn;
    } else {
        merge_and_push(b, pfn, order);
    }
    b->frees++;
    b->live_blocks--;
    b->live_bytes -= live_bytes;
    paranoid_check(b);
    return HL_OK;
}

enum hl_status buddy_free_order(struct buddy *b, void *block, unsigned order)
{
    size_t bytes = order <= BUDDY_MAX_ORDER ? order_bytes(order) : 0;
    return free_order_counted(b, block, order, bytes, bytes);
}

enum hl_status buddy_free(struct buddy *b, void *block, size_t bytes)
{
    return free_order_counted(b, block, buddy_order_for_bytes(bytes),
                              bytes ? bytes : 1, bytes);
}

/* ---- stats and check ----------------------------------------------------- */

void buddy_stats(const struct buddy *b, struct hl_stats *out)
{
    size_t free_bytes = (b->free_frames + b->pcp_n) << HL_FRAME_SHIFT;
    out->capacity_bytes = b->capacity_bytes;
    out->meta_bytes = b->meta_bytes;
    out->live_bytes = b->live_bytes;
    out->live_blocks = b->live_blocks;
    out->held_bytes = b->capacity_bytes - free_bytes;
    out->free_bytes = free_bytes;
    out->largest_free_bytes = 0;
    for (unsigned o = b->max_order + 1; o-- > 0;) {
        if (b->free_head[o] != BUDDY_NIL) {
            out->largest_free_bytes = order_bytes(o);
            break;
        }
    }
    if (out->largest_free_bytes == 0 && b->pcp_n > 0)
        out->largest_free_bytes = HL_FRAME_BYTES;
    out->allocs = b->allocs;
    out->frees = b->frees;
    out->failed_allocs = b->failed_allocs;
}

struct check_ctx {
    size_t count;
    struct hl_violation *first;
};

static void violation(struct check_ctx *c, const char *what, uintptr_t addr)
{
    hl_violation_add(&c->count, c->first, what, addr);
}

/* Is the order-`order` block at pfn a free block (within the frames)? */
static bool block_is_free(const struct buddy *b, size_t pfn, unsigned order)
{
    return pfn + order_frames(order) <= b->nframes &&
           info_get(b, (uint32_t)pfn) == info_head(order, true);
}

/* The next link of pfn, or BUDDY_NIL for the end of the list or a link
 * out of range (the walk in check_list reports those). */
static uint32_t next_in_range(const struct buddy *b, uint32_t pfn)
{
    if (pfn == BUDDY_NIL || pfn >= b->nframes)
        return BUDDY_NIL;
    uint32_t next = b->link_next[pfn];
    return next < b->nframes ? next : BUDDY_NIL;
}

/* Does list `order` loop back on itself?  (Floyd: O(length), no marks,
 * so check() needs no scratch memory.) */
static bool list_has_cycle(const struct buddy *b, unsigned order)
{
    uint32_t slow = b->free_head[order], fast = slow;
    for (;;) {
        fast = next_in_range(b, next_in_range(b, fast));
        slow = next_in_range(b, slow);
        if (fast == BUDDY_NIL)
            return false;
        if (fast == slow)
            return true;
    }
}

/* Walk list `order`: links, heads, alignment, count.  Returns the number
 * of nodes walked (0 for a list with a cycle: one violation, not one per
 * lap). */
static size_t check_list(const struct buddy *b, unsigned order,
                         struct check_ctx *c)
{
    size_t walked = 0;
    uint32_t prev = BUDDY_NIL;
    if (list_has_cycle(b, order)) {
        violation(c, "free list has a cycle", 0);
    } else {
        for (uint32_t pfn = b->free_head[order]; pfn != BUDDY_NIL;
             pfn = b->link_next[pfn]) {
            if (pfn >= b->nframes) {
                violation(c, "free-list link out of range", 0);
                break;
            }
            walked++;
            uintptr_t addr = frame_addr(b, pfn);
            if (b->link_prev[pfn] != prev)
                violation(c, "free-list prev link broken", addr);
            if (!HL_IS_ALIGNED(pfn, (uint32_t)order_frames(order)) ||
                pfn + order_frames(order) > b->nframes)
                violation(c, "free block misaligned or past the frames", addr);
            else if (info_get(b, pfn) != info_head(order, true))
                violation(c, "head info disagrees with its free list", addr);
            prev = pfn;
        }
    }
    if (walked != b->free_count[order])
        violation(c, "free-list count wrong", 0);
    return walked;
}

size_t buddy_check(const struct buddy *b, struct hl_violation *first)
{
    struct check_ctx c = {0, first};
    if (first != NULL) {
        first->what = NULL;
        first->addr = 0;
    }
    if (b->nframes == 0 || b->order_limit > BUDDY_MAX_ORDER ||
        b->max_order != max_order_for(b->nframes, b->order_limit)) {
        violation(&c, "state header corrupt", 0);
        return c.count;
    }

    /* The lists. */
    size_t listed_frames = 0, listed_blocks[BUDDY_MAX_ORDER + 1] = {0};
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        if (o > b->max_order) {
            if (b->free_head[o] != BUDDY_NIL || b->free_count[o] != 0)
                violation(&c, "free list above max_order", 0);
            continue;
        }
        listed_blocks[o] = check_list(b, o, &c);
        listed_frames += listed_blocks[o] << o;
    }
    if (listed_frames != b->free_frames)
        violation(&c, "free_frames differs from the lists", 0);

    /* Coverage: every frame in exactly one block; coalescing complete. */
    size_t free_heads[BUDDY_MAX_ORDER + 1] = {0}, alloc_heads = 0;
    for (size_t pfn = 0; pfn < b->nframes;) {
        uint8_t info = info_get(b, (uint32_t)pfn);
        uintptr_t addr = frame_addr(b, (uint32_t)pfn);
        if (!info_is_head(info)) {
            violation(&c, "frame not covered by a block", addr);
            while (pfn < b->nframes && !info_is_head(info_get(b, (uint32_t)pfn)))
                pfn++;
            continue;
        }
        unsigned order = info_order(info);
        if ((info & ~(BUDDY_INFO_HEAD | BUDDY_INFO_FREE |
                      BUDDY_INFO_ORDER_BITS)) != 0 ||
            order > b->max_order ||
            !HL_IS_ALIGNED(pfn, order_frames(order)) ||
            pfn + order_frames(order) > b->nframes) {
            violation(&c, "block head invalid (order, alignment, end)", addr);
            if (!info_is_free(info))
                alloc_heads++; /* still a live block, just a broken one */
            for (pfn++; pfn < b->nframes && !info_is_head(info_get(b, (uint32_t)pfn));)
                pfn++;
            continue;
        }
        size_t end = pfn + order_frames(order);
        for (size_t t = pfn + 1; t < end; t++) {
            if (info_get(b, (uint32_t)t) != BUDDY_INFO_TAIL) {
                violation(&c, "block head inside another block",
                          frame_addr(b, (uint32_t)t));
                break;
            }
        }
        if (info_is_free(info)) {
            free_heads[order]++;
            size_t buddy = pfn ^ order_frames(order);
            if (order < b->max_order && pfn < buddy &&
                block_is_free(b, buddy, order))
                violation(&c, "free buddies not coalesced", addr);
        } else {
            alloc_heads++;
        }
        pfn = end;
    }
    for (unsigned o = 0; o <= b->max_order; o++)
        if (free_heads[o] != listed_blocks[o])
            violation(&c, "free heads differ from the free list", 0);
    /* The order-0 stack: allocated order-0 heads, each once. */
    if (b->pcp_cap > BUDDY_PCP_SLOTS || b->pcp_n > b->pcp_cap) {
        violation(&c, "order-0 stack fill or capacity out of range", 0);
    } else {
        for (uint32_t i = 0; i < b->pcp_n; i++) {
            uint32_t pfn = b->pcp[i];
            if (pfn >= b->nframes ||
                info_get(b, pfn) != info_head(0, false)) {
                violation(&c, "order-0 stack holds no allocated frame",
                          pfn < b->nframes ? frame_addr(b, pfn) : 0);
                continue;
            }
            for (uint32_t j = 0; j < i; j++)
                if (b->pcp[j] == pfn)
                    violation(&c, "order-0 stack holds a frame twice",
                              frame_addr(b, pfn));
        }
    }
    if (alloc_heads != b->live_blocks + (b->pcp_n <= b->pcp_cap ? b->pcp_n : 0))
        violation(&c, "allocated blocks differ from live_blocks", 0);

    /* Pair bits: the XOR of the two buddies' free states. */
    for (unsigned o = 0; o < b->max_order; o++) {
        size_t pairs = pair_count(b->nframes, o);
        for (size_t p = 0; p < pairs; p++) {
            size_t lo = p << (o + 1), hi = lo + order_frames(o);
            bool want = block_is_free(b, lo, o) != block_is_free(b, hi, o);
            bool have = pair_bit_any(b, (uint32_t)lo, o);
            if (want != have)
                violation(&c, "pair bit is not the XOR of the buddies",
                          frame_addr(b, (uint32_t)lo));
        }
    }
    return c.count;
}

/* ---- the registry's view ------------------------------------------------- */

/* The registry's buddy keeps an order-0 stack (buddy.h). */
/* Parameters, by index (hl_buddy.params). */
enum { BUDDY_P_MAX_ORDER, BUDDY_P_PCP };

static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    enum hl_status st = buddy_init_limit(state, base, bytes,
                                         (unsigned)p->v[BUDDY_P_MAX_ORDER]);
    if (st == HL_OK)
        buddy_set_pcp(state, (unsigned)p->v[BUDDY_P_PCP]);
    return st;
}

static void vt_reclaim(void *state) { buddy_reclaim(state); }

static void *vt_alloc(void *state, size_t bytes)
{
    return buddy_alloc(state, bytes);
}

static enum hl_status vt_free(void *state, void *ptr, size_t bytes)
{
    return buddy_free(state, ptr, bytes);
}

static void vt_stats(const void *state, struct hl_stats *out)
{
    buddy_stats(state, out);
}

static size_t vt_check(const void *state, struct hl_violation *first)
{
    return buddy_check(state, first);
}

const struct hl_allocator hl_buddy = {
    .name = buddy_name,
    .summary = "binary buddy: power-of-two runs of frames, O(log n) alloc/free, "
               "a 32-frame order-0 stack",
    .family = HL_FAMILY_FRAME,
    .flags = 0,
    .state_bytes = sizeof(struct buddy),
    .align_bytes = HL_FRAME_BYTES,
    .nparams = 2,
    .params = {
        [BUDDY_P_MAX_ORDER] = {"max_order", "order",
                               "largest block: 2^max_order frames (larger "
                               "requests fail; init covers the region with "
                               "blocks of at most this order)",
                               BUDDY_MAX_ORDER, BUDDY_MIN_MAX_ORDER,
                               BUDDY_MAX_ORDER},
        [BUDDY_P_PCP] = {"pcp", "frames",
                         "capacity of the order-0 stack (0: every order-0 "
                         "alloc and free goes to the lists)",
                         BUDDY_PCP_SLOTS, 0, BUDDY_PCP_SLOTS},
    },
    .init = vt_init,
    .alloc = vt_alloc,
    .free = vt_free,
    .stats = vt_stats,
    .reclaim = vt_reclaim,
    .check = vt_check,
};
