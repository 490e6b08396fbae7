/*
 * test_errata_bitmap.c — one regression test per erratum of the seed's
 * frame bitmap (MemoryManager in the seed text), run against bitmap-seed.
 * Each comment says how the seed's original code fails the test.
 * docs/seed-errata.md ("bitmap") describes the errata.
 *
 * Run one alone: test_errata_bitmap 'erratum_2*'   (a cmocka test filter:
 * a glob matched against the whole test name)
 */
#include "tests/testlib.h"

#include <string.h>

#include "allocators/bitmap_seed.h"
#include "allocators/util.h"

/* A seed allocator over a region of exactly nframes managed frames: one
 * leading frame holds the bitmaps, the region starts 4096-aligned. */
struct fixture {
    struct bmp_seed *b;
    uint8_t *region;
    size_t region_bytes;
};

static struct fixture fixture_make(uint32_t nframes, int dirt)
{
    struct fixture f;
    f.region_bytes = ((size_t)nframes + 1) * HL_FRAME_BYTES;
    f.region = tl_region(f.region_bytes, HL_FRAME_BYTES);
    memset(f.region, dirt, f.region_bytes);
    f.b = tl_state(&hl_bitmap_seed);
    memset(f.b, dirt, sizeof *f.b); /* the state need not be zeroed either */
    assert_int_equal(bmp_seed_init(f.b, f.region, f.region_bytes), HL_OK);
    assert_int_equal(bmp_seed_nframes(f.b), nframes);
    tl_reports_fail();
    return f;
}

static void fixture_drop(struct fixture *f)
{
    tl_free(f->b);
    tl_free(f->region);
}

/*
 * Erratum 1: initialize() allocated INDEX_FROM_BIT(nframes) = nframes / 32
 * words and cleared INDEX_FROM_BIT(nframes) BYTES of them.  With 100 frames
 * the original has 3 words (frames 96..99 have no bit at all) and clears 3
 * bytes, so on dirty memory (0xFF) frames 24..95 look used: it hands out
 * 24 frames, not 100.  Fixed: ceil(nframes / 32) words, every byte cleared.
 */
static void erratum_1_init_clears_whole_bitmap_and_keeps_tail_frames(void **state)
{
    (void)state;
    struct fixture f = fixture_make(100, 0xFF);
    bool seen[100] = {false};
    for (uint32_t i = 0; i < 100; i++) {
        bmp_pfn pfn = {UINT32_MAX};
        assert_true(bmp_seed_alloc_pfn(f.b, &pfn));
        assert_true(pfn.idx < 100);
        assert_false(seen[pfn.idx]); /* each frame exactly once */
        seen[pfn.idx] = true;
    }
    bmp_pfn none = {12345};
    assert_false(bmp_seed_alloc_pfn(f.b, &none));
    assert_int_equal(none.idx, 12345);
    tl_assert_check(&hl_bitmap_seed, f.b);
    fixture_drop(&f);
}

/*
 * Erratum 2: free_frame() passed page->frame, a frame NUMBER, to
 * clear_frame(), which divides its argument by 0x1000 as if it were an
 * address: freeing frame 5 clears bit 5 / 4096 = 0, i.e. frees frame 0
 * and leaves frame 5 used for ever.  The original fails both asserts
 * below: the next alloc returns frame 0, not 5, and frame 0 was wrongly
 * freed.  Fixed: the pfn API takes a bmp_pfn (a struct, so it cannot be
 * passed where an address is expected) and clears exactly its bit.
 */
static void erratum_2_free_clears_exactly_that_frame(void **state)
{
    (void)state;
    struct fixture f = fixture_make(64, 0);
    for (uint32_t i = 0; i < 40; i++) {
        bmp_pfn pfn;
        assert_true(bmp_seed_alloc_pfn(f.b, &pfn));
        assert_int_equal(pfn.idx, i);
    }
    struct hl_stats before, after;
    bmp_seed_stats(f.b, &before);
    const uint32_t k = 37; /* != 0, and in word 1, so bit 37 / 4096 would be 0 */
    uint32_t words_before[2];
    memcpy(words_before, f.b->core.used, sizeof words_before);
    assert_int_equal(bmp_seed_free_pfn(f.b, (bmp_pfn){k}), HL_OK);
    /* Exactly bit k changed. */
    assert_int_equal(f.b->core.used[0], words_before[0]);
    assert_int_equal(f.b->core.used[1], words_before[1] & ~((uint32_t)1 << (k - 32)));
    bmp_seed_stats(f.b, &after);
    assert_int_equal(after.free_bytes, before.free_bytes + HL_FRAME_BYTES);
    /* And the allocator agrees: k is the lowest free frame now. */
    bmp_pfn again;
    assert_true(bmp_seed_alloc_pfn(f.b, &again));
    assert_int_equal(again.idx, k);
    assert_true(bmp_seed_alloc_pfn(f.b, &again));
    assert_int_equal(again.idx, 40);
    tl_assert_check(&hl_bitmap_seed, f.b);
    fixture_drop(&f);
}

/*
 * Erratum 3: frame 0 doubled as "no frame".  first_frame() can return 0 and
 * alloc_frame() stores it in page->frame, after which free_frame() sees
 * frame == 0, returns early ("didn't have an allocated frame") and the
 * frame leaks (and alloc_frame() on that page, seeing frame == 0, gives
 * it a second frame).  The original fails the free below: frame 0 stays
 * used, so free_bytes stays low and the next alloc returns 1, not 0.
 * Fixed: frame 0 is an ordinary frame; failure is a false return with
 * *out untouched.
 */
static void erratum_3_frame_zero_is_a_real_frame(void **state)
{
    (void)state;
    struct fixture f = fixture_make(3, 0);
    struct hl_stats init_stats, s;
    bmp_seed_stats(f.b, &init_stats);
    bmp_pfn p0 = {UINT32_MAX};
    assert_true(bmp_seed_alloc_pfn(f.b, &p0));
    assert_int_equal(p0.idx, 0);
    assert_true(bmp_seed_frame_addr(f.b, p0) == (uintptr_t)f.region + HL_FRAME_BYTES);
    bmp_pfn back;
    assert_true(bmp_seed_addr_pfn(f.b, bmp_seed_frame_addr(f.b, p0) + 100, &back));
    assert_int_equal(back.idx, 0);
    assert_int_equal(bmp_seed_free_pfn(f.b, p0), HL_OK);
    bmp_seed_stats(f.b, &s);
    assert_int_equal(s.free_bytes, init_stats.free_bytes);
    assert_int_equal(s.held_bytes, init_stats.held_bytes);
    assert_int_equal(s.live_blocks, 0);
    /* Freed for real: handed out again first. */
    assert_true(bmp_seed_alloc_pfn(f.b, &p0));
    assert_int_equal(p0.idx, 0);
    /* Exhaustion is a distinct answer, not frame 0. */
    bmp_pfn p;
    assert_true(bmp_seed_alloc_pfn(f.b, &p));
    assert_true(bmp_seed_alloc_pfn(f.b, &p));
    p.idx = 777;
    assert_false(bmp_seed_alloc_pfn(f.b, &p));
    assert_int_equal(p.idx, 777);
    bmp_seed_stats(f.b, &s);
    assert_int_equal(s.failed_allocs, 1);
    tl_assert_check(&hl_bitmap_seed, f.b);
    fixture_drop(&f);
}

/*
 * Erratum 4: the bits of the last word past nframes were never marked, so
 * a scan over ceil(nframes / 32) words (the obvious fix for erratum 1)
 * hands out frames at and past the end of memory: with 33 frames, frames
 * 33..63 of word 1 look free, so the 34th allocation returns an address
 * past the region instead of failing.  (The original's nframes / 32-word
 * scan instead never finds frame 32: only 32 allocations succeed.)  Fixed:
 * tail bits are set at init and never cleared; exactly nframes frames
 * are handed out, each inside the region.
 */
static void erratum_4_no_frame_past_the_end(void **state)
{
    (void)state;
    static const uint32_t counts[] = {1, 31, 32, 33, 63, 65, 100};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        uint32_t n = counts[c];
        struct fixture f = fixture_make(n, c % 2 ? 0xFF : 0);
        uintptr_t end = (uintptr_t)f.region + f.region_bytes;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *p = bmp_seed_alloc(f.b, HL_FRAME_BYTES);
            assert_non_null(p);
            assert_true((uintptr_t)p + HL_FRAME_BYTES <= end);
            assert_true((uintptr_t)p >= (uintptr_t)f.region + HL_FRAME_BYTES);
        }
        assert_null(bmp_seed_alloc(f.b, 1));
        /* A run may not reach past the end either. */
        assert_int_equal(bmp_seed_free(f.b, (void *)(end - HL_FRAME_BYTES), HL_FRAME_BYTES),
                         HL_OK);
        assert_null(bmp_seed_alloc(f.b, 2 * HL_FRAME_BYTES));
        assert_true((uintptr_t)bmp_seed_alloc(f.b, 1) == end - HL_FRAME_BYTES);
        tl_assert_check(&hl_bitmap_seed, f.b);
        fixture_drop(&f);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erratum_1_init_clears_whole_bitmap_and_keeps_tail_frames),
        cmocka_unit_test(erratum_2_free_clears_exactly_that_frame),
        cmocka_unit_test(erratum_3_frame_zero_is_a_real_frame),
        cmocka_unit_test(erratum_4_no_frame_past_the_end),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
