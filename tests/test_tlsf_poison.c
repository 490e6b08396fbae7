/*
 * test_tlsf_poison.c — checked TLSF verifies freed poison lazily: an
 * alloc checks only the bytes that change hands (the block's payload past
 * its links and, on a split, the rest's header and links), so it costs
 * O(request), not O(free block).  Nothing escapes: a stray write anywhere
 * in a free block is reported exactly once, by the alloc that hands that
 * byte out or turns it into a header, at its address.  (Release builds
 * do not poison: the tests skip.)
 */
#include "tests/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "allocators/tlsf.h"
#include "allocators/util.h"

#define REGION_BYTES ((size_t)64 << 10)
#define HDR TLSF_HEADER_BYTES
#define LINKS TLSF_LINK_BYTES

#include "tests/tlsf_fixture.h"

/* Allocate `bytes` blocks until one report comes; the number of allocs
 * made, the last block in *last.  Fails if none comes before the arena is
 * full. */
static size_t alloc_until_report(struct fx *f, size_t bytes, uint8_t **last)
{
    tl_reports_record();
    for (size_t n = 1;; n++) {
        uint8_t *p = tlsf_alloc(f->t, bytes);
        if (tl_report_count() > 0) {
            *last = p;
            return n;
        }
        assert_non_null(p);
    }
}

/* A stray byte deep in the first free block (the arena) is not seen by
 * the first allocs, and is reported once, at its address, by the alloc
 * whose block holds it. */
static void deep_write_reported_when_handed_out(void **state)
{
    struct fx *f = *state;
    if (HL_CHECK_LEVEL < 2)
        skip();
    uint8_t *first = tlsf_alloc(f->t, 1024);
    assert_non_null(first);
    uint8_t *stray = first + 40000; /* inside the free rest */
    *stray = 0x42;
    uint8_t *last;
    size_t n = alloc_until_report(f, 1024, &last);
    assert_true(n > 1); /* not the first alloc: the check is lazy */
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_ptr_equal(tl_last_report_ptr(), stray);
    assert_non_null(last);
    assert_true(stray >= last && stray < last + 1024 + HDR + LINKS);
    tl_reports_fail();
    tl_assert_check(&hl_tlsf, f->t);
}

/* The bytes that become the split rest's header and links are checked
 * before they are overwritten. */
static void write_under_next_header_reported(void **state)
{
    struct fx *f = *state;
    if (HL_CHECK_LEVEL < 2)
        skip();
    uint8_t *a = tlsf_alloc(f->t, 64);
    assert_non_null(a);
    /* the last byte of the links of the rest that b's split leaves */
    uint8_t *stray = a + 2 * 64 + 2 * HDR + LINKS - 1;
    *stray = 0x42;
    tl_reports_record();
    uint8_t *b = tlsf_alloc(f->t, 64);
    assert_ptr_equal(b, a + 64 + HDR);
    assert_int_equal(tl_report_count(), 1);
    assert_ptr_equal(tl_last_report_ptr(), stray);
    tl_reports_fail();
}

/* A freed block that comes back whole (no split) is checked whole, its
 * last byte included. */
static void reused_block_checked_whole(void **state)
{
    struct fx *f = *state;
    if (HL_CHECK_LEVEL < 2)
        skip();
    uint8_t *a = tlsf_alloc(f->t, 256), *b = tlsf_alloc(f->t, 256);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(tlsf_free(f->t, a, 256), HL_OK);
    a[255] = 0x42; /* the bug under test */
    tl_reports_record();
    uint8_t *again = tlsf_alloc(f->t, 256);
    assert_ptr_equal(again, a);
    assert_int_equal(tl_report_count(), 1);
    assert_ptr_equal(tl_last_report_ptr(), a + 255);
    tl_reports_fail();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)


int main(void)
{
    const struct CMUnitTest tests[] = {
        T(deep_write_reported_when_handed_out),
        T(write_under_next_header_reported),
        T(reused_block_checked_whole),
    };
    return cmocka_run_group_tests_name("tlsf_poison", tests, NULL, NULL);
}
