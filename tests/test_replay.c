/*
 * test_replay.c — a recorded trace as a workload (workloads/replay.h):
 * the names a trace file gets, parameters fixed to the trace's figures,
 * and a trace with every kind of op (calloc, aligned allocs, reallocs that
 * grow and shrink, an unknown free, three threads) replayed by the runner
 * on every heap allocator, in chunks: the trace header's checksum, every
 * op, no failed alloc, exactly the program's blocks live at the end, the
 * aligned blocks aligned and the calloc'd block zero.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "allocators/util.h"
#include "bench/core/runner.h"
#include "bench/host/trace.h"
#include "tests/testlib.h"
#include "workloads/replay.h"

static void stem_is(const char *path, const char *want)
{
    size_t start, n = hl_wl_replay_stem(path, strlen(path), &start);
    if (n != strlen(want) || memcmp(path + start, want, n) != 0)
        fail_msg("stem of '%s' is '%.*s', not '%s'", path, (int)n, path + start, want);
}

static void stems(void **st)
{
    (void)st;
    stem_is("workloads/traces/sort.hltrace.xz", "sort");
    stem_is("/tmp/x/gcc-cc1.hltrace", "gcc-cc1");
    stem_is("a.hltrace.zst", "a");
    stem_is("b.hltrace.gz", "b");
    stem_is("plain", "plain");
    stem_is("dir/.hltrace", ".hltrace"); /* never an empty name */
    assert_true(hl_wl_replay_named("trace:x"));
    assert_false(hl_wl_replay_named("trac"));
    assert_false(hl_wl_replay_named("churn-fixed"));
}

/* Every kind of op, three threads; at the end slot A (aligned 4096) and
 * slot C (calloc) are still live: the program's blocks. */
static uint8_t *sample(size_t *n)
{
    struct trace_builder b;
    trace_builder_init(&b);
    trace_b_alloc(&b, HL_OP_ALLOC, 0, 0, 0x1000, 100);
    trace_b_alloc(&b, HL_OP_ALIGNED, 12, 1, 0x2000, 300); /* stays live */
    trace_b_alloc(&b, HL_OP_CALLOC, 0, 2, 0x3000, 64);    /* stays live */
    bool unknown;
    uint64_t s = trace_b_realloc_out(&b, 0x1000, &unknown);
    trace_b_realloc_in(&b, 0, 0x1000, s, unknown, 0x4000, 5000); /* grow */
    s = trace_b_realloc_out(&b, 0x4000, &unknown);
    trace_b_realloc_in(&b, 1, 0x4000, s, unknown, 0x5000, 10); /* shrink */
    trace_b_alloc(&b, HL_OP_ALIGNED, 6, 2, 0x6000, 33);
    trace_b_free(&b, 0, 0x9999); /* unknown: replayed as nothing */
    for (uint64_t i = 0; i < 40; i++)
        trace_b_alloc(&b, HL_OP_ALLOC, 0, (uint16_t)(i % 3), 0x10000 + i * 0x100, 8 + i);
    for (uint64_t i = 0; i < 40; i++)
        trace_b_free(&b, (uint16_t)(i % 3), 0x10000 + i * 0x100);
    trace_b_free(&b, 1, 0x6000);
    trace_b_free(&b, 2, 0x5000);
    char err[256];
    uint8_t *f = trace_file_build("program=test\n", 13, b.ops, b.nops, b.nslots, b.nthreads,
                                  n, err, sizeof err);
    if (!f)
        fail_msg("%s", err);
    trace_builder_free(&b);
    return f;
}

static void open_trace(const uint8_t *f, size_t n, struct hl_trace *t)
{
    struct hl_opbuf_header h;
    struct hl_trace_error e = {0};
    assert_int_equal(hl_trace_header(f, n, &h, &e), 0);
    void *scratch = malloc(hl_trace_scratch_bytes(&h));
    if (hl_trace_open(f, n, scratch, hl_trace_scratch_bytes(&h), t, &e) != 0)
        fail_msg("refused at byte %llu: %s", (unsigned long long)e.at, e.why);
    free(scratch);
}

static void fixed_params(void **st)
{
    (void)st;
    size_t n;
    uint8_t *f = sample(&n);
    struct hl_trace t;
    open_trace(f, n, &t);
    struct hl_wl_replay r;
    hl_wl_replay_init(&r, "sample", 6, &t);
    const struct hl_workload *w = &r.pub;
    assert_string_equal(w->name, "trace:sample");
    assert_true(hl_wl_is_replay(w));
    assert_false(hl_wl_is_replay(hl_workload_find("churn-fixed")));
    assert_int_equal(w->family, HL_FAMILY_HEAP);
    struct hl_wl_params p;
    hl_wl_defaults(w, &p);
    assert_int_equal(w->total_ops(&p), t.nops);
    assert_int_equal(w->slots(&p), t.h.nslots);
    assert_int_equal(w->peak_frame_bytes(&p), t.st.peak_live_bytes);
    char text[256], want[256];
    hl_wl_format(w, &p, text, sizeof text);
    snprintf(want, sizeof want, "ops=%llu,slots=%llu,peak=%llu,checksum=%llu",
             (unsigned long long)t.nops, (unsigned long long)t.h.nslots,
             (unsigned long long)t.st.peak_live_bytes, (unsigned long long)t.h.checksum);
    assert_string_equal(text, want);
    struct hl_wl_params q;
    const char *why = NULL;
    size_t at = 0;
    assert_int_equal(hl_wl_parse(w, text, &q, &why, &at), 0);
    assert_int_not_equal(hl_wl_parse(w, "ops=1", &q, &why, &at), 0); /* another trace */
    /* the generator gives the ops as they are, and the header's checksum */
    uint64_t ck = HL_WL_CHECKSUM0;
    struct hl_wl_gen g;
    hl_wl_init(&g, w, &p, 1, &ck /* 8-aligned, unused */, 0);
    struct hl_op op;
    uint64_t i = 0;
    ck = HL_WL_CHECKSUM0;
    while (w->next(&g, &op)) {
        assert_memory_equal(&op, &t.ops[i], sizeof op);
        ck = hl_wl_checksum_op(ck, &op);
        i++;
    }
    assert_int_equal(i, t.nops);
    assert_int_equal(ck, t.h.checksum);
    free(f);
}

static struct hl_hist H;

static void replay_one(const struct hl_allocator *a, const struct hl_workload *w,
                       const struct hl_trace *t, const struct hl_wl_replay *r)
{
    struct hl_cell_config c = {.a = a, .w = w, .seed = 1};
    hl_wl_defaults(w, &c.params);
    c.state = tl_state(a);
    c.region_bytes = (size_t)8 << 20;
    c.region = tl_region(c.region_bytes, HL_FRAME_BYTES);
    c.scratch = tl_region(8, 16);
    c.nslots = w->slots(&c.params);
    c.slots = calloc((size_t)c.nslots, sizeof *c.slots);
    c.ops_cap = 7; /* in chunks */
    c.ops = calloc(c.ops_cap, sizeof *c.ops);
    c.hist = &H;
    c.sample_points = 10;
    assert_non_null(c.slots);
    assert_non_null(c.ops);
    for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
        struct hl_cell_result res;
        memset(&res, 0, sizeof res);
        assert_int_equal(hl_cell_pass(&c, (enum hl_pass)pass, &res), HL_OK);
        if (res.ops != t->nops)
            fail_msg("%s pass %d: %llu ops", a->name, pass, (unsigned long long)res.ops);
        if (res.workload_checksum != t->h.checksum)
            fail_msg("%s pass %d: checksum %016llx, header %016llx", a->name, pass,
                     (unsigned long long)res.workload_checksum,
                     (unsigned long long)t->h.checksum);
        if (pass == HL_PASS_BATCH)
            continue;
        if (res.failed_allocs != 0 || res.leaks != r->st.end_live_blocks)
            fail_msg("%s pass %d: %llu failed, %llu leaks (want %llu)", a->name, pass,
                     (unsigned long long)res.failed_allocs, (unsigned long long)res.leaks,
                     (unsigned long long)r->st.end_live_blocks);
        if (res.peak_live_bytes < t->st.peak_live_bytes)
            fail_msg("%s: peak %llu below the trace's %llu", a->name,
                     (unsigned long long)res.peak_live_bytes,
                     (unsigned long long)t->st.peak_live_bytes);
        /* the program's blocks, live at the end: the aligned one aligned,
         * the calloc'd one zero */
        for (uint64_t s = 0; s < c.nslots; s++) {
            if (!c.slots[s].ptr)
                continue;
            uint64_t bytes = c.slots[s].bytes & ~((uint64_t)1 << 63);
            if (bytes == 300 && !HL_IS_ALIGNED((uintptr_t)c.slots[s].ptr, (uintptr_t)4096))
                fail_msg("%s: aligned block at %p", a->name, c.slots[s].ptr);
            if (bytes == 64) {
                const uint8_t *z = c.slots[s].ptr;
                for (int k = 0; k < 64; k++)
                    if (z[k])
                        fail_msg("%s: calloc'd byte %d is %u", a->name, k, z[k]);
            }
        }
    }
    tl_free(c.state);
    tl_free(c.region);
    tl_free(c.scratch);
    free(c.slots);
    free(c.ops);
}

static void replay_every_heap_allocator(void **st)
{
    (void)st;
    size_t n;
    uint8_t *f = sample(&n);
    struct hl_trace t;
    open_trace(f, n, &t);
    assert_int_equal(t.st.threads_used, 3);
    assert_int_equal(t.st.unknown_frees, 1);
    assert_int_equal(t.st.end_live_blocks, 2);
    struct hl_wl_replay r;
    hl_wl_replay_init(&r, "sample", 6, &t);
    int ran = 0;
    for (size_t i = 0; hl_allocators[i]; i++)
        if (hl_allocators[i]->family == HL_FAMILY_HEAP) {
            replay_one(hl_allocators[i], &r.pub, &t, &r);
            ran++;
        }
    assert_true(ran >= 5);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stems),
        cmocka_unit_test(fixed_params),
        cmocka_unit_test(replay_every_heap_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
