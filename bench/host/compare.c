/*
 * compare.c — `heaplab compare`:
 *
 *   compare RUN_A RUN_B      for every cell (env, clock, allocator,
 *       workload, params, sweep, seed) in both runs: the medians over
 *       launches of cycles_per_op and of p99, their ratio B / A, the
 *       two-sided Mann-Whitney U test of A's reps against B's (stats.h),
 *       significant ones marked; the relative deviation of the medians
 *       and whether each run's median lies in the other's 95 % CI
 *       (hierarchical bootstrap).  Cells found in only one run are listed.
 *   compare RUN --baseline NAME   within one run: each allocator's ratio
 *       to NAME per (env, clock, workload, params, sweep, seed) with its
 *       paired-round bootstrap CI and the verdict (ratios.h), as a table
 *       and as RUN/ratios.csv.
 *
 * Both read cells.csv by header name (runcells.h, through csvread.h).  Only reps with status
 * ok or failed carry figures.
 */
#define _GNU_SOURCE
#include "bench/host/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/host/cli.h"
#include "bench/host/csvread.h"
#include "bench/host/ratios.h"
#include "bench/host/summary.h"

#define CMP_ALPHA 0.05

static const char compare_usage[] =
    "usage: heaplab compare RUN_A RUN_B\n"
    "       heaplab compare RUN --baseline NAME\n"
    "\n"
    "RUN_A and RUN_B are run folders (results/<run-id>/).  For every cell in\n"
    "both, print the medians over launches (of the per-launch medians of\n"
    "the reps) of cycles_per_op and p99, their ratio B/A, the two-sided\n"
    "Mann-Whitney U test's p-value over all reps (exact without ties and\n"
    "n_a + n_b <= 40, else the normal approximation with tie correction;\n"
    "'*' marks p < 0.05), the deviation of B's median from A's in %, and\n"
    "whether A's median lies in B's 95 % CI and B's in A's (hierarchical\n"
    "bootstrap: launches, then reps).  Cells in only one run are listed.\n"
    "\n"
    "With --baseline NAME and one run: per env, clock, workload, params,\n"
    "sweep and seed, each other allocator's ratio to NAME (median over\n"
    "launches of cycles_per_op / the baseline's), its 95 % CI from a\n"
    "bootstrap over the rounds both ran in (launch l of every cell ran in\n"
    "round l), and the verdict: faster (CI below 1), slower (CI above 1)\n"
    "or no_difference; undefined when the baseline's cost is not above 0.\n"
    "The table is also written to RUN/ratios.csv (docs/csv-schema.md).\n";

void cmp_load(const char *dir, struct rc_run *run)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_usage_fail("'%s' is not a run folder (not a folder)", dir);
    /* A run folder has a meta.csv of key,value rows. */
    struct csvr meta;
    if (csvr_open(&meta, dir, CSV_META,
                  CSV_COL(META_KEY) | CSV_COL(META_VALUE)))
        cli_usage_fail("%s", meta.err);
    csvr_close(&meta);
    char err[1024];
    if (rc_read(dir, run, err, sizeof err))
        cli_usage_fail("%s", err);
}

static struct hl_ci cell_ci(const struct rc_cell *c, enum rc_fig fig)
{
    struct rc_levels lv;
    struct hl_ci ci = {NAN, NAN, NAN};
    if (!rc_levels_of(c, fig, &lv))
        cli_fail("out of memory");
    ci = hl_levels_ci(lv.l, lv.n, HL_SUMMARY_CI_LEVEL, HL_BOOT_B,
                      HL_BOOT_SEED);
    rc_levels_free(&lv);
    return ci;
}

/* The median over launches of figure fig (no interval), NaN if none. */
static double cell_median(const struct rc_cell *c, enum rc_fig fig)
{
    struct rc_levels lv;
    if (!rc_levels_of(c, fig, &lv))
        cli_fail("out of memory");
    double m = lv.n ? hl_levels_median(lv.l, lv.n) : NAN;
    rc_levels_free(&lv);
    return m;
}

static bool inside(double v, struct hl_ci ci)
{
    return !isnan(v) && !isnan(ci.lo) && ci.lo <= v && v <= ci.hi;
}

void cmp_pair_of(const struct rc_cell *a, const struct rc_cell *b,
                 struct cmp_pair *out)
{
    out->a = a;
    out->b = b;
    out->ca = cell_ci(a, RC_CYCLES);
    out->cb = cell_ci(b, RC_CYCLES);
    out->dev_pct = out->ca.est != 0 ? (out->cb.est / out->ca.est - 1) * 100
                                    : NAN;
    double ra = cell_median(a, RC_RAW), rb = cell_median(b, RC_RAW);
    out->raw_dev_pct = ra != 0 ? (rb / ra - 1) * 100 : NAN;
    out->a_in_b = inside(out->ca.est, out->cb);
    out->b_in_a = inside(out->cb.est, out->ca);
}

/* ---- compare RUN_A RUN_B ------------------------------------------------- */

/* The cell's values of figure fig over all its reps (NaNs left out), in
 * a malloc'd array; *n their count. */
static double *values(const struct rc_cell *c, enum rc_fig fig, size_t *n)
{
    double *v = malloc((c->rows ? c->rows : 1) * sizeof *v);
    if (!v)
        cli_fail("out of memory");
    *n = 0;
    for (size_t i = 0; i < c->rows; i++)
        if (!isnan(c->reps[i].fig[fig]))
            v[(*n)++] = c->reps[i].fig[fig];
    return v;
}

/* "median_a median_b ratio p mark" for one figure; ma, mb the medians
 * over launches. */
static void print_figure(const struct rc_cell *a, const struct rc_cell *b,
                         enum rc_fig fig, double ma, double mb)
{
    size_t na, nb;
    double *va = values(a, fig, &na), *vb = values(b, fig, &nb);
    if (na == 0 || nb == 0) {
        printf(" %10s %10s %7s %9s  ", "-", "-", "-", "-");
    } else {
        struct hl_mwu t;
        hl_mann_whitney(va, na, vb, nb, &t);
        double ratio = ma > 0 ? mb / ma : NAN;
        printf(" %10.1f %10.1f %7.3f %9.2g%c ", ma, mb, ratio, t.p,
               t.p < CMP_ALPHA ? '*' : ' ');
    }
    free(va);
    free(vb);
}

static double fig_median(const struct rc_cell *c, enum rc_fig fig)
{
    struct rc_levels lv;
    if (!rc_levels_of(c, fig, &lv))
        cli_fail("out of memory");
    double m = hl_levels_median(lv.l, lv.n);
    rc_levels_free(&lv);
    return m;
}

const char *cmp_where(const struct rc_cell *c, char *buf, size_t cap)
{
    bool dflt = rc_alloc_params_default(c);
    snprintf(buf, cap, "%s/%s%s%s%s%s%s", c->k[RC_ENV], c->k[RC_CLOCK],
             c->k[RC_SWEEP][0] ? " sweep=" : "", c->k[RC_SWEEP],
             dflt ? "" : " [", dflt ? "" : c->k[RC_ALLOC_PARAMS], dflt ? "" : "]");
    return buf;
}

static int compare_two(const char *dir_a, const char *dir_b)
{
    struct rc_run a, b;
    cmp_load(dir_a, &a);
    cmp_load(dir_b, &b);
    printf("A = %s\nB = %s\n", dir_a, dir_b);
    printf("medians over launches; ratio = median B / median A; p = "
           "two-sided Mann-Whitney U over the reps; * p < %.2f\n"
           "dev = B's median vs A's in %%; inCI: A's median in B's 95 %% CI, "
           "B's in A's (y/n)\n\n", CMP_ALPHA);
    printf("%-16s %-15s %-17s %3s %3s | %10s %10s %7s %9s  | %7s %4s | "
           "%10s %10s %7s %9s  | params\n",
           "allocator", "workload", "env/clock", "nA", "nB", "cyc/op A",
           "cyc/op B", "ratio", "p", "dev", "inCI", "p99 A", "p99 B", "ratio",
           "p");
    bool *matched = calloc(b.n ? b.n : 1, sizeof *matched);
    if (!matched)
        cli_fail("out of memory");
    size_t both = 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct rc_cell *ca = &a.cells[i], *cb = NULL;
        for (size_t j = 0; j < b.n && !cb; j++)
            if (!strcmp(b.cells[j].key, ca->key)) {
                cb = &b.cells[j];
                matched[j] = true;
            }
        if (!cb) {
            char w[128];
            printf("only in A: %s %s %s %s\n", cmp_where(ca, w, sizeof w),
                   ca->k[RC_ALLOCATOR], ca->k[RC_WORKLOAD], ca->k[RC_PARAMS]);
            continue;
        }
        both++;
        struct cmp_pair p;
        cmp_pair_of(ca, cb, &p);
        char w[128], dev[16] = "-";
        if (!isnan(p.dev_pct))
            snprintf(dev, sizeof dev, "%+.1f%%", p.dev_pct);
        printf("%-16s %-15s %-17s %3zu %3zu |", ca->k[RC_ALLOCATOR],
               ca->k[RC_WORKLOAD], cmp_where(ca, w, sizeof w), ca->n, cb->n);
        print_figure(ca, cb, RC_CYCLES, p.ca.est, p.cb.est);
        printf("| %7s  %c%c  |", dev, p.a_in_b ? 'y' : 'n',
               p.b_in_a ? 'y' : 'n');
        print_figure(ca, cb, RC_P99, fig_median(ca, RC_P99),
                     fig_median(cb, RC_P99));
        printf("| %s\n", ca->k[RC_PARAMS]);
    }
    for (size_t j = 0; j < b.n; j++)
        if (!matched[j]) {
            char w[128];
            printf("only in B: %s %s %s %s\n",
                   cmp_where(&b.cells[j], w, sizeof w),
                   b.cells[j].k[RC_ALLOCATOR], b.cells[j].k[RC_WORKLOAD],
                   b.cells[j].k[RC_PARAMS]);
        }
    printf("\n%zu cells in both runs\n", both);
    free(matched);
    rc_free(&a);
    rc_free(&b);
    return CLI_EXIT_OK;
}

/* ---- compare RUN --baseline NAME ----------------------------------------- */

static void ci_text(struct hl_ci ci, char *buf, size_t cap)
{
    if (isnan(ci.lo))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "[%.3f, %.3f]", ci.lo, ci.hi);
}

/* Print the ratios table (heaplab repeat prints the same columns). */
void cmp_print_ratios(const struct hl_ratio *r, size_t n)
{
    printf("%-15s %-17s %-16s %5s %7s %18s %-13s | params\n", "workload",
           "env/clock", "allocator", "pairs", "ratio", "95% CI", "verdict");
    for (size_t i = 0; i < n; i++) {
        char w[128], ci[48], ratio[16] = "-";
        ci_text(r[i].ratio, ci, sizeof ci);
        if (!isnan(r[i].ratio.est))
            snprintf(ratio, sizeof ratio, "%.3f", r[i].ratio.est);
        printf("%-15s %-17s %-16s %5zu %7s %18s %-13s | %s\n",
               r[i].cell->k[RC_WORKLOAD], cmp_where(r[i].cell, w, sizeof w),
               r[i].cell->k[RC_ALLOCATOR], r[i].pairs, ratio, ci,
               hl_verdict_str(r[i].verdict), r[i].cell->k[RC_PARAMS]);
    }
}

static int compare_baseline(const char *dir, const char *baseline)
{
    struct rc_run run;
    cmp_load(dir, &run);
    if (!hl_run_has_allocator(&run, baseline))
        cli_usage_fail("bad value for --baseline: no allocator '%s' in '%s'",
                       baseline, run.path);
    struct hl_ratio *r;
    size_t n = hl_ratios(&run, baseline, &r);
    if (n == (size_t)-1)
        cli_fail("out of memory");
    char err[1024];
    if (hl_ratios_write(dir, r, n, err, sizeof err))
        cli_fail("%s", err);
    printf("run = %s\nbaseline = %s\n", dir, baseline);
    printf("ratio = median over launches of cycles_per_op / the baseline's, "
           "over the rounds both ran in; 95 %% CI by a bootstrap over those "
           "rounds (then reps)\nverdict: faster (CI below 1), slower (CI "
           "above 1), no_difference (CI holds 1), undefined (no ratio)\n\n");
    cmp_print_ratios(r, n);
    size_t count[4] = {0};
    for (size_t i = 0; i < n; i++)
        count[r[i].verdict]++;
    printf("\n%zu ratios: %zu faster, %zu slower, %zu no_difference, %zu "
           "undefined; written to %s/ratios.csv\n", n,
           count[HL_VERDICT_FASTER], count[HL_VERDICT_SLOWER],
           count[HL_VERDICT_SAME], count[HL_VERDICT_UNDEFINED], dir);
    free(r);
    rc_free(&run);
    return CLI_EXIT_OK;
}

int cmp_args(int argc, char **argv, const char *cmd, const char *usage,
             const char *dirs[2], const char **baseline)
{
    int ndirs = 0;
    *baseline = NULL;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            exit(CLI_EXIT_OK);
        }
        if (!strcmp(argv[i], "--baseline")) {
            *baseline = cli_value(argc, argv, &i);
            if (!(*baseline)[0])
                cli_usage_fail("bad value for --baseline: ''");
            continue;
        }
        if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for %s (see heaplab %s "
                           "--help)", argv[i], cmd, cmd);
        if (ndirs == 2)
            cli_usage_fail("unexpected argument '%s' for %s (two run "
                           "folders)", argv[i], cmd);
        dirs[ndirs++] = argv[i];
    }
    return ndirs;
}

int cmd_compare(int argc, char **argv)
{
    const char *dirs[2], *baseline;
    int ndirs = cmp_args(argc, argv, "compare", compare_usage, dirs,
                         &baseline);
    if (baseline) {
        if (ndirs != 1)
            cli_usage_fail("compare --baseline needs one run folder (see "
                           "heaplab compare --help)");
        return compare_baseline(dirs[0], baseline);
    }
    if (ndirs != 2)
        cli_usage_fail("compare needs two run folders (see heaplab compare "
                       "--help)");
    return compare_two(dirs[0], dirs[1]);
}
