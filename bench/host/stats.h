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
 *
 * Two-level data (Kalibera & Jones, "Rigorous benchmarking in reasonable
 * time", ISMM 2013): a cell's reps come in launches (fresh processes);
 * the variance between launches (address layout, page placement) is not
 * sampled by the reps inside one.  For such data:
 *
 *   estimator   the median over launches of the per-launch medians of
 *               the reps (hl_levels_median);
 *   CI          the hierarchical bootstrap: draw nlaunch launches with
 *               replacement, then inside each drawn launch its reps with
 *               replacement, and compute the estimator; repeat B times;
 *               the percentile interval [q(a/2), q(1-a/2)] of the B
 *               values (linear interpolation between order statistics),
 *               a = 1 - level.  With one launch this is the plain
 *               bootstrap of the median of the reps.  B = HL_BOOT_B =
 *               2000: each 2.5 % tail then rests on 50 resamples, which
 *               Efron & Tibshirani (1993, ch. 13) give as enough for a
 *               percentile interval; a summary of ~100 cells still takes
 *               well under a second.  The PRNG (splitmix64) has a fixed
 *               seed, so a summary repeats byte for byte;
 *   share       the variance between launches as a share of the total,
 *               from the one-way random-effects ANOVA variance
 *               components (unbalanced: n0 = (N - sum n_i^2 / N) /
 *               (k - 1)): s_b^2 = max(0, (MSB - MSW) / n0), s_w^2 = MSW,
 *               share = s_b^2 / (s_b^2 + s_w^2); NaN with fewer than two
 *               launches, no degree of freedom within, or zero variance;
 *   ratio       of cell A to cell B over PAIRED rounds (launch l of A and
 *               launch l of B ran in the same round): the caller passes
 *               only the launches present in both, as pairs; a resample
 *               draws pair indices with replacement, then reps inside
 *               each drawn launch of A and of B independently; statistic
 *               median-over-launches(A) / median-over-launches(B).
 *               Undefined (NaN) if B's estimate or any resample of it is
 *               <= 0 (net costs can be negative: no ratio then);
 *   verdict     faster if the whole CI of the ratio is < 1, slower if it
 *               is > 1, else no difference (at the level asked).
 */
#ifndef HEAPLAB_STATS_H
#define HEAPLAB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- two-level data: launches of reps ------------------------------------ */

/* Resamples per bootstrap CI (see above). */
#define HL_BOOT_B 2000u
/* The fixed PRNG seed of the summaries' bootstraps. */
#define HL_BOOT_SEED 0x9e3779b97f4a7c15ull

/* splitmix64 (Steele, Lea & Flood 2014): a 64-bit state, full period. */
struct hl_rng {
    uint64_t state;
};

uint64_t hl_rng_next(struct hl_rng *r);
/* Uniform in [0, n) (n >= 1; rejection sampling, no modulo bias). */
uint64_t hl_rng_below(struct hl_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 random bits. */
double hl_rng_unit(struct hl_rng *r);
/* Standard normal (Box-Muller; one value per call). */
double hl_rng_normal(struct hl_rng *r);

/* One launch: its reps' values v[0..n).  Launches with n == 0 are
 * skipped by every function below. */
struct hl_launch {
    const double *v;
    size_t n;
};

/* The median over launches of the per-launch medians; NaN if no launch
 * has a value.  Inputs unmodified. */
double hl_levels_median(const struct hl_launch *l, size_t nlaunch);

struct hl_ci {
    double est;     /* the estimator on the data */
    double lo, hi;  /* percentile bootstrap interval; NaN if undefined */
};

/* The hierarchical bootstrap CI of hl_levels_median at `level` (e.g.
 * 0.95) from B resamples with PRNG seed `seed`.  All NaN without data.
 * pre: B >= 2, 0 < level < 1. */
struct hl_ci hl_levels_ci(const struct hl_launch *l, size_t nlaunch,
                          double level, unsigned B, uint64_t seed);

/* The share of the variance that lies between launches, in [0, 1], or
 * NaN when undefined (see above). */
double hl_var_between_share(const struct hl_launch *l, size_t nlaunch);

/* The ratio median-over-launches(a) / median-over-launches(b) over
 * npairs paired launches (a[i] and b[i] ran in the same round) with its
 * bootstrap CI over the pairs.  est, lo, hi NaN when undefined (no pair
 * with values on both sides, or a denominator <= 0). */
struct hl_ci hl_ratio_ci(const struct hl_launch *a, const struct hl_launch *b,
                         size_t npairs, double level, unsigned B,
                         uint64_t seed);

enum hl_verdict {
    HL_VERDICT_UNDEFINED, /* no ratio or no interval */
    HL_VERDICT_FASTER,    /* the whole CI below 1 */
    HL_VERDICT_SLOWER,    /* the whole CI above 1 */
    HL_VERDICT_SAME,      /* the CI holds 1: no difference */
};

enum hl_verdict hl_verdict_of(struct hl_ci ratio);
/* "faster", "slower", "no_difference", "undefined". */
const char *hl_verdict_str(enum hl_verdict v);

#endif /* HEAPLAB_STATS_H */
