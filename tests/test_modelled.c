/*
 * test_modelled.c — the modelled clock's readers (bench/host/modelled.h):
 * model_read over the cost plugin's report (docs/model.md, "Output"):
 * regions taken in order, main then floor per rep, a rep of 0 repeats
 * skipped, `all` rows ignored; and every kind of report that does not fit
 * refused with one reason naming the file (missing, no header column,
 * another model, an unterminated region, a floor where a main region was
 * expected, too few or too many regions, a short row).  Plus the paths:
 * the per-op histograms beside a report, the plugin's argument.
 */
#define _GNU_SOURCE /* PATH_MAX, for run.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/host/modelled.h"

static char path[PATH_MAX];

static const char header[] =
    "scope,region,model,instructions,loads,stores,l1i_misses,l1d_misses,l2_misses,"
    "llc_misses,dtlb_misses,back_invalidations,modelled_cycles,ops,label\n";

/* A region row: instructions i, l1d misses m, cycles c, label. */
static void region(FILE *f, int n, const char *model, unsigned i, unsigned m, unsigned c,
                   const char *label)
{
    fprintf(f, "region,%d,%s,%u,0,0,0,%u,1,2,3,0,%u,0,%s\n", n, model, i, m, c, label);
}

static FILE *fresh(void)
{
    snprintf(path, sizeof path, "%s/hl-test-modelled-%ld.csv",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    return f;
}

static bool read_it(uint32_t nreps, const uint64_t *repeats, struct model_sum *ms,
                    struct model_sum *fs, char *why, size_t cap)
{
    why[0] = '\0';
    bool ok = model_read(path, "skylake-client", nreps, repeats, ms, fs, why, cap);
    unlink(path);
    return ok;
}

static void takes_regions_in_order(void **state)
{
    (void)state;
    FILE *f = fresh();
    fputs("# a comment\n", f);
    fputs(header, f);
    region(f, 1, "skylake-client", 100, 10, 1000, "main");
    region(f, 2, "skylake-client", 110, 11, 1100, "main");
    region(f, 3, "skylake-client", 20, 1, 200, "floor");
    region(f, 4, "skylake-client", 21, 2, 210, "floor");
    region(f, 5, "skylake-client", 300, 30, 3000, "main");
    region(f, 6, "skylake-client", 40, 4, 400, "floor");
    fputs("all,0,skylake-client,9,9,9,9,9,9,9,9,9,9,0,\n", f);
    fclose(f);
    uint64_t repeats[3] = {2, 0, 1}; /* rep 1 ran no stream */
    struct model_sum ms[3], fs[3];
    char why[300];
    assert_true(read_it(3, repeats, ms, fs, why, sizeof why));
    assert_int_equal(ms[0].regions, 2);
    assert_int_equal(ms[0].instructions, 210);
    assert_int_equal(ms[0].l1d, 21);
    assert_int_equal(ms[0].l2, 2);
    assert_int_equal(ms[0].llc, 4);
    assert_int_equal(ms[0].dtlb, 6);
    assert_int_equal(ms[0].cycles, 2100);
    assert_int_equal(fs[0].instructions, 41);
    assert_int_equal(fs[0].cycles, 410);
    assert_int_equal(ms[1].regions, 0);
    assert_int_equal(fs[1].regions, 0);
    assert_int_equal(ms[2].instructions, 300);
    assert_int_equal(fs[2].cycles, 400);
}

/* One report that must be refused, with why containing want. */
static void refused(const char *body, uint32_t nreps, const uint64_t *repeats, const char *want)
{
    FILE *f = fresh();
    fputs(body, f);
    fclose(f);
    struct model_sum ms[4], fs[4];
    char why[300];
    assert_false(read_it(nreps, repeats, ms, fs, why, sizeof why));
    if (!strstr(why, want) || !strstr(why, "hl-test-modelled-")) {
        print_error("why: '%s', wanted '%s' and the file's name\n", why, want);
        fail();
    }
    assert_null(strchr(why, '\n'));
}

static void refuses_what_does_not_fit(void **state)
{
    (void)state;
    uint64_t one[1] = {1};
    char body[2048];
    /* no such column */
    refused("scope,region,model,instructions\nregion,1,skylake-client,1\n", 1, one,
            "no column l1d_misses");
    /* no header at all */
    refused("", 1, one, "no header");
    /* another model */
    snprintf(body, sizeof body, "%sregion,1,zen3,1,0,0,0,1,1,1,1,0,1,0,main\n", header);
    refused(body, 1, one, "model zen3, not skylake-client");
    /* an unterminated region */
    snprintf(body, sizeof body, "%sunterminated,1,skylake-client,1,0,0,0,1,1,1,1,0,1,0,main\n",
             header);
    refused(body, 1, one, "a unterminated region");
    /* a floor region where the main one was expected */
    snprintf(body, sizeof body, "%sregion,1,skylake-client,1,0,0,0,1,1,1,1,0,1,0,floor\n",
             header);
    refused(body, 1, one, "a floor region where main");
    /* too few regions: main without its floor */
    snprintf(body, sizeof body, "%sregion,1,skylake-client,1,0,0,0,1,1,1,1,0,1,0,main\n",
             header);
    refused(body, 1, one, "regions of 0 of 1 reps");
    /* too many: a third region */
    snprintf(body, sizeof body,
             "%sregion,1,skylake-client,1,0,0,0,1,1,1,1,0,1,0,main\n"
             "region,2,skylake-client,1,0,0,0,1,1,1,1,0,1,0,floor\n"
             "region,3,skylake-client,1,0,0,0,1,1,1,1,0,1,0,main\n",
             header);
    refused(body, 1, one, "none was expected");
    /* a short row */
    snprintf(body, sizeof body, "%sregion,1,skylake-client,1\n", header);
    refused(body, 1, one, "too few fields");
    /* no file */
    snprintf(path, sizeof path, "/nonexistent/report.csv");
    struct model_sum ms[1], fs[1];
    char why[300];
    assert_false(model_read(path, "skylake-client", 1, one, ms, fs, why, sizeof why));
    assert_non_null(strstr(why, "no cost plugin report at /nonexistent/report.csv"));
}

static void paths(void **state)
{
    (void)state;
    char out[PATH_MAX + 200];
    assert_true(model_perop_path("/r/model/host.slab.lifo.0000abcd.csv", out, sizeof out));
    assert_string_equal(out, "/r/model/host.slab.lifo.0000abcd.perop.csv");
    assert_false(model_perop_path("/r/model/report.txt", out, sizeof out));
    assert_false(model_perop_path("/r/x.csv", out, 8)); /* does not fit */
    struct model_ctx m = {.model = "zen3"};
    snprintf(m.plugin, sizeof m.plugin, "/lib/heaplab-cost.so");
    assert_true(model_plugin_arg(&m, "/r/a.csv", out, sizeof out));
    assert_string_equal(out, "/lib/heaplab-cost.so,model=zen3,out=/r/a.csv,hist=/r/a.perop.csv");
    /* the plugin's argument syntax cannot carry a comma */
    assert_false(model_plugin_arg(&m, "/r/a,b.csv", out, sizeof out));
    char tight[40];
    assert_false(model_plugin_arg(&m, "/r/a.csv", tight, sizeof tight));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(takes_regions_in_order),
        cmocka_unit_test(refuses_what_does_not_fit),
        cmocka_unit_test(paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
