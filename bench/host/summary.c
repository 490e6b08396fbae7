/*
 * summary.c — summary.csv and the run's table from cells.csv
 * (summary.h).
 */
#define _GNU_SOURCE
#include "bench/host/summary.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host/csvline.h"
#include <unistd.h>

#include "bench/core/columns.h"

static const char summary_header[] = HL_HEADER(HL_SUMMARY_COLUMNS);

bool hl_ci_within(struct hl_ci ci, double target_ci_pct)
{
    if (isnan(ci.est) || isnan(ci.lo) || isnan(ci.hi))
        return false;
    double half = fmax(ci.hi - ci.est, ci.est - ci.lo);
    return half <= target_ci_pct / 100.0 * fabs(ci.est);
}

void hl_summarize_cell(const struct rc_cell *c, double target_ci_pct,
                       struct hl_cell_summary *out)
{
    /* Launches among all rows, figures or not. */
    out->launches = 0;
    for (size_t i = 0; i < c->rows; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = c->reps[j].launch == c->reps[i].launch;
        out->launches += !seen;
    }
    out->var_between_share = NAN;
    for (int f = 0; f < RC_FIGS; f++) {
        out->fig[f] = (struct hl_ci){NAN, NAN, NAN};
        struct rc_levels lv;
        if (!rc_levels_of(c, (enum rc_fig)f, &lv))
            continue;
        out->fig[f] = hl_levels_ci(lv.l, lv.n, HL_SUMMARY_CI_LEVEL,
                                   HL_BOOT_B, HL_BOOT_SEED);
        if (f == RC_CYCLES)
            out->var_between_share = hl_var_between_share(lv.l, lv.n);
        rc_levels_free(&lv);
    }
    out->ci_met = -1;
    if (target_ci_pct > 0 && !isnan(out->fig[RC_CYCLES].est))
        out->ci_met = hl_ci_within(out->fig[RC_CYCLES], target_ci_pct);
}

/* ---- writing ------------------------------------------------------------- */


/* Text fields of one row, by column. */
struct row_text {
    const char *v[SUMMARY_COLUMNS];
    char buf[SUMMARY_COLUMNS][330]; /* %.3f of DBL_MAX fits */
};

static void set_num(struct row_text *t, int col, double v, const char *fmt)
{
    if (!isnan(v)) {
        snprintf(t->buf[col], sizeof t->buf[col], fmt, v);
        t->v[col] = t->buf[col];
    }
}

static void set_count(struct row_text *t, int col, size_t v)
{
    snprintf(t->buf[col], sizeof t->buf[col], "%zu", v);
    t->v[col] = t->buf[col];
}

static void put_row(FILE *f, const struct rc_cell *c,
                    const struct hl_cell_summary *s, double target)
{
    /* summary.csv's key columns and the cell's, in rc_key order */
    static const int keys[RC_KEYS] = {
        [RC_RUN_ID] = SUM_RUN_ID,       [RC_ENV] = SUM_ENV,
        [RC_ACCEL] = SUM_ACCEL,         [RC_CLOCK] = SUM_CLOCK,
        [RC_ALLOCATOR] = SUM_ALLOCATOR, [RC_FAMILY] = SUM_FAMILY,
        [RC_WORKLOAD] = SUM_WORKLOAD,   [RC_PARAMS] = SUM_PARAMS,
        [RC_SWEEP] = SUM_SWEEP,         [RC_SEED] = SUM_SEED,
        [RC_ALLOC_PARAMS] = SUM_ALLOC_PARAMS};
    /* each figure's median, ci_lo, ci_hi */
    static const int figs[RC_FIGS][3] = {
        [RC_CYCLES] = {SUM_CYCLES_PER_OP_MEDIAN, SUM_CYCLES_PER_OP_CI_LO,
                       SUM_CYCLES_PER_OP_CI_HI},
        [RC_P99] = {SUM_P99_MEDIAN, SUM_P99_CI_LO, SUM_P99_CI_HI},
        [RC_FLOOR] = {SUM_HARNESS_FLOOR_MEDIAN, SUM_HARNESS_FLOOR_CI_LO,
                      SUM_HARNESS_FLOOR_CI_HI},
        [RC_RAW] = {SUM_RAW_CYCLES_PER_OP_MEDIAN, SUM_RAW_CYCLES_PER_OP_CI_LO,
                    SUM_RAW_CYCLES_PER_OP_CI_HI}};
    struct row_text t;
    memset(t.v, 0, sizeof t.v);
    for (int k = 0; k < RC_KEYS; k++)
        t.v[keys[k]] = c->k[k];
    set_count(&t, SUM_LAUNCHES, s->launches);
    set_count(&t, SUM_REPS, c->rows);
    set_count(&t, SUM_N, c->n);
    t.v[SUM_STATUS] = rc_status_str(c->status);
    set_count(&t, SUM_DISTURBED, c->disturbed);
    for (int g = 0; g < RC_FIGS; g++) {
        set_num(&t, figs[g][0], s->fig[g].est, "%.3f");
        set_num(&t, figs[g][1], s->fig[g].lo, "%.3f");
        set_num(&t, figs[g][2], s->fig[g].hi, "%.3f");
    }
    set_num(&t, SUM_CYCLES_PER_OP_VAR_BETWEEN_SHARE, s->var_between_share,
            "%.3f");
    set_num(&t, SUM_CI_LEVEL, HL_SUMMARY_CI_LEVEL, "%.2f");
    if (target > 0)
        set_num(&t, SUM_TARGET_CI_PCT, target, "%g");
    if (s->ci_met >= 0)
        t.v[SUM_CI_MET] = s->ci_met ? "yes" : "no";
    csv_put_row(f, t.v, SUMMARY_COLUMNS);
}

static void put_table_head(FILE *t)
{
    fprintf(t, "\n%-16s %-15s %-4s %-12s %3s %3s %-8s %12s %23s %5s %10s  "
               "%s\n",
            "allocator", "workload", "env", "clock", "L", "n", "status",
            "per op", "95% CI", "betw", "p99", "params");
}

static void put_table_row(FILE *t, const struct rc_cell *c,
                          const struct hl_cell_summary *s)
{
    const struct hl_ci *cy = &s->fig[RC_CYCLES], *p = &s->fig[RC_P99];
    char med[32] = "-", ci[64] = "-", betw[16] = "-", tail[32] = "-";
    if (!isnan(cy->est))
        snprintf(med, sizeof med, "%.1f", cy->est);
    if (!isnan(cy->lo))
        snprintf(ci, sizeof ci, "[%.1f, %.1f]%s", cy->lo, cy->hi,
                 s->ci_met == 0 ? "!" : "");
    if (!isnan(s->var_between_share))
        snprintf(betw, sizeof betw, "%.2f", s->var_between_share);
    if (!isnan(p->est))
        snprintf(tail, sizeof tail, "%.0f", p->est);
    fprintf(t, "%-16s %-15s %-4s %-12s %3zu %3zu %-8s %12s %23s %5s %10s  "
               "%s%s%s%s%s%s\n",
            c->k[RC_ALLOCATOR], c->k[RC_WORKLOAD], c->k[RC_ENV],
            c->k[RC_CLOCK], s->launches, c->n, rc_status_str(c->status), med,
            ci, betw, tail, c->k[RC_PARAMS], c->k[RC_SWEEP][0] ? " sweep=" : "",
            c->k[RC_SWEEP], rc_alloc_params_default(c) ? "" : " [",
            rc_alloc_params_default(c) ? "" : c->k[RC_ALLOC_PARAMS],
            rc_alloc_params_default(c) ? "" : "]");
}

int run_summary_write(const char *run_dir, double target_ci_pct, FILE *table)
{
    char err[512];
    struct rc_run run;
    if (rc_read(run_dir, &run, err, sizeof err)) {
        fprintf(stderr, "heaplab: %s\n", err);
        return -1;
    }
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/summary.csv.tmp", run_dir);
    snprintf(path, sizeof path, "%s/summary.csv", run_dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "heaplab: cannot create '%s': %s\n", tmp,
                strerror(errno));
        rc_free(&run);
        return -1;
    }
    fprintf(f, "%s\n", summary_header + 1);
    if (table)
        put_table_head(table);
    for (size_t i = 0; i < run.n; i++) {
        struct hl_cell_summary s;
        hl_summarize_cell(&run.cells[i], target_ci_pct, &s);
        put_row(f, &run.cells[i], &s, target_ci_pct);
        if (table)
            put_table_row(table, &run.cells[i], &s);
    }
    if (table && target_ci_pct > 0)
        fprintf(table, "! CI half-width above %g %% of the median "
                       "(--target-ci not met)\n", target_ci_pct);
    rc_free(&run);
    bool ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "heaplab: cannot write '%s': %s\n", path,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

size_t run_summary_over_target(const char *run_dir, double target_ci_pct,
                               char ***keys_out)
{
    *keys_out = NULL;
    char err[512];
    struct rc_run run;
    if (rc_read(run_dir, &run, err, sizeof err)) {
        fprintf(stderr, "heaplab: %s\n", err);
        return 0;
    }
    char **keys = malloc((run.n ? run.n : 1) * sizeof *keys);
    size_t k = 0;
    for (size_t i = 0; keys && i < run.n; i++) {
        struct hl_cell_summary s;
        hl_summarize_cell(&run.cells[i], target_ci_pct, &s);
        if (s.ci_met == 0 && !(keys[k] = strdup(run.cells[i].key)))
            break;
        k += s.ci_met == 0;
    }
    rc_free(&run);
    if (!keys || k == 0) {
        free(keys);
        return 0;
    }
    *keys_out = keys;
    return k;
}
