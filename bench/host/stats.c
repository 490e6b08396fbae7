/*
 * stats.c — medians, the order-statistics CI of the median, the
 * Mann-Whitney U test, and the two-level (launches of reps) estimator,
 * hierarchical bootstrap, variance share and paired ratio (stats.h states
 * the formulas).
 */
#include "bench/host/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above this many values in all, or with ties, U's p-value is normal. */
#define MWU_EXACT_MAX_N 40u

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

void hl_sort_doubles(double *v, size_t n)
{
    if (n > 32) {
        qsort(v, n, sizeof *v, cmp_double);
        return;
    }
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

/* ---- the PRNG ------------------------------------------------------------ */

uint64_t hl_rng_next(struct hl_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t hl_rng_below(struct hl_rng *r, uint64_t n)
{
    /* Reject the top partial copy of [0, n) so every value is equally
     * likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = hl_rng_next(r);
    while (x >= limit);
    return x % n;
}

double hl_rng_unit(struct hl_rng *r)
{
    return (double)(hl_rng_next(r) >> 11) * 0x1.0p-53;
}

double hl_rng_normal(struct hl_rng *r)
{
    double u1 = 1.0 - hl_rng_unit(r); /* (0, 1]: log is finite */
    double u2 = hl_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2) /* 2 pi */;
}

/* ---- two-level data ------------------------------------------------------ */

/* The indices of the launches with values, into idx (nlaunch entries);
 * returns their count. */
static size_t nonempty(const struct hl_launch *l, size_t nlaunch, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < nlaunch; i++)
        if (l[i].n > 0)
            idx[k++] = i;
    return k;
}

/* The median of one launch's values (copied into buf). */
static double launch_median(const struct hl_launch *l, double *buf)
{
    memcpy(buf, l->v, l->n * sizeof *buf);
    return hl_median(buf, l->n);
}

/* The median of a resample with replacement of one launch's values. */
static double launch_median_resampled(struct hl_rng *r,
                                      const struct hl_launch *l, double *buf)
{
    for (size_t i = 0; i < l->n; i++)
        buf[i] = l->v[hl_rng_below(r, l->n)];
    return hl_median(buf, l->n);
}

static size_t max_reps(const struct hl_launch *l, size_t nlaunch)
{
    size_t m = 1;
    for (size_t i = 0; i < nlaunch; i++)
        if (l[i].n > m)
            m = l[i].n;
    return m;
}

double hl_levels_median(const struct hl_launch *l, size_t nlaunch)
{
    size_t *idx = malloc((nlaunch ? nlaunch : 1) * sizeof *idx);
    double *med = malloc((nlaunch ? nlaunch : 1) * sizeof *med);
    double *buf = malloc(max_reps(l, nlaunch) * sizeof *buf);
    double m = NAN;
    if (idx && med && buf) {
        size_t k = nonempty(l, nlaunch, idx);
        for (size_t j = 0; j < k; j++)
            med[j] = launch_median(&l[idx[j]], buf);
        m = hl_median(med, k);
    }
    free(idx);
    free(med);
    free(buf);
    return m;
}

/* The q-quantile of sorted s[0..n) with linear interpolation between
 * order statistics (Hyndman & Fan type 7).  pre: n >= 1. */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

/* lo, hi of the percentile interval of the B values in stat (sorted). */
static void percentile_interval(double *stat, unsigned B, double level,
                                struct hl_ci *ci)
{
    hl_sort_doubles(stat, B);
    double alpha = 1.0 - level;
    ci->lo = quantile_sorted(stat, B, alpha / 2.0);
    ci->hi = quantile_sorted(stat, B, 1.0 - alpha / 2.0);
}

struct hl_ci hl_levels_ci(const struct hl_launch *l, size_t nlaunch,
                          double level, unsigned B, uint64_t seed)
{
    struct hl_ci ci = {NAN, NAN, NAN};
    size_t cap = nlaunch ? nlaunch : 1;
    size_t *idx = malloc(cap * sizeof *idx);
    double *med = malloc(cap * sizeof *med);
    double *buf = malloc(max_reps(l, nlaunch) * sizeof *buf);
    double *stat = malloc(B * sizeof *stat);
    if (!idx || !med || !buf || !stat)
        goto out;
    size_t k = nonempty(l, nlaunch, idx);
    if (k == 0)
        goto out;
    for (size_t j = 0; j < k; j++)
        med[j] = launch_median(&l[idx[j]], buf);
    ci.est = hl_median(med, k);
    struct hl_rng r = {seed};
    for (unsigned b = 0; b < B; b++) {
        for (size_t j = 0; j < k; j++)
            med[j] = launch_median_resampled(
                &r, &l[idx[hl_rng_below(&r, k)]], buf);
        stat[b] = hl_median(med, k);
    }
    percentile_interval(stat, B, level, &ci);
out:
    free(idx);
    free(med);
    free(buf);
    free(stat);
    return ci;
}

double hl_var_between_share(const struct hl_launch *l, size_t nlaunch)
{
    double N = 0, sum = 0, sum_n2 = 0;
    size_t k = 0;
    for (size_t i = 0; i < nlaunch; i++) {
        if (l[i].n == 0)
            continue;
        k++;
        N += (double)l[i].n;
        sum_n2 += (double)l[i].n * (double)l[i].n;
        for (size_t j = 0; j < l[i].n; j++)
            sum += l[i].v[j];
    }
    if (k < 2 || N - (double)k < 1)
        return NAN;
    double grand = sum / N, ssb = 0, ssw = 0;
    for (size_t i = 0; i < nlaunch; i++) {
        if (l[i].n == 0)
            continue;
        double mean = 0;
        for (size_t j = 0; j < l[i].n; j++)
            mean += l[i].v[j];
        mean /= (double)l[i].n;
        ssb += (double)l[i].n * (mean - grand) * (mean - grand);
        for (size_t j = 0; j < l[i].n; j++)
            ssw += (l[i].v[j] - mean) * (l[i].v[j] - mean);
    }
    double msb = ssb / (double)(k - 1), msw = ssw / (N - (double)k);
    double n0 = (N - sum_n2 / N) / (double)(k - 1);
    double sb2 = (msb - msw) / n0;
    if (sb2 < 0)
        sb2 = 0;
    if (sb2 + msw <= 0)
        return NAN; /* every value equal */
    double share = sb2 / (sb2 + msw);
    return share > 1 ? 1 : share;
}

struct hl_ci hl_ratio_ci(const struct hl_launch *a, const struct hl_launch *b,
                         size_t npairs, double level, unsigned B,
                         uint64_t seed)
{
    struct hl_ci ci = {NAN, NAN, NAN};
    size_t cap = npairs ? npairs : 1;
    size_t ra = max_reps(a, npairs), rb = max_reps(b, npairs);
    size_t *idx = malloc(cap * sizeof *idx);
    double *ma = malloc(cap * sizeof *ma), *mb = malloc(cap * sizeof *mb);
    double *buf = malloc((ra > rb ? ra : rb) * sizeof *buf);
    double *stat = malloc(B * sizeof *stat);
    if (!idx || !ma || !mb || !buf || !stat)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < npairs; i++)
        if (a[i].n > 0 && b[i].n > 0)
            idx[k++] = i;
    if (k == 0)
        goto out;
    for (size_t j = 0; j < k; j++) {
        ma[j] = launch_median(&a[idx[j]], buf);
        mb[j] = launch_median(&b[idx[j]], buf);
    }
    double num = hl_median(ma, k), den = hl_median(mb, k);
    if (!(den > 0))
        goto out;
    struct hl_rng r = {seed};
    for (unsigned s = 0; s < B; s++) {
        for (size_t j = 0; j < k; j++) {
            size_t p = idx[hl_rng_below(&r, k)];
            ma[j] = launch_median_resampled(&r, &a[p], buf);
            mb[j] = launch_median_resampled(&r, &b[p], buf);
        }
        double d = hl_median(mb, k);
        if (!(d > 0))
            goto out; /* a resample without a ratio: no interval */
        stat[s] = hl_median(ma, k) / d;
    }
    ci.est = num / den;
    percentile_interval(stat, B, level, &ci);
out:
    free(idx);
    free(ma);
    free(mb);
    free(buf);
    free(stat);
    return ci;
}

enum hl_verdict hl_verdict_of(struct hl_ci ratio)
{
    if (isnan(ratio.lo) || isnan(ratio.hi))
        return HL_VERDICT_UNDEFINED;
    if (ratio.hi < 1.0)
        return HL_VERDICT_FASTER;
    if (ratio.lo > 1.0)
        return HL_VERDICT_SLOWER;
    return HL_VERDICT_SAME;
}

const char *hl_verdict_str(enum hl_verdict v)
{
    switch (v) {
    case HL_VERDICT_FASTER:
        return "faster";
    case HL_VERDICT_SLOWER:
        return "slower";
    case HL_VERDICT_SAME:
        return "no_difference";
    default:
        return "undefined";
    }
}
