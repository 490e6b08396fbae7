/*
 * csvread.h — the one reader of a run's CSV files (meta, cells, latency,
 * timeline, summary, ratios), through the column table
 * (bench/core/columns.h).  Every command that reads a run back (summary,
 * compare, repeat, plot, run's checksum cross-check) opens its files here.
 *
 * The header is mapped by NAME onto the file kind's column enum (COL_*,
 * LAT_*, TL_*, META_*, SUM_*, RAT_*):
 *
 *   - a name the kind's list does not have is refused (the file is newer
 *     than this heaplab, or not that file): one line naming the file and
 *     the column;
 *   - a name given twice is refused;
 *   - a column the caller REQUIRES (a bit mask of enums) that the header
 *     lacks is refused, naming it;
 *   - any other column may be missing, and the columns may come in any
 *     order: runs written before a column existed stay readable wherever
 *     the reader does not need that column (csvr_has says; csvr_str gives
 *     "" for it).  docs/csv-schema.md ("Reading a run back") says why a
 *     subset and not only a prefix.
 *
 * Rows: every line must end in a newline (a last line without one is a
 * cut file), hold no NUL byte, not be empty, be well-formed RFC 4180 (no
 * field spans lines in heaplab's files) and have as many fields as the
 * header.  Else the row is refused naming file:line.
 *
 * Errors are returned, never exited on: one line (no newline) in r->err,
 * "'PATH' ..." or "'PATH' line N: ...", for the caller to print (CLI
 * commands through cli_usage_fail: exit 2).
 */
#ifndef HEAPLAB_CSVREAD_H
#define HEAPLAB_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/core/columns.h"

enum csv_kind {
    CSV_META,     /* meta.csv      META_*  */
    CSV_CELLS,    /* cells.csv     COL_*   */
    CSV_LATENCY,  /* latency.csv   LAT_*   */
    CSV_TIMELINE, /* timeline.csv  TL_*    */
    CSV_SUMMARY,  /* summary.csv   SUM_*   */
    CSV_RATIOS,   /* ratios.csv    RAT_*   */
    CSV_LEAKS,    /* leaks.csv     LEAK_*  */
    CSV_KINDS
};

/* The bit of column enum c in a `required` mask (every list has at most
 * 64 columns: csvread.c asserts it). */
#define CSV_COL(c) (UINT64_C(1) << (c))

struct csvr {
    char path[4200];    /* DIR/<kind's file name> */
    enum csv_kind kind;
    FILE *f;
    unsigned lineno;    /* of the current line; 1 is the header */
    int nfields;        /* fields in the header */
    int pos[64];        /* the header's field index of each column, or -1 */
    char *line;         /* the current row, split in place into fld */
    size_t cap;
    char **fld;         /* the current row's fields [0..nfields) */
    size_t fldcap;
    char err[1024];     /* the last error, one line */
};

/* "cells.csv", ... */
const char *csv_file_name(enum csv_kind kind);

/* The number of columns of kind and the name of column c ("" if c is out
 * of range). */
int csv_columns(enum csv_kind kind);
const char *csv_column_name(enum csv_kind kind, int c);

/* The column of kind named name, or -1. */
int csv_column_index(enum csv_kind kind, const char *name);

/* Open dir/<kind's file> and map its header.  0 on success; -1 with
 * r->err set and nothing left open: no such file ("'DIR' is not a run
 * folder (no cells.csv)"), an empty file, a cut header, an unknown or
 * repeated column name, or a missing column of `required`. */
int csvr_open(struct csvr *r, const char *dir, enum csv_kind kind,
              uint64_t required);

/* The same for a file at path (the kind says which list its header is
 * checked against). */
int csvr_open_path(struct csvr *r, const char *path, enum csv_kind kind,
                   uint64_t required);

/* The next row: 1, 0 at the end of the file, -1 on a bad row or a read
 * error (r->err names file:line). */
int csvr_next(struct csvr *r);

void csvr_close(struct csvr *r);

/* Whether the header has column c. */
bool csvr_has(const struct csvr *r, int c);

/* The current row's field of column c; "" if the header has no such
 * column. */
const char *csvr_str(const struct csvr *r, int c);

/* Column c's field as a finite decimal number (sign, fraction, exponent;
 * no hex, inf, nan or spaces).  1 with *out set; 0 for an empty field
 * (or an absent column) if empty_ok, *out = NaN; else -1 with r->err
 * "'PATH' line N: bad number 'V' in column 'C'" (or "empty value in
 * column 'C'"). */
int csvr_num(struct csvr *r, int c, double *out, bool empty_ok);

/* Column c's field as an unsigned decimal integer that fits in 64 bits;
 * the same returns as csvr_num (*out = 0 for an empty field). */
int csvr_u64(struct csvr *r, int c, uint64_t *out, bool empty_ok);

/* Set r->err to "'PATH' line N: " + the message (just "'PATH' " + the
 * message before the first row); returns -1. */
int csvr_fail(struct csvr *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* HEAPLAB_CSVREAD_H */
