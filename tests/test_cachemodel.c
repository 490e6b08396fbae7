/*
 * test_cachemodel.c — the cache model (bench/core/cachemodel.h) against
 * hit/miss sequences computed by hand on tiny caches: LRU order in one
 * set, conflict misses, line-crossing accesses, a working set that fits
 * L1 vs one that only fits L2, inclusive back-invalidation (and its
 * absence when non-inclusive), the dTLB, the cycle formula, the presets
 * and the refusal of bad geometries.
 */
#include <stdlib.h>
#include <string.h>

#include "bench/core/cachemodel.h"
#include "tests/testlib.h"

static struct hl_cm *make(const struct hl_cm_config *cfg)
{
    struct hl_cm_error err = {0};
    size_t bytes = hl_cm_size(cfg);
    void *buf = tl_region(bytes, 8);
    struct hl_cm *m = hl_cm_init(buf, bytes, cfg, &err);
    if (!m)
        fail_msg("hl_cm_init: %s %s=%llu: %s", err.level, err.field,
                 (unsigned long long)err.value, err.msg);
    return m;
}

/* A tiny L1d-only model: 64-byte lines, `sets` sets of `ways` ways. */
static struct hl_cm_config tiny(uint32_t sets, uint32_t ways)
{
    struct hl_cm_config c = {.name = "tiny"};
    c.level[HL_CM_L1D] = (struct hl_cm_geom){64, sets, ways, 4};
    c.dram_cycles = 100;
    return c;
}

/* Load addr (8 bytes); true if L1d hit. */
static bool load_hits(struct hl_cm *m, uint64_t addr)
{
    uint64_t before = m->n.misses[HL_CM_L1D][HL_CM_LOAD];
    hl_cm_access(m, addr, 8, false);
    return m->n.misses[HL_CM_L1D][HL_CM_LOAD] == before;
}

static void lru_order_in_one_set(void **state)
{
    (void)state;
    struct hl_cm_config cfg = tiny(2, 2); /* set 0: lines 0, 2, 4 -> 0, 128, 256 */
    struct hl_cm *m = make(&cfg);
    const uint64_t A = 0, B = 128, C = 256;
    assert_false(load_hits(m, A)); /* [A] */
    assert_false(load_hits(m, B)); /* [B A] */
    assert_true(load_hits(m, A));  /* [A B] */
    assert_false(load_hits(m, C)); /* [C A], B evicted: the LRU */
    assert_true(load_hits(m, A));  /* [A C] */
    assert_false(load_hits(m, B)); /* [B A], C evicted */
    assert_true(load_hits(m, A));
    assert_false(load_hits(m, C));
    /* set 1 (line 1 = addr 64) untouched by all this */
    assert_false(load_hits(m, 64));
    assert_true(load_hits(m, 64));
    assert_int_equal(m->n.loads, 10);
    assert_int_equal(m->n.lookups[HL_CM_L1D][HL_CM_LOAD], 10);
    assert_int_equal(m->n.misses[HL_CM_L1D][HL_CM_LOAD], 6);
    tl_free(m);
}

static void conflict_misses(void **state)
{
    (void)state;
    /* 4 sets x 2 ways = 8 lines = 512 bytes, yet three lines 256 bytes
     * apart (same set) cycled under LRU miss every time. */
    struct hl_cm_config cfg = tiny(4, 2);
    struct hl_cm *m = make(&cfg);
    for (int round = 0; round < 3; round++)
        for (uint64_t a = 0; a < 3 * 256; a += 256)
            assert_false(load_hits(m, a));
    /* two of them fit */
    assert_false(load_hits(m, 1024));
    assert_false(load_hits(m, 1280));
    assert_true(load_hits(m, 1024));
    assert_true(load_hits(m, 1280));
    assert_int_equal(hl_cm_misses(&m->n, HL_CM_L1D), 11);
    tl_free(m);
}

static void line_crossing(void **state)
{
    (void)state;
    struct hl_cm_config cfg = tiny(4, 2);
    struct hl_cm *m = make(&cfg);
    hl_cm_access(m, 60, 8, true); /* bytes 60..67: lines 0 and 1 */
    assert_int_equal(m->n.stores, 1);
    assert_int_equal(m->n.lookups[HL_CM_L1D][HL_CM_STORE], 2);
    assert_int_equal(m->n.misses[HL_CM_L1D][HL_CM_STORE], 2);
    assert_true(load_hits(m, 56));  /* line 0 */
    assert_true(load_hits(m, 64));  /* line 1 */
    hl_cm_access(m, 120, 8, false); /* 120..127: line 1 only */
    assert_int_equal(m->n.lookups[HL_CM_L1D][HL_CM_LOAD], 3);
    hl_cm_access(m, 127, 2, false); /* 127..128: lines 1 and 2 */
    assert_int_equal(m->n.lookups[HL_CM_L1D][HL_CM_LOAD], 5);
    assert_int_equal(m->n.misses[HL_CM_L1D][HL_CM_LOAD], 1);
    assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 3);
    tl_free(m);
}

/* L1d 512 B (4 sets x 2 ways), L2 2 KiB (16 sets x 2 ways), no LLC. */
static struct hl_cm_config two_levels(void)
{
    struct hl_cm_config c = tiny(4, 2);
    c.level[HL_CM_L2] = (struct hl_cm_geom){64, 16, 2, 12};
    return c;
}

static void stride_passes(struct hl_cm *m, uint64_t bytes, int passes)
{
    for (int p = 0; p < passes; p++)
        for (uint64_t a = 0; a < bytes; a += 64)
            hl_cm_access(m, 0x10000 + a, 8, false);
}

static void fits_l1_vs_fits_l2(void **state)
{
    (void)state;
    struct hl_cm_config cfg = two_levels();
    struct hl_cm *m = make(&cfg);
    /* 512 B: 8 cold misses, then 8 L1 hits */
    stride_passes(m, 512, 2);
    assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 8);
    assert_int_equal(m->n.served[0][HL_CM_BY_L1], 8);
    assert_int_equal(m->n.served[0][HL_CM_BY_L2], 0);
    tl_free(m);

    m = make(&cfg);
    /* 1 KiB: 16 lines, 4 per L1 set of 2 ways: a sequential sweep misses
     * L1 every time (LRU), but fits L2 (1 per L2 set): second pass all
     * L2 hits. */
    stride_passes(m, 1024, 2);
    assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 16);
    assert_int_equal(m->n.served[0][HL_CM_BY_L2], 16);
    assert_int_equal(m->n.served[0][HL_CM_BY_L1], 0);
    assert_int_equal(m->n.misses[HL_CM_L1D][HL_CM_LOAD], 32);
    assert_int_equal(m->n.lookups[HL_CM_L2][HL_CM_LOAD], 32);
    assert_int_equal(m->n.misses[HL_CM_L2][HL_CM_LOAD], 16);
    /* 4 KiB does not fit L2 either: all DRAM (from cold) */
    hl_cm_flush(m);
    stride_passes(m, 4096, 2);
    assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 128);
    tl_free(m);
}

/* L1d 1 set x 2 ways, LLC 1 set x 2 ways, no L2. */
static struct hl_cm_config l1_llc(bool inclusive)
{
    struct hl_cm_config c = tiny(1, 2);
    c.level[HL_CM_LLC] = (struct hl_cm_geom){64, 1, 2, 40};
    c.inclusive_llc = inclusive;
    return c;
}

static void inclusive_back_invalidation(void **state)
{
    (void)state;
    const uint64_t A = 0, B = 64, C = 128;
    for (int inclusive = 0; inclusive < 2; inclusive++) {
        struct hl_cm_config cfg = l1_llc(inclusive);
        struct hl_cm *m = make(&cfg);
        assert_false(load_hits(m, A)); /* L1 [A]    LLC [A] */
        assert_false(load_hits(m, B)); /* L1 [B A]  LLC [B A] */
        assert_true(load_hits(m, A));  /* L1 [A B]  LLC [B A]: not seen */
        assert_false(load_hits(m, C)); /* L1 [C A]  LLC [C B], A evicted */
        if (inclusive) {
            /* ...and removed from L1: L1 [C] */
            assert_int_equal(m->n.back_invalidations, 1);
            assert_false(load_hits(m, A));
            assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 4);
        } else {
            assert_int_equal(m->n.back_invalidations, 0);
            assert_true(load_hits(m, A));
            assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 3);
        }
        tl_free(m);
    }
}

static void dtlb(void **state)
{
    (void)state;
    struct hl_cm_config cfg = tiny(64, 8);
    cfg.level[HL_CM_DTLB] = (struct hl_cm_geom){4096, 1, 2, 0};
    struct hl_cm *m = make(&cfg);
    const uint64_t page[] = {0, 1, 0, 2, 1};
    const bool miss[] = {true, true, false, true, true}; /* 2 evicts 1 */
    for (unsigned i = 0; i < 5; i++) {
        uint64_t before = hl_cm_misses(&m->n, HL_CM_DTLB);
        hl_cm_access(m, page[i] * 4096 + 16, 4, false);
        assert_int_equal(hl_cm_misses(&m->n, HL_CM_DTLB) - before, miss[i]);
    }
    /* TLB now [1 2]: a 2-byte access at 8191 touches pages 1 and 2 */
    hl_cm_access(m, 8191, 2, true);
    assert_int_equal(m->n.lookups[HL_CM_DTLB][HL_CM_STORE], 2);
    assert_int_equal(m->n.misses[HL_CM_DTLB][HL_CM_STORE], 0);
    tl_free(m);
}

static void cycle_formula(void **state)
{
    (void)state;
    struct hl_cm_config cfg = tiny(4, 2);
    cfg.level[HL_CM_L2] = (struct hl_cm_geom){64, 16, 2, 12};
    cfg.level[HL_CM_LLC] = (struct hl_cm_geom){64, 64, 4, 40};
    cfg.level[HL_CM_DTLB] = (struct hl_cm_geom){4096, 4, 4, 0};
    cfg.dram_cycles = 200;
    cfg.dtlb_miss_cycles = 10;
    struct hl_cm *m = make(&cfg);
    hl_cm_fetch(m, 0x400000, 3); /* no L1i: 1 cycle each */
    hl_cm_fetch(m, 0x400003, 5);
    hl_cm_fetch(m, 0x400008, 2);
    hl_cm_access(m, 0, 8, false);  /* dTLB miss (10) + DRAM (200) */
    hl_cm_access(m, 8, 8, true);   /* L1 (4) */
    hl_cm_access(m, 0, 8, false);  /* L1 (4) */
    assert_int_equal(hl_cm_cycles(m, &m->n), 3 + 10 + 200 + 4 + 4);
    /* push line 0 out of L1 (set 0: lines 0, 4, 8), it stays in L2 */
    hl_cm_access(m, 256, 8, false); /* DRAM 200 */
    hl_cm_access(m, 512, 8, false); /* DRAM 200 */
    hl_cm_reset_counts(m);
    hl_cm_access(m, 0, 8, false);   /* L2 (12), TLB hit */
    assert_int_equal(hl_cm_cycles(m, &m->n), 12);
    tl_free(m);

    /* with an L1i: a miss costs the serving level, a hit nothing extra */
    cfg.level[HL_CM_L1I] = (struct hl_cm_geom){64, 4, 2, 0};
    m = make(&cfg);
    hl_cm_fetch(m, 0x400000, 3);  /* L1i miss, DRAM */
    hl_cm_fetch(m, 0x400003, 5);  /* hit */
    hl_cm_fetch(m, 0x40003e, 4);  /* crosses into the next line: one miss */
    assert_int_equal(m->n.instructions, 3);
    assert_int_equal(m->n.misses[HL_CM_L1I][HL_CM_FETCH], 2);
    assert_int_equal(hl_cm_cycles(m, &m->n), 3 + 200 + 200);
    tl_free(m);
}

static void presets(void **state)
{
    (void)state;
    const char *names[] = {"skylake-client", "zen3"};
    for (unsigned i = 0; i < 2; i++) {
        const struct hl_cm_config *p = hl_cm_preset(names[i]);
        assert_non_null(p);
        assert_string_equal(p->name, names[i]);
        assert_true(hl_cm_config_check(p, NULL));
        const struct hl_cm_geom *l1 = &p->level[HL_CM_L1D];
        assert_int_equal((uint64_t)l1->line_bytes * l1->sets * l1->ways, 32 * 1024);
        struct hl_cm *m = make(p);
        hl_cm_access(m, 0x1000, 8, false);
        hl_cm_access(m, 0x1000, 8, false);
        assert_int_equal(m->n.served[0][HL_CM_BY_DRAM], 1);
        assert_int_equal(m->n.served[0][HL_CM_BY_L1], 1);
        tl_free(m);
    }
    const struct hl_cm_config *sky = hl_cm_preset("skylake-client");
    assert_int_equal((uint64_t)sky->level[HL_CM_LLC].sets * sky->level[HL_CM_LLC].ways * 64,
                     8u << 20);
    assert_true(sky->inclusive_llc);
    assert_int_equal((uint64_t)hl_cm_preset("zen3")->level[HL_CM_L2].sets *
                         hl_cm_preset("zen3")->level[HL_CM_L2].ways * 64,
                     512u << 10);
    assert_null(hl_cm_preset("skylake"));
    assert_null(hl_cm_preset(""));
    assert_non_null(hl_cm_preset_at(0));
    assert_non_null(hl_cm_preset_at(1));
    assert_null(hl_cm_preset_at(2));
}

static void refuses_bad_geometry(void **state)
{
    (void)state;
    struct hl_cm_error err = {0};
    struct hl_cm_config c = tiny(3, 2);
    assert_false(hl_cm_config_check(&c, &err));
    assert_string_equal(err.level, "L1d");
    assert_string_equal(err.field, "sets");
    assert_int_equal(err.value, 3);
    char buf[4096] __attribute__((aligned(8)));
    assert_null(hl_cm_init(buf, sizeof buf, &c, &err));

    c = tiny(4, 2);
    c.level[HL_CM_L2] = (struct hl_cm_geom){96, 16, 2, 12};
    assert_false(hl_cm_config_check(&c, &err));
    assert_string_equal(err.level, "L2");
    assert_string_equal(err.field, "line_bytes");
    assert_int_equal(err.value, 96);

    c = tiny(4, 0);
    assert_false(hl_cm_config_check(&c, &err));
    assert_string_equal(err.field, "ways");

    struct hl_cm_config none = {.name = "empty"};
    assert_false(hl_cm_config_check(&none, &err));
    assert_string_equal(err.level, "L1d");

    c = tiny(4, 2);
    assert_null(hl_cm_init(buf, 16, &c, &err)); /* buffer too small */
    assert_string_equal(err.field, "bytes");

    /* from hwloc-style numbers */
    struct hl_cm_geom g;
    assert_true(hl_cm_geom_from_size(48 * 1024, 64, 12, 5, &g, &err)); /* 12-way */
    assert_int_equal(g.sets, 64);
    assert_int_equal(g.ways, 12);
    assert_true(hl_cm_geom_from_size(8u << 20, 64, 16, 42, &g, &err));
    assert_int_equal(g.sets, 8192);
    assert_false(hl_cm_geom_from_size(3000, 64, 8, 4, &g, &err));
    assert_string_equal(err.field, "size_bytes");
    assert_false(hl_cm_geom_from_size(24 * 1024, 64, 4, 4, &g, &err)); /* 96 sets */
    assert_string_equal(err.field, "sets");
    assert_int_equal(err.value, 96);
    assert_false(hl_cm_geom_from_size(32 * 1024, 48, 8, 4, &g, &err));
    assert_string_equal(err.field, "line_bytes");
}

static void reset_keeps_contents_flush_empties(void **state)
{
    (void)state;
    struct hl_cm_config cfg = tiny(4, 2);
    struct hl_cm *m = make(&cfg);
    assert_false(load_hits(m, 0));
    hl_cm_reset_counts(m);
    assert_int_equal(m->n.loads, 0);
    assert_true(load_hits(m, 0));
    hl_cm_flush(m);
    assert_false(load_hits(m, 0));
    tl_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lru_order_in_one_set),
        cmocka_unit_test(conflict_misses),
        cmocka_unit_test(line_crossing),
        cmocka_unit_test(fits_l1_vs_fits_l2),
        cmocka_unit_test(inclusive_back_invalidation),
        cmocka_unit_test(dtlb),
        cmocka_unit_test(cycle_formula),
        cmocka_unit_test(presets),
        cmocka_unit_test(refuses_bad_geometry),
        cmocka_unit_test(reset_keeps_contents_flush_empties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
