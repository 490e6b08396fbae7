/*
 * runcells.h — a run's cells.csv read back BY HEADER NAME through the
 * one reader (csvread.h) and the column table (bench/core/columns.h),
 * its rows grouped per cell and per launch, for summary.csv, `heaplab
 * compare`, `heaplab repeat` and plot's ratio figure.
 *
 * A cell is (env, clock, allocator, alloc_params, workload, params, sweep,
 * seed): all its reps over all launches.  A run older than the
 * alloc_params column reads as every allocator at its defaults (the
 * registry's canonical text), so it compares with a newer run.  Columns may come in any order; a column
 * the table does not know is an error (the file is newer than this
 * reader, or not a cells.csv), so is a missing required one (env, clock,
 * allocator, workload, params, seed, rep, status, cycles_per_op).  Older
 * runs without launch, sweep, p99, harness_floor or disturbed are read
 * with launch 0 for every rep (the reps of an old run all ran in one
 * child), sweep empty, and no such figures; an EMPTY launch or disturbed
 * field reads the same way.
 *
 * Errors are returned, never exited on: one line of text naming the file
 * (and the line, the column or the value), for the caller to print.
 */
#ifndef HEAPLAB_RUNCELLS_H
#define HEAPLAB_RUNCELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/host/stats.h"

/* The key columns of a cell as summary.csv and ratios.csv write them. */
enum rc_key {
    RC_RUN_ID, RC_ENV, RC_ACCEL, RC_CLOCK, RC_ALLOCATOR, RC_FAMILY,
    RC_WORKLOAD, RC_PARAMS, RC_SWEEP, RC_SEED, RC_ALLOC_PARAMS, RC_KEYS
};

/* The figures a summary treats with the two-level statistics. */
enum rc_fig { RC_CYCLES, RC_P99, RC_FLOOR, RC_RAW, RC_FIGS };

/* Status ranks, best first: a cell's status is its worst rep's. */
enum rc_status { RC_OK, RC_FAILED, RC_ERROR, RC_TIMEOUT, RC_CRASHED };

struct rc_rep {
    uint32_t launch;
    double fig[RC_FIGS]; /* NaN where the row has none (empty, or a status
                            without figures) */
    bool figures;        /* status ok or failed */
    bool disturbed;
};

struct rc_cell {
    char *k[RC_KEYS];  /* from the cell's first row */
    char *key;         /* "env|clock|allocator|alloc_params|workload|params|
                          sweep|seed" */
    char *group;       /* the same without the allocator and its
                          parameters: the cells one baseline ratio
                          compares */
    size_t rows;       /* reps recorded (every status) */
    size_t n;          /* reps with figures */
    size_t disturbed;  /* reps flagged disturbed */
    enum rc_status status;
    struct rc_rep *reps;
    size_t cap;
};

struct rc_run {
    char path[4096];   /* RUN/cells.csv */
    struct rc_cell *cells; /* in order of first appearance */
    size_t n, cap;
};

/* Read run_dir/cells.csv into *run (zeroed first).  0 on success; else
 * -1 with one line (no newline) in err[0..errcap) and *run empty. */
int rc_read(const char *run_dir, struct rc_run *run, char *err,
            size_t errcap);
void rc_free(struct rc_run *run);

/* Does c's allocator run at its defaults (the registry's canonical text;
 * true for an allocator without parameters or not in the registry)?
 * Tables name a cell's alloc_params only when it does not. */
bool rc_alloc_params_default(const struct rc_cell *c);

/* The cell whose key is `key`, or NULL. */
const struct rc_cell *rc_find(const struct rc_run *run, const char *key);

const char *rc_status_str(enum rc_status s);

/* One figure of a cell as launches: ids ascending, l[i] the values of
 * launch ids[i] (reps with figures and a value only). */
struct rc_levels {
    size_t n;
    uint32_t *ids;
    struct hl_launch *l;
    double *v;
};

/* Fill lv (free with rc_levels_free); false if out of memory. */
bool rc_levels_of(const struct rc_cell *c, enum rc_fig fig,
                  struct rc_levels *lv);
void rc_levels_free(struct rc_levels *lv);

/* The launches present in both a and b (same id: the same round), as
 * two aligned arrays pa[0..k), pb[0..k) (caller frees both); returns k. */
size_t rc_pair_rounds(const struct rc_levels *a, const struct rc_levels *b,
                      struct hl_launch **pa, struct hl_launch **pb);

#endif /* HEAPLAB_RUNCELLS_H */
