/*
 * test_summary.c — summary.csv from a run's cells.csv (bench/host/
 * summary.h, runcells.h), on small cells.csv files written by the test
 * (columns in another order than the runner's, to prove reading by
 * name):
 *   - the figures of a two-launch cell by hand: launches, reps, n,
 *     worst status, disturbed reps, median over launches, ci_level;
 *   - statuses without figures leave the figures out; negative net
 *     costs are read;
 *   - the file repeats byte for byte, and is replaced whole;
 *   - --target-ci: ci_met and run_summary_over_target's keys;
 *   - bad input (an unknown column, a missing column, a truncated file, a
 *     bad number, no run folder) returns -1 and writes nothing.
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

#include "bench/host/summary.h"

static char dir[256];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/hl-summary-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char path[512];
    const char *names[] = {"cells.csv", "summary.csv", "summary.csv.tmp"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole file (malloc'd), or NULL if it does not exist. */
static char *get(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The line of text starting with prefix (copied into out). */
static void line_with(const char *text, const char *prefix, char *out,
                      size_t cap)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (!strncmp(p, prefix, strlen(prefix))) {
            size_t n = strcspn(p, "\n");
            assert_true(n < cap);
            memcpy(out, p, n);
            out[n] = '\0';
            return;
        }
    fail_msg("no line starting with '%s' in:\n%s", prefix, text);
}

#define HDR "status,env,clock,allocator,workload,params,seed,rep,launch," \
            "cycles_per_op,p99,harness_floor,disturbed,sweep,run_id,"      \
            "accel,family\n"
/* slab: launch 0 reps 10, 12, 11 (median 11), launch 1 reps 20, 21, 22
 * (median 21): median over launches 16.  glibc: one launch, one crashed
 * rep, a disturbed one, a negative net cost. */
static const char cells_two_cells[] =
    HDR
    "ok,host,tsc,slab,lifo,\"n=5,size=64\",1,0,0,10,40,3.5,0,,r1,none,heap\n"
    "ok,host,tsc,slab,lifo,\"n=5,size=64\",1,1,0,12,44,3.5,0,,r1,none,heap\n"
    "ok,host,tsc,slab,lifo,\"n=5,size=64\",1,2,0,11,42,3.5,0,,r1,none,heap\n"
    "ok,host,tsc,slab,lifo,\"n=5,size=64\",1,3,1,20,40,3.5,0,,r1,none,heap\n"
    "ok,host,tsc,slab,lifo,\"n=5,size=64\",1,4,1,21,40,3.5,0,,r1,none,heap\n"
    "failed,host,tsc,slab,lifo,\"n=5,size=64\",1,5,1,22,40,3.5,1,,r1,none,heap\n"
    "ok,host,tsc,glibc,lifo,\"n=5,size=64\",1,0,0,-1.25,9,3,1,,r1,none,heap\n"
    "crashed,host,tsc,glibc,lifo,\"n=5,size=64\",1,1,0,,,,0,,r1,none,heap\n"
    "ok,host,tsc,glibc,lifo,\"n=5,size=64\",1,2,0,-1.75,9,3,0,,r1,none,heap\n";

static void two_cells_by_hand(void **state)
{
    (void)state;
    put("cells.csv", cells_two_cells);
    assert_int_equal(run_summary_write(dir, 0, NULL), 0);
    char *s = get("summary.csv");
    assert_non_null(s);
    char line[1024];
    line_with(s, "run_id,", line, sizeof line);
    assert_string_equal(
        line, "run_id,env,accel,clock,allocator,family,workload,params,"
              "sweep,seed,launches,reps,n,status,disturbed,"
              "cycles_per_op_median,cycles_per_op_ci_lo,cycles_per_op_ci_hi,"
              "cycles_per_op_var_between_share,p99_median,p99_ci_lo,"
              "p99_ci_hi,harness_floor_median,harness_floor_ci_lo,"
              "harness_floor_ci_hi,raw_cycles_per_op_median,"
              "raw_cycles_per_op_ci_lo,raw_cycles_per_op_ci_hi,ci_level,"
              "target_ci_pct,ci_met,alloc_params");
    /* slab: 2 launches, 6 reps, 6 with figures, worst status failed, 1
     * disturbed, median 16; the interval lies inside [10, 22], the
     * extremes of the launches */
    line_with(s, "r1,host,none,tsc,slab,heap,lifo,\"n=5,size=64\",,1,2,6,6,"
                 "failed,1,16.000,",
              line, sizeof line);
    double lo, hi, share;
    char *p = line + strlen("r1,host,none,tsc,slab,heap,lifo,\"n=5,size=64\""
                            ",,1,2,6,6,failed,1,16.000,");
    assert_int_equal(sscanf(p, "%lf,%lf,%lf", &lo, &hi, &share), 3);
    assert_true(lo >= 10 && lo <= 16 && hi >= 16 && hi <= 22);
    assert_true(share > 0.9 && share <= 1.0); /* launches differ by 10 */
    assert_non_null(strstr(line, ",3.500,3.500,3.500,,,,0.95,,")); /* no raw column */
    /* glibc: the crashed rep has no figures; net costs may be negative */
    line_with(s, "r1,host,none,tsc,glibc,heap,lifo,\"n=5,size=64\",,1,1,3,2,"
                 "crashed,1,-1.500,",
              line, sizeof line);
    free(s);
}

static void repeats_byte_for_byte(void **state)
{
    (void)state;
    put("cells.csv", cells_two_cells);
    assert_int_equal(run_summary_write(dir, 0, NULL), 0);
    char *a = get("summary.csv");
    assert_int_equal(run_summary_write(dir, 0, NULL), 0);
    char *b = get("summary.csv");
    assert_string_equal(a, b);
    assert_null(get("summary.csv.tmp"));
    free(a);
    free(b);
}

static void target_ci(void **state)
{
    (void)state;
    put("cells.csv", cells_two_cells);
    /* slab's CI spans launches 10 apart around 16: far above 1 %; glibc
     * is negative, its interval 0.25 / 1.5 = 17 % of it on either side;
     * slab at 20 %: still over (about 5 / 16) */
    assert_int_equal(run_summary_write(dir, 1, NULL), 0);
    char *s = get("summary.csv");
    char line[1024];
    line_with(s, "r1,host,none,tsc,slab,", line, sizeof line);
    assert_non_null(strstr(line, ",0.95,1,no"));
    free(s);
    assert_int_equal(run_summary_write(dir, 50, NULL), 0);
    s = get("summary.csv");
    line_with(s, "r1,host,none,tsc,slab,", line, sizeof line);
    assert_non_null(strstr(line, ",0.95,50,yes"));
    free(s);
    char **keys;
    assert_int_equal(run_summary_over_target(dir, 1, &keys), 2);
    assert_string_equal(keys[0], "host|tsc|slab|keep_empty=1,magazine=64,max_slab_order=6,lg_classes=1|lifo|n=5,size=64||1");
    assert_string_equal(keys[1], "host|tsc|glibc||lifo|n=5,size=64||1");
    free(keys[0]);
    free(keys[1]);
    free(keys);
    assert_int_equal(run_summary_over_target(dir, 20, &keys), 1);
    assert_string_equal(keys[0], "host|tsc|slab|keep_empty=1,magazine=64,max_slab_order=6,lg_classes=1|lifo|n=5,size=64||1");
    free(keys[0]);
    free(keys);
    assert_int_equal(run_summary_over_target(dir, 1000, &keys), 0);
    assert_null(keys);
}

/* Each of these is refused: -1, and no summary.csv. */
static void bad_input_writes_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* unknown column */
        "env,clock,allocator,workload,params,seed,rep,status,cycles_per_op,"
        "bogus\nhost,tsc,slab,lifo,n=5,1,0,ok,10,x\n",
        /* no status column */
        "env,clock,allocator,workload,params,seed,rep,cycles_per_op\n"
        "host,tsc,slab,lifo,n=5,1,0,10\n",
        /* the last line cut */
        HDR "ok,host,tsc,slab,lifo,n=5,1,0,0,10,40,3.5,0,,r1,none,heap\n"
            "ok,host,tsc,slab,lifo,n=5,1,1,0,1",
        /* a short line */
        HDR "ok,host,tsc,slab,lifo,n=5,1,0,0,10\n",
        /* bad numbers and statuses */
        HDR "ok,host,tsc,slab,lifo,n=5,1,0,0,ten,40,3.5,0,,r1,none,heap\n",
        HDR "ok,host,tsc,slab,lifo,n=5,1,0,x,10,40,3.5,0,,r1,none,heap\n",
        HDR "ok,host,tsc,slab,lifo,n=5,1,0,0,10,40,3.5,2,,r1,none,heap\n",
        HDR "fine,host,tsc,slab,lifo,n=5,1,0,0,10,40,3.5,0,,r1,none,heap\n",
        /* empty */
        "",
    };
    char old[512];
    snprintf(old, sizeof old, "%s/summary.csv", dir);
    unlink(old);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put("cells.csv", bad[i]);
        if (run_summary_write(dir, 0, NULL) != -1)
            fail_msg("bad input %zu accepted", i);
        char *s = get("summary.csv");
        if (s)
            fail_msg("bad input %zu wrote summary.csv", i);
    }
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-run", dir);
    assert_int_equal(run_summary_write(missing, 0, NULL), -1);
    char **keys;
    assert_int_equal(run_summary_over_target(missing, 1, &keys), 0);
    assert_null(keys);
}

/* An old run (no launch, sweep, harness_floor, disturbed columns): one
 * launch, read without error. */
static void old_schema(void **state)
{
    (void)state;
    put("cells.csv",
        "run_id,env,accel,clock,allocator,family,workload,params,seed,rep,"
        "status,cycles_per_op,p99\n"
        "r0,host,none,tsc,bump,heap,lifo,n=5,1,0,ok,5,7\n"
        "r0,host,none,tsc,bump,heap,lifo,n=5,1,1,ok,6,7\n"
        "r0,host,none,tsc,bump,heap,lifo,n=5,1,2,ok,7,7\n");
    assert_int_equal(run_summary_write(dir, 0, NULL), 0);
    char *s = get("summary.csv");
    char line[1024];
    line_with(s, "r0,host,none,tsc,bump,heap,lifo,n=5,,1,1,3,3,ok,0,6.000,",
              line, sizeof line);
    /* one launch: no variance share; no floor */
    assert_non_null(strstr(line, ",,7.000,7.000,7.000,,,,,,,0.95,,"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_cells_by_hand, NULL, NULL),
        cmocka_unit_test(repeats_byte_for_byte),
        cmocka_unit_test(target_ci),
        cmocka_unit_test(bad_input_writes_nothing),
        cmocka_unit_test(old_schema),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
