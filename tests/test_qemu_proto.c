/*
 * test_qemu_proto.c — the kernel's own kinds of the line protocol as
 * bench/host/qemu.c reads them (qemu_kernel_line, over a line of the one
 * reader, bench/host/lineproto.h): meta, header, begin, end, error,
 * report, self-test lines; the kinds a host cell child sends too (rows,
 * rep, probe, done) are left to cellrows.h; malformed and unknown lines
 * are refused with a reason.  The reader itself: tests/test_lineproto.c.
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
#include "bench/host/lineproto.h"
#include "bench/host/qemu.h"

/* A real cells row of the kernel (CELL_COLUMNS: 44; the last four, the
 * modelled clock's misses per op, empty). */
static const char cells_row[] =
    "T,qemu,tcg,icount,buddy,frame,frames-churn,\"frames=506,occupancy=99,ops=500\",1,0,ok,"
    "2000,1bbb9372b4d9ea29,4aff6f18b52f5583,356.304,128,228,444,660,802,3,2048000,4435968,"
    "0.000000,0.497925,0,0,8,,0,391.100,34.796,1,0,0,0,1,0,8192,\"max_order=18,pcp=32\",,,,";

static struct lp_line *LL;
static struct qemu_line K;

/* Read a copy of text (the line without '\n') as the kernel's. */
static enum qemu_kind parse(const char *text)
{
    static char buf[LP_LINE_MAX + 1];
    size_t n = strlen(text);
    assert_true(n <= LP_LINE_MAX);
    memcpy(buf, text, n + 1);
    lp_parse(buf, n, 0, LL);
    return qemu_kernel_line(LL, &K);
}

static int setup(void **state)
{
    (void)state;
    LL = calloc(1, sizeof *LL);
    return LL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(LL);
    return 0;
}

/* ---- good lines --------------------------------------------------------------------- */

static void test_rows_are_cellrows(void **state)
{
    (void)state;
    char line[2048];
    snprintf(line, sizeof line, "@HL cell,%s", cells_row);
    assert_int_equal(parse(line), QEMU_L_ROWS);
    assert_int_equal(LL->nfields, 1 + CELL_COLUMNS);
    assert_string_equal(LL->rest, cells_row); /* the row exactly as sent */
    assert_int_equal(parse("@HL rep,7"), QEMU_L_ROWS);
    assert_int_equal(parse("@HL probe,timer_overhead,3"), QEMU_L_ROWS);
    assert_int_equal(parse("@HL done,fail"), QEMU_L_ROWS);
    assert_int_equal(parse("@HL lat,1"), QEMU_L_ROWS);
    assert_int_equal(parse("@HL tl,1"), QEMU_L_ROWS);
}

static void test_control_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("@HL meta,cmdline,\"x.elf a=1,b=2\""), QEMU_L_META);
    assert_string_equal(K.key, "cmdline");
    assert_string_equal(K.value, "x.elf a=1,b=2");
    assert_int_equal(parse("@HL begin,0,buddy,frames-churn,\"frames=506,ops=500\",,1,3"),
                     QEMU_L_BEGIN);
    assert_int_equal(K.index, 0);
    assert_string_equal(LL->fields[2], "buddy");
    assert_string_equal(LL->fields[4], "frames=506,ops=500");
    assert_int_equal(parse("@HL end,0,ok,"), QEMU_L_END);
    assert_true(K.ok);
    assert_string_equal(K.value, "");
    assert_int_equal(parse("@HL end,3,error,\"no room, sorry\""), QEMU_L_END);
    assert_false(K.ok);
    assert_int_equal(K.index, 3);
    assert_string_equal(K.value, "no room, sorry");
    char header[1024];
    snprintf(header, sizeof header, "@HL header,cells,%s", hl_cells_header);
    assert_int_equal(parse(header), QEMU_L_HEADER);
    assert_string_equal(K.key, "cells");
    assert_string_equal(K.value, hl_cells_header);
    assert_int_equal(parse("@HL error,exception,#PF,vector=14,err=0x2,eip=0x00101234,"
                           "cr2=0x80000000"),
                     QEMU_L_ERROR);
    assert_string_equal(K.key, "exception");
    assert_string_equal(K.value, "#PF,vector=14,err=0x2,eip=0x00101234,cr2=0x80000000");
    assert_int_equal(parse("@HL error,usage,\"bad value for reps: 'x'\""), QEMU_L_ERROR);
    assert_string_equal(K.value, "\"bad value for reps: 'x'\""); /* as sent */
    assert_int_equal(parse("@HL error,selftest"), QEMU_L_ERROR);
    assert_string_equal(K.value, "");
    assert_int_equal(parse("@HL report,slab,double free,0x80001000,64"), QEMU_L_REPORT);
    assert_int_equal(parse("@HL test,paging,pass"), QEMU_L_OTHER);
    assert_string_equal(K.value, "paging,pass");
    assert_int_equal(parse("@HL fault,divide,#DE,err=0x0"), QEMU_L_OTHER);
    assert_int_equal(parse("@HL skip,protect,reserved-bit,no PSE"), QEMU_L_OTHER);
}

static void test_text_lines(void **state)
{
    (void)state;
    assert_int_equal(parse(""), QEMU_L_TEXT);
    assert_int_equal(parse("heaplab i386 kernel"), QEMU_L_TEXT);
    assert_int_equal(parse("EXCEPTION #PF Page Fault (vector 14) err=0x00000002"),
                     QEMU_L_TEXT);
    assert_int_equal(parse("  eax=0x00000000 @HL done,ok"), QEMU_L_TEXT);
    assert_int_equal(parse("@HLdone,ok"), QEMU_L_TEXT);
}

static void test_garbage_protocol_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("@HL "), QEMU_L_BAD);
    assert_int_equal(parse("@HL zzz,1,2"), QEMU_L_BAD);
    assert_string_equal(K.why, "unknown protocol line kind");
    assert_int_equal(parse("@HL meta,onlykey"), QEMU_L_BAD);
    assert_string_equal(K.why, "malformed meta line");
    assert_int_equal(parse("@HL meta,a,b,c"), QEMU_L_BAD);
    assert_int_equal(parse("@HL header,cells"), QEMU_L_BAD);
    assert_int_equal(parse("@HL header,\"cells\",a,b"), QEMU_L_BAD); /* its tail not as sent */
    assert_int_equal(parse("@HL end,0,maybe,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL end,-1,ok,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL end,99999999999,ok,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL begin,x,buddy,w,p,,1,3"), QEMU_L_BAD);
    assert_int_equal(parse("@HL begin,0,buddy,w,p,1,3"), QEMU_L_BAD); /* no sweep field */
    assert_int_equal(parse("@HL error,"), QEMU_L_BAD);
    assert_int_equal(parse("@HL error"), QEMU_L_BAD);
    /* the reader's own refusals come through with its reason */
    assert_int_equal(parse("@HL cell,\"unterminated,1,2"), QEMU_L_BAD);
    assert_string_equal(K.why, "malformed protocol record (a stray quote, or too many fields)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_are_cellrows),
        cmocka_unit_test(test_control_lines),
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_garbage_protocol_lines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
