/*
 * bump.c — the bump allocator; see bump.h for the region map.
 *
 * Invariants (check() verifies each): start <= cur <= end inside the
 * region, all three 16-aligned; live_blocks == allocs - frees; every live
 * block serves at least one byte.  Checked builds: the headers tile
 * [start, cur) exactly, one per successful alloc, each LIVE or FREED, and
 * the LIVE ones add up to live_blocks and live_bytes.
 */
#include "allocators/bump.h"

#include "allocators/port.h"
#include "allocators/util.h"

#define BUMP_NAME "bump"

static void assert_valid(const struct bump *b)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation first = {0};
        if (bump_check(b, &first) != 0)
            hl_panic(__FILE__, __LINE__, first.what);
    }
}

enum hl_status bump_init(struct bump *b, void *base, size_t bytes)
{
    uintptr_t lo = (uintptr_t)base, hi;
    if (base == NULL || __builtin_add_overflow(lo, bytes, &hi))
        return HL_E_REGION;
    uintptr_t first = HL_ALIGN_UP(lo, HL_HEAP_ALIGN);
    uintptr_t last = HL_ALIGN_DOWN(hi, HL_HEAP_ALIGN);
    if (first < lo || first >= last ||
        last - first < BUMP_HEADER_BYTES + HL_HEAP_ALIGN)
        return HL_E_REGION;
    hl_memset(b, 0, sizeof *b);
    b->region_addr = lo;
    b->region_bytes = bytes;
    b->start = b->cur = first;
    b->end = last;
    assert_valid(b);
    return HL_OK;
}

void *bump_alloc(struct bump *b, size_t bytes)
{
    size_t size_bytes, need_bytes;
    if (bytes == 0)
        bytes = 1;
    if (!hl_align_up_checked(bytes, HL_HEAP_ALIGN, &size_bytes) ||
        __builtin_add_overflow(size_bytes, BUMP_HEADER_BYTES, &need_bytes) ||
        need_bytes > b->end - b->cur) {
        b->failed_allocs++;
        return NULL;
    }
    uint8_t *p = (uint8_t *)b->cur + BUMP_HEADER_BYTES;
    if (HL_CHECK_LEVEL >= 1) {
        struct bump_header *hd = (struct bump_header *)b->cur;
        hd->requested_bytes = bytes;
        hd->magic = BUMP_MAGIC_LIVE;
    }
    b->cur += need_bytes;
    b->live_bytes += bytes;
    b->live_blocks++;
    b->allocs++;
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(p, HL_POISON_FRESH, bytes);
    assert_valid(b);
    return p;
}

/* Checked builds: is ptr a live block asked for with `bytes`?  O(1): a
 * block start is recognised by its header's magic (a user's payload that
 * copies a header exactly could fool it; the walk in check() would not). */
static enum hl_status validate_free(const struct bump *b, void *ptr,
                                    size_t bytes)
{
    uintptr_t p = (uintptr_t)ptr;
    if (!hl_ptr_in(ptr, (const void *)b->region_addr, b->region_bytes)) {
        hl_report(BUMP_NAME, "foreign pointer", ptr, bytes);
        return HL_E_FOREIGN;
    }
    if (!HL_IS_ALIGNED(p, HL_HEAP_ALIGN) || p < b->start + BUMP_HEADER_BYTES ||
        p >= b->cur) {
        hl_report(BUMP_NAME, "interior pointer", ptr, bytes);
        return HL_E_INTERIOR;
    }
    const struct bump_header *hd =
        (const struct bump_header *)(p - BUMP_HEADER_BYTES);
    if (hd->magic == BUMP_MAGIC_FREED) {
        hl_report(BUMP_NAME, "double free", ptr, bytes);
        return HL_E_DOUBLE_FREE;
    }
    if (hd->magic != BUMP_MAGIC_LIVE) {
        hl_report(BUMP_NAME, "interior pointer", ptr, bytes);
        return HL_E_INTERIOR;
    }
    if (hd->requested_bytes != bytes) {
        hl_report(BUMP_NAME, "wrong size", ptr, bytes);
        return HL_E_SIZE;
    }
    return HL_OK;
}

enum hl_status bump_free(struct bump *b, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return HL_OK;
    if (bytes == 0)
        bytes = 1;
    if (HL_CHECK_LEVEL >= 1) {
        enum hl_status st = validate_free(b, ptr, bytes);
        if (st != HL_OK)
            return st;
        struct bump_header *hd =
            (struct bump_header *)((uintptr_t)ptr - BUMP_HEADER_BYTES);
        hd->magic = BUMP_MAGIC_FREED;
    }
    if (HL_CHECK_LEVEL >= 2)
        hl_memset(ptr, HL_POISON_FREED, HL_ALIGN_UP(bytes, HL_HEAP_ALIGN));
    b->live_bytes -= bytes;
    b->live_blocks--;
    b->frees++;
    assert_valid(b);
    return HL_OK;
}

void bump_stats(const struct bump *b, struct hl_stats *out)
{
    size_t arena_bytes = b->end - b->start;
    out->capacity_bytes = b->region_bytes;
    out->meta_bytes = b->region_bytes - arena_bytes;
    out->live_bytes = b->live_bytes;
    out->live_blocks = b->live_blocks;
    out->held_bytes = out->meta_bytes + (b->cur - b->start);
    out->free_bytes = b->end - b->cur;
    out->largest_free_bytes = b->end - b->cur;
    out->allocs = b->allocs;
    out->frees = b->frees;
    out->failed_allocs = b->failed_allocs;
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

/* One violation per broken fact; a header that cannot be followed ends the
 * walk, and the walk's totals are then not compared. */
size_t bump_check(const struct bump *b, struct hl_violation *first)
{
    struct tally t = {0, first};
    uintptr_t region_end;
    if (__builtin_add_overflow(b->region_addr, b->region_bytes,
                               &region_end) ||
        !HL_IS_ALIGNED(b->start, HL_HEAP_ALIGN) ||
        !HL_IS_ALIGNED(b->end, HL_HEAP_ALIGN) || b->start < b->region_addr ||
        b->end > region_end || b->start >= b->end) {
        bad(&t, "bounds are not the aligned region", b->start);
        return t.n;
    }
    bool cur_ok = true;
    if (b->cur < b->start || b->cur > b->end) {
        bad(&t, "cur outside [start, end]", b->cur);
        cur_ok = false;
    } else if (!HL_IS_ALIGNED(b->cur, HL_HEAP_ALIGN)) {
        bad(&t, "cur is not 16-aligned", b->cur);
        cur_ok = false;
    }
    if (b->live_blocks != b->allocs - b->frees)
        bad(&t, "live_blocks != allocs - frees", b->start);
    if (b->live_bytes < b->live_blocks)
        bad(&t, "live_bytes < live_blocks (every block serves >= 1 byte)",
            b->start);
    if (cur_ok && b->live_bytes > b->cur - b->start)
        bad(&t, "live_bytes exceed the bytes handed out", b->start);

    if (HL_CHECK_LEVEL >= 1 && cur_ok) {
        size_t blocks = 0, live_blocks = 0, live_bytes = 0;
        bool walked = true;
        for (uintptr_t at = b->start; at < b->cur;) {
            const struct bump_header *hd = (const struct bump_header *)at;
            size_t size_bytes;
            if (hd->magic != BUMP_MAGIC_LIVE && hd->magic != BUMP_MAGIC_FREED) {
                bad(&t, "block header magic is neither live nor freed", at);
                walked = false;
                break;
            }
            if (hd->requested_bytes == 0 ||
                !hl_align_up_checked(hd->requested_bytes, HL_HEAP_ALIGN,
                                     &size_bytes) ||
                size_bytes > b->cur - at - BUMP_HEADER_BYTES) {
                bad(&t, "block size runs past cur", at);
                walked = false;
                break;
            }
            blocks++;
            if (hd->magic == BUMP_MAGIC_LIVE) {
                live_blocks++;
                live_bytes += hd->requested_bytes;
            }
            at += BUMP_HEADER_BYTES + size_bytes;
        }
        if (walked) {
            if (blocks != b->allocs)
                bad(&t, "headers between start and cur != allocs", b->start);
            if (live_blocks != b->live_blocks)
                bad(&t, "live headers != live_blocks", b->start);
            if (live_bytes != b->live_bytes)
                bad(&t, "live headers' bytes != live_bytes", b->start);
        }
    }
    return t.n;
}

/* ---- the registry's view ---------------------------------------------- */

static enum hl_status v_init(void *state, void *base, size_t bytes,
                             const struct hl_al_params *p)
{
    (void)p;
    return bump_init((struct bump *)state, base, bytes);
}
static void *v_alloc(void *state, size_t bytes)
{
    return bump_alloc((struct bump *)state, bytes);
}
static enum hl_status v_free(void *state, void *ptr, size_t bytes)
{
    return bump_free((struct bump *)state, ptr, bytes);
}
static void v_stats(const void *state, struct hl_stats *out)
{
    bump_stats((const struct bump *)state, out);
}
static size_t v_check(const void *state, struct hl_violation *first)
{
    return bump_check((const struct bump *)state, first);
}

const struct hl_allocator hl_bump = {
    .name = "bump",
    .summary = "bump allocator, the floor: alloc is an add, free is nothing",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_NO_REUSE | HL_F_FREE_SIZE_EXACT,
    .state_bytes = sizeof(struct bump),
    .align_bytes = HL_HEAP_ALIGN,
    .init = v_init,
    .alloc = v_alloc,
    .free = v_free,
    .stats = v_stats,
    .reclaim = NULL,
    .check = v_check,
};
