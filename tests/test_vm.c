/*
 * test_vm.c — the vm family (workloads/vm.h, bench/core/vmpass.h): the
 * streams' exact shape (sequential passes, a permutation per random pass,
 * the remap rounds with invlpg or CR3), their determinism, the pass over a
 * region with a recording environment (every touch lands on its page, the
 * edits reach the environment in order, the checksum is the stream's),
 * its refusals, the mapping kinds, and the planner's handling of the
 * family (not in the default suite, host_none cells left out with why).
 */
#include <stdlib.h>
#include <string.h>

#include "bench/core/plan.h"
#include "bench/core/vmpass.h"
#include "tests/testlib.h"
#include "workloads/vm.h"

/* The whole stream of w with p and seed, malloc'd; *n its length. */
static struct hl_op *stream_of(const char *name, const char *params, uint64_t seed,
                               size_t *n, uint64_t *sum)
{
    const struct hl_workload *w = hl_workload_find(name);
    assert_non_null(w);
    struct hl_wl_params p;
    const char *err = NULL;
    assert_int_equal(hl_wl_parse(w, params, &p, &err, NULL), 0);
    size_t sb = w->scratch_bytes(&p);
    void *scratch = tl_region(sb, 8);
    uint64_t total = w->total_ops(&p);
    struct hl_op *ops = calloc(total + 1, sizeof *ops);
    assert_non_null(ops);
    struct hl_wl_gen g;
    hl_wl_init(&g, w, &p, seed, scratch, sb);
    size_t k = 0;
    uint64_t h = HL_WL_CHECKSUM0;
    while (w->next(&g, &ops[k])) {
        assert_true(k < total);
        h = hl_wl_checksum_op(h, &ops[k]);
        k++;
    }
    assert_int_equal(k, total);
    assert_true(hl_wl_checksum(w, &p, seed, scratch, sb) == h);
    tl_free(scratch);
    *n = k;
    if (sum)
        *sum = h;
    return ops;
}

static void touch_sequential_is_passes_of_0_to_n(void **st)
{
    (void)st;
    size_t n;
    struct hl_op *ops = stream_of("vm-touch", "pages=37,order=0,passes=3", 1, &n, NULL);
    assert_int_equal(n, 3 * 37);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops[i].kind, HL_VM_OP_TOUCH);
        assert_int_equal(ops[i].slot, i % 37);
        assert_true(ops[i].bytes == 0);
    }
    free(ops);
}

static void touch_random_is_a_permutation_per_pass(void **st)
{
    (void)st;
    size_t n, n2, n3;
    uint64_t a, b, c;
    struct hl_op *ops = stream_of("vm-touch", "pages=100,order=1,passes=4", 7, &n, &a);
    struct hl_op *same = stream_of("vm-touch", "pages=100,order=1,passes=4", 7, &n2, &b);
    struct hl_op *other = stream_of("vm-touch", "pages=100,order=1,passes=4", 8, &n3, &c);
    assert_int_equal(n, 400);
    assert_memory_equal(ops, same, n * sizeof *ops);
    assert_true(a == b && a != c);
    for (size_t pass = 0; pass < 4; pass++) {
        char seen[100] = {0};
        for (size_t i = 0; i < 100; i++) {
            uint32_t page = ops[pass * 100 + i].slot;
            assert_true(page < 100);
            assert_int_equal(seen[page], 0);
            seen[page] = 1;
        }
    }
    /* passes differ (a fresh shuffle each) and are not the identity */
    assert_true(memcmp(ops, ops + 100, 100 * sizeof *ops) != 0);
    size_t fixed = 0;
    for (size_t i = 0; i < 100; i++)
        fixed += ops[i].slot == i;
    assert_true(fixed < 20);
    free(ops);
    free(same);
    free(other);
}

static void remap_rounds_invlpg_and_cr3(void **st)
{
    (void)st;
    size_t n;
    struct hl_op *ops = stream_of("vm-remap", "pages=5,rounds=2,flush=0", 1, &n, NULL);
    assert_int_equal(n, 2 * 4 * 5);
    for (size_t r = 0; r < 2; r++) {
        const struct hl_op *o = ops + r * 20;
        for (uint32_t i = 0; i < 5; i++) { /* map, touch */
            assert_int_equal(o[2 * i].kind, HL_VM_OP_MAP);
            assert_int_equal(o[2 * i + 1].kind, HL_VM_OP_TOUCH);
            assert_int_equal(o[2 * i].slot, i);
            assert_int_equal(o[2 * i + 1].slot, i);
        }
        for (uint32_t i = 0; i < 5; i++) { /* unmap, invlpg */
            assert_int_equal(o[10 + 2 * i].kind, HL_VM_OP_UNMAP);
            assert_int_equal(o[11 + 2 * i].kind, HL_VM_OP_INVLPG);
            assert_int_equal(o[10 + 2 * i].slot, i);
            assert_int_equal(o[11 + 2 * i].slot, i);
        }
    }
    free(ops);
    ops = stream_of("vm-remap", "pages=5,rounds=3,flush=1", 1, &n, NULL);
    assert_int_equal(n, 3 * (3 * 5 + 1));
    for (size_t r = 0; r < 3; r++) {
        const struct hl_op *o = ops + r * 16;
        for (uint32_t i = 0; i < 5; i++)
            assert_int_equal(o[10 + i].kind, HL_VM_OP_UNMAP);
        assert_int_equal(o[15].kind, HL_VM_OP_CR3);
    }
    free(ops);
}

/* ---- the pass ------------------------------------------------------------------- */

struct rec_env {
    uint64_t maps, unmaps, invlpgs, cr3s;
    uint8_t mapped[64];
    int errors; /* an edit out of order (unmap of an unmapped page, ...) */
};

static void rec_map(void *ctx, uint64_t page)
{
    struct rec_env *e = ctx;
    e->errors += page >= 64 || e->mapped[page];
    if (page < 64)
        e->mapped[page] = 1;
    e->maps++;
}

static void rec_unmap(void *ctx, uint64_t page)
{
    struct rec_env *e = ctx;
    e->errors += page >= 64 || !e->mapped[page];
    if (page < 64)
        e->mapped[page] = 0;
    e->unmaps++;
}

static void rec_invlpg(void *ctx, uint64_t page)
{
    struct rec_env *e = ctx;
    e->errors += page >= 64 || e->mapped[page];
    e->invlpgs++;
}

static void rec_cr3(void *ctx)
{
    ((struct rec_env *)ctx)->cr3s++;
}

struct vm_cell {
    struct hl_vm_config c;
    void *region, *scratch;
};

static volatile uint32_t floor_word;

static void vm_open(struct vm_cell *x, const char *name, const char *params, uint64_t pages,
                    const struct hl_vm_env *env)
{
    memset(x, 0, sizeof *x);
    x->c.w = hl_workload_find(name);
    assert_non_null(x->c.w);
    assert_int_equal(hl_wl_parse(x->c.w, params, &x->c.params, NULL, NULL), 0);
    x->c.seed = 3;
    x->region = tl_region(pages * 4096, 4096);
    memset(x->region, 0xff, pages * 4096);
    x->c.region = x->region;
    x->c.region_bytes = pages * 4096;
    x->c.floor_word = &floor_word;
    x->c.scratch_bytes = x->c.w->scratch_bytes(&x->c.params);
    x->scratch = tl_region(x->c.scratch_bytes, 8);
    x->c.scratch = x->scratch;
    x->c.ops = calloc(7, sizeof *x->c.ops); /* an awkward chunk size */
    x->c.ops_cap = 7;
    x->c.env = env;
}

static void vm_close(struct vm_cell *x)
{
    tl_free(x->region);
    tl_free(x->scratch);
    free(x->c.ops);
}

static void pass_touches_every_page_of_the_stream(void **st)
{
    (void)st;
    struct vm_cell x;
    vm_open(&x, "vm-touch", "pages=50,order=1,passes=2", 60, NULL);
    struct hl_cell_result r = {0};
    assert_int_equal(hl_vm_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
    assert_int_equal(r.ops, 100);
    assert_true(r.workload_checksum ==
                hl_wl_checksum(x.c.w, &x.c.params, 3, x.scratch, x.c.scratch_bytes));
    const uint8_t *base = x.region;
    for (uint32_t p = 0; p < 60; p++) {
        uint32_t word;
        size_t at = (size_t)p * 4096 + (p % 64) * 64; /* hl_vm_touch_offset */
        assert_int_equal(hl_vm_touch_offset(p), at);
        memcpy(&word, base + at, sizeof word);
        /* pages of the stream hold their index; the rest is untouched */
        assert_true(p < 50 ? word == p : word == 0xffffffffu);
        assert_int_equal(base[at + 4], 0xff); /* one word only */
        assert_int_equal(base[(size_t)p * 4096 + (p % 64 ? 0 : 64)], 0xff);
    }
    memset(&r, 0, sizeof r);
    assert_int_equal(hl_vm_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
    assert_int_equal(r.ops, 100);
    assert_true(r.stream_repeats >= 1);
    assert_true(r.raw_cycles_per_op_milli == r.raw_ticks * 1000 / (100 * r.stream_repeats));
    vm_close(&x);
}

static void pass_sends_remap_edits_in_order(void **st)
{
    (void)st;
    for (unsigned flush = 0; flush < 2; flush++) {
        struct rec_env e = {0};
        struct hl_vm_env env = {&e, rec_map, rec_unmap, rec_invlpg, rec_cr3};
        struct vm_cell x;
        vm_open(&x, "vm-remap", flush ? "pages=9,rounds=4,flush=1" : "pages=9,rounds=4,flush=0",
                9, &env);
        struct hl_cell_result r = {0};
        assert_int_equal(hl_vm_pass(&x.c, HL_PASS_WARMUP, &r), HL_OK);
        assert_int_equal(e.errors, 0);
        assert_int_equal(e.maps, 36);
        assert_int_equal(e.unmaps, 36);
        assert_int_equal(e.invlpgs, flush ? 0 : 36);
        assert_int_equal(e.cr3s, flush ? 4 : 0);
        /* BATCH: the floor makes no edit, the allocator's runs do */
        memset(&e, 0, sizeof e);
        memset(&r, 0, sizeof r);
        assert_int_equal(hl_vm_pass(&x.c, HL_PASS_BATCH, &r), HL_OK);
        assert_int_equal(e.maps, 36 * r.stream_repeats);
        assert_int_equal(e.errors, 0);
        vm_close(&x);
    }
}

static void pass_refusals(void **st)
{
    (void)st;
    struct vm_cell x;
    struct hl_cell_result r = {0};
    /* vm-remap needs the page-table edits */
    vm_open(&x, "vm-remap", "pages=4,rounds=1", 4, NULL);
    assert_int_equal(hl_vm_pass(&x.c, HL_PASS_WARMUP, &r), HL_E_REGION);
    assert_int_equal(r.init_status, HL_E_REGION);
    vm_close(&x);
    /* a region smaller than the stream's pages */
    vm_open(&x, "vm-touch", "pages=8,passes=1", 8, NULL);
    x.c.region_bytes = 7 * 4096;
    assert_int_equal(hl_vm_pass(&x.c, HL_PASS_BATCH, &r), HL_E_REGION);
    vm_close(&x);
}

static void mapping_kinds(void **st)
{
    (void)st;
    const struct hl_allocator *k4 = hl_vm_kind_find("pages-4k");
    const struct hl_allocator *k4m = hl_vm_kind_find("pages-4m");
    assert_non_null(k4);
    assert_non_null(k4m);
    assert_null(hl_vm_kind_find("pages-4"));
    assert_null(hl_vm_kind_find("buddy"));
    assert_false(hl_vm_kind_huge(k4));
    assert_true(hl_vm_kind_huge(k4m));
    assert_int_equal(k4->family, HL_FAMILY_VM);
    assert_string_equal(hl_family_str(k4->family), "vm");
    assert_null(hl_allocator_find("pages-4k")); /* in no registry */
    assert_null(k4->alloc(NULL, 64));
    assert_true(hl_wl_is_vm(hl_workload_find("vm-touch")));
    assert_false(hl_wl_is_vm(hl_workload_find("lifo")));
}

/* ---- the planner -------------------------------------------------------------------- */

static struct hl_plan P;
static struct hl_plan_alloc CAND[64];

static size_t cands(void)
{
    size_t n = 0;
    for (; hl_allocators[n]; n++)
        CAND[n] = (struct hl_plan_alloc){hl_allocators[n]->name, hl_allocators[n]->family, true,
                                         hl_allocators[n]};
    for (size_t i = 0; hl_vm_kinds[i]; i++, n++)
        CAND[n] = (struct hl_plan_alloc){hl_vm_kinds[i]->name, HL_FAMILY_VM, true,
                                         hl_vm_kinds[i]};
    return n;
}

static void planner_vm_family(void **st)
{
    (void)st;
    struct hl_plan_arm arms[] = {
        {"host", "tsc", 1, 1, true, HL_PLAN_COST_NATIVE, true},
        {"qemu", "icount", 1, 1, false, HL_PLAN_COST_EMULATED, false},
    };
    struct hl_plan_opts o = {.cand = CAND, .ncand = cands(), .ops = 5000, .arms = arms,
                             .narms = 2, .opt_params = "--params", .opt_sweep = "--sweep"};
    /* the default suite: no vm workload, no cell of a mapping kind */
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    for (size_t k = 0; k < P.nwls; k++)
        assert_int_not_equal(P.wls[k]->family, HL_FAMILY_VM);
    assert_string_equal(P.host_none, "");
    /* a mapping kind named: the vm workloads join; vm-remap has no host cell */
    const char *allocs[] = {"pages-4k", "pages-4m"};
    o.allocs = allocs, o.nallocs = 2, o.sweep_none = true;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    assert_int_equal(P.nwls, 13); /* every workload; only the vm ones have cells */
    struct hl_plan_cell c[16];
    size_t n = hl_plan_cells(&P, c, 16);
    assert_int_equal(n, 2 * 2 + 2); /* vm-touch x 2 kinds x 2 arms, vm-remap x 2 in qemu */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].w->name, "vm-remap"))
            assert_string_equal(arms[c[i].arm].env, "qemu");
    assert_non_null(strstr(P.host_none, "vm-remap has no host cells (kernel only"));
    /* the host alone: nothing to run, and the message says why */
    o.narms = 1;
    const char *wls[] = {"vm-remap"};
    o.wls = wls, o.nwls = 1;
    assert_int_equal(hl_plan_resolve(&P, &o), -1);
    assert_non_null(strstr(P.err, "no cell to run: vm-remap has no host cells"));
    /* a sweep of it goes to the first arm that can run it */
    o.narms = 2, o.sweep_none = false;
    const char *sw[] = {"vm-remap:flush=0,1"};
    o.sweeps = sw, o.nsweeps = 1;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    n = hl_plan_cells(&P, c, 16);
    assert_int_equal(n, 2 + 2 * 2); /* suite in qemu, then 2 points x 2 kinds */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c[i].arm, 1);
    /* a vm-touch sweep: its points in both worlds (the figure's series) */
    const char *wt[] = {"vm-touch"}, *swt[] = {"vm-touch:pages=16,32"};
    o.wls = wt, o.sweeps = swt;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    n = hl_plan_cells(&P, c, 16);
    assert_int_equal(n, 4 + 2 * 2 * 2);
    size_t host_pts = 0, qemu_pts = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].sweep[0] && c[i].arm == 0)
            host_pts++;
        else if (c[i].sweep[0])
            qemu_pts++;
    assert_int_equal(host_pts, 4);
    assert_int_equal(qemu_pts, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(touch_sequential_is_passes_of_0_to_n),
        cmocka_unit_test(touch_random_is_a_permutation_per_pass),
        cmocka_unit_test(remap_rounds_invlpg_and_cr3),
        cmocka_unit_test(pass_touches_every_page_of_the_stream),
        cmocka_unit_test(pass_sends_remap_edits_in_order),
        cmocka_unit_test(pass_refusals),
        cmocka_unit_test(mapping_kinds),
        cmocka_unit_test(planner_vm_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
