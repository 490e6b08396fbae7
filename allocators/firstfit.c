/*
 * firstfit.c — the seed's KernelHeap in C: one address-ordered list of all
 * blocks, first fit, split, coalesce with both neighbours; and the same
 * heap with the next-fit, best-fit and LIFO first-fit policies.  See
 * firstfit.h for the arena map, the accounting and the policies.
 *
 * Invariants (check() verifies each):
 *   - the blocks tile [arena_addr, arena_end): head == arena_addr and each
 *     block's next is exactly the address past its payload (NULL for the
 *     last one), so the list is in address order and has no gaps;
 *   - every header is 16-aligned, its size a multiple of 16 and at least
 *     FFH_MIN_PAYLOAD_BYTES, its magic FFH_MAGIC_FREE or FFH_MAGIC_USED;
 *   - no two neighbours are both free (free() coalesces);
 *   - used_bytes is the sum of used blocks with their headers and
 *     live_blocks their number;
 *   - next fit: the rover is NULL or a block of the list;
 *   - LIFO first fit: the free list holds every free block exactly once
 *     and nothing else; other policies keep it empty.
 * At HL_CHECK_LEVEL >= 2 every byte of a free block's payload holds
 * HL_POISON_FREED (headers are metadata and are not poisoned; a header
 * absorbed by a merge becomes payload and is poisoned then).
 */
#include "allocators/firstfit.h"

#include "allocators/port.h"
#include "allocators/util.h"

static const char *const policy_names[FFH_NPOLICIES] = {
    "firstfit-seed", "nextfit", "bestfit", "firstfit-lifo",
};

static inline uint8_t *payload_of(struct ffh_block *b)
{
    return (uint8_t *)b + FFH_HEADER_BYTES;
}

/* Address just past b's payload.  pre: b's size is sane. */
static inline uintptr_t end_of(const struct ffh_block *b)
{
    return (uintptr_t)b + FFH_HEADER_BYTES + b->size_bytes;
}

static inline bool is_free(const struct ffh_block *b)
{
    return b->magic == FFH_MAGIC_FREE;
}

/* Level 3: the full validator after every operation. */
static void assert_valid(const struct ffh_heap *h)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation first = {0};
        if (ffh_check(h, &first) != 0)
            hl_panic(__FILE__, __LINE__, first.what);
    }
}

enum hl_status ffh_init(struct ffh_heap *h, void *base, size_t bytes)
{
    return ffh_init_policy(h, base, bytes, FFH_FIRST_FIT);
}

enum hl_status ffh_init_policy(struct ffh_heap *h, void *base, size_t bytes,
                               enum ffh_policy policy)
{
    if ((unsigned)policy >= FFH_NPOLICIES)
        return HL_E_REGION;
    uintptr_t lo = (uintptr_t)base, hi;
    if (base == NULL || __builtin_add_overflow(lo, bytes, &hi))
        return HL_E_REGION;
    /* Erratum 5: the seed never aligned the start. */
    uintptr_t first = HL_ALIGN_UP(lo, HL_HEAP_ALIGN);
    uintptr_t last = HL_ALIGN_DOWN(hi, HL_HEAP_ALIGN);
    /* Erratum 8: the seed's `size - HEADER_SIZE` wrapped for a tiny arena
     * and described a huge free block past the arena's end. */
    if (first < lo || first >= last ||
        last - first < FFH_HEADER_BYTES + FFH_MIN_PAYLOAD_BYTES)
        return HL_E_REGION;

    hl_memset(h, 0, sizeof *h);
    h->region_addr = lo;
    h->region_bytes = bytes;
    h->arena_addr = first;
    h->arena_end = last;
    h->head = (struct ffh_block *)first;
    h->head->size_bytes = last - first - FFH_HEADER_BYTES;
    h->head->next = NULL;
    h->head->magic = FFH_MAGIC_FREE;
    h->head->free_next = NULL;
    h->policy = (uint32_t)policy;
    h->split_min_bytes = FFH_HEADER_BYTES + FFH_MIN_PAYLOAD_BYTES;
    h->name = policy_names[policy];
    if (policy == FFH_FIRST_LIFO)
        h->free_head = h->head;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(payload_of(h->head), HL_POISON_FREED, h->head->size_bytes);
    assert_valid(h);
    return HL_OK;
}

/* Level 2: the n bytes of free memory at p, about to change hands, must
 * still hold the freed poison. */
static void verify_freed_poison(const struct ffh_heap *h, uint8_t *p,
                                size_t n, size_t bytes)
{
    const uint8_t *bad = hl_find_not(p, HL_POISON_FREED, n);
    if (bad != NULL)
        hl_report(h->name, "write after free", bad, bytes);
}

static inline bool fits(const struct ffh_block *b, size_t size_bytes)
{
    return is_free(b) && b->size_bytes >= size_bytes;
}

/* The free block h's policy picks for a payload of size_bytes, or NULL.
 * FFH_FIRST_LIFO: *lifo_prev is its predecessor on the free list. */
static struct ffh_block *find_fit(const struct ffh_heap *h, size_t size_bytes,
                                  struct ffh_block **lifo_prev)
{
    struct ffh_block *b;
    switch (h->policy) {
    case FFH_NEXT_FIT: {
        struct ffh_block *start = h->rover ? h->rover : h->head;
        for (b = start; b != NULL; b = b->next)
            if (fits(b, size_bytes))
                return b;
        for (b = h->head; b != start; b = b->next)
            if (fits(b, size_bytes))
                return b;
        return NULL;
    }
    case FFH_BEST_FIT: {
        struct ffh_block *best = NULL;
        for (b = h->head; b != NULL; b = b->next) {
            if (fits(b, size_bytes) &&
                (best == NULL || b->size_bytes < best->size_bytes)) {
                best = b;
                if (b->size_bytes == size_bytes)
                    break; /* nothing fits better */
            }
        }
        return best;
    }
    case FFH_FIRST_LIFO: {
        struct ffh_block *prev = NULL;
        for (b = h->free_head; b != NULL; prev = b, b = b->free_next) {
            if (b->size_bytes >= size_bytes) {
                *lifo_prev = prev;
                return b;
            }
        }
        return NULL;
    }
    default:
        for (b = h->head; b != NULL; b = b->next)
            if (fits(b, size_bytes))
                return b;
        return NULL;
    }
}

/* FFH_FIRST_LIFO: take b off the free list (O(free blocks): the list is
 * singly linked, as the seed's is). */
static void lifo_unlink(struct ffh_heap *h, struct ffh_block *b)
{
    struct ffh_block **link = &h->free_head;
    while (*link != NULL && *link != b)
        link = &(*link)->free_next;
    HL_ASSERT(*link == b);
    if (*link == b)
        *link = b->free_next;
    b->free_next = NULL;
}

static void lifo_push(struct ffh_heap *h, struct ffh_block *b)
{
    b->free_next = h->free_head;
    h->free_head = b;
}

void *ffh_alloc(struct ffh_heap *h, size_t bytes)
{
    size_t size_bytes;
    /* Erratum 6: 0 is served as 1 (a unique, freeable 16-byte block), and
     * the rounding cannot wrap into a small request. */
    if (bytes == 0)
        bytes = 1;
    if (!hl_align_up_checked(bytes, HL_HEAP_ALIGN, &size_bytes)) {
        h->failed_allocs++;
        return NULL;
    }

    struct ffh_block *lifo_prev = NULL;
    struct ffh_block *b = find_fit(h, size_bytes, &lifo_prev);
    if (b != NULL) {
        size_t rest_bytes = b->size_bytes - size_bytes;
        /* Split only if the rest can be a block of its own. */
        bool split = rest_bytes >= h->split_min_bytes;
        if (HL_CHECK_LEVEL >= 2)
            verify_freed_poison(h, payload_of(b),
                                split ? size_bytes + FFH_HEADER_BYTES
                                      : b->size_bytes,
                                bytes);
        if (split) {
            struct ffh_block *rest =
                (struct ffh_block *)(payload_of(b) + size_bytes);
            rest->size_bytes = rest_bytes - FFH_HEADER_BYTES;
            rest->next = b->next;
            rest->magic = FFH_MAGIC_FREE;
            rest->free_next = NULL;
            b->size_bytes = size_bytes;
            b->next = rest;
        }
        if (h->policy == FFH_FIRST_LIFO) {
            /* The rest, if any, takes b's place on the free list. */
            struct ffh_block *after = b->free_next;
            if (split) {
                b->next->free_next = after;
                after = b->next;
            }
            if (lifo_prev != NULL)
                lifo_prev->free_next = after;
            else
                h->free_head = after;
            b->free_next = NULL;
        }
        if (h->policy == FFH_NEXT_FIT)
            h->rover = b->next; /* the search resumes after b */
        b->magic = FFH_MAGIC_USED;
        if (HL_CHECK_LEVEL >= 1)
            b->asked_bytes = bytes;
        h->used_bytes += FFH_HEADER_BYTES + b->size_bytes;
        h->live_bytes += bytes;
        h->live_blocks++;
        h->allocs++;
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(payload_of(b), HL_POISON_FRESH, bytes);
        assert_valid(h);
        return payload_of(b);
    }
    h->failed_allocs++;
    return NULL;
}

/*
 * Checked builds (erratum 7): is ptr a used block granted for `bytes`?
 * O(blocks).  A 16-aligned pointer into a free block is reported as a
 * double free: once a freed block has merged with a free neighbour its
 * header is gone, and a stale pointer to it lands inside the merged block.
 */
static enum hl_status validate_free(const struct ffh_heap *h, void *ptr,
                                    size_t bytes)
{
    uintptr_t p = (uintptr_t)ptr;
    if (!hl_ptr_in(ptr, (const void *)h->region_addr, h->region_bytes)) {
        hl_report(h->name, "foreign pointer", ptr, bytes);
        return HL_E_FOREIGN;
    }
    struct ffh_block *found = NULL;
    for (struct ffh_block *b = h->head; b != NULL; b = b->next) {
        if ((uintptr_t)payload_of(b) == p) {
            found = b;
            break;
        }
        if (p < end_of(b)) {
            /* p is inside b but not its payload start. */
            if (is_free(b) && HL_IS_ALIGNED(p, HL_HEAP_ALIGN) &&
                p > (uintptr_t)payload_of(b)) {
                hl_report(h->name, "double free", ptr, bytes);
                return HL_E_DOUBLE_FREE;
            }
            break;
        }
    }
    if (found == NULL || (found->magic != FFH_MAGIC_FREE &&
                          found->magic != FFH_MAGIC_USED)) {
        hl_report(h->name, "interior pointer", ptr, bytes);
        return HL_E_INTERIOR;
    }
    if (is_free(found)) {
        hl_report(h->name, "double free", ptr, bytes);
        return HL_E_DOUBLE_FREE;
    }
    /* Checked builds record the asked size in the header (firstfit.h), so
     * a size that rounds the same but differs is refused too. */
    if (found->asked_bytes != bytes) {
        hl_report(h->name, "wrong size", ptr, bytes);
        return HL_E_SIZE;
    }
    return HL_OK;
}

enum hl_status ffh_free(struct ffh_heap *h, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return HL_OK;
    if (bytes == 0)
        bytes = 1;
    if (HL_CHECK_LEVEL >= 1) {
        enum hl_status st = validate_free(h, ptr, bytes);
        if (st != HL_OK)
            return st;
    }
    struct ffh_block *b =
        (struct ffh_block *)((uintptr_t)ptr - FFH_HEADER_BYTES);
    HL_ASSERT(b->magic == FFH_MAGIC_USED);

    b->magic = FFH_MAGIC_FREE;
    if (HL_CHECK_LEVEL >= 1)
        b->free_next = NULL; /* it held asked_bytes */
    h->used_bytes -= FFH_HEADER_BYTES + b->size_bytes;
    h->live_bytes -= bytes;
    h->live_blocks--;
    h->frees++;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(ptr, HL_POISON_FREED, b->size_bytes);

    /* Coalesce with the next block if it is free. */
    struct ffh_block *next = b->next;
    if (next != NULL && is_free(next)) {
        if (h->policy == FFH_FIRST_LIFO)
            lifo_unlink(h, next);
        if (h->rover == next)
            h->rover = b;
        b->size_bytes += FFH_HEADER_BYTES + next->size_bytes;
        b->next = next->next;
        if (HL_CHECK_LEVEL >= 2)
            hl_memset(next, HL_POISON_FREED, FFH_HEADER_BYTES);
    }

    /* Coalesce with the previous block, found as the seed does: walk from
     * the start (O(blocks)). */
    struct ffh_block *merged = b;
    for (struct ffh_block *c = h->head; c != NULL && c != b; c = c->next) {
        if (is_free(c) && end_of(c) == (uintptr_t)b) {
            if (h->policy == FFH_FIRST_LIFO)
                lifo_unlink(h, c); /* to the front, below */
            if (h->rover == b)
                h->rover = c;
            c->size_bytes += FFH_HEADER_BYTES + b->size_bytes;
            c->next = b->next;
            if (HL_CHECK_LEVEL >= 2)
                hl_memset(b, HL_POISON_FREED, FFH_HEADER_BYTES);
            merged = c;
            break;
        }
    }
    if (h->policy == FFH_FIRST_LIFO)
        lifo_push(h, merged);
    assert_valid(h);
    return HL_OK;
}

void ffh_stats(const struct ffh_heap *h, struct hl_stats *out)
{
    size_t arena_bytes = h->arena_end - h->arena_addr;
    size_t largest_bytes = 0;
    for (const struct ffh_block *b = h->head; b != NULL; b = b->next)
        if (is_free(b) && b->size_bytes > largest_bytes)
            largest_bytes = b->size_bytes;

    out->capacity_bytes = h->region_bytes;
    out->meta_bytes = h->region_bytes - arena_bytes;
    out->live_bytes = h->live_bytes;
    out->live_blocks = h->live_blocks;
    out->held_bytes = out->meta_bytes + h->used_bytes;
    out->free_bytes = arena_bytes - h->used_bytes;
    out->largest_free_bytes = largest_bytes;
    out->allocs = h->allocs;
    out->frees = h->frees;
    out->failed_allocs = h->failed_allocs;
}

/* ---- check ------------------------------------------------------------- */

struct tally {
    size_t n;
    struct hl_violation *first;
};

static void bad(struct tally *t, const char *what, uintptr_t addr)
{
    hl_violation_add(&t->n, t->first, what, addr);
}

/*
 * One violation per broken fact.  A fact that stops the walk (a size or
 * next pointer that cannot be followed) ends it, and the totals, which
 * would then only repeat it, are not compared.  Likewise a bad magic makes
 * the used/free totals unknown, so they are not compared either.
 */
size_t ffh_check(const struct ffh_heap *h, struct hl_violation *first)
{
    struct tally t = {0, first};
    uintptr_t lo = h->arena_addr, hi = h->arena_end;
    uintptr_t region_end;

    if (__builtin_add_overflow(h->region_addr, h->region_bytes,
                               &region_end) ||
        !HL_IS_ALIGNED(lo, HL_HEAP_ALIGN) || !HL_IS_ALIGNED(hi, HL_HEAP_ALIGN) ||
        lo < h->region_addr || hi > region_end || lo >= hi ||
        hi - lo < FFH_HEADER_BYTES + FFH_MIN_PAYLOAD_BYTES) {
        bad(&t, "arena bounds are not the aligned region", lo);
        return t.n;
    }
    if ((uintptr_t)h->head != lo) {
        bad(&t, "list head is not the arena start", (uintptr_t)h->head);
        return t.n;
    }

    if (h->policy >= FFH_NPOLICIES) {
        bad(&t, "fit policy out of range", lo);
        return t.n;
    }
    bool walked = false, magics_ok = true, prev_free = false;
    bool rover_seen = h->rover == NULL;
    size_t used_blocks = 0, used_bytes = 0, used_payload_bytes = 0;
    size_t free_blocks = 0;
    for (const struct ffh_block *b = h->head;;) {
        uintptr_t at = (uintptr_t)b;
        bool free_now = false;
        if (b == h->rover)
            rover_seen = true;
        if (b->magic == FFH_MAGIC_FREE) {
            free_now = true;
            free_blocks++;
        } else if (b->magic == FFH_MAGIC_USED) {
            used_blocks++;
            used_bytes += FFH_HEADER_BYTES + b->size_bytes;
            used_payload_bytes += b->size_bytes;
        } else {
            bad(&t, "block header magic is neither free nor used", at);
            magics_ok = false;
        }
        /* at is 16-aligned and inside the arena with room for a header:
         * the head is, and every next is checked below. */
        if (b->size_bytes > hi - at - FFH_HEADER_BYTES) {
            bad(&t, "block size runs past the arena end", at);
            break;
        }
        if (!HL_IS_ALIGNED(b->size_bytes, HL_HEAP_ALIGN)) {
            /* The next header would be misaligned: do not follow it. */
            bad(&t, "block size is not a multiple of 16", at);
            break;
        }
        if (b->size_bytes < FFH_MIN_PAYLOAD_BYTES)
            bad(&t, "block size is below the minimum payload", at);
        if (free_now && prev_free)
            bad(&t, "adjacent free blocks not coalesced", at);
        prev_free = free_now;

        uintptr_t end = end_of(b), next = (uintptr_t)b->next;
        if (end == hi) {
            if (b->next != NULL)
                bad(&t, "last block's next pointer is not NULL", at);
            else
                walked = true;
            break;
        }
        if (b->next == NULL) {
            bad(&t, "list ends before the arena does", at);
            break;
        }
        if (next < lo || next >= hi) {
            bad(&t, "next pointer outside the arena", at);
            break;
        }
        if (next != end) {
            bad(&t, "next pointer is not the adjacent block", at);
            break;
        }
        if (hi - end < FFH_HEADER_BYTES + FFH_MIN_PAYLOAD_BYTES) {
            bad(&t, "block leaves a gap too small for a block", at);
            break;
        }
        b = b->next;
    }

    if (walked && !rover_seen)
        bad(&t, "next-fit rover is not a block of the list",
            (uintptr_t)h->rover);
    if (h->policy != FFH_FIRST_LIFO && h->free_head != NULL)
        bad(&t, "free list kept by a policy that has none",
            (uintptr_t)h->free_head);
    if (h->policy == FFH_FIRST_LIFO && walked && magics_ok) {
        /* Every entry a free block that tiles on (its next is its end),
         * no more entries than free blocks (a cycle would be), and as
         * many: a singly linked list cannot hold one block twice without
         * a cycle, so then each free block is on it once. */
        size_t listed = 0;
        const struct ffh_block *f;
        for (f = h->free_head; f != NULL; f = f->free_next) {
            uintptr_t a = (uintptr_t)f;
            if (listed == free_blocks) {
                bad(&t, "LIFO free list longer than the free blocks "
                        "(a cycle?)", a);
                break;
            }
            if (a < lo || a >= hi || !HL_IS_ALIGNED(a, HL_HEAP_ALIGN) ||
                f->magic != FFH_MAGIC_FREE ||
                f->size_bytes > hi - a - FFH_HEADER_BYTES ||
                (f->next != NULL ? (uintptr_t)f->next != end_of(f)
                                 : end_of(f) != hi)) {
                bad(&t, "LIFO free list holds what is not a free block", a);
                break;
            }
            listed++;
        }
        if (f == NULL && listed != free_blocks)
            bad(&t, "free blocks missing from the LIFO free list", lo);
    }
    if (walked && magics_ok) {
        if (used_blocks != h->live_blocks)
            bad(&t, "used blocks in the list != live_blocks", lo);
        if (used_bytes != h->used_bytes)
            bad(&t, "used block bytes in the list != used_bytes", lo);
        if (h->live_bytes > used_payload_bytes)
            bad(&t, "live_bytes exceed the used blocks' payload", lo);
    }
    if (h->live_blocks != h->allocs - h->frees)
        bad(&t, "live_blocks != allocs - frees", lo);
    if (h->live_bytes < h->live_blocks)
        bad(&t, "live_bytes < live_blocks (every block serves >= 1 byte)", lo);
    return t.n;
}

/* ---- the registry's view ---------------------------------------------- */

void ffh_set_split(struct ffh_heap *h, size_t split_bytes)
{
    h->split_min_bytes = FFH_HEADER_BYTES + HL_MAX(split_bytes, FFH_MIN_PAYLOAD_BYTES);
}

enum hl_status ffh_vt_init_policy(void *state, void *base, size_t bytes,
                                  const struct hl_al_params *p, unsigned policy,
                                  unsigned split_index)
{
    struct ffh_heap *h = state;
    enum hl_status st = ffh_init_policy(h, base, bytes, (enum ffh_policy)policy);
    if (st == HL_OK)
        ffh_set_split(h, (size_t)p->v[split_index]);
    return st;
}

/* Parameters of firstfit-seed, by index. */
enum { FFH_P_POLICY, FFH_P_SPLIT_BYTES };

static enum hl_status v_init(void *state, void *base, size_t bytes,
                             const struct hl_al_params *p)
{
    return ffh_vt_init_policy(state, base, bytes, p, (unsigned)p->v[FFH_P_POLICY],
                              FFH_P_SPLIT_BYTES);
}
void *ffh_vt_alloc(void *state, size_t bytes)
{
    return ffh_alloc((struct ffh_heap *)state, bytes);
}
enum hl_status ffh_vt_free(void *state, void *ptr, size_t bytes)
{
    return ffh_free((struct ffh_heap *)state, ptr, bytes);
}
void ffh_vt_stats(const void *state, struct hl_stats *out)
{
    ffh_stats((const struct ffh_heap *)state, out);
}
size_t ffh_vt_check(const void *state, struct hl_violation *first)
{
    return ffh_check((const struct ffh_heap *)state, first);
}

const struct hl_allocator hl_firstfit_seed = {
    .name = "firstfit-seed",
    .summary = "the seed's first-fit kernel heap: one address-ordered list "
               "of all blocks, O(n) alloc and free",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_FREE_SIZE_EXACT,
    .state_bytes = sizeof(struct ffh_heap),
    .align_bytes = HL_HEAP_ALIGN,
    .nparams = 2,
    .params = {
        [FFH_P_POLICY] = {"policy", "0..3",
                          "fit policy: 0 first fit, 1 next fit, 2 best fit, "
                          "3 first fit on a LIFO free list (presets: "
                          "nextfit, bestfit, firstfit-lifo)",
                          FFH_FIRST_FIT, 0, FFH_NPOLICIES - 1},
        [FFH_P_SPLIT_BYTES] = FFH_SPLIT_PARAM,
    },
    .init = v_init,
    .alloc = ffh_vt_alloc,
    .free = ffh_vt_free,
    .stats = ffh_vt_stats,
    .reclaim = NULL,
    .check = ffh_vt_check,
};
