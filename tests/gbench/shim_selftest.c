/*
 * shim_selftest.c — benchmarks that exercise every call of the Google
 * Benchmark C shim (bench/gbench/gbench_shim.h) in a known way, so that
 * tests/gbench/shim.sh can check the report they produce:
 *
 *   batches/cap:C      batches of at most C iterations (0 = no cap), the
 *                      timer paused and resumed between batches when C > 0;
 *                      counter handed_iters = the sum of the batches, which
 *                      must equal the reported iterations (no overshoot)
 *   counters           value 1000 under each counter flag
 *   args/x:X/y:Y       hl_gb_args: counter x = X, y = Y
 *   product/x:X/y:Y    hl_gb_args_product over {1,2} x {10,20}
 *   ranges/R           hl_gb_ranges 1..8 with multiplier 2: counter r = R
 *   early_return       returns after one batch: the shim must report it
 *   skip               skipped with "planned skip" before its loop
 *   skip_paused        skipped while paused
 *
 * The function bodies check what they can themselves and skip with an
 * error message saying what broke.
 */
#include <stdio.h>

#include "bench/gbench/gbench_shim.h"

static volatile int64_t sink;

static void spin(int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        sink = i;
        hl_gb_clobber_memory();
    }
}

static void bm_batches(struct hl_gb_state *st, void *ctx)
{
    (void)ctx;
    int64_t cap = hl_gb_range(st, 0), total = 0, n;
    while ((n = hl_gb_next_batch(st, cap)) > 0) {
        if (cap > 0 && n > cap) {
            hl_gb_skip_with_error(st, "a batch is larger than its cap");
            return;
        }
        spin(n);
        total += n;
        if (total != hl_gb_iterations(st)) {
            hl_gb_skip_with_error(st, "hl_gb_iterations is not the sum of "
                                      "the batches");
            return;
        }
        if (cap > 0) {
            hl_gb_pause(st);
            hl_gb_resume(st);
        }
    }
    if (hl_gb_next_batch(st, cap) != 0) {
        hl_gb_skip_with_error(st, "a batch after the end");
        return;
    }
    hl_gb_set_counter(st, "handed_iters", (double)total,
                      HL_GB_COUNTER_DEFAULT);
    hl_gb_set_items_processed(st, total);
    hl_gb_set_bytes_processed(st, total * 8);
    hl_gb_set_label(st, "selftest label");
}

static void bm_counters(struct hl_gb_state *st, void *ctx)
{
    (void)ctx;
    int64_t n;
    while ((n = hl_gb_next_batch(st, 0)) > 0)
        spin(n);
    hl_gb_set_counter(st, "plain", 1000, HL_GB_COUNTER_DEFAULT);
    hl_gb_set_counter(st, "rate", 1000, HL_GB_COUNTER_RATE);
    hl_gb_set_counter(st, "avg_iters", 1000, HL_GB_COUNTER_AVG_ITERATIONS);
    hl_gb_set_counter(st, "iter_invariant", 1000,
                      HL_GB_COUNTER_ITER_INVARIANT);
    hl_gb_set_counter(st, "inverted", 1000, HL_GB_COUNTER_INVERT);
    hl_gb_set_counter(st, "kibi", 1000, HL_GB_COUNTER_KIBI);
    hl_gb_set_counter(st, "iterations_seen", (double)hl_gb_iterations(st),
                      HL_GB_COUNTER_DEFAULT);
}

/* Arguments 0 and 1 as counters x and y (or r for one argument). */
static void bm_args(struct hl_gb_state *st, void *ctx)
{
    int64_t n;
    while ((n = hl_gb_next_batch(st, 0)) > 0)
        spin(n);
    if (ctx) {
        hl_gb_set_counter(st, "r", (double)hl_gb_range(st, 0), 0);
    } else {
        hl_gb_set_counter(st, "x", (double)hl_gb_range(st, 0), 0);
        hl_gb_set_counter(st, "y", (double)hl_gb_range(st, 1), 0);
    }
}

static void bm_early_return(struct hl_gb_state *st, void *ctx)
{
    (void)ctx;
    int64_t n = hl_gb_next_batch(st, 1);
    spin(n);
    /* Returns without waiting for hl_gb_next_batch() to return 0: the
     * shim must report an error (Google Benchmark itself would abort). */
}

static void bm_skip(struct hl_gb_state *st, void *ctx)
{
    (void)ctx;
    hl_gb_skip_with_error(st, "planned skip");
    if (!hl_gb_error_occurred(st))
        fprintf(stderr, "shim_selftest: error_occurred is false after skip\n");
    if (hl_gb_next_batch(st, 0) != 0)
        fprintf(stderr, "shim_selftest: a batch after skip\n");
}

static void bm_skip_paused(struct hl_gb_state *st, void *ctx)
{
    (void)ctx;
    int64_t n = hl_gb_next_batch(st, 1);
    spin(n);
    hl_gb_pause(st);
    hl_gb_skip_with_error(st, "planned skip while paused");
}

int main(int argc, char **argv)
{
    static const int64_t caps[] = {0, 1, 7, 1000};
    struct hl_gb_bench *b = hl_gb_register("batches", bm_batches, NULL);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        hl_gb_args(b, &caps[i], 1);
    static const char *const cap_name[] = {"cap"};
    hl_gb_arg_names(b, cap_name, 1);

    hl_gb_register("counters", bm_counters, NULL);

    static const char *const xy[] = {"x", "y"};
    static const int64_t args[] = {3, 5};
    b = hl_gb_register("args", bm_args, NULL);
    hl_gb_args(b, args, 2);
    hl_gb_arg_names(b, xy, 2);
    hl_gb_unit(b, HL_GB_US);

    static const int64_t xs[] = {1, 2}, ys[] = {10, 20};
    static const int64_t *const lists[] = {xs, ys};
    static const size_t lens[] = {2, 2};
    b = hl_gb_register("product", bm_args, NULL);
    hl_gb_args_product(b, lists, lens, 2);
    hl_gb_arg_names(b, xy, 2);

    static const int64_t lo[] = {1}, hi[] = {8};
    static int one_arg = 1;
    b = hl_gb_register("ranges", bm_args, &one_arg);
    hl_gb_range_multiplier(b, 2);
    hl_gb_ranges(b, lo, hi, 1);

    hl_gb_register("early_return", bm_early_return, NULL);
    hl_gb_register("skip", bm_skip, NULL);
    hl_gb_register("skip_paused", bm_skip_paused, NULL);

    hl_gb_add_context("selftest_key", "selftest value");
    return hl_gb_main(argc, argv);
}
