/*
 * test_errata_firstfit.c — one regression test per erratum of the seed's
 * KernelHeap (docs/seed-errata.md, errata 5..8).  Each comment says how the
 * seed's code fails the test.
 *
 * Run one alone: test_errata_firstfit 'erratum_6*'   (a cmocka glob filter,
 * matched against whole test names).
 *
 * Erratum 7 is about checked builds (HL_CHECK_LEVEL >= 1): release builds
 * trust free's arguments by contract (allocator.h), so its tests are
 * registered only when the build is checked.
 */
#include "tests/testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/firstfit.h"

#define HDR FFH_HEADER_BYTES

/* ---- erratum 5: misaligned payloads ------------------------------------ */

/*
 * The seed's header {size_t, bool, Header*} is 12 bytes on i386 and its
 * ALIGN is 8, so its first payload is at start + 12 (4-aligned), and it
 * never aligns start_addr itself.  Every payload here must be 16-aligned,
 * for arenas starting at every offset 0..15 from a 16-aligned address.
 */
static void erratum_5_payloads_are_16_aligned(void **state)
{
    (void)state;
    tl_reports_fail();
    _Static_assert(FFH_HEADER_BYTES % 16 == 0, "header keeps alignment");
    enum { BYTES = 64 * 1024 };
    uint8_t *region = tl_region(BYTES + 16, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    for (size_t offset = 0; offset < 16; offset++) {
        assert_int_equal(ffh_init(h, region + offset, BYTES), HL_OK);
        assert_true(((uintptr_t)h->head & 15) == 0);
        assert_ptr_equal(h->head, region + (offset ? 16 : 0));
        void *p[96];
        size_t n = 0;
        for (size_t size = 0; n < 96; size += 7) {
            p[n] = ffh_alloc(h, size);
            assert_non_null(p[n]);
            assert_true(((uintptr_t)p[n] & 15) == 0);
            assert_true((uint8_t *)p[n] >= region + offset);
            assert_true((uint8_t *)p[n] + (size ? size : 1) <=
                        region + offset + BYTES);
            n++;
        }
        /* Reuse after frees lands on 16 too. */
        for (size_t i = 0; i < n; i += 3)
            assert_int_equal(ffh_free(h, p[i], 7 * i), HL_OK);
        for (size_t size = 1; size < 200; size += 13) {
            void *q = ffh_alloc(h, size);
            assert_non_null(q);
            assert_true(((uintptr_t)q & 15) == 0);
        }
        tl_assert_check(&hl_firstfit_seed, h);
    }
    tl_free(region);
    tl_free(h);
}

/* The slack a misaligned start costs is counted (meta_bytes), so the
 * conservation law still holds.  The seed had no accounting; it placed its
 * first header at base + 4 itself, which the assertion on head fails. */
static void erratum_5_misaligned_start_is_aligned_up(void **state)
{
    (void)state;
    tl_reports_fail();
    uint8_t *region = tl_region(4096, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(h, region + 4, 4096 - 4), HL_OK);
    assert_ptr_equal(h->head, region + 16);
    struct hl_stats s;
    ffh_stats(h, &s);
    assert_int_equal(s.capacity_bytes, 4096 - 4);
    assert_int_equal(s.meta_bytes, 12);
    assert_int_equal(s.free_bytes, 4096 - 16);
    assert_int_equal(s.largest_free_bytes, 4096 - 16 - HDR);
    tl_assert_stats_sane(&hl_firstfit_seed, h);
    tl_free(region);
    tl_free(h);
}

/* ---- erratum 6: wrapping align(), allocate(0) -------------------------- */

/*
 * The seed's align(n) = (n + 7) & ~7 wraps to 0 for n > SIZE_MAX - 7, so
 * allocate(SIZE_MAX) and allocate(SIZE_MAX - 3) found a block and returned
 * it.  Every request that cannot fit must return NULL, count a failure and
 * leave the heap as it was.
 */
static void erratum_6_huge_requests_return_null(void **state)
{
    (void)state;
    tl_reports_fail();
    enum { BYTES = 8192 };
    uint8_t *region = tl_region(BYTES, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(h, region, BYTES), HL_OK);
    void *keep = ffh_alloc(h, 100);
    assert_non_null(keep);
    struct ffh_heap before = *h;
    const size_t huge[] = {SIZE_MAX,      SIZE_MAX - 3,   SIZE_MAX - 7,
                           SIZE_MAX - 15, SIZE_MAX - 16,  SIZE_MAX / 2 + 1,
                           BYTES + 1,     BYTES,          BYTES - HDR};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        assert_null(ffh_alloc(h, huge[i]));
        before.failed_allocs++;
        assert_memory_equal(&before, h, sizeof before);
        tl_assert_check(&hl_firstfit_seed, h);
    }
    /* The largest request that fits still does. */
    struct hl_stats s;
    ffh_stats(h, &s);
    void *rest = ffh_alloc(h, s.largest_free_bytes);
    assert_non_null(rest);
    assert_null(ffh_alloc(h, 1));
    tl_free(region);
    tl_free(h);
}

/*
 * allocate(0) in the seed returned a 0-byte block whose "payload" address
 * was the next block's header: writing the one byte a caller may use
 * trampled it (and check() would count a bad magic).  Here alloc(0) is
 * alloc(1): unique, usable, freeable with 0, and the heap drains back.
 */
static void erratum_6_alloc_zero_is_unique_and_freeable(void **state)
{
    (void)state;
    tl_reports_fail();
    enum { BYTES = 4096, N = 8 };
    uint8_t *region = tl_region(BYTES, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(h, region, BYTES), HL_OK);
    struct hl_stats s0, s;
    ffh_stats(h, &s0);
    uint8_t *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = ffh_alloc(h, 0);
        assert_non_null(p[i]);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(p[i], p[j]);
        p[i][0] = 0xEE; /* the byte a 0-byte request may be given */
        tl_assert_check(&hl_firstfit_seed, h);
    }
    tl_assert_check(&hl_firstfit_seed, h);
    for (int i = 0; i < N; i++)
        assert_int_equal(p[i][0], 0xEE);
    ffh_stats(h, &s);
    assert_int_equal(s.live_blocks, N);
    assert_int_equal(s.live_bytes, N); /* each counted as 1 */
    for (int i = 0; i < N; i += 2)
        assert_int_equal(ffh_free(h, p[i], 0), HL_OK);
    for (int i = 1; i < N; i += 2)
        assert_int_equal(ffh_free(h, p[i], 1), HL_OK);
    ffh_stats(h, &s);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.held_bytes, s0.held_bytes);
    assert_int_equal(s.largest_free_bytes, s0.largest_free_bytes);
    tl_assert_check(&hl_firstfit_seed, h);
    tl_free(region);
    tl_free(h);
}

/* ---- erratum 7: free trusts its argument -------------------------------- */

#if HL_CHECK_LEVEL >= 1
struct errata_fx {
    uint8_t *region;
    struct ffh_heap *h;
    uint8_t *a, *b, *c;
};
enum { FX_BYTES = 8192 };

static struct errata_fx fx_open(void)
{
    struct errata_fx f;
    f.region = tl_region(FX_BYTES, 16);
    f.h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(f.h, f.region, FX_BYTES), HL_OK);
    f.a = ffh_alloc(f.h, 160);
    f.b = ffh_alloc(f.h, 160);
    f.c = ffh_alloc(f.h, 160);
    assert_non_null(f.c);
    return f;
}

static void fx_close(struct errata_fx *f)
{
    tl_free(f->region);
    tl_free(f->h);
}

/* The refused free reports once, returns want, and changes neither the
 * state block nor any byte of the arena. */
static void expect_refused(struct errata_fx *f, void *p, size_t bytes,
                           enum hl_status want, const char *what)
{
    struct ffh_heap before = *f->h;
    uint8_t *copy = malloc(FX_BYTES);
    assert_non_null(copy);
    memcpy(copy, f->region, FX_BYTES);
    tl_reports_record();
    assert_int_equal(ffh_free(f->h, p, bytes), want);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), what);
    assert_memory_equal(&before, f->h, sizeof before);
    assert_memory_equal(copy, f->region, FX_BYTES);
    free(copy);
    tl_reports_fail();
    tl_assert_check(&hl_firstfit_seed, f->h);
}

/* The seed accepted every one of these silently (free returns void and
 * reports nothing).  Worse, once c had merged into b, freeing c again read
 * c's stale header inside b's free payload as a live one and rewrote its
 * size and next: memory a later allocation hands out, so the write lands
 * in some live block's data. */
static void erratum_7_double_free_refused(void **state)
{
    (void)state;
    struct errata_fx f = fx_open();
    tl_reports_fail();
    assert_int_equal(ffh_free(f.h, f.b, 160), HL_OK);
    expect_refused(&f, f.b, 160, HL_E_DOUBLE_FREE, "double free");
    assert_int_equal(ffh_free(f.h, f.c, 160), HL_OK); /* merges into b */
    expect_refused(&f, f.c, 160, HL_E_DOUBLE_FREE, "double free");
    assert_int_equal(ffh_free(f.h, f.a, 160), HL_OK); /* all one block */
    expect_refused(&f, f.a, 160, HL_E_DOUBLE_FREE, "double free");
    assert_int_equal(f.h->live_blocks, 0);
    fx_close(&f);
}

/* The seed took ptr - HEADER_SIZE as a header wherever it was: an interior
 * pointer made it write is_free into the middle of a live block and merge
 * garbage sizes. */
static void erratum_7_interior_pointer_refused(void **state)
{
    (void)state;
    struct errata_fx f = fx_open();
    expect_refused(&f, f.b + 16, 144, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, f.b + 1, 159, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, f.b - HDR, 160, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, f.b - 4, 160, HL_E_INTERIOR, "interior pointer");
    fx_close(&f);
}

/* The seed wrote through any pointer it was given, e.g. into a stack
 * variable's neighbour or past the arena's end. */
static void erratum_7_foreign_pointer_refused(void **state)
{
    (void)state;
    struct errata_fx f = fx_open();
    long on_stack[4] = {0};
    expect_refused(&f, &on_stack[2], 8, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, f.region + FX_BYTES, 160, HL_E_FOREIGN,
                   "foreign pointer");
    expect_refused(&f, f.region + FX_BYTES + HDR, 160, HL_E_FOREIGN,
                   "foreign pointer");
    assert_int_equal(on_stack[1], 0);
    fx_close(&f);
}

/* The seed's free took no size at all, so a caller's wrong idea of a
 * block's size went unnoticed.  b was granted 160 for a request of 160: a
 * request of 10 (granted 16), 161 or 200 cannot have produced it. */
static void erratum_7_wrong_size_refused(void **state)
{
    (void)state;
    struct errata_fx f = fx_open();
    expect_refused(&f, f.b, 10, HL_E_SIZE, "wrong size");
    expect_refused(&f, f.b, 161, HL_E_SIZE, "wrong size");
    expect_refused(&f, f.b, 200, HL_E_SIZE, "wrong size");
    expect_refused(&f, f.b, SIZE_MAX, HL_E_SIZE, "wrong size");
    /* The size it was asked with is accepted. */
    tl_reports_fail();
    assert_int_equal(ffh_free(f.h, f.b, 160), HL_OK);
    fx_close(&f);
}
#endif

/* ---- erratum 8: the constructor's size - HEADER_SIZE ------------------- */

/*
 * KernelHeap(start, size) set start->size = size - HEADER_SIZE without a
 * check: for size < HEADER_SIZE it wrapped to nearly SIZE_MAX, and the
 * next allocate(4096) returned memory far past the arena.  Here init
 * refuses any region that cannot hold one header plus a minimum payload
 * after alignment, and the smallest region that can gives exactly one
 * block.
 */
static void erratum_8_tiny_arena_rejected(void **state)
{
    (void)state;
    tl_reports_fail();
    uint8_t *region = tl_region(256, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    const size_t tiny[] = {0, 1, HDR - 1, HDR, HDR + 1, HDR + 15};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
        assert_int_equal(ffh_init(h, region, tiny[i]), HL_E_REGION);
    /* Enough bytes, but not once the start is aligned up. */
    assert_int_equal(ffh_init(h, region + 4, HDR + 16), HL_E_REGION);
    assert_int_equal(ffh_init(h, region + 4, HDR + 16 + 11), HL_E_REGION);

    assert_int_equal(ffh_init(h, region + 4, HDR + 16 + 12), HL_OK);
    assert_int_equal(ffh_init(h, region, HDR + 16), HL_OK);
    assert_int_equal(h->head->size_bytes, 16);
    assert_null(ffh_alloc(h, 4096));
    assert_null(ffh_alloc(h, 17));
    void *p = ffh_alloc(h, 16);
    assert_ptr_equal(p, region + HDR);
    assert_null(ffh_alloc(h, 1));
    tl_assert_check(&hl_firstfit_seed, h);
    tl_free(region);
    tl_free(h);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erratum_5_payloads_are_16_aligned),
        cmocka_unit_test(erratum_5_misaligned_start_is_aligned_up),
        cmocka_unit_test(erratum_6_huge_requests_return_null),
        cmocka_unit_test(erratum_6_alloc_zero_is_unique_and_freeable),
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(erratum_7_double_free_refused),
        cmocka_unit_test(erratum_7_interior_pointer_refused),
        cmocka_unit_test(erratum_7_foreign_pointer_refused),
        cmocka_unit_test(erratum_7_wrong_size_refused),
#endif
        cmocka_unit_test(erratum_8_tiny_arena_rejected),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
