/*
 * test_csvread.c — the one CSV reader (bench/host/csvread.h) on small
 * files written by the test:
 *   - a header from the column table reads, for every file kind, with
 *     every column found by its enum; columns in another order too;
 *   - summary.csv and ratios.csv as their writers write them read back
 *     with every column (writers and reader share the table);
 *   - refused, in one line naming the file and the column or line: an
 *     unknown column, a column named twice, a missing required column, a
 *     malformed header, a row with the wrong field count, an empty line,
 *     bad quoting, a last line without a newline, an empty file, no file;
 *   - an older file (a subset of today's columns) reads where the caller
 *     does not require the missing ones;
 *   - quoted fields (commas, doubled quotes), CRLF line ends;
 *   - numbers: strict decimals, empty allowed only when asked.
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench/host/csvread.h"
#include "bench/host/ratios.h"
#include "bench/host/summary.h"

static char dir[256];

static const char *const files[] = {"meta.csv",    "cells.csv",
                                    "latency.csv", "timeline.csv",
                                    "summary.csv", "ratios.csv",
                                    "summary.csv.tmp", "ratios.csv.tmp"};

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/hl-csvread-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    return rmdir(dir);
}

static void put(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void puts_file(const char *name, const char *text)
{
    put(name, text, strlen(text));
}

/* The header of kind from the column table, all columns in order. */
static void table_header(enum csv_kind kind, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int c = 0; c < csv_columns(kind); c++) {
        if (c)
            strncat(buf, ",", cap - strlen(buf) - 1);
        strncat(buf, csv_column_name(kind, c), cap - strlen(buf) - 1);
    }
}

/* Open kind in dir, expecting a refusal whose message holds each of the
 * NULL-terminated needles and no newline. */
static void expect_refused(enum csv_kind kind, uint64_t required, ...)
{
    struct csvr r;
    int rc = csvr_open(&r, dir, kind, required);
    int k = 0;
    if (rc == 0) {
        while ((k = csvr_next(&r)) > 0)
            ;
        csvr_close(&r);
    }
    if (rc == 0 && k == 0)
        fail_msg("accepted, not refused");
    assert_null(strchr(r.err, '\n'));
    va_list ap;
    va_start(ap, required);
    for (const char *n; (n = va_arg(ap, const char *));)
        if (!strstr(r.err, n))
            fail_msg("'%s' does not name '%s'", r.err, n);
    va_end(ap);
}

static void every_kind_reads_its_table_header(void **state)
{
    (void)state;
    for (int kind = 0; kind < CSV_KINDS; kind++) {
        char hdr[2048], row[2048] = "";
        table_header((enum csv_kind)kind, hdr, sizeof hdr);
        for (int c = 0; c < csv_columns((enum csv_kind)kind); c++)
            snprintf(row + strlen(row), sizeof row - strlen(row), "%sv%d",
                     c ? "," : "", c);
        char text[4200];
        snprintf(text, sizeof text, "%s\n%s\n", hdr, row);
        puts_file(csv_file_name((enum csv_kind)kind), text);
        struct csvr r;
        uint64_t all = csv_columns((enum csv_kind)kind) == 64
                           ? UINT64_MAX
                           : CSV_COL(csv_columns((enum csv_kind)kind)) - 1;
        if (csvr_open(&r, dir, (enum csv_kind)kind, all))
            fail_msg("%s", r.err);
        assert_int_equal(csvr_next(&r), 1);
        for (int c = 0; c < csv_columns((enum csv_kind)kind); c++) {
            char want[16];
            snprintf(want, sizeof want, "v%d", c);
            assert_true(csvr_has(&r, c));
            assert_string_equal(csvr_str(&r, c), want);
        }
        assert_int_equal(csvr_next(&r), 0);
        csvr_close(&r);
    }
    /* the enums are the table's: a few by name */
    assert_int_equal(csv_column_index(CSV_CELLS, "status"), COL_STATUS);
    assert_int_equal(csv_column_index(CSV_SUMMARY, "ci_met"), SUM_CI_MET);
    assert_int_equal(csv_column_index(CSV_RATIOS, "verdict"), RAT_VERDICT);
    assert_int_equal(csv_column_index(CSV_TIMELINE, "meta_bytes"),
                     TL_META_BYTES);
    assert_int_equal(csv_column_index(CSV_LATENCY, "clock"), -1);
}

static void columns_by_name_in_any_order(void **state)
{
    (void)state;
    puts_file("latency.csv",
              "count,bucket_hi,bucket_lo,rep,seed,params,workload,allocator,"
              "env,run_id\n"
              "7,20,10,0,1,\"n=5,m=2\",lifo,slab,host,r1\n");
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_LATENCY, CSV_COL(LAT_COUNT)), 0);
    assert_int_equal(csvr_next(&r), 1);
    assert_string_equal(csvr_str(&r, LAT_ENV), "host");
    assert_string_equal(csvr_str(&r, LAT_PARAMS), "n=5,m=2");
    uint64_t v;
    assert_int_equal(csvr_u64(&r, LAT_COUNT, &v, false), 1);
    assert_int_equal(v, 7);
    assert_int_equal(csvr_u64(&r, LAT_BUCKET_LO, &v, false), 1);
    assert_int_equal(v, 10);
    csvr_close(&r);
}

static void summary_and_ratios_writers_match_the_table(void **state)
{
    (void)state;
    puts_file("cells.csv",
              "run_id,env,accel,clock,allocator,family,workload,params,seed,"
              "rep,status,cycles_per_op,launch\n"
              "r,host,none,tsc,slab,heap,lifo,\"n=5,m=1\",1,0,ok,10,0\n"
              "r,host,none,tsc,slab,heap,lifo,\"n=5,m=1\",1,1,ok,12,1\n"
              "r,host,none,tsc,glibc,heap,lifo,\"n=5,m=1\",1,0,ok,20,0\n"
              "r,host,none,tsc,glibc,heap,lifo,\"n=5,m=1\",1,1,ok,22,1\n");
    assert_int_equal(run_summary_write(dir, 5, NULL), 0);
    struct csvr r;
    if (csvr_open(&r, dir, CSV_SUMMARY, CSV_COL(SUMMARY_COLUMNS) - 1))
        fail_msg("%s", r.err);
    assert_int_equal(r.nfields, SUMMARY_COLUMNS);
    assert_int_equal(csvr_next(&r), 1);
    assert_string_equal(csvr_str(&r, SUM_ALLOCATOR), "slab");
    assert_string_equal(csvr_str(&r, SUM_PARAMS), "n=5,m=1");
    assert_string_equal(csvr_str(&r, SUM_LAUNCHES), "2");
    assert_string_equal(csvr_str(&r, SUM_CYCLES_PER_OP_MEDIAN), "11.000");
    assert_string_equal(csvr_str(&r, SUM_TARGET_CI_PCT), "5");
    assert_string_equal(csvr_str(&r, SUM_HARNESS_FLOOR_MEDIAN), "");
    csvr_close(&r);

    struct rc_run run;
    char err[512];
    assert_int_equal(rc_read(dir, &run, err, sizeof err), 0);
    struct hl_ratio *rat;
    assert_int_equal(hl_ratios(&run, "glibc", &rat), 1);
    assert_int_equal(hl_ratios_write(dir, rat, 1, err, sizeof err), 0);
    if (csvr_open(&r, dir, CSV_RATIOS, CSV_COL(RATIOS_COLUMNS) - 1))
        fail_msg("%s", r.err);
    assert_int_equal(r.nfields, RATIOS_COLUMNS);
    assert_int_equal(csvr_next(&r), 1);
    assert_string_equal(csvr_str(&r, RAT_ALLOCATOR), "slab");
    assert_string_equal(csvr_str(&r, RAT_BASELINE), "glibc");
    assert_string_equal(csvr_str(&r, RAT_PAIRED_LAUNCHES), "2");
    assert_string_equal(csvr_str(&r, RAT_RATIO), "0.5238");
    assert_int_equal(csvr_next(&r), 0);
    csvr_close(&r);
    free(rat);
    rc_free(&run);
}

static void unknown_column_named(void **state)
{
    (void)state;
    puts_file("cells.csv", "env,clock,allocator,frag_ext,status\n"
                           "host,tsc,slab,0,ok\n");
    expect_refused(CSV_CELLS, 0, "cells.csv'", "unknown column 'frag_ext'",
                   NULL);
    /* a column of another file is unknown here too */
    puts_file("latency.csv", "env,allocator,clock\nhost,slab,tsc\n");
    expect_refused(CSV_LATENCY, 0, "latency.csv'", "unknown column 'clock'",
                   NULL);
    puts_file("meta.csv", "k,v\na,b\n");
    expect_refused(CSV_META, 0, "meta.csv'", "unknown column 'k'", NULL);
}

static void repeated_column_named(void **state)
{
    (void)state;
    puts_file("timeline.csv", "env,rep,rep\nhost,0,1\n");
    expect_refused(CSV_TIMELINE, 0, "timeline.csv'",
                   "column 'rep' named twice", NULL);
}

static void missing_required_column_named(void **state)
{
    (void)state;
    puts_file("cells.csv", "env,clock,allocator,workload\n"
                           "host,tsc,slab,lifo\n");
    expect_refused(CSV_CELLS, CSV_COL(COL_ENV) | CSV_COL(COL_STATUS),
                   "cells.csv'", "no column 'status'", NULL);
    puts_file("meta.csv", "key\nrun_id\n");
    expect_refused(CSV_META, CSV_COL(META_KEY) | CSV_COL(META_VALUE),
                   "meta.csv'", "no column 'value'", NULL);
}

static void older_file_without_unneeded_columns_reads(void **state)
{
    (void)state;
    /* summary.csv as runs before accel, clock, sweep and launches wrote
     * it: a subset, not a prefix, of today's columns */
    puts_file("summary.csv",
              "run_id,env,allocator,family,workload,params,seed,reps,n,"
              "status,cycles_per_op_median,cycles_per_op_ci_lo,"
              "cycles_per_op_ci_hi,ci_level\n"
              "r,host,slab,heap,lifo,n=5,1,9,9,ok,12.5,12.0,13.0,0.95\n");
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_SUMMARY,
                               CSV_COL(SUM_ENV) |
                                   CSV_COL(SUM_CYCLES_PER_OP_MEDIAN)),
                     0);
    assert_int_equal(csvr_next(&r), 1);
    assert_false(csvr_has(&r, SUM_CLOCK));
    assert_string_equal(csvr_str(&r, SUM_CLOCK), "");
    assert_string_equal(csvr_str(&r, SUM_SWEEP), "");
    double v;
    assert_int_equal(csvr_num(&r, SUM_CYCLES_PER_OP_MEDIAN, &v, false), 1);
    assert_true(v == 12.5);
    /* an absent column is empty: a number only where empty is allowed */
    assert_int_equal(csvr_num(&r, SUM_P99_MEDIAN, &v, true), 0);
    assert_true(isnan(v));
    assert_int_equal(csvr_num(&r, SUM_P99_MEDIAN, &v, false), -1);
    assert_non_null(strstr(r.err, "line 2: empty value in column "
                                  "'p99_median'"));
    csvr_close(&r);
}

static void wrong_field_count_names_line(void **state)
{
    (void)state;
    puts_file("cells.csv", "env,clock,allocator\n"
                           "host,tsc,slab\n"
                           "host,tsc\n");
    expect_refused(CSV_CELLS, 0, "cells.csv' line 3: 2 fields, the header "
                                 "has 3", NULL);
    puts_file("cells.csv", "env,clock,allocator\n"
                           "host,tsc,slab,extra,more\n");
    expect_refused(CSV_CELLS, 0, "cells.csv' line 2: 5 fields, the header "
                                 "has 3", NULL);
    puts_file("cells.csv", "env,clock\nhost,tsc\n\nhost,tsc\n");
    expect_refused(CSV_CELLS, 0, "cells.csv' line 3: empty line", NULL);
}

static void quoted_fields(void **state)
{
    (void)state;
    puts_file("meta.csv", "key,\"value\"\r\n"
                          "command_line,\"heaplab run --params \"\"a=1,b=2\"\"\"\r\n"
                          "\"note\",\"\"\r\n");
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_META, CSV_COL(META_VALUE)), 0);
    assert_int_equal(csvr_next(&r), 1);
    assert_string_equal(csvr_str(&r, META_KEY), "command_line");
    assert_string_equal(csvr_str(&r, META_VALUE),
                        "heaplab run --params \"a=1,b=2\"");
    assert_int_equal(csvr_next(&r), 1);
    assert_string_equal(csvr_str(&r, META_KEY), "note");
    assert_string_equal(csvr_str(&r, META_VALUE), "");
    assert_int_equal(csvr_next(&r), 0);
    csvr_close(&r);
    /* quoting gone wrong */
    puts_file("meta.csv", "key,value\nnote,\"open\n");
    expect_refused(CSV_META, 0, "meta.csv' line 2: malformed CSV", NULL);
    puts_file("meta.csv", "key,value\nnote,\"a\"b\n");
    expect_refused(CSV_META, 0, "meta.csv' line 2: malformed CSV", NULL);
    puts_file("meta.csv", "\"key,value\n");
    expect_refused(CSV_META, 0, "meta.csv' has a malformed header", NULL);
}

static void empty_file_refused(void **state)
{
    (void)state;
    puts_file("timeline.csv", "");
    expect_refused(CSV_TIMELINE, 0, "timeline.csv' is empty", NULL);
    /* a header alone is a file without rows: fine */
    puts_file("timeline.csv", "env,rep\n");
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_TIMELINE, CSV_COL(TL_REP)), 0);
    assert_int_equal(csvr_next(&r), 0);
    csvr_close(&r);
}

static void no_trailing_newline_refused(void **state)
{
    (void)state;
    puts_file("cells.csv", "env,clock\nhost,tsc\nhost,ts");
    expect_refused(CSV_CELLS, 0, "cells.csv' line 3: truncated", NULL);
    puts_file("cells.csv", "env,clock");
    expect_refused(CSV_CELLS, 0, "cells.csv'", "truncated", NULL);
    put("cells.csv", "env,clock\nho\0st,tsc\n", 20);
    expect_refused(CSV_CELLS, 0, "cells.csv' line 2: a NUL byte", NULL);
}

static void no_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/ratios.csv", dir);
    unlink(path);
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_RATIOS, 0), -1);
    char want[600];
    snprintf(want, sizeof want, "'%s' is not a run folder (no ratios.csv)",
             dir);
    assert_string_equal(r.err, want);
}

static void numbers_strict(void **state)
{
    (void)state;
    puts_file("cells.csv", "rep,cycles_per_op,p99\n"
                           "3,-1.5e2,\n"
                           "0x10,nan, 3\n");
    struct csvr r;
    assert_int_equal(csvr_open(&r, dir, CSV_CELLS, 0), 0);
    assert_int_equal(csvr_next(&r), 1);
    uint64_t u;
    double d;
    assert_int_equal(csvr_u64(&r, COL_REP, &u, false), 1);
    assert_int_equal(u, 3);
    assert_int_equal(csvr_num(&r, COL_CYCLES_PER_OP, &d, false), 1);
    assert_true(d == -150.0);
    assert_int_equal(csvr_num(&r, COL_P99, &d, true), 0);
    assert_int_equal(csvr_u64(&r, COL_P99, &u, false), -1);
    assert_non_null(strstr(r.err, "line 2: empty value in column 'p99'"));
    assert_int_equal(csvr_u64(&r, COL_CYCLES_PER_OP, &u, false), -1);
    assert_non_null(strstr(r.err, "bad number '-1.5e2' in column "
                                  "'cycles_per_op'"));
    assert_int_equal(csvr_next(&r), 1);
    assert_int_equal(csvr_u64(&r, COL_REP, &u, false), -1);
    assert_non_null(strstr(r.err, "line 3: bad number '0x10' in column "
                                  "'rep'"));
    assert_int_equal(csvr_num(&r, COL_CYCLES_PER_OP, &d, false), -1);
    assert_int_equal(csvr_num(&r, COL_P99, &d, false), -1);
    assert_non_null(strstr(r.err, "bad number ' 3' in column 'p99'"));
    csvr_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_reads_its_table_header),
        cmocka_unit_test(columns_by_name_in_any_order),
        cmocka_unit_test(summary_and_ratios_writers_match_the_table),
        cmocka_unit_test(unknown_column_named),
        cmocka_unit_test(repeated_column_named),
        cmocka_unit_test(missing_required_column_named),
        cmocka_unit_test(older_file_without_unneeded_columns_reads),
        cmocka_unit_test(wrong_field_count_names_line),
        cmocka_unit_test(quoted_fields),
        cmocka_unit_test(empty_file_refused),
        cmocka_unit_test(no_trailing_newline_refused),
        cmocka_unit_test(no_file),
        cmocka_unit_test(numbers_strict),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
