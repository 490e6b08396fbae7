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

static const char summary_header[] =
#define HDR_(name) "," #name
    HL_SUMMARY_COLUMNS(HDR_);
#undef HDR_

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


static void put_num(FILE *f, double v, const char *fmt)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, fmt, v);
}

static void put_row(FILE *f, const struct rc_cell *c,
                    const struct hl_cell_summary *s, double target)
{
    for (int k = 0; k < RC_KEYS; k++) {
        if (k)
            fputc(',', f);
        csv_put_field(f, c->k[k]);
    }
    fprintf(f, ",%zu,%zu,%zu,%s,%zu", s->launches, c->rows, c->n,
            rc_status_str(c->status), c->disturbed);
    for (int g = 0; g < RC_FIGS; g++) {
        put_num(f, s->fig[g].est, "%.3f");
        put_num(f, s->fig[g].lo, "%.3f");
        put_num(f, s->fig[g].hi, "%.3f");
        if (g == RC_CYCLES)
            put_num(f, s->var_between_share, "%.3f");
    }
    fprintf(f, ",%.2f,", HL_SUMMARY_CI_LEVEL);
    if (target > 0)
        fprintf(f, "%g", target);
    fprintf(f, ",%s\n", s->ci_met < 0 ? "" : s->ci_met ? "yes" : "no");
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
               "%s%s%s\n",
            c->k[RC_ALLOCATOR], c->k[RC_WORKLOAD], c->k[RC_ENV],
            c->k[RC_CLOCK], s->launches, c->n, rc_status_str(c->status), med,
            ci, betw, tail, c->k[RC_PARAMS], c->k[RC_SWEEP][0] ? " sweep=" : "",
            c->k[RC_SWEEP]);
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
