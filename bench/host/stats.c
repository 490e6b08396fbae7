/*
 * stats.c — medians, the order-statistics CI of the median and the
 * Mann-Whitney U test (stats.h states the formulas).
 */
#include "bench/host/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above this many values in all, or with ties, U's p-value is normal. */
#define MWU_EXACT_MAX_N 40u

void hl_sort_doubles(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

double hl_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    hl_sort_doubles(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* log C(n, k). */
static double log_choose(size_t n, size_t k)
{
    return lgamma((double)n + 1.0) - lgamma((double)k + 1.0) -
           lgamma((double)(n - k) + 1.0);
}

double hl_median_ci_coverage(size_t n, size_t j)
{
    /* P(B <= j - 1) for B ~ Binomial(n, 1/2), summed in log space so that
     * large n does not overflow. */
    double tail = 0.0;
    for (size_t i = 0; i < j; i++)
        tail += exp(log_choose(n, i) - (double)n * log(2.0));
    return 1.0 - 2.0 * tail;
}

bool hl_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi)
{
    if (n == 0 || hl_median_ci_coverage(n, 1) < level)
        return false;
    size_t j = 1;
    while (j + 1 <= (n + 1) / 2 && hl_median_ci_coverage(n, j + 1) >= level)
        j++;
    *lo = j;
    *hi = n + 1 - j;
    return true;
}

/* ---- Mann-Whitney U ---------------------------------------------------------- */

struct pooled {
    double v;
    int from_a;
};

static int cmp_pooled(const void *x, const void *y)
{
    double a = ((const struct pooled *)x)->v, b = ((const struct pooled *)y)->v;
    return (a > b) - (a < b);
}

/* Counts N(u; m, n) of arrangements of m a's and n b's with statistic u,
 * for u = 0..m n, into cnt (m n + 1 doubles).  Dynamic programming over
 * n, for every m' <= m: O(m^2 n^2) additions, trivial for n <= 40. */
static void mwu_counts(size_t m, size_t n, double *cnt)
{
    size_t umax = m * n;
    /* table[mm][u] for the current n', rolled over n'. */
    double *table = calloc((m + 1) * (umax + 1), sizeof *table);
    if (!table) {
        memset(cnt, 0, (umax + 1) * sizeof *cnt);
        return;
    }
#define T(mm, u) table[(mm) * (umax + 1) + (u)]
    /* n' = 0: only u = 0, one arrangement, for every mm. */
    for (size_t mm = 0; mm <= m; mm++)
        T(mm, 0) = 1.0;
    for (size_t nn = 1; nn <= n; nn++) {
        /* N(u; mm, nn) = N(u - nn; mm - 1, nn) + N(u; mm, nn - 1): the
         * largest value is an a (beating all nn b's) or a b.  Going up in
         * mm, T(mm - 1, .) already holds the nn row; T(mm, .) still holds
         * the nn - 1 row. */
        for (size_t mm = 1; mm <= m; mm++)
            for (size_t u = mm * nn + 1; u-- > 0;)
                T(mm, u) = T(mm, u) + (u >= nn ? T(mm - 1, u - nn) : 0.0);
    }
    for (size_t u = 0; u <= umax; u++)
        cnt[u] = T(m, u);
#undef T
    free(table);
}

static double mwu_exact_p(size_t na, size_t nb, double u)
{
    size_t umax = na * nb;
    double *cnt = calloc(umax + 1, sizeof *cnt);
    if (!cnt)
        return NAN;
    mwu_counts(na, nb, cnt);
    double total = 0.0, le = 0.0, ge = 0.0;
    for (size_t k = 0; k <= umax; k++) {
        total += cnt[k];
        if ((double)k <= u)
            le += cnt[k];
        if ((double)k >= u)
            ge += cnt[k];
    }
    free(cnt);
    double p = 2.0 * fmin(le, ge) / total;
    return p > 1.0 ? 1.0 : p;
}

void hl_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                     struct hl_mwu *out)
{
    size_t n = na + nb;
    struct pooled *all = calloc(n, sizeof *all);
    if (!all) {
        *out = (struct hl_mwu){NAN, NAN, false};
        return;
    }
    for (size_t i = 0; i < na; i++)
        all[i] = (struct pooled){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (struct pooled){b[i], 0};
    qsort(all, n, sizeof *all, cmp_pooled);

    /* Mid-ranks over runs of ties; ties' sum(t^3 - t). */
    double rank_sum_a = 0.0, tie_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && all[j].v == all[i].v)
            j++;
        double t = (double)(j - i);
        double mid = ((double)(i + 1) + (double)j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (all[k].from_a)
                rank_sum_a += mid;
        tie_term += t * t * t - t;
        i = j;
    }
    free(all);

    double u = rank_sum_a - (double)na * ((double)na + 1.0) / 2.0;
    out->u = u;
    if (tie_term == 0.0 && n <= MWU_EXACT_MAX_N) {
        out->exact = true;
        out->p = mwu_exact_p(na, nb, u);
        return;
    }
    out->exact = false;
    double N = (double)n, mean = (double)na * (double)nb / 2.0;
    double var = (double)na * (double)nb / 12.0 *
                 ((N + 1.0) - tie_term / (N * (N - 1.0)));
    if (var <= 0.0) { /* every value equal: no evidence of a difference */
        out->p = 1.0;
        return;
    }
    double z = (fabs(u - mean) - 0.5) / sqrt(var);
    if (z < 0.0)
        z = 0.0;
    out->p = erfc(z / sqrt(2.0));
}
