/*
 * run.h — what `heaplab run` (run.c: options, plan, summary) shares with
 * spawn.c (one cell's child process: spawn, stream, deadline, outcome).
 */
#ifndef HEAPLAB_RUN_H
#define HEAPLAB_RUN_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>

#include "bench/core/plan.h"
#include "bench/host/cli.h"
#include "bench/host/results.h"
#include "workloads/workload.h"

struct model_ctx;

/* One cell of the plan. */
struct cell_plan {
    struct hl_plan_cell pc;  /* as bench/core's planner gave it */
    struct cli_alloc ca;
    const struct hl_workload *w;
    struct hl_wl_params params;
    char params_text[512];   /* canonical "k=v,k=v" */
    uint64_t total_ops;      /* ops of one pass */
    const char *env;         /* CELL_ENV ("host") or "qemu" */
    const char *clock;       /* host: CELL_CLOCK or CELL_CLOCK_INSTRUCTIONS;
                                qemu: "icount", "tsc-tcg" or "tsc-kvm" */
    const char *sweep;       /* "" or the swept parameter (--sweep) */
    bool sweep_alloc;        /* the swept parameter is the allocator's */
    struct hl_al_params aparams; /* the allocator's parameters */
    char aparams_text[512];  /* canonical "k=v,k=v", "" if it has none */
    uint32_t reps;           /* per launch: --reps, or --det-reps for a
                                counting clock */
    uint32_t launches;       /* launches planned (--target-ci may add) */
    char preload[PATH_MAX];  /* LD_PRELOAD for the child, "" for none */
};

/* What the parent read back of one rep. */
struct rep_fig {
    char status[12];
    double cycles_per_op, p99;
};

struct cell_outcome {
    uint32_t launch;     /* the launch this child ran: its reps are
                            launch * reps ... (run_first_rep) */
    uint32_t delivered;  /* reps of this launch appended to the files */
    uint32_t reps_seen;  /* reps of the cell so far: 1 + the highest rep
                            number delivered */
    uint32_t reps_cap;   /* entries of reps[] */
    const char *end;     /* "ok", "crashed", "timeout", "error",
                            "interrupted" */
    char why[200];       /* how it ended, e.g. "signal SIGSEGV" */
    struct rep_fig *reps; /* one per rep of the cell, every launch's
                             (caller-allocated; indexed by rep) */
    struct dbuf probes;  /* the child's P lines, "key=value\n" each */
};

struct run_files {
    int cells, latency, timeline, log, meta;
    int leaks; /* leaks.csv (bench/core/leak.h); 0: not written */
};

struct run_ctx {
    const char *self_exe;
    const char *run_id;
    uint64_t seed;
    uint32_t reps;           /* --reps (a cell's own: cell_plan.reps) */
    char pu[16];             /* OS index, or "none" */
    unsigned timeout_s;      /* 0: computed per cell */
    bool slow_build;         /* checked or sanitized: deadlines x10 */
    const char *valgrind;    /* valgrind's path, for clock=instructions */
    uint64_t min_ticks;      /* --min-time in TSC ticks (cell.h) */
    double min_time_s;       /* --min-time */
    uint32_t max_attempts;   /* 1 + --retries */
    char dir[PATH_MAX];      /* the run folder (the modelled clock keeps
                                the cost plugin's reports in DIR/model/) */
    const struct model_ctx *model; /* the modelled clock's plugin, preset
                                      and qemu-x86_64 (modelled.h); NULL
                                      when no cell is modelled */
    bool cache_sim;          /* clock=instructions cells run callgrind's
                                cache simulator with the model's L1i,
                                L1d and LLC (--clock names instructions
                                and modelled on the host) */
    char callgrind_prefix[PATH_MAX]; /* DIR/callgrind.tmp: the dumps
                                        are DIR/callgrind.tmp.<pid>[.<n>] */
    struct run_files f;
};

/* Set by SIGINT/SIGTERM: finish what can be finished and stop. */
extern volatile sig_atomic_t run_stop_requested;

/* The first rep number of out's launch. */
static inline uint32_t run_first_rep(const struct cell_plan *p,
                                     const struct cell_outcome *out)
{
    return out->launch * p->reps;
}

/* Run one launch of a cell in a child and append its rows; the reps it did not
 * deliver get status crashed/timeout/error rows (not when interrupted).
 * pre: out->launch set; out->reps has room for this launch's reps. */
void spawn_cell(const struct run_ctx *rc, const struct cell_plan *p,
                struct cell_outcome *out);

/* Append one whole rep's rows, each file in one write: latency and
 * timeline first, cells.csv last (so a cells row always has its detail
 * rows); the buffers are emptied. */
void run_append_rep(const struct run_ctx *rc, struct dbuf *cells,
                    struct dbuf *lat, struct dbuf *tl);

/* One line (a newline added) in cells.log. */
void run_log_line(const struct run_ctx *rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cells.csv rows with `status` (and no figures) for the reps of p from
 * out->delivered on, which the cell did not deliver; out->reps[] get the
 * status too.  env/accel/clock: the cell's. */
void run_fill_missing(const struct run_ctx *rc, const struct cell_plan *p,
                      const char *env, const char *accel, const char *clock,
                      struct cell_outcome *out, const char *status);

/* The deadline of a cell, in seconds. */
unsigned cell_deadline_s(const struct run_ctx *rc, const struct cell_plan *p);

/* Read dir/cells.csv back and check that every cell of one (workload,
 * params, seed) ran the same op stream and that a frame allocator placed
 * the same frames everywhere (same_region: the kernel's region is the
 * host's); appends meta.csv's `checksums` row to rc->f.meta, warns on
 * stderr.  run.c; also called by `heaplab merge` (merge.c). */
void cross_check(const struct run_ctx *rc, const char *dir, bool same_region);

/* Create out/<date>-<time>-<pid>[-k] (out must exist); writes its path
 * and id (exits with one line when it cannot). */
void make_run_dir(const char *out, char *dir, size_t cap, char *id,
                  size_t id_cap);

#endif /* HEAPLAB_RUN_H */
