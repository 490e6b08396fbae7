/*
 * compare.h — what `heaplab compare` and `heaplab repeat` share: loading
 * a run folder for the command line, and one cell seen in two runs.
 */
#ifndef HEAPLAB_COMPARE_H
#define HEAPLAB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/host/runcells.h"
#include "bench/host/stats.h"

/* Read dir/cells.csv into *run, or exit 2 with one line naming the bad
 * folder, file, line or column. */
void cmp_load(const char *dir, struct rc_run *run);

/* One cell (the same key) in run A and run B. */
struct cmp_pair {
    const struct rc_cell *a, *b;
    struct hl_ci ca, cb;  /* cycles_per_op: median over launches, CI */
    double dev_pct;       /* (median B / median A - 1) x 100; NaN if
                             either has no figures or A's is 0 */
    bool a_in_b, b_in_a;  /* A's median inside B's CI, and B's in A's */
    double raw_dev_pct;   /* the same deviation of raw_cycles_per_op (the
                             allocator's stream before the floor is
                             subtracted); NaN without raw figures */
};

void cmp_pair_of(const struct rc_cell *a, const struct rc_cell *b,
                 struct cmp_pair *out);

/* "env/clock", with " sweep=K" for a sweep point, into buf. */
const char *cmp_where(const struct rc_cell *c, char *buf, size_t cap);

/* The arguments of compare and repeat: up to two run folders and
 * --baseline NAME; prints usage and exits 0 on --help, exits 2 naming a
 * bad argument.  Returns how many folders were named. */
int cmp_args(int argc, char **argv, const char *cmd, const char *usage,
             const char *dirs[2], const char **baseline);

struct hl_ratio; /* ratios.h */

/* Print ratios r[0..n) as compare --baseline's table on stdout. */
void cmp_print_ratios(const struct hl_ratio *r, size_t n);

#endif /* HEAPLAB_COMPARE_H */
