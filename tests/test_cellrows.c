/*
 * test_cellrows.c — a measuring child's rows taken rep by rep
 * (bench/host/cellrows.h), fed through the one reader: a rep's rows reach
 * the files only with its rep line, a child that dies mid-rep leaves no
 * partial rep behind, rows of another cell, rep or column count are
 * refused with a reason, probes are kept (prefixed, one line each);
 * leak rows (the leak detector's report) reach leaks.csv with the first
 * rep and cells.log in words, and another cell's are refused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "bench/host/cellrows.h"

struct fixture {
    char dir[64];
    struct run_ctx rc;
    struct cell_plan p;
    struct cell_outcome out;
    struct rep_fig figs[4];
    struct cell_rows rows;
    struct lp_reader *lr;
};

static struct fixture *F;

static void take(void *ctx, struct lp_line *l)
{
    struct cell_rows *t = ctx;
    if (l->cls == LP_PROTO && !cell_rows_take(t, l))
        cell_rows_bad(t, "unknown kind", l->text);
    else if (l->cls == LP_BAD && !(l->flags & LP_CUT))
        cell_rows_bad(t, l->why, l->text);
}

static int setup(void **state)
{
    (void)state;
    F = calloc(1, sizeof *F);
    if (!F || !(F->lr = calloc(1, sizeof *F->lr)))
        return -1;
    snprintf(F->dir, sizeof F->dir, "/tmp/test_cellrows.XXXXXX");
    if (!mkdtemp(F->dir))
        return -1;
    F->rc.run_id = "T";
    F->rc.seed = 7;
    F->rc.f.cells = res_create(F->dir, "cells.csv");
    F->rc.f.latency = res_create(F->dir, "latency.csv");
    F->rc.f.timeline = res_create(F->dir, "timeline.csv");
    F->rc.f.log = res_create(F->dir, "cells.log");
    F->rc.f.leaks = res_create(F->dir, "leaks.csv");
    F->p.ca.a = hl_allocator_find("buddy");
    F->p.w = hl_workload_find("frames-churn");
    snprintf(F->p.params_text, sizeof F->p.params_text, "frames=506,ops=500");
    F->p.clock = "tsc";
    F->p.sweep = "";
    F->p.reps = 2;
    F->out.reps = F->figs;
    F->rows = (struct cell_rows){.rc = &F->rc, .p = &F->p, .out = &F->out, .env = "host",
                                 .accel = "none", .clock = "tsc", .probe_prefix = "x_"};
    lp_init(F->lr, take, &F->rows);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *files[] = {"cells.csv", "latency.csv", "timeline.csv", "cells.log",
                           "leaks.csv"};
    for (size_t i = 0; i < 5; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", F->dir, files[i]);
        unlink(path);
    }
    rmdir(F->dir);
    cell_rows_free(&F->rows);
    dbuf_free(&F->out.probes);
    free(F->lr);
    free(F);
    return 0;
}

/* Send one protocol line as the child would. */
static void send_line(const char *kind, const char *row, size_t n)
{
    char line[4096];
    struct hl_proto_out o;
    hl_proto_begin(&o, line, sizeof line, kind);
    hl_proto_row(&o, row, n);
    size_t len = hl_proto_end(&o);
    assert_true(len < sizeof line);
    lp_feed(F->lr, line, len);
}

/* The rows of rep `rep` as the child formats them. */
static void send_rep_rows(uint32_t rep, const char *allocator)
{
    struct hl_cell_result r;
    memset(&r, 0, sizeof r);
    struct hl_row_ids id = {
        .run_id = "T", .env = "host", .accel = "none", .clock = "tsc",
        .allocator = allocator, .family = "frame", .workload = "frames-churn",
        .params = F->p.params_text, .seed = 7, .rep = rep, .status = "ok", .sweep = "",
        .attempts = 1,
    };
    char row[2048];
    send_line("cell", row, hl_format_cells_row(row, sizeof row, &id, &r));
    send_line("lat", row, hl_format_latency_row(row, sizeof row, &id, 10, 11, 5));
}

static size_t file_lines(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", F->dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_rep_appended_only_when_whole(void **state)
{
    (void)state;
    lp_feed(F->lr, "@HL probe,binding,\"PU 0, bound\"\n", 32);
    send_rep_rows(0, "buddy");
    assert_int_equal(file_lines("cells.csv"), 0); /* kept until its rep line */
    assert_int_equal(file_lines("latency.csv"), 0);
    lp_feed(F->lr, "@HL rep,0\n", 10);
    assert_int_equal(file_lines("cells.csv"), 1);
    assert_int_equal(file_lines("latency.csv"), 1);
    assert_int_equal(F->out.delivered, 1);
    assert_string_equal(F->figs[0].status, "ok");
    /* the child dies in rep 1, mid-line: nothing of rep 1 is written */
    send_rep_rows(1, "buddy");
    lp_feed(F->lr, "@HL rep", 7);
    lp_end(F->lr);
    assert_false(F->rows.bad);
    assert_int_equal(file_lines("cells.csv"), 1);
    assert_int_equal(file_lines("latency.csv"), 1);
    assert_int_equal(F->out.delivered, 1);
    assert_string_equal(F->out.probes.p, "x_binding=PU 0, bound\n");
}

static void test_refusals(void **state)
{
    (void)state;
    /* another allocator's row */
    send_rep_rows(0, "slab");
    assert_true(F->rows.bad);
    assert_non_null(strstr(F->rows.bad_why, "unexpected cells row"));
    assert_int_equal(file_lines("cells.csv"), 0);
}

static void test_rep_out_of_order_and_short_row(void **state)
{
    (void)state;
    send_rep_rows(0, "buddy");
    lp_feed(F->lr, "@HL rep,1\n", 10);
    assert_true(F->rows.bad);
    assert_non_null(strstr(F->rows.bad_why, "rep end out of order"));
    assert_int_equal(file_lines("cells.csv"), 0);
    /* a row a column short */
    F->rows.bad = false;
    cell_rows_free(&F->rows);
    lp_feed(F->lr, "@HL cell,T,host,none\n", 21);
    assert_true(F->rows.bad);
}

static void test_done_and_after(void **state)
{
    (void)state;
    send_rep_rows(0, "buddy");
    lp_feed(F->lr, "@HL rep,0\n", 10);
    send_rep_rows(1, "buddy");
    lp_feed(F->lr, "@HL rep,1\n@HL done,ok\n", 22);
    assert_false(F->rows.bad);
    assert_true(F->rows.done && F->rows.done_ok);
    assert_int_equal(F->out.delivered, 2);
    assert_int_equal(file_lines("cells.csv"), 2);
    /* more reps than asked, after done */
    send_rep_rows(2, "buddy");
    assert_true(F->rows.bad);
    assert_int_equal(file_lines("cells.csv"), 2);
}

static void test_chatter_bounded(void **state)
{
    (void)state;
    struct lp_line l = {.cls = LP_TEXT, .text = "a preloaded library says hello", .len = 30};
    for (int i = 0; i < 10000; i++)
        cell_rows_log(&F->rows, "stdout", &l);
    assert_true(F->rows.log.len < CELL_ROWS_LOG_MAX + 128);
    unsigned long dropped = F->rows.log_dropped;
    assert_true(dropped > 0);
    cell_rows_flush_log(&F->rows);
    /* the lines kept, and one saying how many were not */
    assert_int_equal(file_lines("cells.log"), 10000 - dropped + 1);
}

/* A leak report of the WARMUP pass, as the child sends it. */
static void send_leak_rows(const char *allocator)
{
    struct hl_row_ids id = {.run_id = "T", .env = "host", .clock = "tsc",
                            .allocator = allocator, .workload = "frames-churn",
                            .params = F->p.params_text, .seed = 7, .sweep = ""};
    char row[2048];
    struct hl_leak_row total = {.kind = HL_LEAK_KIND_TOTAL, .owner = HL_LEAK_OWNER_HARNESS,
                                .count = 1, .bytes = 4096};
    send_line("leak", row, hl_format_leak_row(row, sizeof row, &id, &total));
    struct hl_leak_row first = {.kind = HL_LEAK_KIND_FIRST, .owner = HL_LEAK_OWNER_HARNESS,
                                .has_site = true, .site = 17, .has_size = true,
                                .size_bytes = 4096, .count = 1, .bytes = 4096};
    send_line("leak", row, hl_format_leak_row(row, sizeof row, &id, &first));
}

static void test_leak_rows(void **state)
{
    (void)state;
    send_leak_rows("buddy");
    assert_false(F->rows.bad);
    assert_int_equal(file_lines("leaks.csv"), 0); /* kept until the first rep is whole */
    send_rep_rows(0, "buddy");
    lp_feed(F->lr, "@HL rep,0\n", 10);
    assert_int_equal(file_lines("leaks.csv"), 2);
    cell_rows_flush_log(&F->rows);
    assert_int_equal(file_lines("cells.log"), 2);
    char path[128], text[512] = "";
    snprintf(path, sizeof path, "%s/cells.log", F->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "  leaks host buddy x frames-churn launch 0: harness total: "
                                 "1 blocks, 4096 bytes\n"));
    assert_non_null(strstr(text, "harness first: site 17 thread 0, 4096 bytes\n"));
    /* another cell's leak row */
    send_leak_rows("slab");
    assert_true(F->rows.bad);
    assert_non_null(strstr(F->rows.bad_why, "unexpected leak row"));
    assert_int_equal(file_lines("leaks.csv"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rep_appended_only_when_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rep_out_of_order_and_short_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_and_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chatter_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leak_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
