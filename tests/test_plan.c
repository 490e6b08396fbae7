/*
 * test_plan.c — the one planner (bench/core/plan.h): cells from options
 * (defaults, order, params, sweeps, arms, admission), the refusals with
 * their one-line messages, launch orders, and shards: every launch in
 * exactly one shard, loads balanced within one launch's cost, the same
 * answer every time.
 */
#include <stdlib.h>
#include <string.h>

#include "bench/core/plan.h"
#include "tests/testlib.h"

static struct hl_plan P; /* ~40 KiB */

/* The kernel's candidates: the registry. */
static size_t registry_cand(struct hl_plan_alloc *cand)
{
    size_t n = 0;
    for (; hl_allocators[n]; n++)
        cand[n] = (struct hl_plan_alloc){hl_allocators[n]->name, hl_allocators[n]->family,
                                         true, hl_allocators[n]};
    return n;
}

static struct hl_plan_alloc CAND[64];
static struct hl_plan_arm ARM1 = {"qemu", "icount", 1, 1, false, HL_PLAN_COST_EMULATED, false};

static struct hl_plan_opts base_opts(void)
{
    size_t n = registry_cand(CAND);
    return (struct hl_plan_opts){.cand = CAND, .ncand = n, .ops = 2000, .arms = &ARM1,
                                 .narms = 1, .opt_params = "--params", .opt_sweep = "--sweep"};
}

static int index_of(const char *name)
{
    for (size_t i = 0; hl_allocators[i]; i++)
        if (!strcmp(hl_allocators[i]->name, name))
            return (int)i;
    return -1;
}

/* Every cell of the default suite: each workload with each allocator of
 * its family, then the default sweeps; cell_at agrees with cells. */
static void default_suite(void **st)
{
    (void)st;
    struct hl_plan_opts o = base_opts();
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    size_t nw = 0, want = 0;
    for (size_t i = 0; hl_workloads[i]; i++) {
        if (hl_workloads[i]->family == HL_FAMILY_VM)
            continue; /* the vm family: only when a mapping kind is named */
        nw++;
        for (size_t a = 0; hl_allocators[a]; a++)
            want += hl_allocators[a]->family == hl_workloads[i]->family;
    }
    size_t suite = want;
    for (size_t k = 0; k < P.nwls; k++)
        for (size_t a = 0; hl_allocators[a]; a++)
            want += P.npoints[k] * (hl_allocators[a]->family == P.wls[k]->family);
    assert_int_equal(P.nwls, nw);
    assert_int_equal(P.ncells, want);
    assert_true(P.ncells > suite); /* the default sweeps are there */
    struct hl_plan_cell *c = calloc(P.ncells, sizeof *c);
    assert_int_equal(hl_plan_cells(&P, c, P.ncells), P.ncells);
    for (size_t i = 0; i < P.ncells; i++) {
        struct hl_plan_cell one;
        memset(&one, 0, sizeof one); /* padding: compared below */
        assert_true(hl_plan_cell_at(&P, i, &one));
        assert_memory_equal(&one, &c[i], sizeof one);
        assert_int_equal(CAND[c[i].cand].family, c[i].w->family);
        assert_int_equal(c[i].sweep[0] != '\0', i >= suite);
        assert_true(c[i].u.cost > 0);
    }
    struct hl_plan_cell none;
    assert_false(hl_plan_cell_at(&P, P.ncells, &none));
    free(c);
}

/* Named allocators and workloads in the order named; params applied in
 * order, each setting only its names; a sweep over them. */
static void named_params_and_sweep(void **st)
{
    (void)st;
    struct hl_plan_opts o = base_opts();
    const char *allocs[] = {"slab", "buddy"}, *wls[] = {"frames-churn", "churn-fixed"};
    const char *params[] = {"churn-fixed:live=100,size=48", "churn-fixed:size=32"};
    const char *sweeps[] = {"churn-fixed:live=7,9"};
    o.allocs = allocs, o.nallocs = 2, o.wls = wls, o.nwls = 2;
    o.params = params, o.nparams = 2, o.sweeps = sweeps, o.nsweeps = 1;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    assert_int_equal(P.ncells, 4);
    struct hl_plan_cell c[4];
    hl_plan_cells(&P, c, 4);
    assert_int_equal(c[0].cand, index_of("buddy"));
    assert_string_equal(c[0].w->name, "frames-churn");
    assert_int_equal(c[1].cand, index_of("slab"));
    char text[HL_PLAN_PARAMS_TEXT];
    hl_wl_format(c[1].w, &c[1].params, text, sizeof text);
    assert_non_null(strstr(text, "live=100"));
    assert_non_null(strstr(text, "size=32"));
    assert_string_equal(c[1].sweep, "");
    assert_string_equal(c[2].sweep, "live");
    hl_wl_format(c[3].w, &c[3].params, text, sizeof text);
    assert_non_null(strstr(text, "live=9"));
    assert_non_null(strstr(text, "size=32"));
}

/* Arms: per environment, every workload with every arm of it; sweeps in
 * the first arm; admission drops cells from an arm. */
static bool no_slab_in_qemu(void *ctx, size_t a, size_t r)
{
    const struct hl_plan_arm *arms = ctx;
    return strcmp(arms[r].env, "qemu") || strcmp(CAND[a].name, "slab");
}

static void arms_and_admission(void **st)
{
    (void)st;
    struct hl_plan_arm arms[] = {
        {"host", "tsc", 2, 5, true, HL_PLAN_COST_NATIVE, true},
        {"host", "instructions", 1, 1, false, HL_PLAN_COST_CALLGRIND, true},
        {"qemu", "icount", 1, 1, false, HL_PLAN_COST_EMULATED, false},
    };
    struct hl_plan_opts o = base_opts();
    const char *allocs[] = {"slab", "bump"}, *wls[] = {"lifo", "fifo"};
    const char *sweeps[] = {"lifo:n=50,60"};
    o.allocs = allocs, o.nallocs = 2, o.wls = wls, o.nwls = 2;
    o.sweeps = sweeps, o.nsweeps = 1;
    o.arms = arms, o.narms = 3, o.admit = no_slab_in_qemu, o.admit_ctx = arms;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    /* host: 2 workloads x 2 clocks x 2 allocators; qemu: 2 x 1 (bump);
     * sweep: 2 values x 2 allocators, host tsc */
    assert_int_equal(P.ncells, 8 + 2 + 4);
    struct hl_plan_cell c[14];
    hl_plan_cells(&P, c, 14);
    const char *want[][3] = {
        {"tsc", "slab", "lifo"}, {"tsc", "bump", "lifo"},
        {"instructions", "slab", "lifo"}, {"instructions", "bump", "lifo"},
        {"tsc", "slab", "fifo"}, {"tsc", "bump", "fifo"},
        {"instructions", "slab", "fifo"}, {"instructions", "bump", "fifo"},
        {"icount", "bump", "lifo"}, {"icount", "bump", "fifo"},
        {"tsc", "slab", "lifo"}, {"tsc", "bump", "lifo"},
        {"tsc", "slab", "lifo"}, {"tsc", "bump", "lifo"},
    };
    for (size_t i = 0; i < 14; i++) {
        assert_string_equal(arms[c[i].arm].clock, want[i][0]);
        assert_string_equal(CAND[c[i].cand].name, want[i][1]);
        assert_string_equal(c[i].w->name, want[i][2]);
        assert_int_equal(c[i].u.timed, c[i].arm == 0);
        assert_int_equal(c[i].u.launches, arms[c[i].arm].launches);
        assert_int_equal(c[i].reps, arms[c[i].arm].reps);
    }
    /* a callgrind launch is expected to take longer than a native one */
    assert_true(c[2].u.cost > c[0].u.cost);
}

/* Each refusal: one line naming the bad value. */
static void expect_refused(struct hl_plan_opts o, const char *needle)
{
    assert_int_equal(hl_plan_resolve(&P, &o), -1);
    if (!strstr(P.err, needle))
        fail_msg("error '%s' does not say '%s'", P.err, needle);
    assert_null(strchr(P.err, '\n'));
}

/* Allocator parameters: defaults in every cell, "A:k=v" words over them
 * in order; an allocator sweep gives one cell per (point, workload of the
 * family) in the first arm of each environment, after the workload
 * sweeps. */
static void allocator_params_and_sweep(void **st)
{
    (void)st;
    struct hl_plan_opts o = base_opts();
    const char *allocs[] = {"slab", "buddy"}, *wls[] = {"lifo", "fifo", "frames-churn"};
    const char *ap[] = {"slab:keep_empty=3", "slab:magazine=8"};
    const char *sw[] = {"slab:keep_empty=0,4,16"};
    struct hl_plan_arm arms[2] = {{"host", "tsc", 2, 3, true, HL_PLAN_COST_NATIVE, true},
                                  {"qemu", "icount", 1, 1, false, HL_PLAN_COST_EMULATED, false}};
    o.arms = arms, o.narms = 2;
    o.allocs = allocs, o.nallocs = 2, o.wls = wls, o.nwls = 3;
    o.aparams = ap, o.naparams = 2, o.sweeps = sw, o.nsweeps = 1;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    /* suite: 3 workloads x 1 allocator of its family x 2 envs; sweep:
     * 3 points x 2 heap workloads x 2 envs */
    assert_int_equal(P.ncells, 6 + 12);
    struct hl_plan_cell c[18];
    hl_plan_cells(&P, c, 18);
    char text[256];
    int slab = index_of("slab");
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(c[i].sweep, "");
        assert_false(c[i].sweep_alloc);
        const struct hl_allocator *a = hl_allocators[c[i].cand];
        hl_al_format(a, &c[i].aparams, text, sizeof text);
        assert_string_equal(text, (int)c[i].cand == slab
                                      ? "keep_empty=3,magazine=8,max_slab_order=6,lg_classes=1"
                                      : "max_order=18,pcp=32");
    }
    static const char *const want_env[] = {"host", "qemu"};
    static const uint64_t want_k[] = {0, 4, 16};
    for (size_t i = 6; i < 18; i++) {
        size_t j = i - 6; /* env, point, workload */
        assert_int_equal((int)c[i].cand, slab);
        assert_true(c[i].sweep_alloc);
        assert_string_equal(c[i].sweep, "keep_empty");
        assert_string_equal(arms[c[i].arm].env, want_env[j / 6]);
        assert_string_equal(c[i].w->name, wls[j % 2]);
        assert_int_equal(c[i].aparams.v[0], want_k[(j / 2) % 3]);
        assert_int_equal(c[i].aparams.v[1], 8); /* magazine=8 kept */
    }
    assert_int_equal(P.anpoints[0], 3);
}

static void refusals(void **st)
{
    (void)st;
    struct hl_plan_opts o = base_opts();
    const char *bad_alloc[] = {"slab", "nosuch"}, *twice[] = {"slab", "slab"};
    const char *bad_wl[] = {"nosuch"}, *lifo[] = {"lifo"}, *frames[] = {"frames-churn"};
    const char *slab[] = {"slab"};
    struct hl_plan_opts t = o;
    t.allocs = bad_alloc, t.nallocs = 2;
    expect_refused(t, "unknown allocator 'nosuch'");
    /* allocator parameters and sweeps */
    const char *ap_unknown[] = {"slab:keep_emty=0"}, *ap_range[] = {"slab:keep_empty=99999"};
    const char *ap_none[] = {"bump:x=1"}, *ap_absent[] = {"tlsf:x=1"};
    const char *bump[] = {"slab", "bump"};
    t = o, t.allocs = bump, t.nallocs = 2, t.aparams = ap_unknown, t.naparams = 1;
    expect_refused(t, "'slab:keep_emty=0' (unknown parameter at 'keep_emty=0'");
    t.aparams = ap_range;
    expect_refused(t, "'slab:keep_empty=99999' (value out of range at '99999'");
    t.aparams = ap_none;
    expect_refused(t, "allocator 'bump' has no parameters");
    t.aparams = ap_absent;
    expect_refused(t, "(no allocator 'tlsf' in this run)");
    const char *sw_key[] = {"slab:nosuch=1,2"}, *sw_range[] = {"slab:keep_empty=1,5000"};
    const char *sw_twice[] = {"slab:keep_empty=1,1"}, *sw_none[] = {"bump:x=1,2"};
    t = o, t.allocs = bump, t.nallocs = 2, t.sweeps = sw_key, t.nsweeps = 1;
    expect_refused(t, "(allocator 'slab' has no parameter 'nosuch'");
    t.sweeps = sw_range;
    expect_refused(t, "(5000: value out of range)");
    t.sweeps = sw_twice;
    expect_refused(t, "(1 named twice)");
    t.sweeps = sw_none;
    expect_refused(t, "(allocator 'bump' has no parameter 'x'");
    t = o, t.allocs = twice, t.nallocs = 2;
    expect_refused(t, "allocator 'slab' named twice");
    t = o, t.wls = bad_wl, t.nwls = 1;
    expect_refused(t, "unknown workload 'nosuch'");
    t = o, t.allocs = slab, t.nallocs = 1, t.wls = frames, t.nwls = 1;
    expect_refused(t, "share no family");
    const char *p_nocolon[] = {"lifo"}, *p_other[] = {"fifo:n=5"}, *p_bad[] = {"lifo:n=0"};
    t = o, t.wls = lifo, t.nwls = 1, t.params = p_nocolon, t.nparams = 1;
    expect_refused(t, "bad value for --params: 'lifo' (expected");
    t.params = p_other;
    expect_refused(t, "no workload 'fifo' in this run");
    t.params = p_bad;
    expect_refused(t, "bad value for --params: 'lifo:n=0'");
    const char *s_trail[] = {"lifo:n=5,"}, *s_twice[] = {"lifo:n=2,2"};
    const char *s_key[] = {"lifo:bogus=1"}, *s_two[] = {"lifo:n=2", "lifo:max=64"};
    const char *s_form[] = {"lifo:n"};
    t = o, t.wls = lifo, t.nwls = 1, t.sweeps = s_trail, t.nsweeps = 1;
    expect_refused(t, "empty value");
    t.sweeps = s_twice;
    expect_refused(t, "2 named twice");
    t.sweeps = s_key;
    expect_refused(t, "has no parameter 'bogus'");
    t.sweeps = s_two, t.nsweeps = 2;
    expect_refused(t, "is swept twice");
    t.sweeps = s_form, t.nsweeps = 1;
    expect_refused(t, "'lifo:n' (expected workload:key=v1,v2,...)");
    t.sweep_none = true;
    expect_refused(t, "'none' with other sweeps");
    t = o, t.opt_sweep = "sweep=", t.wls = lifo, t.nwls = 1, t.sweeps = s_twice, t.nsweeps = 1;
    expect_refused(t, "bad value for sweep=: 'lifo:n=2,2'");
}

/* --sweep none and named workloads: no default sweeps; suite off: the
 * sweep points only. */
static void sweeps_default_none_and_suite_off(void **st)
{
    (void)st;
    struct hl_plan_opts o = base_opts();
    o.sweep_none = true;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    for (size_t k = 0; k < P.nwls; k++)
        assert_int_equal(P.npoints[k], 0);
    const char *lifo[] = {"lifo"}, *sw[] = {"lifo:n=10,20,30"}, *bump[] = {"bump"};
    o = base_opts();
    o.wls = lifo, o.nwls = 1, o.allocs = bump, o.nallocs = 1;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    assert_int_equal(P.ncells, 1); /* workloads named: no default sweep */
    o.sweeps = sw, o.nsweeps = 1, o.no_suite = true;
    assert_int_equal(hl_plan_resolve(&P, &o), 0);
    assert_int_equal(P.ncells, 3);
}

/* ---- orders and shards --------------------------------------------------------- */

static uint64_t mix(uint64_t *s) { return hl_plan_mix(s); }

/* n units: some timed with 1..6 launches, some counting; costs spread
 * over three orders of magnitude. */
static size_t random_units(uint64_t *s, struct hl_plan_unit *u, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        u[i].timed = mix(s) % 4 != 0;
        u[i].launches = u[i].timed ? 1 + (uint32_t)(mix(s) % 6) : 1;
        u[i].cost = 1 + mix(s) % (mix(s) % 3 == 0 ? 1000000 : 1000);
        total += u[i].launches;
    }
    return total;
}

static void order_holds_every_launch_once(void **st)
{
    (void)st;
    uint64_t s = 7;
    for (int trial = 0; trial < 50; trial++) {
        struct hl_plan_unit u[40];
        size_t n = 1 + (size_t)(mix(&s) % 40);
        size_t total = random_units(&s, u, n);
        struct hl_plan_launch order[40 * 6], again[40 * 6];
        size_t m = hl_plan_order(u, n, trial, order);
        assert_int_equal(m, total);
        assert_int_equal(hl_plan_order(u, n, trial, again), m);
        assert_memory_equal(order, again, m * sizeof *order);
        unsigned seen[40][6] = {{0}};
        bool counting = false;
        uint32_t round = 0;
        for (size_t k = 0; k < m; k++) {
            const struct hl_plan_unit *x = &u[order[k].cell];
            assert_true(order[k].launch < x->launches);
            seen[order[k].cell][order[k].launch]++;
            /* rounds in increasing order, then the counting cells */
            if (!x->timed)
                counting = true;
            else {
                assert_false(counting);
                assert_true(order[k].launch >= round);
                round = order[k].launch;
            }
        }
        for (size_t i = 0; i < n; i++)
            for (uint32_t l = 0; l < u[i].launches; l++)
                assert_int_equal(seen[i][l], 1);
    }
}

static void shards_partition_and_balance(void **st)
{
    (void)st;
    uint64_t s = 11;
    for (int trial = 0; trial < 200; trial++) {
        struct hl_plan_unit u[64];
        size_t n = 1 + (size_t)(mix(&s) % 64);
        random_units(&s, u, n);
        struct hl_plan_launch order[64 * 6];
        size_t m = hl_plan_order(u, n, trial, order);
        uint32_t nshards = 1 + (uint32_t)(mix(&s) % 9);
        uint32_t of[64 * 6], of2[64 * 6], scratch[64 * 6];
        uint64_t load[9], load2[9];
        hl_plan_shard(u, order, m, nshards, of, scratch, load);
        hl_plan_shard(u, order, m, nshards, of2, scratch, load2);
        assert_memory_equal(of, of2, m * sizeof *of); /* deterministic */
        uint64_t sum[9] = {0}, total = 0, biggest = 0;
        for (size_t k = 0; k < m; k++) {
            assert_true(of[k] < nshards); /* each launch in exactly one */
            uint64_t c = u[order[k].cell].cost;
            sum[of[k]] += c;
            total += c;
            if (c > biggest)
                biggest = c;
        }
        uint64_t lo = UINT64_MAX, hi = 0, check = 0;
        for (uint32_t x = 0; x < nshards; x++) {
            assert_int_equal(sum[x], load[x]);
            check += sum[x];
            lo = sum[x] < lo ? sum[x] : lo;
            hi = sum[x] > hi ? sum[x] : hi;
        }
        assert_int_equal(check, total);
        /* greedy longest-first: no shard exceeds another by more than the
         * longest launch */
        assert_true(hi - lo <= biggest);
    }
}

/* Equal costs: the count splits evenly. */
static void equal_costs_split_evenly(void **st)
{
    (void)st;
    struct hl_plan_unit u[10];
    for (int i = 0; i < 10; i++)
        u[i] = (struct hl_plan_unit){3, true, 100};
    struct hl_plan_launch order[30];
    size_t m = hl_plan_order(u, 10, 1, order);
    uint32_t of[30], scratch[30], count[4] = {0};
    uint64_t load[4];
    hl_plan_shard(u, order, m, 4, of, scratch, load);
    for (size_t k = 0; k < m; k++)
        count[of[k]]++;
    for (int x = 0; x < 4; x++)
        assert_true(count[x] == 7 || count[x] == 8);
}

static void hash_separates_fields(void **st)
{
    (void)st;
    uint64_t a = hl_plan_hash(hl_plan_hash(HL_PLAN_HASH0, "ab"), "c");
    uint64_t b = hl_plan_hash(hl_plan_hash(HL_PLAN_HASH0, "a"), "bc");
    assert_true(a != b);
    assert_true(hl_plan_hash(HL_PLAN_HASH0, "x") == hl_plan_hash(HL_PLAN_HASH0, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_suite),
        cmocka_unit_test(named_params_and_sweep),
        cmocka_unit_test(arms_and_admission),
        cmocka_unit_test(allocator_params_and_sweep),
        cmocka_unit_test(refusals),
        cmocka_unit_test(sweeps_default_none_and_suite_off),
        cmocka_unit_test(order_holds_every_launch_once),
        cmocka_unit_test(shards_partition_and_balance),
        cmocka_unit_test(equal_costs_split_evenly),
        cmocka_unit_test(hash_separates_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
