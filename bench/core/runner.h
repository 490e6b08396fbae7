/*
 * runner.h — the measuring core shared by the host and the i386 kernel:
 * drive a workload's op stream through an allocator, time it, fill the
 * per-op histogram, sample space over time, and format the CSV rows.
 * Freestanding: no libc, no floating point (the kernel has no FPU
 * context); every derived figure is an integer or a fixed-point decimal.
 *
 * One cell = (allocator, workload, params, seed).  The caller (the host's
 * cell child, or the kernel) does, with memory it owns:
 *
 *   hl_clock_calibrate(&cal)                  once per process/boot
 *   hl_cell_pass(&cfg, HL_PASS_WARMUP, &r)    once per cell
 *   for rep in 0..reps-1:
 *       hl_cell_pass(&cfg, HL_PASS_BATCH, &r)  whole stream, one timing
 *       hl_cell_pass(&cfg, HL_PASS_PEROP, &r)  every op timed into cfg.hist;
 *                                              space sampled into cfg.sample
 *       hl_format_cells_row(...)               one CSV row per rep
 *
 * Every pass re-initialises the allocator over the same region and
 * restarts the workload from its seed, so passes are independent and
 * identical in their ops.
 */
#ifndef HEAPLAB_RUNNER_H
#define HEAPLAB_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "bench/core/columns.h"
#include "bench/core/hist.h"
#include "bench/core/leak.h"
#include "workloads/workload.h"

/* ---- the clock's own figures --------------------------------------------- */

struct hl_clock_cal {
    uint64_t overhead;   /* median ticks of an empty start/stop pair */
    uint64_t overhead_min;
    uint64_t resolution; /* smallest non-zero step between two reads */
    uint64_t samples;    /* pairs measured */
};

/* Measure the timer: `samples` back-to-back start/stop pairs (scratch
 * holds samples uint64_t).  pre: samples >= 16. */
void hl_clock_calibrate(struct hl_clock_cal *cal, uint64_t *scratch,
                        uint64_t samples);

/* ---- a cell ---------------------------------------------------------------- */

/* What the harness keeps per workload slot. */
struct hl_slot {
    void *ptr;      /* NULL: empty (never filled, or its alloc failed) */
    uint64_t bytes; /* requested */
};

/* Space sample, taken between ops (never inside a timed region). */
struct hl_space_sample {
    uint64_t op_index;  /* ops executed before this sample */
    uint64_t live_bytes;
    uint64_t held_bytes;
    uint64_t free_bytes;
    uint64_t largest_free_bytes;
    uint64_t meta_bytes;
    uint64_t resident_bytes; /* the config's resident probe, 0 without one */
};

typedef void (*hl_sample_fn)(void *ctx, const struct hl_space_sample *s);

/* Resident bytes of the allocator now: pages it really touched, in bytes
 * (docs/measurement.md: RssAnon above its level before the first op on
 * the host, demand faults of the region in the kernel).  Called at each
 * space sample, outside any timed region. */
typedef uint64_t (*hl_resident_fn)(void *ctx);

/* Optional hooks around each measured stream (e.g. callgrind's
 * instrumentation on/off on the host).  NULL: none.  begin/end surround
 * one whole run of the stream (the allocator's, then the floor's: two
 * begin/end pairs per BATCH pass when stream_repeats is 1); pause/resume
 * surround the untimed materialization of a next chunk inside it. */
typedef void (*hl_measure_fn)(void *ctx);

/* The most times BATCH repeats the stream to fill min_ticks. */
#define HL_MAX_STREAM_REPEATS 10000u

struct hl_cell_config {
    const struct hl_allocator *a;
    const struct hl_al_params *alloc_params; /* a's parameters (valid);
                                                NULL: its defaults */
    const struct hl_workload *w;
    struct hl_wl_params params;
    uint64_t seed;

    void *state;          /* a->state_bytes bytes, HL_STATE_ALIGN-aligned */
    void *region;         /* what the allocator is given */
    size_t region_bytes;
    void *scratch;        /* workload scratch: w->scratch_bytes(&params) */
    size_t scratch_bytes;
    struct hl_slot *slots; /* w->slots(&params) entries */
    uint64_t nslots;
    struct hl_op *ops;    /* the op buffer (workloads/opbuf.h): the stream
                             is materialized here, ops_cap ops at a time */
    size_t ops_cap;       /* >= 1 */

    struct hl_hist *hist;     /* PEROP: filled with raw tick deltas */
    uint64_t timer_overhead;  /* subtracted from every timing */
    uint64_t min_ticks;       /* BATCH: repeat the stream until the
                                 allocator's timed ticks reach this (0:
                                 run it once) */
    uint32_t sample_points;   /* PEROP: about this many space samples */
    hl_sample_fn sample;      /* NULL: no timeline */
    void *sample_ctx;
    hl_resident_fn resident;  /* NULL: resident_bytes stays 0 */
    void *resident_ctx;
    bool perop_modelled;      /* PEROP, modelled variant (the modelled
                                 clock, docs/model.md): no clock read and
                                 nothing into hist; instead the pass is one
                                 per-op region of the cost plugin
                                 (marker.h: 07 .. 02) and each allocator
                                 call sits between an op-begin and an
                                 op-end marker, so the plugin histograms
                                 modelled cycles per op.  Everything else
                                 of PEROP (checksums, space, touch_blocks)
                                 as usual; p50..max stay 0.  The same
                                 memory is touched on every run, so the
                                 model's counts repeat.  false: PEROP as
                                 it always was */
    bool touch_blocks;        /* PEROP: after each heap block is granted,
                                 write one byte in each of its pages (as
                                 the program would), outside the clock
                                 pair, so that resident pages count the
                                 blocks, not only the allocator's writes */
    hl_measure_fn measure_begin, measure_end, measure_pause, measure_resume;
    void *measure_ctx;
    struct hl_leak_table *leak_table; /* WARMUP only: every block granted
                                         and freed recorded here (its site:
                                         the op's index, and its thread),
                                         the allocator's live figures set
                                         at the end (leak.h); NULL: none.
                                         Never touched by BATCH or PEROP:
                                         the detector is off the clock */
};

enum hl_pass {
    HL_PASS_WARMUP = 0, /* run the stream, measure nothing */
    HL_PASS_BATCH = 1,  /* one timing around the whole stream */
    HL_PASS_PEROP = 2,  /* each op timed (or marked: perop_modelled);
                           space sampled */
};

/* Blocks still live after a pass (the stream frees everything, so each is
 * a leak: in the allocator if its stats still count them, else in the
 * harness).  The first HL_LEAKS_LISTED are named. */
#define HL_LEAKS_LISTED 8

struct hl_cell_result {
    enum hl_status init_status; /* a->init's answer; not HL_OK: no figures */
    uint64_t ops;               /* ops executed */
    uint64_t workload_checksum; /* of the op stream alone */
    uint64_t placement_checksum; /* frame family: region-relative frame
                                    numbers returned, in order; else 0 */
    uint64_t failed_allocs;

    /* BATCH: the allocator's stream, then the floor's (the same op
     * buffer through the same loop with a null allocator), each run
     * stream_repeats times; ticks net of the timer overhead of every
     * timing (docs/measurement.md). */
    uint64_t raw_ticks;            /* the allocator's stream(s) */
    uint64_t floor_ticks;          /* the null allocator's stream(s) */
    uint32_t stream_repeats;       /* runs of the stream in each */
    int64_t cycles_per_op_milli;   /* (raw - floor) * 1000 / (ops * repeats):
                                      the allocator's own cost, may be < 0 */
    uint64_t raw_cycles_per_op_milli;   /* raw * 1000 / (ops * repeats) */
    uint64_t floor_cycles_per_op_milli; /* floor * 1000 / (ops * repeats) */

    /* PEROP: percentiles of (raw delta - timer_overhead), clamped at 0 */
    uint64_t p50, p90, p99, p999, max;

    /* PEROP: space */
    uint64_t peak_live_bytes;      /* exact: tracked on every op */
    uint64_t peak_footprint_bytes; /* max held_bytes over the samples */
    uint32_t frag_internal_ppm;    /* at the peak-footprint sample:
                                      (held - meta - live) / (held - meta) */
    uint32_t frag_external_ppm;    /* same sample: 1 - largest_free / free */
    uint64_t resident_bytes;       /* max of the samples' resident_bytes */

    /* every pass */
    uint64_t leaks;                /* slots still filled + allocator's
                                      live_blocks beyond them */
    uint64_t leaked_slots[HL_LEAKS_LISTED];
    uint32_t nleaked_listed;
};

/* Run one pass of the cell.  Returns HL_OK, or init's error status.
 * A pass writes only the fields it measures (zero r once per repetition):
 *   every pass: init_status, ops, failed_allocs, peak_live_bytes (not
 *     BATCH), leaks (the worst pass so far is kept);
 *   WARMUP, PEROP: workload_checksum, placement_checksum (BATCH keeps
 *     hashing out of its timed loop);
 *   WARMUP: c->leak_table (when set) reset, then filled: what the stream
 *     left live, with sizes and sites (leak.h);
 *   BATCH: raw_ticks, floor_ticks, stream_repeats, *_cycles_per_op_milli
 *     (hl_cell_set_ticks computes the three from the ticks);
 *   PEROP: resets c->hist, then p50..max, peak_footprint_bytes, frag_*,
 *     resident_bytes (with c->perop_modelled, p50..max are left alone:
 *     the histogram is the plugin's).
 * pre: c->nslots >= c->w->slots(&c->params); c->scratch_bytes >=
 *      c->w->scratch_bytes(&c->params), 8-aligned. */
enum hl_status hl_cell_pass(const struct hl_cell_config *c, enum hl_pass pass,
                            struct hl_cell_result *r);

/* Set r's raw and floor ticks and derive the three per-op figures (the
 * host's callgrind cells replace the ticks by counted instructions). */
void hl_cell_set_ticks(struct hl_cell_result *r, uint64_t raw_ticks,
                       uint64_t floor_ticks);

/* ---- CSV ------------------------------------------------------------------ */

/* The columns of cells.csv, in order (docs/csv-schema.md). */
extern const char *const hl_cells_header;

/* One cells.csv row.  Text fields are quoted as RFC 4180 asks when they
 * contain a comma, a double quote, CR or LF (params "live=1000,size=64"
 * becomes "\"live=1000,size=64\""); a field the caller already quoted
 * (starts and ends with '"') is written as given.  NULL is written as an
 * empty field.  Figures come from r.
 * `status` is "ok", "failed", "crashed", "timeout" or "error". */
struct hl_row_ids {
    const char *run_id, *env, *accel, *clock;
    const char *allocator, *family, *workload, *params;
    uint64_t seed;
    uint32_t rep;
    const char *status;
    uint64_t timer_overhead;
    uint64_t faults;
    bool no_perop;  /* p50..max written as empty fields: the clock cannot
                       time single ops (clock=instructions counts the
                       BATCH pass only) */
    const char *sweep; /* the parameter this cell is a sweep point of
                          (`--sweep`), or NULL/"" for a suite cell */
    /* Experiment design and interference (docs/measurement.md); the
     * kernel, which runs alone, writes zeros and attempts = 1. */
    uint32_t launch;          /* the launch (= round) this rep ran in */
    uint64_t invol_switches;  /* involuntary context switches, timed passes */
    uint64_t migrations;      /* CPU migrations over the timed passes */
    uint64_t steal_ticks;     /* the machine's steal time meanwhile
                                 (USER_HZ ticks of the bound CPU) */
    uint32_t attempts;        /* 1 + times the rep was re-run as disturbed */
    bool disturbed;           /* still disturbed after the last attempt */
    const char *alloc_params; /* the allocator's canonical parameter text
                                 (hl_al_format), NULL/"" if it has none */
    const char *misses[4];    /* l1d, l2, llc, dtlb misses per op as text
                                 ("-1.234"), NULL: empty (a cache
                                 simulator's: callgrind's for clock
                                 instructions, docs/model.md) */
};

/* Format into buf (cap bytes incl. NUL), no newline; returns the length,
 * or cap if it did not fit (buf then holds a truncated, unusable row). */
size_t hl_format_cells_row(char *buf, size_t cap, const struct hl_row_ids *id,
                           const struct hl_cell_result *r);

/* Freestanding number formatting: decimal, and fixed-point with `decimals`
 * digits of value / 10^decimals.  Return the length written (NUL added if
 * room). */
size_t hl_fmt_u64(char *buf, size_t cap, uint64_t v);
size_t hl_fmt_fixed(char *buf, size_t cap, uint64_t value, unsigned decimals);
/* Exactly 16 lowercase hex digits. */
size_t hl_fmt_hex64(char *buf, size_t cap, uint64_t v);
/* (For the three hl_fmt_*: the length returned is the whole text's; if it
 * is >= cap, only cap bytes were written and there is no NUL.
 * decimals <= 19.) */

/* latency.csv, long format: one row per non-empty histogram bucket of a
 * PEROP pass (raw tick deltas, timer overhead included: cells.csv's
 * timer_overhead says how much), keyed like cells.csv.  bucket_lo and
 * bucket_hi are both inclusive. */
extern const char *const hl_latency_header;
/*   run_id,env,allocator,workload,params,seed,rep,bucket_lo,bucket_hi,count */
size_t hl_format_latency_row(char *buf, size_t cap, const struct hl_row_ids *id,
                             uint64_t bucket_lo, uint64_t bucket_hi,
                             uint64_t count);

/* timeline.csv: one row per space sample of a PEROP pass. */
extern const char *const hl_timeline_header;
/*   run_id,env,allocator,workload,params,seed,rep,op_index,live_bytes,
 *   held_bytes,free_bytes,largest_free_bytes,meta_bytes */
size_t hl_format_timeline_row(char *buf, size_t cap,
                              const struct hl_row_ids *id,
                              const struct hl_space_sample *s);
/* (Both return like hl_format_cells_row: the length, or cap.) */

#endif /* HEAPLAB_RUNNER_H */
