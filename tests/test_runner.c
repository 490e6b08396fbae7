/*
 * test_runner.c — the measuring core (bench/core/runner.h) with the real
 * allocators and workloads: checksums, placement, leaks (allocator and
 * harness), peak live bytes against an independent replay, percentiles,
 * batch timing, space samples, calibration, and the CSV formatters.
 */
#include "tests/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/util.h"
#include "bench/core/runner.h"

#define HEAP_REGION_BYTES ((size_t)8 << 20)
#define FRAME_REGION_BYTES ((size_t)16 << 20)
#define TEST_OPS 4000 /* every stream scaled to about this many ops */
#define TEST_OPS_CAP 257 /* op buffer: streams run in chunks of this */

static struct hl_hist H;

/* Everything a cell needs, from the host heap. */
struct cell {
    struct hl_cell_config c;
    void *region;
};

static size_t region_bytes_for(const struct hl_allocator *a)
{
    return a->family == HL_FAMILY_FRAME ? FRAME_REGION_BYTES : HEAP_REGION_BYTES;
}

static void cell_open(struct cell *x, const struct hl_allocator *a,
                      const struct hl_workload *w, uint64_t seed)
{
    memset(x, 0, sizeof *x);
    struct hl_cell_config *c = &x->c;
    c->a = a;
    c->w = w;
    hl_wl_defaults(w, &c->params);
    if (hl_workload_find(w->name) == w) { /* registered: scale it down */
        hl_wl_scale_ops(w, &c->params, TEST_OPS);
        assert_int_equal(hl_wl_validate(w, &c->params, NULL, NULL), 0);
    }
    c->seed = seed;
    c->state = tl_state(a);
    c->region_bytes = region_bytes_for(a);
    x->region = c->region = tl_region(c->region_bytes, HL_FRAME_BYTES);
    c->scratch_bytes = w->scratch_bytes(&c->params);
    c->scratch = tl_region(c->scratch_bytes ? c->scratch_bytes : 8, 16);
    c->nslots = w->slots(&c->params);
    c->slots = calloc((size_t)c->nslots + 1, sizeof *c->slots);
    assert_non_null(c->slots);
    /* A small, odd op buffer: every test runs its streams in chunks. */
    c->ops_cap = TEST_OPS_CAP;
    c->ops = calloc(c->ops_cap, sizeof *c->ops);
    assert_non_null(c->ops);
    c->hist = &H;
    c->sample_points = 50;
}

static void cell_close(struct cell *x)
{
    tl_free(x->c.state);
    tl_free(x->region);
    tl_free(x->c.scratch);
    free(x->c.slots);
    free(x->c.ops);
}

static const struct hl_allocator *find_alloc(const char *name)
{
    const struct hl_allocator *a = hl_allocator_find(name);
    if (!a)
        fail_msg("allocator %s is not registered", name);
    return a;
}

static const struct hl_workload *find_wl(const char *name)
{
    const struct hl_workload *w = hl_workload_find(name);
    if (!w)
        fail_msg("workload %s is not registered", name);
    return w;
}

/* ---- checksums ------------------------------------------------------------ */

static void workload_checksum_equals_hl_wl_checksum(void **st)
{
    (void)st;
    for (const struct hl_workload *const *w = hl_workloads; *w; w++) {
        if ((*w)->family == HL_FAMILY_VM)
            continue; /* the vm pass's (test_vm.c) */
        const struct hl_allocator *a = find_alloc(
            (*w)->family == HL_FAMILY_FRAME ? "buddy" : "firstfit-seed");
        struct cell x;
        cell_open(&x, a, *w, 7);
        uint64_t want = hl_wl_checksum(*w, &x.c.params, 7, x.c.scratch,
                                       x.c.scratch_bytes);
        for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass += 2) {
            struct hl_cell_result r = {0};
            assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &r), HL_OK);
            if (r.workload_checksum != want)
                fail_msg("%s pass %d: checksum %016llx, hl_wl_checksum %016llx",
                         (*w)->name, pass, (unsigned long long)r.workload_checksum,
                         (unsigned long long)want);
            assert_int_equal(r.ops, (*w)->total_ops(&x.c.params));
        }
        /* The runner follows the seed (lifo and fifo draw nothing from it,
         * so compare with the generator rather than with `want`). */
        x.c.seed = 8;
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
        assert_int_equal(r.workload_checksum,
                         hl_wl_checksum(*w, &x.c.params, 8, x.c.scratch,
                                        x.c.scratch_bytes));
        if (strcmp((*w)->name, "churn-uniform") == 0)
            assert_int_not_equal(r.workload_checksum, want);
        cell_close(&x);
    }
}

/* The placement checksum recomputed by a plain replay of the stream. */
static uint64_t replay_placement(const struct hl_cell_config *c)
{
    static struct hl_slot slots[1 << 16];
    assert_true(c->nslots <= sizeof slots / sizeof slots[0]);
    memset(slots, 0, sizeof slots);
    assert_int_equal(hl_al_init(c->a, c->state, c->region, c->region_bytes, NULL), HL_OK);
    struct hl_wl_gen g;
    hl_wl_init(&g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
    uint64_t h = 0xcbf29ce484222325ull;
    struct hl_op op;
    while (c->w->next(&g, &op)) {
        if (op.kind == HL_OP_ALLOC) {
            void *p = c->a->alloc(c->state, (size_t)op.bytes);
            slots[op.slot].ptr = p;
            slots[op.slot].bytes = op.bytes;
            uint64_t frame = p ? ((uint64_t)((uint8_t *)p - (uint8_t *)c->region)) / 4096
                               : UINT64_MAX;
            for (int i = 0; i < 8; i++) {
                h ^= (frame >> (8 * i)) & 0xff;
                h *= 0x100000001b3ull;
            }
        } else if (slots[op.slot].ptr) {
            c->a->free(c->state, slots[op.slot].ptr, (size_t)slots[op.slot].bytes);
            slots[op.slot].ptr = NULL;
        }
    }
    return h;
}

static void placement_checksum_repeatable_and_allocator_specific(void **st)
{
    (void)st;
    const struct hl_workload *w = find_wl("frames-orders");
    struct cell x, y;
    cell_open(&x, find_alloc("bitmap-seed"), w, 3);
    cell_open(&y, find_alloc("buddy"), w, 3);
    struct hl_cell_result r1 = {0}, r2 = {0}, r3 = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r1), HL_OK);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r2), HL_OK);
    assert_int_equal(hl_cell_pass(&y.c, HL_PASS_PEROP, &r3), HL_OK);
    assert_int_not_equal(r1.placement_checksum, 0);
    assert_int_equal(r1.placement_checksum, r2.placement_checksum);
    assert_int_not_equal(r1.placement_checksum, r3.placement_checksum);
    assert_int_equal(r1.workload_checksum, r3.workload_checksum);
    assert_int_equal(r1.placement_checksum, replay_placement(&x.c));
    assert_int_equal(r3.placement_checksum, replay_placement(&y.c));
    cell_close(&x);
    cell_close(&y);

    /* Heap allocators have no placement checksum. */
    cell_open(&x, find_alloc("firstfit-seed"), find_wl("churn-fixed"), 3);
    struct hl_cell_result r4 = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r4), HL_OK);
    assert_int_equal(r4.placement_checksum, 0);
    cell_close(&x);
}

/* ---- leaks ---------------------------------------------------------------- */

static void no_leaks_for_any_allocator_on_its_family(void **st)
{
    (void)st;
    unsigned cells = 0;
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++) {
        for (const struct hl_workload *const *w = hl_workloads; *w; w++) {
            if ((*w)->family != (*a)->family)
                continue;
            struct cell x;
            cell_open(&x, *a, *w, 11);
            struct hl_cell_result r = {0};
            for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
                assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &r), HL_OK);
                if (r.leaks != 0)
                    fail_msg("%s on %s, pass %d: %llu leaks", (*a)->name,
                             (*w)->name, pass, (unsigned long long)r.leaks);
                assert_int_equal(r.nleaked_listed, 0);
                assert_int_equal(r.init_status, HL_OK);
                assert_int_equal(r.ops, (*w)->total_ops(&x.c.params));
            }
            /* The harness leaves every slot empty. */
            for (uint64_t i = 0; i < x.c.nslots; i++)
                assert_null(x.c.slots[i].ptr);
            cell_close(&x);
            cells++;
        }
    }
    assert_true(cells >= 6);
}

/* A wrapper whose free does nothing: the blocks stay counted in the
 * wrapped allocator's stats. */
static enum hl_status leaky_free(void *state, void *ptr, size_t bytes)
{
    (void)state;
    (void)ptr;
    (void)bytes;
    return HL_OK;
}

static void leaky_allocator_leaks_its_live_blocks(void **st)
{
    (void)st;
    struct hl_allocator leaky = *find_alloc("firstfit-seed");
    leaky.name = "leaky";
    leaky.free = leaky_free;
    struct cell x;
    cell_open(&x, &leaky, find_wl("random-free"), 5);
    for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &r), HL_OK);
        struct hl_stats s;
        leaky.stats(x.c.state, &s);
        assert_true(s.live_blocks > 0);
        assert_int_equal(r.leaks, s.live_blocks);
        assert_int_equal(r.leaks, s.allocs); /* nothing was really freed */
        assert_int_equal(r.nleaked_listed, 0); /* the harness freed them all */
    }
    cell_close(&x);
}

/* A stream that allocates 12 blocks and frees only the first 2: the
 * harness itself is left holding 10 (slots 2..11). */
static uint64_t short_slots(const struct hl_wl_params *p) { (void)p; return 12; }
static size_t short_scratch(const struct hl_wl_params *p) { (void)p; return 0; }
static uint64_t short_total(const struct hl_wl_params *p) { (void)p; return 14; }
static void short_start(struct hl_wl_gen *g) { g->emitted = 0; g->total = 14; }
static bool short_next(struct hl_wl_gen *g, struct hl_op *op)
{
    if (g->emitted == g->total)
        return false;
    uint64_t i = g->emitted++;
    if (i < 12)
        *op = (struct hl_op){.kind = HL_OP_ALLOC, .slot = (uint32_t)i,
                             .bytes = 100};
    else
        *op = (struct hl_op){.kind = HL_OP_FREE, .slot = (uint32_t)(i - 12)};
    return true;
}
static const struct hl_workload short_wl = {
    .name = "test-unfreed",
    .summary = "12 allocs, 2 frees",
    .family = HL_FAMILY_HEAP,
    .slots = short_slots,
    .scratch_bytes = short_scratch,
    .total_ops = short_total,
    .start = short_start,
    .next = short_next,
};

static void unfreed_slots_are_listed(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("firstfit-seed"), &short_wl, 1);
    for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &r), HL_OK);
        assert_int_equal(r.ops, 14);
        assert_int_equal(r.leaks, 10); /* filled slots == allocator's live */
        assert_int_equal(r.nleaked_listed, HL_LEAKS_LISTED);
        for (uint32_t i = 0; i < HL_LEAKS_LISTED; i++)
            assert_int_equal(r.leaked_slots[i], 2 + i);
    }
    /* The result keeps the worst pass of the repetition. */
    struct hl_cell_result r = {0};
    r.leaks = 20;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(r.leaks, 20);
    r.leaks = 3;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(r.leaks, 10);
    assert_int_equal(r.leaked_slots[0], 2);
    cell_close(&x);
}

/* ---- space and time ------------------------------------------------------- */

/* Peak live bytes by replaying the stream alone (0 bytes count as 1). */
static uint64_t replay_peak_live(const struct hl_cell_config *c)
{
    uint64_t *bytes = calloc((size_t)c->nslots, sizeof *bytes);
    assert_non_null(bytes);
    struct hl_wl_gen g;
    hl_wl_init(&g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
    uint64_t live = 0, peak = 0;
    struct hl_op op;
    while (c->w->next(&g, &op)) {
        if (op.kind == HL_OP_ALLOC) {
            bytes[op.slot] = op.bytes ? op.bytes : 1;
            live += bytes[op.slot];
            peak = live > peak ? live : peak;
        } else {
            live -= bytes[op.slot];
            bytes[op.slot] = 0;
        }
    }
    free(bytes);
    return peak;
}

static void peak_live_bytes_equals_a_replay(void **st)
{
    (void)st;
    static const char *const wls[] = {"churn-uniform", "churn-powerlaw", "ramp",
                                      "peak", "plateau", "random-free"};
    for (size_t i = 0; i < sizeof wls / sizeof wls[0]; i++) {
        struct cell x;
        cell_open(&x, find_alloc("firstfit-seed"), find_wl(wls[i]), 21);
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
        assert_int_equal(r.failed_allocs, 0);
        uint64_t want = replay_peak_live(&x.c);
        assert_true(want > 0);
        if (r.peak_live_bytes != want)
            fail_msg("%s: peak_live_bytes %llu, replay %llu", wls[i],
                     (unsigned long long)r.peak_live_bytes,
                     (unsigned long long)want);
        cell_close(&x);
    }
}

static void failed_allocs_are_counted_and_their_frees_skipped(void **st)
{
    (void)st;
    /* A region far too small for the live set: many allocs fail. */
    struct cell x;
    cell_open(&x, find_alloc("firstfit-seed"), find_wl("churn-fixed"), 2);
    x.c.region_bytes = 16 << 10;
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    assert_true(r.failed_allocs > 0);
    assert_int_equal(r.leaks, 0);
    struct hl_stats s;
    x.c.a->stats(x.c.state, &s);
    assert_int_equal(r.failed_allocs, s.failed_allocs);
    /* Every allocator call was timed: successful allocs, failed allocs
     * and the frees of filled slots (2 per success). */
    assert_int_equal(H.count, s.allocs + s.frees + s.failed_allocs);
    assert_true(r.peak_live_bytes <= x.c.region_bytes);
    cell_close(&x);
}

/* A trace-like stream with every op kind:
 *   0 ALIGNED(slot 0, 100 B, 4096)   1 CALLOC(slot 1, 64)
 *   2 REALLOC(slot 1, 200)           3 REALLOC(slot 2 (empty), 48)
 *   4 ALIGNED(slot 3, 32 B, 8)       5 ALLOC(slot 4, 0)
 * and, if g->p.v[0] (the "drain" parameter), a FREE of slots 0..4. */
static uint64_t kinds_slots(const struct hl_wl_params *p) { (void)p; return 5; }
static uint64_t kinds_total(const struct hl_wl_params *p)
{
    return p->v[0] ? 11 : 6;
}
static void kinds_start(struct hl_wl_gen *g) { g->emitted = 0; }
static bool kinds_next(struct hl_wl_gen *g, struct hl_op *op)
{
    static const struct hl_op ops[] = {
        {.kind = HL_OP_ALIGNED, .align_log2 = 12, .slot = 0, .bytes = 100},
        {.kind = HL_OP_CALLOC, .slot = 1, .bytes = 64},
        {.kind = HL_OP_REALLOC, .slot = 1, .bytes = 200},
        {.kind = HL_OP_REALLOC, .slot = 2, .bytes = 48},
        {.kind = HL_OP_ALIGNED, .align_log2 = 3, .slot = 3, .bytes = 32},
        {.kind = HL_OP_ALLOC, .slot = 4, .bytes = 0},
    };
    if (g->emitted >= kinds_total(&g->p))
        return false;
    uint64_t i = g->emitted++;
    *op = i < 6 ? ops[i] : (struct hl_op){.kind = HL_OP_FREE, .slot = (uint32_t)(i - 6)};
    return true;
}
static const struct hl_workload kinds_wl = {
    .name = "test-kinds",
    .summary = "every op kind",
    .family = HL_FAMILY_HEAP,
    .nparams = 1,
    .params = {{"drain", "", "free everything at the end", 1, 0, 1}},
    .slots = kinds_slots,
    .scratch_bytes = short_scratch,
    .total_ops = kinds_total,
    .start = kinds_start,
    .next = kinds_next,
};

static void every_op_kind_is_served(void **st)
{
    (void)st;
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++) {
        if ((*a)->family != HL_FAMILY_HEAP)
            continue;
        struct cell x;
        cell_open(&x, *a, &kinds_wl, 1);
        x.c.params.v[0] = 0; /* keep the blocks: look at them */
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
        assert_int_equal(r.ops, 6);
        assert_int_equal(r.failed_allocs, 0);
        struct hl_slot *s = x.c.slots;
        assert_true(((uintptr_t)s[0].ptr & 4095) == 0);   /* over-aligned */
        assert_true(hl_ptr_in(s[0].ptr, x.c.region, x.c.region_bytes));
        memset(s[0].ptr, 0xa5, 100); /* all of it is the caller's */
        const uint8_t *b = s[1].ptr; /* calloc's zeros, carried by realloc */
        for (int i = 0; i < 64; i++)
            assert_int_equal(b[i], 0);
        assert_int_equal(s[1].bytes, 200);
        assert_non_null(s[2].ptr); /* realloc of an empty slot allocates */
        assert_true(((uintptr_t)s[3].ptr & 7) == 0);
        /* live: 100 + 200 + 48 + 32 + 1 */
        assert_int_equal(r.peak_live_bytes, 381);
        assert_int_equal(r.leaks, 5);
        if (strcmp((*a)->name, "bump") != 0) {
            /* the over-aligned block is one allocator block among five */
            struct hl_stats stats;
            (*a)->stats(x.c.state, &stats);
            assert_int_equal(stats.live_blocks, 5);
        }

        /* Drained: nothing leaks, in every pass, through both loops. */
        x.c.params.v[0] = 1;
        for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
            struct hl_cell_result q = {0};
            assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &q), HL_OK);
            assert_int_equal(q.ops, 11);
            assert_int_equal(q.leaks, 0);
            struct hl_violation v;
            assert_int_equal((*a)->check(x.c.state, &v), 0);
        }
        cell_close(&x);
    }
}

/* Chunked and whole op buffers run the same stream: equal figures. */
static void chunks_equal_the_whole_stream(void **st)
{
    (void)st;
    struct {
        const char *a, *w;
    } cases[] = {{"buddy", "frames-orders"}, {"firstfit-seed", "churn-powerlaw"},
                 {"slab", "peak"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct cell x;
        cell_open(&x, find_alloc(cases[k].a), find_wl(cases[k].w), 3);
        struct hl_cell_result chunked = {0}, whole = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &chunked), HL_OK);
        uint64_t total = x.c.w->total_ops(&x.c.params);
        assert_true(total > TEST_OPS_CAP);
        struct hl_op *big = calloc(total, sizeof *big);
        assert_non_null(big);
        struct hl_op *small = x.c.ops;
        x.c.ops = big;
        x.c.ops_cap = total;
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &whole), HL_OK);
        assert_int_equal(whole.ops, chunked.ops);
        assert_int_equal(whole.workload_checksum, chunked.workload_checksum);
        assert_int_equal(whole.placement_checksum, chunked.placement_checksum);
        assert_int_equal(whole.peak_live_bytes, chunked.peak_live_bytes);
        assert_int_equal(whole.peak_footprint_bytes, chunked.peak_footprint_bytes);
        assert_int_equal(whole.failed_allocs, chunked.failed_allocs);
        struct hl_cell_result b = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &b), HL_OK);
        assert_int_equal(b.ops, chunked.ops);
        assert_int_equal(b.workload_checksum, chunked.workload_checksum);
        assert_int_equal(b.leaks, 0);
        x.c.ops = small;
        x.c.ops_cap = TEST_OPS_CAP;
        free(big);
        cell_close(&x);
    }
}

/* min_ticks: the stream is repeated until the allocator's ticks reach it
 * (or the cap); the floor runs as often; the per-op figures divide by
 * every op run.  Asserts only what holds whatever the timings. */
static void min_ticks_repeats_the_stream(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("slab"), find_wl("fifo"), 1);
    struct hl_cell_result r = {0};
    x.c.min_ticks = 1;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_true(r.stream_repeats >= 1);
    assert_true(r.raw_ticks >= 1 || r.stream_repeats == HL_MAX_STREAM_REPEATS);
    uint64_t once = r.raw_ticks / r.stream_repeats;
    x.c.min_ticks = 5 * once + 1;
    memset(&r, 0, sizeof r);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_true(r.raw_ticks >= x.c.min_ticks ||
                r.stream_repeats == HL_MAX_STREAM_REPEATS);
    uint64_t n = r.ops * r.stream_repeats;
    assert_int_equal(r.raw_cycles_per_op_milli, r.raw_ticks * 1000 / n);
    assert_int_equal(r.floor_cycles_per_op_milli, r.floor_ticks * 1000 / n);
    assert_int_equal(r.leaks, 0);
    cell_close(&x);
}

/* hl_cell_set_ticks: the net figure is one signed division. */
static void set_ticks_net_of_the_floor(void **st)
{
    (void)st;
    struct hl_cell_result r = {.ops = 1000, .stream_repeats = 4};
    hl_cell_set_ticks(&r, 90000, 10000);
    assert_int_equal(r.raw_cycles_per_op_milli, 22500);
    assert_int_equal(r.floor_cycles_per_op_milli, 2500);
    assert_int_equal(r.cycles_per_op_milli, 20000);
    hl_cell_set_ticks(&r, 10000, 14001);
    assert_int_equal(r.cycles_per_op_milli, -1000); /* -1.00025, truncated */
    r.ops = 0;
    hl_cell_set_ticks(&r, 5, 1);
    assert_int_equal(r.cycles_per_op_milli, 0);
}

static void percentiles_ordered_and_batch_nonzero(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("firstfit-seed"), find_wl("churn-uniform"), 4);
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(r.raw_ticks, 0); /* WARMUP measures nothing */
    assert_int_equal(r.max, 0);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_true(r.raw_ticks > 0);
    assert_true(r.floor_ticks > 0);
    assert_int_equal(r.stream_repeats, 1); /* min_ticks 0: run once */
    assert_int_equal(r.raw_cycles_per_op_milli, r.raw_ticks * 1000 / r.ops);
    assert_int_equal(r.floor_cycles_per_op_milli, r.floor_ticks * 1000 / r.ops);
    /* net = (raw - floor) / ops, one rounding, signed */
    int64_t net = r.raw_ticks >= r.floor_ticks
                      ? (int64_t)((r.raw_ticks - r.floor_ticks) * 1000 / r.ops)
                      : -(int64_t)((r.floor_ticks - r.raw_ticks) * 1000 / r.ops);
    assert_int_equal(r.cycles_per_op_milli, net);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    assert_int_equal(H.count, r.ops); /* every op reached the allocator */
    assert_true(r.p50 <= r.p90);
    assert_true(r.p90 <= r.p99);
    assert_true(r.p99 <= r.p999);
    assert_true(r.p999 <= r.max);
    assert_true(r.max > 0);
    /* max is the raw maximum less the overhead. */
    assert_int_equal(r.max, H.max);

    /* The overhead is subtracted, clamped at 0. */
    uint64_t o = H.min;
    x.c.timer_overhead = o;
    struct hl_cell_result q = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &q), HL_OK);
    assert_int_equal(q.max, H.max > o ? H.max - o : 0); /* H: the new pass */
    uint64_t p50 = hl_hist_quantile(&H, 500000);
    assert_int_equal(q.p50, p50 > o ? p50 - o : 0);
    x.c.timer_overhead = UINT64_MAX;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &q), HL_OK);
    assert_int_equal(q.raw_ticks, 0);
    assert_int_equal(q.floor_ticks, 0);
    assert_int_equal(q.cycles_per_op_milli, 0);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &q), HL_OK);
    assert_int_equal(q.p50, 0);
    assert_int_equal(q.max, 0);
    cell_close(&x);
}

/* Space samples, recorded by the callback. */
#define MAX_SAMPLES 256
static struct hl_space_sample samples[MAX_SAMPLES];
static unsigned nsamples;
static void record_sample(void *ctx, const struct hl_space_sample *s)
{
    assert_ptr_equal(ctx, samples);
    assert_true(nsamples < MAX_SAMPLES);
    samples[nsamples++] = *s;
}

static void space_samples_and_fragmentation(void **st)
{
    (void)st;
    static const char *const allocs[] = {"firstfit-seed", "slab", "bump"};
    for (size_t k = 0; k < sizeof allocs / sizeof allocs[0]; k++) {
        struct cell x;
        cell_open(&x, find_alloc(allocs[k]), find_wl("churn-powerlaw"), 9);
        x.c.sample = record_sample;
        x.c.sample_ctx = samples;
        x.c.sample_points = 40;
        nsamples = 0;
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
        assert_true(nsamples >= 41 && nsamples <= 43);
        assert_int_equal(samples[0].op_index, 0);
        assert_int_equal(samples[0].live_bytes, 0);
        assert_int_equal(samples[nsamples - 1].op_index, r.ops);
        const struct hl_space_sample *peak = &samples[0];
        for (unsigned i = 0; i < nsamples; i++) {
            if (i > 0)
                assert_true(samples[i].op_index > samples[i - 1].op_index);
            assert_true(samples[i].live_bytes <= r.peak_live_bytes);
            assert_int_equal(samples[i].held_bytes + samples[i].free_bytes,
                             x.c.region_bytes);
            if (samples[i].held_bytes > peak->held_bytes)
                peak = &samples[i];
        }
        assert_int_equal(r.peak_footprint_bytes, peak->held_bytes);
        /* The fragmentation figures at that sample, recomputed. */
        uint64_t usable = peak->held_bytes - peak->meta_bytes;
        uint64_t waste = usable > peak->live_bytes ? usable - peak->live_bytes : 0;
        uint64_t fi = usable ? waste * 1000000 / usable : 0;
        uint64_t fe = peak->free_bytes
                          ? (peak->free_bytes - peak->largest_free_bytes) * 1000000 /
                                peak->free_bytes
                          : 0;
        assert_int_equal(r.frag_internal_ppm, fi);
        assert_int_equal(r.frag_external_ppm, fe);
        assert_true(r.frag_internal_ppm <= 1000000);
        if (strcmp(allocs[k], "firstfit-seed") == 0)
            assert_true(r.frag_internal_ppm > 0); /* headers, rounding */
        cell_close(&x);
    }

    /* sample_points == 0: only the start and the end. */
    struct cell x;
    cell_open(&x, find_alloc("firstfit-seed"), find_wl("lifo"), 9);
    x.c.sample = record_sample;
    x.c.sample_ctx = samples;
    x.c.sample_points = 0;
    nsamples = 0;
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    assert_int_equal(nsamples, 2);
    assert_int_equal(samples[1].op_index, r.ops);
    /* No sampling at all outside PEROP. */
    nsamples = 0;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(nsamples, 0);
    cell_close(&x);
}

/* PEROP's modelled variant (perop_modelled: op markers, which are NOPs
 * here, instead of clock reads) computes every figure of the timed PEROP
 * but the latencies: the same checksums, peaks, fragmentation, leaks and
 * space samples; nothing goes into the histogram (reset, left empty) and
 * p50..max stay 0.  Heap and frame allocators, and every op kind (the
 * slow path's ops between the markers too). */
static void modelled_perop_keeps_all_but_time(void **st)
{
    (void)st;
    static const struct {
        const char *alloc, *wl;
    } cases[] = {{"firstfit-seed", "churn-uniform"}, {"slab", "lifo"},
                 {"buddy", "frames-churn"}, {"tlsf", NULL /* kinds_wl */}};
    static struct hl_space_sample timed_samples[MAX_SAMPLES];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct cell x;
        cell_open(&x, find_alloc(cases[k].alloc),
                  cases[k].wl ? find_wl(cases[k].wl) : &kinds_wl, 3);
        x.c.sample = record_sample;
        x.c.sample_ctx = samples;
        x.c.touch_blocks = true;
        struct hl_cell_result t = {0}, m = {0};
        nsamples = 0;
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &t), HL_OK);
        unsigned ntimed = nsamples;
        memcpy(timed_samples, samples, ntimed * sizeof samples[0]);
        assert_int_equal(H.count, t.ops); /* timed: every op, so not empty */

        x.c.perop_modelled = true;
        nsamples = 0;
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &m), HL_OK);
        assert_int_equal(H.count, 0); /* reset, nothing added */
        assert_int_equal(m.p50 | m.p90 | m.p99 | m.p999 | m.max, 0);
        assert_true(m.ops > 0);
        assert_int_equal(m.ops, t.ops);
        assert_int_equal(m.workload_checksum, t.workload_checksum);
        assert_int_equal(m.placement_checksum, t.placement_checksum);
        assert_int_equal(m.failed_allocs, t.failed_allocs);
        assert_int_equal(m.peak_live_bytes, t.peak_live_bytes);
        assert_int_equal(m.peak_footprint_bytes, t.peak_footprint_bytes);
        assert_int_equal(m.frag_internal_ppm, t.frag_internal_ppm);
        assert_int_equal(m.frag_external_ppm, t.frag_external_ppm);
        assert_int_equal(m.leaks, t.leaks);
        assert_int_equal(nsamples, ntimed);
        assert_memory_equal(samples, timed_samples, ntimed * sizeof samples[0]);
        /* the flag changes PEROP only: WARMUP and BATCH as before */
        struct hl_cell_result w = {0}, b = {0};
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &w), HL_OK);
        assert_int_equal(w.workload_checksum, t.workload_checksum);
        assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &b), HL_OK);
        assert_true(b.raw_ticks > 0);
        cell_close(&x);
    }
}

/* A resident probe for the unit test: the region was filled with
 * RESIDENT_FILL, so a page with any other byte was written (by the
 * allocator, its poison, or the runner's touch). */
#define RESIDENT_FILL 0xa5
static uint64_t pages_written(void *ctx)
{
    const struct cell *x = ctx;
    const uint8_t *b = x->region;
    uint64_t pages = 0;
    for (size_t pg = 0; pg < x->c.region_bytes; pg += HL_FRAME_BYTES)
        for (size_t i = 0; i < HL_FRAME_BYTES; i++)
            if (b[pg + i] != RESIDENT_FILL) {
                pages++;
                break;
            }
    return pages * HL_FRAME_BYTES;
}

/* resident_bytes is the peak of the probe over PEROP's samples, and with
 * touch_blocks every page of every block is written: bump, which writes
 * nothing into its blocks by itself, then has at least its peak live
 * bytes resident. */
static void resident_probe_and_touch(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("bump"), find_wl("lifo"), 9);
    assert_int_equal(hl_wl_parse(x.c.w, "n=500,min=100,max=9000", &x.c.params,
                                 NULL, NULL), 0);
    x.c.nslots = x.c.w->slots(&x.c.params);
    free(x.c.slots);
    x.c.slots = calloc((size_t)x.c.nslots + 1, sizeof *x.c.slots);
    x.c.sample = record_sample;
    x.c.sample_ctx = samples;
    x.c.sample_points = 8;
    x.c.resident = pages_written;
    x.c.resident_ctx = &x;

    /* WARMUP and BATCH never touch; without checks bump writes nothing. */
    memset(x.region, RESIDENT_FILL, x.c.region_bytes);
    x.c.touch_blocks = true;
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(r.resident_bytes, 0);
    if (HL_CHECK_LEVEL == 0)
        assert_int_equal(pages_written(&x), 0);

    /* PEROP: the peak of the samples, at least the live bytes. */
    memset(x.region, RESIDENT_FILL, x.c.region_bytes);
    nsamples = 0;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    assert_true(nsamples >= 9);
    uint64_t peak = 0;
    for (unsigned i = 0; i < nsamples; i++) {
        assert_int_equal(samples[i].resident_bytes % HL_FRAME_BYTES, 0);
        if (samples[i].resident_bytes > peak)
            peak = samples[i].resident_bytes;
    }
    assert_int_equal(r.resident_bytes, peak);
    assert_true(r.peak_live_bytes > 1000000);
    assert_true(r.resident_bytes >= r.peak_live_bytes);
    /* bump's blocks are contiguous: at most one page more per block. */
    assert_true(r.resident_bytes <= r.peak_live_bytes + 501 * HL_FRAME_BYTES);

    /* Without touch_blocks (and without checks) bump's pages stay clean. */
    memset(x.region, RESIDENT_FILL, x.c.region_bytes);
    x.c.touch_blocks = false;
    memset(&r, 0, sizeof r);
    nsamples = 0;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    if (HL_CHECK_LEVEL == 0)
        assert_int_equal(r.resident_bytes, 0);

    /* No probe: 0. */
    x.c.resident = NULL;
    x.c.touch_blocks = true;
    nsamples = 0;
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    assert_int_equal(r.resident_bytes, 0);
    for (unsigned i = 0; i < nsamples; i++)
        assert_int_equal(samples[i].resident_bytes, 0);
    cell_close(&x);
}

static unsigned begins, ends, pauses, resumes;
static void on_begin(void *ctx) { assert_ptr_equal(ctx, &begins); begins++; }
static void on_end(void *ctx) { assert_ptr_equal(ctx, &begins); ends++; }
static void on_pause(void *ctx)
{
    assert_ptr_equal(ctx, &begins);
    assert_int_equal(pauses, resumes); /* pause and resume alternate */
    pauses++;
}
static void on_resume(void *ctx)
{
    assert_ptr_equal(ctx, &begins);
    resumes++;
    assert_int_equal(pauses, resumes);
}

/* BATCH: one begin/end around the allocator's stream and one around the
 * floor's; each chunk after the first is materialized between a pause
 * and a resume. */
static void measure_hooks_wrap_the_batch(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("bump"), find_wl("fifo"), 1);
    x.c.measure_begin = on_begin;
    x.c.measure_end = on_end;
    x.c.measure_pause = on_pause;
    x.c.measure_resume = on_resume;
    x.c.measure_ctx = &begins;
    begins = ends = pauses = resumes = 0;
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(begins, 2);
    assert_int_equal(ends, 2);
    uint64_t chunks = (r.ops + TEST_OPS_CAP - 1) / TEST_OPS_CAP;
    assert_true(chunks > 1);
    /* a stream of exactly k full chunks asks once more and gets nothing */
    uint64_t extra = r.ops % TEST_OPS_CAP == 0;
    assert_int_equal(pauses, 2 * (chunks - 1 + extra));
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(begins, 2);
    cell_close(&x);
}

static void init_failure_is_returned(void **st)
{
    (void)st;
    struct cell x;
    cell_open(&x, find_alloc("buddy"), find_wl("frames-churn"), 1);
    x.c.region_bytes = 100;
    for (int pass = HL_PASS_WARMUP; pass <= HL_PASS_PEROP; pass++) {
        struct hl_cell_result r = {0};
        assert_int_equal(hl_cell_pass(&x.c, (enum hl_pass)pass, &r), HL_E_REGION);
        assert_int_equal(r.init_status, HL_E_REGION);
        assert_int_equal(r.ops, 0);
    }
    cell_close(&x);
}

static void clock_calibration(void **st)
{
    (void)st;
    enum { N = 20001 };
    uint64_t *scratch = malloc(N * sizeof *scratch);
    assert_non_null(scratch);
    struct hl_clock_cal cal;
    hl_clock_calibrate(&cal, scratch, N);
    assert_int_equal(cal.samples, N);
    assert_true(cal.overhead_min <= cal.overhead);
    assert_true(cal.overhead > 0);
    assert_true(cal.overhead < 100000);
    /* What is always true: the TSC moves, and the median of the pairs is
     * at least their minimum.  (The resolution is NOT always <= the
     * overhead: on a VM both are one or two ~40-tick steps.) */
    assert_true(cal.resolution > 0);
    print_message("timer: overhead %llu (min %llu), resolution %llu ticks\n",
                  (unsigned long long)cal.overhead,
                  (unsigned long long)cal.overhead_min,
                  (unsigned long long)cal.resolution);
    free(scratch);
}

/* ---- CSV ------------------------------------------------------------------ */

static void cells_header_is_exact(void **st)
{
    (void)st;
    assert_string_equal(
        hl_cells_header,
        "run_id,env,accel,clock,allocator,family,workload,params,seed,rep,status,"
        "ops,workload_checksum,placement_checksum,cycles_per_op,p50,p90,p99,p999,"
        "max,timer_overhead,peak_live_bytes,peak_footprint_bytes,frag_internal,"
        "frag_external,failed_allocs,leaks,faults,sweep,launch,"
        "raw_cycles_per_op,harness_floor,stream_repeats,invol_switches,"
        "migrations,steal_ticks,attempts,disturbed,resident_bytes,alloc_params,"
        "l1d_misses_per_op,l2_misses_per_op,llc_misses_per_op,dtlb_misses_per_op");
    assert_int_equal(COL_LAUNCH, 29); /* enums: today's indexes */
    assert_int_equal(COL_DISTURBED, 37);
    assert_int_equal(COL_RESIDENT_BYTES, 38);
    assert_int_equal(COL_ALLOC_PARAMS, COL_RESIDENT_BYTES + 1);
    assert_int_equal(COL_DTLB_MISSES_PER_OP, COL_ALLOC_PARAMS + 4);
    assert_string_equal(
        hl_latency_header,
        "run_id,env,allocator,workload,params,seed,rep,bucket_lo,bucket_hi,count");
    assert_string_equal(hl_timeline_header,
                        "run_id,env,allocator,workload,params,seed,rep,op_index,"
                        "live_bytes,held_bytes,free_bytes,largest_free_bytes,"
                        "meta_bytes");
}

static void fmt_numbers(void **st)
{
    (void)st;
    static const struct {
        uint64_t v;
        unsigned d;
        const char *want;
    } cases[] = {
        {0, 0, "0"},
        {42, 0, "42"},
        {UINT64_MAX, 0, "18446744073709551615"},
        {0, 3, "0.000"},
        {5, 3, "0.005"},
        {999, 3, "0.999"},
        {1000, 3, "1.000"},
        {12345, 3, "12.345"},
        {0, 6, "0.000000"},
        {1, 6, "0.000001"},
        {123456, 6, "0.123456"},
        {1000000, 6, "1.000000"},
        {UINT64_MAX, 3, "18446744073709551.615"},
        {UINT64_MAX, 19, "1.8446744073709551615"},
        {7, 19, "0.0000000000000000007"},
        {10, 1, "1.0"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(buf, 'x', sizeof buf);
        size_t n = hl_fmt_fixed(buf, sizeof buf, cases[i].v, cases[i].d);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
    }
    assert_int_equal(hl_fmt_u64(buf, sizeof buf, 0), 1);
    assert_string_equal(buf, "0");
    hl_fmt_u64(buf, sizeof buf, UINT64_MAX);
    assert_string_equal(buf, "18446744073709551615");
    assert_int_equal(hl_fmt_hex64(buf, sizeof buf, 0xABCDEF0123456789ull), 16);
    assert_string_equal(buf, "abcdef0123456789");
    hl_fmt_hex64(buf, sizeof buf, 1);
    assert_string_equal(buf, "0000000000000001");

    /* Too small: the whole length is returned, cap bytes written, no
     * byte beyond cap touched. */
    memset(buf, 'x', sizeof buf);
    assert_int_equal(hl_fmt_fixed(buf, 4, 12345, 3), 6);
    assert_memory_equal(buf, "12.3x", 5);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(hl_fmt_u64(buf, 3, 123), 3); /* fits, no room for NUL */
    assert_memory_equal(buf, "123x", 4);
    assert_int_equal(hl_fmt_u64(buf, 0, 123), 3);
    assert_int_equal(buf[0], '1');
}

/* Split an RFC 4180 line into fields (unquoting); returns the count. */
static int parse_csv(const char *line, char fields[][128], int max)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        assert_true(n < max);
        char *f = fields[n++];
        size_t len = 0;
        if (*p == '"') {
            p++;
            for (;;) {
                assert_true(*p != '\0'); /* unterminated quote */
                if (*p == '"' && p[1] == '"') {
                    f[len++] = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    f[len++] = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                f[len++] = *p++;
        }
        f[len] = '\0';
        if (*p == '\0')
            return n;
        assert_int_equal(*p, ',');
        p++;
    }
}

static const struct hl_row_ids IDS = {
    .run_id = "20250101-120000",
    .env = "host",
    .accel = "none",
    .clock = "tsc",
    .allocator = "firstfit-seed",
    .family = "heap",
    .workload = "churn-fixed",
    .params = "live=1000,size=64",
    .alloc_params = "policy=0,split_bytes=16",
    .seed = 12345678901ull,
    .rep = 3,
    .status = "ok",
    .timer_overhead = 49,
    .faults = 0,
    .launch = 2,
    .invol_switches = 5,
    .migrations = 1,
    .steal_ticks = 3,
    .attempts = 2,
    .disturbed = true,
};

static void cells_row_parses_back(void **st)
{
    (void)st;
    struct hl_cell_result r = {0};
    r.ops = 220000;
    r.workload_checksum = 0x0123456789abcdefull;
    r.placement_checksum = 0;
    r.cycles_per_op_milli = 41250; /* 41.250 */
    r.raw_cycles_per_op_milli = 52500;
    r.floor_cycles_per_op_milli = 11250;
    r.stream_repeats = 7;
    r.p50 = 24;
    r.p90 = 48;
    r.p99 = 96;
    r.p999 = 1000;
    r.max = 123456;
    r.peak_live_bytes = 64000;
    r.peak_footprint_bytes = 98304;
    r.frag_internal_ppm = 250000;
    r.frag_external_ppm = 7;
    r.resident_bytes = 131072;
    r.failed_allocs = 2;
    r.leaks = 1;
    char buf[1024];
    size_t n = hl_format_cells_row(buf, sizeof buf, &IDS, &r);
    assert_int_equal(n, strlen(buf));
    assert_null(strchr(buf, '\n'));
    assert_non_null(strstr(buf, ",\"live=1000,size=64\","));

    static char f[48][128];
    int nf = parse_csv(buf, f, 48);
    assert_int_equal(nf, CELL_COLUMNS);
    static const char *const want[CELL_COLUMNS] = {
        "20250101-120000", "host", "none", "tsc", "firstfit-seed", "heap",
        "churn-fixed", "live=1000,size=64", "12345678901", "3", "ok", "220000",
        "0123456789abcdef", "0000000000000000", "41.250", "24", "48", "96",
        "1000", "123456", "49", "64000", "98304", "0.250000", "0.000007", "2",
        "1", "0", "", "2", "52.500", "11.250", "7", "5", "1", "3", "2", "1",
        "131072", "policy=0,split_bytes=16", "", "", "", ""};
    for (int i = 0; i < CELL_COLUMNS; i++)
        assert_string_equal(f[i], want[i]);
    /* Field count matches the header's. */
    assert_int_equal(parse_csv(hl_cells_header, f, 48), CELL_COLUMNS);

    /* A negative net cost is written with its sign. */
    struct hl_cell_result neg = r;
    neg.cycles_per_op_milli = -1250;
    hl_format_cells_row(buf, sizeof buf, &IDS, &neg);
    parse_csv(buf, f, 48);
    assert_string_equal(f[COL_CYCLES_PER_OP], "-1.250");

    /* A sweep point and a clock without per-op figures. */
    struct hl_row_ids sw = IDS;
    sw.sweep = "live";
    sw.no_perop = true;
    assert_int_equal(parse_csv((hl_format_cells_row(buf, sizeof buf, &sw, &r), buf),
                               f, 48), CELL_COLUMNS);
    assert_string_equal(f[28], "live");
    for (int i = 15; i <= 19; i++) /* p50, p90, p99, p999, max */
        assert_string_equal(f[i], "");
    assert_string_equal(f[14], "41.250");
    assert_string_equal(f[20], "49");

    /* Too small a buffer: cap returned. */
    assert_int_equal(hl_format_cells_row(buf, 50, &IDS, &r), 50);
    assert_int_equal(hl_format_cells_row(buf, n, &IDS, &r), n); /* no NUL room */
    assert_int_equal(hl_format_cells_row(buf, n + 1, &IDS, &r), n);
}

static void quoting_rules(void **st)
{
    (void)st;
    struct hl_row_ids id = IDS;
    struct hl_cell_result r = {0};
    char buf[1024];
    static char f[48][128];

    id.params = "size=64"; /* no comma: plain */
    hl_format_cells_row(buf, sizeof buf, &id, &r);
    assert_non_null(strstr(buf, ",churn-fixed,size=64,12345678901,"));

    id.params = "a \"b\",c"; /* quotes inside are doubled */
    hl_format_cells_row(buf, sizeof buf, &id, &r);
    assert_non_null(strstr(buf, ",\"a \"\"b\"\",c\","));
    assert_int_equal(parse_csv(buf, f, 48), CELL_COLUMNS);
    assert_string_equal(f[7], "a \"b\",c");

    id.params = "\"x=1,y=2\""; /* already quoted: as given */
    hl_format_cells_row(buf, sizeof buf, &id, &r);
    assert_non_null(strstr(buf, ",\"x=1,y=2\","));
    assert_int_equal(parse_csv(buf, f, 48), CELL_COLUMNS);
    assert_string_equal(f[7], "x=1,y=2");

    id.params = ""; /* empty and NULL fields stay fields */
    id.run_id = NULL;
    hl_format_cells_row(buf, sizeof buf, &id, &r);
    assert_int_equal(parse_csv(buf, f, 48), CELL_COLUMNS);
    assert_string_equal(f[0], "");
    assert_string_equal(f[1], "host");
    assert_string_equal(f[7], "");
}

static void latency_and_timeline_rows(void **st)
{
    (void)st;
    char buf[512];
    static char f[20][128];
    size_t n = hl_format_latency_row(buf, sizeof buf, &IDS, 1000, 1007, 42);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "20250101-120000,host,firstfit-seed,churn-fixed,"
                             "\"live=1000,size=64\",12345678901,3,1000,1007,42");
    assert_int_equal(parse_csv(buf, f, 20), 10);

    struct hl_space_sample s = {100, 6400, 8192, 1000, 900, 64, 12288};
    n = hl_format_timeline_row(buf, sizeof buf, &IDS, &s);
    assert_int_equal(n, strlen(buf));
    assert_int_equal(parse_csv(buf, f, 20), 13);
    assert_string_equal(f[7], "100");
    assert_string_equal(f[8], "6400");
    assert_string_equal(f[9], "8192");
    assert_string_equal(f[10], "1000");
    assert_string_equal(f[11], "900");
    assert_string_equal(f[12], "64");
    assert_int_equal(hl_format_timeline_row(buf, 10, &IDS, &s), 10);

    /* The latency rows of a real PEROP pass add up to its op count. */
    struct cell x;
    cell_open(&x, find_alloc("buddy"), find_wl("frames-churn"), 1);
    struct hl_cell_result r = {0};
    assert_int_equal(hl_cell_pass(&x.c, HL_PASS_PEROP, &r), HL_OK);
    uint64_t total = 0;
    for (unsigned i = hl_hist_next(&H, 0); i < HL_HIST_BUCKETS;
         i = hl_hist_next(&H, i + 1)) {
        n = hl_format_latency_row(buf, sizeof buf, &IDS, hl_hist_bucket_lo(i),
                                  hl_hist_bucket_hi(i), H.buckets[i]);
        assert_true(n < sizeof buf);
        assert_int_equal(parse_csv(buf, f, 20), 10);
        total += strtoull(f[9], NULL, 10);
    }
    assert_int_equal(r.failed_allocs, 0);
    assert_int_equal(total, r.ops); /* every op was one timed call */
    cell_close(&x);
}

int main(void)
{
    tl_reports_fail();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workload_checksum_equals_hl_wl_checksum),
        cmocka_unit_test(placement_checksum_repeatable_and_allocator_specific),
        cmocka_unit_test(no_leaks_for_any_allocator_on_its_family),
        cmocka_unit_test(leaky_allocator_leaks_its_live_blocks),
        cmocka_unit_test(unfreed_slots_are_listed),
        cmocka_unit_test(peak_live_bytes_equals_a_replay),
        cmocka_unit_test(failed_allocs_are_counted_and_their_frees_skipped),
        cmocka_unit_test(percentiles_ordered_and_batch_nonzero),
        cmocka_unit_test(space_samples_and_fragmentation),
        cmocka_unit_test(resident_probe_and_touch),
        cmocka_unit_test(measure_hooks_wrap_the_batch),
        cmocka_unit_test(init_failure_is_returned),
        cmocka_unit_test(every_op_kind_is_served),
        cmocka_unit_test(modelled_perop_keeps_all_but_time),
        cmocka_unit_test(chunks_equal_the_whole_stream),
        cmocka_unit_test(min_ticks_repeats_the_stream),
        cmocka_unit_test(set_ticks_net_of_the_floor),
        cmocka_unit_test(clock_calibration),
        cmocka_unit_test(cells_header_is_exact),
        cmocka_unit_test(fmt_numbers),
        cmocka_unit_test(cells_row_parses_back),
        cmocka_unit_test(quoting_rules),
        cmocka_unit_test(latency_and_timeline_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
