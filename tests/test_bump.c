/*
 * test_bump.c — the bump allocator's own rules (bump.h): alignment,
 * monotonic addresses (no reuse), exhaustion without wrapping, stats,
 * checked-build detections, poison, and check() counting corrupted facts.
 */
#include "tests/testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/bump.h"

#define HDR BUMP_HEADER_BYTES

struct fx {
    struct bump *b;
    uint8_t *region;
    size_t region_bytes;
};

static struct fx fx_open(size_t bytes)
{
    struct fx f;
    f.region_bytes = bytes;
    f.region = tl_region(bytes, 16);
    f.b = tl_state(&hl_bump);
    assert_int_equal(bump_init(f.b, f.region, bytes), HL_OK);
    tl_assert_check(&hl_bump, f.b);
    return f;
}

static void fx_close(struct fx *f)
{
    tl_free(f->region);
    tl_free(f->b);
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static void blocks_are_aligned_and_monotonic(void **state)
{
    (void)state;
    tl_reports_fail();
    uint8_t *region = tl_region(64 * 1024 + 16, 16);
    struct bump *b = tl_state(&hl_bump);
    for (size_t offset = 0; offset < 16; offset += 4) {
        assert_int_equal(bump_init(b, region + offset, 64 * 1024), HL_OK);
        uint8_t *prev = NULL;
        size_t prev_bytes = 0;
        for (size_t n = 0; n < 300; n += 7) {
            uint8_t *p = bump_alloc(b, n);
            assert_non_null(p);
            assert_true(((uintptr_t)p & 15) == 0);
            assert_true(p >= region + offset + HDR);
            if (prev == NULL) {
                /* The first block starts at the aligned start. */
                assert_ptr_equal(p, region + (offset ? 16 : 0) + HDR);
            } else {
                /* Next block: exactly header + round16(previous) later. */
                assert_ptr_equal(p, prev + round16(prev_bytes ? prev_bytes : 1) + HDR);
            }
            memset(p, 0x77, n ? n : 1);
            prev = p;
            prev_bytes = n;
        }
        tl_assert_check(&hl_bump, b);
    }
    tl_free(region);
    tl_free(b);
}

static void free_never_reuses(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    uint8_t *a = bump_alloc(f.b, 32);
    assert_int_equal(bump_free(f.b, a, 32), HL_OK);
    uint8_t *c = bump_alloc(f.b, 32);
    assert_true(c > a);
    assert_int_equal(bump_free(f.b, NULL, 5), HL_OK);
    /* alloc(0) is a unique block too. */
    uint8_t *z1 = bump_alloc(f.b, 0), *z2 = bump_alloc(f.b, 0);
    assert_non_null(z1);
    assert_true(z2 > z1);
    assert_int_equal(bump_free(f.b, z1, 0), HL_OK);
    assert_int_equal(bump_free(f.b, z2, 1), HL_OK);
    tl_assert_check(&hl_bump, f.b);
    fx_close(&f);
}

static void exhaustion_returns_null_without_wrapping(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    size_t n = 0;
    while (bump_alloc(f.b, 64) != NULL)
        n++;
    assert_int_equal(n, 4096 / (64 + HDR));
    struct hl_stats s;
    bump_stats(f.b, &s);
    assert_int_equal(s.failed_allocs, 1);
    assert_int_equal(s.free_bytes, 4096 - n * (64 + HDR));
    fx_close(&f);

    f = fx_open(4096);
    struct bump before = *f.b;
    const size_t huge[] = {SIZE_MAX,      SIZE_MAX - 3, SIZE_MAX - 15,
                           SIZE_MAX - 16, 4096 + 1,     4096 - HDR + 1};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        assert_null(bump_alloc(f.b, huge[i]));
        before.failed_allocs++;
        assert_memory_equal(&before, f.b, sizeof before);
    }
    /* Exactly the rest fits, then nothing does. */
    assert_non_null(bump_alloc(f.b, 4096 - HDR));
    assert_null(bump_alloc(f.b, 1));
    tl_assert_check(&hl_bump, f.b);
    fx_close(&f);
}

static void stats_held_never_shrinks(void **state)
{
    (void)state;
    tl_reports_fail();
    uint8_t *region = tl_region(4096 + 16, 16);
    struct bump *b = tl_state(&hl_bump);
    assert_int_equal(bump_init(b, region + 4, 4096), HL_OK); /* 12 + 4 slack */
    struct hl_stats s;
    bump_stats(b, &s);
    assert_int_equal(s.capacity_bytes, 4096);
    assert_int_equal(s.meta_bytes, 16);
    assert_int_equal(s.held_bytes, 16);
    assert_int_equal(s.free_bytes, 4096 - 16);
    assert_int_equal(s.largest_free_bytes, s.free_bytes);

    void *p = bump_alloc(b, 100), *q = bump_alloc(b, 0);
    bump_stats(b, &s);
    size_t handed = (112 + HDR) + (16 + HDR);
    assert_int_equal(s.live_bytes, 101);
    assert_int_equal(s.live_blocks, 2);
    assert_int_equal(s.held_bytes, 16 + handed);
    assert_int_equal(s.free_bytes, 4096 - 16 - handed);
    assert_int_equal(s.largest_free_bytes, s.free_bytes);
    tl_assert_stats_sane(&hl_bump, b);

    assert_int_equal(bump_free(b, p, 100), HL_OK);
    assert_int_equal(bump_free(b, q, 0), HL_OK);
    bump_stats(b, &s);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.held_bytes, 16 + handed);
    assert_int_equal(s.allocs, 2);
    assert_int_equal(s.frees, 2);
    tl_assert_stats_sane(&hl_bump, b);
    tl_assert_check(&hl_bump, b);

    struct bump other;
    assert_int_equal(bump_init(&other, NULL, 4096), HL_E_REGION);
    assert_int_equal(bump_init(&other, region, 0), HL_E_REGION);
    assert_int_equal(bump_init(&other, region + 4, 16 + HDR), HL_E_REGION);
    assert_int_equal(bump_init(&other, region + 4, 12 + 16 + HDR), HL_OK);
    tl_free(region);
    tl_free(b);
}

#if HL_CHECK_LEVEL >= 1
static void expect_refused(struct fx *f, void *p, size_t bytes,
                           enum hl_status want, const char *what)
{
    struct bump before = *f->b;
    uint8_t *copy = malloc(f->region_bytes);
    assert_non_null(copy);
    memcpy(copy, f->region, f->region_bytes);
    tl_reports_record();
    assert_int_equal(bump_free(f->b, p, bytes), want);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), what);
    assert_ptr_equal(tl_last_report_ptr(), p);
    assert_memory_equal(&before, f->b, sizeof before);
    assert_memory_equal(copy, f->region, f->region_bytes);
    free(copy);
    tl_reports_fail();
    tl_assert_check(&hl_bump, f->b);
}

static void checked_free_detects_bad_frees(void **state)
{
    (void)state;
    struct fx f = fx_open(4096);
    tl_reports_fail();
    uint8_t *a = bump_alloc(f.b, 100);
    uint8_t *b = bump_alloc(f.b, 64);
    int on_stack;
    expect_refused(&f, &on_stack, 4, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, f.region + 4096, 4, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, a + 1, 99, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, a + 32, 68, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, a - HDR, 100, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, b + 64 + HDR, 16, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, a, 99, HL_E_SIZE, "wrong size");
    expect_refused(&f, a, 112, HL_E_SIZE, "wrong size");
    expect_refused(&f, a, SIZE_MAX, HL_E_SIZE, "wrong size");
    assert_int_equal(bump_free(f.b, a, 100), HL_OK);
    expect_refused(&f, a, 100, HL_E_DOUBLE_FREE, "double free");
    assert_int_equal(bump_free(f.b, b, 64), HL_OK);
    expect_refused(&f, b, 64, HL_E_DOUBLE_FREE, "double free");
    fx_close(&f);
}
#endif

#if HL_CHECK_LEVEL >= 2
static void poison_fresh_and_freed(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    uint8_t *a = bump_alloc(f.b, 40);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(a[i], HL_POISON_FRESH);
    memset(a, 0x11, 40);
    assert_int_equal(bump_free(f.b, a, 40), HL_OK);
    for (size_t i = 0; i < 48; i++)
        assert_int_equal(a[i], HL_POISON_FREED);
    /* The header is metadata: marked freed, not poisoned. */
    const struct bump_header *hd = (const struct bump_header *)(a - HDR);
    assert_int_equal(hd->magic, BUMP_MAGIC_FREED);
    assert_int_equal(hd->requested_bytes, 40);
    fx_close(&f);
}
#endif

/* ---- check() counts corrupted facts ----------------------------------- */

static size_t run_check(const struct fx *f, const char **what)
{
    struct hl_violation first = {0};
    size_t n = bump_check(f->b, &first);
    *what = first.what ? first.what : "";
    return n;
}

static void check_counts_bounds_and_counters(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    bump_alloc(f.b, 40);
    bump_alloc(f.b, 8);
    struct bump saved = *f.b;
    const char *what;

    f.b->cur += 8;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "cur is not 16-aligned");
    *f.b = saved;
    f.b->cur = f.b->end + 16;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "cur outside [start, end]");
    *f.b = saved;
    f.b->end = f.b->start;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "bounds are not the aligned region");

    /* Two independent facts: cur misaligned, and frees counted twice. */
    *f.b = saved;
    f.b->cur += 8;
    f.b->frees += 1;
    assert_int_equal(run_check(&f, &what), 2);
    assert_string_equal(what, "cur is not 16-aligned");

    /* One more alloc counted: the counters disagree, and in checked
     * builds the headers between start and cur do too. */
    *f.b = saved;
    f.b->allocs++;
    assert_int_equal(run_check(&f, &what), HL_CHECK_LEVEL >= 1 ? 2 : 1);
    assert_string_equal(what, "live_blocks != allocs - frees");
    *f.b = saved;
    f.b->live_bytes = 1;
    assert_int_equal(run_check(&f, &what), HL_CHECK_LEVEL >= 1 ? 2 : 1);
    assert_string_equal(what,
                        "live_bytes < live_blocks (every block serves >= 1 byte)");
    *f.b = saved;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}

#if HL_CHECK_LEVEL >= 1
static void check_counts_corrupted_headers(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    uint8_t *a = bump_alloc(f.b, 40);
    uint8_t *b = bump_alloc(f.b, 8);
    struct bump_header *ha = (struct bump_header *)(a - HDR);
    struct bump_header *hb = (struct bump_header *)(b - HDR);
    struct bump_header saved_a = *ha, saved_b = *hb;
    const char *what;

    hb->magic = 0x12345678u;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "block header magic is neither live nor freed");
    *hb = saved_b;
    ha->requested_bytes = 4096;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "block size runs past cur");
    *ha = saved_a;
    /* Marked freed behind the counters' back: live count and bytes. */
    hb->magic = BUMP_MAGIC_FREED;
    assert_int_equal(run_check(&f, &what), 2);
    assert_string_equal(what, "live headers != live_blocks");
    *hb = saved_b;
    /* A size that still fits but changes the live bytes: one fact. */
    ha->requested_bytes = 33;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "live headers' bytes != live_bytes");
    *ha = saved_a;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_are_aligned_and_monotonic),
        cmocka_unit_test(free_never_reuses),
        cmocka_unit_test(exhaustion_returns_null_without_wrapping),
        cmocka_unit_test(stats_held_never_shrinks),
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(checked_free_detects_bad_frees),
        cmocka_unit_test(check_counts_corrupted_headers),
#endif
#if HL_CHECK_LEVEL >= 2
        cmocka_unit_test(poison_fresh_and_freed),
#endif
        cmocka_unit_test(check_counts_bounds_and_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
