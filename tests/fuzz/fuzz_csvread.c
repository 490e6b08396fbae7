/*
 * fuzz_csvread.c — the reader of a run's CSV files (bench/host/csvread.h:
 * csvr_open_path, csvr_next, csvr_str, csvr_num, csvr_u64), behind
 * compare, plot, summary and repeat (merge has a reader of its own).  The
 * input is a whole file of any kind, CSV_META .. CSV_RATIOS.
 *
 * Input: byte 0 picks the kind (bits 0..2, modulo CSV_KINDS) and the
 * `required` mask (bits 3..4: none, every column, one column named by
 * byte 1, or a mask from bytes 1..8); the rest is the file.  The file is
 * written to a private temporary folder (tmpfs when TMPDIR points there)
 * and read with csvr_open_path, as the commands read it.
 *
 * What must hold (a failure aborts; libFuzzer keeps the input):
 *   - a refusal (open or row) is one line, non-empty, naming the file;
 *     a refused open leaves nothing open;
 *   - an accepted header maps each column at most once, to a field
 *     inside the header, and has every required column;
 *   - every row has the header's field count; csvr_str is "" exactly for
 *     absent columns; csvr_num and csvr_u64 either refuse with one line
 *     or give a finite number that the field spells (an integer's digits
 *     and nothing else);
 *   - the line numbers stay inside the file;
 *   - the round trip: the header and the rows read, written again with
 *     csvline.h's writer, read back to the same header and rows.
 */
#define _GNU_SOURCE /* mkdtemp, open_memstream */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/host/csvline.h"
#include "bench/host/csvread.h"
#include "tests/fuzz/fuzz.h"

static char dir[4096], path[4200], path2[4200];
static struct csvr rd;

static void cleanup(void)
{
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hl-fuzz-csvread-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_csvread: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/in.csv", dir);
    snprintf(path2, sizeof path2, "%s/again.csv", dir);
    atexit(cleanup);
    return 0;
}

static void write_file(const char *p, const void *data, size_t size)
{
    FILE *f = fopen(p, "wb");
    FZ_REQUIRE(f && fwrite(data, 1, size, f) == size && fclose(f) == 0,
               "cannot write %s", p);
}

static void require_one_line(const struct csvr *r, const char *p, bool row)
{
    FZ_REQUIRE(r->err[0] && !strchr(r->err, '\n'),
               "refusal '%s' is empty or more than one line", r->err);
    FZ_REQUIRE(strstr(r->err, p) != NULL, "refusal '%s' does not name the "
               "file", r->err);
    if (row)
        FZ_REQUIRE(strstr(r->err, " line ") != NULL,
                   "row refusal '%s' names no line", r->err);
}

/* The field's numbers, as the readers take them. */
static void numbers(struct csvr *r, int c, const char *p)
{
    const char *s = csvr_str(r, c);
    double d;
    int k = csvr_num(r, c, &d, true);
    if (k < 0) {
        require_one_line(r, p, true);
    } else if (k == 0) {
        FZ_REQUIRE(!s[0] && isnan(d), "csvr_num: 0 for '%s'", s);
    } else {
        FZ_REQUIRE(s[0] && isfinite(d) && strtod(s, NULL) == d,
                   "csvr_num: '%s' read as %g", s, d);
    }
    uint64_t u;
    k = csvr_u64(r, c, &u, false);
    if (k < 0) {
        require_one_line(r, p, true);
        FZ_REQUIRE(!s[0] || strspn(s, "0123456789") != strlen(s) ||
                       strlen(s) >= 20,
                   "csvr_u64 refused '%s'", s);
        return;
    }
    FZ_REQUIRE(k == 1 && s[0], "csvr_u64: %d for an empty field", k);
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, u);
    const char *digits = s + strspn(s, "0");
    if (!digits[0])
        digits = "0";
    FZ_REQUIRE(strspn(s, "0123456789") == strlen(s) && !strcmp(buf, digits),
               "csvr_u64: '%s' read as %s", s, buf);
}

/* Read p as kind with required; the header and rows are written, in
 * canonical form, to out (if not NULL).  Returns the rows read; *status
 * is csvr_next's last return, or -2 if the open was refused. */
static size_t read_all(const char *p, enum csv_kind kind, uint64_t required,
                       size_t size, FILE *out, int *status, bool probe)
{
    struct csvr *r = &rd;
    if (csvr_open_path(r, p, kind, required) != 0) {
        require_one_line(r, p, false);
        FZ_REQUIRE(!r->f && !r->line && !r->fld, "a refused open left "
                   "something open");
        *status = -2;
        return 0;
    }
    int ncols = csv_columns(kind);
    FZ_REQUIRE(r->nfields >= 1 && r->lineno == 1, "header: %d fields, line "
               "%u", r->nfields, r->lineno);
    const char *names[64] = {0};
    int mapped = 0;
    for (int c = 0; c < 64; c++) {
        if (r->pos[c] < 0)
            continue;
        FZ_REQUIRE(c < ncols && r->pos[c] < r->nfields && !names[r->pos[c]],
                   "column %d at field %d of %d", c, r->pos[c], r->nfields);
        names[r->pos[c]] = csv_column_name(kind, c);
        mapped++;
    }
    FZ_REQUIRE(mapped == r->nfields, "%d columns mapped, the header has %d "
               "fields", mapped, r->nfields);
    for (int c = 0; c < ncols; c++)
        FZ_REQUIRE(!(required & CSV_COL(c)) || csvr_has(r, c),
                   "required column '%s' missing", csv_column_name(kind, c));
    if (out)
        csv_put_row(out, names, r->nfields);

    size_t rows = 0;
    int k;
    while ((k = csvr_next(r)) == 1) {
        rows++;
        FZ_REQUIRE(r->lineno == rows + 1 && r->lineno <= size,
                   "row %zu at line %u", rows, r->lineno);
        for (int c = 0; c < ncols; c++) {
            const char *s = csvr_str(r, c);
            FZ_REQUIRE(s && (csvr_has(r, c) || !s[0]),
                       "csvr_str of absent column %d is '%s'", c,
                       s ? s : "(null)");
            if (probe)
                numbers(r, c, p);
        }
        if (out)
            csv_put_row(out, (const char *const *)r->fld, r->nfields);
    }
    if (k < 0)
        require_one_line(r, p, true);
    FZ_REQUIRE(k == 0 || k == -1, "csvr_next returned %d", k);
    *status = k;
    csvr_close(r);
    return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f);
    enum csv_kind kind = (enum csv_kind)((mode & 7) % CSV_KINDS);
    int ncols = csv_columns(kind);
    uint64_t all = ncols == 64 ? UINT64_MAX : CSV_COL(ncols) - 1;
    uint64_t required = 0;
    switch ((mode >> 3) & 3) {
    case 0:
        break;
    case 1:
        required = all;
        break;
    case 2:
        required = CSV_COL(fz_u8(&f) % ncols);
        break;
    default:
        required = fz_u64(&f) & all;
        break;
    }
    write_file(path, f.p, f.n);

    char *canon = NULL, *canon2 = NULL;
    size_t canon_len = 0, canon2_len = 0;
    FILE *out = open_memstream(&canon, &canon_len);
    FZ_REQUIRE(out, "open_memstream");
    int st;
    size_t rows = read_all(path, kind, required, f.n, out, &st, true);
    FZ_REQUIRE(fclose(out) == 0, "open_memstream");
    if (st == -2) {
        free(canon);
        return 0;
    }
    /* A one-column row whose field is empty ("" in the file) is written
     * back as an empty line, which the reader refuses: heaplab writes no
     * one-column file, so the round trip is not asked of it. */
    bool comparable = true;
    for (size_t i = 0; i + 1 < canon_len; i++)
        if (canon[i] == '\n' && canon[i + 1] == '\n')
            comparable = false;
    if (comparable) {
        write_file(path2, canon, canon_len);
        out = open_memstream(&canon2, &canon2_len);
        FZ_REQUIRE(out, "open_memstream");
        size_t rows2 = read_all(path2, kind, required, canon_len, out, &st,
                                false);
        FZ_REQUIRE(fclose(out) == 0, "open_memstream");
        FZ_REQUIRE(st == 0 && rows2 == rows, "written again, %zu rows read "
                   "back as %zu (status %d: %s)", rows, rows2, st, rd.err);
        FZ_REQUIRE(canon2_len == canon_len &&
                       !memcmp(canon, canon2, canon_len),
                   "written again, the %zu rows read back differently", rows);
    }
    free(canon);
    free(canon2);
    return 0;
}
