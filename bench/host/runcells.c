/*
 * runcells.c — cells.csv read back by header name, grouped per cell and
 * launch (runcells.h).
 */
#define _GNU_SOURCE
#include "bench/host/runcells.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/core/columns.h"
#include "bench/host/csvline.h"

/* cells.csv's column names from the column table itself (not csv.c's
 * copy: this file links without bench/core's objects). */
#define NAME_(name, E) #name,
static const char *const cell_cols[CELL_COLUMNS] = {HL_CELLS_COLUMNS(NAME_)};
#undef NAME_

static int col_index(const char *name)
{
    for (int i = 0; i < CELL_COLUMNS; i++)
        if (!strcmp(cell_cols[i], name))
            return i;
    return -1;
}

/* The key columns in rc_key order, and whether a row needs them. */
static const struct {
    int col;
    bool required;
} key_cols[RC_KEYS] = {
    [RC_RUN_ID] = {COL_RUN_ID, false},     [RC_ENV] = {COL_ENV, true},
    [RC_ACCEL] = {COL_ACCEL, false},       [RC_CLOCK] = {COL_CLOCK, true},
    [RC_ALLOCATOR] = {COL_ALLOCATOR, true}, [RC_FAMILY] = {COL_FAMILY, false},
    [RC_WORKLOAD] = {COL_WORKLOAD, true},  [RC_PARAMS] = {COL_PARAMS, true},
    [RC_SWEEP] = {COL_SWEEP, false},       [RC_SEED] = {COL_SEED, true},
};

static const int fig_cols[RC_FIGS] = {
    [RC_CYCLES] = COL_CYCLES_PER_OP, [RC_P99] = COL_P99,
    [RC_FLOOR] = COL_HARNESS_FLOOR, [RC_RAW] = COL_RAW_CYCLES_PER_OP};

static const char *const status_names[] = {
    [RC_OK] = "ok", [RC_FAILED] = "failed", [RC_ERROR] = "error",
    [RC_TIMEOUT] = "timeout", [RC_CRASHED] = "crashed"};

const char *rc_status_str(enum rc_status s)
{
    return status_names[s];
}

struct reader {
    const char *path;
    unsigned lineno;
    int pos[CELL_COLUMNS]; /* the file's field index of each column, or -1 */
    char *err;
    size_t errcap;
};

static int fail(struct reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct reader *rd, const char *fmt, ...)
{
    int k = snprintf(rd->err, rd->errcap, "'%s' ", rd->path);
    if (rd->lineno > 1 && k >= 0 && (size_t)k < rd->errcap)
        k += snprintf(rd->err + k, rd->errcap - (size_t)k, "line %u: ",
                      rd->lineno);
    if (k >= 0 && (size_t)k < rd->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->err + k, rd->errcap - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Map the header's names to columns. */
static int read_header(struct reader *rd, char *line)
{
    char *f[CELL_COLUMNS + 1];
    int n = csv_split(line, f, CELL_COLUMNS + 1);
    if (n < 0)
        return fail(rd, "has a malformed header (quotes, or more than %u "
                        "columns)", (unsigned)CELL_COLUMNS);
    for (int c = 0; c < CELL_COLUMNS; c++)
        rd->pos[c] = -1;
    for (int i = 0; i < n; i++) {
        int c = col_index(f[i]);
        if (c < 0)
            return fail(rd, "has an unknown column '%s'", f[i]);
        if (rd->pos[c] >= 0)
            return fail(rd, "names column '%s' twice", f[i]);
        rd->pos[c] = i;
    }
    for (int k = 0; k < RC_KEYS; k++)
        if (key_cols[k].required && rd->pos[key_cols[k].col] < 0)
            return fail(rd, "has no column '%s'",
                        cell_cols[key_cols[k].col]);
    static const int also[] = {COL_REP, COL_STATUS, COL_CYCLES_PER_OP};
    for (size_t i = 0; i < sizeof also / sizeof also[0]; i++)
        if (rd->pos[also[i]] < 0)
            return fail(rd, "has no column '%s'", cell_cols[also[i]]);
    return n;
}

static const char *field(const struct reader *rd, char **f, int col)
{
    return rd->pos[col] < 0 ? "" : f[rd->pos[col]];
}

/* A finite decimal (sign allowed), or NaN for an empty field; -1 on a
 * malformed one. */
static int number(struct reader *rd, char **f, int col, double *out)
{
    const char *s = field(rd, f, col);
    if (!s[0]) {
        *out = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v) ||
        strspn(s, "0123456789.-+eE") != strlen(s))
        return fail(rd, "bad number '%s' in column '%s'", s,
                    cell_cols[col]);
    *out = v;
    return 0;
}

/* An unsigned decimal below 2^32, or `empty` for an empty field. */
static int count(struct reader *rd, char **f, int col, uint32_t empty,
                 uint32_t *out)
{
    const char *s = field(rd, f, col);
    if (!s[0]) {
        *out = empty;
        return 0;
    }
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > UINT32_MAX / 10)
            return fail(rd, "bad number '%s' in column '%s'", s,
                        cell_cols[col]);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX)
        return fail(rd, "bad number '%s' in column '%s'", s,
                    cell_cols[col]);
    *out = (uint32_t)v;
    return 0;
}

static char *join_key(struct reader *rd, char **f, bool with_alloc)
{
    static const int order[] = {COL_ENV,    COL_CLOCK,  COL_ALLOCATOR,
                                COL_WORKLOAD, COL_PARAMS, COL_SWEEP,
                                COL_SEED};
    size_t len = 1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        len += strlen(field(rd, f, order[i])) + 1;
    char *k = malloc(len), *w = k;
    if (!k)
        return NULL;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (order[i] == COL_ALLOCATOR && !with_alloc)
            continue;
        if (w != k)
            *w++ = '|';
        size_t n = strlen(field(rd, f, order[i]));
        memcpy(w, field(rd, f, order[i]), n);
        w += n;
    }
    *w = '\0';
    return k;
}

/* The cell of the row f (a new one if its key is new); NULL if out of
 * memory.  *last caches the previous row's cell. */
static struct rc_cell *cell_of(struct rc_run *run, struct reader *rd,
                               char **f, size_t *last)
{
    char *key = join_key(rd, f, true);
    if (!key)
        return NULL;
    if (*last < run->n && !strcmp(run->cells[*last].key, key)) {
        free(key);
        return &run->cells[*last];
    }
    for (size_t i = 0; i < run->n; i++)
        if (!strcmp(run->cells[i].key, key)) {
            free(key);
            *last = i;
            return &run->cells[i];
        }
    if (run->n == run->cap) {
        size_t cap = run->cap ? 2 * run->cap : 64;
        struct rc_cell *c = realloc(run->cells, cap * sizeof *c);
        if (!c) {
            free(key);
            return NULL;
        }
        run->cells = c;
        run->cap = cap;
    }
    struct rc_cell *c = &run->cells[run->n++];
    memset(c, 0, sizeof *c);
    c->key = key;
    c->group = join_key(rd, f, false);
    bool ok = c->group != NULL;
    for (int k = 0; k < RC_KEYS; k++)
        ok = ok && (c->k[k] = strdup(field(rd, f, key_cols[k].col)));
    *last = run->n - 1;
    return ok ? c : NULL;
}

static int add_row(struct rc_run *run, struct reader *rd, char **f,
                   size_t *last)
{
    struct rc_rep r = {0};
    const char *st = field(rd, f, COL_STATUS);
    int s = -1;
    for (int i = 0; i <= RC_CRASHED; i++)
        if (!strcmp(st, status_names[i]))
            s = i;
    if (s < 0)
        return fail(rd, "bad status '%s'", st);
    uint32_t rep, disturbed;
    if (count(rd, f, COL_REP, 0, &rep) || !field(rd, f, COL_REP)[0] ||
        count(rd, f, COL_LAUNCH, 0, &r.launch) ||
        count(rd, f, COL_DISTURBED, 0, &disturbed)) {
        if (!rd->err[0])
            return fail(rd, "empty value in column 'rep'");
        return -1;
    }
    if (disturbed > 1)
        return fail(rd, "bad value '%u' in column 'disturbed' (0 or 1)",
                    disturbed);
    r.disturbed = disturbed;
    r.figures = s == RC_OK || s == RC_FAILED;
    for (int k = 0; k < RC_FIGS; k++) {
        r.fig[k] = NAN;
        if (r.figures && number(rd, f, fig_cols[k], &r.fig[k]))
            return -1;
    }
    if (r.figures && isnan(r.fig[RC_CYCLES]))
        return fail(rd, "empty value in column 'cycles_per_op' (status %s)",
                    st);
    struct rc_cell *c = cell_of(run, rd, f, last);
    if (!c)
        return fail(rd, "out of memory");
    if (c->rows == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct rc_rep *p = realloc(c->reps, cap * sizeof *p);
        if (!p)
            return fail(rd, "out of memory");
        c->reps = p;
        c->cap = cap;
    }
    c->reps[c->rows++] = r;
    c->n += r.figures;
    c->disturbed += r.disturbed;
    if ((enum rc_status)s > c->status)
        c->status = (enum rc_status)s;
    return 0;
}

int rc_read(const char *run_dir, struct rc_run *run, char *err,
            size_t errcap)
{
    memset(run, 0, sizeof *run);
    err[0] = '\0';
    snprintf(run->path, sizeof run->path, "%s/cells.csv", run_dir);
    struct reader rd = {.path = run->path, .err = err, .errcap = errcap};
    FILE *fp = fopen(run->path, "r");
    if (!fp) {
        if (errno == ENOENT)
            snprintf(err, errcap, "'%s' is not a run folder (no cells.csv)",
                     run_dir);
        else
            snprintf(err, errcap, "cannot read '%s': %s", run->path,
                     strerror(errno));
        return -1;
    }
    char *line = NULL, **f = NULL;
    size_t cap = 0;
    int rc = 0, ncols = 0;
    size_t last = 0;
    for (;;) {
        errno = 0;
        ssize_t len = getline(&line, &cap, fp);
        if (len < 0) {
            if (ferror(fp))
                rc = fail(&rd, "read error: %s", strerror(errno));
            else if (rd.lineno == 0)
                rc = fail(&rd, "is empty (no header line)");
            break;
        }
        rd.lineno++;
        if ((size_t)len != strlen(line)) {
            rc = fail(&rd, "a NUL byte in the line");
            break;
        }
        if (line[len - 1] != '\n') {
            rc = fail(&rd, "truncated (the last line has no end of line)");
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (rd.lineno == 1) {
            ncols = read_header(&rd, line);
            if (ncols < 0 || !(f = calloc((size_t)ncols + 1, sizeof *f))) {
                rc = ncols < 0 ? -1 : fail(&rd, "out of memory");
                break;
            }
            continue;
        }
        int n = csv_split(line, f, ncols + 1);
        if (n != ncols) {
            rc = fail(&rd, "%d fields, the header has %d (truncated or "
                           "malformed line?)", n < 0 ? ncols + 1 : n, ncols);
            break;
        }
        if ((rc = add_row(run, &rd, f, &last)) != 0)
            break;
    }
    free(line);
    free(f);
    fclose(fp);
    if (rc)
        rc_free(run);
    return rc;
}

void rc_free(struct rc_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        struct rc_cell *c = &run->cells[i];
        for (int k = 0; k < RC_KEYS; k++)
            free(c->k[k]);
        free(c->key);
        free(c->group);
        free(c->reps);
    }
    free(run->cells);
    run->cells = NULL;
    run->n = run->cap = 0;
}

const struct rc_cell *rc_find(const struct rc_run *run, const char *key)
{
    for (size_t i = 0; i < run->n; i++)
        if (!strcmp(run->cells[i].key, key))
            return &run->cells[i];
    return NULL;
}

/* ---- launches ------------------------------------------------------------ */

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

bool rc_levels_of(const struct rc_cell *c, enum rc_fig fig,
                  struct rc_levels *lv)
{
    memset(lv, 0, sizeof *lv);
    size_t cap = c->rows ? c->rows : 1;
    lv->ids = malloc(cap * sizeof *lv->ids);
    lv->l = malloc(cap * sizeof *lv->l);
    lv->v = malloc(cap * sizeof *lv->v);
    if (!lv->ids || !lv->l || !lv->v) {
        rc_levels_free(lv);
        return false;
    }
    /* The distinct launches with a value, ascending. */
    size_t nid = 0;
    for (size_t i = 0; i < c->rows; i++)
        if (!isnan(c->reps[i].fig[fig]))
            lv->ids[nid++] = c->reps[i].launch;
    qsort(lv->ids, nid, sizeof *lv->ids, cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < nid; i++)
        if (k == 0 || lv->ids[k - 1] != lv->ids[i])
            lv->ids[k++] = lv->ids[i];
    lv->n = k;
    /* Each launch's values, contiguous in v, in row order. */
    size_t nv = 0;
    for (size_t j = 0; j < k; j++) {
        lv->l[j].v = &lv->v[nv];
        lv->l[j].n = 0;
        for (size_t i = 0; i < c->rows; i++)
            if (c->reps[i].launch == lv->ids[j] && !isnan(c->reps[i].fig[fig]))
                lv->v[nv + lv->l[j].n++] = c->reps[i].fig[fig];
        nv += lv->l[j].n;
    }
    return true;
}

void rc_levels_free(struct rc_levels *lv)
{
    free(lv->ids);
    free(lv->l);
    free(lv->v);
    memset(lv, 0, sizeof *lv);
}

size_t rc_pair_rounds(const struct rc_levels *a, const struct rc_levels *b,
                      struct hl_launch **pa, struct hl_launch **pb)
{
    size_t cap = a->n < b->n ? a->n : b->n;
    *pa = malloc((cap ? cap : 1) * sizeof **pa);
    *pb = malloc((cap ? cap : 1) * sizeof **pb);
    if (!*pa || !*pb)
        return 0;
    size_t i = 0, j = 0, k = 0;
    while (i < a->n && j < b->n) {
        if (a->ids[i] < b->ids[j]) {
            i++;
        } else if (a->ids[i] > b->ids[j]) {
            j++;
        } else {
            (*pa)[k] = a->l[i++];
            (*pb)[k++] = b->l[j++];
        }
    }
    return k;
}
