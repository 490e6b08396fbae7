/*
 * ratios.c — ratios to a baseline inside one run, and ratios.csv
 * (ratios.h; docs/csv-schema.md defines the file).
 */
#define _GNU_SOURCE
#include "bench/host/ratios.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/core/columns.h"
#include "bench/host/csvline.h"
#include <unistd.h>

#include "bench/host/summary.h"

bool hl_run_has_allocator(const struct rc_run *run, const char *name)
{
    for (size_t i = 0; i < run->n; i++)
        if (!strcmp(run->cells[i].k[RC_ALLOCATOR], name))
            return true;
    return false;
}

const char *hl_default_baseline(const struct rc_run *run)
{
    static const char *const prefer[] = {"jemalloc", "glibc"};
    for (size_t i = 0; i < sizeof prefer / sizeof prefer[0]; i++)
        if (hl_run_has_allocator(run, prefer[i]))
            return prefer[i];
    return run->n ? run->cells[0].k[RC_ALLOCATOR] : NULL;
}

static const struct rc_cell *base_of(const struct rc_run *run,
                                     const struct rc_cell *c,
                                     const char *baseline)
{
    for (size_t i = 0; i < run->n; i++)
        if (!strcmp(run->cells[i].group, c->group) &&
            !strcmp(run->cells[i].k[RC_ALLOCATOR], baseline))
            return &run->cells[i];
    return NULL;
}

/* The ratio of cell c to base over their shared rounds. */
static bool ratio_of(const struct rc_cell *c, const struct rc_cell *base,
                     struct hl_ratio *out)
{
    struct rc_levels a, b;
    struct hl_launch *pa = NULL, *pb = NULL;
    bool ok = rc_levels_of(c, RC_CYCLES, &a);
    ok = rc_levels_of(base, RC_CYCLES, &b) && ok;
    size_t k = ok ? rc_pair_rounds(&a, &b, &pa, &pb) : 0;
    ok = ok && pa && pb;
    *out = (struct hl_ratio){c, base, k, {NAN, NAN, NAN},
                             HL_VERDICT_UNDEFINED};
    if (ok && k) {
        out->ratio = hl_ratio_ci(pa, pb, k, HL_SUMMARY_CI_LEVEL, HL_BOOT_B,
                                 HL_BOOT_SEED);
        out->verdict = hl_verdict_of(out->ratio);
    }
    free(pa);
    free(pb);
    rc_levels_free(&a);
    rc_levels_free(&b);
    return ok;
}

size_t hl_ratios(const struct rc_run *run, const char *baseline,
                 struct hl_ratio **out)
{
    *out = NULL;
    struct hl_ratio *r = malloc((run->n ? run->n : 1) * sizeof *r);
    if (!r)
        return (size_t)-1;
    size_t n = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct rc_cell *c = &run->cells[i];
        if (!strcmp(c->k[RC_ALLOCATOR], baseline))
            continue;
        const struct rc_cell *base = base_of(run, c, baseline);
        if (!base)
            continue;
        if (!ratio_of(c, base, &r[n++])) {
            free(r);
            return (size_t)-1;
        }
    }
    if (n == 0) {
        free(r);
        return 0;
    }
    *out = r;
    return n;
}


/* Text fields of one row, by column. */
struct row_text {
    const char *v[RATIOS_COLUMNS];
    char buf[RATIOS_COLUMNS][330]; /* %.4f of DBL_MAX fits */
};

static void set_num(struct row_text *t, int col, double v, const char *fmt)
{
    if (!isnan(v)) {
        snprintf(t->buf[col], sizeof t->buf[col], fmt, v);
        t->v[col] = t->buf[col];
    }
}

static void put_row(FILE *f, const struct hl_ratio *r)
{
    /* ratios.csv's key columns and the cell's, in rc_key order */
    static const int keys[RC_KEYS] = {
        [RC_RUN_ID] = RAT_RUN_ID,       [RC_ENV] = RAT_ENV,
        [RC_ACCEL] = RAT_ACCEL,         [RC_CLOCK] = RAT_CLOCK,
        [RC_ALLOCATOR] = RAT_ALLOCATOR, [RC_FAMILY] = RAT_FAMILY,
        [RC_WORKLOAD] = RAT_WORKLOAD,   [RC_PARAMS] = RAT_PARAMS,
        [RC_SWEEP] = RAT_SWEEP,         [RC_SEED] = RAT_SEED,
        [RC_ALLOC_PARAMS] = RAT_ALLOC_PARAMS};
    struct row_text t;
    memset(t.v, 0, sizeof t.v);
    for (int k = 0; k < RC_KEYS; k++)
        t.v[keys[k]] = r->cell->k[k];
    t.v[RAT_BASELINE] = r->base->k[RC_ALLOCATOR];
    snprintf(t.buf[RAT_PAIRED_LAUNCHES], sizeof t.buf[0], "%zu", r->pairs);
    t.v[RAT_PAIRED_LAUNCHES] = t.buf[RAT_PAIRED_LAUNCHES];
    set_num(&t, RAT_RATIO, r->ratio.est, "%.4f");
    set_num(&t, RAT_RATIO_CI_LO, r->ratio.lo, "%.4f");
    set_num(&t, RAT_RATIO_CI_HI, r->ratio.hi, "%.4f");
    set_num(&t, RAT_CI_LEVEL, HL_SUMMARY_CI_LEVEL, "%.2f");
    t.v[RAT_VERDICT] = hl_verdict_str(r->verdict);
    csv_put_row(f, t.v, RATIOS_COLUMNS);
}

int hl_ratios_write(const char *run_dir, const struct hl_ratio *r, size_t n,
                    char *err, size_t errcap)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/ratios.csv.tmp", run_dir);
    snprintf(path, sizeof path, "%s/ratios.csv", run_dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errcap, "cannot create '%s': %s", tmp, strerror(errno));
        return -1;
    }
    static const char header[] = HL_HEADER(HL_RATIOS_COLUMNS);
    fprintf(f, "%s\n", header + 1);
    for (size_t i = 0; i < n; i++)
        put_row(f, &r[i]);
    bool ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errcap, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
