/*
 * repeat.c — `heaplab repeat RUN_A RUN_B [--baseline NAME]`: how well two
 * runs of one plan agree (tools/repeat runs the plan twice and calls
 * this).  It reports; it is not a test: exit 0 whatever the figures, 2 on
 * bad usage.
 *
 *   per cell       the medians over launches of cycles_per_op in A and B
 *                  with their 95 % CIs, the deviation |B / A - 1|, and
 *                  whether A's median lies in B's CI and B's in A's;
 *   per workload   each allocator's ratio to the baseline in A and in B
 *                  with its verdict (ratios.h), and whether the verdicts
 *                  are equal;
 *   totals         cells within 3 %, the largest deviation, cells beyond
 *                  10 %, medians inside the other's CI, equal verdicts.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host/cli.h"
#include "bench/host/compare.h"
#include "bench/host/ratios.h"

#define REPEAT_CLOSE_PCT 3.0
#define REPEAT_FAR_PCT 10.0

static const char repeat_usage[] =
    "usage: heaplab repeat RUN_A RUN_B [--baseline NAME]\n"
    "\n"
    "How well two runs of the same plan agree (tools/repeat runs a plan\n"
    "twice and calls this).  Per cell in both runs: the median over\n"
    "launches of cycles_per_op in each with its 95 % CI (hierarchical\n"
    "bootstrap), the deviation |median B / median A - 1| in %, and whether\n"
    "A's median lies in B's CI and B's in A's.  Per workload: each\n"
    "allocator's ratio to the baseline (NAME; default jemalloc, else glibc,\n"
    "else the first allocator of RUN_A) with its paired-round CI and verdict\n"
    "in both runs.  Then the totals: cells within 3 %, the largest\n"
    "deviation, cells beyond 10 %, medians inside the other's CI, verdicts\n"
    "equal in both runs.\n"
    "\n"
    "Exit 0 whatever the figures (a report, not a test); 2 on bad usage.\n";

static void med_ci(struct hl_ci ci, char *buf, size_t cap)
{
    if (isnan(ci.est))
        snprintf(buf, cap, "-");
    else if (isnan(ci.lo))
        snprintf(buf, cap, "%.2f", ci.est);
    else
        snprintf(buf, cap, "%.2f [%.2f, %.2f]", ci.est, ci.lo, ci.hi);
}

struct totals {
    size_t both, only_a, only_b;
    size_t with_fig; /* cells with figures in both runs */
    size_t with_dev, close, far, a_in_b, b_in_a, each_in_other;
    /* the cells of a timing clock (tsc, tsc-tcg, tsc-kvm) alone, whose
     * figures can differ at all; and their raw figures (before the
     * floor is subtracted) */
    size_t timed, timed_close, timed_far, raw_dev, raw_close, raw_far;
    double timed_worst, raw_worst;
    double worst;
    char worst_cell[256];
    size_t ratios, verdicts_equal;
};

static void per_cell(const struct rc_run *a, const struct rc_run *b,
                     struct totals *t)
{
    printf("per cell: median over launches of cycles_per_op [95%% CI]; dev "
           "= |B / A - 1|; inCI: A's median in B's CI, B's in A's\n\n");
    printf("%-16s %-15s %-17s | %-30s | %-30s | %7s %4s | params\n",
           "allocator", "workload", "env/clock", "A", "B", "dev", "inCI");
    for (size_t i = 0; i < a->n; i++) {
        const struct rc_cell *ca = &a->cells[i];
        const struct rc_cell *cb = rc_find(b, ca->key);
        if (!cb) {
            t->only_a++;
            continue;
        }
        t->both++;
        struct cmp_pair p;
        cmp_pair_of(ca, cb, &p);
        char w[128], ta[64], tb[64], dev[16] = "-";
        med_ci(p.ca, ta, sizeof ta);
        med_ci(p.cb, tb, sizeof tb);
        if (!isnan(p.dev_pct)) {
            double d = fabs(p.dev_pct);
            snprintf(dev, sizeof dev, "%.1f%%", d);
            t->with_dev++;
            t->close += d <= REPEAT_CLOSE_PCT;
            t->far += d > REPEAT_FAR_PCT;
            if (d > t->worst || t->with_dev == 1) {
                t->worst = d;
                snprintf(t->worst_cell, sizeof t->worst_cell, "%s %s %s %s",
                         ca->k[RC_ALLOCATOR], ca->k[RC_WORKLOAD],
                         cmp_where(ca, w, sizeof w), ca->k[RC_PARAMS]);
            }
        }
        bool timed = strncmp(ca->k[RC_CLOCK], "tsc", 3) == 0;
        if (timed && !isnan(p.dev_pct)) {
            double d = fabs(p.dev_pct);
            t->timed++;
            t->timed_close += d <= REPEAT_CLOSE_PCT;
            t->timed_far += d > REPEAT_FAR_PCT;
            t->timed_worst = fmax(t->timed_worst, d);
        }
        if (timed && !isnan(p.raw_dev_pct)) {
            double d = fabs(p.raw_dev_pct);
            t->raw_dev++;
            t->raw_close += d <= REPEAT_CLOSE_PCT;
            t->raw_far += d > REPEAT_FAR_PCT;
            t->raw_worst = fmax(t->raw_worst, d);
        }
        t->with_fig += !isnan(p.ca.est) && !isnan(p.cb.est);
        t->a_in_b += p.a_in_b;
        t->b_in_a += p.b_in_a;
        t->each_in_other += p.a_in_b && p.b_in_a;
        printf("%-16s %-15s %-17s | %-30s | %-30s | %7s  %c%c  | %s\n",
               ca->k[RC_ALLOCATOR], ca->k[RC_WORKLOAD],
               cmp_where(ca, w, sizeof w),
               ta, tb, dev, p.a_in_b ? 'y' : 'n', p.b_in_a ? 'y' : 'n',
               ca->k[RC_PARAMS]);
    }
    for (size_t j = 0; j < b->n; j++)
        t->only_b += rc_find(a, b->cells[j].key) == NULL;
}

static void ratio_text(const struct hl_ratio *r, char *buf, size_t cap)
{
    if (!r)
        snprintf(buf, cap, "-");
    else if (isnan(r->ratio.est))
        snprintf(buf, cap, "undefined");
    else
        snprintf(buf, cap, "%.3f [%.3f, %.3f] %s", r->ratio.est,
                 r->ratio.lo, r->ratio.hi, hl_verdict_str(r->verdict));
}

static void per_workload(const struct rc_run *a, const struct rc_run *b,
                         const char *baseline, struct totals *t)
{
    struct hl_ratio *ra, *rb;
    size_t na = hl_ratios(a, baseline, &ra), nb = hl_ratios(b, baseline, &rb);
    if (na == (size_t)-1 || nb == (size_t)-1)
        cli_fail("out of memory");
    printf("\nratio to %s per workload (median over launches / the "
           "baseline's, paired rounds, 95%% CI) and verdict, in A and B\n\n",
           baseline);
    printf("%-15s %-17s %-16s | %-40s | %-40s | %s\n", "workload",
           "env/clock", "allocator", "A", "B", "same");
    for (size_t i = 0; i < na; i++) {
        const struct hl_ratio *x = &ra[i], *y = NULL;
        for (size_t j = 0; j < nb && !y; j++)
            if (!strcmp(rb[j].cell->key, x->cell->key))
                y = &rb[j];
        char w[128], ta[80], tb[80];
        ratio_text(x, ta, sizeof ta);
        ratio_text(y, tb, sizeof tb);
        /* Only defined verdicts are compared. */
        bool both = y && x->verdict != HL_VERDICT_UNDEFINED &&
                    y->verdict != HL_VERDICT_UNDEFINED;
        bool same = both && x->verdict == y->verdict;
        if (both) {
            t->ratios++;
            t->verdicts_equal += same;
        }
        printf("%-15s %-17s %-16s | %-40s | %-40s | %s\n",
               x->cell->k[RC_WORKLOAD], cmp_where(x->cell, w, sizeof w),
               x->cell->k[RC_ALLOCATOR], ta, tb,
               !both ? "-" : same ? "yes" : "NO");
    }
    free(ra);
    free(rb);
}

static double pct(size_t k, size_t n)
{
    return n ? 100.0 * (double)k / (double)n : 0.0;
}

int cmd_repeat(int argc, char **argv)
{
    const char *dirs[2], *baseline;
    int ndirs = cmp_args(argc, argv, "repeat", repeat_usage, dirs, &baseline);
    if (ndirs != 2)
        cli_usage_fail("repeat needs two run folders (see heaplab repeat "
                       "--help)");
    struct rc_run a, b;
    cmp_load(dirs[0], &a);
    cmp_load(dirs[1], &b);
    if (baseline && !hl_run_has_allocator(&a, baseline))
        cli_usage_fail("bad value for --baseline: no allocator '%s' in '%s'",
                       baseline, a.path);
    if (baseline && !hl_run_has_allocator(&b, baseline))
        cli_usage_fail("bad value for --baseline: no allocator '%s' in '%s'",
                       baseline, b.path);
    if (!baseline) {
        baseline = hl_default_baseline(&a);
        if (baseline && !hl_run_has_allocator(&b, baseline))
            baseline = NULL;
    }

    printf("A = %s\nB = %s\n\n", dirs[0], dirs[1]);
    struct totals t = {0};
    per_cell(&a, &b, &t);
    if (baseline)
        per_workload(&a, &b, baseline, &t);
    else
        printf("\nno baseline in both runs: no ratios\n");

    printf("\ntotals\n");
    printf("  %-28s %zu (only in A: %zu, only in B: %zu)\n",
           "cells in both runs", t.both, t.only_a, t.only_b);
    char label[64];
    snprintf(label, sizeof label, "within %.0f %%", REPEAT_CLOSE_PCT);
    printf("  %-28s %zu of %zu (%.1f %%)\n", label, t.close, t.with_dev,
           pct(t.close, t.with_dev));
    if (t.with_dev)
        printf("  %-28s %.1f %% (%s)\n", "largest deviation", t.worst,
               t.worst_cell);
    else
        printf("  %-28s -\n", "largest deviation");
    snprintf(label, sizeof label, "beyond %.0f %%", REPEAT_FAR_PCT);
    printf("  %-28s %zu of %zu\n", label, t.far, t.with_dev);
    printf("  %-28s within %.0f %%: %zu of %zu (%.1f %%); beyond %.0f %%: "
           "%zu; largest %.1f %%\n", "timed cells (tsc) only",
           REPEAT_CLOSE_PCT, t.timed_close, t.timed, pct(t.timed_close, t.timed),
           REPEAT_FAR_PCT, t.timed_far, t.timed_worst);
    printf("  %-28s within %.0f %%: %zu of %zu (%.1f %%); beyond %.0f %%: "
           "%zu; largest %.1f %%\n", "  raw, before the floor",
           REPEAT_CLOSE_PCT, t.raw_close, t.raw_dev, pct(t.raw_close, t.raw_dev),
           REPEAT_FAR_PCT, t.raw_far, t.raw_worst);
    printf("  %-28s both ways %zu of %zu (A in B: %zu, B in A: %zu)\n",
           "median in the other's CI", t.each_in_other, t.with_fig,
           t.a_in_b, t.b_in_a);
    if (baseline) {
        snprintf(label, sizeof label, "verdicts equal (vs %s)", baseline);
        printf("  %-28s %zu of %zu\n", label, t.verdicts_equal, t.ratios);
    }
    rc_free(&a);
    rc_free(&b);
    return CLI_EXIT_OK;
}
