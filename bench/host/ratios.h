/*
 * ratios.h — within one run, each allocator's cost relative to a
 * baseline allocator, per (env, clock, workload, params, sweep, seed):
 * the ratio median-over-launches(allocator) / median-over-launches
 * (baseline) of cycles_per_op over the rounds both ran in (launch l of
 * every cell ran in round l), its paired bootstrap CI and the verdict
 * (stats.h: hl_ratio_ci, hl_verdict_of).  For `heaplab compare RUN
 * --baseline`, `heaplab repeat` and the ratio figure of `heaplab plot`.
 */
#ifndef HEAPLAB_RATIOS_H
#define HEAPLAB_RATIOS_H

#include <stddef.h>

#include "bench/host/runcells.h"
#include "bench/host/stats.h"

struct hl_ratio {
    const struct rc_cell *cell; /* the allocator's cell */
    const struct rc_cell *base; /* the baseline's cell of the same group */
    size_t pairs;               /* rounds with figures in both */
    struct hl_ci ratio;         /* NaN: undefined (no pair, cost <= 0) */
    enum hl_verdict verdict;
};

/* The baseline a run's ratios use by default: jemalloc if the run has
 * it, else glibc, else the allocator of its first cell; NULL if the run
 * has no cell. */
const char *hl_default_baseline(const struct rc_run *run);

/* True if some cell of run is of allocator name. */
bool hl_run_has_allocator(const struct rc_run *run, const char *name);

/* The ratios of every cell whose group has a cell of `baseline` (the
 * baseline's own cells excluded), in cell order, into *out (malloc'd;
 * NULL when none).  Returns their count; (size_t)-1 when out of memory. */
size_t hl_ratios(const struct rc_run *run, const char *baseline,
                 struct hl_ratio **out);

/* Write run_dir/ratios.csv (tmp + rename).  0 on success; else -1 with
 * one line in err. */
int hl_ratios_write(const char *run_dir, const struct hl_ratio *r, size_t n,
                    char *err, size_t errcap);

#endif /* HEAPLAB_RATIOS_H */
