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
 *     c(3,4,5,6)) gives W = 1, p = 0.05451);
 *   - two-level data: splitmix64's published first output, the median over
 *     launches of per-launch medians by hand, the variance share by hand
 *     (one-way ANOVA), the hierarchical bootstrap equal to the plain one
 *     with a single launch (same draws), byte-for-byte determinism, the
 *     paired ratio and its verdict;
 *   - properties with a fixed seed (never a timing): the CI's coverage
 *     over simulated two-level data sets, a known 10 % difference found
 *     in both directions, identical cells giving "no difference", and
 *     pairing by round cancelling a drift shared by both cells.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* ---- two-level data ------------------------------------------------------ */

static void rng_splitmix64_reference(void **unused)
{
    (void)unused;
    /* splitmix64 from state 0: the first outputs of Vigna's reference
     * splitmix64.c. */
    struct hl_rng r = {0};
    assert_true(hl_rng_next(&r) == 0xe220a8397b1dcdafull);
    assert_true(hl_rng_next(&r) == 0x6e789e6aa1b965f4ull);
    struct hl_rng s = {42};
    for (int i = 0; i < 10000; i++) {
        assert_true(hl_rng_below(&s, 7) < 7);
        double u = hl_rng_unit(&s);
        assert_true(u >= 0.0 && u < 1.0);
    }
    assert_true(hl_rng_below(&s, 1) == 0);
}

static void levels_median_by_hand(void **unused)
{
    (void)unused;
    double a[] = {3, 1, 2}, b[] = {10}, c[] = {5, 4};
    struct hl_launch l[] = {{a, 3}, {NULL, 0}, {b, 1}, {c, 2}};
    /* per-launch medians 2, 10, 4.5 (the empty launch skipped) */
    assert_close(hl_levels_median(l, 4), 4.5, 0);
    assert_close(a[0], 3, 0); /* inputs unmodified */
    assert_true(isnan(hl_levels_median(l + 1, 1)));
    assert_true(isnan(hl_levels_median(l, 0)));
}

static void var_share_by_hand(void **unused)
{
    (void)unused;
    /* means 2 and 6, grand 4: MSB = 16, MSW = 4 / 2 = 2, n0 = 2,
     * s_b^2 = (16 - 2) / 2 = 7, share = 7 / (7 + 2) */
    double a[] = {1, 3}, b[] = {5, 7};
    struct hl_launch l[] = {{a, 2}, {b, 2}};
    assert_close(hl_var_between_share(l, 2), 7.0 / 9.0, 1e-12);
    /* equal means: nothing between launches (clamped at 0) */
    double c[] = {1, 2, 3}, d[] = {3, 2, 1};
    struct hl_launch m[] = {{c, 3}, {d, 3}};
    assert_close(hl_var_between_share(m, 2), 0, 0);
    /* no spread inside launches: all of it between */
    double e[] = {1, 1}, f[] = {2, 2};
    struct hl_launch n[] = {{e, 2}, {f, 2}};
    assert_close(hl_var_between_share(n, 2), 1, 0);
    /* undefined: one launch, one rep per launch, every value equal */
    assert_true(isnan(hl_var_between_share(l, 1)));
    double g[] = {1}, h[] = {2};
    struct hl_launch o[] = {{g, 1}, {h, 1}};
    assert_true(isnan(hl_var_between_share(o, 2)));
    double k[] = {4, 4};
    struct hl_launch p[] = {{k, 2}, {k, 2}};
    assert_true(isnan(hl_var_between_share(p, 2)));
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void boot_one_launch_is_plain_bootstrap(void **unused)
{
    (void)unused;
    double v[] = {12, 15, 11, 19, 14, 13, 30, 12, 16};
    struct hl_launch l = {v, NOF(v)};
    enum { B = 500 };
    struct hl_ci ci = hl_levels_ci(&l, 1, 0.9, B, 7);
    /* The plain bootstrap of the median with the same draws: the launch
     * draw (below(1)) consumes one number, then the reps. */
    struct hl_rng r = {7};
    double stat[B], buf[NOF(v)];
    for (int b = 0; b < B; b++) {
        (void)hl_rng_below(&r, 1);
        for (size_t i = 0; i < NOF(v); i++)
            buf[i] = v[hl_rng_below(&r, NOF(v))];
        stat[b] = hl_median(buf, NOF(v));
    }
    qsort(stat, B, sizeof stat[0], cmp_dbl);
    /* type-7 quantiles 0.05 and 0.95 of 500 values: h = 24.95, 474.05 */
    double lo = stat[24] + 0.95 * (stat[25] - stat[24]);
    double hi = stat[474] + 0.05 * (stat[475] - stat[474]);
    assert_close(ci.est, 14, 0);
    assert_close(ci.lo, lo, 1e-12);
    assert_close(ci.hi, hi, 1e-12);
    assert_true(ci.lo <= 14 && 14 <= ci.hi);
}

static void boot_constant_and_empty(void **unused)
{
    (void)unused;
    double v[] = {5, 5, 5}, w[] = {5, 5};
    struct hl_launch l[] = {{v, 3}, {w, 2}};
    struct hl_ci ci = hl_levels_ci(l, 2, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_close(ci.est, 5, 0);
    assert_close(ci.lo, 5, 0);
    assert_close(ci.hi, 5, 0);
    ci = hl_levels_ci(l, 0, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_true(isnan(ci.est) && isnan(ci.lo) && isnan(ci.hi));
}

/* A simulated cell: nl launches of nr reps, value = mu * (1 + sb z_l +
 * sw z_lr) (+ drift[l] if given: a round effect), into v[nl * nr]. */
static void simulate(struct hl_rng *r, double mu, double sb, double sw,
                     const double *drift, size_t nl, size_t nr, double *v,
                     struct hl_launch *l)
{
    for (size_t i = 0; i < nl; i++) {
        double launch = sb * hl_rng_normal(r) + (drift ? drift[i] : 0.0);
        for (size_t j = 0; j < nr; j++)
            v[i * nr + j] = mu * (1.0 + launch + sw * hl_rng_normal(r));
        l[i] = (struct hl_launch){&v[i * nr], nr};
    }
}

static void boot_is_deterministic(void **unused)
{
    (void)unused;
    struct hl_rng r = {1};
    double v[6 * 4];
    struct hl_launch l[6];
    simulate(&r, 50, 0.05, 0.02, NULL, 6, 4, v, l);
    struct hl_ci x = hl_levels_ci(l, 6, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    struct hl_ci y = hl_levels_ci(l, 6, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_memory_equal(&x, &y, sizeof x);
    struct hl_ci z = hl_levels_ci(l, 6, 0.95, HL_BOOT_B, HL_BOOT_SEED + 1);
    assert_true(z.lo != x.lo || z.hi != x.hi);
    assert_true(x.lo < x.est && x.est < x.hi);
}

static void ratio_by_hand(void **unused)
{
    (void)unused;
    double a1[] = {20, 20}, a2[] = {40}, b1[] = {10, 10}, b2[] = {20, 20};
    struct hl_launch a[] = {{a1, 2}, {a2, 1}}, b[] = {{b1, 2}, {b2, 2}};
    /* every resample: (median of launch medians of a) / (same of b) = 2 */
    struct hl_ci ci = hl_ratio_ci(a, b, 2, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_close(ci.est, 2, 1e-12);
    assert_close(ci.lo, 2, 1e-12);
    assert_close(ci.hi, 2, 1e-12);
    assert_int_equal(hl_verdict_of(ci), HL_VERDICT_SLOWER);
    ci = hl_ratio_ci(b, a, 2, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_close(ci.est, 0.5, 1e-12);
    assert_int_equal(hl_verdict_of(ci), HL_VERDICT_FASTER);
    /* a pair with one side empty is not a pair */
    struct hl_launch a_gap[] = {{a1, 2}, {NULL, 0}};
    ci = hl_ratio_ci(a_gap, b, 2, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_close(ci.est, 2, 1e-12);
    /* no pair, or a denominator <= 0 (net costs): undefined */
    ci = hl_ratio_ci(a_gap + 1, b + 1, 1, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_true(isnan(ci.est) && isnan(ci.lo));
    assert_int_equal(hl_verdict_of(ci), HL_VERDICT_UNDEFINED);
    double neg[] = {-1, 2, 3};
    struct hl_launch bn[] = {{neg, 3}};
    ci = hl_ratio_ci(a, bn, 1, 0.95, HL_BOOT_B, HL_BOOT_SEED);
    assert_true(isnan(ci.lo)); /* some resamples have median -1 */
    assert_int_equal(hl_verdict_of((struct hl_ci){1, 0.9, 1.1}),
                     HL_VERDICT_SAME);
    assert_string_equal(hl_verdict_str(HL_VERDICT_SAME), "no_difference");
}

/* Property (fixed seed): over 400 simulated cells of 10 launches x 5 reps
 * with as much variance between launches as within, the 95 % CI holds
 * the true centre in about 95 % of them.  The percentile bootstrap of a
 * median over few launches is known to be a little narrow; the band
 * allows for that and for 400 trials (binomial sd 1.1 %). */
static void property_ci_coverage(void **unused)
{
    (void)unused;
    enum { TRIALS = 400, NL = 10, NR = 5 };
    struct hl_rng r = {2013};
    double v[NL * NR];
    struct hl_launch l[NL];
    int covered = 0;
    for (int t = 0; t < TRIALS; t++) {
        simulate(&r, 100, 0.05, 0.05, NULL, NL, NR, v, l);
        struct hl_ci ci = hl_levels_ci(l, NL, 0.95, 1000, (uint64_t)t);
        covered += ci.lo <= 100 && 100 <= ci.hi;
    }
    double coverage = (double)covered / TRIALS;
    print_message("coverage %.3f\n", coverage);
    assert_true(coverage >= 0.88 && coverage <= 0.995);
}

/* Property: a known 10 % difference between two cells (launch and rep
 * noise of 2 % each) is found in both directions; identical cells give
 * "no difference" in (nearly) every data set. */
static void property_verdicts(void **unused)
{
    (void)unused;
    enum { TRIALS = 50, NL = 8, NR = 5 };
    struct hl_rng r = {99};
    double va[NL * NR], vb[NL * NR];
    struct hl_launch a[NL], b[NL];
    int right = 0, same = 0;
    for (int t = 0; t < TRIALS; t++) {
        simulate(&r, 110, 0.02, 0.02, NULL, NL, NR, va, a);
        simulate(&r, 100, 0.02, 0.02, NULL, NL, NR, vb, b);
        right += hl_verdict_of(hl_ratio_ci(a, b, NL, 0.95, 1000, t)) ==
                     HL_VERDICT_SLOWER &&
                 hl_verdict_of(hl_ratio_ci(b, a, NL, 0.95, 1000, t)) ==
                     HL_VERDICT_FASTER;
        simulate(&r, 100, 0.02, 0.02, NULL, NL, NR, va, a);
        same += hl_verdict_of(hl_ratio_ci(a, b, NL, 0.95, 1000, t)) ==
                HL_VERDICT_SAME;
        /* the very same data on both sides */
        assert_int_equal(hl_verdict_of(hl_ratio_ci(b, b, NL, 0.95, 1000, t)),
                         HL_VERDICT_SAME);
    }
    print_message("10%% found %d/%d, same %d/%d\n", right, TRIALS, same,
                  TRIALS);
    assert_int_equal(right, TRIALS);
    assert_true(same >= TRIALS * 85 / 100);
}

/* Property: a drift shared by both cells' rounds (+-30 %, far above the
 * 5 % difference) cancels in the paired ratio. */
static void property_pairing_cancels_drift(void **unused)
{
    (void)unused;
    enum { NL = 10, NR = 5 };
    struct hl_rng r = {7};
    double drift[NL], va[NL * NR], vb[NL * NR];
    struct hl_launch a[NL], b[NL];
    for (int t = 0; t < 20; t++) {
        for (int i = 0; i < NL; i++)
            drift[i] = 0.6 * (hl_rng_unit(&r) - 0.5);
        simulate(&r, 105, 0.005, 0.01, drift, NL, NR, va, a);
        simulate(&r, 100, 0.005, 0.01, drift, NL, NR, vb, b);
        assert_int_equal(hl_verdict_of(hl_ratio_ci(a, b, NL, 0.95, 1000, t)),
                         HL_VERDICT_SLOWER);
    }
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
        cmocka_unit_test(rng_splitmix64_reference),
        cmocka_unit_test(levels_median_by_hand),
        cmocka_unit_test(var_share_by_hand),
        cmocka_unit_test(boot_one_launch_is_plain_bootstrap),
        cmocka_unit_test(boot_constant_and_empty),
        cmocka_unit_test(boot_is_deterministic),
        cmocka_unit_test(ratio_by_hand),
        cmocka_unit_test(property_ci_coverage),
        cmocka_unit_test(property_verdicts),
        cmocka_unit_test(property_pairing_cancels_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
