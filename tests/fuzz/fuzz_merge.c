/*
 * fuzz_merge.c — the reader of `heaplab merge` (merge_read,
 * bench/host/mergeread.h): one to three shard run folders.
 *
 * Input: byte 0 picks the shard count (1 + b % 3) and --allow-mixed
 * (bit 2); the rest is cut at each "\xff\xfe" into the folders' files,
 * shard by shard, in the order meta.csv, cells.csv, latency.csv,
 * timeline.csv, leaks.csv (a file the input does not reach is absent).
 * They are written to a private temporary folder (tmpfs when TMPDIR
 * points there).  Checked: a refusal is one line and leaves the merge
 * empty; an accepted merge has shards 1..N of N in order, a plan whose
 * launches each shard.launches word covers once, every data line of
 * every row file as one row of a plan cell whose key columns it has,
 * rows in (cell, rep, shard, line) order, each splitting into the file's
 * columns; and naming the folders in the other order changes nothing.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/host/csvline.h"
#include "bench/host/mergeread.h"
#include "tests/fuzz/fuzz.h"

#define MAX_SHARDS 3
#define NFILES (1 + MERGE_NROWFILES)

static const char *const file_names[NFILES] = {
    "meta.csv", "cells.csv", "latency.csv", "timeline.csv", "leaks.csv"};
static char root[4096];
static char dirs[MAX_SHARDS][4200];

static void cleanup(void)
{
    char path[4400];
    for (int s = 0; s < MAX_SHARDS; s++) {
        for (unsigned k = 0; k < NFILES; k++) {
            snprintf(path, sizeof path, "%s/%s", dirs[s], file_names[k]);
            unlink(path);
        }
        rmdir(dirs[s]);
    }
    rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/hl-fuzz-merge-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("fuzz_merge: mkdtemp");
        return 1;
    }
    for (int s = 0; s < MAX_SHARDS; s++) {
        snprintf(dirs[s], sizeof dirs[s], "%s/s%d", root, s + 1);
        if (mkdir(dirs[s], 0700) != 0) {
            perror("fuzz_merge: mkdir");
            return 1;
        }
    }
    atexit(cleanup);
    return 0;
}

/* Data lines of a row file as merge_read sees them: the text up to its
 * first NUL, lines cut at LF with one final CR dropped, the header and
 * empty lines not counted. */
static size_t data_lines(const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, 0, n);
    if (nul)
        n = (size_t)(nul - p);
    size_t lines = 0, lineno = 0;
    for (size_t i = 0; i < n;) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n, len = end - i;
        if (len && p[end - 1] == '\r')
            len--;
        if (++lineno > 1 && len > 0)
            lines++;
        i = end + 1;
    }
    return lines;
}

static size_t words(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p != ' ' && (p == text || p[-1] == ' ');
    return n;
}

static void check_merge(const struct merge *m, size_t nsh,
                        size_t want_rows[MERGE_NROWFILES])
{
    FZ_REQUIRE(m->nsh == nsh, "%zu shards read of %zu", m->nsh, nsh);
    size_t covered = 0;
    for (size_t s = 0; s < nsh; s++) {
        FZ_REQUIRE(m->sh[s].i == s + 1 && m->sh[s].n == nsh,
                   "accepted with shard %u/%u at place %zu of %zu",
                   m->sh[s].i, m->sh[s].n, s, nsh);
        covered += words(merge_meta_get(&m->sh[s].m, "shard.launches"));
    }
    FZ_REQUIRE(m->pl.n > 0 && covered == m->pl.launches,
               "shard.launches name %zu launches, the plan has %zu", covered,
               m->pl.launches);
    char *line = NULL, *f[256];
    size_t cap = 0;
    for (unsigned k = 0; k < MERGE_NROWFILES; k++) {
        const struct merge_rowfile *rf = &merge_rowfiles[k];
        const struct merge_rows *rows = &m->rows[k];
        FZ_REQUIRE(rows->n == want_rows[k], "%s: %zu rows of %zu data lines",
                   rf->name, rows->n, want_rows[k]);
        for (size_t i = 0; i < rows->n; i++) {
            const struct merge_row *r = &rows->r[i];
            FZ_REQUIRE(r->cell < m->pl.n && r->shard < nsh && r->line >= 2,
                       "%s row %zu: cell %zu shard %u line %zu", rf->name, i,
                       r->cell, r->shard, r->line);
            FZ_REQUIRE(i == 0 || merge_row_cmp(&rows->r[i - 1], r) < 0,
                       "%s rows %zu and %zu out of order", rf->name, i - 1, i);
            size_t n = strlen(r->rest) + 2;
            if (n > cap) {
                cap = 2 * n;
                line = realloc(line, cap);
                FZ_REQUIRE(line, "out of memory");
            }
            snprintf(line, cap, "x%s", r->rest);
            int nf = csv_split(line, f, 256);
            FZ_REQUIRE(nf == (int)rf->ncols, "%s row %zu: %d fields, not %u",
                       rf->name, i, nf, rf->ncols);
            const struct merge_pcell *c = &m->pl.cells[r->cell];
            FZ_REQUIRE(!strcmp(f[rf->env], c->f[PC_ENV]) &&
                           !strcmp(f[rf->alloc], c->f[PC_ALLOC]) &&
                           !strcmp(f[rf->workload], c->f[PC_WORKLOAD]) &&
                           !strcmp(f[rf->params], c->f[PC_PARAMS]),
                       "%s row %zu is not of plan cell %zu", rf->name, i,
                       r->cell);
        }
    }
    free(line);
}

static bool same_rows(const struct merge *a, const struct merge *b)
{
    for (unsigned k = 0; k < MERGE_NROWFILES; k++) {
        if (a->rows[k].n != b->rows[k].n)
            return false;
        for (size_t i = 0; i < a->rows[k].n; i++) {
            const struct merge_row *x = &a->rows[k].r[i], *y = &b->rows[k].r[i];
            if (merge_row_cmp(x, y) || strcmp(x->rest, y->rest))
                return false;
        }
    }
    return a->mixed == b->mixed && a->pl.n == b->pl.n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nsh = 1 + data[0] % MAX_SHARDS;
    bool allow_mixed = data[0] & 4;
    const uint8_t *p = data + 1, *end = data + size;
    size_t want_rows[MERGE_NROWFILES] = {0};
    char path[4400];
    for (size_t s = 0; s < MAX_SHARDS; s++)
        for (unsigned k = 0; k < NFILES; k++) {
            snprintf(path, sizeof path, "%s/%s", dirs[s], file_names[k]);
            unlink(path);
            if (s >= nsh || !p)
                continue;
            const uint8_t *sep = memmem(p, (size_t)(end - p), "\xff\xfe", 2);
            size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
            FILE *fp = fopen(path, "wb");
            FZ_REQUIRE(fp && fwrite(p, 1, n, fp) == n && fclose(fp) == 0,
                       "cannot write %s", path);
            if (k > 0)
                want_rows[k - 1] += data_lines(p, n);
            p = sep ? sep + 2 : NULL;
        }

    const char *names[MAX_SHARDS], *reversed[MAX_SHARDS];
    for (size_t s = 0; s < nsh; s++) {
        names[s] = dirs[s];
        reversed[nsh - 1 - s] = dirs[s];
    }
    struct merge m, r;
    char why[2048], why_r[2048];
    int st = merge_read(&m, names, nsh, allow_mixed, why, sizeof why);
    FZ_REQUIRE(st == 0 || st == -1, "merge_read returned %d (%s)", st, why);
    if (st != 0) {
        FZ_REQUIRE(why[0] && !strchr(why, '\n') && !m.sh && !m.pl.cells &&
                       !m.rows[0].r,
                   "refused with '%s' and the merge not empty", why);
    } else {
        check_merge(&m, nsh, want_rows);
    }
    int st_r = merge_read(&r, reversed, nsh, allow_mixed, why_r, sizeof why_r);
    FZ_REQUIRE((st == 0) == (st_r == 0),
               "the folders in the other order: %d ('%s'), not %d", st_r,
               st_r ? why_r : "", st);
    if (st == 0) {
        FZ_REQUIRE(same_rows(&m, &r),
                   "the folders in the other order give other rows");
        merge_free(&r);
    }
    merge_free(&m);
    return 0;
}
