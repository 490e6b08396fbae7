/*
 * test_trace.c — trace files: the freestanding reader (workloads/trace.c)
 * accepts what the builder writes and counts it exactly, refuses every
 * truncation and every corrupted field at its byte offset; the builder's
 * address map survives heavy churn; the recorder's raw records merge in
 * seq order whatever order they were written in; the mtrace importer
 * names the line of each malformed input; the fuzz entry points survive
 * every single-byte corruption of a valid file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/host/trace.h"
#include "bench/record/raw.h"

/* A small trace through the builder: every kind, slot reuse, an unknown
 * free. */
static uint8_t *sample(size_t *n, struct trace_builder *b)
{
    trace_builder_init(b);
    trace_b_alloc(b, HL_OP_ALLOC, 0, 0, 0x1000, 100);  /* slot 0 */
    trace_b_alloc(b, HL_OP_CALLOC, 0, 1, 0x2000, 80);  /* slot 1 */
    trace_b_free(b, 0, 0x1000);                        /* 0 free */
    trace_b_alloc(b, HL_OP_ALIGNED, 6, 0, 0x3000, 50); /* slot 0 again */
    bool unknown;
    uint64_t s = trace_b_realloc_out(b, 0x2000, &unknown);
    assert_int_equal(s, 1);
    assert_false(unknown);
    trace_b_realloc_in(b, 1, 0x2000, s, unknown, 0x4000, 300);
    trace_b_free(b, 1, 0x9999); /* unknown: slot 2, reserved */
    trace_b_alloc(b, HL_OP_ALLOC, 0, 0, 0x5000, 7); /* slot 3 */
    char err[256];
    uint8_t *f = trace_file_build("program=test\nk=v\n", 17, b->ops, b->nops,
                                  b->nslots, b->nthreads, n, err, sizeof err);
    assert_non_null(f);
    return f;
}

static void open_ok(const uint8_t *f, size_t n, struct hl_trace *t)
{
    struct hl_opbuf_header h;
    struct hl_trace_error e = {0};
    assert_int_equal(hl_trace_header(f, n, &h, &e), 0);
    void *scratch = malloc(hl_trace_scratch_bytes(&h));
    int rc = hl_trace_open(f, n, scratch, hl_trace_scratch_bytes(&h), t, &e);
    if (rc)
        fail_msg("refused at byte %llu: %s", (unsigned long long)e.at, e.why);
    free(scratch);
}

static void builder_to_reader(void **st)
{
    (void)st;
    struct trace_builder b;
    size_t n;
    uint8_t *f = sample(&n, &b);
    struct hl_trace t;
    open_ok(f, n, &t);
    assert_int_equal(t.nops, 7);
    assert_int_equal(t.h.nslots, 4);
    assert_int_equal(t.h.nthreads, 2);
    assert_int_equal(t.st.ops_by_kind[HL_OP_ALLOC], 2);
    assert_int_equal(t.st.ops_by_kind[HL_OP_CALLOC], 1);
    assert_int_equal(t.st.ops_by_kind[HL_OP_ALIGNED], 1);
    assert_int_equal(t.st.ops_by_kind[HL_OP_REALLOC], 1);
    assert_int_equal(t.st.ops_by_kind[HL_OP_FREE], 2);
    assert_int_equal(t.st.unknown_frees, 1);
    assert_int_equal(b.c.unknown_frees, 1);
    /* 100 + 80 -> 80 -> 130 -> 350 (realloc 80 -> 300) -> 357 */
    assert_int_equal(t.st.peak_live_bytes, 357);
    assert_int_equal(t.h.peak_live_bytes, 357);
    assert_int_equal(t.st.peak_live_blocks, 3);
    assert_int_equal(t.st.end_live_blocks, 3);
    assert_int_equal(t.ops[3].slot, 0); /* LIFO reuse */
    assert_int_equal(t.ops[3].align_log2, 6);
    assert_int_equal(t.ops[5].kind, HL_OP_FREE);
    assert_int_equal(t.ops[5].slot, 2);
    size_t len;
    const char *v = hl_trace_meta(&t, "k", &len);
    assert_non_null(v);
    assert_int_equal(len, 1);
    assert_memory_equal(v, "v", 1);
    assert_null(hl_trace_meta(&t, "missing", &len));
    free(f);
    trace_builder_free(&b);
}

static void expect_refused(const uint8_t *f, size_t n, uint64_t at,
                           const char *why_part)
{
    uint8_t *copy = aligned_alloc(16, (n + 16) / 16 * 16);
    memcpy(copy, f, n);
    struct hl_opbuf_header h;
    struct hl_trace_error e = {0};
    int rc = hl_trace_header(copy, n, &h, &e);
    if (rc == 0) {
        void *scratch = malloc(hl_trace_scratch_bytes(&h) + 8);
        rc = hl_trace_open(copy, n, scratch, hl_trace_scratch_bytes(&h), &(struct hl_trace){0}, &e);
        free(scratch);
    }
    assert_int_equal(rc, -1);
    if (e.at != at || !strstr(e.why, why_part))
        fail_msg("refused at %llu (%s), expected %llu (%s)",
                 (unsigned long long)e.at, e.why, (unsigned long long)at,
                 why_part);
    free(copy);
}

static void every_truncation_refused(void **st)
{
    (void)st;
    struct trace_builder b;
    size_t n;
    uint8_t *f = sample(&n, &b);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = aligned_alloc(16, (n + 16) / 16 * 16);
        memcpy(copy, f, cut);
        struct hl_opbuf_header h;
        struct hl_trace_error e = {0};
        assert_int_equal(hl_trace_header(copy, cut, &h, &e), -1);
        assert_true(e.at <= cut);
        free(copy);
    }
    free(f);
    trace_builder_free(&b);
}

static void corruption_named_at_its_offset(void **st)
{
    (void)st;
    struct trace_builder b;
    size_t n;
    uint8_t *f = sample(&n, &b);
    struct hl_opbuf_header h;
    memcpy(&h, f, sizeof h);
    const uint64_t ops_at = h.header_bytes;
    uint8_t *g = malloc(n);
#define FRESH() memcpy(g, f, n)
    FRESH();
    g[ops_at + 16 * 4] = 9; /* op 4: kind 9 */
    expect_refused(g, n, ops_at + 16 * 4, "unknown op kind");
    FRESH();
    g[ops_at + 16 * 3 + 4] = 1; /* op 3 (aligned) into live slot 1 */
    expect_refused(g, n, ops_at + 16 * 3, "alloc into a live slot");
    FRESH();
    g[ops_at + 16 * 6 + 8 + 7] = 0x10; /* op 6: 2^60 bytes */
    expect_refused(g, n, ops_at + 16 * 6, "2^48");
    FRESH();
    g[32] ^= 1;
    expect_refused(g, n, 32, "checksum");
    FRESH();
    g[48] ^= 1;
    expect_refused(g, n, 48, "peak_live_bytes");
    FRESH();
    g[64 + 3] = 0; /* in "program=test" */
    expect_refused(g, n, 64 + 3, "NUL");
    FRESH();
    g[64] = '='; /* "=rogram..." */
    expect_refused(g, n, 64, "empty key");
    FRESH();
    g[64 + 7] = 'X'; /* "programXtest": no '=' */
    expect_refused(g, n, 64, "without '='");
    FRESH();
    g[64 + 17] = 7; /* padding */
    expect_refused(g, n, 64 + 17, "padding");
    FRESH();
    g[24] = 200; /* nslots 200 > 7 ops */
    expect_refused(g, n, 24, "slot count above the op count");
    FRESH();
    g[0] = 'X';
    expect_refused(g, n, 0, "magic");
    free(g);
    free(f);
    trace_builder_free(&b);
}

/* A hostile header cannot make the reader ask for much scratch. */
static void hostile_slot_count(void **st)
{
    (void)st;
    struct hl_opbuf_header h;
    hl_opbuf_header_init(&h, 1, (uint64_t)1 << 32, 0, 1, 0);
    uint8_t f[80] = {0};
    memcpy(f, &h, sizeof h);
    expect_refused(f, sizeof f, 24, "slot count above the op count");
}

/* Thousands of live addresses, freed in a scrambled order and reused:
 * the map's backward-shift deletion keeps every key reachable. */
static void builder_map_churn(void **st)
{
    (void)st;
    struct trace_builder b;
    trace_builder_init(&b);
    enum { N = 20000 };
    static uint64_t live[N];
    uint64_t x = 88172645463325252ull;
    size_t nlive = 0, frees = 0;
    for (int round = 0; round < 200000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (nlive < N && (nlive == 0 || x % 3)) {
            uint64_t addr = ((x >> 20) % 50000 + 1) * 16; /* collisions */
            bool dup = false;
            for (size_t i = 0; i < nlive && !dup; i++)
                dup = live[i] == addr;
            if (dup)
                continue;
            live[nlive++] = addr;
            trace_b_alloc(&b, HL_OP_ALLOC, 0, 0, addr, 16);
        } else {
            size_t k = (x >> 8) % nlive;
            trace_b_free(&b, 0, live[k]);
            live[k] = live[--nlive];
            frees++;
        }
        if (round > 3000 && nlive > 2000)
            round += 0; /* keep going */
    }
    assert_false(b.oom);
    assert_int_equal(b.c.unknown_frees, 0);
    assert_int_equal(b.c.implied_frees, 0);
    char err[256];
    size_t n;
    uint8_t *f = trace_file_build("", 0, b.ops, b.nops, b.nslots, b.nthreads,
                                  &n, err, sizeof err);
    assert_non_null(f);
    struct hl_trace t;
    open_ok(f, n, &t);
    assert_int_equal(t.st.ops_by_kind[HL_OP_FREE], frees);
    assert_int_equal(t.st.end_live_blocks, nlive);
    free(f);
    trace_builder_free(&b);
}

static struct hl_raw_rec raw(uint64_t seq, uint8_t kind, uint64_t addr,
                             uint64_t bytes, uint16_t thread)
{
    return (struct hl_raw_rec){.seq = seq, .kind = kind, .addr = addr,
                               .bytes = bytes, .thread = thread};
}

/* Two threads: thread 1 reallocs 0xA0 -> 0xB0 while thread 0 frees 0xB0's
 * previous owner and gets 0xA0 (released by the realloc) — written out of
 * order, as per-thread buffers are. */
static void merge_in_seq_order(void **st)
{
    (void)st;
    struct hl_raw_rec r[] = {
        raw(5, HL_RAW_REALLOC_IN, 0xB0, 64, 1),
        raw(0, HL_RAW_ALLOC, 0xA0, 10, 1),
        raw(1, HL_RAW_ALLOC, 0xB0, 20, 0),
        raw(3, HL_RAW_FREE, 0xB0, 0, 0),
        raw(2, HL_RAW_REALLOC_OUT, 0xA0, 0, 1),
        raw(4, HL_RAW_ALLOC, 0xA0, 30, 0),
        raw(6, HL_RAW_FREE, 0, 0, 0),
        raw(7, HL_RAW_USABLE, 0xA0, 0, 0),
        raw(9, HL_RAW_ALLOC, 0, 5, 1), /* failed; seq 8 lost */
        raw(10, HL_RAW_REALLOC_OUT, 0xA0, 0, 0),
        raw(11, HL_RAW_REALLOC_IN, 0, 0, 0), /* realloc(p, 0) freed p */
    };
    struct trace_builder b;
    trace_builder_init(&b);
    const char *why = NULL;
    assert_int_equal(trace_merge_raw(r, sizeof r, &b, &why), 0);
    const struct hl_op want[] = {
        {.kind = HL_OP_ALLOC, .thread = 1, .slot = 0, .bytes = 10},
        {.kind = HL_OP_ALLOC, .thread = 0, .slot = 1, .bytes = 20},
        {.kind = HL_OP_FREE, .thread = 0, .slot = 1},
        {.kind = HL_OP_ALLOC, .thread = 0, .slot = 1, .bytes = 30},
        {.kind = HL_OP_REALLOC, .thread = 1, .slot = 0, .bytes = 64},
        {.kind = HL_OP_FREE, .thread = 0, .slot = 1},
    };
    assert_int_equal(b.nops, sizeof want / sizeof want[0]);
    assert_memory_equal(b.ops, want, sizeof want);
    assert_int_equal(b.c.free_null, 1);
    assert_int_equal(b.c.usable_size_calls, 1);
    assert_int_equal(b.c.failed_allocs, 1);
    assert_int_equal(b.c.lost_records, 1);
    assert_int_equal(b.c.realloc_zero_frees, 1);
    assert_int_equal(b.nthreads, 2);
    trace_builder_free(&b);
}

static void mtrace_bad(const char *text, uint64_t line, const char *why_part)
{
    struct trace_builder b;
    trace_builder_init(&b);
    uint64_t got = 0;
    const char *why = NULL;
    assert_int_equal(trace_import_mtrace(text, strlen(text), &b, &got, &why), -1);
    if (got != line || !strstr(why, why_part))
        fail_msg("'%s': line %llu (%s), expected %llu (%s)", text,
                 (unsigned long long)got, why, (unsigned long long)line,
                 why_part);
    trace_builder_free(&b);
}

static void mtrace_errors_name_the_line(void **st)
{
    (void)st;
    mtrace_bad("= Start\n+ 0x10 0x5\nfoo\n", 3, "not an mtrace line");
    mtrace_bad("= Start\n* 0x10 0x5\n", 2, "unknown operation");
    mtrace_bad("+ 0xZZ 0x5\n", 1, "bad pointer");
    mtrace_bad("+ 0x10\n", 1, "missing size");
    mtrace_bad("+ 0x10 0x5 junk\n", 1, "junk");
    mtrace_bad("+ 0x10 0x99999999999999999\n", 1, "bad size");
    mtrace_bad("+ 0x10 0xffffffffffffff\n", 1, "2^48");
    mtrace_bad("< 0x10\n+ 0x20 0x5\n", 2, "not followed by '>'");
    mtrace_bad("+ 0x10 0x5\n> 0x20 0x5\n", 2, "without a '<'");
    mtrace_bad("+ 0x10 0x5\n< 0x10\n", 2, "ends between");
    mtrace_bad("@ prog:0x10 + 0x10 0x5\n", 1, "caller");
    mtrace_bad("+ 0x10 0x5\n\n", 2, "empty line");
    mtrace_bad("=Start\n", 1, "'='");

    struct trace_builder b;
    trace_builder_init(&b);
    uint64_t line;
    const char *why;
    const char *ok = "= Start\n@ ./p:(main+0x1)[0x1] + 0x10 0x5\n@ [0x2] - 0x99\n"
                     "- (nil)\n+ (nil) 0x7fff\n< 0x10\n> 0x20 0\n! 0x20 0x1000\n"
                     "- 0x20\n= End";
    assert_int_equal(trace_import_mtrace(ok, strlen(ok), &b, &line, &why), 0);
    assert_int_equal(b.nops, 4); /* alloc, unknown free, realloc, free */
    assert_int_equal(b.c.unknown_frees, 1);
    assert_int_equal(b.c.failed_allocs, 2);
    assert_int_equal(b.c.free_null, 1);
    assert_int_equal(b.ops[2].kind, HL_OP_REALLOC);
    assert_int_equal(b.ops[2].bytes, 0);
    trace_builder_free(&b);
}

/* Every byte of a valid file, replaced by a few values, through the fuzz
 * entry point (which aborts on a broken rule; ASan in the asan preset). */
static void fuzz_entries_survive_corruption(void **st)
{
    (void)st;
    struct trace_builder b;
    size_t n;
    uint8_t *f = sample(&n, &b);
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    uint8_t *g = malloc(n);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(g, f, n);
            g[i] = vals[k];
            hl_trace_fuzz_one(g, n);
            hl_trace_fuzz_one(g, i);
        }
    hl_trace_fuzz_one(f, n);
    const char *m = "= Start\n@ ./p:[0x1] + 0x10 0x5\n< 0x10\n> 0x20 0x9\n"
                    "- 0x20\n- 0x30\n! 0x40 0x5\n= End\n";
    size_t mn = strlen(m);
    char *mm = malloc(mn);
    for (size_t i = 0; i < mn; i++)
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(mm, m, mn);
            mm[i] = (char)vals[k];
            hl_mtrace_fuzz_one((const uint8_t *)mm, mn);
            hl_mtrace_fuzz_one((const uint8_t *)mm, i);
        }
    free(mm);
    free(g);
    free(f);
    trace_builder_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builder_to_reader),
        cmocka_unit_test(every_truncation_refused),
        cmocka_unit_test(corruption_named_at_its_offset),
        cmocka_unit_test(hostile_slot_count),
        cmocka_unit_test(builder_map_churn),
        cmocka_unit_test(merge_in_seq_order),
        cmocka_unit_test(mtrace_errors_name_the_line),
        cmocka_unit_test(fuzz_entries_survive_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
