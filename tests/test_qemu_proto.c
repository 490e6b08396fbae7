/*
 * test_qemu_proto.c — the serial line protocol of the heaplab kernel as
 * bench/host/qemu.c reads it: qemu_parse_line (one line) and the
 * splitter (a byte stream into lines), on good lines, garbage, lines
 * without the prefix, truncated and overlong lines, CR/LF, and rows with
 * the wrong column count.
 */
#define _GNU_SOURCE /* PATH_MAX, for run.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/core/runner.h"
#include "bench/host/qemu.h"

/* A real cells row of the kernel (CELL_COLUMNS: 38; sweep is empty, then
 * launch 0, raw and floor per op, 1 repeat, no interference, 1 attempt,
 * not disturbed). */
static const char cells_row[] =
    "T,qemu,tcg,icount,buddy,frame,frames-churn,\"frames=506,occupancy=99,ops=500\",1,0,ok,"
    "2000,1bbb9372b4d9ea29,4aff6f18b52f5583,356.304,128,228,444,660,802,3,2048000,4435968,"
    "0.000000,0.497925,0,0,8,,0,391.100,34.796,1,0,0,0,1,0";
static const char lat_row[] =
    "T,qemu,buddy,frames-churn,\"frames=506,occupancy=99,ops=500\",1,0,128,129,17";
static const char tl_row[] =
    "T,qemu,buddy,frames-churn,\"frames=506,occupancy=99,ops=500\",1,0,0,0,2400256,1071341568,"
    "1071341568,2400256";

static struct qemu_line *L;

/* Parse a copy of text (the line without '\n'). */
static enum qemu_kind parse_flags(const char *text, unsigned flags)
{
    static char buf[QEMU_LINE_MAX + 1];
    size_t n = strlen(text);
    assert_true(n <= QEMU_LINE_MAX);
    memcpy(buf, text, n + 1);
    return qemu_parse_line(buf, n, flags, L);
}

static enum qemu_kind parse(const char *text) { return parse_flags(text, 0); }

static char *with_prefix(const char *kind, const char *rest)
{
    static char buf[QEMU_LINE_MAX + 1];
    snprintf(buf, sizeof buf, "@HL %s,%s", kind, rest);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    L = calloc(1, sizeof *L);
    return L ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(L);
    return 0;
}

/* ---- good lines --------------------------------------------------------------------- */

static void test_rows(void **state)
{
    (void)state;
    assert_int_equal(parse(with_prefix("cell", cells_row)), QEMU_L_CELL);
    assert_int_equal(L->nfields, CELL_COLUMNS);
    assert_string_equal(L->row, cells_row); /* the row exactly as sent */
    assert_string_equal(L->fields[COL_PARAMS], "frames=506,occupancy=99,ops=500");
    assert_string_equal(L->fields[COL_STATUS], "ok");
    assert_int_equal(parse(with_prefix("lat", lat_row)), QEMU_L_LAT);
    assert_int_equal(L->nfields, LATENCY_COLUMNS);
    assert_int_equal(parse(with_prefix("tl", tl_row)), QEMU_L_TL);
    assert_int_equal(L->nfields, TIMELINE_COLUMNS);
}

static void test_control_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("@HL rep,7"), QEMU_L_REP);
    assert_int_equal(L->rep, 7);
    assert_int_equal(parse("@HL done,ok"), QEMU_L_DONE);
    assert_true(L->ok);
    assert_int_equal(parse("@HL done,fail"), QEMU_L_DONE);
    assert_false(L->ok);
    assert_int_equal(parse("@HL meta,cmdline,\"x.elf a=1,b=2\""), QEMU_L_META);
    assert_string_equal(L->key, "cmdline");
    assert_string_equal(L->value, "x.elf a=1,b=2");
    assert_int_equal(parse("@HL probe,timer_overhead,3"), QEMU_L_PROBE);
    assert_string_equal(L->key, "timer_overhead");
    assert_string_equal(L->value, "3");
    assert_int_equal(parse("@HL begin,0,buddy,frames-churn,\"frames=506,ops=500\",,1,3"),
                     QEMU_L_BEGIN);
    assert_int_equal(L->index, 0);
    assert_string_equal(L->fields[2], "buddy");
    assert_string_equal(L->fields[4], "frames=506,ops=500");
    assert_int_equal(parse("@HL end,0,ok,"), QEMU_L_END);
    assert_true(L->ok);
    assert_string_equal(L->value, "");
    assert_int_equal(parse("@HL end,3,error,\"no room, sorry\""), QEMU_L_END);
    assert_false(L->ok);
    assert_int_equal(L->index, 3);
    assert_string_equal(L->value, "no room, sorry");
    char header[1024];
    snprintf(header, sizeof header, "@HL header,cells,%s", hl_cells_header);
    assert_int_equal(parse(header), QEMU_L_HEADER);
    assert_string_equal(L->key, "cells");
    assert_string_equal(L->value, hl_cells_header);
    assert_int_equal(parse("@HL error,exception,#PF,vector=14,err=0x2,eip=0x00101234,"
                           "cr2=0x80000000"),
                     QEMU_L_ERROR);
    assert_string_equal(L->key, "exception");
    assert_string_equal(L->value, "#PF,vector=14,err=0x2,eip=0x00101234,cr2=0x80000000");
    assert_int_equal(parse("@HL report,slab,double free,0x80001000,64"), QEMU_L_REPORT);
    assert_int_equal(parse("@HL test,paging,pass"), QEMU_L_OTHER);
    assert_string_equal(L->value, "paging,pass");
    assert_int_equal(parse("@HL fault,divide,#DE,err=0x0"), QEMU_L_OTHER);
}

/* ---- text, garbage, damage --------------------------------------------------------------- */

static void test_text_lines(void **state)
{
    (void)state;
    assert_int_equal(parse(""), QEMU_L_TEXT);
    assert_int_equal(parse("heaplab i386 kernel"), QEMU_L_TEXT);
    assert_int_equal(parse("EXCEPTION #PF Page Fault (vector 14) err=0x00000002"),
                     QEMU_L_TEXT);
    assert_int_equal(parse("  eax=0x00000000 @HL done,ok"), QEMU_L_TEXT); /* not at the start */
    assert_int_equal(parse("@HL"), QEMU_L_TEXT);
    assert_int_equal(parse("@HLdone,ok"), QEMU_L_TEXT);
    assert_int_equal(parse("\x01\xff\xfe garbage \x7f"), QEMU_L_TEXT);
    /* a damaged text line is still only text */
    assert_int_equal(parse_flags("PANIC kernel_port/bench.c:1", QEMU_LINE_CUT), QEMU_L_TEXT);
}

static void test_garbage_protocol_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("@HL "), QEMU_L_BAD);
    assert_int_equal(parse("@HL done"), QEMU_L_BAD);
    assert_int_equal(parse("@HL done,maybe"), QEMU_L_BAD);
    assert_int_equal(parse("@HL zzz,1,2"), QEMU_L_BAD);
    assert_string_equal(L->why, "unknown protocol line kind");
    assert_int_equal(parse("@HL rep,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL rep,1x"), QEMU_L_BAD);
    assert_int_equal(parse("@HL rep,-1"), QEMU_L_BAD);
    assert_int_equal(parse("@HL rep,99999999999"), QEMU_L_BAD);
    assert_int_equal(parse("@HL meta,onlykey"), QEMU_L_BAD);
    assert_int_equal(parse("@HL end,0,maybe,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL begin,x,buddy,w,p,,1,3"), QEMU_L_BAD);
    assert_int_equal(parse("@HL begin,0,buddy,w,p,1,3"), QEMU_L_BAD); /* no sweep field */
    assert_int_equal(parse("@HL error,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL cell,\"unterminated,1,2"), QEMU_L_BAD);
    assert_string_equal(L->why, "malformed cells row");
    assert_int_equal(parse("@HL lat,a\"b,1"), QEMU_L_BAD);
    static const char nul_line[] = "@HL done,ok\0junk";
    static char buf[32];
    memcpy(buf, nul_line, sizeof nul_line);
    assert_int_equal(qemu_parse_line(buf, sizeof nul_line - 1, 0, L), QEMU_L_BAD);
    assert_string_equal(L->why, "NUL byte in a protocol line");
}

static void test_wrong_column_count(void **state)
{
    (void)state;
    char row[2048];
    /* one column short: drop the last field */
    snprintf(row, sizeof row, "%s", cells_row);
    *strrchr(row, ',') = '\0';
    assert_int_equal(parse(with_prefix("cell", row)), QEMU_L_BAD);
    assert_string_equal(L->why, "cells row with the wrong number of columns");
    /* one too many */
    snprintf(row, sizeof row, "%s,9", cells_row);
    assert_int_equal(parse(with_prefix("cell", row)), QEMU_L_BAD);
    assert_string_equal(L->why, "cells row with the wrong number of columns");
    /* a latency row sent as a cells row, and the other way round */
    assert_int_equal(parse(with_prefix("cell", lat_row)), QEMU_L_BAD);
    assert_int_equal(parse(with_prefix("lat", cells_row)), QEMU_L_BAD);
    assert_int_equal(parse(with_prefix("tl", lat_row)), QEMU_L_BAD);
    /* far too many fields to split */
    char many[1024] = "@HL cell,";
    for (int i = 0; i < 100; i++)
        strcat(many, "1,");
    strcat(many, "1");
    assert_int_equal(parse(many), QEMU_L_BAD);
}

static void test_cut_and_overlong_flags(void **state)
{
    (void)state;
    /* a row cut mid-line at EOF (the splitter says so) */
    char cut[512];
    snprintf(cut, sizeof cut, "@HL cell,%.60s", cells_row);
    assert_int_equal(parse_flags(cut, QEMU_LINE_CUT), QEMU_L_BAD);
    assert_string_equal(L->why, "protocol line cut off at the end of the output");
    /* even a complete-looking line is not trusted when cut */
    assert_int_equal(parse_flags("@HL done,ok", QEMU_LINE_CUT), QEMU_L_BAD);
    assert_int_equal(parse_flags("@HL rep,1", QEMU_LINE_OVERLONG), QEMU_L_BAD);
    assert_string_equal(L->why, "protocol line longer than QEMU_LINE_MAX");
}

static void test_crlf(void **state)
{
    (void)state;
    assert_int_equal(parse("@HL done,ok\r"), QEMU_L_DONE);
    assert_true(L->ok);
    assert_int_equal(parse("@HL rep,3\r"), QEMU_L_REP);
    assert_int_equal(L->rep, 3);
    char row[2048];
    snprintf(row, sizeof row, "@HL cell,%s\r", cells_row);
    assert_int_equal(parse(row), QEMU_L_CELL);
    assert_string_equal(L->fields[COL_FAULTS], "8");
    assert_string_equal(L->fields[COL_SWEEP], "");
    assert_string_equal(L->fields[CELL_COLUMNS - 1], "0"); /* no CR in the last field */
    assert_string_equal(L->row, cells_row);
}

/* ---- the splitter ------------------------------------------------------------------------- */

struct seen {
    char lines[16][QEMU_LINE_MAX + 1];
    size_t len[16];
    unsigned flags[16];
    int n;
};

static void collect(void *ctx, char *line, size_t len, unsigned flags)
{
    struct seen *s = ctx;
    assert_true(s->n < 16);
    assert_int_equal(strlen(line), len);
    memcpy(s->lines[s->n], line, len + 1);
    s->len[s->n] = len;
    s->flags[s->n++] = flags;
}

static void test_splitter_chunks(void **state)
{
    (void)state;
    struct qemu_splitter *sp = calloc(1, sizeof *sp);
    struct seen *s = calloc(1, sizeof *s);
    const char stream[] = "heaplab\n@HL rep,0\r\n\n@HL done,ok\n@HL cell,half";
    /* byte by byte: lines may arrive in any chunks */
    for (size_t i = 0; i < sizeof stream - 1; i++)
        qemu_split_feed(sp, stream + i, 1, collect, s);
    assert_int_equal(s->n, 4);
    assert_string_equal(s->lines[0], "heaplab");
    assert_string_equal(s->lines[1], "@HL rep,0\r"); /* the parser drops the CR */
    assert_string_equal(s->lines[2], "");
    assert_string_equal(s->lines[3], "@HL done,ok");
    for (int i = 0; i < 4; i++)
        assert_int_equal(s->flags[i], 0);
    qemu_split_end(sp, collect, s);
    assert_int_equal(s->n, 5);
    assert_string_equal(s->lines[4], "@HL cell,half");
    assert_int_equal(s->flags[4], QEMU_LINE_CUT);
    assert_int_equal(qemu_parse_line(s->lines[4], s->len[4], s->flags[4], L), QEMU_L_BAD);
    /* nothing pending: the end adds nothing */
    qemu_split_end(sp, collect, s);
    assert_int_equal(s->n, 5);
    free(sp);
    free(s);
}

static void test_splitter_overlong(void **state)
{
    (void)state;
    struct qemu_splitter *sp = calloc(1, sizeof *sp);
    struct seen *s = calloc(1, sizeof *s);
    size_t big = QEMU_LINE_MAX * 2 + 17;
    char *junk = malloc(big);
    memset(junk, 'x', big);
    memcpy(junk, "@HL cell,", 9);
    qemu_split_feed(sp, junk, big, collect, s);
    qemu_split_feed(sp, "\n@HL done,ok\n", 13, collect, s);
    assert_int_equal(s->n, 2);
    assert_int_equal(s->len[0], QEMU_LINE_MAX); /* only its start */
    assert_int_equal(s->flags[0], QEMU_LINE_OVERLONG);
    assert_int_equal(qemu_parse_line(s->lines[0], s->len[0], s->flags[0], L), QEMU_L_BAD);
    assert_string_equal(s->lines[1], "@HL done,ok"); /* the next line is whole again */
    assert_int_equal(s->flags[1], 0);
    /* exactly QEMU_LINE_MAX bytes is not overlong */
    memset(junk, 'y', QEMU_LINE_MAX);
    junk[QEMU_LINE_MAX] = '\n';
    qemu_split_feed(sp, junk, QEMU_LINE_MAX + 1, collect, s);
    assert_int_equal(s->n, 3);
    assert_int_equal(s->len[2], QEMU_LINE_MAX);
    assert_int_equal(s->flags[2], 0);
    /* an overlong line cut at EOF is not handed over again */
    memset(junk, 'z', big);
    qemu_split_feed(sp, junk, big, collect, s);
    assert_int_equal(s->n, 4);
    qemu_split_end(sp, collect, s);
    assert_int_equal(s->n, 4);
    free(junk);
    free(sp);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_control_lines),
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_garbage_protocol_lines),
        cmocka_unit_test(test_wrong_column_count),
        cmocka_unit_test(test_cut_and_overlong_flags),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_splitter_chunks),
        cmocka_unit_test(test_splitter_overlong),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
