/*
 * test_util.c — the arithmetic every allocator relies on (allocators/util.h).
 */
#include "tests/testlib.h"

#include <stdint.h>
#include <string.h>

#include "allocators/util.h"

static void align_up_and_down(void **state)
{
    (void)state;
    assert_int_equal(HL_ALIGN_UP((size_t)0, 16), 0);
    assert_int_equal(HL_ALIGN_UP((size_t)1, 16), 16);
    assert_int_equal(HL_ALIGN_UP((size_t)16, 16), 16);
    assert_int_equal(HL_ALIGN_UP((size_t)17, 16), 32);
    assert_int_equal(HL_ALIGN_UP((uintptr_t)4097, 4096), 8192);
    assert_int_equal(HL_ALIGN_DOWN((size_t)31, 16), 16);
    assert_int_equal(HL_ALIGN_DOWN((uintptr_t)8191, 4096), 4096);
    assert_true(HL_IS_ALIGNED((size_t)4096, 4096));
    assert_false(HL_IS_ALIGNED((size_t)4100, 4096));
    /* The mask must be as wide as x: a 64-bit value keeps its high bits. */
    uint64_t big = ((uint64_t)1 << 40) + 3;
    assert_true(HL_ALIGN_UP(big, 8) == ((uint64_t)1 << 40) + 8);
}

static void align_up_checked_never_wraps(void **state)
{
    (void)state;
    size_t out = 12345;
    assert_false(hl_align_up_checked(SIZE_MAX, 16, &out));
    assert_false(hl_align_up_checked(SIZE_MAX - 3, 8, &out));
    assert_int_equal(out, 12345); /* untouched on failure */
    assert_true(hl_align_up_checked(SIZE_MAX - 15, 16, &out));
    assert_true(out == SIZE_MAX - 15);
    assert_true(hl_align_up_checked(0, 16, &out));
    assert_int_equal(out, 0);
    assert_true(hl_align_up_checked(33, 16, &out));
    assert_int_equal(out, 48);
}

static void pow2_and_orders(void **state)
{
    (void)state;
    assert_false(HL_IS_POW2(0u));
    assert_true(HL_IS_POW2(1u));
    assert_true(HL_IS_POW2(4096u));
    assert_false(HL_IS_POW2(4097u));
    assert_int_equal(hl_order_for(1), 0);
    assert_int_equal(hl_order_for(2), 1);
    assert_int_equal(hl_order_for(3), 2);
    assert_int_equal(hl_order_for(1024), 10);
    assert_int_equal(hl_order_for(1025), 11);
}

static void bytes_to_frames(void **state)
{
    (void)state;
    assert_int_equal(hl_bytes_to_frames(0), 1);
    assert_int_equal(hl_bytes_to_frames(1), 1);
    assert_int_equal(hl_bytes_to_frames(4096), 1);
    assert_int_equal(hl_bytes_to_frames(4097), 2);
    assert_int_equal(hl_bytes_to_frames(SIZE_MAX), 0); /* cannot round */
}

static void bit_helpers(void **state)
{
    (void)state;
    assert_int_equal(hl_ctz32(1u), 0);
    assert_int_equal(hl_ctz32(0x80000000u), 31);
    assert_int_equal(hl_ctz32(0x00010100u), 8);
    for (uint32_t w = 0; w < 70000; w += 7)
        assert_int_equal(hl_popcount32(w), (unsigned)__builtin_popcount(w));
    assert_int_equal(hl_popcount32(0xFFFFFFFFu), 32);
}

static void ptr_in_and_find_not(void **state)
{
    (void)state;
    char buf[64];
    assert_true(hl_ptr_in(buf, buf, sizeof buf));
    assert_true(hl_ptr_in(buf + 63, buf, sizeof buf));
    assert_false(hl_ptr_in(buf + 64, buf, sizeof buf));
    assert_false(hl_ptr_in(buf, buf + 1, 10));
    memset(buf, 0xDD, sizeof buf);
    assert_null(hl_find_not(buf, 0xDD, sizeof buf));
    buf[40] = 0;
    assert_ptr_equal(hl_find_not(buf, 0xDD, sizeof buf), (uint8_t *)buf + 40);
}


/* The freestanding string helpers that the planner, the parsers and the
 * kernel share. */
static void string_helpers(void **state)
{
    (void)state;
    assert_int_equal(hl_strlen(""), 0);
    assert_int_equal(hl_strlen("slab"), 4);
    assert_true(hl_streq("", ""));
    assert_true(hl_streq("lifo", "lifo"));
    assert_false(hl_streq("lifo", "lif"));
    assert_false(hl_streq("lif", "lifo"));
    assert_false(hl_streq("lifo", "fifo"));
    const char *line = "slab:keep_empty=0";
    assert_true(hl_span_eq(line, 4, "slab"));
    assert_false(hl_span_eq(line, 3, "slab")); /* t is longer */
    static const char slab8[8] = "slab"; /* room past its NUL */
    assert_false(hl_span_eq(line, 5, slab8)); /* the span is longer */
    assert_false(hl_span_eq(line, 4, "slav"));
    assert_true(hl_span_eq(line, 0, ""));
    assert_false(hl_span_eq(line, 0, "s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(align_up_and_down),
        cmocka_unit_test(align_up_checked_never_wraps),
        cmocka_unit_test(pow2_and_orders),
        cmocka_unit_test(bytes_to_frames),
        cmocka_unit_test(bit_helpers),
        cmocka_unit_test(ptr_in_and_find_not),
        cmocka_unit_test(string_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
