/*
 * plot.c — `heaplab plot RUN [--format LIST] [--out DIR]`: the figures of
 * a run folder, from its five CSV files alone.  docs/plots.md describes
 * every figure; docs/csv-schema.md the files.
 *
 * Three steps, each finished before the next begins:
 *
 *   1. read   meta, cells, summary, latency and timeline.csv through the
 *             one reader (csvread.h): every column found by its header
 *             name, a name the column table does not know refused, older
 *             files without the columns plot does not need read, every
 *             number parsed strictly.
 *             The first fault exits 2 with one line naming the file, the
 *             line, the column and the value; nothing has been written.
 *   2. write  per figure, OUT/data/NAME.dat (one gnuplot `index` block per
 *             series) and OUT/data/NAME.gp, a generated preamble of
 *             variables: series styles and labels, category tics, axis
 *             units, ranges, the key's layout.  The drawing is in plots/:
 *             one script per kind of figure, and style.gp, terminal.gp,
 *             key.gp that they share.
 *   3. draw   gnuplot once per figure and format: OUT/NAME.{pdf,svg,png}
 *             and, for tex, OUT/tex/NAME.{tex,pdf} (cairolatex).  gnuplot
 *             runs with TZ=UTC and no ~/.gnuplot; cairo 1.16 stamps every
 *             PDF with the time of day (it ignores SOURCE_DATE_EPOCH), so
 *             the 14 digits of /CreationDate are then overwritten in place
 *             with SOURCE_DATE_EPOCH when set, else the run's own date
 *             (meta.csv `date`): plotting a run twice gives the same bytes.
 *
 * One series is one (allocator, env).  Its colour, point type and dash
 * come from one fixed table (style_of): the same allocator looks the same
 * in every figure; a series of another env than host has open points.
 * Figures that show a cost are split by unit: TSC cycles (clock tsc),
 * instructions (clock instructions on the host, icount in QEMU) and
 * modelled cycles (clock modelled, host and QEMU: the cost plugin's cache
 * model, named on the axis) are never on one axis (units[]).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/host/cli.h"
#include "bench/host/csvread.h"
#include "bench/host/proc.h"
#include "bench/host/ratios.h"
#include "bench/host/runcells.h"
#include "workloads/workload.h"

#ifndef HEAPLAB_PLOTS_RELDIR
#define HEAPLAB_PLOTS_RELDIR "share/heaplab/plots"
#endif
#ifndef HEAPLAB_PLOTS_INSTALL_DIR
#define HEAPLAB_PLOTS_INSTALL_DIR "/usr/local/share/heaplab/plots"
#endif

static const char plot_usage[] =
    "usage: heaplab plot RUN [--format LIST] [--out DIR] [--baseline NAME]\n"
    "\n"
    "Draw the figures of the run folder RUN (results/<run-id>/) from its CSV\n"
    "files alone (docs/plots.md): cost per op by allocator and workload\n"
    "(TSC cycles; instructions, host against kernel, where measured;\n"
    "modelled cycles and L1d/LLC misses per op of a --clock modelled run,\n"
    "the model named), latency CDFs, live bytes and footprint over time,\n"
    "cost against the swept parameter of each --sweep (per clock: a\n"
    "-instructions or -modelled suffix), fragmentation, and each\n"
    "allocator's cost relative to a baseline with its paired-round 95 %\n"
    "CI.  A figure that has no rows is skipped, with why, on stdout.  The data\n"
    "behind each figure is written to DIR/data/ (NAME.dat, NAME.gp), the\n"
    "scripts are plots/*.gp.  Plotting the same run again gives identical\n"
    "files.\n"
    "\n"
    "  --format LIST  comma list of: pdf (pdfcairo), svg, png (pngcairo,\n"
    "                 300 dpi), tex (cairolatex pdf+tex, in DIR/tex/)\n"
    "                 (default: pdf,svg,png)\n"
    "  --out DIR      where the figures go (default: RUN/figures; created\n"
    "                 if missing, its parent must exist)\n"
    "  --baseline NAME  the allocator the ratio figures divide by (default:\n"
    "                 jemalloc if the run has it, else glibc, else the\n"
    "                 first allocator of cells.csv)\n"
    "\n"
    "Needs gnuplot (5.4) on PATH; the scripts are found in\n"
    "$HEAPLAB_PLOTS_DIR, else the installed share/heaplab/plots, else the\n"
    "source tree's plots/.\n"
    "Exit 0 when every figure was drawn; 2 on bad usage, a missing or\n"
    "malformed CSV file (one line naming the file and the line, column or\n"
    "value; a column name the schema does not know is refused) or a\n"
    "HEAPLAB_PLOTS_DIR without the scripts; 1 when gnuplot or the scripts\n"
    "are missing or gnuplot fails.\n";

/* ---- small helpers ------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        cli_fail("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        cli_fail("out of memory");
    return d;
}

/* A path from fmt into out[cap]; exit 1 if it does not fit. */
__attribute__((format(printf, 3, 4))) static void
pathf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        cli_fail("path too long: '%.80s...'", out);
}

/* Grow array arr (cap elements) to hold n + 1. */
#define GROW(arr, cap, n)                                                     \
    do {                                                                      \
        if ((n) >= (cap)) {                                                   \
            (cap) = (cap) ? 2 * (cap) : 16;                                   \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                   \
        }                                                                     \
    } while (0)

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

/* Interned strings: equal text, equal pointer.  Lives until exit. */
static struct {
    char **slot;
    size_t cap, n;
} pool;

static const char *intern(const char *s)
{
    if (2 * (pool.n + 1) > pool.cap) {
        size_t cap = pool.cap ? 2 * pool.cap : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            cli_fail("out of memory");
        for (size_t i = 0; i < pool.cap; i++)
            if (pool.slot[i]) {
                size_t j = fnv1a(pool.slot[i]) & (cap - 1);
                while (slot[j])
                    j = (j + 1) & (cap - 1);
                slot[j] = pool.slot[i];
            }
        free(pool.slot);
        pool.slot = slot;
        pool.cap = cap;
    }
    size_t j = fnv1a(s) & (pool.cap - 1);
    while (pool.slot[j]) {
        if (!strcmp(pool.slot[j], s))
            return pool.slot[j];
        j = (j + 1) & (pool.cap - 1);
    }
    pool.n++;
    return pool.slot[j] = xstrdup(s);
}

static void pool_free(void)
{
    for (size_t i = 0; i < pool.cap; i++)
        free(pool.slot[i]);
    free(pool.slot);
    pool.slot = NULL;
    pool.cap = pool.n = 0;
}

/* ---- reading: the run's files through csvread.h, every fault exits 2 --- */

static void rd_open(struct csvr *r, const char *dir, enum csv_kind kind,
                    uint64_t required)
{
    if (csvr_open(r, dir, kind, required))
        cli_usage_fail("%s", r->err);
}

/* The next row; false at the end of the file. */
static bool rd_next(struct csvr *r)
{
    int k = csvr_next(r);
    if (k < 0)
        cli_usage_fail("%s", r->err);
    return k > 0;
}

/* Column col as a number; false for an empty field (allowed). */
static bool rd_num_opt(struct csvr *r, int col, double *out)
{
    int k = csvr_num(r, col, out, true);
    if (k < 0)
        cli_usage_fail("%s", r->err);
    return k > 0;
}

/* A non-negative number (a count, bytes, ticks, a fraction). */
static double rd_nonneg(struct csvr *r, int col)
{
    double v;
    if (csvr_num(r, col, &v, false) < 0)
        cli_usage_fail("%s", r->err);
    if (v < 0)
        cli_usage_fail("'%s' line %u: bad number '%s' in column '%s' "
                       "(negative)", r->path, r->lineno, csvr_str(r, col),
                       csv_column_name(r->kind, col));
    return v;
}

/* An unsigned decimal integer. */
static uint64_t rd_u64(struct csvr *r, int col)
{
    uint64_t v;
    if (csvr_u64(r, col, &v, false) < 0)
        cli_usage_fail("%s", r->err);
    return v;
}

/* ---- the run as the figures see it -------------------------------------- */

/* A workload instance: one (workload, params, seed, sweep). */
struct inst {
    const char *workload, *params, *seed;
    const char *sweep;   /* the sweep column: the swept key, "" in the suite */
    const char *family;  /* from cells/summary rows; NULL until seen */
    char label[256];     /* "churn-fixed", or "churn-fixed live=1000" */
    char slug[256];      /* the same for file names: "churn-fixed-live-1000" */
};

struct bucket {
    double lo, hi, count;
};

struct sample {
    double op, live, held;
};

/* A cell: one (env, clock, allocator, alloc_params, workload instance). */
struct cell {
    const char *env, *clock, *alloc;
    const char *aparams; /* the allocator's parameters ("" in older runs) */
    struct inst *inst;
    /* summary.csv */
    bool has_sum;
    double med, lo, hi; /* lo = hi = med when there is no CI */
    bool has_p99;
    double p99;         /* p99_median */
    /* cells.csv: peak_footprint_bytes per rep with figures */
    double *fp;
    size_t nfp, capfp;
    /* cells.csv: per rep with figures */
    double *fi, *fe;
    size_t nfrag, capfrag;
    /* cells.csv, clock=modelled: l1d_ and llc_misses_per_op per rep with
     * figures */
    double *ml1, *mllc;
    size_t nmiss, capmiss;
    /* latency.csv, every rep pooled */
    struct bucket *b;
    size_t nb, capb;
    /* timeline.csv, the lowest rep present */
    uint64_t tl_rep;
    struct sample *s;
    size_t ns, caps;
};

struct meta_kv {
    const char *key, *value;
};

static struct run {
    const char *dir;
    struct meta_kv *meta;
    size_t nmeta, capmeta;
    struct inst **insts;
    size_t ninsts, capinsts;
    struct cell **cells;
    size_t ncells, capcells;
    size_t sum_not_ok; /* summary rows whose status is not ok */
    size_t sum_empty;  /* summary rows without figures (n = 0) */
    bool sweep_col;    /* cells or summary.csv has a sweep column */
} R;

static const char *meta_get(const char *key)
{
    for (size_t i = 0; i < R.nmeta; i++)
        if (!strcmp(R.meta[i].key, key))
            return R.meta[i].value;
    return NULL;
}

static struct inst *inst_for(const char *workload, const char *params,
                             const char *seed, const char *sweep)
{
    workload = intern(workload);
    params = intern(params);
    seed = intern(seed);
    sweep = intern(sweep);
    for (size_t i = R.ninsts; i-- > 0;)
        if (R.insts[i]->workload == workload &&
            R.insts[i]->params == params && R.insts[i]->seed == seed &&
            R.insts[i]->sweep == sweep)
            return R.insts[i];
    GROW(R.insts, R.capinsts, R.ninsts);
    struct inst *in = calloc(1, sizeof *in);
    if (!in)
        cli_fail("out of memory");
    in->workload = workload;
    in->params = params;
    in->seed = seed;
    in->sweep = sweep;
    R.insts[R.ninsts++] = in;
    return in;
}

/* A suite cell's instance (not one of a --sweep's, which figures 4 and 5
 * draw). */
static bool in_suite(const struct inst *in)
{
    return in->sweep[0] == '\0';
}

/* The cell of these keys; created if create, else NULL when none. */
/* aparams NULL: any allocator parameters (a detail or ratio row, whose
 * allocator runs once in the suite); created with "". */
static struct cell *cell_find(const char *env, const char *clock,
                              const char *alloc, const char *aparams,
                              struct inst *in, bool create)
{
    env = intern(env);
    clock = intern(clock);
    alloc = intern(alloc);
    aparams = aparams ? intern(aparams) : NULL;
    for (size_t i = R.ncells; i-- > 0;) {
        struct cell *c = R.cells[i];
        if (c->inst == in && c->alloc == alloc && c->env == env &&
            c->clock == clock && (!aparams || c->aparams == aparams))
            return c;
    }
    if (!create)
        return NULL;
    GROW(R.cells, R.capcells, R.ncells);
    struct cell *c = calloc(1, sizeof *c);
    if (!c)
        cli_fail("out of memory");
    c->env = env;
    c->clock = clock;
    c->alloc = alloc;
    c->aparams = aparams ? aparams : intern("");
    c->inst = in;
    c->tl_rep = UINT64_MAX;
    R.cells[R.ncells++] = c;
    return c;
}

/* The cell a latency or timeline row belongs to.  Those files have no
 * clock column (a run writes them for its TSC cells only): take the row's
 * clock if the file has one, else the tsc cell, else the one cell of these
 * keys, else a new tsc cell. */
static struct cell *detail_cell(const char *env, const char *clock,
                                const char *alloc, struct inst *in)
{
    if (clock)
        return cell_find(env, clock, alloc, NULL, in, true);
    struct cell *c = cell_find(env, "tsc", alloc, NULL, in, false);
    if (c)
        return c;
    const char *e = intern(env), *a = intern(alloc);
    for (size_t i = 0; i < R.ncells; i++)
        if (R.cells[i]->inst == in && R.cells[i]->alloc == a &&
            R.cells[i]->env == e)
            return R.cells[i];
    return cell_find(env, "tsc", alloc, NULL, in, true);
}

static void set_family(struct inst *in, const char *family)
{
    if (!in->family)
        in->family = intern(family);
}

/* The key columns of a file kind: env, allocator, workload, params, seed
 * (required); clock and sweep (optional; -1: the kind has none). */
struct key_cols {
    int env, clock, alloc, wl, params, seed, sweep, aparams;
};

static const struct key_cols keys_cells = {
    COL_ENV, COL_CLOCK, COL_ALLOCATOR, COL_WORKLOAD, COL_PARAMS, COL_SEED,
    COL_SWEEP, COL_ALLOC_PARAMS};
static const struct key_cols keys_summary = {
    SUM_ENV, SUM_CLOCK, SUM_ALLOCATOR, SUM_WORKLOAD, SUM_PARAMS, SUM_SEED,
    SUM_SWEEP, SUM_ALLOC_PARAMS};
static const struct key_cols keys_latency = {
    LAT_ENV, -1, LAT_ALLOCATOR, LAT_WORKLOAD, LAT_PARAMS, LAT_SEED, -1, -1};
static const struct key_cols keys_timeline = {
    TL_ENV, -1, TL_ALLOCATOR, TL_WORKLOAD, TL_PARAMS, TL_SEED, -1, -1};

static uint64_t key_required(const struct key_cols *k)
{
    return CSV_COL(k->env) | CSV_COL(k->alloc) | CSV_COL(k->wl) |
           CSV_COL(k->params) | CSV_COL(k->seed);
}

/* A cached cell for a run of rows with the same keys (the files keep a
 * cell's rows together, so most lookups hit). */
struct row_cache {
    char key[1024];
    struct cell *c;
};

/* The cell of the current row of r (detail: a latency or timeline row). */
static struct cell *cached_cell(struct row_cache *rc, struct csvr *r,
                                const struct key_cols *k, bool detail)
{
    const char *clock = csvr_has(r, k->clock) ? csvr_str(r, k->clock) : NULL;
    const char *sweep = csvr_str(r, k->sweep);
    const char *env = csvr_str(r, k->env), *alloc = csvr_str(r, k->alloc);
    const char *wl = csvr_str(r, k->wl), *params = csvr_str(r, k->params);
    const char *seed = csvr_str(r, k->seed);
    const char *aparams = csvr_str(r, k->aparams);
    char key[sizeof rc->key];
    int n = snprintf(key, sizeof key,
                     "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", env,
                     clock ? clock : "", alloc, wl, params, seed, sweep, aparams);
    if (n < 0 || (size_t)n >= sizeof key)
        cli_usage_fail("'%s' line %u: key fields too long", r->path,
                       r->lineno);
    if (rc->c && !strcmp(rc->key, key))
        return rc->c;
    const int must[] = {k->env, k->clock, k->alloc, k->wl, k->seed};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (csvr_has(r, must[i]) && csvr_str(r, must[i])[0] == '\0')
            cli_usage_fail("'%s' line %u: empty value in column '%s'",
                           r->path, r->lineno,
                           csv_column_name(r->kind, must[i]));
    struct inst *in = inst_for(wl, params, seed, sweep);
    struct cell *c = detail ? detail_cell(env, clock, alloc, in)
                            : cell_find(env, clock ? clock : "tsc", alloc,
                                        aparams, in, true);
    memcpy(rc->key, key, (size_t)n + 1);
    rc->c = c;
    return c;
}

static bool has_figures(const char *status)
{
    return !strcmp(status, "ok") || !strcmp(status, "failed");
}

static void read_meta(void)
{
    struct csvr t;
    rd_open(&t, R.dir, CSV_META, CSV_COL(META_KEY) | CSV_COL(META_VALUE));
    while (rd_next(&t)) {
        GROW(R.meta, R.capmeta, R.nmeta);
        R.meta[R.nmeta++] = (struct meta_kv){
            intern(csvr_str(&t, META_KEY)), intern(csvr_str(&t, META_VALUE))};
    }
    csvr_close(&t);
}

static void read_cells(void)
{
    const struct key_cols *kc = &keys_cells;
    struct csvr t;
    rd_open(&t, R.dir, CSV_CELLS,
            key_required(kc) | CSV_COL(COL_FAMILY) | CSV_COL(COL_REP) |
                CSV_COL(COL_STATUS) | CSV_COL(COL_FRAG_INTERNAL) |
                CSV_COL(COL_FRAG_EXTERNAL));
    R.sweep_col |= csvr_has(&t, kc->sweep);
    struct row_cache rc = {0};
    while (rd_next(&t)) {
        struct cell *c = cached_cell(&rc, &t, kc, false);
        set_family(c->inst, csvr_str(&t, COL_FAMILY));
        rd_u64(&t, COL_REP);
        if (!has_figures(csvr_str(&t, COL_STATUS)))
            continue;
        double vi = rd_nonneg(&t, COL_FRAG_INTERNAL);
        double ve = rd_nonneg(&t, COL_FRAG_EXTERNAL);
        if (vi > 1 || ve > 1) {
            int col = vi > 1 ? COL_FRAG_INTERNAL : COL_FRAG_EXTERNAL;
            cli_usage_fail("'%s' line %u: bad number '%s' in column '%s' "
                           "(a fraction 0..1)", t.path, t.lineno,
                           csvr_str(&t, col), csv_column_name(CSV_CELLS, col));
        }
        if (c->nfrag == c->capfrag) {
            c->capfrag = c->capfrag ? 2 * c->capfrag : 16;
            c->fi = xrealloc(c->fi, c->capfrag * sizeof *c->fi);
            c->fe = xrealloc(c->fe, c->capfrag * sizeof *c->fe);
        }
        c->fi[c->nfrag] = vi;
        c->fe[c->nfrag++] = ve;
        double fpv;
        if (csvr_has(&t, COL_PEAK_FOOTPRINT_BYTES) &&
            rd_num_opt(&t, COL_PEAK_FOOTPRINT_BYTES, &fpv)) {
            GROW(c->fp, c->capfp, c->nfp);
            c->fp[c->nfp++] = fpv;
        }
        /* misses per op: modelled rows only, net of the harness floor
         * (may be negative) */
        double m1, m3;
        if (!strcmp(c->clock, "modelled") &&
            csvr_has(&t, COL_L1D_MISSES_PER_OP) &&
            csvr_has(&t, COL_LLC_MISSES_PER_OP) &&
            rd_num_opt(&t, COL_L1D_MISSES_PER_OP, &m1) &&
            rd_num_opt(&t, COL_LLC_MISSES_PER_OP, &m3)) {
            if (c->nmiss == c->capmiss) {
                c->capmiss = c->capmiss ? 2 * c->capmiss : 16;
                c->ml1 = xrealloc(c->ml1, c->capmiss * sizeof *c->ml1);
                c->mllc = xrealloc(c->mllc, c->capmiss * sizeof *c->mllc);
            }
            c->ml1[c->nmiss] = m1;
            c->mllc[c->nmiss++] = m3;
        }
    }
    csvr_close(&t);
}

static void read_summary(void)
{
    const struct key_cols *kc = &keys_summary;
    struct csvr t;
    rd_open(&t, R.dir, CSV_SUMMARY,
            key_required(kc) | CSV_COL(SUM_FAMILY) | CSV_COL(SUM_N) |
                CSV_COL(SUM_STATUS) | CSV_COL(SUM_CYCLES_PER_OP_MEDIAN) |
                CSV_COL(SUM_CYCLES_PER_OP_CI_LO) |
                CSV_COL(SUM_CYCLES_PER_OP_CI_HI));
    R.sweep_col |= csvr_has(&t, kc->sweep);
    struct row_cache rc = {0};
    while (rd_next(&t)) {
        struct cell *c = cached_cell(&rc, &t, kc, false);
        set_family(c->inst, csvr_str(&t, SUM_FAMILY));
        if (c->has_sum)
            cli_usage_fail("'%s' line %u: a second row for the cell %s %s "
                           "%s %s (%s)", t.path, t.lineno, c->env, c->clock,
                           c->alloc, c->inst->workload, c->inst->params);
        uint64_t nrep = rd_u64(&t, SUM_N);
        if (strcmp(csvr_str(&t, SUM_STATUS), "ok"))
            R.sum_not_ok++;
        double m, l, h;
        bool have = rd_num_opt(&t, SUM_CYCLES_PER_OP_MEDIAN, &m);
        bool have_lo = rd_num_opt(&t, SUM_CYCLES_PER_OP_CI_LO, &l);
        bool have_hi = rd_num_opt(&t, SUM_CYCLES_PER_OP_CI_HI, &h);
        if (have_lo != have_hi)
            cli_usage_fail("'%s' line %u: only one of cycles_per_op_ci_lo "
                           "and cycles_per_op_ci_hi is given", t.path,
                           t.lineno);
        if (!have && nrep > 0)
            cli_usage_fail("'%s' line %u: empty value in column "
                           "'cycles_per_op_median' (n = %llu reps with "
                           "figures)", t.path, t.lineno,
                           (unsigned long long)nrep);
        if (!have || nrep == 0) {
            R.sum_empty++;
            continue;
        }
        /* Costs net of the harness floor may be negative, and a
         * bootstrap percentile interval need not hold the median. */
        if (have_lo && l > h)
            cli_usage_fail("'%s' line %u: bad numbers: interval [%s, %s] "
                           "reversed", t.path, t.lineno,
                           csvr_str(&t, SUM_CYCLES_PER_OP_CI_LO),
                           csvr_str(&t, SUM_CYCLES_PER_OP_CI_HI));
        c->has_sum = true;
        c->med = m;
        c->lo = have_lo ? l : m;
        c->hi = have_lo ? h : m;
        c->has_p99 = csvr_has(&t, SUM_P99_MEDIAN) &&
                     rd_num_opt(&t, SUM_P99_MEDIAN, &c->p99);
    }
    csvr_close(&t);
}

static void read_latency(void)
{
    const struct key_cols *kc = &keys_latency;
    struct csvr t;
    rd_open(&t, R.dir, CSV_LATENCY,
            key_required(kc) | CSV_COL(LAT_REP) | CSV_COL(LAT_BUCKET_LO) |
                CSV_COL(LAT_BUCKET_HI) | CSV_COL(LAT_COUNT));
    struct row_cache rc = {0};
    while (rd_next(&t)) {
        struct cell *c = cached_cell(&rc, &t, kc, true);
        rd_u64(&t, LAT_REP);
        struct bucket b = {(double)rd_u64(&t, LAT_BUCKET_LO),
                           (double)rd_u64(&t, LAT_BUCKET_HI),
                           (double)rd_u64(&t, LAT_COUNT)};
        if (b.hi < b.lo)
            cli_usage_fail("'%s' line %u: bad numbers: bucket_hi %s below "
                           "bucket_lo %s", t.path, t.lineno,
                           csvr_str(&t, LAT_BUCKET_HI),
                           csvr_str(&t, LAT_BUCKET_LO));
        GROW(c->b, c->capb, c->nb);
        c->b[c->nb++] = b;
    }
    csvr_close(&t);
}

static void read_timeline(void)
{
    const struct key_cols *kc = &keys_timeline;
    struct csvr t;
    rd_open(&t, R.dir, CSV_TIMELINE,
            key_required(kc) | CSV_COL(TL_REP) | CSV_COL(TL_OP_INDEX) |
                CSV_COL(TL_LIVE_BYTES) | CSV_COL(TL_HELD_BYTES));
    struct row_cache rc = {0};
    while (rd_next(&t)) {
        struct cell *c = cached_cell(&rc, &t, kc, true);
        uint64_t r = rd_u64(&t, TL_REP);
        struct sample s = {(double)rd_u64(&t, TL_OP_INDEX),
                           (double)rd_u64(&t, TL_LIVE_BYTES),
                           (double)rd_u64(&t, TL_HELD_BYTES)};
        if (r > c->tl_rep)
            continue;
        if (r < c->tl_rep) {
            c->tl_rep = r; /* a lower rep: it is the one drawn */
            c->ns = 0;
        }
        GROW(c->s, c->caps, c->ns);
        c->s[c->ns++] = s;
    }
    csvr_close(&t);
}

static int cmp_bucket(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

static int cmp_sample(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    return x->op < y->op ? -1 : x->op > y->op ? 1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Sort and pool: the reps of a cell share the histogram's buckets. */
static void pool_details(void)
{
    for (size_t i = 0; i < R.ncells; i++) {
        struct cell *c = R.cells[i];
        if (c->nb) {
            qsort(c->b, c->nb, sizeof *c->b, cmp_bucket);
            size_t w = 0;
            for (size_t k = 0; k < c->nb; k++) {
                if (w && c->b[w - 1].lo == c->b[k].lo) {
                    c->b[w - 1].count += c->b[k].count;
                    if (c->b[k].hi > c->b[w - 1].hi)
                        c->b[w - 1].hi = c->b[k].hi;
                } else {
                    c->b[w++] = c->b[k];
                }
            }
            c->nb = w;
        }
        if (c->ns) /* in op order (the file has them so already) */
            qsort(c->s, c->ns, sizeof *c->s, cmp_sample);
    }
}

/* ---- instance labels ---------------------------------------------------- */

/* The value of key k in params "a=1,b=2" into out; false if absent. */
static bool param_value(const char *params, const char *k, char *out,
                        size_t cap)
{
    size_t klen = strlen(k);
    for (const char *p = params; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && !strncmp(p, k, klen) && p[klen] == '=') {
            snprintf(out, cap, "%.*s", (int)(len - klen - 1), p + klen + 1);
            return true;
        }
        p += len + (end != NULL);
    }
    return false;
}

/* Label every instance: the workload name, plus the parameters (and the
 * seed) in which the workload's instances differ. */
static void label_insts(void)
{
    for (size_t i = 0; i < R.ninsts; i++) {
        struct inst *in = R.insts[i];
        snprintf(in->label, sizeof in->label, "%s", in->workload);
        bool seed_differs = false, several = false;
        for (size_t j = 0; j < R.ninsts; j++) {
            if (R.insts[j]->workload != in->workload ||
                R.insts[j]->sweep != in->sweep || j == i)
                continue;
            several = true;
            seed_differs |= R.insts[j]->seed != in->seed;
        }
        if (several) {
            /* every key of this instance whose value is not the same in
             * all instances of the workload */
            for (const char *p = in->params; *p;) {
                const char *end = strchr(p, ','), *eq;
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char item[256], key[256], mine[256], other[256];
                snprintf(item, sizeof item, "%.*s", (int)len, p);
                eq = strchr(item, '=');
                p += len + (end != NULL);
                if (!eq)
                    continue;
                snprintf(key, sizeof key, "%.*s", (int)(eq - item), item);
                snprintf(mine, sizeof mine, "%s", eq + 1);
                bool differs = false;
                for (size_t j = 0; j < R.ninsts && !differs; j++)
                    if (R.insts[j]->workload == in->workload &&
                        R.insts[j]->sweep == in->sweep)
                        differs = !param_value(R.insts[j]->params, key, other,
                                               sizeof other) ||
                                  strcmp(other, mine);
                if (differs) {
                    size_t l = strlen(in->label);
                    snprintf(in->label + l, sizeof in->label - l, " %s",
                             item);
                }
            }
            if (seed_differs) {
                size_t l = strlen(in->label);
                snprintf(in->label + l, sizeof in->label - l, " seed=%s",
                         in->seed);
            }
        }
        /* the slug: [A-Za-z0-9] kept, everything else one '-' */
        size_t w = 0;
        for (const char *p = in->label; *p && w + 1 < sizeof in->slug; p++) {
            bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                        (*p >= '0' && *p <= '9');
            if (keep)
                in->slug[w++] = *p;
            else if (w && in->slug[w - 1] != '-')
                in->slug[w++] = '-';
        }
        while (w && in->slug[w - 1] == '-')
            w--;
        in->slug[w] = '\0';
        if (!w)
            snprintf(in->slug, sizeof in->slug, "workload%zu", i);
        /* two labels may give one slug ("a b" and "a-b"): number the
         * later ones, so no figure overwrites another */
        char base[sizeof in->slug];
        memcpy(base, in->slug, sizeof base);
        base[sizeof base - 16] = '\0'; /* room for "-k" */
        for (unsigned k = 2;; k++) {
            bool taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = !strcmp(R.insts[j]->slug, in->slug);
            if (!taken)
                break;
            if (snprintf(in->slug, sizeof in->slug, "%s-%u", base, k) < 0)
                break;
        }
    }
}

/* ---- series styles ------------------------------------------------------ */

/* gnuplot point types (cairo terminals): filled / open twins. */
enum {
    PT_STAR = 3,
    PT_SQUARE = 5, PT_CIRCLE = 7, PT_TRI_UP = 9, PT_TRI_DOWN = 11,
    PT_DIAMOND = 13, PT_PENTAGON = 15,
};

/* Dash patterns, numbered as in plots/style.gp's `set dashtype`-free list:
 * gnuplot's 1..5 and two custom ones. */
static const char *const dashes[] = {
    NULL, "1", "2", "3", "4", "5", "(8,4)", "(12,3,3,3,3,3)",
};
#define NDASHES 7

struct style {
    const char *name, *rgb;
    int pt, dt; /* pt: the filled type (open = pt - 1, except the star) */
};

/* THE table: every figure draws an allocator like this.  Colours: Okabe &
 * Ito's colour-blind-safe palette, without its yellow (too pale on white):
 * black, orange, sky blue, bluish green, blue, vermillion, reddish
 * purple.  The two seeds
 * are vermillion and solid; colours repeat only between the frame and the
 * heap family (never in one figure), with another point type and dash. */
static const struct style styles[] = {
    {"bitmap-seed", "#D55E00", PT_CIRCLE, 1},
    {"bitmap-fast", "#0072B2", PT_TRI_UP, 2},
    {"buddy", "#009E73", PT_SQUARE, 4},
    {"firstfit-seed", "#D55E00", PT_SQUARE, 1},
    {"slab", "#0072B2", PT_CIRCLE, 2},
    {"bump", "#000000", PT_DIAMOND, 3},
    {"glibc", "#E69F00", PT_TRI_UP, 4},
    {"jemalloc", "#009E73", PT_TRI_DOWN, 5},
    {"mimalloc", "#CC79A7", PT_PENTAGON, 6},
    {"tcmalloc", "#56B4E9", PT_STAR, 7},
};
#define NSTYLES (sizeof styles / sizeof styles[0])

/* The style of an allocator: the table's, or for a name not in it one
 * derived from the name's hash (the same name, the same style). */
static struct style style_of(const char *alloc, size_t *rank)
{
    for (size_t i = 0; i < NSTYLES; i++)
        if (!strcmp(styles[i].name, alloc)) {
            *rank = i;
            return styles[i];
        }
    static const int fillable[] = {PT_SQUARE, PT_CIRCLE, PT_TRI_UP,
                                   PT_TRI_DOWN, PT_DIAMOND, PT_PENTAGON};
    /* Paul Tol's muted scheme (colour-blind safe), none of them the
     * table's */
    static const char *const tol_muted[] = {
        "#332288", "#882255", "#44AA99", "#999933",
        "#AA4499", "#117733", "#CC6677",
    };
    uint64_t h = fnv1a(alloc);
    *rank = NSTYLES;
    return (struct style){alloc, tol_muted[h % 7], fillable[(h / 7) % 6],
                          1 + (int)((h / 42) % NDASHES)};
}

/* One line or point set of a figure: an allocator in one env. */
struct series {
    const char *alloc, *env;
    size_t rank; /* the table's order; unknown names after, by name */
};

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int d = strcmp(x->alloc, y->alloc);
    if (d)
        return d;
    bool hx = !strcmp(x->env, "host"), hy = !strcmp(y->env, "host");
    if (hx != hy)
        return hx ? -1 : 1;
    return strcmp(x->env, y->env);
}

struct series_set {
    struct series *s;
    size_t n, cap;
};

static void series_add(struct series_set *ss, const struct cell *c)
{
    for (size_t i = 0; i < ss->n; i++)
        if (ss->s[i].alloc == c->alloc && ss->s[i].env == c->env)
            return;
    GROW(ss->s, ss->cap, ss->n);
    size_t rank;
    style_of(c->alloc, &rank);
    ss->s[ss->n++] = (struct series){c->alloc, c->env, rank};
}

static void series_sort(struct series_set *ss)
{
    qsort(ss->s, ss->n, sizeof *ss->s, cmp_series);
}

static size_t series_index(const struct series_set *ss, const struct cell *c)
{
    for (size_t i = 0; i < ss->n; i++)
        if (ss->s[i].alloc == c->alloc && ss->s[i].env == c->env)
            return i;
    return SIZE_MAX;
}

/* ---- the unit of a cost ------------------------------------------------- */

/* The units a cost axis may show, one per axis: TSC cycles, instructions
 * (host callgrind and QEMU icount count the same thing) and modelled
 * cycles (the cost plugin's cache model, host under qemu-x86_64 and
 * kernel under qemu-system-i386 alike; docs/model.md).  Other clocks
 * (tsc-tcg, tsc-kvm, wall_ns) are not drawn. */
enum unit { UNIT_CYCLES, UNIT_INSTRUCTIONS, UNIT_MODELLED, NUNITS,
            UNIT_OTHER = NUNITS };

static const struct unit_info {
    const char *letter; /* figures 1 and 7: fig1a, fig1b, fig1c */
    const char *word;   /* ... and their names: fig1c-cost-modelled-heap */
    const char *tag;    /* every other figure's name: fig4-...-modelled */
    const char *ticks;  /* what a tick is, on an axis */
    const char *clocks; /* which rows, in a skip line */
} units[NUNITS] = {
    {"a", "cycles", "", "TSC cycles", "clock=tsc"},
    {"b", "instructions", "-instructions", "instructions",
     "clock=instructions (host) or clock=icount (QEMU)"},
    {"c", "modelled", "-modelled", "modelled cycles",
     "clock=modelled (heaplab run --clock modelled)"},
};

static enum unit unit_of(const char *clock)
{
    if (!strcmp(clock, "tsc"))
        return UNIT_CYCLES;
    if (!strcmp(clock, "instructions") || !strcmp(clock, "icount"))
        return UNIT_INSTRUCTIONS;
    if (!strcmp(clock, "modelled"))
        return UNIT_MODELLED;
    return UNIT_OTHER;
}

/* ---- writing gnuplot text ----------------------------------------------- */

/* s as a gnuplot double-quoted string; for tex, LaTeX's specials escaped
 * first. */
static void gp_quote(FILE *f, const char *s, bool tex)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        const char *rep = NULL;
        char one[2] = {(char)ch, 0};
        if (ch < 0x20 || ch == 0x7f)
            rep = "?";
        else if (tex && strchr("%#&$_{}", ch)) {
            fputs("\\\\", f); /* one backslash in the string */
            rep = one;
        } else if (tex && ch == '\\')
            rep = "\\\\textbackslash{}";
        else if (tex && ch == '^')
            rep = "\\\\^{}";
        else if (tex && ch == '~')
            rep = "\\\\~{}";
        else if (ch == '"')
            rep = "\\\"";
        else if (ch == '\\')
            rep = "\\\\";
        else
            rep = one;
        fputs(rep, f);
    }
    fputc('"', f);
}

/* `name = tex ? "<tex>" : "<plain>"` */
static void gp_text(FILE *f, const char *name, const char *text)
{
    fprintf(f, "%s = tex ? ", name);
    gp_quote(f, text, true);
    fputs(" : ", f);
    gp_quote(f, text, false);
    fputc('\n', f);
}

/* A number gnuplot and every re-run read the same way. */
static void put_num(FILE *f, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

/* " lo hi" of a cell's confidence interval, " NaN NaN" when it has none
 * (then the scripts draw no bar). */
static void put_ci(FILE *f, const struct cell *c)
{
    if (c->lo == c->hi) {
        fputs(" NaN NaN", f);
        return;
    }
    fputc(' ', f);
    put_num(f, c->lo);
    fputc(' ', f);
    put_num(f, c->hi);
}

/* ---- figures: the list of what to draw ---------------------------------- */

struct figure {
    char name[300];   /* file stem */
    char script[64];  /* plots/<script> */
};

static struct {
    struct figure *f;
    size_t n, cap;
} figs;

static const char *out_dir; /* where figures go */
static char data_dir[PATH_MAX];

/* The run's id: meta.csv run_id, else the folder's last name. */
static const char *run_name(void)
{
    const char *id = meta_get("run_id");
    if (id && id[0])
        return id;
    static char base[PATH_MAX];
    snprintf(base, sizeof base, "%s", R.dir);
    size_t len = strlen(base);
    while (len > 1 && base[len - 1] == '/')
        base[--len] = '\0';
    const char *slash = strrchr(base, '/');
    return slash ? slash + 1 : base;
}

static FILE *open_out(const char *name, const char *ext, char *path,
                      size_t cap)
{
    pathf(path, cap, "%s/%s%s", data_dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        cli_fail("cannot write '%s': %s", path, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f))
        cli_fail("cannot write '%s': %s", path, strerror(errno));
}

/* Start figure `want` drawn by plots/script: its data file and its
 * preamble, both open, with their headers.  The name is made safe for
 * file names, gnuplot strings and LaTeX ([A-Za-z0-9-] only; names come
 * from the CSV files) and unique among the figures; want[want_cap] is
 * given the name made. */
static void fig_begin(char *want, size_t want_cap, const char *script,
                      FILE **dat, FILE **pre, char *dat_path, char *pre_path,
                      const char *what)
{
    GROW(figs.f, figs.cap, figs.n);
    struct figure *fg = &figs.f[figs.n];
    char base[sizeof fg->name - 16];
    size_t w = 0;
    for (const char *p = want; *p && w + 1 < sizeof base; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-';
        base[w++] = keep ? *p : '-';
    }
    base[w] = '\0';
    snprintf(fg->name, sizeof fg->name, "%s", base);
    for (unsigned k = 2;; k++) {
        bool taken = false;
        for (size_t j = 0; j < figs.n && !taken; j++)
            taken = !strcmp(figs.f[j].name, fg->name);
        if (!taken)
            break;
        if (snprintf(fg->name, sizeof fg->name, "%s-%u", base, k) < 0)
            break;
    }
    figs.n++;
    const char *name = fg->name;
    snprintf(want, want_cap, "%s", name); /* the caller's name, as made */
    snprintf(fg->script, sizeof fg->script, "%s", script);
    *dat = open_out(name, ".dat", dat_path, PATH_MAX);
    *pre = open_out(name, ".gp", pre_path, PATH_MAX);
    fprintf(*dat, "# %s.dat: %s\n# generated by heaplab plot from run %s "
                  "(docs/plots.md); do not edit\n", name, what, run_name());
    fprintf(*pre, "# %s.gp: the variables of %s for plots/%s\n"
                  "# generated by heaplab plot (docs/plots.md); do not edit\n"
                  "data = datadir . \"/%s.dat\"\n", name, name, script, name);
}

/* Figure geometry, inches: one column of a two-column paper. */
#define FIG_WIDTH_IN 3.3
#define KEY_SAMPLE_IN 0.42 /* sample 0.24, gaps */
#define KEY_ROW_IN 0.16
#define TITLE_IN 0.22
#define LINE_PLOT_IN 2.1 /* a line plot's height below its key */

/* The width of text at 8 pt in DejaVu Sans, inches: its advance widths
 * (font units of 2048 per em) for printable ASCII, anything else as a
 * digit.  Used to lay out keys and margins; the PDF measured agrees within
 * a few percent (pdftotext -bbox). */
static double text_in(const char *s)
{
    static const unsigned short adv[95] = {
        651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024,
        1716, 651,  739,  651,  690,  1303, 1303, 1303, 1303, 1303, 1303,
        1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087, 2048,
        1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343,
        1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401,
        2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024, 1024, 1255,
        1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,
        1995, 1298, 1253, 1300, 1300, 842,  1067, 803,  1298, 1212, 1675,
        1212, 1212, 1075, 1303, 690,  1303, 1716,
    };
    double units = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        units += *p >= 32 && *p < 127 ? adv[*p - 32] : 1303;
    return units / 2048.0 * 8.0 / 72.0;
}

/* A key group of n entries whose widest text is text_in wide: its column
 * width (returned), columns and rows. */
static double key_grid(double text_in, size_t n, size_t *cols, size_t *rows)
{
    double colw = KEY_SAMPLE_IN + text_in;
    size_t c = (size_t)((FIG_WIDTH_IN - 0.1) / colw);
    c = c < 1 ? 1 : c > n ? n : c;
    *cols = c ? c : 1;
    *rows = n ? (n + *cols - 1) / *cols : 0;
    return colw;
}

/* The series' styles and labels.  Style i is series i's line (its
 * dash); style 100 + i the same with a solid line, for points and error
 * bars.  A series of an env other than host has open points; the key
 * names each allocator once (keyed[i]), and when the figure has another
 * env than host, envlbl[] names each env beside its point (filled: host,
 * open: any other), with the clocks of its cells if clocks_too ("qemu:
 * icount").  extra: the
 * label of one more key entry the script adds, or NULL.  Returns the
 * key's height (key_in). */
static double pre_series(FILE *pre, const struct series_set *ss,
                          struct cell *const *cells, size_t ncells,
                          const char *extra, bool clocks_too)
{
    size_t nentries = extra != NULL;
    double maxtext = extra ? text_in(extra) : 0;
    size_t n1 = ss->n ? ss->n : 1;
    fprintf(pre, "nseries = %zu\narray lbl[%zu]\narray keyed[%zu]\n", ss->n,
            n1, n1);
    const char *envs[16];
    size_t nenvs = 0;
    for (size_t i = 0; i < ss->n; i++) {
        size_t rank;
        struct style st = style_of(ss->s[i].alloc, &rank);
        bool host = !strcmp(ss->s[i].env, "host");
        int pt = host || st.pt == PT_STAR ? st.pt : st.pt - 1;
        fprintf(pre, "set style line %zu lc rgb \"%s\" dt %s pt %d lw LW "
                     "ps PS\n", i + 1, st.rgb, dashes[st.dt], pt);
        fprintf(pre, "set style line %zu lc rgb \"%s\" dt 1 pt %d lw LW "
                     "ps PS\n", 100 + i + 1, st.rgb, pt);
        char l[64];
        snprintf(l, sizeof l, "lbl[%zu]", i + 1);
        gp_text(pre, l, ss->s[i].alloc);
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= ss->s[j].alloc != ss->s[i].alloc;
        fprintf(pre, "keyed[%zu] = %d\n", i + 1, first);
        if (first) {
            nentries++;
            if (text_in(ss->s[i].alloc) > maxtext)
                maxtext = text_in(ss->s[i].alloc);
        }
        bool seen = false;
        for (size_t j = 0; j < nenvs; j++)
            seen |= envs[j] == ss->s[i].env;
        if (!seen && nenvs < 16)
            envs[nenvs++] = ss->s[i].env;
    }
    bool other = nenvs > 1 || (nenvs == 1 && strcmp(envs[0], "host"));
    size_t e1 = nenvs ? nenvs : 1;
    fprintf(pre, "nenv = %zu\narray envlbl[%zu]\narray envpt[%zu]\n"
                 "do for [j = 1 : %zu] { envlbl[j] = \"\"; envpt[j] = %d }\n",
            other ? nenvs : 0, e1, e1, e1, PT_CIRCLE);
    double envtext = 0;
    for (size_t j = 0; other && j < nenvs; j++) {
        bool host = !strcmp(envs[j], "host");
        char text[256], l[64];
        size_t w = (size_t)snprintf(text, sizeof text, "%s%s", envs[j],
                                    clocks_too ? ": " : "");
        const char *clocks[8];
        size_t nclocks = 0;
        for (size_t i = 0; clocks_too && i < ncells && w < sizeof text;
             i++) {
            if (cells[i]->env != envs[j])
                continue;
            bool seen = false;
            for (size_t k = 0; k < nclocks; k++)
                seen |= clocks[k] == cells[i]->clock;
            if (seen || nclocks == 8)
                continue;
            clocks[nclocks++] = cells[i]->clock;
            w += (size_t)snprintf(text + w, sizeof text - w, "%s%s",
                                  nclocks > 1 ? ", " : "", cells[i]->clock);
        }
        snprintf(l, sizeof l, "envlbl[%zu]", j + 1);
        gp_text(pre, l, text);
        fprintf(pre, "envpt[%zu] = %d\n", j + 1,
                host ? PT_CIRCLE : PT_CIRCLE - 1);
        if (text_in(text) > envtext)
            envtext = text_in(text);
    }
    /* the key across the page, two groups of rows: the series (and
     * extra) entries, then the env legend, each in as many columns of its
     * widest entry (sample, text, gap) as fit */
    size_t cols, rows, ecols, erows;
    double colw = key_grid(maxtext, nentries, &cols, &rows);
    double ecolw = key_grid(envtext, other ? nenvs : 0, &ecols, &erows);
    double key_in = rows + erows ? KEY_ROW_IN * (double)(rows + erows) + 0.05
                                 : 0;
    fprintf(pre, "keycols = %zu\nkeycolw_in = %.3f\nkeyrows = %zu\n"
                 "envcols = %zu\nenvcolw_in = %.3f\nenvrows = %zu\n"
                 "key_in = %.3f\n", cols, colw, rows, ecols, ecolw, erows,
            key_in);
    return key_in;
}

/* The title, above the key (title_in: its height). */
static double pre_title(FILE *pre, const char *text)
{
    gp_text(pre, "title", text);
    double h = text[0] ? TITLE_IN : 0;
    fprintf(pre, "title_in = %.3f\n", h);
    return h;
}

/* Category tics 0 .. n-1 from instance labels, and separators between. */
static void pre_categories(FILE *pre, struct inst *const *cats, size_t n)
{
    fprintf(pre, "ncat = %zu\narray catlbl[%zu]\n", n, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        char l[64];
        snprintf(l, sizeof l, "catlbl[%zu]", i + 1);
        gp_text(pre, l, cats[i]->label);
    }
}

/* Figure size: single column (3.3 in) unless there is too much to show. */
static void pre_size(FILE *pre, double width_in, double height_in)
{
    fprintf(pre, "width_in = %.2f\nheight_in = %.2f\n", width_in, height_in);
}

/* The height of a dot plot (one column wide) with npoints rows of points:
 * 0.055 in a row, plus the key, title and axis. */
static double dot_height(size_t npoints, double top_in)
{
    double h = top_in + 0.7 + 0.055 * (double)npoints;
    return h < 1.9 ? 1.9 : h;
}

/* The x offset of series i of n within a category (points side by side). */
static double dodge(size_t i, size_t n)
{
    double w = n > 1 ? 0.8 / (double)n : 0;
    return ((double)i - (double)(n - 1) / 2.0) * w;
}

/* Log scale when the values span more than this ratio. */
#define LOG_RATIO 30.0

static bool wants_log(double lo, double hi)
{
    return lo > 0 && hi / lo > LOG_RATIO;
}

/* A step of 1, 2 or 5 times a power of ten giving at most max_tics tics
 * on [0, hi] (narrow axes crowd gnuplot's own choice). */
static double lin_step(double hi, int max_tics)
{
    if (!(hi > 0))
        return 1;
    double raw = hi / max_tics, p = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (mult[i] * p >= raw)
            return mult[i] * p;
    return 10 * p;
}

/* The factor between major tics of a log axis over [lo, hi]: 10, or 100
 * when more than max_decades decades would crowd their labels. */
static int log_step(double lo, double hi, int max_decades)
{
    if (!(lo > 0) || !(hi > lo))
        return 10;
    double decades = ceil(log10(hi)) - floor(log10(lo));
    return decades > max_decades ? 100 : 10;
}

/* ---- figure 1: cost per op by allocator and workload -------------------- */

static const char *const fam_order[] = {"heap", "frame"};

/* Families in the order heap, frame, then others as they appear. */
static size_t families(const char **out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < R.ninsts; i++)
            if (R.insts[i]->family && !strcmp(R.insts[i]->family,
                                              fam_order[k])) {
                out[n++] = R.insts[i]->family;
                break;
            }
    for (size_t i = 0; i < R.ninsts && n < max; i++) {
        const char *f = R.insts[i]->family;
        bool seen = !f;
        for (size_t j = 0; j < n; j++)
            seen |= out[j] == f;
        if (!seen)
            out[n++] = f;
    }
    return n;
}

/* The instances of family fam that have a cell passing keep(), in order. */
static size_t insts_with(const char *fam, bool (*keep)(const struct cell *),
                         struct inst **out)
{
    size_t n = 0;
    for (size_t i = 0; i < R.ninsts; i++) {
        struct inst *in = R.insts[i];
        if ((fam && in->family != fam) || !in_suite(in))
            continue;
        for (size_t k = 0; k < R.ncells; k++)
            if (R.cells[k]->inst == in && keep(R.cells[k])) {
                out[n++] = in;
                break;
            }
    }
    return n;
}

static enum unit keep_unit;
static bool keep_cost(const struct cell *c)
{
    return c->has_sum && unit_of(c->clock) == keep_unit;
}

static size_t inst_index(struct inst *const *v, size_t n, const struct inst *in)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == in)
            return i;
    return SIZE_MAX;
}

/* Collect cells passing keep() whose instance is in cats. */
static size_t cells_in(struct inst *const *cats, size_t ncats,
                       bool (*keep)(const struct cell *), struct cell **out)
{
    size_t n = 0;
    for (size_t k = 0; k < R.ncells; k++)
        if (keep(R.cells[k]) &&
            inst_index(cats, ncats, R.cells[k]->inst) != SIZE_MAX)
            out[n++] = R.cells[k];
    return n;
}

/* The cost axis of unit u, "TSC cycles per op" (per: "op", "call",
 * "access (net of the loop)"); a modelled axis names its model (meta.csv
 * `model`): "modelled cycles per op (skylake-client)". */
static void unit_axis(char *out, size_t cap, enum unit u, const char *per)
{
    const char *model = meta_get("model");
    if (u == UNIT_MODELLED && model && model[0])
        snprintf(out, cap, "%s per %s (%s)", units[u].ticks, per, model);
    else
        snprintf(out, cap, "%s per %s", units[u].ticks, per);
}

static void fig_cost(const char *fam, enum unit u)
{
    struct inst **cats = xrealloc(NULL, R.ninsts * sizeof *cats);
    struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
    keep_unit = u;
    size_t ncat = insts_with(fam, keep_cost, cats);
    size_t ncells = cells_in(cats, ncat, keep_cost, cells);
    struct series_set ss = {0};
    for (size_t i = 0; i < ncells; i++)
        series_add(&ss, cells[i]);
    series_sort(&ss);

    char name[256], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig1%s-cost-%s-%s", units[u].letter,
             units[u].word, fam);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "cost.gp", &dat, &pre, dat_path, pre_path,
              "summary.csv cycles_per_op_median, _ci_lo, _ci_hi by "
              "workload; one index block per series");
    fprintf(dat, "# columns: y (category + dodge), median, ci_lo, ci_hi "
                 "(NaN: no CI, n < 6, or a zero-width one); comment: the "
                 "workload\n");
    double vmin = INFINITY, vmax = 0;
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc,
                ss.s[s].env);
        for (size_t k = 0; k < ncat; k++)
            for (size_t i = 0; i < ncells; i++) {
                struct cell *c = cells[i];
                if (c->inst != cats[k] || series_index(&ss, c) != s)
                    continue;
                put_num(dat, (double)k + dodge(s, ss.n));
                fputc(' ', dat);
                put_num(dat, c->med);
                fputc(' ', dat);
                put_ci(dat, c);
                fprintf(dat, " # %s\n", c->inst->label);
                if (c->lo < vmin) /* <= 0 (net of the floor): linear */
                    vmin = c->lo;
                if (c->hi > vmax)
                    vmax = c->hi;
            }
    }
    double top = pre_series(pre, &ss, cells, ncells, NULL, true);
    pre_categories(pre, cats, ncat);
    fprintf(pre, "logx = %d\nlogstep = %d\nlinstep = ", wants_log(vmin, vmax),
            log_step(vmin, vmax, 3));
    put_num(pre, lin_step(vmax - fmin(vmin, 0), 4));
    fputc('\n', pre);
    char title[128];
    bool any_ci = false;
    for (size_t i = 0; i < ncells; i++)
        any_ci |= cells[i]->lo != cells[i]->hi;
    snprintf(title, sizeof title, "%s allocators: median%s", fam,
             any_ci ? ", 95% CI" : " (no CI: n < 6 reps)");
    top += pre_title(pre, title);
    pre_size(pre, FIG_WIDTH_IN, dot_height(ncat * ss.n, top));
    char axis[200];
    unit_axis(axis, sizeof axis, u, "op");
    gp_text(pre, "xlabel", axis);
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s summary.csv: %zu workloads x %zu series\n", name, ncat,
           ss.n);
    free(ss.s);
    free(cats);
    free(cells);
}

static void figs_cost(void)
{
    const char *fams[64];
    size_t nf = families(fams, 64);
    for (int u = UNIT_CYCLES; u < NUNITS; u++) {
        bool any = false;
        for (size_t f = 0; f < nf; f++) {
            keep_unit = (enum unit)u;
            struct inst **cats = xrealloc(NULL, R.ninsts * sizeof *cats);
            size_t n = insts_with(fams[f], keep_cost, cats);
            free(cats);
            if (n) {
                fig_cost(fams[f], (enum unit)u);
                any = true;
            }
        }
        if (!any) {
            char name[64];
            snprintf(name, sizeof name, "fig1%s-cost-%s", units[u].letter,
                     units[u].word);
            printf("  %-44s skipped: no summary.csv rows with %s\n", name,
                   units[u].clocks);
        }
    }
    size_t other = 0;
    for (size_t i = 0; i < R.ncells; i++)
        other += R.cells[i]->has_sum &&
                 unit_of(R.cells[i]->clock) == UNIT_OTHER;
    if (other)
        printf("  note: %zu summary.csv rows of another clock (tsc-tcg, "
               "tsc-kvm, ...) are not drawn\n", other);
}

/* ---- figure 1d: cache misses per op beside figure 1c -------------------- */

/* The workload labels of a dot plot's categories and their widest text. */
static void pre_dot_categories(FILE *pre, struct inst **cats, size_t ncat)
{
    pre_categories(pre, cats, ncat);
    double catw = 0;
    for (size_t k = 0; k < ncat; k++)
        catw = text_in(cats[k]->label) > catw ? text_in(cats[k]->label) : catw;
    fprintf(pre, "catw_in = %.3f\n", catw);
}

/* The end of a dot plot in panels (fig1d, fig6): title, size, files
 * closed, the summary line; frees ss's series, cats and cells. */
static void end_panels_fig(FILE *dat, FILE *pre, const char *dat_path, const char *pre_path,
                           const char *name, const char *title, double top, size_t ncat,
                           struct series_set *ss, struct inst **cats, struct cell **cells)
{
    top += pre_title(pre, title);
    pre_size(pre, FIG_WIDTH_IN, dot_height(ncat * ss->n, top));
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s cells.csv: %zu workloads x %zu series\n", name, ncat, ss->n);
    free(ss->s);
    free(cats);
    free(cells);
}

/* draw(fam) for each family with cells keep() takes; else one skip line. */
static void figs_each_family(bool (*keep)(const struct cell *), void (*draw)(const char *),
                             const char *skip_name, const char *skip_why)
{
    const char *fams[64];
    size_t nf = families(fams, 64), drawn = 0;
    for (size_t f = 0; f < nf; f++) {
        struct inst **cats = xrealloc(NULL, R.ninsts * sizeof *cats);
        size_t n = insts_with(fams[f], keep, cats);
        free(cats);
        if (n) {
            draw(fams[f]);
            drawn++;
        }
    }
    if (!drawn)
        printf("  %-44s skipped: %s\n", skip_name, skip_why);
}

static bool keep_misses(const struct cell *c)
{
    return c->nmiss > 0;
}

/* " median min max" of v[0..n) (sorts v; "NaN NaN" for min and max when
 * they are equal: no bar); *lo, *hi widened to the median, min and max. */
static void miss_stats(FILE *dat, double *v, size_t n, double *lo, double *hi)
{
    qsort(v, n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    fputc(' ', dat);
    put_num(dat, med);
    if (v[0] == v[n - 1]) {
        fputs(" NaN NaN", dat);
    } else {
        fputc(' ', dat);
        put_num(dat, v[0]);
        fputc(' ', dat);
        put_num(dat, v[n - 1]);
    }
    *lo = fmin(*lo, v[0]);
    *hi = fmax(*hi, v[n - 1]);
}

/* One panel's x axis over [lo, hi] (the values drawn): log when every
 * value is positive and they span more than LOG_RATIO, else linear from
 * 0 (or below, for a count net of the floor that is negative). */
static void pre_miss_axis(FILE *pre, int panel, double lo, double hi)
{
    bool lg = wants_log(lo, hi);
    double xmin = lo < 0 ? lo * 1.1 : 0, xmax = hi > 0 ? hi * 1.1 : 1;
    fprintf(pre, "logx%d = %d\nlogstep%d = %d\nxmin%d = ", panel, lg, panel,
            log_step(lo, hi, 2), panel);
    put_num(pre, xmin);
    fprintf(pre, "\nxmax%d = ", panel);
    put_num(pre, xmax);
    fprintf(pre, "\nlinstep%d = ", panel);
    put_num(pre, lin_step(xmax - xmin, 3));
    fputc('\n', pre);
}

static void fig_misses(const char *fam)
{
    struct inst **cats = xrealloc(NULL, R.ninsts * sizeof *cats);
    struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
    size_t ncat = insts_with(fam, keep_misses, cats);
    size_t ncells = cells_in(cats, ncat, keep_misses, cells);
    struct series_set ss = {0};
    for (size_t i = 0; i < ncells; i++)
        series_add(&ss, cells[i]);
    series_sort(&ss);
    char name[256], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig1d-misses-%s", fam);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "misses.gp", &dat, &pre, dat_path, pre_path,
              "cells.csv l1d_misses_per_op, llc_misses_per_op of the "
              "clock=modelled rows, over the reps with figures; one index "
              "block per series");
    fprintf(dat, "# columns: y (category + dodge), L1d median, min, max, "
                 "LLC median, min, max (misses per op, net of the harness "
                 "floor; NaN NaN: min = max); comment: the workload, reps\n");
    double lo1 = INFINITY, hi1 = -INFINITY, lo3 = INFINITY, hi3 = -INFINITY;
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc,
                ss.s[s].env);
        for (size_t k = 0; k < ncat; k++)
            for (size_t i = 0; i < ncells; i++) {
                struct cell *c = cells[i];
                if (c->inst != cats[k] || series_index(&ss, c) != s)
                    continue;
                put_num(dat, (double)k + dodge(s, ss.n));
                miss_stats(dat, c->ml1, c->nmiss, &lo1, &hi1);
                miss_stats(dat, c->mllc, c->nmiss, &lo3, &hi3);
                fprintf(dat, " # %s, %zu reps\n", c->inst->label, c->nmiss);
            }
    }
    double top = pre_series(pre, &ss, cells, ncells, NULL, false);
    pre_dot_categories(pre, cats, ncat);
    pre_miss_axis(pre, 1, lo1, hi1);
    pre_miss_axis(pre, 2, lo3, hi3);
    gp_text(pre, "xlabel1", "L1d misses per op");
    gp_text(pre, "xlabel2", "LLC misses per op");
    const char *model = meta_get("model");
    char title[200];
    snprintf(title, sizeof title, "%s allocators: cache misses, model %s", fam,
             model && model[0] ? model : "unnamed");
    end_panels_fig(dat, pre, dat_path, pre_path, name, title, top, ncat, &ss, cats, cells);
}

static void figs_misses(void)
{
    figs_each_family(keep_misses, fig_misses, "fig1d-misses",
                     "no cells.csv rows with clock=modelled and misses per op "
                     "(heaplab run --clock modelled)");
}

/* ---- figure 2: latency CDF per workload --------------------------------- */

static bool keep_latency(const struct cell *c)
{
    return c->nb > 0 && unit_of(c->clock) == keep_unit;
}

static const double cdf_marks[] = {0.5, 0.9, 0.99};

static void fig_latency(struct inst *in, enum unit u)
{
    struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
    keep_unit = u;
    size_t ncells = cells_in(&in, 1, keep_latency, cells);
    struct series_set ss = {0};
    for (size_t i = 0; i < ncells; i++)
        series_add(&ss, cells[i]);
    series_sort(&ss);

    char name[400], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig2-latency-%s%s", in->slug,
             units[u].tag);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "latency.gp", &dat, &pre, dat_path, pre_path,
              "latency.csv buckets, every rep pooled, as a CDF; index "
              "2s: the curve, 2s+1: its p50, p90, p99 marks");
    fprintf(dat, "# columns: x = bucket_hi (the curve starts at the first "
                 "bucket_lo, at least 1), cumulative fraction of calls\n");
    double xmin = INFINITY, xmax = 0;
    for (size_t s = 0; s < ss.n; s++) {
        struct cell *c = NULL;
        for (size_t i = 0; i < ncells; i++)
            if (series_index(&ss, cells[i]) == s)
                c = cells[i];
        double total = 0;
        for (size_t k = 0; k < c->nb; k++)
            total += c->b[k].count;
        fprintf(dat, "\n\n# series %zu: %s %s, %.0f calls, %zu buckets\n",
                s + 1, c->alloc, c->env, total, c->nb);
        put_num(dat, c->b[0].lo < 1 ? 1 : c->b[0].lo);
        fputs(" 0\n", dat);
        if ((c->b[0].lo < 1 ? 1 : c->b[0].lo) < xmin)
            xmin = c->b[0].lo < 1 ? 1 : c->b[0].lo;
        if (c->b[c->nb - 1].hi > xmax)
            xmax = c->b[c->nb - 1].hi;
        double cum = 0;
        for (size_t k = 0; k < c->nb; k++) {
            cum += c->b[k].count;
            put_num(dat, c->b[k].hi < 1 ? 1 : c->b[k].hi);
            fprintf(dat, " %.6f\n", total > 0 ? cum / total : 0);
        }
        fprintf(dat, "\n\n# series %zu marks: p50, p90, p99\n", s + 1);
        for (size_t q = 0; q < sizeof cdf_marks / sizeof cdf_marks[0]; q++) {
            cum = 0;
            for (size_t k = 0; k < c->nb; k++) {
                cum += c->b[k].count;
                if (total > 0 && cum / total >= cdf_marks[q]) {
                    put_num(dat, c->b[k].hi < 1 ? 1 : c->b[k].hi);
                    fprintf(dat, " %.6f\n", cum / total);
                    break;
                }
            }
        }
    }
    double top = pre_series(pre, &ss, cells, ncells, NULL, true);
    char title[300];
    snprintf(title, sizeof title, "%s (marks: p50, p90, p99)", in->label);
    top += pre_title(pre, title);
    pre_size(pre, FIG_WIDTH_IN, LINE_PLOT_IN + top);
    char axis[200];
    unit_axis(axis, sizeof axis, u,
              u == UNIT_CYCLES ? "call (incl. timer)" : "call");
    gp_text(pre, "xlabel", axis);
    fprintf(pre, "logstep = %d\n", log_step(xmin, xmax, 6));
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s latency.csv: %zu series, reps pooled\n", name, ss.n);
    free(ss.s);
    free(cells);
}

static void figs_latency(void)
{
    size_t drawn = 0;
    for (int u = UNIT_CYCLES; u < NUNITS; u++)
        for (size_t i = 0; i < R.ninsts; i++) {
            if (!in_suite(R.insts[i]))
                continue;
            keep_unit = (enum unit)u;
            struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
            size_t n = cells_in(&R.insts[i], 1, keep_latency, cells);
            free(cells);
            if (n) {
                fig_latency(R.insts[i], (enum unit)u);
                drawn++;
            }
        }
    if (!drawn)
        printf("  %-44s skipped: latency.csv has no rows\n", "fig2-latency");
}

/* ---- figure 3: live bytes and footprint over time ----------------------- */

static bool keep_timeline(const struct cell *c)
{
    return c->ns > 0;
}

static void byte_unit(double max, double *scale, const char **unit)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    size_t k = 0;
    *scale = 1;
    while (k + 1 < 5 && max >= 1024 * *scale * 2) {
        *scale *= 1024;
        k++;
    }
    *unit = units[k];
}

static bool same_live(const struct cell *a, const struct cell *b)
{
    if (a->ns != b->ns)
        return false;
    for (size_t k = 0; k < a->ns; k++)
        if (a->s[k].op != b->s[k].op || a->s[k].live != b->s[k].live)
            return false;
    return true;
}

static void fig_timeline(struct inst *in)
{
    struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
    size_t ncells = cells_in(&in, 1, keep_timeline, cells);
    /* one (env, allocator) may have cells of several clocks: the first */
    struct series_set ss = {0};
    for (size_t i = 0; i < ncells; i++)
        series_add(&ss, cells[i]);
    series_sort(&ss);
    struct cell **by = xrealloc(NULL, ss.n * sizeof *by);
    for (size_t s = 0; s < ss.n; s++)
        by[s] = NULL;
    for (size_t i = 0; i < ncells; i++) {
        size_t s = series_index(&ss, cells[i]);
        if (!by[s])
            by[s] = cells[i];
    }

    char name[400], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig3-space-%s", in->slug);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "space.gp", &dat, &pre, dat_path, pre_path,
              "timeline.csv of the lowest rep (rep 0); one index block "
              "per series");
    fprintf(dat, "# columns: op_index, live_bytes, held_bytes\n");
    double max = 0;
    bool all_same = true;
    uint64_t rep = ss.n && by[0] ? by[0]->tl_rep : 0;
    for (size_t s = 0; s < ss.n; s++) {
        struct cell *c = by[s];
        all_same &= same_live(by[0], c);
        fprintf(dat, "\n\n# series %zu: %s %s, rep %llu\n", s + 1, c->alloc,
                c->env, (unsigned long long)c->tl_rep);
        for (size_t k = 0; k < c->ns; k++) {
            put_num(dat, c->s[k].op);
            fputc(' ', dat);
            put_num(dat, c->s[k].live);
            fputc(' ', dat);
            put_num(dat, c->s[k].held);
            fputc('\n', dat);
            if (c->s[k].held > max)
                max = c->s[k].held;
            if (c->s[k].live > max)
                max = c->s[k].live;
        }
    }
    double scale;
    const char *unit;
    byte_unit(max, &scale, &unit);
    double top = pre_series(pre, &ss, by, ss.n,
                            all_same ? "live (requested)"
                                     : "live (requested), dotted",
                            false);
    top += pre_title(pre, in->label);
    pre_size(pre, FIG_WIDTH_IN, LINE_PLOT_IN + top);
    fprintf(pre, "live_same = %d\nyscale = %.1f\n", all_same, scale);
    fprintf(pre, "array pi_[%zu]\n", ss.n);
    for (size_t s = 0; s < ss.n; s++) /* about 6 marks per line, staggered */
        fprintf(pre, "pi_[%zu] = %zu\n", s + 1,
                by[s]->ns / 6 ? by[s]->ns / 6 : 1);
    char text[160];
    snprintf(text, sizeof text, "bytes (%s)", unit);
    gp_text(pre, "ylabel", text);
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s timeline.csv: %zu series, rep %llu%s\n", name, ss.n,
           (unsigned long long)rep,
           all_same ? "" : " (live bytes differ between allocators)");
    free(by);
    free(ss.s);
    free(cells);
}

static void figs_timeline(void)
{
    size_t drawn = 0;
    for (size_t i = 0; i < R.ninsts; i++) {
        if (!in_suite(R.insts[i]))
            continue;
        struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
        size_t n = cells_in(&R.insts[i], 1, keep_timeline, cells);
        free(cells);
        if (n) {
            fig_timeline(R.insts[i]);
            drawn++;
        }
    }
    if (!drawn)
        printf("  %-44s skipped: timeline.csv has no rows\n", "fig3-space");
}

/* ---- figures 4 and 5: cost against a swept parameter -------------------- */

struct sweep_pt {
    struct cell *c;
    double k;
};

static int cmp_sweep_pt(const void *a, const void *b)
{
    const struct sweep_pt *x = a, *y = b;
    return x->k < y->k ? -1 : x->k > y->k ? 1 : 0;
}

/* params without key k: "a=1,c=3" from "a=1,b=2,c=3" and "b". */
static void params_without(const char *params, const char *k, char *out,
                           size_t cap)
{
    size_t klen = strlen(k), w = 0;
    out[0] = '\0';
    for (const char *p = params; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!(len > klen && !strncmp(p, k, klen) && p[klen] == '=') &&
            w + len + 2 < cap) {
            if (w)
                out[w++] = ',';
            memcpy(out + w, p, len);
            w += len;
            out[w] = '\0';
        }
        p += len + (end != NULL);
    }
}

static bool parse_k(const char *text, double *v)
{
    char *end;
    errno = 0;
    if (!text[0] || strspn(text, "0123456789.") != strlen(text))
        return false;
    *v = strtod(text, &end);
    return !*end && !errno && isfinite(*v);
}

/* Figure 4 (a heap workload) or 5 (a frame workload) for sweep.w,k in
 * unit u; returns its number, or 0 when there is nothing to draw.
 * *had: whether the sweep has cells in unit u (one value of k is
 * said here; no cells at all is said by the caller, once for every
 * unit). */
static int fig_sweep(const char *w, const char *k, enum unit u, bool *had)
{
    /* every summary cell of w in unit u, grouped by (params without k,
     * seed): the group with the most distinct values of k is drawn */
    struct sweep_pt *pts = xrealloc(NULL, R.ncells * sizeof *pts);
    char (*rest)[512] = xrealloc(NULL, R.ncells * sizeof *rest);
    size_t n = 0, no_k = 0;
    const char *fam = NULL;
    for (size_t i = 0; i < R.ncells; i++) {
        struct cell *c = R.cells[i];
        char val[128];
        /* with a sweep column, the sweep's own cells; without, every
         * cell of w (they differ in k) */
        if (!c->has_sum || unit_of(c->clock) != u ||
            strcmp(c->inst->workload, w) ||
            (R.sweep_col && strcmp(c->inst->sweep, k)))
            continue;
        double kv;
        if (!param_value(c->inst->params, k, val, sizeof val) ||
            !parse_k(val, &kv)) {
            no_k++;
            continue;
        }
        fam = c->inst->family;
        pts[n] = (struct sweep_pt){c, kv};
        char without[480];
        params_without(c->inst->params, k, without, sizeof without);
        snprintf(rest[n], sizeof rest[n], "%s|%s", without, c->inst->seed);
        n++;
    }
    const char *tag = units[u].tag;
    char name[400];
    const struct hl_workload *wl = hl_workload_find(w);
    *had = n > 0;
    bool frames = fam ? !strcmp(fam, "frame")
                      : wl && wl->family == HL_FAMILY_FRAME;
    /* figure 8: a vm workload (cost per page access; series = mapping
     * kind x env: TLB reach, 4 KiB against huge pages) */
    bool vm = fam ? !strcmp(fam, "vm") : wl && wl->family == HL_FAMILY_VM;
    int fig = vm ? 8 : frames ? 5 : 4;
    snprintf(name, sizeof name, vm ? "fig%d-vm-%s-%s%s" : "fig%d-sweep-%s-%s%s", fig, w, k,
             tag);
    /* the group with the most distinct k */
    size_t best = SIZE_MAX, best_nk = 0, groups = 0;
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(rest[i], rest[j]) != 0;
        if (!first)
            continue;
        groups++;
        double ks[512];
        size_t nk = 0;
        for (size_t j = 0; j < n && nk < 512; j++) {
            if (strcmp(rest[i], rest[j]))
                continue;
            bool seen = false;
            for (size_t m = 0; m < nk; m++)
                seen |= ks[m] == pts[j].k;
            if (!seen)
                ks[nk++] = pts[j].k;
        }
        if (nk > best_nk) {
            best_nk = nk;
            best = i;
        }
    }
    if (best_nk < 2) {
        if (n)
            printf("  %-44s skipped: meta.csv sweep.%s,%s but summary.csv "
                   "has one value of it\n", name, w, k);
        free(pts);
        free(rest);
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rest[i], rest[best]))
            pts[m++] = pts[i];
    qsort(pts, m, sizeof *pts, cmp_sweep_pt);

    struct series_set ss = {0};
    struct cell **cells = xrealloc(NULL, m * sizeof *cells);
    for (size_t i = 0; i < m; i++) {
        series_add(&ss, pts[i].c);
        cells[i] = pts[i].c;
    }
    series_sort(&ss);
    char dat_path[PATH_MAX], pre_path[PATH_MAX];
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "sweep.gp", &dat, &pre, dat_path, pre_path,
              "summary.csv cycles_per_op_median, _ci_lo, _ci_hi against "
              "the swept parameter; one index block per series");
    fprintf(dat, "# sweep.%s,%s; the other parameters: %s\n"
                 "# columns: %s, median, ci_lo, ci_hi (NaN: no CI, or a "
                 "zero-width one)\n",
            w, k, rest[best],
            k);
    double vmin = INFINITY, vmax = 0, kmin = INFINITY, kmax = 0;
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc,
                ss.s[s].env);
        for (size_t i = 0; i < m; i++) {
            struct cell *c = pts[i].c;
            if (series_index(&ss, c) != s)
                continue;
            put_num(dat, pts[i].k);
            fputc(' ', dat);
            put_num(dat, c->med);
            fputc(' ', dat);
            put_ci(dat, c);
            fputc('\n', dat);
            if (c->lo < vmin) /* <= 0 (a cost net of the floor): linear */
                vmin = c->lo;
            vmax = c->hi > vmax ? c->hi : vmax;
            kmin = pts[i].k < kmin ? pts[i].k : kmin;
            kmax = pts[i].k > kmax ? pts[i].k : kmax;
        }
    }
    double top = pre_series(pre, &ss, cells, m, NULL, true);
    /* the parameter's unit from the workload registry */
    const char *punit = NULL;
    int pi = wl ? hl_wl_param_index(wl, k) : -1;
    if (pi >= 0)
        punit = wl->params[pi].unit;
    char text[200];
    if (punit && punit[0])
        snprintf(text, sizeof text, "%s (%s)", k, punit);
    else
        snprintf(text, sizeof text, "%s", k);
    gp_text(pre, "xlabel", text);
    char axis[200];
    unit_axis(axis, sizeof axis, u, vm ? "access (net of the loop)" : "op");
    gp_text(pre, "ylabel", axis);
    if (vm)
        snprintf(text, sizeof text, "%s: cost per access against %s, by page size", w, k);
    else
        snprintf(text, sizeof text, "%s: cost against %s", w, k);
    top += pre_title(pre, text);
    pre_size(pre, FIG_WIDTH_IN, LINE_PLOT_IN + top);
    bool pct = punit && !strcmp(punit, "%");
    fprintf(pre, "logx = %d\nlogy = %d\nlogstepx = %d\nlogstepy = %d\n"
                 "kmin = ", !pct && kmin > 0 && kmax / kmin >= 10,
            wants_log(vmin, vmax), log_step(kmin, kmax, 6),
            log_step(vmin, vmax, 5));
    put_num(pre, kmin);
    fputs("\nkmax = ", pre);
    put_num(pre, kmax);
    fputc('\n', pre);
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s summary.csv: %zu values of %s x %zu series%s\n", name,
           best_nk, k, ss.n, groups > 1 ? " (one group of several)" : "");
    free(ss.s);
    free(cells);
    free(pts);
    free(rest);
    return fig;
}

/* The median of a cell's peak_footprint_bytes over its reps; NaN if
 * none. */
static double footprint_median(const struct cell *c)
{
    if (!c->nfp)
        return NAN;
    double *v = xrealloc(NULL, c->nfp * sizeof *v);
    memcpy(v, c->fp, c->nfp * sizeof *v);
    qsort(v, c->nfp, sizeof *v, cmp_double);
    double m = c->nfp % 2 ? v[c->nfp / 2] : (v[c->nfp / 2 - 1] + v[c->nfp / 2]) / 2;
    free(v);
    return m;
}

/* Figure 4 (a heap allocator) or 5 (a frame allocator) for an allocator's
 * sweep sweep.A,K (heaplab run --sweep A:K=...): cost, p99 and peak
 * footprint against K, one series per (workload instance, env), from the
 * sweep's own cells (sweep column K, K in alloc_params).  Returns its
 * number, or 0 when there is nothing to draw. */
static int fig_asweep(const char *a, const char *k, enum unit u,
                      bool *had)
{
    struct sweep_pt *pts = xrealloc(NULL, (R.ncells + 1) * sizeof *pts);
    size_t n = 0;
    const char *fam = NULL;
    struct series_set ss = {0};
    for (size_t i = 0; i < R.ncells; i++) {
        struct cell *c = R.cells[i];
        char val[128];
        double kv;
        if (!c->has_sum || unit_of(c->clock) != u || strcmp(c->alloc, a) ||
            strcmp(c->inst->sweep, k) ||
            !param_value(c->aparams, k, val, sizeof val) || !parse_k(val, &kv))
            continue;
        fam = c->inst->family;
        pts[n++] = (struct sweep_pt){c, kv};
        /* a series is a workload instance (its label) in an env */
        const char *label = intern(c->inst->label[0] ? c->inst->label
                                                      : c->inst->workload);
        bool seen = false;
        for (size_t s = 0; s < ss.n && !seen; s++)
            seen = ss.s[s].alloc == label && ss.s[s].env == c->env;
        if (!seen) {
            GROW(ss.s, ss.cap, ss.n);
            size_t rank;
            style_of(label, &rank);
            ss.s[ss.n++] = (struct series){label, c->env, rank};
        }
    }
    bool frames = fam && !strcmp(fam, "frame");
    const char *tag = units[u].tag;
    char name[400];
    *had = n > 0;
    snprintf(name, sizeof name, "fig%d-sweep-%s-%s%s", frames ? 5 : 4, a, k, tag);
    double kmin = INFINITY, kmax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        kmin = pts[i].k < kmin ? pts[i].k : kmin;
        kmax = pts[i].k > kmax ? pts[i].k : kmax;
    }
    if (n == 0 || kmin == kmax) {
        if (n)
            printf("  %-44s skipped: meta.csv sweep.%s,%s but summary.csv "
                   "has one value of it\n", name, a, k);
        free(pts);
        free(ss.s);
        return 0;
    }
    qsort(pts, n, sizeof *pts, cmp_sweep_pt);
    series_sort(&ss);
    struct cell **cells = xrealloc(NULL, n * sizeof *cells);
    for (size_t i = 0; i < n; i++)
        cells[i] = pts[i].c;
    char dat_path[PATH_MAX], pre_path[PATH_MAX];
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "asweep.gp", &dat, &pre, dat_path, pre_path,
              "summary.csv cycles_per_op_median, _ci_lo, _ci_hi and "
              "p99_median, cells.csv peak_footprint_bytes (median over reps) "
              "against the allocator's swept parameter; one index block per "
              "series (workload, env)");
    fprintf(dat, "# sweep.%s,%s\n# columns: %s, median, ci_lo, ci_hi (NaN: no "
                 "CI), p99 (NaN: none), peak footprint KiB\n", a, k, k);
    double vmin = INFINITY, vmax = 0;
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc, ss.s[s].env);
        for (size_t i = 0; i < n; i++) {
            struct cell *c = pts[i].c;
            const char *label = intern(c->inst->label[0] ? c->inst->label
                                                          : c->inst->workload);
            if (label != ss.s[s].alloc || c->env != ss.s[s].env)
                continue;
            put_num(dat, pts[i].k);
            fputc(' ', dat);
            put_num(dat, c->med);
            put_ci(dat, c);
            fputc(' ', dat);
            if (c->has_p99)
                put_num(dat, c->p99);
            else
                fputs("NaN", dat);
            fputc(' ', dat);
            double fpm = footprint_median(c);
            if (isnan(fpm))
                fputs("NaN", dat);
            else
                put_num(dat, fpm / 1024.0);
            fputc('\n', dat);
            if (c->lo < vmin) /* <= 0 (a cost net of the floor): linear */
                vmin = c->lo;
            vmax = c->hi > vmax ? c->hi : vmax;
        }
    }
    double top = pre_series(pre, &ss, cells, n, NULL, true);
    const struct hl_allocator *al = hl_allocator_find(a);
    int pi = al ? hl_al_param_index(al, k) : -1;
    const char *punit = pi >= 0 ? al->params[pi].unit : NULL;
    char text[200];
    if (punit && punit[0])
        snprintf(text, sizeof text, "%s %s (%s)", a, k, punit);
    else
        snprintf(text, sizeof text, "%s %s", a, k);
    gp_text(pre, "xlabel", text);
    char axis[200];
    unit_axis(axis, sizeof axis, u, "op");
    gp_text(pre, "ylabel", axis);
    gp_text(pre, "ylabel2", u == UNIT_CYCLES ? "p99 (TSC cycles)" : "p99");
    gp_text(pre, "ylabel3", "peak footprint (KiB)");
    snprintf(text, sizeof text, "%s: cost, p99, footprint against %s", a, k);
    top += pre_title(pre, text);
    pre_size(pre, FIG_WIDTH_IN, 3 * LINE_PLOT_IN + top);
    fprintf(pre, "logx = %d\nlogy = %d\nlogstepx = %d\nkmin = ",
            kmin > 0 && kmax / kmin >= 10, wants_log(vmin, vmax),
            log_step(kmin, kmax, 6));
    put_num(pre, kmin);
    fputs("\nkmax = ", pre);
    put_num(pre, kmax);
    fputc('\n', pre);
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s summary.csv, cells.csv: %zu cells of %s x %zu series\n", name,
           n, k, ss.n);
    free(ss.s);
    free(cells);
    free(pts);
    return frames ? 5 : 4;
}

/* Does some cell belong to allocator a? */
static bool is_allocator_of_run(const char *a)
{
    for (size_t i = 0; i < R.ncells; i++)
        if (!strcmp(R.cells[i]->alloc, a))
            return true;
    return false;
}

/* The name of the TSC figure of sweep.x,k (a workload's, or an
 * allocator's if alloc), from the registries: for a skip line. */
static const char *sweep_name(const char *x, const char *k, bool alloc)
{
    static char name[400];
    const struct hl_workload *wl = alloc ? NULL : hl_workload_find(x);
    const struct hl_allocator *al = alloc ? hl_allocator_find(x) : NULL;
    enum hl_family fam = wl ? wl->family : al ? al->family : HL_FAMILY_HEAP;
    snprintf(name, sizeof name, "fig%d-%s-%s-%s",
             fam == HL_FAMILY_VM ? 8 : fam == HL_FAMILY_FRAME ? 5 : 4,
             fam == HL_FAMILY_VM ? "vm" : "sweep", x, k);
    return name;
}

static void figs_sweep(void)
{
    bool drawn[9] = {false};
    for (size_t i = 0; i < R.nmeta; i++) {
        if (strncmp(R.meta[i].key, "sweep.", 6))
            continue;
        const char *x = R.meta[i].key + 6, *k = R.meta[i].value;
        bool alloc = !hl_workload_find(x) && is_allocator_of_run(x);
        bool any = false; /* cells of the sweep in some unit */
        for (int u = UNIT_CYCLES; u < NUNITS; u++) {
            bool had;
            drawn[alloc ? fig_asweep(x, k, (enum unit)u, &had)
                        : fig_sweep(x, k, (enum unit)u, &had)] = true;
            any |= had;
        }
        if (!any) /* named as the TSC figure would be */
            printf("  %-44s skipped: meta.csv sweep.%s,%s but summary.csv "
                   "has no such cells\n", sweep_name(x, k, alloc), x, k);
    }
    if (!drawn[4])
        printf("  %-44s skipped: no sweep of a heap workload (meta.csv "
               "sweep.W,K and its cells; heaplab run --sweep)\n",
               "fig4-sweep");
    if (!drawn[5])
        printf("  %-44s skipped: no sweep of a frame workload (meta.csv "
               "sweep.W,K and its cells; heaplab run --sweep)\n",
               "fig5-sweep");
}

/* ---- figure 6: fragmentation -------------------------------------------- */

static bool keep_frag(const struct cell *c)
{
    return c->nfrag > 0;
}

/* median, min, max of v[0..n) in percent (sorts v) */
static void frag_stats(FILE *dat, double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    if (v[0] == v[n - 1]) /* no spread: no bar */
        fprintf(dat, " %.4f NaN NaN", 100 * med);
    else
        fprintf(dat, " %.4f %.4f %.4f", 100 * med, 100 * v[0],
                100 * v[n - 1]);
}

static void fig_frag(const char *fam)
{
    struct inst **cats = xrealloc(NULL, R.ninsts * sizeof *cats);
    struct cell **cells = xrealloc(NULL, R.ncells * sizeof *cells);
    size_t ncat = insts_with(fam, keep_frag, cats);
    size_t nall = cells_in(cats, ncat, keep_frag, cells);
    /* fragmentation does not depend on the clock: one cell per series and
     * instance (the first, normally the tsc one) */
    struct series_set ss = {0};
    for (size_t i = 0; i < nall; i++)
        series_add(&ss, cells[i]);
    series_sort(&ss);
    char name[256], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig6-frag-%s", fam);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "frag.gp", &dat, &pre, dat_path, pre_path,
              "cells.csv frag_internal, frag_external over the reps with "
              "figures; one index block per series");
    fprintf(dat, "# columns: y (category + dodge), internal median, min, "
                 "max, external median, min, max (percent; NaN NaN: min = "
                 "max); comment: the workload, reps\n");
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc,
                ss.s[s].env);
        for (size_t k = 0; k < ncat; k++)
            for (size_t i = 0; i < nall; i++) {
                struct cell *c = cells[i];
                if (c->inst != cats[k] || series_index(&ss, c) != s)
                    continue;
                /* one cell per series and workload: the tsc one, else
                 * the first (the clock does not change fragmentation) */
                bool skip = false;
                for (size_t j = 0; j < nall && !skip; j++)
                    if (j != i && cells[j]->inst == c->inst &&
                        series_index(&ss, cells[j]) == s)
                        skip = strcmp(c->clock, "tsc")
                                   ? !strcmp(cells[j]->clock, "tsc") || j < i
                                   : !strcmp(cells[j]->clock, "tsc") && j < i;
                if (skip)
                    continue;
                put_num(dat, (double)k + dodge(s, ss.n));
                frag_stats(dat, c->fi, c->nfrag);
                frag_stats(dat, c->fe, c->nfrag);
                fprintf(dat, " # %s, %zu reps\n", c->inst->label, c->nfrag);
            }
    }
    double top = pre_series(pre, &ss, cells, nall, NULL, false);
    pre_dot_categories(pre, cats, ncat);
    char title[128];
    snprintf(title, sizeof title, "fragmentation, %s allocators", fam);
    end_panels_fig(dat, pre, dat_path, pre_path, name, title, top, ncat, &ss, cats, cells);
}

static void figs_frag(void)
{
    figs_each_family(keep_frag, fig_frag, "fig6-frag", "cells.csv has no rows with figures");
}

/* ---- figure 7: cost relative to a baseline ----------------------------- */

/* cells.csv as runcells.c reads it (launches, paired rounds), and the
 * baseline. */
static struct {
    struct rc_run run;
    const char *baseline;
} RT;

/* Step 1 for figure 7: cells.csv again, grouped per cell and launch
 * (runcells.h, through the same reader as read_cells); a fault in it, or
 * a --baseline the run does not have, is bad usage. */
static void read_ratio_run(const char *baseline)
{
    char why[1024];
    if (rc_read(R.dir, &RT.run, why, sizeof why))
        cli_usage_fail("%s", why);
    if (baseline && !hl_run_has_allocator(&RT.run, baseline))
        cli_usage_fail("bad value for --baseline: no allocator '%s' in "
                       "'%s'", baseline, RT.run.path);
    RT.baseline = baseline ? baseline : hl_default_baseline(&RT.run);
}

/* The plot cell of ratio r (its allocator's suite cell), or NULL. */
static struct cell *ratio_cell(const struct hl_ratio *r)
{
    const struct rc_cell *c = r->cell;
    if (c->k[RC_SWEEP][0])
        return NULL;
    struct inst *in = inst_for(c->k[RC_WORKLOAD], c->k[RC_PARAMS],
                               c->k[RC_SEED], "");
    return cell_find(c->k[RC_ENV], c->k[RC_CLOCK], c->k[RC_ALLOCATOR], NULL,
                     in, false);
}

static bool keep_ratio_of(const struct hl_ratio *r, const char *fam,
                          enum unit u)
{
    struct cell *c = ratio_cell(r);
    return c && !isnan(r->ratio.est) && unit_of(c->clock) == u &&
           c->inst->family && !strcmp(c->inst->family, fam);
}

static void fig_ratio(const char *fam, enum unit u, const struct hl_ratio *r,
                      size_t nr)
{
    struct inst **cats = xrealloc(NULL, (R.ninsts + 1) * sizeof *cats);
    struct cell **cells = xrealloc(NULL, (nr + 1) * sizeof *cells);
    const struct hl_ratio **rs = xrealloc(NULL, (nr + 1) * sizeof *rs);
    size_t ncells = 0, ncat = 0;
    for (size_t i = 0; i < R.ninsts; i++) /* categories in run order */
        for (size_t k = 0; k < nr; k++)
            if (keep_ratio_of(&r[k], fam, u) &&
                ratio_cell(&r[k])->inst == R.insts[i]) {
                cats[ncat++] = R.insts[i];
                break;
            }
    struct series_set ss = {0};
    for (size_t k = 0; k < nr; k++)
        if (keep_ratio_of(&r[k], fam, u)) {
            rs[ncells] = &r[k];
            cells[ncells] = ratio_cell(&r[k]);
            series_add(&ss, cells[ncells++]);
        }
    series_sort(&ss);

    char name[256], dat_path[PATH_MAX], pre_path[PATH_MAX];
    snprintf(name, sizeof name, "fig7%s-ratio-%s-%s", units[u].letter,
             units[u].word, fam);
    FILE *dat, *pre;
    fig_begin(name, sizeof name, "ratio.gp", &dat, &pre, dat_path, pre_path,
              "cycles_per_op relative to the baseline over paired rounds "
              "(as compare --baseline); one index block per series");
    fprintf(dat, "# columns: y (category + dodge), ratio, ci_lo, ci_hi "
                 "(NaN: a zero-width CI); comment: the workload\n");
    double vmin = 1, vmax = 1;
    for (size_t s = 0; s < ss.n; s++) {
        fprintf(dat, "\n\n# series %zu: %s %s\n", s + 1, ss.s[s].alloc,
                ss.s[s].env);
        for (size_t k = 0; k < ncat; k++)
            for (size_t i = 0; i < ncells; i++) {
                struct cell *c = cells[i];
                if (c->inst != cats[k] || series_index(&ss, c) != s)
                    continue;
                struct hl_ci ci = rs[i]->ratio;
                put_num(dat, (double)k + dodge(s, ss.n));
                fputc(' ', dat);
                put_num(dat, ci.est);
                if (ci.lo == ci.hi) {
                    fputs(" NaN NaN", dat);
                } else {
                    fputc(' ', dat);
                    put_num(dat, ci.lo);
                    fputc(' ', dat);
                    put_num(dat, ci.hi);
                }
                fprintf(dat, " # %s\n", c->inst->label);
                /* a log axis shows positive ratios only (a net cost can
                 * be <= 0 for an allocator as cheap as the floor; gnuplot
                 * leaves such points and bar ends out) */
                if (ci.est > 0)
                    vmin = fmin(vmin, ci.est);
                if (ci.lo > 0)
                    vmin = fmin(vmin, ci.lo);
                vmax = fmax(vmax, fmax(ci.est, ci.hi));
            }
    }
    double top = pre_series(pre, &ss, cells, ncells, NULL, true);
    pre_categories(pre, cats, ncat);
    /* a log axis: 2x faster and 2x slower lie equally far from 1 */
    if (!isfinite(vmin) || vmin <= 0 || vmax <= 0) {
        vmin = 0.5; /* nothing positive to draw: an axis around 1 */
        vmax = 2;
    }
    double xmin = vmin / 1.15, xmax = vmax * 1.15;
    bool wide = xmax / xmin >= 2;
    if (wide) { /* to powers of two, each one a tic */
        xmin = ldexp(1.0, (int)floor(log2(xmin)));
        xmax = ldexp(1.0, (int)ceil(log2(xmax)));
    }
    fprintf(pre, "xmin = ");
    put_num(pre, xmin);
    fprintf(pre, "\nxmax = ");
    put_num(pre, xmax);
    /* tics: powers of two over a wide range, else steps of 1, 2 or 5 x
     * 10^k around 1 */
    fprintf(pre, "\nxtics_spec = \"(");
    bool first = true;
    if (wide) {
        /* every power of two, or of 10 when they would crowd */
        bool tens = xmax / xmin > 256;
        double lo = tens ? floor(log10(xmin)) : floor(log2(xmin));
        double hi = tens ? ceil(log10(xmax)) : ceil(log2(xmax));
        for (int e = (int)lo; e <= (int)hi; e++) {
            double v = tens ? pow(10.0, e) : ldexp(1.0, e);
            if (v < xmin || v > xmax)
                continue;
            fprintf(pre, "%s%g", first ? "" : ", ", v);
            first = false;
        }
    } else {
        double step = lin_step(xmax - xmin, 4);
        for (double v = 1 - step * ceil((1 - xmin) / step); v <= xmax;
             v += step)
            if (v >= xmin) {
                fprintf(pre, "%s%g", first ? "" : ", ",
                        round(v / step) * step);
                first = false;
            }
    }
    fprintf(pre, ")\"\n");
    char title[160], xlabel[400];
    snprintf(title, sizeof title, "%s allocators / %s: ratio, 95%% CI", fam,
             RT.baseline);
    top += pre_title(pre, title);
    pre_size(pre, FIG_WIDTH_IN, dot_height(ncat * ss.n, top));
    char axis[200];
    unit_axis(axis, sizeof axis, u, "op");
    snprintf(xlabel, sizeof xlabel, "%s relative to %s", axis, RT.baseline);
    gp_text(pre, "xlabel", xlabel);
    close_out(dat, dat_path);
    close_out(pre, pre_path);
    printf("  %-44s cells.csv: %zu workloads x %zu series, baseline %s\n",
           name, ncat, ss.n, RT.baseline);
    free(ss.s);
    free(cats);
    free(cells);
    free(rs);
}

static void figs_ratio(void)
{
    struct hl_ratio *r = NULL;
    size_t nr = RT.baseline ? hl_ratios(&RT.run, RT.baseline, &r) : 0;
    if (nr == (size_t)-1)
        cli_fail("out of memory");
    const char *fams[64];
    size_t nf = families(fams, 64);
    bool any = false;
    for (int u = UNIT_CYCLES; u < NUNITS; u++)
        for (size_t f = 0; f < nf; f++) {
            bool has = false;
            for (size_t k = 0; k < nr && !has; k++)
                has = keep_ratio_of(&r[k], fams[f], (enum unit)u);
            if (has) {
                fig_ratio(fams[f], (enum unit)u, r, nr);
                any = true;
            }
        }
    size_t undefined = 0; /* paired, but the baseline's cost is not > 0 */
    for (size_t k = 0; k < nr; k++)
        undefined += r[k].pairs > 0 && isnan(r[k].ratio.est);
    if (!any && undefined)
        printf("  %-44s skipped: no ratio to the baseline %s is defined: its "
               "net cost per op is not positive in every resample (%zu "
               "cells; as cheap as the harness floor: try --baseline)\n",
               "fig7-ratio", RT.baseline, undefined);
    else if (!any)
        printf("  %-44s skipped: no allocator shares a workload and rounds "
               "with the baseline%s%s\n", "fig7-ratio",
               RT.baseline ? " " : "", RT.baseline ? RT.baseline : "");
    free(r);
}

/* ---- drawing: gnuplot --------------------------------------------------- */

enum fmt { FMT_PDF, FMT_SVG, FMT_PNG, FMT_TEX, NFMT };
static const char *const fmt_names[NFMT] = {"pdf", "svg", "png", "tex"};

static const char *const scripts[] = {"style.gp", "terminal.gp", "key.gp",
                                      "cost.gp",
                                      "latency.gp", "space.gp", "sweep.gp",
                                      "asweep.gp",
                                      "frag.gp", "ratio.gp", "misses.gp"};

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_scripts(const char *dir)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        pathf(path, sizeof path, "%s/%s", dir, scripts[i]);
        if (!is_file(path))
            return false;
    }
    return true;
}

/* plots/: $HEAPLAB_PLOTS_DIR, else next to the installed binary
 * (<bin>/../share/heaplab/plots), else the source tree's, else the
 * configured install folder. */
static void find_plots(char *out, size_t cap)
{
    const char *env = getenv("HEAPLAB_PLOTS_DIR");
    if (env && env[0]) {
        if (!has_scripts(env))
            cli_usage_fail("HEAPLAB_PLOTS_DIR='%s' holds no heaplab gnuplot "
                           "scripts (no %s/style.gp ... frag.gp)", env, env);
        snprintf(out, cap, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            pathf(out, cap, "%s/../%s", exe, HEAPLAB_PLOTS_RELDIR);
            char real[PATH_MAX];
            if (has_scripts(out)) {
                if (realpath(out, real))
                    pathf(out, cap, "%s", real);
                return;
            }
        }
    }
    pathf(out, cap, "%s/plots", cli_build.source_dir);
    if (has_scripts(out))
        return;
    snprintf(out, cap, "%s", HEAPLAB_PLOTS_INSTALL_DIR);
    if (has_scripts(out))
        return;
    cli_fail("no gnuplot scripts found (looked in %s/plots and %s; set "
             "HEAPLAB_PLOTS_DIR)", cli_build.source_dir,
             HEAPLAB_PLOTS_INSTALL_DIR);
}

/* gnuplot on PATH, or exit 1. */
static void find_gnuplot(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (path) {
        char *copy = xstrdup(path), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d;
             d = strtok_r(NULL, ":", &save)) {
            pathf(out, cap, "%s/gnuplot", d[0] ? d : ".");
            if (access(out, X_OK) == 0 && is_file(out)) {
                free(copy);
                return;
            }
        }
        free(copy);
    }
    cli_fail("gnuplot not found on PATH (Debian: apt-get install "
             "gnuplot-nox)");
}

/* The time the PDFs say they were created: SOURCE_DATE_EPOCH, else the
 * run's start (meta.csv date, ISO 8601 with a +hhmm offset), else 1970. */
static void pdf_date(char out[15])
{
    time_t t = 0;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    const char *date = meta_get("date");
    int y, mo, d, h, mi, s;
    char sign = '+';
    int off = 0;
    if (sde && sde[0] && strspn(sde, "0123456789") == strlen(sde)) {
        t = (time_t)strtoll(sde, NULL, 10);
    } else if (date && sscanf(date, "%4d-%2d-%2dT%2d:%2d:%2d%c%4d", &y, &mo,
                              &d, &h, &mi, &s, &sign, &off) >= 6) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                        .tm_hour = h, .tm_min = mi, .tm_sec = s};
        t = timegm(&tm);
        long secs = (off / 100) * 3600L + (off % 100) * 60L;
        if (sign == '+')
            t -= secs;
        else if (sign == '-')
            t += secs;
    }
    struct tm utc;
    if (!gmtime_r(&t, &utc) ||
        strftime(out, 15, "%Y%m%d%H%M%S", &utc) != 14)
        memcpy(out, "19700101000000", 15);
}

/* Overwrite the digits of /CreationDate (D:YYYYMMDDHHmmSS in place: the
 * same length, so the PDF's cross-reference offsets stay right. */
static void pdf_fix_date(const char *path, const char date[15])
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        cli_fail("cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    static const char tag[] = "/CreationDate (D:";
    char *at = buf ? memmem(buf, len, tag, sizeof tag - 1) : NULL;
    if (at && (size_t)(at - buf) + sizeof tag - 1 + 14 <= len) {
        long off = (long)(at - buf) + (long)sizeof tag - 1;
        if (fseek(f, off, SEEK_SET) != 0 || fwrite(date, 1, 14, f) != 14)
            cli_fail("cannot write '%s': %s", path, strerror(errno));
    }
    free(buf);
    if (fclose(f))
        cli_fail("cannot write '%s': %s", path, strerror(errno));
}

/* gnuplot's stderr: its first 4 KiB (the rest is read and dropped). */
struct gp_msg {
    char text[4096];
    size_t len;
};

static void keep_msg(void *ctx, const char *data, size_t n)
{
    struct gp_msg *m = ctx;
    size_t room = sizeof m->text - 1 - m->len;
    size_t k = n < room ? n : room;
    memcpy(m->text + m->len, data, k);
    m->len += k;
}

/* The most one figure may take (then gnuplot is stopped and the plot
 * fails saying so). */
#define GNUPLOT_LIMIT_S 600.0

/* Run gnuplot for one figure in one format (a child of proc.h); exit 1
 * with its last line of complaint if it fails, warn if it says anything. */
static void draw(const char *gnuplot, const char *plots,
                 const struct figure *fg, enum fmt fmt, const char *date)
{
    char cwd[PATH_MAX], vars[3 * PATH_MAX], pre[PATH_MAX], style[PATH_MAX],
        term[PATH_MAX], script[PATH_MAX], out[PATH_MAX];
    bool tex = fmt == FMT_TEX;
    pathf(cwd, sizeof cwd, "%s%s", out_dir, tex ? "/tex" : "");
    char plots_q[2 * PATH_MAX];
    size_t w = 0;
    for (const char *p = plots; *p && w + 2 < sizeof plots_q; p++) {
        if (*p == '"' || *p == '\\')
            plots_q[w++] = '\\';
        plots_q[w++] = *p;
    }
    plots_q[w] = '\0';
    pathf(vars, sizeof vars, "fmt = \"%s\"; out = \"%s.%s\"; "
                             "datadir = \"%s\"; plotsdir = \"%s\"",
          fmt_names[fmt], fg->name, tex ? "tex" : fmt_names[fmt],
          tex ? "../data" : "data", plots_q);
    pathf(pre, sizeof pre, "%s/%s.gp", data_dir, fg->name);
    pathf(style, sizeof style, "%s/style.gp", plots);
    pathf(term, sizeof term, "%s/terminal.gp", plots);
    pathf(script, sizeof script, "%s/%s", plots, fg->script);
    /* the same output whoever runs it: no ~/.gnuplot, UTC, C numbers */
    char *set[] = {"HOME=/nonexistent", "TZ=UTC", "LC_ALL=C.UTF-8", NULL};
    static const char *const unset[] = {"GNUPLOT_LIB", NULL};
    char **env = proc_env(set, unset);
    char *argv[] = {"gnuplot", "-e", vars, style, pre, term, script, NULL};
    struct proc_spec spec = {.path = gnuplot, .argv = argv, .envp = env, .cwd = cwd,
                             .out = PROC_IO_NULL, .err = PROC_IO_PIPE};
    struct gp_msg m = {.len = 0};
    struct proc_sink sink = {.err = keep_msg, .ctx = &m};
    struct proc c;
    proc_start(&c, &spec);
    free(env);
    proc_wait(&c, GNUPLOT_LIMIT_S, PROC_GRACE_MS, &sink);
    char *msg = m.text;
    size_t len = m.len;
    msg[len] = '\0';
    int code = -1;
    bool exited = proc_exit_code(&c, &code);
    char how[96];
    proc_describe(&c, how, sizeof how);
    /* gnuplot's complaint: its last non-blank line names the problem */
    char *line = msg;
    for (char *p = strtok(msg, "\n"); p; p = strtok(NULL, "\n"))
        if (strspn(p, " \t^") != strlen(p))
            line = p;
    if (exited && code == 0 && len) {
        /* drawn, but gnuplot had something to say: pass it on */
        fflush(stdout);
        fprintf(stderr, "heaplab: warning: gnuplot on %s (%s): %s\n",
                fg->name, fmt_names[fmt], line);
    } else if (!exited || code != 0)
        cli_fail("gnuplot failed on %s (%s, plots/%s): %s", fg->name,
                 fmt_names[fmt], fg->script,
                 !exited        ? how
                 : code == 127  ? "cannot run gnuplot"
                 : line[0]      ? line
                                : how);
    if (fmt == FMT_PDF || fmt == FMT_TEX) {
        pathf(out, sizeof out, "%s/%s.pdf", cwd, fg->name);
        pdf_fix_date(out, date);
    }
}

/* mkdir that accepts an existing folder; exit 2 naming what failed. */
static void make_dir(const char *path, const char *what)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            cli_usage_fail("%s '%s' is not a folder", what, path);
        if (access(path, W_OK | X_OK) != 0)
            cli_usage_fail("%s '%s' is not writable", what, path);
        return;
    }
    if (mkdir(path, 0777) != 0)
        cli_usage_fail("%s '%s' cannot be created: %s", what, path,
                       strerror(errno));
}

/* ---- the command -------------------------------------------------------- */

static void free_run(void)
{
    for (size_t i = 0; i < R.ncells; i++) {
        struct cell *c = R.cells[i];
        free(c->fi);
        free(c->fe);
        free(c->ml1);
        free(c->mllc);
        free(c->fp);
        free(c->b);
        free(c->s);
        free(c);
    }
    for (size_t i = 0; i < R.ninsts; i++)
        free(R.insts[i]);
    free(R.cells);
    free(R.insts);
    free(R.meta);
    free(figs.f);
    memset(&R, 0, sizeof R);
    pool_free();
}

int cmd_plot(int argc, char **argv)
{
    const char *run = NULL, *out = NULL, *baseline = NULL;
    char *format = NULL;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(plot_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[i], "--format"))
            format = (char *)cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--out"))
            out = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--baseline")) {
            baseline = cli_value(argc, argv, &i);
            if (!baseline[0])
                cli_usage_fail("bad value for --baseline: ''");
        }
        else if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for plot (see heaplab plot "
                           "--help)", argv[i]);
        else if (run)
            cli_usage_fail("unexpected argument '%s' for plot (one run "
                           "folder)", argv[i]);
        else
            run = argv[i];
    }
    if (!run)
        cli_usage_fail("plot needs a run folder (see heaplab plot --help)");
    bool want[NFMT] = {true, true, true, false};
    if (format) {
        char *copy = xstrdup(format), *items[NFMT + 1];
        size_t n = cli_split("--format", copy, items, NFMT);
        memset(want, 0, sizeof want);
        for (size_t i = 0; i < n; i++) {
            size_t f = 0;
            while (f < NFMT && strcmp(items[i], fmt_names[f]))
                f++;
            if (f == NFMT)
                cli_usage_fail("bad value for --format: '%s' (expected a "
                               "comma list of pdf, svg, png, tex)", items[i]);
            if (want[f])
                cli_usage_fail("bad value for --format: '%s' named twice",
                               items[i]);
            want[f] = true;
        }
        free(copy);
    }
    struct stat st;
    if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_usage_fail("'%s' is not a run folder (not a folder)", run);
    static char run_buf[PATH_MAX];
    pathf(run_buf, sizeof run_buf, "%s", run);
    for (size_t len = strlen(run_buf); len > 1 && run_buf[len - 1] == '/';)
        run_buf[--len] = '\0';
    run = run_buf;

    /* 1. read everything before writing anything */
    R.dir = run;
    read_meta();
    read_cells();
    read_summary();
    read_latency();
    read_timeline();
    pool_details();
    label_insts();
    read_ratio_run(baseline);
    size_t with_sum = 0;
    for (size_t i = 0; i < R.ncells; i++)
        with_sum += R.cells[i]->has_sum;
    if (!with_sum && R.ncells == 0)
        cli_usage_fail("'%s' has no cells: nothing to plot (cells.csv and "
                       "summary.csv have no rows)", run);

    char plots[PATH_MAX], gnuplot[PATH_MAX];
    find_plots(plots, sizeof plots);
    find_gnuplot(gnuplot, sizeof gnuplot);

    /* 2. the data */
    static char out_buf[PATH_MAX];
    if (out) {
        snprintf(out_buf, sizeof out_buf, "%s", out);
        make_dir(out_buf, "output folder");
    } else {
        pathf(out_buf, sizeof out_buf, "%s/figures", run);
        make_dir(out_buf, "output folder");
    }
    /* gnuplot runs inside the output folder: every path it is given must
     * be absolute (a relative RUN or --out would not resolve there) */
    char abs[PATH_MAX];
    if (!realpath(out_buf, abs))
        cli_fail("cannot resolve '%s': %s", out_buf, strerror(errno));
    snprintf(out_buf, sizeof out_buf, "%s", abs);
    if (!realpath(plots, abs))
        cli_fail("cannot resolve '%s': %s", plots, strerror(errno));
    snprintf(plots, sizeof plots, "%s", abs);
    out_dir = out_buf;
    pathf(data_dir, sizeof data_dir, "%s/data", out_dir);
    make_dir(data_dir, "output folder");
    if (want[FMT_TEX]) {
        char tex_dir[PATH_MAX];
        pathf(tex_dir, sizeof tex_dir, "%s/tex", out_dir);
        make_dir(tex_dir, "output folder");
    }
    printf("plotting %s into %s\n", run, out_dir);
    figs_cost();
    figs_misses();
    figs_latency();
    figs_timeline();
    figs_sweep();
    figs_frag();
    figs_ratio();
    if (R.sum_not_ok)
        printf("  note: %zu summary.csv rows have a status other than ok "
               "(drawn where they have figures)\n", R.sum_not_ok);
    if (R.sum_empty)
        printf("  note: %zu summary.csv rows have no figures (n = 0): not "
               "drawn\n", R.sum_empty);

    /* 3. the figures */
    char date[15];
    pdf_date(date);
    size_t files = 0;
    for (size_t i = 0; i < figs.n; i++)
        for (int f = 0; f < NFMT; f++)
            if (want[f]) {
                draw(gnuplot, plots, &figs.f[i], (enum fmt)f, date);
                files++;
            }
    printf("%zu figures, %zu files in %s (scripts: %s)\n", figs.n, files,
           out_dir, plots);
    free_run();
    rc_free(&RT.run);
    return CLI_EXIT_OK;
}
