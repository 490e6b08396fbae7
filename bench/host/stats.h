/*
 * stats.h — the statistics of `heaplab run`'s summary and `heaplab
 * compare`: medians, a distribution-free confidence interval of the
 * median, and the two-sided Mann-Whitney U test.  Pure functions, no I/O
 * (unit-tested in tests/test_stats.c).
 *
 * CI of the median by order statistics: with n values sorted, the
 * interval [x(j), x(n+1-j)] (ranks 1-based) holds the true median with
 * probability 1 - 2 P(B <= j-1), B ~ Binomial(n, 1/2), whatever the
 * distribution.  We take the largest j whose coverage is still >= the
 * level asked for; for 95 %: n = 6..8 -> ranks 1..n, n = 9 -> 2..8,
 * n = 10 -> 2..9, n = 20 -> 6..15.  n < 6 has no 95 % interval.
 *
 * Mann-Whitney U: U_a = R_a - n_a (n_a + 1) / 2, R_a the sum of the
 * mid-ranks of sample a in the pooled sample.  The p-value is
 *   exact  when there are no ties and n_a + n_b <= 40: the null
 *          distribution of U counted by the recurrence
 *          N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1),
 *          p = min(1, 2 min(P(U <= u), P(U >= u)));
 *   normal otherwise: z = (|U - n_a n_b / 2| - 1/2) / sigma with the tie
 *          correction sigma^2 = n_a n_b / 12 ((N + 1) - sum(t^3 - t) /
 *          (N (N - 1))), p = erfc(z / sqrt 2)  (continuity-corrected).
 */
#ifndef HEAPLAB_STATS_H
#define HEAPLAB_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Sort v ascending in place (n small: insertion sort). */
void hl_sort_doubles(double *v, size_t n);

/* The median of v[0..n) (sorts v); NaN when n == 0. */
double hl_median(double *v, size_t n);

/* Coverage of [x(j), x(n+1-j)]: 1 - 2 P(Binomial(n, 1/2) <= j - 1).
 * pre: 1 <= j <= (n + 1) / 2. */
double hl_median_ci_coverage(size_t n, size_t j);

/* The 1-based ranks lo <= hi of the order-statistics interval of the
 * median with coverage >= level (e.g. 0.95), lo as large as possible and
 * hi = n + 1 - lo; false when even [x(1), x(n)] covers less. */
bool hl_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi);

struct hl_mwu {
    double u;       /* U of sample a: pairs (a_i, b_j) with a_i > b_j, ties
                       counting 1/2 */
    double p;       /* two-sided p-value */
    bool exact;     /* p from the exact null distribution */
};

/* The two-sided Mann-Whitney U test of a against b.  pre: na, nb >= 1.
 * The inputs are not modified. */
void hl_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                     struct hl_mwu *out);

#endif /* HEAPLAB_STATS_H */
