/*
 * test_stats.c — the statistics of heaplab run/compare (bench/host/stats.h)
 * against values known from tables and hand computation:
 *   - the median of odd and even samples;
 *   - the order-statistics CI of the median: coverage 1 - 2 P(B <= j-1)
 *     and the ranks found in published tables (n = 9 -> 2..8, n = 20 ->
 *     6..15, n = 30 -> 10..21), and none below n = 6;
 *   - Mann-Whitney U: U itself, exact p-values (no overlap: 2 / C(n_a +
 *     n_b, n_a)), the two-sided 5 % critical values of the U table (n =
 *     5,5: U <= 2; n = 9,9: U <= 17), and the normal approximation with
 *     tie and continuity correction (R's wilcox.test(c(1,2,3,3),
 *     c(3,4,5,6)) gives W = 1, p = 0.05451).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/host/stats.h"

#define NOF(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        fail_msg("got %.10g, want %.10g (+- %g)", got, want, tol);
}

static void median_odd_even_empty(void **unused)
{
    (void)unused;
    double odd[] = {3, 1, 2, 9, 7};
    assert_close(hl_median(odd, NOF(odd)), 3, 0);
    assert_close(odd[0], 1, 0); /* sorted in place */
    assert_close(odd[4], 9, 0);
    double even[] = {4, 1, 3, 2};
    assert_close(hl_median(even, NOF(even)), 2.5, 0);
    double one[] = {42};
    assert_close(hl_median(one, 1), 42, 0);
    assert_true(isnan(hl_median(one, 0)));
}

static void ci_coverage_is_binomial(void **unused)
{
    (void)unused;
    /* n = 9, j = 2: 1 - 2 (C(9,0) + C(9,1)) / 2^9 = 1 - 20/512 */
    assert_close(hl_median_ci_coverage(9, 2), 1.0 - 20.0 / 512.0, 1e-12);
    /* j = 1: 1 - 2 / 2^n */
    assert_close(hl_median_ci_coverage(6, 1), 1.0 - 2.0 / 64.0, 1e-12);
    /* n = 20, j = 6: sum C(20, 0..5) = 21700 */
    assert_close(hl_median_ci_coverage(20, 6), 1.0 - 2.0 * 21700.0 / 1048576.0,
                 1e-12);
}

static void ci_ranks_match_tables(void **unused)
{
    (void)unused;
    static const struct {
        size_t n, lo, hi;
    } table[] = {
        {6, 1, 6}, {7, 1, 7}, {8, 1, 8}, {9, 2, 8}, {10, 2, 9},
        {11, 2, 10}, {12, 3, 10}, {20, 6, 15}, {30, 10, 21},
    };
    for (size_t i = 0; i < NOF(table); i++) {
        size_t lo = 0, hi = 0;
        assert_true(hl_median_ci_ranks(table[i].n, 0.95, &lo, &hi));
        if (lo != table[i].lo || hi != table[i].hi)
            fail_msg("n = %zu: ranks %zu..%zu, want %zu..%zu", table[i].n, lo,
                     hi, table[i].lo, table[i].hi);
    }
    size_t lo, hi;
    assert_false(hl_median_ci_ranks(5, 0.95, &lo, &hi));
    assert_false(hl_median_ci_ranks(0, 0.95, &lo, &hi));
    /* a lower level gives a narrower interval */
    assert_true(hl_median_ci_ranks(9, 0.80, &lo, &hi));
    assert_int_equal(lo, 3);
    assert_int_equal(hi, 7);
}

static void mwu_u_statistic(void **unused)
{
    (void)unused;
    struct hl_mwu t;
    double a[] = {1, 5, 9}, b[] = {2, 3, 10, 11};
    /* pairs a > b: 5 > 2, 5 > 3, 9 > 2, 9 > 3 */
    hl_mann_whitney(a, NOF(a), b, NOF(b), &t);
    assert_close(t.u, 4, 0);
    assert_true(t.exact);
    /* and from the other side: n_a n_b - U */
    hl_mann_whitney(b, NOF(b), a, NOF(a), &t);
    assert_close(t.u, 8, 0);
}

static void mwu_exact_no_overlap(void **unused)
{
    (void)unused;
    struct hl_mwu t;
    double a3[] = {1, 2, 3}, b3[] = {4, 5, 6};
    hl_mann_whitney(a3, 3, b3, 3, &t);
    assert_true(t.exact);
    assert_close(t.u, 0, 0);
    assert_close(t.p, 2.0 / 20.0, 1e-12); /* 2 / C(6, 3) */
    double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
    hl_mann_whitney(b5, 5, a5, 5, &t);
    assert_close(t.u, 25, 0);
    assert_close(t.p, 2.0 / 252.0, 1e-12); /* 2 / C(10, 5) */
    /* identical-looking samples: U in the middle, p = 1 */
    double x[] = {1, 4, 5, 8}, y[] = {2, 3, 6, 7};
    hl_mann_whitney(x, 4, y, 4, &t);
    assert_close(t.u, 8, 0);
    assert_close(t.p, 1.0, 1e-12);
}

/* Samples of n values each from ranks 1..2n where a holds `ranks`. */
static void split_ranks(const int *ranks, size_t n, double *a, double *b)
{
    size_t na = 0, nb = 0;
    for (int r = 1; r <= (int)(2 * n); r++) {
        bool in_a = false;
        for (size_t k = 0; k < n; k++)
            in_a = in_a || ranks[k] == r;
        if (in_a)
            a[na++] = r;
        else
            b[nb++] = r;
    }
}

static void mwu_exact_critical_values(void **unused)
{
    (void)unused;
    struct hl_mwu t;
    double a[9], b[9];
    /* n = 9, 9: the table's two-sided 5 % critical value is 17 */
    static const int u17[9] = {1, 2, 3, 4, 5, 6, 7, 16, 18}; /* R = 62 */
    static const int u18[9] = {1, 2, 3, 4, 5, 6, 7, 17, 18}; /* R = 63 */
    split_ranks(u17, 9, a, b);
    hl_mann_whitney(a, 9, b, 9, &t);
    assert_close(t.u, 17, 0);
    assert_close(t.p, 0.039983545865898806, 1e-12);
    assert_true(t.p < 0.05);
    split_ranks(u18, 9, a, b);
    hl_mann_whitney(a, 9, b, 9, &t);
    assert_close(t.u, 18, 0);
    assert_close(t.p, 0.05030851501439737, 1e-12);
    assert_true(t.p > 0.05);
    /* n = 5, 5: critical value 2 */
    static const int c2[5] = {1, 2, 3, 4, 8};  /* R = 18, U = 3 */
    static const int c1[5] = {1, 2, 3, 5, 6};  /* R = 17, U = 2 */
    double a5[5], b5[5];
    split_ranks(c1, 5, a5, b5);
    hl_mann_whitney(a5, 5, b5, 5, &t);
    assert_close(t.u, 2, 0);
    assert_close(t.p, 8.0 / 252.0, 1e-12);
    split_ranks(c2, 5, a5, b5);
    hl_mann_whitney(a5, 5, b5, 5, &t);
    assert_close(t.u, 3, 0);
    assert_close(t.p, 14.0 / 252.0, 1e-12);
}

static void mwu_normal_with_ties(void **unused)
{
    (void)unused;
    struct hl_mwu t;
    double a[] = {1, 2, 3, 3}, b[] = {3, 4, 5, 6};
    hl_mann_whitney(a, 4, b, 4, &t);
    assert_false(t.exact);
    assert_close(t.u, 1, 0);
    assert_close(t.p, 0.05451447864382865, 1e-9);
    /* everything tied: no evidence at all */
    double c[] = {7, 7, 7}, d[] = {7, 7};
    hl_mann_whitney(c, 3, d, 2, &t);
    assert_close(t.u, 3, 0);
    assert_close(t.p, 1.0, 0);
}

static void mwu_large_samples_use_normal(void **unused)
{
    (void)unused;
    /* 30 + 30 distinct values: beyond the exact limit; fully separated
     * samples give z ~ 6.6 and a tiny p; interleaved ones p ~ 1. */
    double a[30], b[30];
    for (int i = 0; i < 30; i++) {
        a[i] = i;
        b[i] = 100 + i;
    }
    struct hl_mwu t;
    hl_mann_whitney(a, 30, b, 30, &t);
    assert_false(t.exact);
    assert_close(t.u, 0, 0);
    assert_true(t.p < 1e-9);
    for (int i = 0; i < 30; i++) {
        a[i] = 2 * i;
        b[i] = 2 * i + 1;
    }
    hl_mann_whitney(a, 30, b, 30, &t);
    assert_true(t.p > 0.8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(median_odd_even_empty),
        cmocka_unit_test(ci_coverage_is_binomial),
        cmocka_unit_test(ci_ranks_match_tables),
        cmocka_unit_test(mwu_u_statistic),
        cmocka_unit_test(mwu_exact_no_overlap),
        cmocka_unit_test(mwu_exact_critical_values),
        cmocka_unit_test(mwu_normal_with_ties),
        cmocka_unit_test(mwu_large_samples_use_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
