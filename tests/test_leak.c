/*
 * test_leak.c — the leak detector (bench/core/leak.h): insert and remove
 * by pointer against a reference under random churn (the backward-shift
 * delete keeps every record findable), the report (count, bytes, the first
 * by site, the largest, size classes), a full table, invalid and double
 * frees, leaks.csv rows; and the runner: WARMUP fills the table (an
 * allocator that drops frees is reported as the allocator's leak, with
 * exact count and bytes), BATCH and PEROP never touch it.
 */
#include "tests/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "allocators/bump.h"
#include "bench/core/leak.h"
#include "bench/core/runner.h"

static void *table_mem(struct hl_leak_table *t, uint64_t max_live)
{
    size_t n = hl_leak_table_bytes(max_live);
    assert_true(n > 0);
    void *mem = calloc(1, n);
    assert_non_null(mem);
    assert_true(hl_leak_init(t, mem, n, max_live));
    hl_leak_reset(t);
    return mem;
}

/* A fake block address: distinct, 16-aligned, never dereferenced. */
static const void *addr(uint64_t i) { return (const void *)(uintptr_t)(0x10000u + 16u * i); }

static void sizing(void **st)
{
    (void)st;
    assert_int_equal(hl_leak_table_bytes(0), 2 * sizeof(struct hl_leak_rec));
    assert_int_equal(hl_leak_table_bytes(3), 8 * sizeof(struct hl_leak_rec));
    assert_int_equal(hl_leak_table_bytes(4), 8 * sizeof(struct hl_leak_rec));
    assert_int_equal(hl_leak_table_bytes(UINT64_MAX), 0);
    struct hl_leak_table t;
    char small[16];
    assert_false(hl_leak_init(&t, small, sizeof small, 4));
}

static void insert_remove_report(void **st)
{
    (void)st;
    struct hl_leak_table t;
    void *mem = table_mem(&t, 8);
    /* site: size */
    assert_true(hl_leak_alloc(&t, addr(1), 100, 0, 0));
    assert_true(hl_leak_alloc(&t, addr(2), 1000, 1, 0));
    assert_true(hl_leak_alloc(&t, addr(3), 32, 2, 1));
    assert_true(hl_leak_free(&t, addr(2), 3));
    assert_true(hl_leak_alloc(&t, addr(4), 5000, 4, 2));
    assert_true(hl_leak_free(&t, addr(1), 5));
    assert_int_equal(t.live, 2);
    assert_int_equal(t.live_bytes, 5032);

    struct hl_leak_report r;
    hl_leak_report(&t, 8, &r);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.bytes, 5032);
    assert_int_equal(r.alloc_count, 0);
    assert_int_equal(r.nfirst, 2);
    assert_int_equal(r.first[0].site, 2);
    assert_int_equal(r.first[0].bytes, 32);
    assert_int_equal(r.first[0].thread, 1);
    assert_int_equal(r.first[1].site, 4);
    assert_int_equal(r.first[1].thread, 2);
    assert_int_equal(r.nlargest, 2);
    assert_int_equal(r.largest[0].bytes, 5000);
    assert_int_equal(r.largest[1].bytes, 32);
    assert_int_equal(r.class_count[hl_leak_class(32)], 1);
    assert_int_equal(r.class_bytes[hl_leak_class(5000)], 5000);
    assert_int_equal(hl_leak_class_max(hl_leak_class(5000)), 8192);

    /* A list shorter than the leaks: the first by site, the largest. */
    hl_leak_report(&t, 1, &r);
    assert_int_equal(r.nfirst, 1);
    assert_int_equal(r.first[0].site, 2);
    assert_int_equal(r.nlargest, 1);
    assert_int_equal(r.largest[0].site, 4);

    /* The allocator counts 3 more blocks, 300 more bytes. */
    hl_leak_set_allocator(&t, 5, 5332);
    hl_leak_report(&t, 8, &r);
    assert_int_equal(r.alloc_count, 3);
    assert_int_equal(r.alloc_bytes, 300);
    free(mem);
}

static void size_classes(void **st)
{
    (void)st;
    assert_int_equal(hl_leak_class(0), 0);
    assert_int_equal(hl_leak_class(1), 0);
    assert_int_equal(hl_leak_class(2), 1);
    assert_int_equal(hl_leak_class(3), 2);
    assert_int_equal(hl_leak_class(4), 2);
    assert_int_equal(hl_leak_class(5), 3);
    assert_int_equal(hl_leak_class((uint64_t)1 << 40), 40);
    assert_int_equal(hl_leak_class(((uint64_t)1 << 40) + 1), 41);
    assert_int_equal(hl_leak_class(UINT64_MAX), HL_LEAK_CLASSES - 1);
    assert_int_equal(hl_leak_class_max(HL_LEAK_CLASSES - 1), UINT64_MAX);
}

static void table_full(void **st)
{
    (void)st;
    struct hl_leak_table t;
    void *mem = table_mem(&t, 3);
    for (uint64_t i = 0; i < 3; i++)
        assert_true(hl_leak_alloc(&t, addr(i), 10, i, 0));
    assert_false(hl_leak_alloc(&t, addr(3), 70, 3, 0));
    assert_false(hl_leak_alloc(&t, addr(4), 30, 4, 0));
    assert_int_equal(t.untracked, 2);
    assert_int_equal(t.untracked_bytes, 100);
    assert_int_equal(t.live, 3);
    /* A freed record makes room again. */
    assert_true(hl_leak_free(&t, addr(0), 5));
    assert_true(hl_leak_alloc(&t, addr(5), 10, 6, 0));
    struct hl_leak_report r;
    hl_leak_set_allocator(&t, 5, 130); /* 3 tracked + 2 untracked: none beyond */
    hl_leak_report(&t, 8, &r);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.untracked, 2);
    assert_int_equal(r.untracked_bytes, 100);
    assert_int_equal(r.alloc_count, 0);
    free(mem);
}

static void invalid_and_double_free(void **st)
{
    (void)st;
    struct hl_leak_table t;
    void *mem = table_mem(&t, 4);
    assert_true(hl_leak_alloc(&t, addr(1), 8, 0, 0));
    assert_false(hl_leak_free(&t, addr(9), 1));   /* never granted */
    assert_true(hl_leak_free(&t, addr(1), 2));
    assert_false(hl_leak_free(&t, addr(1), 3));   /* freed already */
    assert_false(hl_leak_free(&t, NULL, 4));
    assert_int_equal(t.invalid_frees, 3);
    assert_int_equal(t.first_invalid_site, 1);
    assert_int_equal(t.live, 0);
    struct hl_leak_report r;
    hl_leak_report(&t, 8, &r);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.invalid_frees, 3);
    assert_int_equal(r.first_invalid_site, 1);
    free(mem);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Random churn at full load against a reference array: every live block
 * stays findable after any sequence of backward-shift deletions, and the
 * report's totals are the reference's. */
static void churn_against_reference(void **st)
{
    (void)st;
    enum { N = 1000, STEPS = 200000 };
    struct hl_leak_table t;
    void *mem = table_mem(&t, N);
    static uint64_t size[N]; /* 0: not live */
    uint64_t seed = 42, live = 0, bytes = 0;
    for (uint64_t step = 0; step < STEPS; step++) {
        uint64_t i = splitmix(&seed) % N;
        /* clustered addresses: many share a home bucket's neighbourhood */
        const void *p = addr(i * 64);
        if (size[i]) {
            assert_true(hl_leak_free(&t, p, step));
            live--;
            bytes -= size[i];
            size[i] = 0;
        } else {
            size[i] = 1 + splitmix(&seed) % 4096;
            assert_true(hl_leak_alloc(&t, p, size[i], step, 0));
            live++;
            bytes += size[i];
        }
    }
    assert_int_equal(t.live, live);
    assert_int_equal(t.invalid_frees, 0);
    for (uint64_t i = 0; i < N; i++)
        if (size[i])
            assert_true(hl_leak_free(&t, addr(i * 64), STEPS)); /* findable */
        else
            assert_false(hl_leak_free(&t, addr(i * 64), STEPS));
    assert_int_equal(t.live, 0);
    (void)bytes;
    free(mem);
}

/* ---- leaks.csv rows --------------------------------------------------------- */

struct rows {
    char text[8192];
    size_t len;
    unsigned n;
};

static void keep_row(void *ctx, const char *row, size_t len)
{
    struct rows *r = ctx;
    assert_true(len < 2048);
    memcpy(r->text + r->len, row, len);
    r->len += len;
    r->text[r->len++] = '\n';
    r->text[r->len] = '\0';
    r->n++;
}

static void csv_rows(void **st)
{
    (void)st;
    struct hl_leak_table t;
    void *mem = table_mem(&t, 8);
    assert_true(hl_leak_alloc(&t, addr(1), 32, 2, 0));
    assert_true(hl_leak_alloc(&t, addr(2), 5000, 4, 3));
    assert_false(hl_leak_free(&t, addr(7), 5));
    hl_leak_set_allocator(&t, 3, 5100);
    struct hl_leak_report rep;
    hl_leak_report(&t, 8, &rep);
    struct hl_row_ids id = {.run_id = "R", .env = "host", .clock = "tsc", .allocator = "tlsf",
                            .workload = "trace:t", .params = "ops=6,slots=3", .seed = 1,
                            .launch = 2};
    static struct rows r;
    char buf[2048];
    hl_leak_rows(&rep, true, &id, buf, sizeof buf, keep_row, &r);
    assert_string_equal(
        hl_leaks_header,
        "run_id,env,clock,allocator,alloc_params,workload,params,sweep,seed,launch,kind,owner,"
        "site,thread,size_bytes,count,bytes");
    const char *want =
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,total,program,,,,2,5032\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,total,allocator,,,,1,68\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,invalid_free,harness,5,0,,1,0\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,first,program,2,0,32,1,32\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,first,program,4,3,5000,1,5000\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,largest,program,4,3,5000,1,5000\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,largest,program,2,0,32,1,32\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,class,program,,,32,1,32\n"
        "R,host,tsc,tlsf,,trace:t,\"ops=6,slots=3\",,1,2,class,program,,,8192,1,5000\n";
    assert_string_equal(r.text, want);
    /* A synthetic stream's leftovers are the harness's. */
    memset(&r, 0, sizeof r);
    hl_leak_rows(&rep, false, &id, buf, sizeof buf, keep_row, &r);
    assert_non_null(strstr(r.text, ",total,harness,,,,2,5032\n"));
    assert_null(strstr(r.text, "program"));
    free(mem);
}

/* ---- the runner ------------------------------------------------------------------- */

/* bump, dropping every 3rd free of a pass: an allocator leak. */
struct drop_state {
    struct bump b;
    unsigned frees;
};

static enum hl_status drop_init(void *s, void *base, size_t bytes, const struct hl_al_params *p)
{
    (void)p;
    ((struct drop_state *)s)->frees = 0;
    return bump_init(&((struct drop_state *)s)->b, base, bytes);
}
static void *drop_alloc(void *s, size_t bytes) { return bump_alloc(&((struct drop_state *)s)->b, bytes); }
static enum hl_status drop_free(void *s, void *p, size_t bytes)
{
    struct drop_state *d = s;
    if (++d->frees % 3 == 0)
        return HL_OK;
    return bump_free(&d->b, p, bytes);
}
static void drop_stats(const void *s, struct hl_stats *out)
{
    bump_stats(&((const struct drop_state *)s)->b, out);
}

static const struct hl_allocator dropper = {
    .name = "drop3", .family = HL_FAMILY_HEAP, .state_bytes = sizeof(struct drop_state),
    .align_bytes = 16, .init = drop_init, .alloc = drop_alloc, .free = drop_free,
    .stats = drop_stats,
};

static void runner_warmup_only(void **st)
{
    (void)st;
    const struct hl_workload *w = hl_workload_find("lifo");
    assert_non_null(w);
    struct hl_cell_config c = {.a = &dropper, .w = w, .seed = 1};
    hl_wl_defaults(w, &c.params);
    assert_int_equal(hl_wl_parse(w, "n=30,min=64,max=64", &c.params, NULL, NULL), 0);
    static struct drop_state state;
    static struct hl_hist hist;
    c.state = &state;
    c.region_bytes = (size_t)1 << 20;
    c.region = tl_region(c.region_bytes, 4096);
    c.scratch_bytes = w->scratch_bytes(&c.params);
    c.scratch = tl_region(c.scratch_bytes ? c.scratch_bytes : 8, 16);
    c.nslots = w->slots(&c.params);
    c.slots = calloc((size_t)c.nslots, sizeof *c.slots);
    c.ops_cap = 7;
    c.ops = calloc(c.ops_cap, sizeof *c.ops);
    c.hist = &hist;
    struct hl_leak_table t;
    void *mem = table_mem(&t, c.nslots);
    c.leak_table = &t;

    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(r.leaks, 10); /* the leaks column: 30 frees, every 3rd dropped */
    struct hl_leak_report rep;
    hl_leak_report(&t, 8, &rep);
    assert_int_equal(rep.count, 0);       /* the stream freed everything */
    assert_int_equal(rep.alloc_count, 10); /* the allocator kept 10 */
    assert_int_equal(rep.alloc_bytes, 640);
    assert_int_equal(rep.invalid_frees, 0);

    /* The timed passes never touch the table: a marker survives them. */
    hl_leak_reset(&t);
    assert_true(hl_leak_alloc(&t, addr(1), 77, 99, 0));
    memset(&r, 0, sizeof r);
    assert_int_equal(hl_cell_pass(&c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(hl_cell_pass(&c, HL_PASS_PEROP, &r), HL_OK);
    assert_int_equal(t.live, 1);
    assert_int_equal(t.live_bytes, 77);
    assert_int_equal(t.alloc_live_blocks, 0);

    free(mem);
    free(c.slots);
    free(c.ops);
    tl_free(c.region);
    tl_free(c.scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizing),
        cmocka_unit_test(insert_remove_report),
        cmocka_unit_test(size_classes),
        cmocka_unit_test(table_full),
        cmocka_unit_test(invalid_and_double_free),
        cmocka_unit_test(churn_against_reference),
        cmocka_unit_test(csv_rows),
        cmocka_unit_test(runner_warmup_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
