/*
 * mergeread.c — the reading half of `heaplab merge` (mergeread.h).
 *
 * A refusal deep in the reading unwinds to merge_read by longjmp; every
 * allocation is held by the merge or the reading context at that moment,
 * and merge_read frees them all before it returns the refusal.
 */
#define _GNU_SOURCE
#include "bench/host/mergeread.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/core/runner.h"
#include "bench/host/csvline.h"

_Static_assert(COL_RUN_ID == 0 && LAT_RUN_ID == 0 && TL_RUN_ID == 0 &&
                   LEAK_RUN_ID == 0,
               "run_id is the first column of every row file");

const struct merge_rowfile merge_rowfiles[MERGE_NROWFILES] = {
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

/* The reading's scratch, freed on both paths, and where a refusal goes. */
struct rd {
    struct merge *m;
    jmp_buf fail;
    int status; /* -1 refused, -2 out of memory */
    char *why;
    size_t why_cap;
    size_t *first; /* check_partition: cell c's launches start at first[c] */
    int *owner;    /* ... and the shard that ran each launch */
    char *copy;    /* a strdup being tokenized */
    char *tmp;     /* read_rows: the row being split */
    size_t tmp_cap;
};

static _Noreturn __attribute__((format(printf, 2, 3))) void
refuse(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, r->why_cap, fmt, ap);
    va_end(ap);
    r->status = -1;
    longjmp(r->fail, 1);
}

static void *need_mem(struct rd *r, void *p)
{
    if (!p) {
        snprintf(r->why, r->why_cap, "out of memory");
        r->status = -2;
        longjmp(r->fail, 1);
    }
    return p;
}

/* ---- files and meta.csv ------------------------------------------------------ */

/* The whole of dir/name, NUL-terminated, or NULL (errno set). */
static char *slurp(struct rd *r, const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                need_mem(r, NULL);
            }
            text = t;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        errno = EIO;
        return NULL;
    }
    if (!text)
        text = need_mem(r, calloc(1, 1));
    text[len] = '\0';
    return text;
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

const char *merge_meta_get(const struct merge_meta *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].key, key))
            return m->e[i].value;
    return NULL;
}

static void meta_read(struct rd *r, const char *dir, struct merge_meta *m)
{
    *m = (struct merge_meta){0};
    m->text = slurp(r, dir, "meta.csv");
    if (!m->text)
        refuse(r, "'%s' is not a run folder (no readable meta.csv: %s)", dir,
               strerror(errno));
    char *p = m->text, *line;
    size_t lineno = 0;
    while ((line = next_line(&p))) {
        lineno++;
        char *f[3];
        int nf = csv_split(line, f, 3);
        if (lineno == 1) {
            if (nf != 2 || strcmp(f[0], "key") || strcmp(f[1], "value"))
                refuse(r, "'%s/meta.csv' has no key,value header", dir);
            continue;
        }
        if (nf != 2)
            refuse(r, "'%s/meta.csv' line %zu is not a key,value row", dir,
                   lineno);
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 256;
            m->e = need_mem(r, realloc(m->e, cap * sizeof *m->e));
            m->cap = cap;
        }
        m->e[m->n++] = (struct merge_kv){f[0], f[1]};
    }
}

/* ---- the plan, from meta.csv ------------------------------------------------- */

static bool parse_u32(const char *s, uint32_t *out)
{
    if (!s || !s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
        return false;
    *out = (uint32_t)strtoul(s, NULL, 10);
    return true;
}

/* c's fields are set (and owned by the plan) only when it returns true. */
static bool parse_pcell(struct rd *r, const char *text, struct merge_pcell *c)
{
    char *tok[10], *p;
    r->copy = p = need_mem(r, strdup(text));
    size_t n = 0;
    while (p && n < 10)
        tok[n++] = strsep(&p, " ");
    size_t k = 5; /* the optional words after params */
    bool sweep = n > k + 2 && !strncmp(tok[k], "sweep=", 6);
    k += sweep;
    bool aparams = n > k + 2 && !strncmp(tok[k], "aparams=", 8);
    k += aparams;
    bool ok = !p && n == k + 2 && !strncmp(tok[n - 2], "launches=", 9) &&
              parse_u32(tok[n - 2] + 9, &c->launches) && c->launches != 0;
    if (ok) {
        *c = (struct merge_pcell){.launches = c->launches};
        for (size_t i = 0; i < 5; i++)
            c->f[i] = strdup(tok[i]);
        c->f[PC_SWEEP] = strdup(sweep ? tok[5] + 6 : "");
        c->f[PC_APARAMS] = strdup(aparams ? tok[5 + sweep] + 8 : "");
    }
    free(r->copy);
    r->copy = NULL;
    if (ok)
        for (size_t i = 0; i < 7; i++)
            if (!c->f[i]) {
                for (size_t j = 0; j < 7; j++)
                    free(c->f[j]);
                need_mem(r, NULL);
            }
    return ok;
}

/* ---- shards ------------------------------------------------------------------ */

/* Keys that say which build made a run and on which machine. */
static const char *const build_keys[] = {"git_commit", "compiler", "c_flags",
                                         "build_type", "check_level",
                                         "sanitize"};
static const char *const machine_keys[] = {"cpu_model", "tsc_hz",
                                           "hwloc_topology"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *need(struct rd *r, const struct merge_shard *s,
                        const char *key)
{
    const char *v = merge_meta_get(&s->m, key);
    if (!v)
        refuse(r, "'%s' is not a shard of a plan: its meta.csv has no %s "
                  "(heaplab run --shard I/N writes it)", s->dir, key);
    return v;
}

static void read_shard(struct rd *r, struct merge_shard *s)
{
    struct stat st;
    if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        refuse(r, "'%s' is not a run folder (not a folder)", s->dir);
    meta_read(r, s->dir, &s->m);
    const char *status = merge_meta_get(&s->m, "run_status");
    if (!status || strcmp(status, "complete"))
        refuse(r, "'%s' is a run that did not complete (run_status %s)",
               s->dir, status ? status : "missing");
    const char *sh = need(r, s, "shard");
    char tail;
    if (sscanf(sh, "%u/%u%c", &s->i, &s->n, &tail) != 2 || s->i < 1 ||
        s->n > MERGE_MAX_SHARDS || s->i > s->n)
        refuse(r, "'%s' has a bad shard in meta.csv: '%s'", s->dir, sh);
    need(r, s, "plan_hash");
    need(r, s, "plan.launches");
    need(r, s, "shard.launches");
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

bool merge_same_value(const char *key, const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    if (!strcmp(key, "tsc_hz"))
        return same_tsc(a, b);
    return !strcmp(a, b);
}

/* Shard s against shard 0: the same plan, build and machine.  Returns
 * the number of identity keys that differ (allowed: allow_mixed). */
static size_t compare_shards(struct rd *r, const struct merge_shard *s0,
                             const struct merge_shard *s, bool allow_mixed)
{
    const char *a = merge_meta_get(&s0->m, "plan_hash");
    const char *b = merge_meta_get(&s->m, "plan_hash");
    if (strcmp(a, b))
        refuse(r, "'%s' is of another plan than '%s': plan_hash %s, not %s",
               s->dir, s0->dir, b, a);
    if (s->n != s0->n)
        refuse(r, "'%s' is shard %u/%u but '%s' is shard %u/%u: different "
                  "shard counts", s->dir, s->i, s->n, s0->dir, s0->i, s0->n);
    size_t mixed = 0;
    for (size_t g = 0; g < 2; g++) {
        const char *const *keys = g ? machine_keys : build_keys;
        size_t nk = g ? COUNT(machine_keys) : COUNT(build_keys);
        for (size_t k = 0; k < nk; k++) {
            a = merge_meta_get(&s0->m, keys[k]);
            b = merge_meta_get(&s->m, keys[k]);
            if (merge_same_value(keys[k], a, b))
                continue;
            if (!allow_mixed)
                refuse(r, "'%s' is of another %s than '%s': %s %s, not %s "
                          "(--allow-mixed merges it anyway)", s->dir,
                       g ? "machine" : "build", s0->dir, keys[k],
                       b ? b : "missing", a ? a : "missing");
            mixed++;
        }
    }
    return mixed;
}

/* ---- the partition of the plan's launches ----------------------------------- */

static void read_plan(struct rd *r, const struct merge_shard *s0,
                      struct merge_plan *pl)
{
    for (;;) {
        char key[64];
        snprintf(key, sizeof key, "plan.cell.%zu", pl->n);
        const char *v = merge_meta_get(&s0->m, key);
        if (!v)
            break;
        pl->cells = need_mem(r, realloc(pl->cells,
                                        (pl->n + 1) * sizeof *pl->cells));
        if (!parse_pcell(r, v, &pl->cells[pl->n]))
            refuse(r, "'%s/meta.csv': %s is not a plan cell: '%s'", s0->dir,
                   key, v);
        pl->launches += pl->cells[pl->n].launches;
        pl->n++;
    }
    if (pl->n == 0)
        refuse(r, "'%s/meta.csv' has no plan.cell lines", s0->dir);
    const char *pn = merge_meta_get(&s0->m, "plan.launches");
    uint32_t want;
    if (!parse_u32(pn, &want) || want != pl->launches)
        refuse(r, "'%s/meta.csv': plan.launches %s, but its plan.cell lines "
                  "hold %zu launches", s0->dir, pn, pl->launches);
}

/* Every cell:launch of the plan in exactly one shard's shard.launches. */
static void check_partition(struct rd *r, const struct merge_shard *sh,
                            size_t nsh, const struct merge_plan *pl)
{
    r->first = need_mem(r, calloc(pl->n + 1, sizeof *r->first));
    for (size_t c = 0; c < pl->n; c++)
        r->first[c + 1] = r->first[c] + pl->cells[c].launches;
    r->owner = need_mem(r, malloc((pl->launches + 1) * sizeof *r->owner));
    for (size_t k = 0; k < pl->launches; k++)
        r->owner[k] = -1;
    for (size_t s = 0; s < nsh; s++) {
        r->copy = need_mem(r, strdup(merge_meta_get(&sh[s].m, "shard.launches")));
        for (char *save = NULL, *t = strtok_r(r->copy, " ", &save); t;
             t = strtok_r(NULL, " ", &save)) {
            char *colon = strchr(t, ':');
            uint32_t c, l;
            if (colon)
                *colon = '\0';
            if (!colon || !parse_u32(t, &c) || !parse_u32(colon + 1, &l) ||
                c >= pl->n || l >= pl->cells[c].launches) {
                if (colon)
                    *colon = ':';
                refuse(r, "'%s': shard.launches names '%s', no launch "
                          "(cell:launch) of the plan", sh[s].dir, t);
            }
            int *o = &r->owner[r->first[c] + l];
            if (*o >= 0)
                refuse(r, "'%s' and '%s' both ran launch %u:%u (cell:launch)",
                       sh[*o].dir, sh[s].dir, c, l);
            *o = (int)s;
        }
        free(r->copy);
        r->copy = NULL;
    }
    for (size_t c = 0; c < pl->n; c++)
        for (uint32_t l = 0; l < pl->cells[c].launches; l++)
            if (r->owner[r->first[c] + l] < 0)
                refuse(r, "no shard ran launch %zu:%u (cell:launch) of the "
                          "plan (shard.launches of the %zu shards)", c, l, nsh);
}

/* ---- rows -------------------------------------------------------------------- */

int merge_row_cmp(const void *pa, const void *pb)
{
    const struct merge_row *a = pa, *b = pb;
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

static bool cell_matches(const struct merge_pcell *c,
                         const struct merge_rowfile *rf, char **f)
{
    return !strcmp(c->f[PC_ENV], f[rf->env]) &&
           (rf->clock < 0 || !strcmp(c->f[PC_CLOCK], f[rf->clock])) &&
           !strcmp(c->f[PC_ALLOC], f[rf->alloc]) &&
           !strcmp(c->f[PC_WORKLOAD], f[rf->workload]) &&
           !strcmp(c->f[PC_PARAMS], f[rf->params]) &&
           (rf->sweep < 0 || !strcmp(c->f[PC_SWEEP], f[rf->sweep])) &&
           (rf->aparams < 0 || !strcmp(c->f[PC_APARAMS], f[rf->aparams]));
}

/* The header line of path (r->tmp holds a copy) against the column table. */
static void check_header(struct rd *r, const char *path,
                         const struct merge_rowfile *rf, char *line)
{
    if (!strcmp(line, *rf->header_ptr))
        return;
    char *f[256];
    int nf = csv_split(line, f, 256);
    for (unsigned i = 0; nf > 0 && i < rf->ncols && i < (unsigned)nf; i++)
        if (strcmp(f[i], csv_column_name(rf->kind, (int)i)))
            refuse(r, "'%s': header differs from this heaplab's column "
                      "table: column %u is '%s', not '%s'", path, i + 1, f[i],
                   csv_column_name(rf->kind, (int)i));
    refuse(r, "'%s': header differs from this heaplab's column table: %d "
              "columns, not %u", path, nf, rf->ncols);
}

/* A copy of line in r->tmp, to split. */
static char *scratch(struct rd *r, const char *line)
{
    size_t n = strlen(line) + 1;
    if (n > r->tmp_cap) {
        r->tmp = need_mem(r, realloc(r->tmp, 2 * n));
        r->tmp_cap = 2 * n;
    }
    return memcpy(r->tmp, line, n);
}

/* Read s's file k into rows (the file stays in s->files[k]). */
static void read_rows(struct rd *r, struct merge_shard *s, unsigned si,
                      unsigned k, const struct merge_plan *pl,
                      struct merge_rows *out)
{
    const struct merge_rowfile *rf = &merge_rowfiles[k];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", s->dir, rf->name);
    s->files[k] = slurp(r, s->dir, rf->name);
    if (!s->files[k])
        refuse(r, "'%s' cannot be read: %s", path, strerror(errno));
    char *p = s->files[k], *line;
    char *f[256];
    size_t lineno = 0, last = SIZE_MAX;
    while ((line = next_line(&p))) {
        lineno++;
        if (lineno == 1) {
            check_header(r, path, rf, scratch(r, line));
            continue;
        }
        if (!line[0])
            continue;
        int nf = csv_split(scratch(r, line), f, 256);
        if (nf != (int)rf->ncols)
            refuse(r, "'%s' line %zu: %d fields, not %u (or a malformed "
                      "quote)", path, lineno, nf, rf->ncols);
        uint32_t rep;
        if (!parse_u32(f[rf->rep], &rep))
            refuse(r, "'%s' line %zu: bad rep '%s'", path, lineno, f[rf->rep]);
        size_t c = last;
        if (c == SIZE_MAX || !cell_matches(&pl->cells[c], rf, f))
            for (c = 0; c < pl->n; c++)
                if (cell_matches(&pl->cells[c], rf, f))
                    break;
        if (c == pl->n)
            refuse(r, "'%s' line %zu: %s x %s (%s) in %s is no cell of the "
                      "plan", path, lineno, f[rf->alloc], f[rf->workload],
                   f[rf->params], f[rf->env]);
        last = c;
        if (out->n == out->cap) {
            size_t cap = out->cap ? 2 * out->cap : 4096;
            out->r = need_mem(r, realloc(out->r, cap * sizeof *out->r));
            out->cap = cap;
        }
        out->r[out->n++] = (struct merge_row){c, rep, si, lineno,
                                              after_first_field(line)};
    }
    if (lineno == 0)
        refuse(r, "'%s': header differs from this heaplab's column table: "
                  "the file is empty", path);
}

/* ---- the whole ----------------------------------------------------------------- */

void merge_free(struct merge *m)
{
    for (unsigned k = 0; k < MERGE_NROWFILES; k++)
        free(m->rows[k].r);
    for (size_t s = 0; m->sh && s < m->nsh; s++) {
        free(m->sh[s].m.e);
        free(m->sh[s].m.text);
        for (unsigned k = 0; k < MERGE_NROWFILES; k++)
            free(m->sh[s].files[k]);
    }
    for (size_t c = 0; c < m->pl.n; c++)
        for (size_t i = 0; i < 7; i++)
            free(m->pl.cells[c].f[i]);
    free(m->pl.cells);
    free(m->sh);
    *m = (struct merge){0};
}

static void read_all(struct rd *r, const char *const *dirs, size_t n,
                     bool allow_mixed)
{
    struct merge *m = r->m;
    if (n == 0)
        refuse(r, "merge needs the shards' run folders");
    if (n > MERGE_MAX_SHARDS)
        refuse(r, "too many run folders for merge: %zu (at most %d)", n,
               MERGE_MAX_SHARDS);
    m->sh = need_mem(r, calloc(n, sizeof *m->sh));
    m->nsh = n;
    for (size_t s = 0; s < n; s++) {
        m->sh[s].dir = dirs[s];
        read_shard(r, &m->sh[s]);
    }
    struct merge_shard *sh = m->sh;
    /* shard order, whatever the order they were named in */
    for (size_t s = 1; s < n; s++)
        for (size_t t = s; t > 0 && sh[t - 1].i > sh[t].i; t--) {
            struct merge_shard x = sh[t];
            sh[t] = sh[t - 1];
            sh[t - 1] = x;
        }
    for (size_t s = 1; s < n; s++)
        m->mixed += compare_shards(r, &sh[0], &sh[s], allow_mixed);
    for (size_t s = 1; s < n; s++)
        if (sh[s].i == sh[s - 1].i)
            refuse(r, "'%s' and '%s' are both shard %u/%u", sh[s - 1].dir,
                   sh[s].dir, sh[s].i, sh[s].n);
    if (n < sh[0].n) {
        unsigned want = 1;
        for (size_t s = 0; s < n && sh[s].i == want; s++)
            want++;
        refuse(r, "shard %u/%u is missing (%zu of %u shards given)", want,
               sh[0].n, n, sh[0].n);
    }
    read_plan(r, &sh[0], &m->pl);
    check_partition(r, sh, n, &m->pl);
    for (unsigned k = 0; k < MERGE_NROWFILES; k++) {
        for (size_t s = 0; s < n; s++)
            read_rows(r, &sh[s], (unsigned)s, k, &m->pl, &m->rows[k]);
        qsort(m->rows[k].r, m->rows[k].n, sizeof *m->rows[k].r, merge_row_cmp);
    }
}

int merge_read(struct merge *m, const char *const *dirs, size_t n,
               bool allow_mixed, char *why, size_t cap)
{
    *m = (struct merge){0};
    if (cap)
        why[0] = '\0';
    /* Allocated, not automatic: the reading changes it between setjmp and
     * longjmp, after which an automatic object's value is indeterminate
     * (C11 7.13.2.1). */
    struct rd *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(why, cap, "out of memory");
        return -2;
    }
    *r = (struct rd){.m = m, .why = why, .why_cap = cap};
    if (!setjmp(r->fail))
        read_all(r, dirs, n, allow_mixed);
    free(r->first);
    free(r->owner);
    free(r->copy);
    free(r->tmp);
    int status = r->status;
    free(r);
    if (status)
        merge_free(m);
    return status;
}
