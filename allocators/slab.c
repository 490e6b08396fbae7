/*
 * slab.c — object caches over an embedded buddy allocator (see slab.h for
 * the arena and slab maps).
 *
 * Invariants (slab_check() verifies every one of them):
 *   - Every slab of cache c is a buddy block of order c->slab_order whose
 *     first frame is tagged SLAB|order in page_tag; every large block is
 *     tagged LARGE|order; the page-tag block itself is tagged META.  All
 *     other frames are tagged NONE.
 *   - A slab is on exactly one list of its cache, the one its in-use
 *     count selects: EMPTY (0), PARTIAL (some), FULL (all); its header
 *     names that list and the cache.  nslabs[l] is the length of list l.
 *   - A slab's free list holds exactly objs_per_slab - inuse - (objs_per_slab
 *     - fresh) objects, each inside the slab on an object boundary below
 *     object `fresh`, no object twice; objects fresh.. were never handed
 *     out (release builds carve a new slab lazily, from its free list
 *     first and then upwards from `fresh`: a fresh slab's pages are not
 *     touched before they are used; checked builds list every object at
 *     once, fresh = objs_per_slab).  In checked builds the used bitmap has
 *     exactly the in-use objects set.
 *   - A cache keeps at most keep_empty (default SLAB_KEEP_EMPTY) empty slabs.
 *   - A cache's magazine holds mag_n <= mag_cap <= SLAB_MAG_SLOTS distinct
 *     objects, each an object of one of its slabs that is not on that
 *     slab's free list (in checked builds: marked in the used bitmap).
 *   - Counters are sums: the in-use counts of a cache's slabs add up to
 *     slab_inuse = (objects held by callers) + mag_n; the buddy's held
 *     frames are the page tags + all slabs + all large blocks.  live_*,
 *     allocs and frees are not stored: slab_stats() sums the caches.
 *
 * Worked example, class 64 (stride 64) at level 1 on LP64: a slab is one
 * frame; the header is 44 bytes, the bitmap for at most 63 objects two
 * words, so object 0 starts at ALIGN_UP(52, 16) = 64 and (4096 - 64) / 64
 * = 63 objects fit, wasting nothing.  At level 0 (no bitmap) object 0
 * starts at ALIGN_UP(44, 16) = 48 and 63 objects fit, wasting 16 bytes.
 *
 * Costs: alloc and free O(1): in release builds a table lookup for the
 * class and a magazine pop or push, nothing else; every mag_cap / 2 ops at
 * worst a refill or flush of mag_cap / 2 objects (plus buddy's
 * O(max_order) when a slab comes or goes).  Checked builds add O(stride)
 * poisoning at level >= 2 and O(max_order + SLAB_MAG_SLOTS) validation of
 * each free at level >= 1.  Cache creation O(SLAB_MAX_ORDER); check
 * O(frames + objects in all slabs + SLAB_MAG_SLOTS * (objects per slab +
 * SLAB_MAG_SLOTS) per cache + buddy_check).
 */
#include "allocators/slab.h"

#include <stdalign.h>

static const char slab_name[] = "slab";

#define SLAB_CACHE_MAGIC 0x51ABCACEu

/* Checked builds keep a used bitmap in each slab header. */
#define SLAB_HAVE_MAP (HL_CHECK_LEVEL >= 1)

/* ---- page tags ------------------------------------------------------------
 * One byte per managed frame; only the first frame of a block is tagged.
 *   bits 6..7  kind: NONE, SLAB, LARGE, META (the tag array itself)
 *   bits 0..4  order of the block
 */
#define SLAB_TAG_NONE ((uint8_t)0x00u)
#define SLAB_TAG_SLAB ((uint8_t)0x40u)
#define SLAB_TAG_LARGE ((uint8_t)0x80u)
#define SLAB_TAG_META ((uint8_t)0xC0u)
#define SLAB_TAG_KIND_BITS ((uint8_t)0xC0u)
#define SLAB_TAG_ORDER_BITS ((uint8_t)0x1Fu)
#define SLAB_TAG(kind, order) ((uint8_t)((kind) | (uint8_t)(order)))
#define SLAB_TAG_KIND(t) ((uint8_t)((t) & SLAB_TAG_KIND_BITS))
#define SLAB_TAG_ORDER(t) ((unsigned)((t) & SLAB_TAG_ORDER_BITS))

/* ---- page tags, a chunk at a time ----------------------------------------
 * The tags of a chunk of 2^BUDDY_CHUNK_ORDER frames are written (to NONE)
 * when the first tag in it is set; until then they all read NONE.  The
 * chunks' ready bits follow the tags in the page-tag block.  So the tag
 * pages a region costs grow with the part of it in use, as buddy's frame
 * table does.
 */
static inline uint8_t *tag_ready_bits(const struct slab *s)
{
    return s->page_tag + s->nframes;
}

static inline bool tag_chunk_ready(const struct slab *s, size_t pfn)
{
    size_t c = pfn >> BUDDY_CHUNK_ORDER;
    return (tag_ready_bits(s)[c >> 3] >> (c & 7u)) & 1u;
}

static inline uint8_t tag_get(const struct slab *s, size_t pfn)
{
    return tag_chunk_ready(s, pfn) ? s->page_tag[pfn] : SLAB_TAG_NONE;
}

static void tag_set(struct slab *s, size_t pfn, uint8_t tag)
{
    if (!tag_chunk_ready(s, pfn)) {
        if (tag == SLAB_TAG_NONE)
            return;
        size_t c = pfn >> BUDDY_CHUNK_ORDER, start = c << BUDDY_CHUNK_ORDER;
        size_t n = (size_t)1 << BUDDY_CHUNK_ORDER;
        hl_memset(s->page_tag + start, SLAB_TAG_NONE,
                  n < s->nframes - start ? n : s->nframes - start);
        tag_ready_bits(s)[c >> 3] |= (uint8_t)(1u << (c & 7u));
    }
    s->page_tag[pfn] = tag;
}

/* Bytes of the page-tag block: a tag per frame, a ready bit per chunk. */
static size_t tag_block_bytes(size_t nframes)
{
    return nframes + ((nframes >> BUDDY_CHUNK_ORDER) + 8) / 8;
}

_Static_assert(BUDDY_MAX_ORDER <= SLAB_TAG_ORDER_BITS,
               "an order must fit in a page tag");
_Static_assert(SLAB_MAX_ORDER <= BUDDY_MAX_ORDER,
               "slabs are buddy blocks");
_Static_assert(HL_FRAME_SHIFT + SLAB_MAX_ORDER < 32,
               "slab bytes and object counts fit in 32 bits");
/* The header's bytes: up to the bitmap (sizeof would add LP64's tail
 * padding, which the bitmap's first word may use). */
#define SLAB_HDR_BYTES offsetof(struct slab_hdr, used_map)
_Static_assert(SLAB_HDR_BYTES == 4 * sizeof(void *) + 12,
               "slab header: four pointers and three 32-bit counts (44 bytes "
               "on LP64, 28 on ILP32), as the worked example assumes");
_Static_assert(SLAB_HDR_BYTES % sizeof(uint32_t) == 0,
               "the bitmap follows the header word-aligned");
_Static_assert(sizeof(struct slab_free) <= 16 &&
                   alignof(struct slab_free) <= HL_HEAP_ALIGN,
               "the smallest class holds a free-list link");
_Static_assert(SLAB_MAX_CLASS_BYTES % HL_HEAP_ALIGN == 0,
               "classes are multiples of the heap alignment");
_Static_assert(HL_IS_POW2(SLAB_MAX_ALIGN_BYTES) &&
                   SLAB_MAX_ALIGN_BYTES <= HL_FRAME_BYTES,
               "slab starts are frame-aligned, so any alignment up to a frame "
               "holds");

/* Every size class, and the least lg_classes that uses it: 16, 32, 64,
 * ... 2048 always; 48, 96, ... 1536 from 1 (two per power of two); the
 * rest from 2 (four, as jemalloc spaces its small classes). */
static const struct {
    uint16_t bytes;
    uint8_t lg;
    const char *name;
} class_table[SLAB_NCLASSES] = {
    {16, 0, "kmalloc-16"},     {32, 0, "kmalloc-32"},
    {48, 1, "kmalloc-48"},     {64, 0, "kmalloc-64"},
    {80, 2, "kmalloc-80"},     {96, 1, "kmalloc-96"},
    {112, 2, "kmalloc-112"},   {128, 0, "kmalloc-128"},
    {160, 2, "kmalloc-160"},   {192, 1, "kmalloc-192"},
    {224, 2, "kmalloc-224"},   {256, 0, "kmalloc-256"},
    {320, 2, "kmalloc-320"},   {384, 1, "kmalloc-384"},
    {448, 2, "kmalloc-448"},   {512, 0, "kmalloc-512"},
    {640, 2, "kmalloc-640"},   {768, 1, "kmalloc-768"},
    {896, 2, "kmalloc-896"},   {1024, 0, "kmalloc-1024"},
    {1280, 2, "kmalloc-1280"}, {1536, 1, "kmalloc-1536"},
    {1792, 2, "kmalloc-1792"}, {2048, 0, "kmalloc-2048"},
};

/* ---- small helpers ------------------------------------------------------- */

static inline size_t order_bytes(unsigned order)
{
    return HL_FRAME_BYTES << order;
}

static inline size_t pfn_of(const struct slab *s, uintptr_t addr)
{
    return (size_t)((addr - s->frames_addr) >> HL_FRAME_SHIFT);
}

static inline bool in_frames(const struct slab *s, uintptr_t addr)
{
    return addr >= s->frames_addr &&
           addr - s->frames_addr < ((uintptr_t)s->nframes << HL_FRAME_SHIFT);
}

static inline unsigned floor_log2(size_t n)
{
    unsigned r = 0;
    while (n >>= 1)
        r++;
    return r;
}

static inline size_t map_words(size_t nobjs)
{
    return SLAB_HAVE_MAP ? (nobjs + 31) / 32 : 0;
}

static inline bool map_test(const struct slab_hdr *h, size_t idx)
{
    return (h->used_map[idx / 32] >> (idx % 32)) & 1u;
}

static inline void map_flip(struct slab_hdr *h, size_t idx)
{
    h->used_map[idx / 32] ^= (uint32_t)1 << (idx % 32);
}

static inline uint8_t *obj0_of(const struct slab_cache *c,
                               const struct slab_hdr *h)
{
    return (uint8_t *)h + c->first_off_bytes;
}

/* Index of obj in its slab.  pre: obj is on an object boundary. */
static inline size_t obj_index(const struct slab_cache *c,
                               const struct slab_hdr *h, const void *obj)
{
    return (size_t)((const uint8_t *)obj - obj0_of(c, h)) / c->stride_bytes;
}

/* The list a slab with `inuse` objects in use belongs on. */
static inline enum slab_list list_for(const struct slab_cache *c,
                                      uint32_t inuse)
{
    if (inuse == 0)
        return SLAB_EMPTY;
    return inuse == c->objs_per_slab ? SLAB_FULL : SLAB_PARTIAL;
}

/* The header of the slab of cache c that holds obj (no validation). */
static inline struct slab_hdr *hdr_of(const struct slab *s,
                                      const struct slab_cache *c,
                                      const void *obj)
{
    return (struct slab_hdr *)buddy_block_of(&s->pages, (uintptr_t)obj,
                                             c->slab_order);
}

/* Index of the heap class for a request of req (>= 1) bytes, or
 * SLAB_NCLASSES when the request goes to the buddy. */
static inline unsigned class_index(const struct slab *s, size_t req)
{
    if (req > SLAB_MAX_CLASS_BYTES)
        return SLAB_NCLASSES;
    size_t off = s->class_off[(req + HL_HEAP_ALIGN - 1) / HL_HEAP_ALIGN];
    return (unsigned)((off - offsetof(struct slab, classes)) /
                      sizeof(struct slab_cache));
}

/* The heap class's cache for req (1..SLAB_MAX_CLASS_BYTES) bytes. */
static inline struct slab_cache *class_cache(struct slab *s, size_t req)
{
    return (struct slab_cache *)((uint8_t *)s +
                                 s->class_off[(req + HL_HEAP_ALIGN - 1) /
                                              HL_HEAP_ALIGN]);
}

/* Objects of c held by callers. */
static inline size_t cache_inuse(const struct slab_cache *c)
{
    return c->slab_inuse - c->mag_n;
}

static inline struct slab_cache *class_for(struct slab *s, size_t req)
{
    unsigned i = class_index(s, req);
    return i < s->nclasses ? &s->classes[i] : NULL;
}

/* Level 3: the whole structure after every operation. */
static void paranoid_check(const struct slab *s)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation first = {0};
        if (slab_check(s, &first) != 0)
            hl_panic(__FILE__, __LINE__,
                     first.what ? first.what : "slab_check failed");
    }
}

/* ---- cache layout -------------------------------------------------------- */

/* Objects of `stride` bytes aligned to `align` in a slab of `order`:
 * sets *nobjs (>= 1) and *first_off, or returns false if none fit. */
static bool layout_for_order(size_t stride, size_t align, unsigned order,
                             uint32_t *nobjs, size_t *first_off)
{
    size_t slab_bytes = order_bytes(order);
    size_t hdr = SLAB_HDR_BYTES;
    size_t n = (slab_bytes - hdr) / stride;
    for (; n > 0; n--) {
        size_t off = HL_ALIGN_UP(hdr + map_words(n) * sizeof(uint32_t), align);
        if (off <= slab_bytes && (slab_bytes - off) / stride >= n) {
            *nobjs = (uint32_t)n;
            *first_off = off;
            return true;
        }
    }
    return false;
}

/* Fill in cache c for objects of obj_bytes aligned to align (a power of
 * two).  The slab order is the smallest with at least 8 objects and at
 * most 1/8 waste; else the smallest with at most 1/8 waste; else the
 * largest that holds an object at all.  Returns false if none does. */
static bool cache_setup(struct slab *s, struct slab_cache *c, const char *name,
                        size_t obj_bytes, size_t align, bool builtin)
{
    if (obj_bytes == 0 || obj_bytes > order_bytes(SLAB_MAX_ORDER) ||
        !HL_IS_POW2(align) || align > SLAB_MAX_ALIGN_BYTES)
        return false;
    align = HL_MAX(align, alignof(struct slab_free));
    size_t stride = HL_ALIGN_UP(HL_MAX(obj_bytes, sizeof(struct slab_free)),
                                align);
    unsigned max_order = HL_MIN(SLAB_MAX_ORDER, s->cache_max_order);
    int pick = -1, pick_waste_ok = -1, pick_any = -1;
    uint32_t n = 0;
    size_t off = 0;
    for (unsigned o = 0; o <= max_order; o++) {
        if (!layout_for_order(stride, align, o, &n, &off))
            continue;
        size_t waste = order_bytes(o) - (size_t)n * stride;
        bool waste_ok = waste * 8 <= order_bytes(o);
        if (waste_ok && n >= 8 && pick < 0)
            pick = (int)o;
        if (waste_ok && pick_waste_ok < 0)
            pick_waste_ok = (int)o;
        pick_any = (int)o;
    }
    if (pick < 0)
        pick = pick_waste_ok >= 0 ? pick_waste_ok : pick_any;
    if (pick < 0)
        return false;
    bool ok = layout_for_order(stride, align, (unsigned)pick, &n, &off);
    HL_ASSERT(ok);
    (void)ok;

    hl_memset(c, 0, sizeof *c);
    c->magic = SLAB_CACHE_MAGIC;
    c->slab_order = (uint32_t)pick;
    c->objs_per_slab = n;
    c->is_builtin = builtin;
    c->name = name;
    c->owner = s;
    c->obj_bytes = obj_bytes;
    c->align_bytes = align;
    c->stride_bytes = stride;
    c->first_off_bytes = off;
    c->mag_cap = builtin && c == &s->cache_cache ? 0 : s->mag_cap;
    return true;
}

/* ---- slab lists ---------------------------------------------------------- */

static void list_push(struct slab_cache *c, struct slab_hdr *h,
                      enum slab_list l)
{
    h->list = (uint32_t)l;
    h->prev = NULL;
    h->next = c->lists[l];
    if (h->next != NULL)
        h->next->prev = h;
    c->lists[l] = h;
    c->nslabs[l]++;
}

static void list_remove(struct slab_cache *c, struct slab_hdr *h)
{
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        c->lists[h->list] = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    c->nslabs[h->list]--;
}

/* ---- slabs come and go --------------------------------------------------- */

static void reap_all(struct slab *s);

/* A fresh slab for c on its EMPTY list, or NULL when the buddy has no
 * block of c's order even after every cache was reaped. */
static struct slab_hdr *slab_new(struct slab *s, struct slab_cache *c)
{
    void *mem = buddy_alloc_order(&s->pages, c->slab_order);
    if (mem == NULL) {
        reap_all(s);
        mem = buddy_alloc_order(&s->pages, c->slab_order);
        if (mem == NULL)
            return NULL;
    }
    struct slab_hdr *h = mem;
    size_t n = c->objs_per_slab;
    h->cache = c;
    h->inuse = 0;
    h->free_head = NULL;
    h->fresh = 0;
    if (SLAB_HAVE_MAP || HL_CHECK_LEVEL >= 2) {
        /* Checked builds: every object on the free list now (the bitmap
         * and the poison checks assume it). */
        if (SLAB_HAVE_MAP)
            hl_memset(h->used_map, 0, map_words(n) * sizeof(uint32_t));
        uint8_t *obj0 = obj0_of(c, h);
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(obj0, HL_POISON_FREED, n * c->stride_bytes);
        for (size_t i = n; i-- > 0;) { /* ascending addresses from the head */
            struct slab_free *f =
                (struct slab_free *)(obj0 + i * c->stride_bytes);
            f->next = h->free_head;
            h->free_head = f;
        }
        h->fresh = (uint32_t)n;
    }
    tag_set(s, pfn_of(s, (uintptr_t)h), SLAB_TAG(SLAB_TAG_SLAB, c->slab_order));
    list_push(c, h, SLAB_EMPTY);
    return h;
}

/* Give an empty slab (already off its list) back to the buddy. */
static void slab_release(struct slab *s, struct slab_cache *c,
                         struct slab_hdr *h)
{
    tag_set(s, pfn_of(s, (uintptr_t)h), SLAB_TAG_NONE);
    enum hl_status st = buddy_free_order(&s->pages, h, c->slab_order);
    HL_ASSERT(st == HL_OK);
    (void)st;
}

static void mag_flush(struct slab *s, struct slab_cache *c, uint32_t keep);

/* Empty c's magazine, then give its empty slabs back to the buddy. */
static void cache_reap(struct slab *s, struct slab_cache *c)
{
    mag_flush(s, c, 0);
    while (c->lists[SLAB_EMPTY] != NULL) {
        struct slab_hdr *h = c->lists[SLAB_EMPTY];
        list_remove(c, h);
        slab_release(s, c, h);
    }
}

static void reap_all(struct slab *s)
{
    for (unsigned i = 0; i < s->nclasses; i++)
        cache_reap(s, &s->classes[i]);
    for (struct slab_cache *c = s->user_caches; c != NULL; c = c->next)
        cache_reap(s, c);
    cache_reap(s, &s->cache_cache);
}

/* ---- objects come and go ------------------------------------------------- */

/* Is `next` a valid successor on h's free list right after an object was
 * taken (its bit already set)?  Checked builds only. */
static bool next_link_ok(const struct slab_cache *c, const struct slab_hdr *h,
                         const struct slab_free *next)
{
    if (next == NULL)
        return h->inuse + 1 == c->objs_per_slab;
    uintptr_t a = (uintptr_t)next, obj0 = (uintptr_t)obj0_of(c, h);
    if (a < obj0 || (a - obj0) / c->stride_bytes >= c->objs_per_slab ||
        (a - obj0) % c->stride_bytes != 0)
        return false;
    return !map_test(h, obj_index(c, h, next));
}

/* Checked builds: rebuild h's free list from its bitmap (after a write
 * after free destroyed a link). */
static void rebuild_free_list(const struct slab_cache *c, struct slab_hdr *h)
{
    uint8_t *obj0 = obj0_of(c, h);
    h->free_head = NULL;
    for (size_t i = c->objs_per_slab; i-- > 0;) {
        if (map_test(h, i))
            continue;
        struct slab_free *f = (struct slab_free *)(obj0 + i * c->stride_bytes);
        f->next = h->free_head;
        h->free_head = f;
    }
}

/* One object of c (not yet counted in c->live_bytes), or NULL. */
static void *cache_take(struct slab *s, struct slab_cache *c)
{
    struct slab_hdr *h = c->lists[SLAB_PARTIAL];
    if (h == NULL)
        h = c->lists[SLAB_EMPTY];
    if (h == NULL)
        h = slab_new(s, c);
    if (h == NULL)
        return NULL;
    struct slab_free *f = h->free_head;
    if (f == NULL) { /* release builds: the next never-used object */
        HL_ASSERT(h->fresh < c->objs_per_slab);
        f = (struct slab_free *)(obj0_of(c, h) +
                                 (size_t)h->fresh++ * c->stride_bytes);
    } else if (SLAB_HAVE_MAP) {
        map_flip(h, obj_index(c, h, f));
        if (!next_link_ok(c, h, f->next)) {
            hl_report(slab_name, "write after free", f, sizeof *f);
            rebuild_free_list(c, h);
        } else {
            h->free_head = f->next;
        }
    } else {
        h->free_head = f->next;
    }
    h->inuse++;
    c->slab_inuse++;
    enum slab_list want = list_for(c, h->inuse);
    if (want != (enum slab_list)h->list) {
        list_remove(c, h);
        list_push(c, h, want);
    }
    if (HL_CHECK_LEVEL >= 2) {
        const uint8_t *bad = hl_find_not((uint8_t *)f + sizeof *f,
                                         HL_POISON_FREED,
                                         c->stride_bytes - sizeof *f);
        if (bad != NULL)
            hl_report(slab_name, "write after free", f, c->stride_bytes);
    }
    return f;
}

/* k objects went back onto slab h of cache c: count them, then move the
 * slab to the list its in-use count selects, or release it. */
static inline void slab_settle(struct slab *s, struct slab_cache *c,
                               struct slab_hdr *h, uint32_t k)
{
    h->inuse -= k;
    c->slab_inuse -= k;
    enum slab_list want = list_for(c, h->inuse);
    if (want == (enum slab_list)h->list)
        return;
    list_remove(c, h);
    if (want == SLAB_EMPTY && c->nslabs[SLAB_EMPTY] >= s->keep_empty)
        slab_release(s, c, h);
    else
        list_push(c, h, want);
}

/* Put obj back on its slab h of cache c; moves or releases the slab. */
static void cache_put(struct slab *s, struct slab_cache *c, struct slab_hdr *h,
                      void *obj)
{
    struct slab_free *f = obj;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset((uint8_t *)obj + sizeof *f, HL_POISON_FREED,
                  c->stride_bytes - sizeof *f);
    if (SLAB_HAVE_MAP)
        map_flip(h, obj_index(c, h, obj));
    f->next = h->free_head;
    h->free_head = f;
    slab_settle(s, c, h, 1);
}

/* ---- the magazine ---------------------------------------------------------
 * A stack of pointers in the cache descriptor (slab.h).  Objects in it are
 * in use as far as their slabs know, and fully poisoned at level >= 2
 * (no link is kept in them).
 */

/* Give c's oldest magazine objects back to their slabs until `keep` are
 * left; the newest (warmest) move to the bottom. */
static void mag_flush(struct slab *s, struct slab_cache *c, uint32_t keep)
{
    uint32_t n = c->mag_n;
    if (n <= keep)
        return;
    uint32_t out = n - keep;
    for (uint32_t i = 0; i < out; i++) {
        void *obj = c->mag[i];
        cache_put(s, c, hdr_of(s, c, obj), obj);
    }
    for (uint32_t i = 0; i < keep; i++)
        c->mag[i] = c->mag[out + i];
    c->mag_n = keep;
}

/* Fill c's empty magazine with up to mag_cap / 2 objects (one if mag_cap
 * is 0 or 1) from its slabs, taking a new slab only while the magazine is
 * still empty.  Returns false if not even one was had.  (A new slab may
 * need every cache reaped, this magazine included: were that allowed with
 * objects in it, a nearly full arena would hand the same objects back and
 * forth for ever.) */
/* Release builds' refill from one slab: up to `want` objects popped off
 * its free list in one walk, its in-use count and list updated once
 * (cache_take's per-object bookkeeping, done k times over, was most of a
 * refill's cost).  The same objects in the same order as k cache_takes.
 * Returns how many were put at out[0..k). */
static uint32_t cache_take_batch(struct slab *s, struct slab_cache *c,
                                 void **out, uint32_t want)
{
    struct slab_hdr *h = c->lists[SLAB_PARTIAL];
    if (h == NULL)
        h = c->lists[SLAB_EMPTY];
    if (h == NULL)
        h = slab_new(s, c);
    if (h == NULL)
        return 0;
    uint32_t room = c->objs_per_slab - h->inuse;
    uint32_t k = want < room ? want : room;
    struct slab_free *f = h->free_head;
    uint32_t i = 0;
    for (; i < k && f != NULL; i++) {
        out[i] = f;
        f = f->next;
    }
    h->free_head = f;
    if (i < k) { /* the rest from the never-used tail, ascending */
        uint8_t *obj = obj0_of(c, h) + (size_t)h->fresh * c->stride_bytes;
        h->fresh += k - i;
        for (; i < k; i++, obj += c->stride_bytes)
            out[i] = obj;
    }
    h->inuse += k;
    c->slab_inuse += k;
    enum slab_list l = list_for(c, h->inuse);
    if (l != (enum slab_list)h->list) {
        list_remove(c, h);
        list_push(c, h, l);
    }
    return k;
}

static bool mag_refill(struct slab *s, struct slab_cache *c)
{
    uint32_t want = c->mag_cap / 2 ? c->mag_cap / 2 : 1;
    while (c->mag_n < want) {
        if (c->mag_n > 0 && c->lists[SLAB_PARTIAL] == NULL &&
            c->lists[SLAB_EMPTY] == NULL)
            break;
        if (!SLAB_HAVE_MAP && HL_CHECK_LEVEL < 2) {
            uint32_t k = cache_take_batch(s, c, &c->mag[c->mag_n],
                                          want - c->mag_n);
            if (k == 0)
                break;
            c->mag_n += k;
            continue;
        }
        uint8_t *obj = cache_take(s, c);
        if (obj == NULL)
            break;
        /* cache_take verified and reported the poison after the link:
         * poison all of it (the link word too: see above), so that
         * obj_alloc reports only writes made while in the magazine. */
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(obj, HL_POISON_FREED, c->stride_bytes);
        c->mag[c->mag_n++] = obj;
    }
    /* Pop in the order the slabs gave them (ascending addresses from a
     * fresh slab): reverse the stack. */
    for (uint32_t i = 0, j = c->mag_n; i + 1 < j; i++, j--) {
        void *t = c->mag[i];
        c->mag[i] = c->mag[j - 1];
        c->mag[j - 1] = t;
    }
    return c->mag_n > 0;
}

/* Slow half of obj_alloc: the magazine is empty. */
static __attribute__((noinline)) void *obj_alloc_refill(struct slab *s,
                                                        struct slab_cache *c)
{
    if (!mag_refill(s, c)) {
        s->failed_allocs++;
        return NULL;
    }
    return c->mag[--c->mag_n];
}

/* One object of c for a caller, counted in c (req bytes asked), or NULL.
 * The fast path: pop the magazine. */
static inline void *obj_alloc(struct slab *s, struct slab_cache *c, size_t req)
{
    uint32_t n = c->mag_n;
    void *p;
    if (__builtin_expect(n != 0, 1)) {
        p = c->mag[n - 1];
        c->mag_n = n - 1;
    } else if ((p = obj_alloc_refill(s, c)) == NULL) {
        return NULL;
    }
    c->live_bytes += req;
    c->allocs++;
    if (HL_CHECK_LEVEL >= 2) {
        if (hl_find_not(p, HL_POISON_FREED, c->stride_bytes) != NULL)
            hl_report(slab_name, "write after free", p, c->stride_bytes);
        hl_memset(p, HL_POISON_FRESH, req);
    }
    return p;
}

/* Slow half of obj_free: the magazine is full (or has no room at all). */
static __attribute__((noinline)) void obj_free_flush(struct slab *s,
                                                     struct slab_cache *c,
                                                     void *p)
{
    if (c->mag_cap == 0) {
        c->mag[0] = p; /* one slot for the hand-over; SLAB_MAG_SLOTS >= 1 */
        c->mag_n = 1;
        mag_flush(s, c, 0);
        return;
    }
    mag_flush(s, c, c->mag_cap / 2);
    c->mag[c->mag_n++] = p;
}

/* Give back an object of c that a caller held (req bytes asked).
 * The fast path: push on the magazine. */
static inline void obj_free(struct slab *s, struct slab_cache *c, void *p,
                            size_t req)
{
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(p, HL_POISON_FREED, c->stride_bytes);
    c->live_bytes -= req;
    uint32_t n = c->mag_n;
    if (__builtin_expect(n < c->mag_cap, 1)) {
        c->mag[n] = p;
        c->mag_n = n + 1;
    } else {
        obj_free_flush(s, c, p);
    }
}

/* ---- validation of frees (checked builds) -------------------------------- */

/* The start of the live block (slab, large block or page tags) that holds
 * addr, and its tag; 0 if addr lies in free memory.
 * pre: addr lies in the managed frames. */
static uintptr_t owner_of(const struct slab *s, uintptr_t addr, uint8_t *tag)
{
    for (unsigned o = 0; o <= s->max_order; o++) {
        uintptr_t start = buddy_block_of(&s->pages, addr, o);
        uint8_t t = tag_get(s, pfn_of(s, start));
        if (t != SLAB_TAG_NONE &&
            addr - start < order_bytes(SLAB_TAG_ORDER(t))) {
            *tag = t;
            return start;
        }
    }
    return 0;
}

static enum hl_status refuse(enum hl_status st, const char *what,
                             const void *ptr, size_t bytes)
{
    hl_report(slab_name, what, ptr, bytes);
    return st;
}

/* Is ptr a live object of cache `want` (NULL: a large block)?  Reports
 * and returns the error if not; sets *h_out to the object's slab.  A
 * large block itself is left to buddy_free's own validation. */
static enum hl_status validate_free(const struct slab *s,
                                    const struct slab_cache *want, void *ptr,
                                    size_t bytes, struct slab_hdr **h_out)
{
    uintptr_t addr = (uintptr_t)ptr;
    if (!hl_ptr_in(ptr, (const void *)s->base_addr, s->capacity_bytes))
        return refuse(HL_E_FOREIGN, "foreign pointer", ptr, bytes);
    if (!in_frames(s, addr))
        return refuse(HL_E_INTERIOR, "pointer into allocator metadata", ptr,
                      bytes);
    uint8_t tag = SLAB_TAG_NONE;
    uintptr_t start = owner_of(s, addr, &tag);
    if (start == 0) {
        if (want == NULL)
            return HL_OK; /* buddy reports its own double free */
        return refuse(HL_E_DOUBLE_FREE, "double free", ptr, bytes);
    }
    switch (SLAB_TAG_KIND(tag)) {
    case SLAB_TAG_META:
        return refuse(HL_E_INTERIOR, "pointer into allocator metadata", ptr,
                      bytes);
    case SLAB_TAG_LARGE:
        if (want == NULL)
            return HL_OK; /* buddy checks start and order */
        return refuse(HL_E_SIZE, "wrong size (a large block)", ptr, bytes);
    default:
        break;
    }
    const struct slab_hdr *h = (const struct slab_hdr *)start;
    const struct slab_cache *c = h->cache;
    if (want == NULL || c != want)
        return refuse(HL_E_SIZE, "wrong size (object of another cache)", ptr,
                      bytes);
    uintptr_t obj0 = (uintptr_t)obj0_of(c, h);
    if (addr < obj0 || (addr - obj0) % c->stride_bytes != 0 ||
        (addr - obj0) / c->stride_bytes >= c->objs_per_slab)
        return refuse(HL_E_INTERIOR, "interior pointer", ptr, bytes);
    if (!map_test(h, obj_index(c, h, ptr)))
        return refuse(HL_E_DOUBLE_FREE, "double free", ptr, bytes);
    for (uint32_t i = 0; i < c->mag_n; i++)
        if (c->mag[i] == ptr)
            return refuse(HL_E_DOUBLE_FREE, "double free", ptr, bytes);
    *h_out = (struct slab_hdr *)start;
    return HL_OK;
}

/* ---- init ---------------------------------------------------------------- */

enum hl_status slab_init(struct slab *s, void *base, size_t bytes)
{
    return slab_init_tuned(s, base, bytes, SLAB_KEEP_EMPTY, SLAB_MAX_ORDER,
                           SLAB_LG_CLASSES);
}

enum hl_status slab_init_tuned(struct slab *s, void *base, size_t bytes,
                               size_t keep_empty, unsigned max_slab_order,
                               unsigned lg_classes)
{
    hl_memset(s, 0, sizeof *s);
    if (max_slab_order > SLAB_MAX_ORDER || lg_classes > SLAB_LG_CLASSES_MAX)
        return HL_E_REGION;
    enum hl_status st = buddy_init(&s->pages, base, bytes);
    if (st != HL_OK)
        return st;
    s->keep_empty = keep_empty;
    s->base_addr = (uintptr_t)base;
    s->capacity_bytes = bytes;
    s->frames_addr = s->pages.frames_addr;
    s->nframes = s->pages.nframes;
    s->max_order = HL_MIN(floor_log2(s->nframes), BUDDY_MAX_ORDER);
    if (!HL_IS_ALIGNED(s->frames_addr, (uintptr_t)HL_FRAME_BYTES))
        return HL_E_REGION;

    s->mag_cap = SLAB_MAG_SLOTS;
    s->tag_order = buddy_order_for_bytes(tag_block_bytes(s->nframes));
    if (s->tag_order > s->max_order)
        return HL_E_REGION;
    s->page_tag = buddy_alloc_order(&s->pages, s->tag_order);
    if (s->page_tag == NULL)
        return HL_E_REGION;
    hl_memset(tag_ready_bits(s), 0, tag_block_bytes(s->nframes) - s->nframes);
    tag_set(s, pfn_of(s, (uintptr_t)s->page_tag), SLAB_TAG(SLAB_TAG_META, s->tag_order));

    /* Caches never ask for more than the largest block left now. */
    struct hl_stats b;
    buddy_stats(&s->pages, &b);
    if (b.largest_free_bytes == 0)
        return HL_E_REGION;
    s->cache_max_order = HL_MIN(floor_log2(b.largest_free_bytes >> HL_FRAME_SHIFT),
                                max_slab_order);

    for (unsigned t = 0; t < SLAB_NCLASSES; t++) {
        if (class_table[t].lg > lg_classes)
            continue;
        bool ok = cache_setup(s, &s->classes[s->nclasses++],
                              class_table[t].name, class_table[t].bytes,
                              HL_HEAP_ALIGN, true);
        HL_ASSERT(ok);
        (void)ok;
    }
    unsigned k = 0;
    _Static_assert(sizeof(struct slab) <= UINT16_MAX,
                   "class offsets fit in 16 bits");
    for (size_t i = 1; i < sizeof s->class_off / sizeof s->class_off[0];
         i++) {
        while (s->classes[k].obj_bytes < i * HL_HEAP_ALIGN)
            k++;
        s->class_off[i] = (uint16_t)((uint8_t *)&s->classes[k] -
                                     (uint8_t *)s);
    }
    if (!cache_setup(s, &s->cache_cache, "slab_cache",
                     sizeof(struct slab_cache), HL_HEAP_ALIGN, true))
        return HL_E_REGION;
    s->user_caches = NULL;
    return HL_OK;
}

/* ---- the heap view ------------------------------------------------------- */

static void *large_alloc(struct slab *s, size_t req)
{
    unsigned order = buddy_order_for_bytes(req);
    if (order > s->max_order)
        return NULL;
    void *p = buddy_alloc(&s->pages, req);
    if (p == NULL) {
        reap_all(s);
        p = buddy_alloc(&s->pages, req);
        if (p == NULL)
            return NULL;
    }
    tag_set(s, pfn_of(s, (uintptr_t)p), SLAB_TAG(SLAB_TAG_LARGE, order));
    s->large_blocks++;
    s->large_frames += (size_t)1 << order;
    s->large_live_bytes += req;
    s->large_allocs++;
    return p;
}

static enum hl_status large_free(struct slab *s, void *ptr, size_t req)
{
    enum hl_status st = buddy_free(&s->pages, ptr, req);
    if (st != HL_OK)
        return st;
    unsigned order = buddy_order_for_bytes(req);
    tag_set(s, pfn_of(s, (uintptr_t)ptr), SLAB_TAG_NONE);
    s->large_blocks--;
    s->large_frames -= (size_t)1 << order;
    s->large_live_bytes -= req;
    return HL_OK;
}

/* slab_alloc's every other case: a refill, a large block, checked builds.
 * pre: req >= 1. */
static __attribute__((noinline)) void *alloc_slow(struct slab *s, size_t req)
{
    void *p;
    if (req <= SLAB_MAX_CLASS_BYTES)
        p = obj_alloc(s, class_cache(s, req), req);
    else if ((p = large_alloc(s, req)) == NULL) /* buddy poisons */
        s->failed_allocs++;
    paranoid_check(s);
    return p;
}

/* The fast path is what a release build runs for a class request with
 * objects in its magazine: the class by table lookup, a pop, two counters.
 * Everything else is one tail call away. */
void *slab_alloc(struct slab *s, size_t bytes)
{
    size_t req = bytes + (bytes == 0);
    if (HL_CHECK_LEVEL == 0 &&
        __builtin_expect(req <= SLAB_MAX_CLASS_BYTES, 1)) {
        struct slab_cache *c = class_cache(s, req);
        uint32_t n = c->mag_n;
        if (__builtin_expect(n != 0, 1)) {
            c->mag_n = n - 1;
            c->live_bytes += req;
            c->allocs++;
            return c->mag[n - 1];
        }
    }
    return alloc_slow(s, req);
}

/* slab_free's every other case: a flush, a large block, checked builds.
 * pre: ptr != NULL, req >= 1. */
static __attribute__((noinline)) enum hl_status
free_slow(struct slab *s, void *ptr, size_t req)
{
    struct slab_cache *c = class_for(s, req);
    if (HL_CHECK_LEVEL >= 1) {
        struct slab_hdr *h = NULL;
        enum hl_status st = validate_free(s, c, ptr, req, &h);
        if (st != HL_OK)
            return st;
    }
    if (c != NULL) {
        obj_free(s, c, ptr, req);
    } else {
        enum hl_status st = large_free(s, ptr, req);
        if (st != HL_OK)
            return st;
    }
    paranoid_check(s);
    return HL_OK;
}

/* The fast path: the class by table lookup, a push, one counter. */
enum hl_status slab_free(struct slab *s, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return HL_OK;
    size_t req = bytes + (bytes == 0);
    if (HL_CHECK_LEVEL == 0 &&
        __builtin_expect(req <= SLAB_MAX_CLASS_BYTES, 1)) {
        struct slab_cache *c = class_cache(s, req);
        uint32_t n = c->mag_n;
        if (__builtin_expect(n < c->mag_cap, 1)) {
            c->mag[n] = ptr;
            c->mag_n = n + 1;
            c->live_bytes -= req;
            return HL_OK;
        }
    }
    return free_slow(s, ptr, req);
}

/* Add a cache's caller-side counters to out's live_* and allocs. */
static void sum_cache(const struct slab_cache *c, struct hl_stats *out)
{
    out->live_blocks += cache_inuse(c);
    out->live_bytes += c->live_bytes;
    out->allocs += c->allocs;
}

void slab_stats(const struct slab *s, struct hl_stats *out)
{
    struct hl_stats b;
    buddy_stats(&s->pages, &b);
    out->capacity_bytes = s->capacity_bytes;
    out->meta_bytes = b.meta_bytes + order_bytes(s->tag_order);
    out->live_blocks = s->large_blocks;
    out->live_bytes = s->large_live_bytes;
    out->allocs = s->large_allocs + s->retired_allocs;
    for (unsigned i = 0; i < s->nclasses; i++)
        sum_cache(&s->classes[i], out);
    for (const struct slab_cache *c = s->user_caches; c != NULL; c = c->next)
        sum_cache(c, out);
    out->frees = out->allocs - out->live_blocks;
    out->free_bytes = b.free_bytes;
    out->held_bytes = s->capacity_bytes - b.free_bytes;
    out->largest_free_bytes = b.largest_free_bytes;
    out->failed_allocs = s->failed_allocs;
}

void slab_reclaim(struct slab *s)
{
    reap_all(s);
    paranoid_check(s);
}

void slab_set_magazine(struct slab *s, unsigned slots)
{
    if (slots > SLAB_MAG_SLOTS)
        slots = SLAB_MAG_SLOTS;
    s->mag_cap = slots;
    for (unsigned i = 0; i < s->nclasses; i++) {
        mag_flush(s, &s->classes[i], 0);
        s->classes[i].mag_cap = slots;
    }
    for (struct slab_cache *c = s->user_caches; c != NULL; c = c->next) {
        mag_flush(s, c, 0);
        c->mag_cap = slots;
    }
    paranoid_check(s);
}

const struct slab_cache *slab_class_for(const struct slab *s, size_t bytes)
{
    unsigned i = class_index(s, bytes ? bytes : 1);
    return i < s->nclasses ? &s->classes[i] : NULL;
}

size_t slab_cache_obj_bytes(const struct slab_cache *c) { return c->obj_bytes; }
size_t slab_cache_stride_bytes(const struct slab_cache *c)
{
    return c->stride_bytes;
}
unsigned slab_cache_order(const struct slab_cache *c) { return c->slab_order; }
unsigned slab_cache_objs_per_slab(const struct slab_cache *c)
{
    return c->objs_per_slab;
}
size_t slab_cache_nslabs(const struct slab_cache *c, enum slab_list l)
{
    return c->nslabs[l];
}
size_t slab_cache_inuse(const struct slab_cache *c) { return cache_inuse(c); }

/* ---- the cache view ------------------------------------------------------ */

struct slab_cache *slab_cache_create(struct slab *s, const char *name,
                                     size_t obj_bytes, size_t align_bytes)
{
    struct slab_cache tmp;
    if (align_bytes == 0)
        align_bytes = HL_HEAP_ALIGN;
    if (!cache_setup(s, &tmp, name, obj_bytes, align_bytes, false))
        return NULL;
    struct slab_cache *c = cache_take(s, &s->cache_cache);
    if (c == NULL) {
        s->failed_allocs++;
        return NULL;
    }
    s->cache_cache.live_bytes += sizeof *c;
    *c = tmp;
    c->prev = NULL;
    c->next = s->user_caches;
    if (c->next != NULL)
        c->next->prev = c;
    s->user_caches = c;
    paranoid_check(s);
    return c;
}

/* Checked builds: is c a live cache?  Reports otherwise. */
static bool cache_alive(const struct slab_cache *c, const char *what)
{
    if (HL_CHECK_LEVEL >= 1 && c->magic != SLAB_CACHE_MAGIC) {
        hl_report(slab_name, what, c, sizeof *c);
        return false;
    }
    return true;
}

void *slab_cache_alloc(struct slab_cache *c)
{
    if (!cache_alive(c, "alloc from a destroyed cache"))
        return NULL;
    struct slab *s = c->owner;
    void *p = obj_alloc(s, c, c->obj_bytes);
    paranoid_check(s);
    return p;
}

enum hl_status slab_cache_free(struct slab_cache *c, void *obj)
{
    if (obj == NULL)
        return HL_OK;
    if (!cache_alive(c, "free to a destroyed cache"))
        return HL_E_FOREIGN;
    struct slab *s = c->owner;
    if (HL_CHECK_LEVEL >= 1) {
        struct slab_hdr *h = NULL;
        enum hl_status st = validate_free(s, c, obj, c->obj_bytes, &h);
        if (st != HL_OK)
            return st;
    }
    obj_free(s, c, obj, c->obj_bytes);
    paranoid_check(s);
    return HL_OK;
}

enum hl_status slab_cache_destroy(struct slab_cache *c)
{
    if (!cache_alive(c, "destroy of a destroyed cache"))
        return HL_E_DOUBLE_FREE;
    struct slab *s = c->owner;
    if (c->is_builtin) {
        if (HL_CHECK_LEVEL >= 1)
            hl_report(slab_name, "destroy of a built-in cache", c, sizeof *c);
        return HL_E_FOREIGN;
    }
    if (cache_inuse(c) != 0) {
        if (HL_CHECK_LEVEL >= 1)
            hl_report(slab_name, "destroy of a cache with live objects", c,
                      cache_inuse(c));
        return HL_E_REGION;
    }
    cache_reap(s, c);
    s->retired_allocs += c->allocs;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->user_caches = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->magic = 0;
    cache_put(s, &s->cache_cache, hdr_of(s, &s->cache_cache, c), c);
    s->cache_cache.live_bytes -= sizeof *c;
    paranoid_check(s);
    return HL_OK;
}

void slab_cache_reap(struct slab_cache *c)
{
    if (!cache_alive(c, "reap of a destroyed cache"))
        return;
    cache_reap(c->owner, c);
    paranoid_check(c->owner);
}

/* ---- check --------------------------------------------------------------- */

struct check_ctx {
    size_t count;
    struct hl_violation *first;
};

static void violation(struct check_ctx *cx, const char *what, uintptr_t addr)
{
    hl_violation_add(&cx->count, cx->first, what, addr);
}

/* Sums over the slabs check_cache() walked. */
struct check_sums {
    size_t slabs;
    size_t slab_frames;
};

/* One slab h on list l of cache c: header, free list, bitmap, list. */
static void check_slab(const struct slab *s, const struct slab_cache *c,
                       const struct slab_hdr *h, enum slab_list l,
                       struct check_ctx *cx)
{
    uintptr_t addr = (uintptr_t)h;
    size_t n = c->objs_per_slab;
    if (tag_get(s, pfn_of(s, addr)) != SLAB_TAG(SLAB_TAG_SLAB, c->slab_order))
        violation(cx, "slab not tagged as a slab of its order", addr);
    if (h->cache != c)
        violation(cx, "slab header names another cache", addr);
    if (h->list != (uint32_t)l)
        violation(cx, "slab header names another list", addr);
    if (h->inuse > n) {
        violation(cx, "slab in-use count out of range", addr);
        return;
    }

    if (h->fresh > n || ((SLAB_HAVE_MAP || HL_CHECK_LEVEL >= 2) &&
                         h->fresh != n)) {
        violation(cx, "slab's never-used mark out of range", addr);
        return;
    }
    uintptr_t obj0 = (uintptr_t)obj0_of(c, h);
    size_t nfree = n - h->fresh; /* the never-used tail */
    for (const struct slab_free *f = h->free_head; f != NULL; f = f->next) {
        uintptr_t a = (uintptr_t)f;
        if (nfree >= n) {
            violation(cx, "slab free list has a cycle", addr);
            break;
        }
        if (a < obj0 || (a - obj0) % c->stride_bytes != 0 ||
            (a - obj0) / c->stride_bytes >= h->fresh) {
            violation(cx, "free-list pointer off an object boundary or "
                          "outside its slab's used objects",
                      a);
            break;
        }
        if (SLAB_HAVE_MAP && map_test(h, obj_index(c, h, f)))
            violation(cx, "free-list object marked in use", a);
        nfree++;
    }
    if (nfree + h->inuse != n)
        violation(cx, "free objects + in use != objects per slab", addr);
    if (SLAB_HAVE_MAP) {
        size_t used = 0;
        for (size_t w = 0; w < map_words(n); w++)
            used += hl_popcount32(h->used_map[w]);
        if (used != h->inuse)
            violation(cx, "used bitmap disagrees with the in-use count", addr);
    }
    if (list_for(c, h->inuse) != l)
        violation(cx, "slab on the wrong list for its in-use count", addr);
}

/* c's magazine: fill within capacity; every object an object of one of
 * c's slabs, off that slab's free list, and there once. */
static void check_magazine(const struct slab *s, const struct slab_cache *c,
                           struct check_ctx *cx)
{
    uintptr_t caddr = (uintptr_t)c;
    if (c->mag_cap > SLAB_MAG_SLOTS || c->mag_n > c->mag_cap) {
        violation(cx, "magazine fill or capacity out of range", caddr);
        return;
    }
    for (uint32_t i = 0; i < c->mag_n; i++) {
        uintptr_t a = (uintptr_t)c->mag[i];
        if (!in_frames(s, a)) {
            violation(cx, "magazine object outside its cache's slabs", a);
            continue;
        }
        const struct slab_hdr *h = (const struct slab_hdr *)buddy_block_of(
            &s->pages, a, c->slab_order);
        uintptr_t obj0 = (uintptr_t)obj0_of(c, h);
        if (tag_get(s, pfn_of(s, (uintptr_t)h)) !=
                SLAB_TAG(SLAB_TAG_SLAB, c->slab_order) ||
            h->cache != c || a < obj0 || (a - obj0) % c->stride_bytes != 0 ||
            (a - obj0) / c->stride_bytes >= c->objs_per_slab) {
            violation(cx, "magazine object outside its cache's slabs", a);
            continue;
        }
        bool on_list = false;
        size_t walked = 0;
        for (const struct slab_free *f = h->free_head;
             f != NULL && walked < c->objs_per_slab; f = f->next, walked++) {
            if ((uintptr_t)f == a) {
                on_list = true;
                break;
            }
        }
        if (on_list || (a - obj0) / c->stride_bytes >= h->fresh ||
            (SLAB_HAVE_MAP && !map_test(h, obj_index(c, h, (void *)a))))
            violation(cx, "magazine object free in its slab too", a);
        for (uint32_t j = 0; j < i; j++)
            if (c->mag[j] == c->mag[i])
                violation(cx, "magazine holds an object twice", a);
    }
}

static void check_cache(const struct slab *s, const struct slab_cache *c,
                        struct check_sums *sums, struct check_ctx *cx)
{
    uintptr_t caddr = (uintptr_t)c;
    if (c->magic != SLAB_CACHE_MAGIC || c->owner != s ||
        c->slab_order > HL_MIN(SLAB_MAX_ORDER, s->max_order) ||
        c->objs_per_slab == 0 || !HL_IS_POW2(c->align_bytes) ||
        c->stride_bytes < c->obj_bytes ||
        !HL_IS_ALIGNED(c->stride_bytes, c->align_bytes) ||
        c->first_off_bytes < SLAB_HDR_BYTES +
                                 map_words(c->objs_per_slab) * sizeof(uint32_t) ||
        c->first_off_bytes > order_bytes(c->slab_order) ||
        (order_bytes(c->slab_order) - c->first_off_bytes) / c->stride_bytes <
            c->objs_per_slab) {
        violation(cx, "cache descriptor corrupt", caddr);
        return; /* its slabs cannot be judged */
    }
    size_t inuse = 0;
    for (unsigned l = 0; l < SLAB_NLISTS; l++) {
        size_t walked = 0;
        const struct slab_hdr *prev = NULL;
        for (const struct slab_hdr *h = c->lists[l]; h != NULL; h = h->next) {
            uintptr_t addr = (uintptr_t)h;
            if (walked >= s->nframes) {
                violation(cx, "slab list has a cycle", caddr);
                break;
            }
            if (!in_frames(s, addr) ||
                buddy_block_of(&s->pages, addr, c->slab_order) != addr ||
                pfn_of(s, addr) + ((size_t)1 << c->slab_order) > s->nframes) {
                violation(cx, "slab outside the frames or not a block of its "
                              "order",
                          addr);
                break;
            }
            if (h->prev != prev)
                violation(cx, "slab list prev link broken", addr);
            check_slab(s, c, h, (enum slab_list)l, cx);
            walked++;
            inuse += h->inuse;
            sums->slabs++;
            sums->slab_frames += (size_t)1 << c->slab_order;
            prev = h;
        }
        if (walked != c->nslabs[l])
            violation(cx, "slab count of a list wrong", caddr);
    }
    if (inuse != c->slab_inuse)
        violation(cx, "cache in-use count differs from its slabs", caddr);
    check_magazine(s, c, cx);
    if (c->mag_n > c->slab_inuse) {
        violation(cx, "magazine holds more objects than its slabs gave",
                  caddr);
        return;
    }
    size_t held = cache_inuse(c);
    if (c->nslabs[SLAB_EMPTY] > s->keep_empty)
        violation(cx, "more empty slabs than the policy keeps", caddr);
    if (c->live_bytes < held || c->live_bytes > held * c->obj_bytes ||
        (!c->is_builtin && c->live_bytes != held * c->obj_bytes))
        violation(cx, "cache live bytes out of range", caddr);
}

size_t slab_check(const struct slab *s, struct hl_violation *first)
{
    struct check_ctx cx = {0, first};
    if (first != NULL) {
        first->what = NULL;
        first->addr = 0;
    }
    struct hl_violation bv = {0};
    size_t nb = buddy_check(&s->pages, &bv);
    if (nb > 0) {
        violation(&cx, bv.what, bv.addr);
        cx.count += nb - 1;
    }
    if (s->frames_addr != s->pages.frames_addr ||
        s->nframes != s->pages.nframes || s->nframes == 0 ||
        s->tag_order > s->max_order ||
        !in_frames(s, (uintptr_t)s->page_tag) ||
        !HL_IS_ALIGNED((uintptr_t)s->page_tag - s->frames_addr,
                       (uintptr_t)order_bytes(s->tag_order)) ||
        tag_get(s, pfn_of(s, (uintptr_t)s->page_tag)) !=
            SLAB_TAG(SLAB_TAG_META, s->tag_order)) {
        violation(&cx, "state header corrupt", 0);
        return cx.count;
    }

    /* The page tags: valid, disjoint blocks; sums per kind. */
    size_t tag_slabs = 0, tag_slab_frames = 0, tag_large = 0,
           tag_large_frames = 0, tag_meta = 0, covered_end = 0;
    for (size_t pfn = 0; pfn < s->nframes; pfn++) {
        uint8_t t = tag_get(s, pfn);
        if (t == SLAB_TAG_NONE)
            continue;
        uintptr_t addr = s->frames_addr + ((uintptr_t)pfn << HL_FRAME_SHIFT);
        unsigned order = SLAB_TAG_ORDER(t);
        size_t frames = (size_t)1 << order;
        if ((t & ~(SLAB_TAG_KIND_BITS | SLAB_TAG_ORDER_BITS)) != 0 ||
            order > s->max_order || !HL_IS_ALIGNED(pfn, frames) ||
            pfn + frames > s->nframes || pfn < covered_end) {
            violation(&cx, "page tag invalid or inside another block", addr);
            continue;
        }
        covered_end = pfn + frames;
        switch (SLAB_TAG_KIND(t)) {
        case SLAB_TAG_SLAB:
            tag_slabs++;
            tag_slab_frames += frames;
            break;
        case SLAB_TAG_LARGE:
            tag_large++;
            tag_large_frames += frames;
            break;
        default:
            tag_meta++;
            break;
        }
    }
    if (tag_meta != 1)
        violation(&cx, "page tags name more than one metadata block", 0);

    /* Every cache, every slab. */
    struct check_sums sums = {0, 0};
    unsigned nclasses = s->nclasses;
    if (nclasses > SLAB_NCLASSES) {
        violation(&cx, "class count out of range", (uintptr_t)s);
        nclasses = SLAB_NCLASSES;
    }
    for (unsigned i = 0; i < nclasses; i++) {
        if (i > 0 && s->classes[i].obj_bytes <= s->classes[i - 1].obj_bytes)
            violation(&cx, "size classes out of order",
                      (uintptr_t)&s->classes[i]);
        check_cache(s, &s->classes[i], &sums, &cx);
    }
    check_cache(s, &s->cache_cache, &sums, &cx);
    size_t ncaches = 0;
    const struct slab_cache *prev = NULL;
    for (const struct slab_cache *c = s->user_caches; c != NULL; c = c->next) {
        if (ncaches >= cache_inuse(&s->cache_cache)) {
            violation(&cx, "more user caches than descriptors", (uintptr_t)c);
            break;
        }
        if (!in_frames(s, (uintptr_t)c)) {
            violation(&cx, "cache descriptor outside the frames", (uintptr_t)c);
            break;
        }
        if (c->prev != prev)
            violation(&cx, "cache list prev link broken", (uintptr_t)c);
        check_cache(s, c, &sums, &cx);
        ncaches++;
        prev = c;
    }
    if (ncaches != cache_inuse(&s->cache_cache))
        violation(&cx, "user caches differ from the descriptors in use", 0);

    /* Counters are sums. */
    if (tag_slabs != sums.slabs || tag_slab_frames != sums.slab_frames)
        violation(&cx, "page tags disagree with the slab lists", 0);
    if (tag_large != s->large_blocks || tag_large_frames != s->large_frames)
        violation(&cx, "page tags disagree with the large-block counters", 0);
    struct hl_stats b;
    buddy_stats(&s->pages, &b);
    size_t used_frames = ((size_t)1 << s->tag_order) + sums.slab_frames +
                         s->large_frames;
    if (b.held_bytes - b.meta_bytes != used_frames << HL_FRAME_SHIFT)
        violation(&cx, "buddy's held frames differ from tags + slabs + large "
                       "blocks",
                  0);
    if (s->large_live_bytes < s->large_blocks ||
        s->large_live_bytes > s->large_frames << HL_FRAME_SHIFT)
        violation(&cx, "large-block live bytes out of range", 0);
    if (b.capacity_bytes != s->capacity_bytes)
        violation(&cx, "capacity differs from the buddy's", 0);
    return cx.count;
}

/* ---- the registry's view ------------------------------------------------- */

/* Parameters, by index (hl_slab.params). */
enum {
    SLAB_P_KEEP_EMPTY,
    SLAB_P_MAGAZINE,
    SLAB_P_MAX_SLAB_ORDER,
    SLAB_P_LG_CLASSES,
};

static enum hl_status vt_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    enum hl_status st =
        slab_init_tuned(state, base, bytes, (size_t)p->v[SLAB_P_KEEP_EMPTY],
                        (unsigned)p->v[SLAB_P_MAX_SLAB_ORDER],
                        (unsigned)p->v[SLAB_P_LG_CLASSES]);
    if (st == HL_OK && p->v[SLAB_P_MAGAZINE] != SLAB_MAG_SLOTS)
        slab_set_magazine(state, (unsigned)p->v[SLAB_P_MAGAZINE]);
    return st;
}

static void *vt_alloc(void *state, size_t bytes)
{
    return slab_alloc(state, bytes);
}

static enum hl_status vt_free(void *state, void *ptr, size_t bytes)
{
    return slab_free(state, ptr, bytes);
}

static void vt_stats(const void *state, struct hl_stats *out)
{
    slab_stats(state, out);
}

static void vt_reclaim(void *state) { slab_reclaim(state); }

static size_t vt_check(const void *state, struct hl_violation *first)
{
    return slab_check(state, first);
}

const struct hl_allocator hl_slab = {
    .name = slab_name,
    .summary = "Bonwick slab caches (16..2048 B classes) with magazines, "
               "over buddy pages",
    .family = HL_FAMILY_HEAP,
    .flags = 0,
    .state_bytes = sizeof(struct slab),
    .align_bytes = HL_HEAP_ALIGN,
    .nparams = 4,
    .params = {
        [SLAB_P_KEEP_EMPTY] = {"keep_empty", "slabs",
                               "empty slabs a cache keeps before it returns "
                               "them to buddy",
                               SLAB_KEEP_EMPTY, 0, SLAB_KEEP_EMPTY_MAX},
        [SLAB_P_MAGAZINE] = {"magazine", "objects",
                             "magazine capacity per cache (0: every alloc "
                             "and free reaches the slabs)",
                             SLAB_MAG_SLOTS, 0, SLAB_MAG_SLOTS},
        [SLAB_P_MAX_SLAB_ORDER] = {"max_slab_order", "order",
                                   "largest slab a size class may use: "
                                   "2^max_slab_order frames",
                                   SLAB_MAX_ORDER, 0, SLAB_MAX_ORDER},
        [SLAB_P_LG_CLASSES] = {"lg_classes", "log2",
                               "size classes per power of two: 2^lg_classes "
                               "(0: 16, 32, 64..; 1: and 48, 96..; 2: four, "
                               "as jemalloc)",
                               SLAB_LG_CLASSES, 0, SLAB_LG_CLASSES_MAX},
    },
    .init = vt_init,
    .alloc = vt_alloc,
    .free = vt_free,
    .stats = vt_stats,
    .reclaim = vt_reclaim,
    .check = vt_check,
};
