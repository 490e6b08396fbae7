// gbench_shim.cc — the C API of gbench_shim.h over Google Benchmark 1.7.1.
//
// Each registered C function becomes a Google Benchmark family whose C++
// body is one lambda: it wraps the benchmark::State in a struct hl_gb_state
// (which also counts the iterations handed out), calls the C function, and
// afterwards turns a function that returned before its loop ended into a
// reported error instead of Google Benchmark's abort.
//
// Batches.  hl_gb_next_batch(st, max) hands out min(max, remaining) of the
// run's max_iterations through State::KeepRunningBatch(n).  Because n never
// exceeds what is left, KeepRunningBatch never overshoots and the reported
// iteration count is exactly the sum of the batches; once nothing is left,
// one more KeepRunningBatch call lets Google Benchmark stop its timer.
//
// Invariant of struct hl_gb_state: 0 <= handed_iters <= max_iterations;
// done is set once hl_gb_next_batch() has returned 0 or the run was
// skipped; paused only between a batch and the next call.
#include "bench/gbench/gbench_shim.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

struct hl_gb_state {
    benchmark::State *gb;
    int64_t handed_iters;  // iterations given to the C side so far
    bool started;          // the first batch was handed out (timer runs)
    bool done;             // hl_gb_next_batch() returned 0, or skipped
    bool paused;
};

namespace {

// Runs whose function reported an error, over the whole process.
unsigned long g_failed_runs;

void (*g_help_fn)(void);

// A broken contract of this API: the caller's bug, so stop loudly.
[[noreturn]] void shim_misuse(const char *what)
{
    std::fflush(stdout);
    std::fprintf(stderr, "heaplab gbench shim: misuse: %s\n", what);
    std::abort();
}

benchmark::internal::Benchmark *fam(struct hl_gb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

void run_c(benchmark::State &gb, hl_gb_fn fn, void *ctx)
{
    struct hl_gb_state st = {&gb, 0, false, false, false};
    fn(&st, ctx);
    if (st.paused)
        shim_misuse("benchmark function returned with the timer paused");
    if (!st.done && !gb.error_occurred())
        gb.SkipWithError("heaplab: the benchmark function returned before "
                         "hl_gb_next_batch() returned 0");
    if (gb.error_occurred())
        g_failed_runs++;
}

void print_help()
{
    if (g_help_fn)
        g_help_fn();
    benchmark::PrintDefaultHelp();
}

}  // namespace

extern "C" {

struct hl_gb_bench *hl_gb_register(const char *name, hl_gb_fn fn,
                                   void *ctx) noexcept
{
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        name, [fn, ctx](benchmark::State &gb) { run_c(gb, fn, ctx); });
    return reinterpret_cast<struct hl_gb_bench *>(b);
}

void hl_gb_args(struct hl_gb_bench *b, const int64_t *args,
                size_t n_args) noexcept
{
    fam(b)->Args(std::vector<int64_t>(args, args + n_args));
}

void hl_gb_args_product(struct hl_gb_bench *b, const int64_t *const *lists,
                        const size_t *lens, size_t n_lists) noexcept
{
    std::vector<std::vector<int64_t>> product;
    for (size_t i = 0; i < n_lists; i++)
        product.emplace_back(lists[i], lists[i] + lens[i]);
    fam(b)->ArgsProduct(product);
}

void hl_gb_ranges(struct hl_gb_bench *b, const int64_t *lo, const int64_t *hi,
                  size_t n_ranges) noexcept
{
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (size_t i = 0; i < n_ranges; i++)
        ranges.emplace_back(lo[i], hi[i]);
    fam(b)->Ranges(ranges);
}

void hl_gb_range_multiplier(struct hl_gb_bench *b, int multiplier) noexcept
{
    fam(b)->RangeMultiplier(multiplier);
}

void hl_gb_arg_names(struct hl_gb_bench *b, const char *const *names,
                     size_t n_names) noexcept
{
    fam(b)->ArgNames(std::vector<std::string>(names, names + n_names));
}

void hl_gb_unit(struct hl_gb_bench *b, enum hl_gb_time_unit unit) noexcept
{
    benchmark::TimeUnit u = benchmark::kNanosecond;
    switch (unit) {
    case HL_GB_NS: u = benchmark::kNanosecond; break;
    case HL_GB_US: u = benchmark::kMicrosecond; break;
    case HL_GB_MS: u = benchmark::kMillisecond; break;
    case HL_GB_S: u = benchmark::kSecond; break;
    }
    fam(b)->Unit(u);
}

void hl_gb_add_context(const char *key, const char *value) noexcept
{
    benchmark::AddCustomContext(key, value);
}

void hl_gb_set_help(void (*print_help_fn)(void)) noexcept
{
    g_help_fn = print_help_fn;
}

int hl_gb_main(int argc, char **argv) noexcept
{
    benchmark::Initialize(&argc, argv, print_help);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    size_t n_run = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (n_run == 0 || g_failed_runs != 0)
        return 1;
    return 0;
}

int64_t hl_gb_next_batch(struct hl_gb_state *st, int64_t max_batch) noexcept
{
    if (st->paused)
        shim_misuse("hl_gb_next_batch() with the timer paused");
    if (st->done)
        return 0;
    if (max_batch < 0)
        shim_misuse("hl_gb_next_batch() with a negative max_batch");
    benchmark::IterationCount left = st->gb->max_iterations - st->handed_iters;
    benchmark::IterationCount n = left;
    if (max_batch > 0 && max_batch < n)
        n = max_batch;
    // n == 0: everything was handed out; KeepRunningBatch(1) then finds
    // nothing left, stops the timer and returns false.
    if (!st->gb->KeepRunningBatch(n > 0 ? n : 1) || n == 0) {
        st->done = true;
        return 0;
    }
    st->started = true;
    st->handed_iters += n;
    return n;
}

int64_t hl_gb_range(const struct hl_gb_state *st, size_t i) noexcept
{
    return st->gb->range(i);
}

int64_t hl_gb_iterations(const struct hl_gb_state *st) noexcept
{
    return st->handed_iters;
}

void hl_gb_pause(struct hl_gb_state *st) noexcept
{
    if (!st->started || st->done || st->paused || st->gb->error_occurred())
        shim_misuse("hl_gb_pause() outside a running timer");
    st->gb->PauseTiming();
    st->paused = true;
}

void hl_gb_resume(struct hl_gb_state *st) noexcept
{
    if (!st->paused)
        shim_misuse("hl_gb_resume() without hl_gb_pause()");
    st->gb->ResumeTiming();
    st->paused = false;
}

void hl_gb_set_bytes_processed(struct hl_gb_state *st, int64_t bytes) noexcept
{
    st->gb->SetBytesProcessed(bytes);
}

void hl_gb_set_items_processed(struct hl_gb_state *st, int64_t items) noexcept
{
    st->gb->SetItemsProcessed(items);
}

void hl_gb_set_counter(struct hl_gb_state *st, const char *name, double value,
                       unsigned flags) noexcept
{
    // Spelled out bit by bit: the C flag values are this API's own, not
    // Google Benchmark's (whose enum may change between versions).
    int f = benchmark::Counter::kDefaults;
    if (flags & HL_GB_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & HL_GB_COUNTER_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & HL_GB_COUNTER_ITER_INVARIANT)
        f |= benchmark::Counter::kIsIterationInvariant;
    if (flags & HL_GB_COUNTER_INVERT)
        f |= benchmark::Counter::kInvert;
    benchmark::Counter::OneK k = (flags & HL_GB_COUNTER_KIBI)
                                     ? benchmark::Counter::kIs1024
                                     : benchmark::Counter::kIs1000;
    st->gb->counters[name] =
        benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f), k);
}

void hl_gb_set_label(struct hl_gb_state *st, const char *label) noexcept
{
    st->gb->SetLabel(label);
}

void hl_gb_skip_with_error(struct hl_gb_state *st, const char *msg) noexcept
{
    if (st->paused) {
        // SkipWithError stops a running timer; a paused one is stopped
        // already, so only forget that it was paused.
        st->paused = false;
    }
    st->gb->SkipWithError(msg);
    st->done = true;
}

bool hl_gb_error_occurred(const struct hl_gb_state *st) noexcept
{
    return st->gb->error_occurred();
}

}  // extern "C"
