/*
 * test_conformance.c — one suite, run against every registered allocator
 * (hl_allocators[]): a new allocator gets all of it for free.
 *
 * What every allocator must do (allocator.h):
 *   - refuse a region too small to hold anything;
 *   - return blocks aligned to align_bytes, inside the region;
 *   - never hand out two overlapping live blocks (a shadow interval set
 *     checks every allocation against all live blocks);
 *   - keep a block's contents until it is freed (each block is filled with
 *     a position-dependent pattern that is verified on free);
 *   - return NULL (and count it) when full or asked the impossible, and
 *     recover after frees;
 *   - come back to its initial stats once everything is freed;
 *   - pass check() and the stats conservation law after every one of at
 *     least 10^6 random operations;
 *   - in checked builds: report and refuse double, foreign, interior and
 *     wrongly sized frees without changing state; poison fresh memory and
 *     catch a write after free when the block is reused.
 *
 * Every allocator runs at its parameters' defaults and, if it declares
 * parameters, at their bounds: every parameter at its minimum, then every
 * one at its maximum (groups "NAME[min]" and "NAME[max]"; the random test
 * runs a tenth of the ops there, at least 10^4).
 *
 * Usage: test_conformance [--ops N] [allocator ...]   (default: 10^6 ops,
 * every registered allocator)
 */
#include "tests/testlib.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/util.h"

/* Regions: frame allocators get 1 MiB (about 250 frames after their
 * metadata), heap allocators 256 KiB — small enough that the random test
 * runs into "full" often and check() after every op stays cheap. */
#define FRAME_REGION_BYTES ((size_t)1 << 20)
#define HEAP_REGION_BYTES ((size_t)256 << 10)
#define MAX_LIVE 512
#define MAX_BLOCK_BYTES ((size_t)64 << 10)

static unsigned long property_ops = 1000000;

/* An allocator at one parameter set. */
struct variant {
    const struct hl_allocator *a;
    struct hl_al_params p;
    const char *label; /* "" (defaults), "min" or "max" */
};

struct ctx {
    const struct hl_allocator *a;
    const struct variant *v;
    void *state;
    uint8_t *region;
    size_t region_bytes;
};

/* ---- a small deterministic PRNG (xorshift64*) --------------------------- */

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 0x9E3779B97F4A7C15ull; }
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static size_t rng_below(size_t n) { return (size_t)(rng_next() % n); }

/* ---- fill patterns ------------------------------------------------------
 * Block k holds bytes (k + i) & 0xFF at offset i: position-dependent, so a
 * block moved or overlapped by another shows up. */
static uint8_t patbuf[MAX_BLOCK_BYTES + 256];

static void pattern_init(void)
{
    for (size_t i = 0; i < sizeof patbuf; i++)
        patbuf[i] = (uint8_t)i;
}
static void pattern_fill(void *p, size_t bytes, uint64_t id)
{
    memcpy(p, patbuf + (id & 0xFF), bytes);
}
static bool pattern_ok(const void *p, size_t bytes, uint64_t id)
{
    return memcmp(p, patbuf + (id & 0xFF), bytes) == 0;
}

/* ---- setup / teardown ---------------------------------------------------- */

static size_t region_bytes_for(const struct hl_allocator *a)
{
    return a->family == HL_FAMILY_FRAME ? FRAME_REGION_BYTES
                                         : HEAP_REGION_BYTES;
}

static int setup(void **state)
{
    const struct variant *v = *state;
    const struct hl_allocator *a = v->a;
    struct ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->a = a;
    c->v = v;
    c->state = tl_state(a);
    c->region_bytes = region_bytes_for(a);
    c->region = tl_region(c->region_bytes, HL_FRAME_BYTES);
    /* Dirty memory: an allocator must not rely on a zeroed region. */
    memset(c->region, 0x5A, c->region_bytes);
    tl_reports_fail();
    assert_int_equal(hl_al_init(a, c->state, c->region, c->region_bytes, &v->p), HL_OK);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    tl_free(c->region);
    tl_free(c->state);
    free(c);
    return 0;
}

static struct hl_stats stats_of(const struct ctx *c)
{
    struct hl_stats s;
    memset(&s, 0, sizeof s);
    c->a->stats(c->state, &s);
    return s;
}

/* The sizes an allocator of this family is asked for. */
static size_t small_size(const struct ctx *c)
{
    return c->a->family == HL_FAMILY_FRAME ? HL_FRAME_BYTES : 64;
}

static void assert_in_region(const struct ctx *c, const void *p, size_t bytes)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)c->region;
    size_t n = bytes ? bytes : 1;
    if (!(a >= b && a - b <= c->region_bytes - n))
        fail_msg("%s: block %p + %zu lies outside region %p + %zu", c->a->name,
                 p, bytes, (void *)c->region, c->region_bytes);
    if (!HL_IS_ALIGNED(a, c->a->align_bytes))
        fail_msg("%s: block %p for %zu bytes is not %zu-aligned", c->a->name,
                 p, bytes, c->a->align_bytes);
}

/* ---- the tests ----------------------------------------------------------- */

static void init_rejects_tiny_regions(void **state)
{
    struct ctx *c = *state;
    void *st = tl_state(c->a);
    static alignas(4096) uint8_t tiny[4096 * 2];
    assert_int_equal(hl_al_init(c->a, st, tiny, 0, &c->v->p), HL_E_REGION);
    assert_int_equal(hl_al_init(c->a, st, tiny, 1, &c->v->p), HL_E_REGION);
    assert_int_equal(hl_al_init(c->a, st, tiny + 4095, 2, &c->v->p), HL_E_REGION);
    tl_free(st);
}

static void fresh_state_is_clean(void **state)
{
    struct ctx *c = *state;
    struct hl_stats s = stats_of(c);
    assert_int_equal(s.capacity_bytes, c->region_bytes);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.allocs, 0);
    assert_int_equal(s.frees, 0);
    assert_int_equal(s.failed_allocs, 0);
    assert_true(s.free_bytes > 0);
    assert_true(s.largest_free_bytes > 0);
    tl_assert_stats_sane(c->a, c->state);
    tl_assert_check(c->a, c->state);
}

static void alignment_and_bounds(void **state)
{
    struct ctx *c = *state;
    static const size_t sizes[] = {0,  1,  2,   3,   7,    8,    9,    15,
                                   16, 17, 31,  32,  33,   48,   63,   64,
                                   65, 100, 255, 256, 1000, 2047, 2048, 2049,
                                   4095, 4096, 4097, 8192, 10000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *p = c->a->alloc(c->state, n);
        if (!p)
            fail_msg("%s: alloc(%zu) failed on an empty allocator", c->a->name,
                     n);
        assert_in_region(c, p, n);
        memset(p, 0xEE, n);
        tl_assert_check(c->a, c->state);
        assert_int_equal(c->a->free(c->state, p, n), HL_OK);
        tl_assert_check(c->a, c->state);
    }
}

static void zero_bytes_and_null(void **state)
{
    struct ctx *c = *state;
    struct hl_stats before = stats_of(c);
    assert_int_equal(c->a->free(c->state, NULL, 0), HL_OK);
    assert_int_equal(c->a->free(c->state, NULL, 64), HL_OK);
    struct hl_stats after = stats_of(c);
    assert_int_equal(after.frees, before.frees);
    assert_int_equal(after.held_bytes, before.held_bytes);

    void *p = c->a->alloc(c->state, 0);
    void *q = c->a->alloc(c->state, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    assert_in_region(c, p, 1);
    assert_in_region(c, q, 1);
    assert_int_equal(c->a->free(c->state, p, 0), HL_OK);
    assert_int_equal(c->a->free(c->state, q, 0), HL_OK);
    tl_assert_check(c->a, c->state);
    tl_assert_stats_sane(c->a, c->state);
}

static void impossible_requests_fail(void **state)
{
    struct ctx *c = *state;
    /* Nothing larger than the largest free extent can be served (a
     * release-build bump has no header, so the whole region itself may
     * fit: ask for one byte more than the extent, never for the region). */
    const size_t largest = stats_of(c).largest_free_bytes;
    const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 3, SIZE_MAX - 15,
                            SIZE_MAX - 4095, SIZE_MAX / 2 + 1,
                            largest + 1, c->region_bytes + 1};
    const size_t n = sizeof sizes / sizeof sizes[0];
    for (size_t i = 0; i < n; i++) {
        void *p = c->a->alloc(c->state, sizes[i]);
        if (p)
            fail_msg("%s: alloc(%zu) returned %p from a %zu-byte region",
                     c->a->name, sizes[i], p, c->region_bytes);
    }
    struct hl_stats s = stats_of(c);
    assert_int_equal(s.failed_allocs, n);
    assert_int_equal(s.allocs, 0);
    assert_int_equal(s.live_blocks, 0);
    tl_assert_check(c->a, c->state);
    /* and it still works */
    void *p = c->a->alloc(c->state, small_size(c));
    assert_non_null(p);
    assert_int_equal(c->a->free(c->state, p, small_size(c)), HL_OK);
}

/* Allocate `bytes` blocks until NULL; returns how many (at most max). */
static size_t fill_up(struct ctx *c, size_t bytes, void **blocks, size_t max)
{
    size_t n = 0;
    while (n < max) {
        void *p = c->a->alloc(c->state, bytes);
        if (!p)
            return n;
        assert_in_region(c, p, bytes);
        pattern_fill(p, bytes, n);
        blocks[n++] = p;
    }
    fail_msg("%s: %zu allocations of %zu bytes from a %zu-byte region",
             c->a->name, n, bytes, c->region_bytes);
    return n;
}

static void shuffle(void **v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(i);
        void *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void exhaustion_and_recovery(void **state)
{
    struct ctx *c = *state;
    const size_t sizes[] = {small_size(c), 3 * small_size(c) + 5};
    const size_t max = c->region_bytes / 16 + 1;
    void **blocks = calloc(max, sizeof *blocks);
    uint64_t *ids = calloc(max, sizeof *ids);
    assert_non_null(blocks);
    assert_non_null(ids);
    rng_seed(42);
    for (size_t k = 0; k < 2; k++) {
        size_t bytes = sizes[k];
        struct hl_stats s0 = stats_of(c);
        size_t n1 = fill_up(c, bytes, blocks, max);
        assert_true(n1 > 0);
        struct hl_stats s1 = stats_of(c);
        assert_int_equal(s1.failed_allocs, s0.failed_allocs + 1);
        assert_int_equal(s1.live_blocks, n1);
        tl_assert_check(c->a, c->state);
        /* contents intact, then free in random order */
        for (size_t i = 0; i < n1; i++)
            if (!pattern_ok(blocks[i], bytes, i))
                fail_msg("%s: block %zu (%p) lost its contents", c->a->name,
                         i, blocks[i]);
        shuffle(blocks, n1);
        for (size_t i = 0; i < n1; i++)
            assert_int_equal(c->a->free(c->state, blocks[i], bytes), HL_OK);
        tl_assert_check(c->a, c->state);
        if (c->a->flags & HL_F_NO_REUSE) {
            /* Freed space never comes back: full stays full. */
            assert_null(c->a->alloc(c->state, bytes));
            break;
        }
        /* recovers: the same number fits again */
        size_t n2 = fill_up(c, bytes, blocks, max);
        if (n2 != n1)
            fail_msg("%s: %zu blocks of %zu bytes fit at first, %zu after "
                     "freeing them all",
                     c->a->name, n1, bytes, n2);
        for (size_t i = 0; i < n2; i++)
            assert_int_equal(c->a->free(c->state, blocks[i], bytes), HL_OK);
        tl_assert_check(c->a, c->state);
    }
    free(ids);
    free(blocks);
}

/* ---- random operations against a shadow interval set ------------------- */

struct live {
    uint8_t *p;
    size_t bytes;
    uint64_t id;
};

struct shadow {
    struct live slot[MAX_LIVE]; /* by slot */
    size_t nlive;
    /* sorted by address: indices into slot[] */
    size_t order[MAX_LIVE];
};

/* Index in s->order of the first block starting at or after p. */
static size_t shadow_lower(const struct shadow *s, uintptr_t p)
{
    size_t lo = 0, hi = s->nlive;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)s->slot[s->order[mid]].p < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void shadow_insert(const struct ctx *c, struct shadow *s, size_t slot)
{
    const struct live *b = &s->slot[slot];
    uintptr_t start = (uintptr_t)b->p, end = start + (b->bytes ? b->bytes : 1);
    size_t i = shadow_lower(s, start);
    if (i < s->nlive) {
        const struct live *next = &s->slot[s->order[i]];
        if ((uintptr_t)next->p < end)
            fail_msg("%s: new block %p+%zu overlaps live block %p+%zu",
                     c->a->name, (void *)b->p, b->bytes, (void *)next->p,
                     next->bytes);
    }
    if (i > 0) {
        const struct live *prev = &s->slot[s->order[i - 1]];
        uintptr_t pend = (uintptr_t)prev->p + (prev->bytes ? prev->bytes : 1);
        if (pend > start)
            fail_msg("%s: new block %p+%zu overlaps live block %p+%zu",
                     c->a->name, (void *)b->p, b->bytes, (void *)prev->p,
                     prev->bytes);
    }
    memmove(&s->order[i + 1], &s->order[i], (s->nlive - i) * sizeof s->order[0]);
    s->order[i] = slot;
    s->nlive++;
}

static void shadow_remove(struct shadow *s, size_t slot)
{
    size_t i = shadow_lower(s, (uintptr_t)s->slot[slot].p);
    assert_true(i < s->nlive && s->order[i] == slot);
    memmove(&s->order[i], &s->order[i + 1],
            (s->nlive - i - 1) * sizeof s->order[0]);
    s->nlive--;
    s->slot[slot].p = NULL;
}

static size_t random_size(const struct ctx *c)
{
    uint64_t r = rng_below(100);
    if (c->a->family == HL_FAMILY_FRAME) {
        size_t frames = r < 80 ? 1 : r < 95 ? 2 + rng_below(3) : 5 + rng_below(12);
        return frames * HL_FRAME_BYTES - rng_below(HL_FRAME_BYTES);
    }
    if (r < 70)
        return rng_below(129);
    if (r < 95)
        return 129 + rng_below(2048 - 128);
    return 2049 + rng_below(16384 - 2048);
}

static void free_slot(struct ctx *c, struct shadow *s, size_t slot)
{
    struct live *b = &s->slot[slot];
    if (!pattern_ok(b->p, b->bytes, b->id))
        fail_msg("%s: block %p+%zu (id %llu) was overwritten while live",
                 c->a->name, (void *)b->p, b->bytes, (unsigned long long)b->id);
    uint8_t *p = b->p;
    size_t bytes = b->bytes;
    shadow_remove(s, slot);
    enum hl_status st = c->a->free(c->state, p, bytes);
    if (st != HL_OK)
        fail_msg("%s: free(%p, %zu) of a live block returned '%s'", c->a->name,
                 (void *)p, bytes, hl_status_str(st));
}

/* Drive `ops` random operations; check() and the stats law after each. */
static void random_ops(struct ctx *c, struct shadow *s, unsigned long ops,
                       uint64_t seed)
{
    uint64_t next_id = 1;
    size_t live_bytes = 0;
    rng_seed(seed);
    for (unsigned long op = 0; op < ops; op++) {
        size_t slot = rng_below(MAX_LIVE);
        struct live *b = &s->slot[slot];
        if (b->p) {
            live_bytes -= b->bytes ? b->bytes : 1;
            free_slot(c, s, slot);
        } else {
            size_t bytes = random_size(c);
            uint8_t *p = c->a->alloc(c->state, bytes);
            if (p) {
                assert_in_region(c, p, bytes);
                b->p = p;
                b->bytes = bytes;
                b->id = next_id++;
                shadow_insert(c, s, slot);
                pattern_fill(p, bytes, b->id);
                live_bytes += bytes ? bytes : 1; /* 0 is served as 1 */
            }
        }
        tl_assert_check(c->a, c->state);
        tl_assert_stats_sane(c->a, c->state);
        struct hl_stats st = stats_of(c);
        if (st.live_bytes != live_bytes || st.live_blocks != s->nlive)
            fail_msg("%s: op %lu: stats say %zu live bytes in %zu blocks, the "
                     "shadow %zu in %zu",
                     c->a->name, op, st.live_bytes, st.live_blocks, live_bytes,
                     s->nlive);
    }
}

static void drain(struct ctx *c, struct shadow *s)
{
    for (size_t slot = 0; slot < MAX_LIVE; slot++)
        if (s->slot[slot].p)
            free_slot(c, s, slot);
    if (c->a->reclaim)
        c->a->reclaim(c->state);
    tl_assert_check(c->a, c->state);
}

static void random_ops_property(void **state)
{
    struct ctx *c = *state;
    struct shadow *s = calloc(1, sizeof *s);
    assert_non_null(s);
    random_ops(c, s, property_ops, 0xC0FFEE);
    drain(c, s);
    struct hl_stats st = stats_of(c);
    assert_int_equal(st.live_blocks, 0);
    assert_int_equal(st.live_bytes, 0);
    printf("    %s: %lu random ops, %llu allocs, %llu failed, check() "
           "after each\n",
           c->a->name, property_ops, (unsigned long long)st.allocs,
           (unsigned long long)st.failed_allocs);
    free(s);
}

static void drain_restores_stats(void **state)
{
    struct ctx *c = *state;
    struct hl_stats s0 = stats_of(c);
    struct shadow *s = calloc(1, sizeof *s);
    assert_non_null(s);
    random_ops(c, s, 20000, 7);
    drain(c, s);
    struct hl_stats s1 = stats_of(c);
    assert_int_equal(s1.live_bytes, 0);
    assert_int_equal(s1.live_blocks, 0);
    assert_int_equal(s1.capacity_bytes, s0.capacity_bytes);
    assert_int_equal(s1.meta_bytes, s0.meta_bytes);
    if (!(c->a->flags & HL_F_NO_REUSE)) {
        assert_int_equal(s1.held_bytes, s0.held_bytes);
        assert_int_equal(s1.free_bytes, s0.free_bytes);
        assert_int_equal(s1.largest_free_bytes, s0.largest_free_bytes);
    }
    free(s);
}

#if HL_CHECK_LEVEL >= 1
/* Expect exactly one report and status `want` from free(p, bytes), and no
 * change at all to the allocator's stats or structures. */
static void expect_refused(struct ctx *c, void *p, size_t bytes,
                           enum hl_status want)
{
    struct hl_stats before = stats_of(c);
    tl_reports_record();
    enum hl_status got = c->a->free(c->state, p, bytes);
    unsigned reports = tl_report_count();
    tl_reports_fail();
    if (got != want)
        fail_msg("%s: free(%p, %zu) returned '%s', want '%s'", c->a->name, p,
                 bytes, hl_status_str(got), hl_status_str(want));
    assert_int_equal(reports, 1);
    struct hl_stats after = stats_of(c);
    assert_memory_equal(&before, &after, sizeof before);
    tl_assert_check(c->a, c->state);
}

static void double_free_refused(void **state)
{
    struct ctx *c = *state;
    size_t n = small_size(c);
    void *a = c->a->alloc(c->state, n), *b = c->a->alloc(c->state, n);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(c->a->free(c->state, a, n), HL_OK);
    expect_refused(c, a, n, HL_E_DOUBLE_FREE);
    assert_int_equal(c->a->free(c->state, b, n), HL_OK);
}

static void foreign_pointer_refused(void **state)
{
    struct ctx *c = *state;
    size_t n = small_size(c);
    static alignas(4096) uint8_t elsewhere[4096];
    void *a = c->a->alloc(c->state, n);
    assert_non_null(a);
    expect_refused(c, elsewhere, n, HL_E_FOREIGN);
    expect_refused(c, c->region + c->region_bytes, n, HL_E_FOREIGN);
    assert_int_equal(c->a->free(c->state, a, n), HL_OK);
}

static void interior_pointer_refused(void **state)
{
    struct ctx *c = *state;
    size_t n = 2 * small_size(c);
    size_t step = c->a->family == HL_FAMILY_FRAME ? HL_FRAME_BYTES
                                                   : c->a->align_bytes;
    uint8_t *a = c->a->alloc(c->state, n);
    assert_non_null(a);
    expect_refused(c, a + step, n - step, HL_E_INTERIOR);
    assert_int_equal(c->a->free(c->state, a, n), HL_OK);
}

static void wrong_size_refused(void **state)
{
    struct ctx *c = *state;
    size_t n = small_size(c);
    size_t wrong = c->a->family == HL_FAMILY_FRAME ? 3 * HL_FRAME_BYTES : 4000;
    void *a = c->a->alloc(c->state, n);
    assert_non_null(a);
    expect_refused(c, a, wrong, HL_E_SIZE);
    assert_int_equal(c->a->free(c->state, a, n), HL_OK);
}
#endif

#if HL_CHECK_LEVEL >= 2
static void fresh_memory_poisoned(void **state)
{
    struct ctx *c = *state;
    size_t n = small_size(c) + 100;
    uint8_t *p = c->a->alloc(c->state, n);
    assert_non_null(p);
    const uint8_t *bad = hl_find_not(p, HL_POISON_FRESH, n);
    if (bad)
        fail_msg("%s: byte %td of a fresh block is %#x, not fresh poison",
                 c->a->name, bad - p, *bad);
    assert_int_equal(c->a->free(c->state, p, n), HL_OK);
}

static void write_after_free_caught(void **state)
{
    struct ctx *c = *state;
    if (c->a->flags & HL_F_NO_REUSE)
        skip(); /* nothing is ever reused, so nothing can be caught on reuse */
    size_t n = small_size(c);
    uint8_t *a = c->a->alloc(c->state, n), *b = c->a->alloc(c->state, n);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(c->a->free(c->state, a, n), HL_OK);
    a[n - 1] = 0x42; /* the bug under test */
    tl_reports_record();
    /* Most allocators hand a straight back; next fit only once its rover
     * has come round, so allocate (and hold) until a comes back. */
    size_t max = c->region_bytes / n, held = 0;
    uint8_t **others = calloc(max, sizeof *others);
    assert_non_null(others);
    uint8_t *again;
    while ((again = c->a->alloc(c->state, n)) != NULL && again != a &&
           held < max)
        others[held++] = again;
    unsigned reports = tl_report_count();
    tl_reports_fail();
    assert_ptr_equal(again, a);
    assert_int_equal(reports, 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_int_equal(c->a->free(c->state, again, n), HL_OK);
    assert_int_equal(c->a->free(c->state, b, n), HL_OK);
    while (held > 0)
        assert_int_equal(c->a->free(c->state, others[--held], n), HL_OK);
    free(others);
}
#endif

/* ---- main: one group per allocator --------------------------------------- */

struct test_def {
    const char *name;
    CMUnitTestFunction fn;
};

static const struct test_def defs[] = {
    {"init_rejects_tiny_regions", init_rejects_tiny_regions},
    {"fresh_state_is_clean", fresh_state_is_clean},
    {"alignment_and_bounds", alignment_and_bounds},
    {"zero_bytes_and_null", zero_bytes_and_null},
    {"impossible_requests_fail", impossible_requests_fail},
    {"exhaustion_and_recovery", exhaustion_and_recovery},
    {"drain_restores_stats", drain_restores_stats},
    {"random_ops_property", random_ops_property},
#if HL_CHECK_LEVEL >= 1
    {"double_free_refused", double_free_refused},
    {"foreign_pointer_refused", foreign_pointer_refused},
    {"interior_pointer_refused", interior_pointer_refused},
    {"wrong_size_refused", wrong_size_refused},
#endif
#if HL_CHECK_LEVEL >= 2
    {"fresh_memory_poisoned", fresh_memory_poisoned},
    {"write_after_free_caught", write_after_free_caught},
#endif
};
#define NDEFS (sizeof defs / sizeof defs[0])

static int run_variant(const struct variant *v)
{
    struct CMUnitTest tests[NDEFS];
    char names[NDEFS][128], who[64];
    snprintf(who, sizeof who, "%s%s%s%s", v->a->name, v->label[0] ? "[" : "",
             v->label, v->label[0] ? "]" : "");
    for (size_t i = 0; i < NDEFS; i++) {
        snprintf(names[i], sizeof names[i], "%s/%s", who, defs[i].name);
        tests[i] = (struct CMUnitTest){
            .name = names[i],
            .test_func = defs[i].fn,
            .setup_func = setup,
            .teardown_func = teardown,
            .initial_state = (void *)v,
        };
    }
    char group[512], text[256];
    hl_al_format(v->a, &v->p, text, sizeof text);
    snprintf(group, sizeof group, "conformance %s%s%s (check level %d)", who,
             text[0] ? " " : "", text, HL_CHECK_LEVEL);
    return _cmocka_run_group_tests(group, tests, NDEFS, NULL, NULL);
}

/* a at its defaults, then (if it has parameters) at their bounds. */
static int run_allocator(const struct hl_allocator *a)
{
    struct variant v = {.a = a, .label = ""};
    hl_al_defaults(a, &v.p);
    int failed = run_variant(&v);
    if (a->nparams == 0)
        return failed;
    unsigned long ops = property_ops;
    property_ops = ops / 10 > 10000 ? ops / 10 : (ops < 10000 ? ops : 10000);
    for (int hi = 0; hi <= 1; hi++) {
        for (unsigned i = 0; i < a->nparams; i++)
            v.p.v[i] = hi ? a->params[i].max : a->params[i].min;
        v.label = hi ? "max" : "min";
        failed += run_variant(&v);
    }
    property_ops = ops;
    return failed;
}

int main(int argc, char **argv)
{
    const struct hl_allocator *only[32];
    size_t nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            char *end;
            property_ops = strtoul(argv[++i], &end, 10);
            if (*end || property_ops == 0) {
                fprintf(stderr, "test_conformance: bad --ops value '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            const struct hl_allocator *a = hl_allocator_find(argv[i]);
            if (!a || nonly == 32) {
                fprintf(stderr, "test_conformance: unknown allocator '%s'\n",
                        argv[i]);
                return 2;
            }
            only[nonly++] = a;
        }
    }
    pattern_init();
    int failed = 0;
    if (nonly) {
        for (size_t i = 0; i < nonly; i++)
            failed += run_allocator(only[i]);
    } else {
        for (const struct hl_allocator *const *a = hl_allocators; *a; a++)
            failed += run_allocator(*a);
    }
    return failed ? 1 : 0;
}
