/*
 * test_find_not.c — hl_find_not (allocators/util.h), the poison scan of
 * checked builds, word-at-a-time since issue 15: every start alignment,
 * every length up to a few chunks, the first differing byte at every
 * position (head, words, tail), and the empty range.
 */
#include "tests/testlib.h"

#include <string.h>

#include "allocators/util.h"

#define MAXN 300

static void finds_the_first_other_byte(void **state)
{
    (void)state;
    static uint8_t buf[MAXN + 64];
    for (size_t start = 0; start < 16; start++) {
        uint8_t *p = buf + start;
        for (size_t n = 0; n <= MAXN; n += (n < 140 ? 1 : 7)) {
            memset(buf, 0xDD, sizeof buf);
            assert_null(hl_find_not(p, 0xDD, n));
            assert_non_null(hl_find_not(p, 0xCD, n ? n : 1));
            for (size_t bad = 0; bad < n; bad += (bad < 80 ? 1 : 13)) {
                p[bad] = 0xDC;
                if (bad + 1 < n)
                    p[n - 1] = 0x00; /* a later one must not win */
                assert_ptr_equal(hl_find_not(p, 0xDD, n), p + bad);
                p[bad] = 0xDD;
                p[n - 1] = 0xDD;
            }
            /* bytes past n are not looked at */
            p[n] = 0x11;
            assert_null(hl_find_not(p, 0xDD, n));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_first_other_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
