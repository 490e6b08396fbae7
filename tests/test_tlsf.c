/*
 * test_tlsf.c — TLSF's own rules (allocators/tlsf.h): the two-level
 * mapping on worked examples, the rounded search (good fit), split and
 * coalescing with both neighbours through the boundary tags, the bitmaps
 * following the lists, and check() counting deliberately broken facts.
 */
#include "tests/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "allocators/tlsf.h"
#include "allocators/util.h"

#define REGION_BYTES ((size_t)256 << 10)
#define HDR TLSF_HEADER_BYTES

#include "tests/tlsf_fixture.h"

static struct tlsf_block *hdr_of(void *p)
{
    return (struct tlsf_block *)((uint8_t *)p - HDR);
}

static size_t size_of(const struct tlsf_block *b)
{
    return b->size_flags & ~TLSF_F_MASK;
}

static size_t check_count(const struct fx *f, const char **what)
{
    struct hl_violation v = {0};
    size_t n = tlsf_check(f->t, &v);
    *what = v.what;
    return n;
}

static void mapping_worked_examples(void **state)
{
    (void)state;
    unsigned fl, sl;
    tlsf_mapping(16, &fl, &sl);
    assert_int_equal(fl, 0), assert_int_equal(sl, 1);
    tlsf_mapping(240, &fl, &sl);
    assert_int_equal(fl, 0), assert_int_equal(sl, 15);
    tlsf_mapping(256, &fl, &sl);
    assert_int_equal(fl, 1), assert_int_equal(sl, 0);
    tlsf_mapping(1000, &fl, &sl); /* tlsf.h's example: 992..1023 */
    assert_int_equal(fl, 2), assert_int_equal(sl, 15);
    tlsf_mapping(1024, &fl, &sl);
    assert_int_equal(fl, 3), assert_int_equal(sl, 0);
    tlsf_mapping(TLSF_MAX_BLOCK_BYTES, &fl, &sl);
    assert_int_equal(fl, TLSF_FL_COUNT - 1), assert_int_equal(sl, 15);
    /* every list's range: sizes map monotonically, each list a range */
    unsigned pf = 0, ps = 1;
    for (size_t s = 16; s < ((size_t)1 << 20); s += 16) {
        tlsf_mapping(s, &fl, &sl);
        assert_true(fl * 16 + sl >= pf * 16 + ps);
        pf = fl, ps = sl;
    }
}

/* After init: one free block on the list its size maps to, its bits set,
 * the sentinel after it. */
static void init_one_block_and_bits(void **state)
{
    struct fx *f = *state;
    struct tlsf_block *b = (struct tlsf_block *)f->t->arena_addr;
    unsigned fl, sl;
    tlsf_mapping(size_of(b), &fl, &sl);
    assert_ptr_equal(f->t->heads[fl][sl], b);
    assert_int_equal(f->t->fl_bitmap, 1u << fl);
    assert_int_equal(f->t->sl_bitmap[fl], 1u << sl);
    assert_int_equal((uintptr_t)b + HDR + size_of(b), f->t->sentinel_addr);
    struct hl_stats s;
    tlsf_stats(f->t, &s);
    assert_int_equal(s.largest_free_bytes, size_of(b));
    assert_int_equal(s.free_bytes, HDR + size_of(b));
    assert_int_equal(s.held_bytes + s.free_bytes, REGION_BYTES);
    tl_assert_check(&hl_tlsf, f->t);
    /* too small for a block and the sentinel */
    struct tlsf *t = tl_state(&hl_tlsf);
    assert_int_equal(tlsf_init(t, f->region, 2 * HDR + 15), HL_E_REGION);
    assert_int_equal(tlsf_init(t, f->region, 2 * HDR + 16), HL_OK);
    void *p = tlsf_alloc(t, 1);
    assert_non_null(p);
    assert_null(tlsf_alloc(t, 1));
    assert_int_equal(tlsf_free(t, p, 1), HL_OK);
    tl_assert_check(&hl_tlsf, t);
    tl_free(t);
}

/* Split on alloc, coalescing with the previous and the next block on
 * free, the boundary tags (prev_phys, PREV_FREE) kept right. */
static void split_and_coalesce_both_ways(void **state)
{
    struct fx *f = *state;
    uint8_t *a = tlsf_alloc(f->t, 100), *b = tlsf_alloc(f->t, 200),
            *c = tlsf_alloc(f->t, 300);
    assert_ptr_equal(b, a + 112 + HDR); /* split, in address order */
    assert_ptr_equal(c, b + 208 + HDR);
    assert_int_equal(tlsf_free(f->t, b, 200), HL_OK);
    struct tlsf_block *hb = hdr_of(b), *hc = hdr_of(c);
    assert_true(hc->size_flags & TLSF_F_PREV_FREE);
    assert_ptr_equal(hc->prev_phys, hb);
    unsigned fl, sl;
    tlsf_mapping(208, &fl, &sl);
    assert_ptr_equal(f->t->heads[fl][sl], hb);
    tl_assert_check(&hl_tlsf, f->t);
    /* a absorbs b (next) */
    assert_int_equal(tlsf_free(f->t, a, 100), HL_OK);
    assert_int_equal(size_of(hdr_of(a)), 112 + HDR + 208);
    assert_ptr_equal(hc->prev_phys, hdr_of(a));
    assert_null(f->t->heads[fl][sl]);
    tl_assert_check(&hl_tlsf, f->t);
    /* c merges into a (previous) and the rest (next): one block again */
    assert_int_equal(tlsf_free(f->t, c, 300), HL_OK);
    struct tlsf_block *only = (struct tlsf_block *)f->t->arena_addr;
    assert_int_equal((uintptr_t)only + HDR + size_of(only),
                     f->t->sentinel_addr);
    assert_int_equal(__builtin_popcount(f->t->fl_bitmap), 1);
    tl_assert_check(&hl_tlsf, f->t);
}

/* The search rounds up to the next list: a request never takes a block
 * from a list whose smaller members would not fit; the smaller hole is
 * left for later. */
static void good_fit_rounds_up(void **state)
{
    struct fx *f = *state;
    uint8_t *h1 = tlsf_alloc(f->t, 1008), *g1 = tlsf_alloc(f->t, 16),
            *h2 = tlsf_alloc(f->t, 4096), *g2 = tlsf_alloc(f->t, 16);
    assert_int_equal(tlsf_free(f->t, h1, 1008), HL_OK); /* list (2, 15) */
    assert_int_equal(tlsf_free(f->t, h2, 4096), HL_OK); /* list (5, 0) */
    /* 1000 bytes -> 1008 -> searched from (3, 0): h2's list, not h1's */
    uint8_t *p = tlsf_alloc(f->t, 1000);
    assert_ptr_equal(p, h2);
    /* 992 bytes: (2, 15) searched exactly: h1 (1008) fits */
    uint8_t *q = tlsf_alloc(f->t, 992);
    assert_ptr_equal(q, h1);
    tl_assert_check(&hl_tlsf, f->t);
    assert_int_equal(tlsf_free(f->t, p, 1000), HL_OK);
    assert_int_equal(tlsf_free(f->t, q, 992), HL_OK);
    assert_int_equal(tlsf_free(f->t, g1, 16), HL_OK);
    assert_int_equal(tlsf_free(f->t, g2, 16), HL_OK);
    tl_assert_check(&hl_tlsf, f->t);
    /* impossible requests fail and are counted */
    assert_null(tlsf_alloc(f->t, SIZE_MAX));
    assert_null(tlsf_alloc(f->t, TLSF_MAX_BLOCK_BYTES + 1));
    assert_null(tlsf_alloc(f->t, REGION_BYTES));
    struct hl_stats s;
    tlsf_stats(f->t, &s);
    assert_int_equal(s.failed_allocs, 3);
}

/* check() counts each broken fact exactly. */
static void check_counts_corruptions(void **state)
{
    struct fx *f = *state;
    const char *what;
    uint8_t *a = tlsf_alloc(f->t, 64), *b = tlsf_alloc(f->t, 64),
            *c = tlsf_alloc(f->t, 64), *d = tlsf_alloc(f->t, 64),
            *e = tlsf_alloc(f->t, 64);
    assert_int_equal(tlsf_free(f->t, b, 64), HL_OK);
    assert_int_equal(tlsf_free(f->t, d, 64), HL_OK); /* list (0, 4): d, b */
    unsigned fl, sl;
    tlsf_mapping(64, &fl, &sl);
    struct tlsf_block *hb = hdr_of(b), *hd = hdr_of(d), *hc = hdr_of(c);
    assert_ptr_equal(f->t->heads[fl][sl], hd);
    assert_int_equal(check_count(f, &what), 0);

    /* 1: a stray second-level bit (its fl already has bits) */
    f->t->sl_bitmap[fl] ^= 1u << 7;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "second-level bit disagrees with its list");
    f->t->sl_bitmap[fl] ^= 1u << 7;
    /* 1: c forgets that b before it is free */
    hc->size_flags &= ~TLSF_F_PREV_FREE;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "prev-free flag disagrees with the previous "
                              "block");
    hc->size_flags |= TLSF_F_PREV_FREE;
    /* 1: c's boundary tag points elsewhere */
    hc->prev_phys = hd;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "prev_phys is not the previous block");
    hc->prev_phys = hb;
    /* 1: a broken prev link in the list */
    struct tlsf_links *lb = (struct tlsf_links *)b;
    lb->prev_free = NULL;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "list prev link broken");
    lb->prev_free = hd;
    /* 1: a used block on a list (a's size maps to the same list) */
    lb->next_free = hdr_of(a);
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "list holds what is not a free block of its "
                              "size class");
    /* 1: the list cut short: b missing */
    lb->next_free = NULL;
    ((struct tlsf_links *)d)->next_free = NULL;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "free blocks on the lists differ from the "
                              "physical walk");
    ((struct tlsf_links *)d)->next_free = hb;
    /* 1: a counter */
    f->t->used_bytes += 16;
    assert_int_equal(check_count(f, &what), 1);
    assert_string_equal(what, "used block bytes differ from used_bytes");
    f->t->used_bytes -= 16;
    assert_int_equal(check_count(f, &what), 0);
    assert_int_equal(tlsf_free(f->t, a, 64), HL_OK);
    assert_int_equal(tlsf_free(f->t, c, 64), HL_OK);
    assert_int_equal(tlsf_free(f->t, e, 64), HL_OK);
    assert_int_equal(check_count(f, &what), 0);
}

#if HL_CHECK_LEVEL >= 1
static void refused_frees_change_nothing(void **state)
{
    struct fx *f = *state;
    uint8_t *a = tlsf_alloc(f->t, 64), *b = tlsf_alloc(f->t, 64);
    assert_int_equal(tlsf_free(f->t, a, 64), HL_OK);
    struct tlsf before = *f->t;
    uint8_t *copy = malloc(REGION_BYTES);
    assert_non_null(copy);
    memcpy(copy, f->region, REGION_BYTES);
    static const struct {
        size_t off, bytes;
        enum hl_status want;
        const char *what;
    } bad[] = {
        {0, 64, HL_E_DOUBLE_FREE, "double free"},      /* a again */
        {80 + 16, 64, HL_E_INTERIOR, "interior pointer"}, /* inside b */
        {80, 200, HL_E_SIZE, "wrong size"},            /* b, wrong size */
    };
    tl_reports_record();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_reports_reset();
        assert_int_equal(tlsf_free(f->t, a + bad[i].off, bad[i].bytes),
                         bad[i].want);
        assert_int_equal(tl_report_count(), 1);
        assert_string_equal(tl_last_report_what(), bad[i].what);
        assert_memory_equal(&before, f->t, sizeof before);
        assert_memory_equal(copy, f->region, REGION_BYTES);
    }
    static uint8_t elsewhere[64];
    tl_reports_reset();
    assert_int_equal(tlsf_free(f->t, elsewhere, 64), HL_E_FOREIGN);
    assert_int_equal(tl_report_count(), 1);
    tl_reports_fail();
    free(copy);
    assert_int_equal(tlsf_free(f->t, b, 64), HL_OK);
    tl_assert_check(&hl_tlsf, f->t);
}
#endif

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mapping_worked_examples),
        T(init_one_block_and_bits),
        T(split_and_coalesce_both_ways),
        T(good_fit_rounds_up),
        T(check_counts_corruptions),
#if HL_CHECK_LEVEL >= 1
        T(refused_frees_change_nothing),
#endif
    };
    return cmocka_run_group_tests_name("tlsf", tests, NULL, NULL);
}
