/*
 * summary.h — a run's summary.csv and its table on stdout, computed from
 * cells.csv alone (read by header name: runcells.h), so a run folder can
 * be summarized again at any time, and `run --target-ci` can ask which
 * cells still need rounds.
 *
 * Per cell (env, clock, allocator, workload, params, sweep, seed), for
 * cycles_per_op, p99 and harness_floor: the median over launches of the
 * per-launch medians, and its 95 % hierarchical bootstrap CI (stats.h:
 * HL_BOOT_B resamples, fixed seed HL_BOOT_SEED, so the file repeats byte
 * for byte); for cycles_per_op also the share of its variance between
 * launches.  docs/csv-schema.md defines the columns, docs/measurement.md
 * ("Intervals you can believe") the method.
 */
#ifndef HEAPLAB_SUMMARY_H
#define HEAPLAB_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "bench/host/runcells.h"
#include "bench/host/stats.h"

/* summary.csv's columns: HL_SUMMARY_COLUMNS in bench/core/columns.h. */

/* The CI level of every summary, ratio and verdict. */
#define HL_SUMMARY_CI_LEVEL 0.95

/* One cell's summary figures. */
struct hl_cell_summary {
    size_t launches;           /* distinct launches among its rows */
    struct hl_ci fig[RC_FIGS]; /* median over launches, CI; NaN: none */
    double var_between_share;  /* of cycles_per_op; NaN: undefined */
    int ci_met;                /* -1: no target (or no figures); 0 no; 1 yes */
};

/* The summary of cell c; target_ci_pct 0 means no target.  Pure. */
void hl_summarize_cell(const struct rc_cell *c, double target_ci_pct,
                       struct hl_cell_summary *out);

/* True if the CI of ci is no wider on either side of its median than
 * target_ci_pct % of |median| (max(hi - med, med - lo) <= P/100 |med|).
 * False without a CI. */
bool hl_ci_within(struct hl_ci ci, double target_ci_pct);

/* Read run_dir/cells.csv, write run_dir/summary.csv (through
 * summary.csv.tmp + rename: whole or not at all) and, if table is not
 * NULL, the human table to it.  target_ci_pct: the --target-ci asked for,
 * 0 for none.  0 on success; else one line "heaplab: ..." on stderr and
 * -1 (nothing written). */
int run_summary_write(const char *run_dir, double target_ci_pct, FILE *table);

/* The cells of run_dir whose cycles_per_op CI half-width exceeds
 * target_ci_pct % of |median| (cells with figures only), as malloc'd
 * key strings "env|clock|allocator|workload|params|sweep|seed" in
 * *keys_out (free each, then the array).  Returns their count; 0 with
 * *keys_out NULL when none, and on an error (then one line on stderr). */
size_t run_summary_over_target(const char *run_dir, double target_ci_pct,
                               char ***keys_out);

#endif /* HEAPLAB_SUMMARY_H */
