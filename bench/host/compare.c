/*
 * compare.c — `heaplab compare RUN_A RUN_B`: for every cell (env, clock,
 * allocator, workload, params, sweep) in both runs, the ratio of the medians
 * B / A of cycles_per_op and of p99 over the reps, with the two-sided
 * Mann-Whitney U test of A's reps against B's (stats.h), significant ones
 * marked.  Cells found in only one run are listed as such.  Only reps with
 * status ok or failed carry figures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/core/runner.h"
#include "bench/host/cell.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "bench/host/stats.h"

#define CMP_ALPHA 0.05

static const char compare_usage[] =
    "usage: heaplab compare RUN_A RUN_B\n"
    "\n"
    "RUN_A and RUN_B are run folders (results/<run-id>/).  For every cell in\n"
    "both, print the medians over the reps of cycles_per_op and p99, their\n"
    "ratio B/A, and the two-sided Mann-Whitney U test's p-value (exact\n"
    "without ties and n_a + n_b <= 40, else the normal approximation with\n"
    "tie correction); '*' marks p < 0.05.  Cells in only one run are\n"
    "listed as such.\n";

struct cmp_cell {
    char *key;             /* "env|clock|allocator|workload|params|sweep" */
    char *where;           /* "env/clock[ sweep=K]", e.g. "host/tsc" */
    char *allocator, *workload, *params;
    double *cyc, *p99;
    size_t n, cap, rows;
    bool matched;
};

struct cmp_run {
    const char *dir;
    struct cmp_cell *cells;
    size_t n, cap;
};

static struct cmp_cell *cell_for(struct cmp_run *r, char **f)
{
    char key[2048];
    char where[96];
    snprintf(key, sizeof key, "%s|%s|%s|%s|%s|%s", f[COL_ENV], f[COL_CLOCK],
             f[COL_ALLOCATOR], f[COL_WORKLOAD], f[COL_PARAMS], f[COL_SWEEP]);
    snprintf(where, sizeof where, "%s/%s%s%s", f[COL_ENV], f[COL_CLOCK],
             f[COL_SWEEP][0] ? " sweep=" : "", f[COL_SWEEP]);
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->cells[i].key, key))
            return &r->cells[i];
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->cells = realloc(r->cells, r->cap * sizeof *r->cells);
        if (!r->cells)
            cli_fail("out of memory");
    }
    struct cmp_cell *c = &r->cells[r->n++];
    *c = (struct cmp_cell){.key = strdup(key), .where = strdup(where),
                           .allocator = strdup(f[COL_ALLOCATOR]),
                           .workload = strdup(f[COL_WORKLOAD]),
                           .params = strdup(f[COL_PARAMS])};
    if (!c->key || !c->where || !c->allocator || !c->workload || !c->params)
        cli_fail("out of memory");
    return c;
}

static void cell_add(struct cmp_cell *c, double cyc, double p99)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->cyc = realloc(c->cyc, c->cap * sizeof *c->cyc);
        c->p99 = realloc(c->p99, c->cap * sizeof *c->p99);
        if (!c->cyc || !c->p99)
            cli_fail("out of memory");
    }
    c->cyc[c->n] = cyc;
    c->p99[c->n++] = p99;
}

/* A strictly parsed decimal figure, or exit 2 naming the file and line. */
static double figure(const char *text, const char *path, unsigned line)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!text[0] || *end || errno || !isfinite(v))
        cli_usage_fail("'%s' line %u: bad figure '%s'", path, line, text);
    return v;
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        cli_usage_fail("'%s' is not a run folder (no %s)", dir, name);
    return f;
}

/* The first line of f without its newline, or exit 2. */
static void header_line(FILE *f, const char *path, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, f))
        cli_usage_fail("'%s' is empty", path);
    buf[strcspn(buf, "\r\n")] = '\0';
}

static void read_run(struct cmp_run *r)
{
    struct stat st;
    if (stat(r->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_usage_fail("'%s' is not a run folder (not a folder)", r->dir);
    char path[PATH_MAX], line[8192];
    FILE *meta = open_in(r->dir, "meta.csv", path, sizeof path);
    header_line(meta, path, line, sizeof line);
    if (strcmp(line, "key,value"))
        cli_usage_fail("'%s' has a malformed header: '%.60s'", path, line);
    fclose(meta);

    FILE *f = open_in(r->dir, "cells.csv", path, sizeof path);
    header_line(f, path, line, sizeof line);
    if (strcmp(line, hl_cells_header))
        cli_usage_fail("'%s' has a malformed header: '%.60s'", path, line);
    unsigned lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "\r\n");
        if (line[len] == '\0' && !feof(f))
            cli_usage_fail("'%s' line %u: too long", path, lineno);
        line[len] = '\0';
        char *fld[CELL_COLUMNS + 1];
        if (csv_split(line, fld, CELL_COLUMNS + 1) != (int)CELL_COLUMNS)
            cli_usage_fail("'%s' line %u: not %u columns", path, lineno,
                           CELL_COLUMNS);
        struct cmp_cell *c = cell_for(r, fld);
        c->rows++;
        const char *status = fld[COL_STATUS];
        /* p99 is empty where the clock cannot time single ops
         * (clock=instructions): kept as NaN, left out of its test. */
        if (!strcmp(status, "ok") || !strcmp(status, "failed"))
            cell_add(c, figure(fld[COL_CYCLES_PER_OP], path, lineno),
                     fld[COL_P99][0] ? figure(fld[COL_P99], path, lineno)
                                     : NAN);
    }
    fclose(f);
}

static struct cmp_cell *find_cell(struct cmp_run *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->cells[i].key, key))
            return &r->cells[i];
    return NULL;
}

/* v without its NaNs, in place; returns how many are left. */
static size_t drop_nan(double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    return k;
}

/* "median_a median_b ratio p mark" for one figure (NaNs left out; the
 * arrays are compacted in place). */
static void print_figure(double *a, size_t na, double *b, size_t nb)
{
    na = drop_nan(a, na);
    nb = drop_nan(b, nb);
    if (na == 0 || nb == 0) {
        printf(" %10s %10s %7s %9s  ", "-", "-", "-", "-");
        return;
    }
    struct hl_mwu t;
    hl_mann_whitney(a, na, b, nb, &t);
    double *sa = malloc(na * sizeof *sa), *sb = malloc(nb * sizeof *sb);
    if (!sa || !sb)
        cli_fail("out of memory");
    memcpy(sa, a, na * sizeof *sa);
    memcpy(sb, b, nb * sizeof *sb);
    double ma = hl_median(sa, na), mb = hl_median(sb, nb);
    free(sa);
    free(sb);
    double ratio = ma > 0 ? mb / ma : NAN;
    printf(" %10.1f %10.1f %7.3f %9.2g%c ", ma, mb, ratio, t.p,
           t.p < CMP_ALPHA ? '*' : ' ');
}

static void free_run(struct cmp_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct cmp_cell *c = &r->cells[i];
        free(c->key);
        free(c->where);
        free(c->allocator);
        free(c->workload);
        free(c->params);
        free(c->cyc);
        free(c->p99);
    }
    free(r->cells);
}

int cmd_compare(int argc, char **argv)
{
    const char *dirs[2];
    int ndirs = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(compare_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for compare (see heaplab "
                           "compare --help)", argv[i]);
        if (ndirs == 2)
            cli_usage_fail("unexpected argument '%s' for compare (two run "
                           "folders)", argv[i]);
        dirs[ndirs++] = argv[i];
    }
    if (ndirs != 2)
        cli_usage_fail("compare needs two run folders (see heaplab compare "
                       "--help)");
    struct cmp_run a = {.dir = dirs[0]}, b = {.dir = dirs[1]};
    read_run(&a);
    read_run(&b);

    printf("A = %s\nB = %s\n", a.dir, b.dir);
    printf("ratio = median B / median A; p = two-sided Mann-Whitney U; "
           "* p < %.2f\n\n", CMP_ALPHA);
    printf("%-16s %-15s %-17s %3s %3s | %10s %10s %7s %9s  | %10s %10s %7s "
           "%9s  | params\n", "allocator", "workload", "env/clock", "nA", "nB",
           "cyc/op A",
           "cyc/op B", "ratio", "p", "p99 A", "p99 B", "ratio", "p");
    size_t both = 0;
    for (size_t i = 0; i < a.n; i++) {
        struct cmp_cell *ca = &a.cells[i], *cb = find_cell(&b, ca->key);
        if (!cb)
            continue;
        ca->matched = cb->matched = true;
        both++;
        printf("%-16s %-15s %-17s %3zu %3zu |", ca->allocator, ca->workload,
               ca->where, ca->n, cb->n);
        print_figure(ca->cyc, ca->n, cb->cyc, cb->n);
        printf("|");
        print_figure(ca->p99, ca->n, cb->p99, cb->n);
        printf("| %s\n", ca->params);
    }
    struct cmp_run *runs[2] = {&a, &b};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < runs[k]->n; i++)
            if (!runs[k]->cells[i].matched)
                printf("only in %c: %s %s %s %s\n", "AB"[k],
                       runs[k]->cells[i].where, runs[k]->cells[i].allocator,
                       runs[k]->cells[i].workload, runs[k]->cells[i].params);
    printf("\n%zu cells in both runs\n", both);
    free_run(&a);
    free_run(&b);
    return CLI_EXIT_OK;
}
