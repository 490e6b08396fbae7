/*
 * csvread.c — a run's CSV files read through the column table
 * (csvread.h).
 */
#define _GNU_SOURCE
#include "bench/host/csvread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host/csvline.h"

/* Each kind's names, generated from the column table. */
#define NAME_(name, E) #name,
static const char *const meta_names[] = {HL_META_COLUMNS(NAME_)};
static const char *const cells_names[] = {HL_CELLS_COLUMNS(NAME_)};
static const char *const latency_names[] = {HL_LATENCY_COLUMNS(NAME_)};
static const char *const timeline_names[] = {HL_TIMELINE_COLUMNS(NAME_)};
static const char *const summary_names[] = {HL_SUMMARY_COLUMNS(NAME_)};
static const char *const ratios_names[] = {HL_RATIOS_COLUMNS(NAME_)};
static const char *const leaks_names[] = {HL_LEAKS_COLUMNS(NAME_)};
#undef NAME_

static const struct {
    const char *file;
    const char *const *names;
    int n;
} kinds[CSV_KINDS] = {
    [CSV_META] = {"meta.csv", meta_names, META_COLUMNS},
    [CSV_CELLS] = {"cells.csv", cells_names, CELL_COLUMNS},
    [CSV_LATENCY] = {"latency.csv", latency_names, LATENCY_COLUMNS},
    [CSV_TIMELINE] = {"timeline.csv", timeline_names, TIMELINE_COLUMNS},
    [CSV_SUMMARY] = {"summary.csv", summary_names, SUMMARY_COLUMNS},
    [CSV_RATIOS] = {"ratios.csv", ratios_names, RATIOS_COLUMNS},
    [CSV_LEAKS] = {"leaks.csv", leaks_names, LEAKS_COLUMNS},
};

/* A `required` mask and pos[] hold every column of every list. */
_Static_assert(META_COLUMNS <= 64 && CELL_COLUMNS <= 64 &&
                   LATENCY_COLUMNS <= 64 && TIMELINE_COLUMNS <= 64 &&
                   SUMMARY_COLUMNS <= 64 && RATIOS_COLUMNS <= 64 &&
                   LEAKS_COLUMNS <= 64,
               "a column list longer than a required mask");
_Static_assert(sizeof meta_names / sizeof meta_names[0] == META_COLUMNS &&
                   sizeof summary_names / sizeof summary_names[0] ==
                       SUMMARY_COLUMNS,
               "names and enums from one list");

const char *csv_file_name(enum csv_kind kind)
{
    return kinds[kind].file;
}

int csv_columns(enum csv_kind kind)
{
    return kinds[kind].n;
}

const char *csv_column_name(enum csv_kind kind, int c)
{
    return c >= 0 && c < kinds[kind].n ? kinds[kind].names[c] : "";
}

int csv_column_index(enum csv_kind kind, const char *name)
{
    for (int c = 0; c < kinds[kind].n; c++)
        if (!strcmp(kinds[kind].names[c], name))
            return c;
    return -1;
}

int csvr_fail(struct csvr *r, const char *fmt, ...)
{
    int k;
    if (r->lineno > 1)
        k = snprintf(r->err, sizeof r->err, "'%s' line %u: ", r->path,
                     r->lineno);
    else
        k = snprintf(r->err, sizeof r->err, "'%s' ", r->path);
    if (k >= 0 && (size_t)k < sizeof r->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + k, sizeof r->err - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Read the next line into r->line, without its line end.  1, 0 at the
 * end of the file, -1 (r->err) for a read error, a NUL byte or a last
 * line without a newline. */
static int read_line(struct csvr *r)
{
    errno = 0;
    ssize_t len = getline(&r->line, &r->cap, r->f);
    if (len < 0) {
        if (ferror(r->f))
            return csvr_fail(r, "read error: %s", strerror(errno));
        return 0;
    }
    r->lineno++;
    if ((size_t)len != strlen(r->line))
        return csvr_fail(r, "a NUL byte in the line");
    if (r->line[len - 1] != '\n')
        return csvr_fail(r, "truncated (the last line has no end of line)");
    r->line[--len] = '\0';
    if (len > 0 && r->line[len - 1] == '\r')
        r->line[--len] = '\0';
    return 1;
}

/* Split r->line into r->fld (grown to the line's comma count + 1, so
 * every field fits); the field count, or -1 for malformed quoting. */
static int split(struct csvr *r)
{
    size_t need = 1;
    for (const char *p = r->line; *p; p++)
        need += *p == ',';
    if (need > r->fldcap) {
        char **f = realloc(r->fld, need * sizeof *f);
        if (!f)
            return -2;
        r->fld = f;
        r->fldcap = need;
    }
    return csv_split(r->line, r->fld, (int)need);
}

static int map_header(struct csvr *r, uint64_t required)
{
    int n = split(r);
    if (n == -2)
        return csvr_fail(r, "out of memory");
    if (n < 0)
        return csvr_fail(r, "has a malformed header (bad quoting)");
    for (int c = 0; c < 64; c++)
        r->pos[c] = -1;
    for (int i = 0; i < n; i++) {
        int c = csv_column_index(r->kind, r->fld[i]);
        if (c < 0)
            return csvr_fail(r, "has a malformed header: unknown column "
                                "'%s' (not a %s column of this heaplab: "
                                "docs/csv-schema.md)",
                             r->fld[i], kinds[r->kind].file);
        if (r->pos[c] >= 0)
            return csvr_fail(r, "has a malformed header: column '%s' named "
                                "twice", r->fld[i]);
        r->pos[c] = i;
    }
    for (int c = 0; c < kinds[r->kind].n; c++)
        if ((required & CSV_COL(c)) && r->pos[c] < 0)
            return csvr_fail(r, "has a malformed header: no column '%s'",
                             kinds[r->kind].names[c]);
    r->nfields = n;
    return 0;
}

int csvr_open_path(struct csvr *r, const char *path, enum csv_kind kind,
                   uint64_t required)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->f = fopen(path, "r");
    if (!r->f) {
        int e = errno;
        snprintf(r->err, sizeof r->err, "cannot read '%s': %s", path,
                 strerror(e));
        errno = e; /* csvr_open tells a missing file apart */
        return -1;
    }
    int k = read_line(r);
    if (k == 0)
        csvr_fail(r, "is empty (no header line)");
    if (k <= 0 || map_header(r, required) < 0) {
        char err[sizeof r->err];
        memcpy(err, r->err, sizeof err);
        csvr_close(r);
        memcpy(r->err, err, sizeof err);
        return -1;
    }
    return 0;
}

int csvr_open(struct csvr *r, const char *dir, enum csv_kind kind,
              uint64_t required)
{
    char path[sizeof r->path];
    snprintf(path, sizeof path, "%s/%s", dir, kinds[kind].file);
    if (csvr_open_path(r, path, kind, required) == 0)
        return 0;
    if (!r->f && errno == ENOENT)
        snprintf(r->err, sizeof r->err, "'%s' is not a run folder (no %s)",
                 dir, kinds[kind].file);
    return -1;
}

int csvr_next(struct csvr *r)
{
    int k = read_line(r);
    if (k <= 0)
        return k;
    if (r->line[0] == '\0')
        return csvr_fail(r, "empty line");
    int n = split(r);
    if (n == -2)
        return csvr_fail(r, "out of memory");
    if (n < 0)
        return csvr_fail(r, "malformed CSV (bad quoting)");
    if (n != r->nfields)
        return csvr_fail(r, "%d fields, the header has %d (truncated or "
                            "malformed line?)", n, r->nfields);
    return 1;
}

void csvr_close(struct csvr *r)
{
    if (r->f)
        fclose(r->f);
    free(r->line);
    free(r->fld);
    r->f = NULL;
    r->line = NULL;
    r->fld = NULL;
    r->cap = r->fldcap = 0;
}

bool csvr_has(const struct csvr *r, int c)
{
    return c >= 0 && c < kinds[r->kind].n && r->pos[c] >= 0;
}

const char *csvr_str(const struct csvr *r, int c)
{
    return csvr_has(r, c) ? r->fld[r->pos[c]] : "";
}

/* The field of c; 0 if it is empty (an error unless empty_ok). */
static int nonempty(struct csvr *r, int c, bool empty_ok, const char **s)
{
    *s = csvr_str(r, c);
    if ((*s)[0])
        return 1;
    return empty_ok ? 0
                    : csvr_fail(r, "empty value in column '%s'",
                                csv_column_name(r->kind, c));
}

int csvr_num(struct csvr *r, int c, double *out, bool empty_ok)
{
    const char *s;
    *out = NAN;
    int k = nonempty(r, c, empty_ok, &s);
    if (k <= 0)
        return k;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* strtod also takes hex, inf, nan and leading spaces: refuse them */
    if (*end || errno || !isfinite(v) ||
        strspn(s, "0123456789.-+eE") != strlen(s))
        return csvr_fail(r, "bad number '%s' in column '%s'", s,
                         csv_column_name(r->kind, c));
    *out = v;
    return 1;
}

int csvr_u64(struct csvr *r, int c, uint64_t *out, bool empty_ok)
{
    const char *s;
    *out = 0;
    int k = nonempty(r, c, empty_ok, &s);
    if (k <= 0)
        return k;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return csvr_fail(r, "bad number '%s' in column '%s' (expected "
                                "an unsigned integer)",
                             s, csv_column_name(r->kind, c));
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}
