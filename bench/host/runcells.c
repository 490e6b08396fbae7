/*
 * runcells.c — cells.csv read back by header name, grouped per cell and
 * launch (runcells.h).
 */
#define _GNU_SOURCE
#include "bench/host/runcells.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "bench/host/csvread.h"

/* The key columns in rc_key order. */
static const int key_cols[RC_KEYS] = {
    [RC_RUN_ID] = COL_RUN_ID,     [RC_ENV] = COL_ENV,
    [RC_ACCEL] = COL_ACCEL,       [RC_CLOCK] = COL_CLOCK,
    [RC_ALLOCATOR] = COL_ALLOCATOR, [RC_FAMILY] = COL_FAMILY,
    [RC_WORKLOAD] = COL_WORKLOAD, [RC_PARAMS] = COL_PARAMS,
    [RC_SWEEP] = COL_SWEEP,       [RC_SEED] = COL_SEED,
    [RC_ALLOC_PARAMS] = COL_ALLOC_PARAMS,
};

/* The row's alloc_params; in a run older than the column, the registry
 * allocator's defaults (its cells ran at them), "" for any other. */
static const char *alloc_params_of(const struct csvr *r, char *buf, size_t cap)
{
    if (csvr_has(r, COL_ALLOC_PARAMS))
        return csvr_str(r, COL_ALLOC_PARAMS);
    const struct hl_allocator *a = hl_allocator_find(csvr_str(r, COL_ALLOCATOR));
    buf[0] = '\0';
    if (a) {
        struct hl_al_params p;
        hl_al_defaults(a, &p);
        hl_al_format(a, &p, buf, cap);
    }
    return buf;
}

/* The key column c of the row (alloc_params as alloc_params_of). */
static const char *key_str(const struct csvr *r, int c, char *buf, size_t cap)
{
    return c == COL_ALLOC_PARAMS ? alloc_params_of(r, buf, cap) : csvr_str(r, c);
}

/* The columns a cell needs; the rest may be missing (older runs). */
static const uint64_t required =
    CSV_COL(COL_ENV) | CSV_COL(COL_CLOCK) | CSV_COL(COL_ALLOCATOR) |
    CSV_COL(COL_WORKLOAD) | CSV_COL(COL_PARAMS) | CSV_COL(COL_SEED) |
    CSV_COL(COL_REP) | CSV_COL(COL_STATUS) | CSV_COL(COL_CYCLES_PER_OP);

static const int fig_cols[RC_FIGS] = {
    [RC_CYCLES] = COL_CYCLES_PER_OP, [RC_P99] = COL_P99,
    [RC_FLOOR] = COL_HARNESS_FLOOR, [RC_RAW] = COL_RAW_CYCLES_PER_OP};

bool rc_alloc_params_default(const struct rc_cell *c)
{
    const struct hl_allocator *a = hl_allocator_find(c->k[RC_ALLOCATOR]);
    if (!a || !a->nparams)
        return true;
    struct hl_al_params p;
    char text[512];
    hl_al_defaults(a, &p);
    hl_al_format(a, &p, text, sizeof text);
    return !strcmp(text, c->k[RC_ALLOC_PARAMS]);
}

static const char *const status_names[] = {
    [RC_OK] = "ok", [RC_FAILED] = "failed", [RC_ERROR] = "error",
    [RC_TIMEOUT] = "timeout", [RC_CRASHED] = "crashed"};

const char *rc_status_str(enum rc_status s)
{
    return status_names[s];
}

/* An unsigned decimal below 2^32, or 0 for an empty field. */
static int count(struct csvr *r, int col, uint32_t *out)
{
    uint64_t v;
    if (csvr_u64(r, col, &v, true) < 0)
        return -1;
    if (v > UINT32_MAX)
        return csvr_fail(r, "bad number '%s' in column '%s'",
                         csvr_str(r, col), csv_column_name(CSV_CELLS, col));
    *out = (uint32_t)v;
    return 0;
}

static char *join_key(const struct csvr *r, bool with_alloc)
{
    static const int order[] = {COL_ENV,    COL_CLOCK,  COL_ALLOCATOR,
                                COL_ALLOC_PARAMS, COL_WORKLOAD, COL_PARAMS,
                                COL_SWEEP, COL_SEED};
    char ap[512];
    size_t len = 1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        len += strlen(key_str(r, order[i], ap, sizeof ap)) + 1;
    char *k = malloc(len), *w = k;
    if (!k)
        return NULL;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if ((order[i] == COL_ALLOCATOR || order[i] == COL_ALLOC_PARAMS) &&
            !with_alloc)
            continue;
        if (w != k)
            *w++ = '|';
        const char *s = key_str(r, order[i], ap, sizeof ap);
        size_t n = strlen(s);
        memcpy(w, s, n);
        w += n;
    }
    *w = '\0';
    return k;
}

/* The cell of the current row (a new one if its key is new); NULL if out
 * of memory.  *last caches the previous row's cell. */
static struct rc_cell *cell_of(struct rc_run *run, const struct csvr *r,
                               size_t *last)
{
    char *key = join_key(r, true);
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
    c->group = join_key(r, false);
    bool ok = c->group != NULL;
    char ap[512];
    for (int k = 0; k < RC_KEYS; k++)
        ok = ok && (c->k[k] = strdup(key_str(r, key_cols[k], ap, sizeof ap)));
    *last = run->n - 1;
    return ok ? c : NULL;
}

static int add_row(struct rc_run *run, struct csvr *r, size_t *last)
{
    struct rc_rep rep = {0};
    const char *st = csvr_str(r, COL_STATUS);
    int s = -1;
    for (int i = 0; i <= RC_CRASHED; i++)
        if (!strcmp(st, status_names[i]))
            s = i;
    if (s < 0)
        return csvr_fail(r, "bad status '%s'", st);
    uint64_t rep_no;
    uint32_t disturbed = 0;
    if (csvr_u64(r, COL_REP, &rep_no, false) < 0 ||
        count(r, COL_LAUNCH, &rep.launch) || count(r, COL_DISTURBED, &disturbed))
        return -1;
    if (disturbed > 1)
        return csvr_fail(r, "bad value '%u' in column 'disturbed' (0 or 1)",
                         disturbed);
    rep.disturbed = disturbed;
    rep.figures = s == RC_OK || s == RC_FAILED;
    for (int k = 0; k < RC_FIGS; k++) {
        rep.fig[k] = NAN;
        if (rep.figures && csvr_num(r, fig_cols[k], &rep.fig[k], true) < 0)
            return -1;
    }
    if (rep.figures && isnan(rep.fig[RC_CYCLES]))
        return csvr_fail(r, "empty value in column 'cycles_per_op' (status "
                            "%s)", st);
    struct rc_cell *c = cell_of(run, r, last);
    if (!c)
        return csvr_fail(r, "out of memory");
    if (c->rows == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct rc_rep *p = realloc(c->reps, cap * sizeof *p);
        if (!p)
            return csvr_fail(r, "out of memory");
        c->reps = p;
        c->cap = cap;
    }
    c->reps[c->rows++] = rep;
    c->n += rep.figures;
    c->disturbed += rep.disturbed;
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
    struct csvr r;
    if (csvr_open(&r, run_dir, CSV_CELLS, required)) {
        snprintf(err, errcap, "%s", r.err);
        return -1;
    }
    int k;
    size_t last = 0;
    while ((k = csvr_next(&r)) > 0)
        if (add_row(run, &r, &last))
            break;
    int rc = k == 0 ? 0 : -1;
    if (rc) {
        snprintf(err, errcap, "%s", r.err);
        rc_free(run);
    }
    csvr_close(&r);
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
