/*
 * gbench_shim.h — a small C API over Google Benchmark (1.7.1, Debian's
 * libbenchmark-dev), so that micro-benchmarks can be written in C.
 * Implemented by gbench_shim.cc, the only C++ in heaplab.
 *
 * The timed loop runs on the C side, in batches: the C function asks the
 * shim for the next batch size, runs that many iterations itself, and asks
 * again until the answer is 0.  Crossing the language boundary therefore
 * costs one call per batch, not one per operation:
 *
 *   static void bm_pair(struct hl_gb_state *st, void *ctx)
 *   {
 *       ... untimed setup (hl_gb_range(st, 0) is the first argument) ...
 *       int64_t n_iters;
 *       while ((n_iters = hl_gb_next_batch(st, 0)) > 0)   <- timer runs
 *           for (int64_t i = 0; i < n_iters; i++) {
 *               void *p = ...alloc...;
 *               hl_gb_do_not_optimize(p);
 *               ...free...;
 *           }
 *       ... untimed teardown; counters ...
 *       hl_gb_set_items_processed(st, hl_gb_iterations(st));
 *   }
 *   ...
 *   struct hl_gb_bench *b = hl_gb_register("pair/x", bm_pair, ctx);
 *   int64_t args[] = {64, 0};
 *   hl_gb_args(b, args, 2);
 *   ...
 *   return hl_gb_main(argc, argv);
 *
 * Timing follows Google Benchmark: the timer starts with the first batch
 * and stops when hl_gb_next_batch() returns 0; hl_gb_pause()/
 * hl_gb_resume() between batches take untimed work out.  The sum of the
 * batches is exactly the iteration count Google Benchmark chose (never an
 * overshoot), so its per-iteration figures are per C iteration.
 *
 * Every Google Benchmark flag works through hl_gb_main()
 * (--benchmark_filter, --benchmark_repetitions, --benchmark_min_time=SECONDS
 * — 1.7.1 has no "Nx" form — --benchmark_out=FILE,
 * --benchmark_out_format=json, --benchmark_report_aggregates_only, ...).
 *
 * Threads: the shim registers single-threaded benchmarks only.  No
 * function here throws; a C++ exception inside Google Benchmark (out of
 * memory) terminates the process.
 */
#ifndef HEAPLAB_GBENCH_SHIM_H
#define HEAPLAB_GBENCH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shim's definitions promise C++ callers not to throw; C sees nothing. */
#ifdef __cplusplus
extern "C" {
#define HL_GB_NOEXCEPT noexcept
#else
#define HL_GB_NOEXCEPT
#endif

/* A running benchmark (wraps one benchmark::State); valid only inside the
 * benchmark function it was passed to. */
struct hl_gb_state;
/* A registered benchmark family (a benchmark::internal::Benchmark). */
struct hl_gb_bench;

/* A C benchmark: called once per run Google Benchmark makes (several per
 * benchmark: it grows the iteration count until --benchmark_min_time is
 * reached, then once per repetition).
 * pre: it calls hl_gb_next_batch() until that returns 0, or calls
 *      hl_gb_skip_with_error(); a function that returns earlier is marked
 *      as an error by the shim. */
typedef void (*hl_gb_fn)(struct hl_gb_state *st, void *ctx);

/* ---- registration (before hl_gb_main) --------------------------------- */

/* Register fn under name; ctx is passed to every call.  Returns a handle
 * for the argument calls below.  pre: name is a C string (copied). */
struct hl_gb_bench *hl_gb_register(const char *name, hl_gb_fn fn,
                                   void *ctx) HL_GB_NOEXCEPT;

/* One run with these n_args arguments (Benchmark::Args); call once per
 * argument tuple.  hl_gb_range(st, i) returns args[i]. */
void hl_gb_args(struct hl_gb_bench *b, const int64_t *args,
                size_t n_args) HL_GB_NOEXCEPT;

/* Every combination of the n_lists argument lists (Benchmark::ArgsProduct):
 * lists[i] holds lens[i] values of argument i. */
void hl_gb_args_product(struct hl_gb_bench *b, const int64_t *const *lists,
                        const size_t *lens, size_t n_lists) HL_GB_NOEXCEPT;

/* Argument i ranges over [lo[i], hi[i]] in powers of the range multiplier
 * (Benchmark::Ranges); every combination is run. */
void hl_gb_ranges(struct hl_gb_bench *b, const int64_t *lo, const int64_t *hi,
                  size_t n_ranges) HL_GB_NOEXCEPT;

/* Multiplier for hl_gb_ranges() (default 8).  Call before hl_gb_ranges(). */
void hl_gb_range_multiplier(struct hl_gb_bench *b,
                            int multiplier) HL_GB_NOEXCEPT;

/* Names the arguments in the benchmark name: "pair/bytes:64/live:0"
 * instead of "pair/64/0" (Benchmark::ArgNames). */
void hl_gb_arg_names(struct hl_gb_bench *b, const char *const *names,
                     size_t n_names) HL_GB_NOEXCEPT;

enum hl_gb_time_unit {
    HL_GB_NS = 0,
    HL_GB_US = 1,
    HL_GB_MS = 2,
    HL_GB_S = 3,
};
/* The unit of this family's reported times (default ns). */
void hl_gb_unit(struct hl_gb_bench *b,
                enum hl_gb_time_unit unit) HL_GB_NOEXCEPT;

/* A key=value pair for the report's "context" stanza (JSON) or header
 * (console).  pre: before hl_gb_main(); key not added before. */
void hl_gb_add_context(const char *key, const char *value) HL_GB_NOEXCEPT;

/* Printed by --help before Google Benchmark's own flag list. */
void hl_gb_set_help(void (*print_help)(void)) HL_GB_NOEXCEPT;

/* ---- the main entry --------------------------------------------------- */

/* Parse Google Benchmark's flags (benchmark::Initialize), refuse any other
 * argument, run the benchmarks the flags select, flush the reporters
 * (benchmark::Shutdown).  Returns the process exit status: 0 when every
 * selected benchmark ran; 1 when one was skipped with an error or the
 * filter matched none; 2 on an unrecognized argument (after printing it).
 * --help prints the help and exits 0 inside Initialize. */
int hl_gb_main(int argc, char **argv) HL_GB_NOEXCEPT;

/* ---- inside a benchmark function ------------------------------------- */

/* Size of the next batch of iterations, at most max_batch (0 = no limit),
 * or 0 when the run is complete (or was skipped with an error).  The
 * first call starts the timer, the call that returns 0 stops it. */
int64_t hl_gb_next_batch(struct hl_gb_state *st,
                         int64_t max_batch) HL_GB_NOEXCEPT;

/* Argument i of this run.  pre: i < number of arguments registered. */
int64_t hl_gb_range(const struct hl_gb_state *st, size_t i) HL_GB_NOEXCEPT;

/* Iterations handed out so far by hl_gb_next_batch(). */
int64_t hl_gb_iterations(const struct hl_gb_state *st) HL_GB_NOEXCEPT;

/* Stop / restart the timer between batches (costly: a few clock reads,
 * so amortize over large batches).
 * pre: pause only after a batch (the timer runs); resume only after a
 *      pause, before the next hl_gb_next_batch(). */
void hl_gb_pause(struct hl_gb_state *st) HL_GB_NOEXCEPT;
void hl_gb_resume(struct hl_gb_state *st) HL_GB_NOEXCEPT;

/* Throughput counters (rates per second in the report). */
void hl_gb_set_bytes_processed(struct hl_gb_state *st,
                               int64_t bytes) HL_GB_NOEXCEPT;
void hl_gb_set_items_processed(struct hl_gb_state *st,
                               int64_t items) HL_GB_NOEXCEPT;

/* Counter flags, as Google Benchmark's Counter::Flags (combine with |). */
#define HL_GB_COUNTER_DEFAULT 0u
#define HL_GB_COUNTER_RATE 0x1u            /* divided by the run's time */
#define HL_GB_COUNTER_AVG_ITERATIONS 0x2u  /* divided by the iterations */
#define HL_GB_COUNTER_ITER_INVARIANT 0x4u  /* multiplied by the iterations */
#define HL_GB_COUNTER_INVERT 0x8u          /* reported as 1 / value */
#define HL_GB_COUNTER_KIBI 0x10u           /* print in 1024 steps, not 1000 */

/* A custom counter (one JSON field per name).  pre: name is not
 * "bytes_per_second"/"items_per_second" (set those above). */
void hl_gb_set_counter(struct hl_gb_state *st, const char *name, double value,
                       unsigned flags) HL_GB_NOEXCEPT;

/* A free-text label for this run (the report's "label" field). */
void hl_gb_set_label(struct hl_gb_state *st, const char *label) HL_GB_NOEXCEPT;

/* Mark this run as failed with msg (the report's "error_message"); the
 * next hl_gb_next_batch() returns 0.  The function should then return.
 * pre: not called twice in one run. */
void hl_gb_skip_with_error(struct hl_gb_state *st,
                           const char *msg) HL_GB_NOEXCEPT;

/* Has this run been skipped with an error? */
bool hl_gb_error_occurred(const struct hl_gb_state *st) HL_GB_NOEXCEPT;

/* ---- keeping the optimizer honest (C side, inline) -------------------- */

/* The compiler must assume p (and what it points to) is read here, so a
 * block that is allocated and freed again is not deleted as dead code,
 * and the pointer "escapes".  Costs no instruction.  (Google Benchmark's
 * DoNotOptimize, for a pointer.) */
static inline void hl_gb_do_not_optimize(const void *p)
{
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/* The compiler must assume all memory is read and written here.  (Google
 * Benchmark's ClobberMemory.) */
static inline void hl_gb_clobber_memory(void)
{
    __asm__ __volatile__("" : : : "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* HEAPLAB_GBENCH_SHIM_H */
