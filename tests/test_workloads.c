/*
 * test_workloads.c — the workload generators (workloads/): a conformance
 * run over every registered workload (determinism, op counts, slot
 * discipline, sizes, scratch bounds), each workload's own shape, the
 * power-law and order distributions, parameter text, --ops scaling, and
 * golden checksums.
 *
 * The GOLDEN lines below are also read by wl_checksums
 * --compare (tests/wl_checksums_main.c): keep that exact form.  Changing a
 * stream on purpose means updating them here (docs/workloads.md).
 */
#include "tests/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/util.h"
#include "workloads/workload.h"
#include "workloads/vm.h"

/* ---- recording a stream, with the checks every stream must pass ---------- */

struct stream {
    struct hl_op *ops;
    size_t n;
    uint64_t checksum;
    uint64_t slots;
};

static uint64_t pv(const struct hl_workload *w, const struct hl_wl_params *p,
                   const char *name)
{
    int i = hl_wl_param_index(w, name);
    assert_true(i >= 0);
    return p->v[i];
}

static bool has(const struct hl_workload *w, const char *name)
{
    return hl_wl_param_index(w, name) >= 0;
}

/* Run w over exactly scratch_bytes(p) bytes of heap (so ASan sees any
 * overrun; no scratch at all when it needs none) and check: op count ==
 * total_ops, slot < slots (and the last slot used: the bound is tight),
 * alloc only into an empty slot, free only of a filled one, everything
 * freed at the end, free ops carry 0 bytes, sizes inside the declared
 * ranges, frame sizes multiples of 4096, next() stays false at the end,
 * hl_wl_checksum equals the fold of the ops, hl_wl_peak_live_bytes equals
 * the peak of the live bytes and, for frame streams, stays within the
 * workload's bound (peak_frame_bytes). */
static struct stream record(const struct hl_workload *w,
                            const struct hl_wl_params *p, uint64_t seed)
{
    struct stream s = {0};
    uint64_t total = w->total_ops(p);
    s.slots = w->slots(p);
    size_t sb = w->scratch_bytes(p);
    void *scratch = sb ? tl_region(sb, 8) : NULL;
    assert_true(s.slots >= 1 && s.slots <= UINT32_MAX);

    s.ops = malloc((size_t)total * sizeof *s.ops);
    uint8_t *filled = calloc((size_t)s.slots, 1);
    uint64_t *sizes = calloc((size_t)s.slots, sizeof *sizes);
    assert_non_null(sizes);
    assert_non_null(s.ops);
    assert_non_null(filled);

    uint64_t lo = 1, hi = UINT64_MAX;
    if (has(w, "size"))
        lo = hi = pv(w, p, "size");
    if (has(w, "min"))
        lo = pv(w, p, "min");
    if (has(w, "max"))
        hi = pv(w, p, "max");
    if (has(w, "max_order"))
        hi = (uint64_t)HL_FRAME_BYTES << pv(w, p, "max_order");
    if (w->family == HL_FAMILY_FRAME)
        lo = HL_FRAME_BYTES;
    if (has(w, "frames"))
        hi = HL_FRAME_BYTES;

    struct hl_wl_gen g;
    struct hl_op op;
    hl_wl_init(&g, w, p, seed, scratch, sb);
    assert_true(g.total == total);
    uint64_t live = 0, max_slot = 0, h = HL_WL_CHECKSUM0;
    uint64_t live_bytes = 0, peak_bytes = 0;
    while (w->next(&g, &op)) {
        if (s.n >= total)
            fail_msg("%s: more ops than total_ops() = %llu", w->name,
                     (unsigned long long)total);
        assert_true(op.slot < s.slots);
        max_slot = HL_MAX(max_slot, op.slot);
        if (w->family == HL_FAMILY_VM) { /* page ops (vm.h): a page index, no bytes */
            assert_true(op.kind >= HL_VM_OP_TOUCH && op.kind <= HL_VM_OP_CR3);
            assert_true(op.bytes == 0);
        } else if (op.kind == HL_OP_ALLOC) {
            if (filled[op.slot])
                fail_msg("%s: op %zu allocs into filled slot %u", w->name, s.n,
                         op.slot);
            filled[op.slot] = 1;
            live++;
            sizes[op.slot] = op.bytes;
            live_bytes += op.bytes;
            peak_bytes = HL_MAX(peak_bytes, live_bytes);
            if (op.bytes < lo || op.bytes > hi)
                fail_msg("%s: op %zu asks %llu bytes, outside [%llu, %llu]",
                         w->name, s.n, (unsigned long long)op.bytes,
                         (unsigned long long)lo, (unsigned long long)hi);
            if (w->family == HL_FAMILY_FRAME) {
                assert_true(op.bytes % HL_FRAME_BYTES == 0);
                assert_true(HL_IS_POW2(op.bytes / HL_FRAME_BYTES));
            }
        } else {
            assert_int_equal(op.kind, HL_OP_FREE);
            if (!filled[op.slot])
                fail_msg("%s: op %zu frees empty slot %u", w->name, s.n, op.slot);
            filled[op.slot] = 0;
            live--;
            live_bytes -= sizes[op.slot];
            assert_true(op.bytes == 0);
        }
        h = hl_wl_checksum_op(h, &op);
        s.ops[s.n++] = op;
        assert_true(g.emitted == s.n);
    }
    assert_false(w->next(&g, &op));
    assert_false(w->next(&g, &op));
    if (s.n != total)
        fail_msg("%s: %zu ops, total_ops() said %llu", w->name, s.n,
                 (unsigned long long)total);
    assert_true(live == 0);
    if (max_slot != s.slots - 1)
        fail_msg("%s: slots() = %llu but the highest slot used is %llu",
                 w->name, (unsigned long long)s.slots,
                 (unsigned long long)max_slot);
    s.checksum = h;
    assert_true(hl_wl_checksum(w, p, seed, scratch, sb) == h);
    uint64_t peak = hl_wl_peak_live_bytes(w, p, seed, scratch, sb, sizes, s.slots);
    if (peak != peak_bytes)
        fail_msg("%s: hl_wl_peak_live_bytes %llu, the stream peaks at %llu",
                 w->name, (unsigned long long)peak, (unsigned long long)peak_bytes);
    if (w->peak_frame_bytes && peak > w->peak_frame_bytes(p))
        fail_msg("%s: peaks at %llu bytes, over its bound peak_frame_bytes %llu",
                 w->name, (unsigned long long)peak,
                 (unsigned long long)w->peak_frame_bytes(p));
    free(sizes);
    free(filled);
    tl_free(scratch);
    return s;
}

static void drop(struct stream *s)
{
    free(s->ops);
    s->ops = NULL;
}

static void defaults_of(const char *name, const struct hl_workload **w,
                        struct hl_wl_params *p)
{
    *w = hl_workload_find(name);
    assert_non_null(*w);
    hl_wl_defaults(*w, p);
}

static void set(const struct hl_workload *w, struct hl_wl_params *p,
                const char *name, uint64_t v)
{
    int i = hl_wl_param_index(w, name);
    assert_true(i >= 0);
    p->v[i] = v;
}

/* ---- the registry ---------------------------------------------------------- */

static const char *const expected_names[] = {
    "churn-fixed", "churn-uniform", "churn-powerlaw", "lifo", "fifo",
    "random-free", "ramp", "peak", "plateau", "frames-churn", "frames-orders",
    "vm-touch", "vm-remap",
};
#define NEXPECTED (sizeof expected_names / sizeof expected_names[0])

static void registry_names_params_defaults(void **state)
{
    (void)state;
    size_t n = 0;
    while (hl_workloads[n])
        n++;
    assert_int_equal(n, NEXPECTED);
    for (size_t i = 0; i < NEXPECTED; i++) {
        const struct hl_workload *w = hl_workload_find(expected_names[i]);
        assert_non_null(w);
        assert_string_equal(w->name, expected_names[i]);
        assert_non_null(w->summary);
        assert_true(w->nparams >= 1 && w->nparams <= HL_WL_MAX_PARAMS);
        assert_true((w->family == HL_FAMILY_FRAME) ==
                    (strncmp(w->name, "frames-", 7) == 0));
        for (unsigned a = 0; a < w->nparams; a++) {
            const struct hl_wl_param *pa = &w->params[a];
            assert_non_null(pa->name);
            assert_non_null(pa->unit);
            assert_non_null(pa->summary);
            assert_true(pa->min <= pa->def && pa->def <= pa->max);
            assert_int_equal(hl_wl_param_index(w, pa->name), (int)a);
            for (unsigned b = 0; b < a; b++)
                assert_string_not_equal(pa->name, w->params[b].name);
        }
        struct hl_wl_params p;
        hl_wl_defaults(w, &p);
        assert_int_equal(hl_wl_validate(w, &p, NULL, NULL), 0);
        /* Modest default streams: 10^5 .. 10^6 ops. */
        uint64_t t = w->total_ops(&p);
        if (t < 100000 || t > 1000000)
            fail_msg("%s: %llu ops at defaults", w->name, (unsigned long long)t);
    }
    assert_null(hl_workload_find("churn"));
    assert_null(hl_workload_find("churn-fixed "));
    assert_null(hl_workload_find(""));
    assert_null(hl_workload_find(NULL));
    const struct hl_workload *w = hl_workload_find("lifo");
    assert_int_equal(hl_wl_param_index(w, "nope"), -1);
    assert_int_equal(hl_wl_param_index(w, "mi"), -1);
    assert_int_equal(hl_wl_param_index(w, NULL), -1);
}

/* ---- every workload: conformance at defaults and random small params --- */

/* Workloads whose default stream draws no random numbers (min == max):
 * the seed cannot change them. */
static bool seedless_at_defaults(const struct hl_workload *w)
{
    return strcmp(w->name, "lifo") == 0 || strcmp(w->name, "fifo") == 0 ||
           strcmp(w->name, "vm-remap") == 0 || /* vm-touch: order=0 */
           strcmp(w->name, "vm-touch") == 0;
}

static void every_workload_defaults_deterministic(void **state)
{
    (void)state;
    for (size_t i = 0; hl_workloads[i]; i++) {
        const struct hl_workload *w = hl_workloads[i];
        struct hl_wl_params p;
        hl_wl_defaults(w, &p);
        struct stream a = record(w, &p, 1), b = record(w, &p, 1),
                      c = record(w, &p, 2);
        assert_true(a.checksum == b.checksum);
        assert_true(a.n == b.n && memcmp(a.ops, b.ops, a.n * sizeof *a.ops) == 0);
        if (seedless_at_defaults(w))
            assert_true(a.checksum == c.checksum);
        else if (a.checksum == c.checksum)
            fail_msg("%s: seeds 1 and 2 give the same stream", w->name);
        drop(&a);
        drop(&b);
        drop(&c);
    }
    /* ... and with a size range, lifo and fifo do depend on the seed. */
    for (int k = 0; k < 2; k++) {
        const struct hl_workload *w;
        struct hl_wl_params p;
        defaults_of(k ? "fifo" : "lifo", &w, &p);
        set(w, &p, "n", 1000);
        set(w, &p, "min", 1);
        set(w, &p, "max", 1000);
        struct stream a = record(w, &p, 1), c = record(w, &p, 2);
        assert_true(a.checksum != c.checksum);
        drop(&a);
        drop(&c);
    }
}

/* A small value for parameter a (edges often). */
static uint64_t small_value(const struct hl_wl_param *a, uint64_t *rng)
{
    uint64_t cap = a->max;
    if (strcmp(a->unit, "blocks") == 0 || strcmp(a->unit, "frames") == 0)
        cap = 300;
    else if (strcmp(a->unit, "steps") == 0 || strcmp(a->unit, "allocs") == 0)
        cap = 500;
    else if (strcmp(a->unit, "bytes") == 0)
        cap = 5000;
    else if (strcmp(a->unit, "peaks") == 0)
        cap = 6;
    else if (strcmp(a->unit, "pages") == 0)
        cap = 300;
    else if (strcmp(a->unit, "passes") == 0 || strcmp(a->unit, "rounds") == 0)
        cap = 20;
    cap = HL_MAX(HL_MIN(cap, a->max), a->min);
    switch (hl_wl_rng_below(rng, 4)) {
    case 0:
        return a->min;
    case 1:
        return cap;
    default:
        return hl_wl_rng_range(rng, a->min, cap);
    }
}

static void every_workload_random_small_params(void **state)
{
    (void)state;
    uint64_t rng[4];
    hl_wl_rng_seed(rng, 12345);
    for (size_t i = 0; hl_workloads[i]; i++) {
        const struct hl_workload *w = hl_workloads[i];
        for (int round = 0; round < 60; round++) {
            struct hl_wl_params p;
            hl_wl_defaults(w, &p);
            for (unsigned a = 0; a < w->nparams; a++)
                p.v[a] = small_value(&w->params[a], rng);
            if (has(w, "min") && pv(w, &p, "min") > pv(w, &p, "max")) {
                uint64_t t = pv(w, &p, "min");
                set(w, &p, "min", pv(w, &p, "max"));
                set(w, &p, "max", t);
            }
            assert_int_equal(hl_wl_validate(w, &p, NULL, NULL), 0);
            struct stream s = record(w, &p, round);
            drop(&s);
        }
    }
}

/* ---- each workload's own shape ------------------------------------------ */

/* fill, then steps of (free, alloc) with the live set at `fill`, then a
 * drain; plateau's first `pinned` blocks are never freed before the drain. */
static void check_churn_shape(const char *name, uint64_t fill, uint64_t steps,
                              uint64_t pinned, const struct hl_wl_params *pp)
{
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of(name, &w, &p);
    if (pp)
        p = *pp;
    struct stream s = record(w, &p, 7);
    assert_true(s.n == 2 * fill + 2 * steps);
    assert_true(s.slots == fill);
    uint8_t *is_pinned = calloc((size_t)fill, 1);
    size_t k = 0;
    for (uint64_t i = 0; i < fill; i++, k++) {
        assert_int_equal(s.ops[k].kind, HL_OP_ALLOC);
        if (i < pinned)
            is_pinned[s.ops[k].slot] = 1;
    }
    for (uint64_t i = 0; i < steps; i++, k += 2) {
        /* live == fill before the free and after the alloc */
        assert_int_equal(s.ops[k].kind, HL_OP_FREE);
        assert_int_equal(s.ops[k + 1].kind, HL_OP_ALLOC);
        if (is_pinned[s.ops[k].slot])
            fail_msg("%s: pinned slot %u freed in the churn", name, s.ops[k].slot);
    }
    for (uint64_t i = 0; i < fill; i++, k++)
        assert_int_equal(s.ops[k].kind, HL_OP_FREE);
    assert_true(k == s.n);
    free(is_pinned);
    drop(&s);
}

static void churn_workloads_keep_live_set(void **state)
{
    (void)state;
    check_churn_shape("churn-fixed", 10000, 100000, 0, NULL);
    check_churn_shape("churn-uniform", 10000, 100000, 0, NULL);
    check_churn_shape("churn-powerlaw", 10000, 100000, 0, NULL);
    check_churn_shape("frames-churn", 65536 * 99 / 100, 100000, 0, NULL);
    check_churn_shape("frames-orders", 4096, 100000, 0, NULL);
    check_churn_shape("plateau", 11000, 100000, 10000, NULL);

    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("frames-churn", &w, &p);
    set(w, &p, "frames", 1000);
    set(w, &p, "occupancy", 100);
    set(w, &p, "ops", 5000);
    check_churn_shape("frames-churn", 1000, 5000, 0, &p);
    set(w, &p, "occupancy", 1); /* 1% of 1000 frames: 10 */
    check_churn_shape("frames-churn", 10, 5000, 0, &p);
    defaults_of("churn-fixed", &w, &p);
    set(w, &p, "ops", 0);
    check_churn_shape("churn-fixed", 10000, 0, 0, &p);
}

static void frames_churn_singles_and_sizes(void **state)
{
    (void)state;
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("frames-churn", &w, &p);
    set(w, &p, "frames", 2000);
    struct stream s = record(w, &p, 3);
    for (size_t i = 0; i < s.n; i++)
        if (s.ops[i].kind == HL_OP_ALLOC)
            assert_true(s.ops[i].bytes == 4096);
    drop(&s);
    defaults_of("churn-fixed", &w, &p);
    set(w, &p, "size", 200);
    s = record(w, &p, 3);
    for (size_t i = 0; i < s.n; i++)
        if (s.ops[i].kind == HL_OP_ALLOC)
            assert_true(s.ops[i].bytes == 200);
    drop(&s);
    /* a 1 Mi-frame region is allowed */
    defaults_of("frames-churn", &w, &p);
    set(w, &p, "frames", 1048576);
    set(w, &p, "ops", 10);
    assert_int_equal(hl_wl_validate(w, &p, NULL, NULL), 0);
    assert_true(w->slots(&p) == 1048576u * 99 / 100);
}

static void lifo_fifo_random_free_orders(void **state)
{
    (void)state;
    const uint64_t n = 5000;
    struct stream st[3];
    const char *names[3] = {"lifo", "fifo", "random-free"};
    for (int k = 0; k < 3; k++) {
        const struct hl_workload *w;
        struct hl_wl_params p;
        defaults_of(names[k], &w, &p);
        set(w, &p, "n", n);
        set(w, &p, "min", 8);
        set(w, &p, "max", 300);
        st[k] = record(w, &p, 9);
        struct stream *s = &st[k];
        assert_true(s->n == 2 * n);
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(s->ops[i].kind, HL_OP_ALLOC);
            assert_true(s->ops[i].slot == i); /* slots 0 .. n-1 in order */
        }
        for (uint64_t i = 0; i < n; i++)
            assert_int_equal(s->ops[n + i].kind, HL_OP_FREE);
    }
    for (uint64_t i = 0; i < n; i++) {
        assert_true(st[0].ops[n + i].slot == n - 1 - i);
        assert_true(st[1].ops[n + i].slot == i);
    }
    /* random-free: a permutation (record() proved each slot is freed once)
     * that is neither stack nor queue order, nor close to either. */
    uint64_t same_lifo = 0, same_fifo = 0;
    for (uint64_t i = 0; i < n; i++) {
        same_lifo += st[2].ops[n + i].slot == n - 1 - i;
        same_fifo += st[2].ops[n + i].slot == i;
    }
    assert_true(same_lifo < 20 && same_fifo < 20);
    for (int k = 0; k < 3; k++)
        drop(&st[k]);
}

static void ramp_accumulates_then_drains(void **state)
{
    (void)state;
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("ramp", &w, &p);
    const uint64_t n = 10000, every = 4;
    set(w, &p, "n", n);
    set(w, &p, "free_every", every);
    struct stream s = record(w, &p, 5);
    assert_true(s.n == 2 * n);
    uint64_t allocs = 0, live = 0, peak = 0;
    size_t k = 0;
    while (allocs < n) {
        assert_int_equal(s.ops[k].kind, HL_OP_ALLOC);
        allocs++, live++, k++;
        peak = HL_MAX(peak, live);
        if (allocs % every == 0) { /* exactly one free after every 4th */
            assert_int_equal(s.ops[k].kind, HL_OP_FREE);
            live--, k++;
        } else if (allocs < n) {
            assert_int_equal(s.ops[k].kind, HL_OP_ALLOC);
        }
    }
    assert_true(peak == n - (n - 1) / every && peak == s.slots);
    for (; k < s.n; k++)
        assert_int_equal(s.ops[k].kind, HL_OP_FREE);
    drop(&s);

    set(w, &p, "free_every", 0); /* pure build-up, then drain */
    s = record(w, &p, 5);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.ops[i].kind, i < n ? HL_OP_ALLOC : HL_OP_FREE);
    assert_true(s.slots == n);
    drop(&s);
}

static void peak_builds_and_releases(void **state)
{
    (void)state;
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("peak", &w, &p);
    const uint64_t peaks = 6, n = 3000, keep = 10, kept = n * keep / 100;
    set(w, &p, "peaks", peaks);
    set(w, &p, "n", n);
    set(w, &p, "keep", keep);
    struct stream s = record(w, &p, 11);
    assert_true(s.n == 2 * peaks * n);
    assert_true(s.slots == n + (peaks - 1) * kept);
    uint64_t *born = calloc((size_t)s.slots, sizeof *born); /* peak + 1 */
    size_t k = 0;
    uint64_t live = 0;
    for (uint64_t pk = 0; pk < peaks; pk++) {
        for (uint64_t i = 0; i < n; i++, k++) {
            assert_int_equal(s.ops[k].kind, HL_OP_ALLOC);
            born[s.ops[k].slot] = pk + 1;
            live++;
        }
        for (uint64_t i = 0; i < n - kept; i++, k++) {
            assert_int_equal(s.ops[k].kind, HL_OP_FREE);
            if (born[s.ops[k].slot] != pk + 1)
                fail_msg("peak %llu released a survivor of an earlier peak",
                         (unsigned long long)pk);
            live--;
        }
        assert_true(live == (pk + 1) * kept); /* the survivors */
    }
    for (; k < s.n; k++)
        assert_int_equal(s.ops[k].kind, HL_OP_FREE);
    free(born);
    drop(&s);
}

/* ---- distributions ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sizes small-heavy with density ~ 1/s^2: the median near 2*min (far below
 * the midpoint), and each octave [a, 2a) holds about half the allocs of
 * the one below it. */
static void check_powerlaw(uint64_t min, uint64_t max)
{
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("churn-powerlaw", &w, &p);
    set(w, &p, "min", min);
    set(w, &p, "max", max);
    set(w, &p, "live", 1000);
    set(w, &p, "ops", 200000);
    struct stream s = record(w, &p, 1);
    uint64_t *sizes = malloc(s.n * sizeof *sizes), na = 0;
    uint64_t octave[24] = {0};
    for (size_t i = 0; i < s.n; i++) {
        if (s.ops[i].kind != HL_OP_ALLOC)
            continue;
        uint64_t b = s.ops[i].bytes;
        assert_true(b >= min && b < max);
        sizes[na++] = b;
        unsigned o = 0;
        while ((min << (o + 1)) <= b)
            o++;
        octave[o]++;
    }
    qsort(sizes, na, sizeof *sizes, cmp_u64);
    uint64_t median = sizes[na / 2];
    /* continuous median: 2 * min * max / (min + max) */
    uint64_t expect = 2 * min * max / (min + max);
    assert_true(median >= expect * 8 / 10 && median <= expect * 12 / 10 + 1);
    assert_true(median < (min + max) / 8);
    for (unsigned o = 0; o + 1 < 24 && (min << (o + 2)) <= max; o++) {
        if (octave[o + 1] < 2000)
            break; /* too few to judge */
        double r = (double)octave[o] / (double)octave[o + 1];
        if (r < 1.8 || r > 2.2)
            fail_msg("power law [%llu, %llu]: octave %u/%u ratio %.3f, want ~2",
                     (unsigned long long)min, (unsigned long long)max, o, o + 1, r);
    }
    assert_true(octave[0] > na * 45 / 100 && octave[0] < na * 55 / 100);
    free(sizes);
    drop(&s);
}

static void powerlaw_is_small_heavy(void **state)
{
    (void)state;
    check_powerlaw(4, 32768);
    check_powerlaw(16, 4096);
    check_powerlaw(100, 1048576);
}

static void frames_orders_small_order_bias(void **state)
{
    (void)state;
    const struct hl_workload *w;
    struct hl_wl_params p;
    defaults_of("frames-orders", &w, &p);
    set(w, &p, "max_order", 5);
    set(w, &p, "ops", 200000);
    struct stream s = record(w, &p, 1);
    uint64_t count[11] = {0}, na = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.ops[i].kind == HL_OP_ALLOC) {
            unsigned o = 0;
            while (((uint64_t)HL_FRAME_BYTES << o) < s.ops[i].bytes)
                o++;
            assert_true(((uint64_t)HL_FRAME_BYTES << o) == s.ops[i].bytes);
            assert_true(o <= 5);
            count[o]++;
            na++;
        }
    for (unsigned o = 0; o < 5; o++) {
        double r = (double)count[o] / (double)count[o + 1];
        if (r < 1.8 || r > 2.2)
            fail_msg("frames-orders: order %u/%u ratio %.3f, want ~2", o, o + 1, r);
    }
    drop(&s);
    set(w, &p, "max_order", 0); /* single frames only */
    set(w, &p, "ops", 1000);
    s = record(w, &p, 1);
    for (size_t i = 0; i < s.n; i++)
        if (s.ops[i].kind == HL_OP_ALLOC)
            assert_true(s.ops[i].bytes == HL_FRAME_BYTES);
    drop(&s);
}

/* ---- the PRNG ------------------------------------------------------------------- */

static void rng_bounded_and_deterministic(void **state)
{
    (void)state;
    uint64_t a[4], b[4];
    hl_wl_rng_seed(a, 1);
    hl_wl_rng_seed(b, 1);
    for (int i = 0; i < 1000; i++)
        assert_true(hl_wl_rng_next(a) == hl_wl_rng_next(b));
    hl_wl_rng_seed(b, 2);
    assert_true(hl_wl_rng_next(a) != hl_wl_rng_next(b));
    /* seed 0 is a fine seed too (splitmix64 expands it) */
    hl_wl_rng_seed(a, 0);
    assert_true((a[0] | a[1] | a[2] | a[3]) != 0);

    const uint64_t bounds[] = {1, 2, 3, 7, 100, 1000003, 0xFFFFFFFFull,
                               0x100000000ull, 0x100000001ull,
                               0x123456789abcdull, UINT64_MAX};
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
        for (int i = 0; i < 2000; i++)
            assert_true(hl_wl_rng_below(a, bounds[k]) < bounds[k]);
    assert_true(hl_wl_rng_below(a, 0) == 0);
    for (int i = 0; i < 2000; i++) {
        uint64_t v = hl_wl_rng_range(a, 10, 12);
        assert_true(v >= 10 && v <= 12);
    }
    (void)hl_wl_rng_range(a, 0, UINT64_MAX); /* must not loop forever */

    /* rough uniformity: 10 buckets, 100000 draws, each within 10% of mean;
     * and a bound just above 2^32 splits evenly at its midpoint */
    uint64_t bucket[10] = {0}, low = 0;
    for (int i = 0; i < 100000; i++)
        bucket[hl_wl_rng_below(a, 10)]++;
    for (int i = 0; i < 10; i++)
        assert_true(bucket[i] > 9000 && bucket[i] < 11000);
    for (int i = 0; i < 100000; i++)
        low += hl_wl_rng_below(a, 0x300000000ull) < 0x180000000ull;
    assert_true(low > 49000 && low < 51000);
}

/* ---- parameters as text --------------------------------------------------------- */

static void expect_parse_error(const struct hl_workload *w, const char *text,
                               const char *msg_part, size_t at)
{
    struct hl_wl_params p, before;
    hl_wl_defaults(w, &p);
    p.v[0] = 4242; /* must survive a failed parse */
    before = p;
    const char *err = NULL;
    size_t err_at = 9999;
    if (hl_wl_parse(w, text, &p, &err, &err_at) != -1)
        fail_msg("'%s' parsed", text);
    assert_non_null(err);
    if (!strstr(err, msg_part))
        fail_msg("'%s': error '%s', want '%s'", text, err, msg_part);
    if (err_at != at)
        fail_msg("'%s': error at %zu, want %zu", text, err_at, at);
    assert_memory_equal(&p, &before, sizeof p);
}

static void params_parse_and_format(void **state)
{
    (void)state;
    char buf[256];
    /* round trip for every workload: format(defaults) parses back to the
     * defaults and formats to the same text; "" is the defaults */
    for (size_t i = 0; hl_workloads[i]; i++) {
        const struct hl_workload *w = hl_workloads[i];
        struct hl_wl_params d, p, q;
        hl_wl_defaults(w, &d);
        size_t n = hl_wl_format(w, &d, buf, sizeof buf);
        assert_int_equal(n, strlen(buf));
        const char *err = "x";
        assert_int_equal(hl_wl_parse(w, buf, &p, &err, NULL), 0);
        assert_null(err);
        assert_memory_equal(&p, &d, sizeof p);
        assert_int_equal(hl_wl_parse(w, "", &q, NULL, NULL), 0);
        assert_memory_equal(&q, &d, sizeof q);
        assert_int_equal(hl_wl_parse(w, NULL, &q, NULL, NULL), 0);
        assert_memory_equal(&q, &d, sizeof q);
        /* every parameter at its max and min, printed and parsed back */
        for (int edge = 0; edge < 2; edge++) {
            for (unsigned a = 0; a < w->nparams; a++)
                p.v[a] = edge ? w->params[a].max : w->params[a].min;
            char b2[256];
            hl_wl_format(w, &p, b2, sizeof b2);
            assert_int_equal(hl_wl_parse(w, b2, &q, NULL, NULL), 0);
            assert_memory_equal(&q, &p, sizeof q);
        }
    }
    const struct hl_workload *w = hl_workload_find("churn-uniform");
    struct hl_wl_params p;
    assert_int_equal(hl_wl_parse(w, "max=100,live=7,min=0010", &p, NULL, NULL), 0);
    assert_int_equal(hl_wl_format(w, &p, buf, sizeof buf),
                     strlen("live=7,ops=100000,min=10,max=100"));
    assert_string_equal(buf, "live=7,ops=100000,min=10,max=100");
    /* like snprintf: the full length is returned, cap bytes at most */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(hl_wl_format(w, &p, buf, 8), 32);
    assert_string_equal(buf, "live=7,");
    assert_int_equal(buf[8], 'Z');
    assert_int_equal(hl_wl_format(w, &p, buf, 1), 32);
    assert_int_equal(buf[0], '\0');
    buf[0] = 'Q';
    assert_int_equal(hl_wl_format(w, &p, buf, 0), 32);
    assert_int_equal(buf[0], 'Q');
    /* ops may be 0, and 2^40 */
    assert_int_equal(hl_wl_parse(w, "ops=0", &p, NULL, NULL), 0);
    assert_int_equal(hl_wl_parse(w, "ops=1099511627776", &p, NULL, NULL), 0);
    assert_true(p.v[1] == (uint64_t)1 << 40);

    /* each kind of error, with where it is */
    expect_parse_error(w, "bogus=1", "unknown parameter", 0);
    expect_parse_error(w, "live=1,Live=2", "unknown parameter", 7);
    expect_parse_error(w, "=5", "empty parameter name", 0);
    expect_parse_error(w, "live=5,=5", "empty parameter name", 7);
    expect_parse_error(w, "live", "expected name=value", 0);
    expect_parse_error(w, "live=5,,ops=1", "empty item", 7);
    expect_parse_error(w, ",", "empty item", 0);
    expect_parse_error(w, "live=5,", "empty item", 7);
    expect_parse_error(w, "live=", "missing value", 5);
    expect_parse_error(w, "live=12a", "malformed number", 5);
    expect_parse_error(w, "live=-1", "malformed number", 5);
    expect_parse_error(w, "live= 1", "malformed number", 5);
    expect_parse_error(w, "live=0x10", "malformed number", 5);
    expect_parse_error(w, "ops=18446744073709551616", "too large", 4);
    expect_parse_error(w, "ops=99999999999999999999999", "too large", 4);
    expect_parse_error(w, "live=0", "out of range", 5);
    expect_parse_error(w, "ops=1099511627777", "out of range", 4);
    expect_parse_error(w, "max=1048577", "out of range", 4);
    expect_parse_error(w, "live=3,live=3", "duplicate parameter", 7);
    expect_parse_error(w, "min=100,max=99", "min is greater than max", 12);
    expect_parse_error(w, "min=2000", "min is greater than max", 0);
    assert_int_equal(hl_wl_parse(w, "min=1024", &p, NULL, NULL), 0); /* == max */
    /* err and err_at may be NULL */
    assert_int_equal(hl_wl_parse(w, "nope=1", &p, NULL, NULL), -1);
    expect_parse_error(hl_workload_find("frames-churn"), "occupancy=101",
                       "out of range", 10);
    expect_parse_error(hl_workload_find("frames-churn"), "frames=1048577",
                       "out of range", 7);
    expect_parse_error(hl_workload_find("frames-orders"), "max_order=11",
                       "out of range", 10);

    const char *err = NULL;
    int bad = -2;
    hl_wl_defaults(w, &p);
    p.v[0] = 0;
    assert_int_equal(hl_wl_validate(w, &p, &err, &bad), -1);
    assert_int_equal(bad, 0);
    assert_non_null(strstr(err, "out of range"));
}

/* ---- scaling to --ops -------------------------------------------------------------- */

static void scale_ops_hits_the_target(void **state)
{
    (void)state;
    const uint64_t targets[] = {1000, 20000, 100000, 1000000, 10000000};
    for (size_t i = 0; hl_workloads[i]; i++) {
        const struct hl_workload *w = hl_workloads[i];
        for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
            struct hl_wl_params p;
            hl_wl_defaults(w, &p);
            hl_wl_scale_ops(w, &p, targets[t]);
            assert_int_equal(hl_wl_validate(w, &p, NULL, NULL), 0);
            uint64_t got = w->total_ops(&p);
            uint64_t lo = targets[t] * 9 / 10, hi = targets[t] * 11 / 10;
            if (got < lo || got > hi)
                fail_msg("%s: scaled to %llu ops, got %llu", w->name,
                         (unsigned long long)targets[t], (unsigned long long)got);
            if (targets[t] <= 20000) {
                struct stream s = record(w, &p, 1);
                drop(&s);
            }
        }
        /* tiny targets still give a valid (small) stream */
        struct hl_wl_params p;
        hl_wl_defaults(w, &p);
        hl_wl_scale_ops(w, &p, 0);
        assert_int_equal(hl_wl_validate(w, &p, NULL, NULL), 0);
        assert_true(w->total_ops(&p) <= 64);
        struct stream s = record(w, &p, 1);
        drop(&s);
    }
}

/* ---- goldens ------------------------------------------------------------------------ */

struct golden {
    const char *name;
    uint64_t checksum;
};
#define GOLDEN(name, sum) {name, sum}

/* Each workload at its defaults, seed 1.  Read by wl_checksums --compare. */
static const struct golden goldens[] = {
    GOLDEN("churn-fixed", 0x71719b4e80798e81ull),
    GOLDEN("churn-uniform", 0xe7cfb9a520447f31ull),
    GOLDEN("churn-powerlaw", 0xb7d249b1500e45b8ull),
    GOLDEN("lifo", 0x771c5c25f9fcc725ull),
    GOLDEN("fifo", 0xcd9374ebe0104765ull),
    GOLDEN("random-free", 0x1af26587f8a2fc15ull),
    GOLDEN("ramp", 0xb9653d19c19731b6ull),
    GOLDEN("peak", 0x82a96597d4079a8eull),
    GOLDEN("plateau", 0x2f420258d0ffb9ffull),
    GOLDEN("frames-churn", 0x0b7f4b6429ebad8dull),
    GOLDEN("frames-orders", 0x3ce71b836b4b31a1ull),
    GOLDEN("vm-touch", 0x5e575c153789a325ull),
    GOLDEN("vm-remap", 0x27b1737c15fa2325ull),
};

static void golden_checksums(void **state)
{
    (void)state;
    size_t n = 0;
    while (hl_workloads[n])
        n++;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hl_workload *w = hl_workloads[i];
        struct hl_wl_params p;
        hl_wl_defaults(w, &p);
        struct stream s = record(w, &p, 1);
        const struct golden *g = NULL;
        for (size_t k = 0; k < sizeof goldens / sizeof goldens[0]; k++)
            if (strcmp(goldens[k].name, w->name) == 0)
                g = &goldens[k];
        if (!g || g->checksum != s.checksum) {
            print_message("    GOLDEN(\"%s\", 0x%016llxull),\n", w->name,
                          (unsigned long long)s.checksum);
            bad = 1;
        }
        drop(&s);
    }
    assert_int_equal(sizeof goldens / sizeof goldens[0], n);
    assert_false(bad);
}

int main(void)
{
    tl_reports_fail();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_names_params_defaults),
        cmocka_unit_test(every_workload_defaults_deterministic),
        cmocka_unit_test(every_workload_random_small_params),
        cmocka_unit_test(churn_workloads_keep_live_set),
        cmocka_unit_test(frames_churn_singles_and_sizes),
        cmocka_unit_test(lifo_fifo_random_free_orders),
        cmocka_unit_test(ramp_accumulates_then_drains),
        cmocka_unit_test(peak_builds_and_releases),
        cmocka_unit_test(powerlaw_is_small_heavy),
        cmocka_unit_test(frames_orders_small_order_bias),
        cmocka_unit_test(rng_bounded_and_deterministic),
        cmocka_unit_test(params_parse_and_format),
        cmocka_unit_test(scale_ops_hits_the_target),
        cmocka_unit_test(golden_checksums),
    };
    return cmocka_run_group_tests_name("workloads", tests, NULL, NULL);
}
