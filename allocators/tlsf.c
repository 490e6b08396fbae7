/*
 * tlsf.c — Two-Level Segregated Fit (see tlsf.h for the mapping, the
 * arena map and the accounting).
 *
 * Invariants (tlsf_check() verifies each):
 *   - the blocks tile [arena_addr, sentinel_addr): each header 16-aligned,
 *     its size a multiple of 16 and at least TLSF_MIN_PAYLOAD_BYTES; the
 *     sentinel is a used block of size 0;
 *   - a block's TLSF_F_PREV_FREE is its previous block's TLSF_F_FREE, and
 *     then its prev_phys is that block (the first block's is clear);
 *   - no two physical neighbours are both free (free() coalesces);
 *   - every free block is on list mapping(size), exactly once; the lists
 *     are doubly linked; sl_bitmap[fl] bit sl is set iff list (fl, sl) is
 *     non-empty, fl_bitmap bit fl iff sl_bitmap[fl] != 0;
 *   - used_bytes and live_blocks sum the used blocks.
 * At HL_CHECK_LEVEL >= 2 a free block's payload after its links holds
 * HL_POISON_FREED.
 *
 * Worst case of alloc: one rounding, two find-first-sets, one list
 * removal, one split with one insertion.  Of free: two merges (each a list
 * removal) and one insertion.  No loop depends on the blocks or the arena.
 */
#include "allocators/tlsf.h"

static const char tlsf_name[] = "tlsf";

/* ---- block helpers -------------------------------------------------------- */

static inline size_t size_of(const struct tlsf_block *b)
{
    return b->size_flags & ~TLSF_F_MASK;
}

static inline bool is_free(const struct tlsf_block *b)
{
    return (b->size_flags & TLSF_F_FREE) != 0;
}

static inline bool prev_is_free(const struct tlsf_block *b)
{
    return (b->size_flags & TLSF_F_PREV_FREE) != 0;
}

static inline void set_size(struct tlsf_block *b, size_t size_bytes)
{
    b->size_flags = size_bytes | (b->size_flags & TLSF_F_MASK);
}

static inline uint8_t *payload_of(const struct tlsf_block *b)
{
    return (uint8_t *)b + TLSF_HEADER_BYTES;
}

static inline struct tlsf_block *block_of(const void *payload)
{
    return (struct tlsf_block *)((uintptr_t)payload - TLSF_HEADER_BYTES);
}

static inline struct tlsf_block *next_phys(const struct tlsf_block *b)
{
    return (struct tlsf_block *)(payload_of(b) + size_of(b));
}

static inline struct tlsf_links *links_of(const struct tlsf_block *b)
{
    return (struct tlsf_links *)payload_of(b);
}

static inline unsigned floor_log2(size_t n)
{
    return (unsigned)(sizeof(unsigned long) * 8 - 1) -
           (unsigned)__builtin_clzl((unsigned long)n);
}

_Static_assert(sizeof(unsigned long) == sizeof(size_t),
               "__builtin_clzl sees all of a size_t on both targets");

/* ---- the two-level mapping ------------------------------------------------ */

void tlsf_mapping(size_t size_bytes, unsigned *fl, unsigned *sl)
{
    if (size_bytes < TLSF_SMALL_BYTES) {
        *fl = 0;
        *sl = (unsigned)(size_bytes >> TLSF_ALIGN_SHIFT);
    } else {
        unsigned f = floor_log2(size_bytes);
        *sl = (unsigned)(size_bytes >> (f - TLSF_SL_LOG2)) ^ TLSF_SL_COUNT;
        *fl = f - (TLSF_SL_LOG2 + TLSF_ALIGN_SHIFT) + 1;
    }
}

/* The list to search for a request of size_bytes: rounded up to the next
 * list boundary, so that every block of that list (and above) fits.
 * Returns false if no list can hold such a block. */
static inline bool mapping_search(size_t size_bytes, unsigned *fl,
                                  unsigned *sl)
{
    if (size_bytes >= TLSF_SMALL_BYTES)
        size_bytes += ((size_t)1 << (floor_log2(size_bytes) -
                                     TLSF_SL_LOG2)) - 1;
    tlsf_mapping(size_bytes, fl, sl);
    return *fl < TLSF_FL_COUNT;
}

/* ---- the lists -------------------------------------------------------------- */

static void list_insert(struct tlsf *t, struct tlsf_block *b)
{
    unsigned fl, sl;
    tlsf_mapping(size_of(b), &fl, &sl);
    struct tlsf_block *head = t->heads[fl][sl];
    links_of(b)->next_free = head;
    links_of(b)->prev_free = NULL;
    if (head != NULL)
        links_of(head)->prev_free = b;
    t->heads[fl][sl] = b;
    t->sl_bitmap[fl] |= 1u << sl;
    t->fl_bitmap |= 1u << fl;
}

static void list_remove(struct tlsf *t, struct tlsf_block *b)
{
    unsigned fl, sl;
    tlsf_mapping(size_of(b), &fl, &sl);
    struct tlsf_links *l = links_of(b);
    if (l->prev_free != NULL)
        links_of(l->prev_free)->next_free = l->next_free;
    else
        t->heads[fl][sl] = l->next_free;
    if (l->next_free != NULL)
        links_of(l->next_free)->prev_free = l->prev_free;
    if (t->heads[fl][sl] == NULL) {
        t->sl_bitmap[fl] &= ~(1u << sl);
        if (t->sl_bitmap[fl] == 0)
            t->fl_bitmap &= ~(1u << fl);
    }
}

/* The first non-empty list at or above (fl, sl), or NULL. */
static struct tlsf_block *find_suitable(const struct tlsf *t, unsigned fl,
                                        unsigned sl)
{
    uint32_t sl_map = t->sl_bitmap[fl] & (~0u << sl);
    if (sl_map == 0) {
        uint32_t fl_map = fl + 1 < 32 ? t->fl_bitmap & (~0u << (fl + 1)) : 0;
        if (fl_map == 0)
            return NULL;
        fl = hl_ctz32(fl_map);
        sl_map = t->sl_bitmap[fl];
    }
    return t->heads[fl][hl_ctz32(sl_map)];
}

/* Mark b free (or not) in its own flags and in its next block's. */
static void set_free(struct tlsf_block *b, bool is_free_now)
{
    struct tlsf_block *n = next_phys(b);
    if (is_free_now) {
        b->size_flags |= TLSF_F_FREE;
        n->size_flags |= TLSF_F_PREV_FREE;
        n->prev_phys = b;
    } else {
        b->size_flags &= ~TLSF_F_FREE;
        n->size_flags &= ~TLSF_F_PREV_FREE;
    }
}

/* Level 3: the full validator after every operation. */
static void paranoid_check(const struct tlsf *t)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation first = {0};
        if (tlsf_check(t, &first) != 0)
            hl_panic(__FILE__, __LINE__,
                     first.what ? first.what : "tlsf_check failed");
    }
}

/* ---- init ------------------------------------------------------------------- */

enum hl_status tlsf_init(struct tlsf *t, void *base, size_t bytes)
{
    uintptr_t lo = (uintptr_t)base, hi;
    hl_memset(t, 0, sizeof *t);
    if (base == NULL || __builtin_add_overflow(lo, bytes, &hi))
        return HL_E_REGION;
    uintptr_t first = HL_ALIGN_UP(lo, HL_HEAP_ALIGN);
    uintptr_t last = HL_ALIGN_DOWN(hi, HL_HEAP_ALIGN);
    if (first < lo || first >= last ||
        last - first < 2 * TLSF_HEADER_BYTES + TLSF_MIN_PAYLOAD_BYTES)
        return HL_E_REGION;
    size_t payload = last - first - 2 * TLSF_HEADER_BYTES;
    if (payload > TLSF_MAX_BLOCK_BYTES)
        payload = TLSF_MAX_BLOCK_BYTES;

    t->region_addr = lo;
    t->region_bytes = bytes;
    t->arena_addr = first;
    struct tlsf_block *b = (struct tlsf_block *)first;
    b->prev_phys = NULL;
    b->size_flags = payload;
    struct tlsf_block *sentinel = next_phys(b);
    t->sentinel_addr = (uintptr_t)sentinel;
    sentinel->prev_phys = NULL;
    sentinel->size_flags = 0; /* used, size 0 */
    set_free(b, true);
    list_insert(t, b);
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(payload_of(b) + TLSF_LINK_BYTES, HL_POISON_FREED,
                  payload - TLSF_LINK_BYTES);
    paranoid_check(t);
    return HL_OK;
}

/* ---- alloc ------------------------------------------------------------------ */

void *tlsf_alloc(struct tlsf *t, size_t bytes)
{
    size_t req = bytes ? bytes : 1, size_bytes;
    unsigned fl, sl;
    struct tlsf_block *b = NULL;
    if (hl_align_up_checked(req, HL_HEAP_ALIGN, &size_bytes) &&
        size_bytes <= TLSF_MAX_BLOCK_BYTES &&
        mapping_search(size_bytes, &fl, &sl))
        b = find_suitable(t, fl, sl);
    if (b == NULL) {
        t->failed_allocs++;
        return NULL;
    }
    list_remove(t, b);
    size_t rest_bytes = size_of(b) - size_bytes;
    bool split = rest_bytes >= TLSF_HEADER_BYTES + TLSF_MIN_PAYLOAD_BYTES;
    if (HL_CHECK_LEVEL >= 2) {
        /* Verify only the freed poison that changes hands: the block's
         * payload and, on a split, the rest's header and links about to
         * be written.  The rest's payload stays poisoned and is verified
         * when it is handed out, so the check is whole but costs
         * O(request), not O(free block) (the first block is the arena). */
        size_t checked = split ? size_bytes + TLSF_HEADER_BYTES + TLSF_LINK_BYTES
                               : size_of(b);
        const uint8_t *bad = hl_find_not(payload_of(b) + TLSF_LINK_BYTES,
                                         HL_POISON_FREED,
                                         checked - TLSF_LINK_BYTES);
        if (bad != NULL)
            hl_report(tlsf_name, "write after free", bad, req);
    }
    if (split) {
        /* Split: the rest becomes a free block after b. */
        struct tlsf_block *rest =
            (struct tlsf_block *)(payload_of(b) + size_bytes);
        rest->size_flags = rest_bytes - TLSF_HEADER_BYTES; /* prev b: used */
        set_size(b, size_bytes);
        set_free(rest, true);
        list_insert(t, rest); /* its payload past the links: b's poison */
    }
    set_free(b, false);
    t->used_bytes += TLSF_HEADER_BYTES + size_of(b);
    t->live_bytes += req;
    t->live_blocks++;
    t->allocs++;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(payload_of(b), HL_POISON_FRESH, req);
    paranoid_check(t);
    return payload_of(b);
}

/* ---- free ------------------------------------------------------------------- */

static enum hl_status refuse(enum hl_status st, const char *what,
                             const void *ptr, size_t bytes)
{
    hl_report(tlsf_name, what, ptr, bytes);
    return st;
}

/* Checked builds: is ptr a used block granted for `bytes`?  O(blocks): a
 * walk of the physical blocks. */
static enum hl_status validate_free(const struct tlsf *t, void *ptr,
                                    size_t bytes)
{
    uintptr_t p = (uintptr_t)ptr;
    if (!hl_ptr_in(ptr, (const void *)t->region_addr, t->region_bytes))
        return refuse(HL_E_FOREIGN, "foreign pointer", ptr, bytes);
    const struct tlsf_block *b = (const struct tlsf_block *)t->arena_addr;
    while ((uintptr_t)b < t->sentinel_addr &&
           (uintptr_t)payload_of(b) + size_of(b) <= p)
        b = next_phys(b);
    if ((uintptr_t)b >= t->sentinel_addr || p < (uintptr_t)payload_of(b))
        return refuse(HL_E_INTERIOR, "interior pointer", ptr, bytes);
    if (is_free(b))
        return refuse(HL_E_DOUBLE_FREE, "double free", ptr, bytes);
    if (p != (uintptr_t)payload_of(b))
        return refuse(HL_E_INTERIOR, "interior pointer", ptr, bytes);
    size_t want;
    if (!hl_align_up_checked(bytes, HL_HEAP_ALIGN, &want) ||
        size_of(b) < want ||
        size_of(b) - want >= TLSF_HEADER_BYTES + TLSF_MIN_PAYLOAD_BYTES)
        return refuse(HL_E_SIZE, "wrong size", ptr, bytes);
    return HL_OK;
}

enum hl_status tlsf_free(struct tlsf *t, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return HL_OK;
    size_t req = bytes ? bytes : 1;
    if (HL_CHECK_LEVEL >= 1) {
        enum hl_status st = validate_free(t, ptr, req);
        if (st != HL_OK)
            return st;
    }
    struct tlsf_block *b = block_of(ptr);
    t->used_bytes -= TLSF_HEADER_BYTES + size_of(b);
    t->live_bytes -= req;
    t->live_blocks--;
    t->frees++;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(ptr, HL_POISON_FREED, size_of(b));

    if (prev_is_free(b)) { /* merge into the previous block */
        struct tlsf_block *prev = b->prev_phys;
        list_remove(t, prev);
        set_size(prev, size_of(prev) + TLSF_HEADER_BYTES + size_of(b));
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(b, HL_POISON_FREED, TLSF_HEADER_BYTES);
        b = prev;
    }
    struct tlsf_block *next = next_phys(b);
    if (is_free(next)) { /* absorb the next block */
        list_remove(t, next);
        set_size(b, size_of(b) + TLSF_HEADER_BYTES + size_of(next));
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(next, HL_POISON_FREED,
                      TLSF_HEADER_BYTES + TLSF_LINK_BYTES);
    }
    set_free(b, true);
    list_insert(t, b);
    paranoid_check(t);
    return HL_OK;
}

/* ---- stats and check -------------------------------------------------------- */

void tlsf_stats(const struct tlsf *t, struct hl_stats *out)
{
    size_t arena_bytes = t->sentinel_addr + TLSF_HEADER_BYTES - t->arena_addr;
    size_t largest = 0;
    if (t->fl_bitmap != 0) { /* the highest non-empty list holds it */
        unsigned fl = 31u - (unsigned)__builtin_clz(t->fl_bitmap);
        unsigned sl = 31u - (unsigned)__builtin_clz(t->sl_bitmap[fl]);
        for (const struct tlsf_block *b = t->heads[fl][sl]; b != NULL;
             b = links_of(b)->next_free)
            if (size_of(b) > largest)
                largest = size_of(b);
    }
    out->capacity_bytes = t->region_bytes;
    out->meta_bytes = t->region_bytes - arena_bytes + TLSF_HEADER_BYTES;
    out->live_bytes = t->live_bytes;
    out->live_blocks = t->live_blocks;
    out->held_bytes = out->meta_bytes + t->used_bytes;
    out->free_bytes = t->region_bytes - out->held_bytes;
    out->largest_free_bytes = largest;
    out->allocs = t->allocs;
    out->frees = t->frees;
    out->failed_allocs = t->failed_allocs;
}

struct tally {
    size_t n;
    struct hl_violation *first;
};

static void bad(struct tally *y, const char *what, uintptr_t addr)
{
    hl_violation_add(&y->n, y->first, what, addr);
}

/* Is a a block header on the physical walk?  (For list entries: a walk,
 * so check() stays O(blocks * listed) only when it already failed.) */
static bool on_list_ok(const struct tlsf *t, const struct tlsf_block *b,
                       unsigned fl, unsigned sl)
{
    uintptr_t a = (uintptr_t)b;
    if (a < t->arena_addr || a >= t->sentinel_addr ||
        !HL_IS_ALIGNED(a, HL_HEAP_ALIGN) || !is_free(b))
        return false;
    size_t sz = size_of(b);
    if (sz < TLSF_MIN_PAYLOAD_BYTES || sz > t->sentinel_addr - a ||
        !HL_IS_ALIGNED(sz, HL_HEAP_ALIGN))
        return false;
    unsigned f, s;
    tlsf_mapping(sz, &f, &s);
    return f == fl && s == sl;
}

size_t tlsf_check(const struct tlsf *t, struct hl_violation *first)
{
    struct tally y = {0, first};
    uintptr_t lo = t->arena_addr, end = t->sentinel_addr;
    uintptr_t region_end;
    if (__builtin_add_overflow(t->region_addr, t->region_bytes,
                               &region_end) ||
        !HL_IS_ALIGNED(lo, HL_HEAP_ALIGN) || !HL_IS_ALIGNED(end, HL_HEAP_ALIGN) ||
        lo < t->region_addr || end + TLSF_HEADER_BYTES > region_end ||
        lo >= end) {
        bad(&y, "arena bounds are not inside the region", lo);
        return y.n;
    }

    /* The physical walk. */
    size_t free_blocks = 0, used_blocks = 0, used_bytes = 0;
    bool prev_free = false, walked = false;
    const struct tlsf_block *prev = NULL, *b = (const struct tlsf_block *)lo;
    for (;;) {
        uintptr_t a = (uintptr_t)b;
        if (a == end) {
            if (b->size_flags & ~TLSF_F_PREV_FREE)
                bad(&y, "sentinel is not a used block of size 0", a);
            walked = true;
        }
        if (prev_is_free(b) != prev_free)
            bad(&y, "prev-free flag disagrees with the previous block", a);
        else if (prev_free && b->prev_phys != prev)
            bad(&y, "prev_phys is not the previous block", a);
        if (walked)
            break;
        size_t sz = size_of(b);
        if (sz < TLSF_MIN_PAYLOAD_BYTES || !HL_IS_ALIGNED(sz, HL_HEAP_ALIGN) ||
            sz > end - a - TLSF_HEADER_BYTES) {
            bad(&y, "block size out of range (walk stopped)", a);
            break;
        }
        if (is_free(b)) {
            if (prev_free)
                bad(&y, "adjacent free blocks not coalesced", a);
            free_blocks++;
        } else {
            used_blocks++;
            used_bytes += TLSF_HEADER_BYTES + sz;
        }
        prev_free = is_free(b);
        prev = b;
        b = next_phys(b);
    }

    /* The lists and bitmaps. */
    size_t listed = 0;
    for (unsigned fl = 0; fl < TLSF_FL_COUNT; fl++) {
        for (unsigned sl = 0; sl < TLSF_SL_COUNT; sl++) {
            const struct tlsf_block *h = t->heads[fl][sl], *lp = NULL;
            bool bit = (t->sl_bitmap[fl] >> sl) & 1u;
            if (bit != (h != NULL))
                bad(&y, "second-level bit disagrees with its list",
                    (uintptr_t)h);
            size_t n = 0;
            for (const struct tlsf_block *f = h; f != NULL;
                 f = links_of(f)->next_free) {
                if (!on_list_ok(t, f, fl, sl)) {
                    bad(&y, "list holds what is not a free block of its "
                            "size class", (uintptr_t)f);
                    break;
                }
                if (links_of(f)->prev_free != lp)
                    bad(&y, "list prev link broken", (uintptr_t)f);
                if (++n > free_blocks) {
                    bad(&y, "list longer than the free blocks (a cycle?)",
                        (uintptr_t)h);
                    break;
                }
                lp = f;
            }
            listed += n;
        }
        bool fbit = (t->fl_bitmap >> fl) & 1u;
        if (fbit != (t->sl_bitmap[fl] != 0))
            bad(&y, "first-level bit disagrees with its second level", 0);
        if (t->sl_bitmap[fl] >> TLSF_SL_COUNT != 0 && TLSF_SL_COUNT < 32)
            bad(&y, "second-level bitmap has bits past its lists", 0);
    }
    if (TLSF_FL_COUNT < 32 && t->fl_bitmap >> TLSF_FL_COUNT != 0)
        bad(&y, "first-level bitmap has bits past its lists", 0);
    if (walked && listed != free_blocks)
        bad(&y, "free blocks on the lists differ from the physical walk", lo);

    if (walked) {
        if (used_blocks != t->live_blocks)
            bad(&y, "used blocks differ from live_blocks", lo);
        if (used_bytes != t->used_bytes)
            bad(&y, "used block bytes differ from used_bytes", lo);
    }
    if (t->live_blocks != t->allocs - t->frees)
        bad(&y, "live_blocks != allocs - frees", lo);
    if (t->live_bytes < t->live_blocks)
        bad(&y, "live_bytes < live_blocks (every block serves >= 1 byte)", lo);
    return y.n;
}

/* ---- the registry's view ------------------------------------------------- */

static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    return tlsf_init(state, base, bytes);
}
static void *vt_alloc(void *state, size_t bytes)
{
    return tlsf_alloc(state, bytes);
}
static enum hl_status vt_free(void *state, void *ptr, size_t bytes)
{
    return tlsf_free(state, ptr, bytes);
}
static void vt_stats(const void *state, struct hl_stats *out)
{
    tlsf_stats(state, out);
}
static size_t vt_check(const void *state, struct hl_violation *first)
{
    return tlsf_check(state, first);
}

const struct hl_allocator hl_tlsf = {
    .name = tlsf_name,
    .summary = "two-level segregated fit (Masmano et al. 2004): O(1) alloc "
               "and free, bounded worst case",
    .family = HL_FAMILY_HEAP,
    .flags = 0,
    .state_bytes = sizeof(struct tlsf),
    .align_bytes = HL_HEAP_ALIGN,
    .init = vt_init,
    .alloc = vt_alloc,
    .free = vt_free,
    .stats = vt_stats,
    .reclaim = NULL,
    .check = vt_check,
};
