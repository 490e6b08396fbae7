/*
 * test_hist.c — the log-linear histogram (bench/core/hist.h): bucket
 * arithmetic at every power of two, exact small values, quantiles against
 * a sorted array, known distributions, saturation, min/max, iteration.
 */
#include <stdlib.h>
#include <string.h>

#include "bench/core/hist.h"
#include "tests/testlib.h"

static struct hl_hist H; /* ~30 KiB: not on the stack */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A value spread over all magnitudes: a random bit length, then random
 * bits below it. */
static uint64_t log_uniform(uint64_t *s)
{
    unsigned bits = (unsigned)(splitmix(s) % 64) + 1;
    uint64_t v = splitmix(s);
    return bits == 64 ? v : v & (((uint64_t)1 << bits) - 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void exact_small_values(void **st)
{
    (void)st;
    for (uint64_t v = 0; v < HL_HIST_EXACT; v++) {
        unsigned i = hl_hist_bucket_index(v);
        assert_int_equal(i, v);
        assert_int_equal(hl_hist_bucket_lo(i), v);
        assert_int_equal(hl_hist_bucket_hi(i), v);
    }
    /* 0..99 once each: every quantile is an exact value. */
    hl_hist_reset(&H);
    for (uint64_t v = 0; v < 100; v++)
        hl_hist_add(&H, v);
    assert_int_equal(hl_hist_quantile(&H, 500000), 49); /* rank 50 */
    assert_int_equal(hl_hist_quantile(&H, 900000), 89);
    assert_int_equal(hl_hist_quantile(&H, 990000), 98);
    assert_int_equal(hl_hist_quantile(&H, 10000), 0);   /* rank 1 */
    assert_int_equal(hl_hist_quantile(&H, 10001), 1);   /* rank ceil(1.0001) = 2 */
    assert_int_equal(hl_hist_quantile(&H, 1000000), 99);
}

static void bucket_boundaries_at_every_power_of_two(void **st)
{
    (void)st;
    for (unsigned k = HL_HIST_FIRST_K; k < 64; k++) {
        uint64_t p = (uint64_t)1 << k;
        unsigned i = hl_hist_bucket_index(p);
        assert_int_equal(i, HL_HIST_EXACT + (k - HL_HIST_FIRST_K) * HL_HIST_SUB);
        assert_int_equal(hl_hist_bucket_lo(i), p);
        assert_int_equal(hl_hist_bucket_index(p - 1), i - 1);
        assert_int_equal(hl_hist_bucket_hi(i - 1), p - 1);
        /* 64 sub-buckets of width 2^(k-6) */
        assert_int_equal(hl_hist_bucket_hi(i) - hl_hist_bucket_lo(i) + 1,
                         (uint64_t)1 << (k - 6));
        uint64_t top = (p - 1) + p; /* 2^(k+1) - 1 */
        assert_int_equal(hl_hist_bucket_index(top), i + HL_HIST_SUB - 1);
    }
    assert_int_equal(hl_hist_bucket_index(UINT64_MAX), HL_HIST_BUCKETS - 1);
    assert_int_equal(hl_hist_bucket_hi(HL_HIST_BUCKETS - 1), UINT64_MAX);
    /* Buckets tile [0, UINT64_MAX] with no gap or overlap, each at most
     * 1/64 of its lowest value wide. */
    for (unsigned i = 0; i + 1 < HL_HIST_BUCKETS; i++) {
        uint64_t lo = hl_hist_bucket_lo(i), hi = hl_hist_bucket_hi(i);
        assert_int_equal(hi + 1, hl_hist_bucket_lo(i + 1));
        assert_true(hi - lo <= lo / 64);
        assert_int_equal(hl_hist_bucket_index(lo), i);
        assert_int_equal(hl_hist_bucket_index(hi), i);
    }
    /* The worked example of hist.h. */
    assert_int_equal(hl_hist_bucket_index(1000), 317);
    assert_int_equal(hl_hist_bucket_lo(317), 1000);
    assert_int_equal(hl_hist_bucket_hi(317), 1007);
}

static void random_values_land_in_their_bucket(void **st)
{
    (void)st;
    uint64_t s = 1;
    for (int n = 0; n < 200000; n++) {
        uint64_t v = log_uniform(&s);
        unsigned i = hl_hist_bucket_index(v);
        assert_true(i < HL_HIST_BUCKETS);
        assert_true(hl_hist_bucket_lo(i) <= v && v <= hl_hist_bucket_hi(i));
    }
}

#define NRAND 20000
static uint64_t sorted[NRAND];

static void quantiles_within_one_bucket_of_sorted_array(void **st)
{
    (void)st;
    static const uint32_t qs[] = {1,      1000,   250000, 500000, 750000,
                                  900000, 990000, 999000, 999999, 1000000};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint64_t s = seed;
        hl_hist_reset(&H);
        size_t n = NRAND - (size_t)seed * 777; /* not a round count */
        for (size_t i = 0; i < n; i++) {
            sorted[i] = seed == 5 ? splitmix(&s) % 100000 : log_uniform(&s);
            hl_hist_add(&H, sorted[i]);
        }
        qsort(sorted, n, sizeof sorted[0], cmp_u64);
        assert_int_equal(H.min, sorted[0]);
        assert_int_equal(H.max, sorted[n - 1]);
        for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
            uint64_t rank = ((uint64_t)n * qs[j] + 999999) / 1000000;
            if (rank == 0)
                rank = 1;
            uint64_t exact = sorted[rank - 1];
            uint64_t got = hl_hist_quantile(&H, qs[j]);
            /* Same bucket, never below the exact value, error <= 1/64. */
            assert_int_equal(hl_hist_bucket_index(got),
                             hl_hist_bucket_index(exact));
            assert_true(got >= exact);
            assert_true(got - exact <= exact / 64);
        }
    }
}

static void known_distributions(void **st)
{
    (void)st;
    /* 1..1000 once each: the ranks are the values; the answers are the
     * top of each value's bucket. */
    hl_hist_reset(&H);
    for (uint64_t v = 1; v <= 1000; v++)
        hl_hist_add(&H, v);
    assert_int_equal(hl_hist_quantile(&H, 500000), 503);  /* [500,503] */
    assert_int_equal(hl_hist_quantile(&H, 900000), 903);  /* [896,903] */
    assert_int_equal(hl_hist_quantile(&H, 990000), 991);  /* [984,991] */
    assert_int_equal(hl_hist_quantile(&H, 999000), 999);  /* [992,999] */
    assert_int_equal(hl_hist_quantile(&H, 1000000), 1000);
    assert_int_equal(hl_hist_quantile(&H, 0), 1);
    assert_int_equal(H.sum, 500500);

    /* 999 fast ops and one slow outlier: only max sees it. */
    hl_hist_reset(&H);
    for (int i = 0; i < 999; i++)
        hl_hist_add(&H, 10);
    hl_hist_add(&H, 100000);
    assert_int_equal(hl_hist_quantile(&H, 500000), 10);
    assert_int_equal(hl_hist_quantile(&H, 900000), 10);
    assert_int_equal(hl_hist_quantile(&H, 990000), 10);
    assert_int_equal(hl_hist_quantile(&H, 999000), 10);   /* rank 999 */
    assert_int_equal(hl_hist_quantile(&H, 999001), 100000); /* rank 1000, capped */
    assert_int_equal(hl_hist_quantile(&H, 1000000), 100000);

    /* A bimodal 90/10 split: p90 low, p99 high (capped at max). */
    hl_hist_reset(&H);
    for (int i = 0; i < 900; i++)
        hl_hist_add(&H, 50);
    for (int i = 0; i < 100; i++)
        hl_hist_add(&H, 5000);
    assert_int_equal(hl_hist_quantile(&H, 900000), 50);
    assert_int_equal(hl_hist_quantile(&H, 900001), 5000);
    assert_int_equal(hl_hist_quantile(&H, 990000), 5000);
}

static void saturation(void **st)
{
    (void)st;
    hl_hist_reset(&H);
    hl_hist_add(&H, UINT64_MAX);
    hl_hist_add(&H, UINT64_MAX - 1);
    assert_int_equal(H.sum, UINT64_MAX);
    assert_int_equal(H.count, 2);
    assert_int_equal(H.max, UINT64_MAX);
    assert_int_equal(H.min, UINT64_MAX - 1);
    assert_int_equal(H.buckets[HL_HIST_BUCKETS - 1], 2);
    assert_int_equal(hl_hist_quantile(&H, 500000), UINT64_MAX);
    hl_hist_add(&H, 1);
    assert_int_equal(H.sum, UINT64_MAX); /* stays saturated */
    /* A saturated count stays put. */
    H.count = UINT64_MAX;
    hl_hist_add(&H, 5);
    assert_int_equal(H.count, UINT64_MAX);
}

static void min_max_empty_and_reset(void **st)
{
    (void)st;
    hl_hist_reset(&H);
    assert_int_equal(H.count, 0);
    assert_int_equal(H.min, UINT64_MAX);
    assert_int_equal(H.max, 0);
    assert_int_equal(hl_hist_quantile(&H, 500000), 0);
    assert_int_equal(hl_hist_next(&H, 0), HL_HIST_BUCKETS);
    hl_hist_add(&H, 7777);
    assert_int_equal(H.min, 7777);
    assert_int_equal(H.max, 7777);
    /* One value: every quantile is that value (bucket top capped at max). */
    assert_int_equal(hl_hist_quantile(&H, 1), 7777);
    assert_int_equal(hl_hist_quantile(&H, 500000), 7777);
    hl_hist_add(&H, 3);
    hl_hist_add(&H, 900000);
    assert_int_equal(H.min, 3);
    assert_int_equal(H.max, 900000);
    assert_int_equal(hl_hist_quantile(&H, 0), 3);
    hl_hist_reset(&H);
    for (unsigned i = 0; i < HL_HIST_BUCKETS; i++)
        assert_int_equal(H.buckets[i], 0);
    assert_int_equal(H.sum, 0);
}

static void iteration_visits_exactly_the_nonempty_buckets(void **st)
{
    (void)st;
    uint64_t s = 42;
    hl_hist_reset(&H);
    for (int n = 0; n < 5000; n++)
        hl_hist_add(&H, log_uniform(&s) >> 20);
    uint64_t total = 0;
    unsigned visited = 0, last = 0;
    for (unsigned i = hl_hist_next(&H, 0); i < HL_HIST_BUCKETS;
         i = hl_hist_next(&H, i + 1)) {
        assert_true(H.buckets[i] > 0);
        assert_true(visited == 0 || i > last);
        total += H.buckets[i];
        last = i;
        visited++;
    }
    unsigned nonempty = 0;
    for (unsigned i = 0; i < HL_HIST_BUCKETS; i++)
        nonempty += H.buckets[i] != 0;
    assert_int_equal(visited, nonempty);
    assert_int_equal(total, H.count);
    assert_int_equal(hl_hist_next(&H, HL_HIST_BUCKETS), HL_HIST_BUCKETS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_small_values),
        cmocka_unit_test(bucket_boundaries_at_every_power_of_two),
        cmocka_unit_test(random_values_land_in_their_bucket),
        cmocka_unit_test(quantiles_within_one_bucket_of_sorted_array),
        cmocka_unit_test(known_distributions),
        cmocka_unit_test(saturation),
        cmocka_unit_test(min_max_empty_and_reset),
        cmocka_unit_test(iteration_visits_exactly_the_nonempty_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
