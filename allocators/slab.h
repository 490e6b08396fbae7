/*
 * slab.h — Bonwick-style object caches on top of an embedded buddy
 * allocator (registry name "slab").
 *
 * The whole arena belongs to one struct buddy.  A cache hands out objects
 * of one size; it carves slabs of 2^slab_order frames from the buddy and
 * threads a free list through the free objects of each slab.  Two views:
 *
 *   heap view (the vtable, hl_slab):  fourteen size classes 16 .. 2048
 *       bytes (multiples of 16, so every object is 16-aligned); a request
 *       above 2048 bytes is a page-aligned block straight from the buddy.
 *       Free is sized: the size picks the class (or the buddy).
 *   cache view (slab_cache_*):  kmem_cache_create-style caches of
 *       fixed-size objects.  Their descriptors are objects of an internal
 *       cache of caches, so they live in the arena too.
 *
 * Memory map of the arena:
 *
 *   base                                                  base + bytes
 *   | buddy metadata | page tags | slab | slab | large | free | slab |...
 *   '------- meta_bytes ---------'  (every piece after the buddy metadata
 *                                    is a buddy block)
 *
 * A slab (2^slab_order frames, buddy-aligned):
 *
 *   slab start                                          slab end
 *   | struct slab_hdr | used bitmap* | pad | obj 0 | obj 1 | ... | waste |
 *   '---------- first_off_bytes ----------'  '- stride_bytes -'
 *   (* the bitmap exists in checked builds only: one bit per object,
 *      set = in use; it makes double-free detection O(1))
 *
 * A free object on its slab's free list holds the address of the next
 * free object of that slab in its first word (the only bytes of such an
 * object that are not poisoned at level >= 2).
 *
 * The magazine (Bonwick & Adams, USENIX 2001): in front of its slabs every
 * cache keeps a stack of up to mag_cap (<= SLAB_MAG_SLOTS) free objects as
 * an array of pointers in the cache descriptor.  alloc pops the top, free
 * pushes; that is the whole fast path, and it touches neither the object
 * nor its slab.  An empty magazine is refilled with mag_cap / 2 objects
 * from the slabs; a full one gives its oldest mag_cap / 2 back to their
 * slabs.  To its slab, an object in the magazine is in use; to the caller
 * it is free.  So under random churn (free a random block, alloc one) the
 * magazine absorbs every step and slab headers and lists stay cold, and a
 * slab empties only in a flush: the magazine is the hysteresis between a
 * slab's last free and its return to the buddy.  Why this matters: without
 * it, a random free finds a full slab (a cache miss on its header) and
 * moves it to the partial list (two more headers), and the next alloc
 * fills the partial head and moves it back; with 10^5 live 64 B objects
 * the 1600 headers do not stay in cache, so cost grew with the live set.
 *
 * Policy: a cache keeps at most keep_empty (a parameter; default
 * SLAB_KEEP_EMPTY) empty slabs; further
 * empty slabs go back to the buddy at once.  slab_cache_reap() and the
 * vtable's reclaim() empty the magazines and give back the kept slabs too
 * (Bonwick's kmem_cache_reap); an allocation that finds the buddy
 * exhausted does the same for every cache and retries once.
 *
 * Stats (heap view and cache view together): live_* count the objects and
 * large blocks handed to callers (not cache descriptors); held is what the
 * buddy does not have free; meta is the buddy's metadata plus the page-tag
 * block taken at init.
 */
#ifndef HEAPLAB_SLAB_H
#define HEAPLAB_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/buddy.h"
#include "allocators/util.h"

/* Empty slabs a cache keeps for reuse before it returns them to buddy:
 * the default of the registry's keep_empty parameter, and its largest
 * value. */
#define SLAB_KEEP_EMPTY 1u
#define SLAB_KEEP_EMPTY_MAX 4096u
/* Magazine slots per cache (see above); slab_set_magazine() may lower the
 * capacity in use. */
#define SLAB_MAG_SLOTS 64u
/* The heap view's size classes: 2^lg_classes per power of two from 64 to
 * 2048 bytes (16, 32, 48, 64 below; all multiples of 16), lg_classes 0..2
 * (SLAB_LG_CLASSES_MAX): 8, 14 or 24 classes.  SLAB_NCLASSES is the most. */
#define SLAB_NCLASSES 24u
#define SLAB_LG_CLASSES 1u
#define SLAB_LG_CLASSES_MAX 2u
#define SLAB_MAX_CLASS_BYTES ((size_t)2048)
/* The largest slab a cache may use: 2^SLAB_MAX_ORDER frames. */
#define SLAB_MAX_ORDER 6u
/* The largest alignment a cache may ask for. */
#define SLAB_MAX_ALIGN_BYTES HL_FRAME_BYTES

/* The lists a slab can be on, by how many of its objects are in use. */
enum slab_list {
    SLAB_PARTIAL = 0, /* 0 < in use < objs_per_slab */
    SLAB_FULL = 1,    /* in use == objs_per_slab */
    SLAB_EMPTY = 2,   /* in use == 0 */
    SLAB_NLISTS = 3,
};

struct slab;
struct slab_cache;

/* A free object: its first word links to the next free object of its
 * slab.  (Private to slab.c, like struct slab_hdr: declared here so that
 * tests can corrupt them on purpose.) */
struct slab_free {
    struct slab_free *next;
};

/* The header at the start of every slab. */
struct slab_hdr {
    struct slab_cache *cache;
    struct slab_hdr *next, *prev; /* the cache list named by `list` */
    struct slab_free *free_head;  /* objects given back (release builds:
                                   * the never-used tail is not on it) */
    uint32_t inuse;               /* objects handed out */
    uint32_t list;                /* enum slab_list */
    uint32_t fresh;               /* objects [fresh, objs_per_slab) were
                                   * never handed out and are on no list
                                   * (release builds carve them lazily;
                                   * checked builds list them all at once) */
    uint32_t used_map[];          /* checked builds: bit i = object i in use */
};

/* One object cache.  Fields are private to slab.c.  The fast path's
 * fields come first: the magazine's fill and capacity and the two counters
 * it updates.  Objects held by callers are slab_inuse - mag_n (not stored:
 * one counter less to update per op). */
struct slab_cache {
    uint32_t mag_n;              /* objects in the magazine */
    uint32_t mag_cap;            /* its capacity in use, <= SLAB_MAG_SLOTS */
    size_t live_bytes;           /* bytes requested by callers' objects */
    uint64_t allocs;             /* successful allocs from this cache */
    uint32_t magic;              /* SLAB_CACHE_MAGIC while alive */
    uint32_t slab_order;         /* slabs are 2^slab_order frames */
    uint32_t objs_per_slab;
    uint32_t is_builtin;         /* a heap class or the cache of caches */
    const char *name;
    struct slab *owner;
    size_t obj_bytes;            /* the size asked for */
    size_t align_bytes;
    size_t stride_bytes;         /* obj_bytes rounded up to align, >= a link */
    size_t first_off_bytes;      /* slab start -> object 0 */
    struct slab_hdr *lists[SLAB_NLISTS];
    size_t nslabs[SLAB_NLISTS];
    size_t slab_inuse;           /* objects off the slabs' free lists:
                                    held by callers + mag_n */
    struct slab_cache *next, *prev; /* user caches: the owner's list */
    void *mag[SLAB_MAG_SLOTS];   /* the magazine: mag[mag_n - 1] is the top */
};

/* The allocator state (hl_slab.state_bytes).  Fields are private. */
struct slab {
    struct buddy pages;          /* owns the whole arena */
    uintptr_t base_addr;
    size_t capacity_bytes;
    uintptr_t frames_addr;       /* copy of the buddy's frame 0 */
    size_t nframes;
    unsigned max_order;          /* largest buddy order of these frames */
    unsigned cache_max_order;    /* largest order free after init */
    uint8_t *page_tag;           /* per frame: what starts there (slab.c) */
    unsigned tag_order;          /* the page-tag block's order */
    unsigned nclasses;           /* classes in use, by lg_classes */
    struct slab_cache classes[SLAB_NCLASSES];
    struct slab_cache cache_cache; /* descriptors of user caches */
    struct slab_cache *user_caches;
    /* (bytes + 15) / 16 -> byte offset of its class's cache from the
     * start of struct slab (an offset, not an index: no multiply on the
     * fast path) */
    uint16_t class_off[SLAB_MAX_CLASS_BYTES / 16 + 1];
    size_t large_blocks;
    size_t large_frames;
    size_t large_live_bytes;
    uint64_t large_allocs;       /* successful large allocs */
    uint64_t retired_allocs;     /* allocs of destroyed user caches */
    uint64_t failed_allocs;
    unsigned mag_cap;            /* magazine capacity of new caches */
    size_t keep_empty;           /* empty slabs a cache keeps (policy) */
    /* live_*, allocs and frees are sums over the caches (slab_stats), so
     * the fast path updates one cache's counters only. */
};

extern const struct hl_allocator hl_slab;

/* Take over [base, base + bytes).  pre: s points to a struct slab. */
enum hl_status slab_init(struct slab *s, void *base, size_t bytes);
/* The same with another empty-slab policy (keep_empty slabs per cache),
 * no slab above 2^max_slab_order frames (<= SLAB_MAX_ORDER) and
 * 2^lg_classes size classes per power of two (<= SLAB_LG_CLASSES_MAX);
 * out of range: HL_E_REGION.  The registry's parameters.  slab_init is
 * slab_init_tuned(s, base, bytes, SLAB_KEEP_EMPTY, SLAB_MAX_ORDER,
 * SLAB_LG_CLASSES). */
enum hl_status slab_init_tuned(struct slab *s, void *base, size_t bytes,
                               size_t keep_empty, unsigned max_slab_order,
                               unsigned lg_classes);

/* Heap view: a 16-aligned block of at least `bytes` bytes, or NULL. */
void *slab_alloc(struct slab *s, size_t bytes);
/* Heap view: give back a block; bytes is what was asked of slab_alloc. */
enum hl_status slab_free(struct slab *s, void *ptr, size_t bytes);

void slab_stats(const struct slab *s, struct hl_stats *out);
/* Empty every magazine and return every cached empty slab of every cache
 * to the buddy. */
void slab_reclaim(struct slab *s);
/* Magazine capacity of every cache, now and for caches created later:
 * 0 (every alloc and free goes to the slabs, as tests of the slab layer
 * want) up to SLAB_MAG_SLOTS (the default).  Empties the magazines. */
void slab_set_magazine(struct slab *s, unsigned slots);
/* Count invariant violations; describe the first in *first. */
size_t slab_check(const struct slab *s, struct hl_violation *first);

/* The heap view's class for a request of `bytes` (0 counts as 1), or
 * NULL when the request goes to the buddy. */
const struct slab_cache *slab_class_for(const struct slab *s, size_t bytes);
/* Object size and slab order of a cache (for tests and reports). */
size_t slab_cache_obj_bytes(const struct slab_cache *c);
size_t slab_cache_stride_bytes(const struct slab_cache *c);
unsigned slab_cache_order(const struct slab_cache *c);
unsigned slab_cache_objs_per_slab(const struct slab_cache *c);
/* Slabs on list l, and objects in use, of cache c. */
size_t slab_cache_nslabs(const struct slab_cache *c, enum slab_list l);
size_t slab_cache_inuse(const struct slab_cache *c);

/* A cache of objects of obj_bytes bytes aligned to align_bytes (a power
 * of two <= SLAB_MAX_ALIGN_BYTES; 0 means HL_HEAP_ALIGN), or NULL.
 * pre: name is a static string (or outlives the cache). */
struct slab_cache *slab_cache_create(struct slab *s, const char *name,
                                     size_t obj_bytes, size_t align_bytes);
/* One object of c, or NULL. */
void *slab_cache_alloc(struct slab_cache *c);
/* Give back an object of c.  Checked builds validate it as free() does. */
enum hl_status slab_cache_free(struct slab_cache *c, void *obj);
/* Free c and its slabs.  Refused (state unchanged; reported in checked
 * builds) with HL_E_REGION while objects are live — hl_status has no
 * "busy" code — and HL_E_FOREIGN for a built-in cache; checked builds
 * also refuse a destroyed cache with HL_E_DOUBLE_FREE. */
enum hl_status slab_cache_destroy(struct slab_cache *c);
/* Return c's empty slabs to the buddy. */
void slab_cache_reap(struct slab_cache *c);

#endif /* HEAPLAB_SLAB_H */
