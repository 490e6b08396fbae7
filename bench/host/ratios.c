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


static void put_num(FILE *f, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, "%.4f", v);
}

int hl_ratios_write(const char *run_dir, const struct hl_ratio *r, size_t n,
                    char *err, size_t errcap)
{
    static const int keys[] = {RC_RUN_ID, RC_ENV,    RC_ACCEL, RC_CLOCK,
                               RC_WORKLOAD, RC_PARAMS, RC_SWEEP, RC_SEED,
                               RC_ALLOCATOR, RC_FAMILY};
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/ratios.csv.tmp", run_dir);
    snprintf(path, sizeof path, "%s/ratios.csv", run_dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errcap, "cannot create '%s': %s", tmp, strerror(errno));
        return -1;
    }
    fputs("run_id,env,accel,clock,workload,params,sweep,seed,allocator,"
          "family,baseline,paired_launches,ratio,ratio_ci_lo,ratio_ci_hi,"
          "ci_level,verdict\n", f);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (k)
                fputc(',', f);
            csv_put_field(f, r[i].cell->k[keys[k]]);
        }
        fputc(',', f);
        csv_put_field(f, r[i].base->k[RC_ALLOCATOR]);
        fprintf(f, ",%zu", r[i].pairs);
        put_num(f, r[i].ratio.est);
        put_num(f, r[i].ratio.lo);
        put_num(f, r[i].ratio.hi);
        fprintf(f, ",%.2f,%s\n", HL_SUMMARY_CI_LEVEL,
                hl_verdict_str(r[i].verdict));
    }
    bool ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errcap, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
