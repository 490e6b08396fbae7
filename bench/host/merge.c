/*
 * merge.c — `heaplab merge RUN... --out DIR [--allow-mixed]`: join the run
 * folders of the shards of one plan (`heaplab run --shard I/N`) into one
 * run folder, as if the plan had run whole.  docs/heaplab.md ("heaplab
 * merge") and docs/cluster.md are the reference.
 *
 * Everything is read and checked before anything is written: a refusal
 * is one line naming the folder (and the key, file, line or launch) and
 * exit 2, with no folder left behind.  Refused: a folder that is no
 * complete shard run; shards of different plans (plan_hash), builds or
 * machines (unless --allow-mixed, which records the differences); two
 * folders of one shard; a shard I of N that is absent; shards whose
 * launches do not partition the plan; a cells/latency/timeline/leaks file whose
 * header is not this heaplab's column table (bench/core/columns.h); a row
 * that does not split into those columns or belongs to no cell of the
 * plan.
 *
 * The merged folder DIR/<run_id>:
 *   cells.csv, latency.csv, timeline.csv, leaks.csv  every shard's rows, run_id
 *       rewritten, ordered by plan cell index, then rep, then shard and
 *       line (a detail row names no clock: it goes to the first cell of
 *       its env, allocator, workload and params) — the same bytes for the
 *       same shards, whatever order they were named in;
 *   meta.csv   the keys every shard that has them agrees on, once, in
 *       shard 1's order (so the plan.cell and order.* lines); the others
 *       per shard as shard.I.<key>; merged_from.I per shard; the merge's
 *       own run_id, run_status, cells_run, launches_run and checksums;
 *   cells.log  a line per shard;
 *   summary.csv  recomputed from cells.csv (summary.c), as a run does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/leak.h"
#include "bench/core/runner.h"
#include "bench/host/cell.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "bench/host/csvread.h"
#include "bench/host/results.h"
#include "bench/host/run.h"
#include "bench/host/summary.h"

_Static_assert(COL_RUN_ID == 0 && LAT_RUN_ID == 0 && TL_RUN_ID == 0,
               "run_id is the first column of every row file");

#define MERGE_MAX_SHARDS 1024

static const char merge_usage[] =
    "usage: heaplab merge RUN... --out DIR [--allow-mixed]\n"
    "\n"
    "Join the run folders of the shards of one plan (heaplab run --shard\n"
    "I/N, e.g. the tasks of tools/cluster) into ONE run folder DIR/<run_id>,\n"
    "as if the plan had run whole: cells.csv, latency.csv, timeline.csv and\n"
    "leaks.csv hold every shard's rows (run_id rewritten; ordered by plan\n"
    "cell, then rep or launch), meta.csv the keys the shards agree on\n"
    "once (plan lines and plan_hash included), the others per shard\n"
    "(shard.I.KEY) and a merged_from.I line per shard; summary.csv is\n"
    "computed again and the checksums cross-checked, as `heaplab run` does.\n"
    "\n"
    "  --out DIR      where the merged run folder is created (made if\n"
    "                 missing)\n"
    "  --allow-mixed  merge shards of different builds (git_commit,\n"
    "                 compiler, c_flags, build_type, check_level, sanitize)\n"
    "                 or machines (cpu_model, tsc_hz beyond 0.1 %,\n"
    "                 hwloc_topology); meta.csv records each difference\n"
    "\n"
    "Refused, with one line naming the folder and what differs: a folder\n"
    "that is not a complete shard run (run_status), shards of different\n"
    "plans (plan_hash) or shard counts, builds or machines (without\n"
    "--allow-mixed), two folders of one shard, a missing shard, shards whose\n"
    "launches (shard.launches) do not partition the plan, a CSV header that\n"
    "is not this heaplab's column table, a row of no cell of the plan.\n"
    "\n"
    "Exit 0 on success (the merged folder's path on the last line), 2 on a\n"
    "refusal or bad usage (nothing written), 1 on a failure of the machine.\n";

/* ---- files and meta.csv ------------------------------------------------------ */

/* The whole of dir/name, NUL-terminated, or NULL (errno set). */
static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct dbuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        dbuf_add(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        dbuf_free(&b);
        errno = EIO;
        return NULL;
    }
    if (!b.p)
        dbuf_add(&b, "", 0);
    *len = b.len;
    return b.p;
}

/* The next line of *p (CR/LF cut, NUL-terminated in place), or NULL. */
static char *next_line(char **p)
{
    if (!*p || !**p)
        return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

struct kv {
    char *key, *value;
};

struct meta {
    struct kv *e;
    size_t n, cap;
    char *text; /* the file; keys and values point into it */
};

static const char *meta_get(const struct meta *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].key, key))
            return m->e[i].value;
    return NULL;
}

static void meta_read(const char *dir, struct meta *m)
{
    size_t len;
    *m = (struct meta){0};
    m->text = slurp(dir, "meta.csv", &len);
    if (!m->text)
        cli_usage_fail("'%s' is not a run folder (no readable meta.csv: %s)",
                       dir, strerror(errno));
    char *p = m->text, *line;
    size_t lineno = 0;
    while ((line = next_line(&p))) {
        lineno++;
        char *f[3];
        int nf = csv_split(line, f, 3);
        if (lineno == 1) {
            if (nf != 2 || strcmp(f[0], "key") || strcmp(f[1], "value"))
                cli_usage_fail("'%s/meta.csv' has no key,value header", dir);
            continue;
        }
        if (nf != 2)
            cli_usage_fail("'%s/meta.csv' line %zu is not a key,value row",
                           dir, lineno);
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 256;
            m->e = realloc(m->e, m->cap * sizeof *m->e);
            if (!m->e)
                cli_fail("out of memory");
        }
        m->e[m->n++] = (struct kv){f[0], f[1]};
    }
}

static void meta_free(struct meta *m)
{
    free(m->e);
    free(m->text);
}

/* ---- the plan, from meta.csv ------------------------------------------------- */

/* plan.cell.K: "env clock allocator workload params[ sweep=S][ aparams=T]
 * launches=L reps=R" (run.c's meta_order). */
struct pcell {
    char *f[7]; /* env, clock, allocator, workload, params, sweep, aparams */
    uint32_t launches;
};

enum { PC_ENV, PC_CLOCK, PC_ALLOC, PC_WORKLOAD, PC_PARAMS, PC_SWEEP, PC_APARAMS };

static bool parse_u32(const char *s, uint32_t *out)
{
    if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
        return false;
    *out = (uint32_t)strtoul(s, NULL, 10);
    return true;
}

static bool parse_pcell(const char *text, struct pcell *c)
{
    char *copy = strdup(text), *tok[10], *p = copy;
    if (!copy)
        cli_fail("out of memory");
    size_t n = 0;
    while (p && n < 10)
        tok[n++] = strsep(&p, " ");
    size_t k = 5; /* the optional words after params */
    bool sweep = n > k + 2 && !strncmp(tok[k], "sweep=", 6);
    k += sweep;
    bool aparams = n > k + 2 && !strncmp(tok[k], "aparams=", 8);
    k += aparams;
    if (p || n != k + 2 || strncmp(tok[n - 2], "launches=", 9) ||
        !parse_u32(tok[n - 2] + 9, &c->launches) || c->launches == 0) {
        free(copy);
        return false;
    }
    for (size_t i = 0; i < 5; i++)
        c->f[i] = strdup(tok[i]);
    c->f[PC_SWEEP] = strdup(sweep ? tok[5] + 6 : "");
    c->f[PC_APARAMS] = strdup(aparams ? tok[5 + sweep] + 8 : "");
    free(copy);
    for (size_t i = 0; i < 7; i++)
        if (!c->f[i])
            cli_fail("out of memory");
    return true;
}

/* ---- shards ------------------------------------------------------------------ */

#define NROWFILES 4u /* cells, latency, timeline, leaks (rowfiles[]) */

struct shard {
    const char *dir;
    struct meta m;
    unsigned i, n; /* shard i of n */
    char *files[NROWFILES]; /* cells, latency, timeline, leaks: whole */
};

/* Keys that say which build made a run and on which machine. */
static const char *const build_keys[] = {"git_commit", "compiler", "c_flags",
                                         "build_type", "check_level",
                                         "sanitize"};
static const char *const machine_keys[] = {"cpu_model", "tsc_hz",
                                           "hwloc_topology"};

/* Keys the merge writes itself (never copied from a shard). */
static const char *const own_keys[] = {"run_id", "shard", "shard.launches",
                                       "run_status", "cells_run",
                                       "launches_run", "checksums", "date"};

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key, list[i]))
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *need(const struct shard *s, const char *key)
{
    const char *v = meta_get(&s->m, key);
    if (!v)
        cli_usage_fail("'%s' is not a shard of a plan: its meta.csv has no "
                       "%s (heaplab run --shard I/N writes it)", s->dir, key);
    return v;
}

static void read_shard(struct shard *s)
{
    struct stat st;
    if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_usage_fail("'%s' is not a run folder (not a folder)", s->dir);
    meta_read(s->dir, &s->m);
    const char *status = meta_get(&s->m, "run_status");
    if (!status || strcmp(status, "complete"))
        cli_usage_fail("'%s' is a run that did not complete (run_status %s)",
                       s->dir, status ? status : "missing");
    const char *sh = need(s, "shard");
    char tail;
    if (sscanf(sh, "%u/%u%c", &s->i, &s->n, &tail) != 2 || s->i < 1 ||
        s->n > MERGE_MAX_SHARDS || s->i > s->n)
        cli_usage_fail("'%s' has a bad shard in meta.csv: '%s'", s->dir, sh);
    need(s, "plan_hash");
    need(s, "plan.launches");
    need(s, "shard.launches");
}

/* Two tsc_hz of one machine: calibrated per run, they differ by ppm. */
static bool same_tsc(const char *a, const char *b)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*ea || *eb || !(x > 0) || !(y > 0))
        return !strcmp(a, b);
    return fabs(x - y) <= 0.001 * x;
}

static bool same_value(const char *key, const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    if (!strcmp(key, "tsc_hz"))
        return same_tsc(a, b);
    return !strcmp(a, b);
}

/* Shard s against shard 0: the same plan, build and machine.  Returns
 * the number of identity keys that differ (allowed: --allow-mixed). */
static size_t compare_shards(const struct shard *s0, const struct shard *s,
                             bool allow_mixed)
{
    const char *a = meta_get(&s0->m, "plan_hash");
    const char *b = meta_get(&s->m, "plan_hash");
    if (strcmp(a, b))
        cli_usage_fail("'%s' is of another plan than '%s': plan_hash %s, "
                       "not %s", s->dir, s0->dir, b, a);
    if (s->n != s0->n)
        cli_usage_fail("'%s' is shard %u/%u but '%s' is shard %u/%u: "
                       "different shard counts", s->dir, s->i, s->n, s0->dir,
                       s0->i, s0->n);
    size_t mixed = 0;
    for (size_t g = 0; g < 2; g++) {
        const char *const *keys = g ? machine_keys : build_keys;
        size_t nk = g ? COUNT(machine_keys) : COUNT(build_keys);
        for (size_t k = 0; k < nk; k++) {
            a = meta_get(&s0->m, keys[k]);
            b = meta_get(&s->m, keys[k]);
            if (same_value(keys[k], a, b))
                continue;
            if (!allow_mixed)
                cli_usage_fail("'%s' is of another %s than '%s': %s %s, not "
                               "%s (--allow-mixed merges it anyway)", s->dir,
                               g ? "machine" : "build", s0->dir, keys[k],
                               b ? b : "missing", a ? a : "missing");
            mixed++;
        }
    }
    return mixed;
}

/* ---- the partition of the plan's launches ----------------------------------- */

struct plan {
    struct pcell *cells;
    size_t n;
    size_t launches; /* sum over cells */
};

static void read_plan(const struct shard *s0, struct plan *pl)
{
    *pl = (struct plan){0};
    for (;;) {
        char key[64];
        snprintf(key, sizeof key, "plan.cell.%zu", pl->n);
        const char *v = meta_get(&s0->m, key);
        if (!v)
            break;
        pl->cells = realloc(pl->cells, (pl->n + 1) * sizeof *pl->cells);
        if (!pl->cells)
            cli_fail("out of memory");
        if (!parse_pcell(v, &pl->cells[pl->n]))
            cli_usage_fail("'%s/meta.csv': %s is not a plan cell: '%s'",
                           s0->dir, key, v);
        pl->launches += pl->cells[pl->n].launches;
        pl->n++;
    }
    if (pl->n == 0)
        cli_usage_fail("'%s/meta.csv' has no plan.cell lines", s0->dir);
    const char *pn = meta_get(&s0->m, "plan.launches");
    uint32_t want;
    if (!parse_u32(pn, &want) || want != pl->launches)
        cli_usage_fail("'%s/meta.csv': plan.launches %s, but its plan.cell "
                       "lines hold %zu launches", s0->dir, pn, pl->launches);
}

/* Every cell:launch of the plan in exactly one shard's shard.launches. */
static void check_partition(const struct shard *sh, size_t nsh,
                            const struct plan *pl)
{
    /* static: a refusal exits with them live, and LeakSanitizer must
     * see them reachable */
    static size_t *first; /* cell c's launches start at first[c] */
    static int *owner;
    static char *copy;
    first = calloc(pl->n + 1, sizeof *first);
    if (!first)
        cli_fail("out of memory");
    for (size_t c = 0; c < pl->n; c++)
        first[c + 1] = first[c] + pl->cells[c].launches;
    owner = malloc((pl->launches + 1) * sizeof *owner);
    if (!owner)
        cli_fail("out of memory");
    for (size_t k = 0; k < pl->launches; k++)
        owner[k] = -1;
    for (size_t s = 0; s < nsh; s++) {
        copy = strdup(meta_get(&sh[s].m, "shard.launches"));
        if (!copy)
            cli_fail("out of memory");
        for (char *save = NULL, *t = strtok_r(copy, " ", &save); t;
             t = strtok_r(NULL, " ", &save)) {
            char *colon = strchr(t, ':');
            uint32_t c, l;
            if (colon)
                *colon = '\0';
            if (!colon || !parse_u32(t, &c) || !parse_u32(colon + 1, &l) ||
                c >= pl->n || l >= pl->cells[c].launches) {
                if (colon)
                    *colon = ':';
                cli_usage_fail("'%s': shard.launches names '%s', no launch "
                               "(cell:launch) of the plan", sh[s].dir, t);
            }
            int *o = &owner[first[c] + l];
            if (*o >= 0)
                cli_usage_fail("'%s' and '%s' both ran launch %u:%u "
                               "(cell:launch)", sh[*o].dir, sh[s].dir, c, l);
            *o = (int)s;
        }
        free(copy);
        copy = NULL;
    }
    for (size_t c = 0; c < pl->n; c++)
        for (uint32_t l = 0; l < pl->cells[c].launches; l++)
            if (owner[first[c] + l] < 0)
                cli_usage_fail("no shard ran launch %zu:%u (cell:launch) of "
                               "the plan (shard.launches of the %zu shards)",
                               c, l, nsh);
    free(owner);
    free(first);
}

/* ---- rows -------------------------------------------------------------------- */

/* One of the row files and where its key columns are (leaks.csv's rows
 * are per launch: its `rep` is the launch, for the order only). */
struct rowfile {
    const char *name;
    const char *const *header_ptr;
    enum csv_kind kind;
    unsigned ncols;
    int env, clock, alloc, workload, params, sweep, rep; /* -1: none */
    int aparams; /* -1: none */
};

static const struct rowfile rowfiles[NROWFILES] = {
    {"cells.csv", &hl_cells_header, CSV_CELLS, CELL_COLUMNS, COL_ENV,
     COL_CLOCK, COL_ALLOCATOR, COL_WORKLOAD, COL_PARAMS, COL_SWEEP, COL_REP,
     COL_ALLOC_PARAMS},
    {"latency.csv", &hl_latency_header, CSV_LATENCY, LATENCY_COLUMNS,
     LAT_ENV, -1, LAT_ALLOCATOR, LAT_WORKLOAD, LAT_PARAMS, -1, LAT_REP, -1},
    {"timeline.csv", &hl_timeline_header, CSV_TIMELINE,
     TIMELINE_COLUMNS, TL_ENV, -1, TL_ALLOCATOR, TL_WORKLOAD, TL_PARAMS, -1,
     TL_REP, -1},
    {"leaks.csv", &hl_leaks_header, CSV_LEAKS, LEAKS_COLUMNS, LEAK_ENV,
     LEAK_CLOCK, LEAK_ALLOCATOR, LEAK_WORKLOAD, LEAK_PARAMS, LEAK_SWEEP,
     LEAK_LAUNCH, LEAK_ALLOC_PARAMS},
};

struct mrow {
    size_t cell;
    uint32_t rep;
    unsigned shard;
    size_t line;
    const char *rest; /* the row after its run_id field: ",env,..." */
};

struct rows {
    struct mrow *r;
    size_t n, cap;
};

static int mrow_cmp(const void *pa, const void *pb)
{
    const struct mrow *a = pa, *b = pb;
    if (a->cell != b->cell)
        return a->cell < b->cell ? -1 : 1;
    if (a->rep != b->rep)
        return a->rep < b->rep ? -1 : 1;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* The row after its first field (quoted or not). */
static const char *after_first_field(const char *line)
{
    const char *p = line;
    if (*p == '"') {
        for (p++; *p; p++)
            if (*p == '"') {
                if (p[1] != '"')
                    break;
                p++;
            }
        if (*p)
            p++;
    }
    while (*p && *p != ',')
        p++;
    return p;
}

static bool cell_matches(const struct pcell *c, const struct rowfile *rf,
                         char **f)
{
    return !strcmp(c->f[PC_ENV], f[rf->env]) &&
           (rf->clock < 0 || !strcmp(c->f[PC_CLOCK], f[rf->clock])) &&
           !strcmp(c->f[PC_ALLOC], f[rf->alloc]) &&
           !strcmp(c->f[PC_WORKLOAD], f[rf->workload]) &&
           !strcmp(c->f[PC_PARAMS], f[rf->params]) &&
           (rf->sweep < 0 || !strcmp(c->f[PC_SWEEP], f[rf->sweep])) &&
           (rf->aparams < 0 || !strcmp(c->f[PC_APARAMS], f[rf->aparams]));
}

/* The header of path (its first line) against the column table. */
static void check_header(const char *path, const struct rowfile *rf,
                         char *line)
{
    if (line && !strcmp(line, *rf->header_ptr))
        return;
    char *f[256];
    int nf = line ? csv_split(line, f, 256) : 0;
    for (unsigned i = 0; nf > 0 && i < rf->ncols && i < (unsigned)nf; i++)
        if (strcmp(f[i], csv_column_name(rf->kind, (int)i)))
            cli_usage_fail("'%s': header differs from this heaplab's column "
                           "table: column %u is '%s', not '%s'", path, i + 1,
                           f[i], csv_column_name(rf->kind, (int)i));
    cli_usage_fail("'%s': header differs from this heaplab's column table: "
                   "%d columns, not %u", path, nf, rf->ncols);
}

/* Read s's file rf into rows (the file stays in s->files[k]). */
static void read_rows(struct shard *s, unsigned si, unsigned k,
                      const struct plan *pl, struct rows *out)
{
    const struct rowfile *rf = &rowfiles[k];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", s->dir, rf->name);
    size_t len;
    s->files[k] = slurp(s->dir, rf->name, &len);
    if (!s->files[k])
        cli_usage_fail("'%s' cannot be read: %s", path, strerror(errno));
    char *p = s->files[k], *line;
    static char *tmp, *header; /* static: see check_partition */
    static size_t tmp_cap;
    char *f[256];
    size_t lineno = 0, last = SIZE_MAX;
    while ((line = next_line(&p))) {
        lineno++;
        if (lineno == 1) {
            header = strdup(line);
            if (!header)
                cli_fail("out of memory");
            check_header(path, rf, header);
            free(header);
            header = NULL;
            continue;
        }
        if (!line[0])
            continue;
        size_t n = strlen(line) + 1;
        if (n > tmp_cap) {
            tmp_cap = 2 * n;
            tmp = realloc(tmp, tmp_cap);
            if (!tmp)
                cli_fail("out of memory");
        }
        memcpy(tmp, line, n);
        int nf = csv_split(tmp, f, 256);
        if (nf != (int)rf->ncols)
            cli_usage_fail("'%s' line %zu: %d fields, not %u (or a malformed "
                           "quote)", path, lineno, nf, rf->ncols);
        uint32_t rep;
        if (!parse_u32(f[rf->rep], &rep))
            cli_usage_fail("'%s' line %zu: bad rep '%s'", path, lineno,
                           f[rf->rep]);
        size_t c = last;
        if (c == SIZE_MAX || !cell_matches(&pl->cells[c], rf, f))
            for (c = 0; c < pl->n; c++)
                if (cell_matches(&pl->cells[c], rf, f))
                    break;
        if (c == pl->n)
            cli_usage_fail("'%s' line %zu: %s x %s (%s) in %s is no cell of "
                           "the plan", path, lineno, f[rf->alloc],
                           f[rf->workload], f[rf->params], f[rf->env]);
        last = c;
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 4096;
            out->r = realloc(out->r, out->cap * sizeof *out->r);
            if (!out->r)
                cli_fail("out of memory");
        }
        out->r[out->n++] = (struct mrow){c, rep, si, lineno,
                                         after_first_field(line)};
    }
    free(tmp);
    tmp = NULL;
    tmp_cap = 0;
}

/* ---- writing ----------------------------------------------------------------- */

/* out, created if missing, and a new run folder in it (run.c's form). */
static void make_merged_dir(const char *out, char *dir, size_t cap, char *id,
                            size_t id_cap)
{
    struct stat st;
    if (stat(out, &st) != 0 && (errno != ENOENT || cli_mkdir_p(out) != 0))
        cli_usage_fail("output folder '%s' cannot be created: %s", out,
                       strerror(errno));
    make_run_dir(out, dir, cap, id, id_cap);
}

static void write_rows(const char *dir, const struct rowfile *rf,
                       const char *run_id, struct rows *rows)
{
    qsort(rows->r, rows->n, sizeof *rows->r, mrow_cmp);
    struct dbuf b = {0};
    dbuf_addf(&b, "%s\n", *rf->header_ptr);
    for (size_t i = 0; i < rows->n; i++) {
        dbuf_add_field(&b, run_id);
        dbuf_add(&b, rows->r[i].rest, strlen(rows->r[i].rest));
        dbuf_add(&b, "\n", 1);
    }
    res_write_whole(dir, rf->name, b.p, b.len);
    dbuf_free(&b);
}

/* Is key's value the same in every shard that has it? */
static bool key_common(const struct shard *sh, size_t nsh, const char *key,
                       const char *value)
{
    for (size_t s = 0; s < nsh; s++) {
        const char *v = meta_get(&sh[s].m, key);
        if (v && !same_value(key, value, v))
            return false;
    }
    return true;
}

/* The first occurrence of key in shards before s (so a key is handled
 * once however many shards have it). */
static bool key_seen_before(const struct shard *sh, size_t s, const char *key)
{
    for (size_t t = 0; t < s; t++)
        if (meta_get(&sh[t].m, key))
            return true;
    return false;
}

static void write_meta(int fd, const struct shard *sh, size_t nsh,
                       const char *run_id, const char *cmdline,
                       bool allow_mixed, size_t mixed, size_t cells_run,
                       size_t launches_run)
{
    res_write(fd, "key,value\n", 10, "meta.csv");
    res_meta(fd, "run_id", run_id);
    /* the run began when its first shard began */
    const char *date = NULL;
    for (size_t s = 0; s < nsh; s++) {
        const char *d = meta_get(&sh[s].m, "date");
        if (d && (!date || strcmp(d, date) < 0))
            date = d;
    }
    res_meta(fd, "date", date ? date : "unknown");
    struct dbuf per_shard = {0};
    for (size_t s = 0; s < nsh; s++)
        for (size_t k = 0; k < sh[s].m.n; k++) {
            const struct kv *e = &sh[s].m.e[k];
            if (in_list(e->key, own_keys, COUNT(own_keys)) ||
                key_seen_before(sh, s, e->key) ||
                meta_get(&sh[s].m, e->key) != e->value) /* a repeated key */
                continue;
            if (key_common(sh, nsh, e->key, e->value)) {
                res_meta(fd, e->key, e->value);
                continue;
            }
            for (size_t t = 0; t < nsh; t++) {
                const char *v = meta_get(&sh[t].m, e->key);
                if (!v)
                    continue;
                dbuf_addf(&per_shard, "shard.%u.", sh[t].i);
                dbuf_add_field(&per_shard, e->key);
                dbuf_add(&per_shard, ",", 1);
                dbuf_add_field(&per_shard, v);
                dbuf_add(&per_shard, "\n", 1);
            }
        }
    if (per_shard.len)
        res_write(fd, per_shard.p, per_shard.len, "meta.csv");
    dbuf_free(&per_shard);
    res_meta(fd, "merge_command_line", cmdline);
    res_metaf(fd, "merged_shards", "%zu", nsh);
    for (size_t s = 0; s < nsh; s++) {
        char key[64];
        snprintf(key, sizeof key, "merged_from.%u", sh[s].i);
        res_metaf(fd, key, "%s %u/%u %s", sh[s].dir, sh[s].i, sh[s].n,
                  meta_get(&sh[s].m, "run_id") ? meta_get(&sh[s].m, "run_id")
                                               : "unknown");
    }
    if (allow_mixed)
        res_metaf(fd, "allow_mixed", "%zu build or machine keys differ "
                  "between shards (shard.I.KEY rows)", mixed);
    res_metaf(fd, "cells_run", "%zu", cells_run);
    res_metaf(fd, "launches_run", "%zu", launches_run);
    res_meta(fd, "run_status", "complete");
}

/* ---- the command ------------------------------------------------------------- */

int cmd_merge(int argc, char **argv)
{
    static struct dbuf cmd; /* static: see below */
    for (int i = 0; i < argc; i++)
        dbuf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
    const char *out = NULL;
    bool allow_mixed = false;
    /* static: a refusal exits with them live (see check_partition) */
    static const char **dirs;
    static struct shard *sh;
    static struct plan pl;
    static struct rows rows[NROWFILES];
    dirs = calloc(argc > 0 ? (size_t)argc : 1, sizeof *dirs);
    if (!dirs)
        cli_fail("out of memory");
    size_t nsh = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(merge_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[i], "--out"))
            out = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--allow-mixed"))
            allow_mixed = true;
        else if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for merge (see heaplab merge "
                           "--help)", argv[i]);
        else {
            size_t n = strlen(argv[i]); /* "RUN/" names RUN */
            while (n > 1 && argv[i][n - 1] == '/')
                argv[i][--n] = '\0';
            dirs[nsh++] = argv[i];
        }
    }
    if (nsh == 0)
        cli_usage_fail("merge needs the shards' run folders (see heaplab "
                       "merge --help)");
    if (!out)
        cli_usage_fail("merge needs --out DIR (see heaplab merge --help)");
    if (nsh > MERGE_MAX_SHARDS)
        cli_usage_fail("too many run folders for merge: %zu (at most %d)",
                       nsh, MERGE_MAX_SHARDS);

    sh = calloc(nsh, sizeof *sh);
    if (!sh)
        cli_fail("out of memory");
    for (size_t s = 0; s < nsh; s++) {
        sh[s].dir = dirs[s];
        read_shard(&sh[s]);
    }
    /* shard order, whatever the order on the command line */
    for (size_t s = 1; s < nsh; s++)
        for (size_t t = s; t > 0 && sh[t - 1].i > sh[t].i; t--) {
            struct shard x = sh[t];
            sh[t] = sh[t - 1];
            sh[t - 1] = x;
        }
    size_t mixed = 0;
    for (size_t s = 1; s < nsh; s++)
        mixed += compare_shards(&sh[0], &sh[s], allow_mixed);
    for (size_t s = 1; s < nsh; s++)
        if (sh[s].i == sh[s - 1].i)
            cli_usage_fail("'%s' and '%s' are both shard %u/%u",
                           sh[s - 1].dir, sh[s].dir, sh[s].i, sh[s].n);
    if (nsh < sh[0].n) {
        unsigned want = 1;
        for (size_t s = 0; s < nsh && sh[s].i == want; s++)
            want++;
        cli_usage_fail("shard %u/%u is missing (%zu of %u shards given)",
                       want, sh[0].n, nsh, sh[0].n);
    }
    read_plan(&sh[0], &pl);
    check_partition(sh, nsh, &pl);
    for (unsigned k = 0; k < NROWFILES; k++)
        for (size_t s = 0; s < nsh; s++)
            read_rows(&sh[s], (unsigned)s, k, &pl, &rows[k]);

    /* Everything checked: from here on the merged folder exists. */
    char dir[PATH_MAX], run_id[96];
    make_merged_dir(out, dir, sizeof dir, run_id, sizeof run_id);
    for (unsigned k = 0; k < NROWFILES; k++)
        write_rows(dir, &rowfiles[k], run_id, &rows[k]);
    size_t cells_run = 0, launches_run = 0;
    for (size_t i = 0; i < rows[0].n; i++) /* sorted by cell */
        cells_run += i == 0 || rows[0].r[i].cell != rows[0].r[i - 1].cell;
    for (size_t s = 0; s < nsh; s++) {
        const char *v = meta_get(&sh[s].m, "launches_run");
        launches_run += v ? strtoul(v, NULL, 10) : 0;
    }
    struct run_ctx rc = {.run_id = run_id};
    rc.f.meta = res_create(dir, "meta.csv");
    write_meta(rc.f.meta, sh, nsh, run_id, cmd.p, allow_mixed, mixed,
               cells_run, launches_run);
    rc.f.log = res_create(dir, "cells.log");
    run_log_line(&rc, "merged run %s: %zu shards of plan %s", run_id, nsh,
                 meta_get(&sh[0].m, "plan_hash"));
    for (size_t s = 0; s < nsh; s++) {
        const char *el = meta_get(&sh[s].m, "elapsed_s");
        run_log_line(&rc, "shard %u/%u: %s (run %s), %s launches in %s s; "
                     "its own log: %s/cells.log", sh[s].i, sh[s].n,
                     sh[s].dir, meta_get(&sh[s].m, "run_id"),
                     meta_get(&sh[s].m, "launches_run")
                         ? meta_get(&sh[s].m, "launches_run") : "?",
                     el ? el : "?", sh[s].dir);
    }
    if (run_summary_write(dir, 0, stdout) != 0)
        fprintf(stderr, "heaplab: the rows are in %s/cells.csv; `heaplab "
                "summary` can write the summary again\n", dir);
    const char *region = meta_get(&sh[0].m, "qemu_region_bytes");
    bool same_region = !region || strtoull(region, NULL, 10) ==
                                      (unsigned long long)CELL_REGION_BYTES;
    cross_check(&rc, dir, same_region);
    close(rc.f.meta);
    close(rc.f.log);
    printf("\nmerged %zu shards: %zu of %zu cells (%zu launches); results "
           "in %s\n", nsh, cells_run, pl.n, launches_run, dir);

    for (unsigned k = 0; k < NROWFILES; k++)
        free(rows[k].r);
    for (size_t s = 0; s < nsh; s++) {
        meta_free(&sh[s].m);
        for (unsigned k = 0; k < NROWFILES; k++)
            free(sh[s].files[k]);
    }
    for (size_t c = 0; c < pl.n; c++)
        for (size_t i = 0; i < 7; i++)
            free(pl.cells[c].f[i]);
    free(pl.cells);
    free(sh);
    free(dirs);
    dbuf_free(&cmd);
    return CLI_EXIT_OK;
}
