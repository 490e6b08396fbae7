/*
 * test_bitmap.c — bitmap-seed's and bitmap-fast's own rules: the summary
 * levels, identical first-fit placement, runs across word boundaries,
 * exhaustion, reserve, the checked-build detections, poison, and a check()
 * that finds exactly the corruption planted.  (The generic conformance
 * suite covers the interface contract.)
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "tests/testlib.h"

#include <string.h>
#include <sys/mman.h>

#include "allocators/bitmap_fast.h"
#include "allocators/bitmap_seed.h"
#include "allocators/util.h"

static const struct hl_allocator *const both[] = {&hl_bitmap_seed, &hl_bitmap_fast};

/* splitmix64: a fixed-width PRNG, same bits everywhere. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static uint32_t rng_below(uint64_t *s, uint32_t n) { return (uint32_t)(rng_next(s) % n); }

/* An allocator over a region of `bytes`, set up. */
struct inst {
    const struct hl_allocator *a;
    void *state;
    uint8_t *region;
    size_t region_bytes;
};

static struct inst inst_make(const struct hl_allocator *a, size_t bytes)
{
    struct inst in = {a, tl_state(a), NULL, bytes};
    in.region = tl_region(bytes, HL_FRAME_BYTES);
    memset(in.region, 0x5A, bytes);
    assert_int_equal(hl_al_init(a, in.state, in.region, bytes, NULL), HL_OK);
    return in;
}

static void inst_drop(struct inst *in)
{
    tl_free(in->state);
    tl_free(in->region);
}

/* Both states start with a struct bmp_core (static-asserted in the .c). */
static struct bmp_core *core_of(const struct inst *in) { return (struct bmp_core *)in->state; }

static uint32_t pfn_of(const struct inst *in, const void *p)
{
    uint32_t pfn = UINT32_MAX;
    assert_true(bmp_core_addr_pfn(core_of(in), (uintptr_t)p, &pfn));
    return pfn;
}

/* Summary bits recomputed from scratch, independent of bmp_fast_check. */
static void assert_summary_exact(const struct bmp_fast *b)
{
    assert_true(b->level[0] == b->core.used);
    assert_int_equal(b->level_words[b->nlevels - 1], 1);
    for (uint32_t k = 1; k < b->nlevels; k++) {
        assert_int_equal(b->level_words[k], (b->level_words[k - 1] + 31) / 32);
        for (uint32_t i = 0; i < b->level_words[k] * 32; i++) {
            bool full = i >= b->level_words[k - 1] || b->level[k - 1][i] == UINT32_MAX;
            bool bit = (b->level[k][i / 32] >> (i % 32)) & 1u;
            if (bit != full)
                fail_msg("level %u bit %u is %d, word below full=%d", k, i, bit, full);
        }
    }
}

/* ---- summary levels ------------------------------------------------------- */

static void fast_summary_consistent_after_random_ops(void **state)
{
    (void)state;
    tl_reports_fail();
    /* 40000 frames: 1250 level-0 words, 40 level-1, 2 level-2, 1 level-3. */
    size_t bytes = (size_t)40100 * HL_FRAME_BYTES;
    struct inst in = inst_make(&hl_bitmap_fast, bytes);
    struct bmp_fast *b = in.state;
    assert_int_equal(b->nlevels, 4);
    enum { SLOTS = 512 };
    void *ptr[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint64_t rng = 42;
    for (int op = 0; op < 6000; op++) {
        uint32_t s = rng_below(&rng, SLOTS);
        if (ptr[s]) {
            assert_int_equal(in.a->free(in.state, ptr[s], len[s]), HL_OK);
            ptr[s] = NULL;
        } else {
            /* Mostly big runs so words fill and empty often. */
            len[s] = (size_t)(1 + rng_below(&rng, 200)) * HL_FRAME_BYTES - rng_below(&rng, 100);
            ptr[s] = in.a->alloc(in.state, len[s]);
        }
        if (op % 97 == 0) {
            tl_assert_check(in.a, in.state);
            assert_summary_exact(b);
        }
    }
    tl_assert_check(in.a, in.state);
    assert_summary_exact(b);
    for (uint32_t s = 0; s < SLOTS; s++)
        if (ptr[s])
            assert_int_equal(in.a->free(in.state, ptr[s], len[s]), HL_OK);
    assert_summary_exact(b);
    /* Everything free again: every summary bit is clear but the tails. */
    assert_int_equal(b->level[1][0], 0);
    inst_drop(&in);
}

/* 99 % of 2^20 frames reserved (the remaining 1 % spread as holes every
 * 100 frames): bitmap-fast finds each hole in order, then fails, then
 * finds a freed hole again.  (Level 3 checks everything after every op,
 * O(nframes) each: it gets 2^16 frames.) */
static void fast_finds_holes_at_99_percent(void **state)
{
    (void)state;
    tl_reports_fail();
    const uint32_t nframes = HL_CHECK_LEVEL >= 3 ? (uint32_t)1 << 16 : (uint32_t)1 << 20;
    /* 4 bitmaps at level >= 2, 128 KiB each for 2^20 frames, < 160 frames */
    size_t bytes = ((size_t)nframes + 160) * HL_FRAME_BYTES;
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(region != MAP_FAILED);
    struct bmp_fast *b = tl_state(&hl_bitmap_fast);
    assert_int_equal(bmp_fast_init(b, region, bytes), HL_OK);
    uint32_t n = bmp_fast_nframes(b);
    assert_true(n >= nframes);
    for (uint32_t f = 0; f < n; f += 100) {
        /* Reserve [f + 1, f + 100): frame f stays free. */
        bmp_pfn first = {f + 1};
        size_t want = HL_MIN((size_t)99, (size_t)(n - f - 1));
        if (want)
            assert_int_equal(bmp_fast_reserve_range(b, bmp_fast_frame_addr(b, first),
                                                    want * HL_FRAME_BYTES),
                             want);
    }
    tl_assert_check(&hl_bitmap_fast, b);
    assert_summary_exact(b);
    uint32_t holes = (n + 99) / 100;
    for (uint32_t h = 0; h < holes; h++) {
        bmp_pfn p;
        assert_true(bmp_fast_alloc_pfn(b, &p));
        assert_int_equal(p.idx, h * 100);
    }
    bmp_pfn p;
    assert_false(bmp_fast_alloc_pfn(b, &p));
    bmp_pfn mid = {(holes / 2) * 100};
    assert_int_equal(bmp_fast_free_pfn(b, mid), HL_OK);
    assert_true(bmp_fast_alloc_pfn(b, &p));
    assert_int_equal(p.idx, mid.idx);
    /* No run of 2 anywhere. */
    assert_false(bmp_fast_alloc_run_pfn(b, 2, &p));
    tl_assert_check(&hl_bitmap_fast, b);
    assert_summary_exact(b);
    tl_free(b);
    munmap(region, bytes);
}

/* ---- same placement -------------------------------------------------------- */

/* A seed and a fast allocator with the same frame count: the fast one's
 * region grows by whole frames until its larger metadata is paid for. */
static void make_twins(size_t seed_bytes, struct inst *s, struct inst *f)
{
    *s = inst_make(&hl_bitmap_seed, seed_bytes);
    uint32_t n = bmp_seed_nframes(s->state);
    for (size_t extra = 0;; extra += HL_FRAME_BYTES) {
        *f = inst_make(&hl_bitmap_fast, seed_bytes + extra);
        if (bmp_fast_nframes(f->state) == n)
            return;
        assert_true(bmp_fast_nframes(f->state) < n);
        inst_drop(f);
    }
}

static void seed_and_fast_place_identically(void **state)
{
    (void)state;
    tl_reports_fail();
    struct inst s, f;
    make_twins((size_t)3001 * HL_FRAME_BYTES, &s, &f);
    enum { SLOTS = 700 };
    void *ps[SLOTS] = {0}, *pf[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint64_t rng = 7;
    unsigned fails = 0, allocs = 0;
    for (int op = 0; op < 20000; op++) {
        uint32_t k = rng_below(&rng, SLOTS);
        if (ps[k]) {
            assert_int_equal(s.a->free(s.state, ps[k], len[k]), HL_OK);
            assert_int_equal(f.a->free(f.state, pf[k], len[k]), HL_OK);
            ps[k] = pf[k] = NULL;
            continue;
        }
        /* Half single frames, half runs up to 40 frames (some exactly a
         * word, some crossing words). */
        uint32_t r = rng_below(&rng, 4);
        len[k] = r < 2 ? 1 + rng_below(&rng, HL_FRAME_BYTES)
                       : (size_t)rng_below(&rng, 40 * HL_FRAME_BYTES) + 1;
        ps[k] = s.a->alloc(s.state, len[k]);
        pf[k] = f.a->alloc(f.state, len[k]);
        assert_int_equal(ps[k] == NULL, pf[k] == NULL);
        if (!ps[k]) {
            fails++;
            continue;
        }
        allocs++;
        assert_int_equal(pfn_of(&s, ps[k]), pfn_of(&f, pf[k]));
        if (op % 500 == 0) {
            struct hl_stats a, b;
            s.a->stats(s.state, &a);
            f.a->stats(f.state, &b);
            assert_int_equal(a.live_bytes, b.live_bytes);
            assert_int_equal(a.held_bytes - a.meta_bytes, b.held_bytes - b.meta_bytes);
            assert_int_equal(a.largest_free_bytes, b.largest_free_bytes);
            tl_assert_check(s.a, s.state);
            tl_assert_check(f.a, f.state);
        }
    }
    /* The sequence reached exhaustion, so NULL agreed there too. */
    assert_true(fails > 10);
    assert_true(allocs > 5000);
    /* The pfn views agree too. */
    bmp_pfn a, b;
    for (int i = 0; i < 50; i++) {
        bool oka = bmp_seed_alloc_run_pfn(s.state, 1 + (size_t)i % 5, &a);
        bool okb = bmp_fast_alloc_run_pfn(f.state, 1 + (size_t)i % 5, &b);
        assert_int_equal(oka, okb);
        if (oka)
            assert_int_equal(a.idx, b.idx);
    }
    inst_drop(&s);
    inst_drop(&f);
}

/* ---- runs at word boundaries ------------------------------------------------ */

static size_t reserve(const struct inst *in, uint32_t first, uint32_t n)
{
    uintptr_t addr = bmp_core_frame_addr(core_of(in), first);
    size_t bytes = (size_t)n * HL_FRAME_BYTES;
    return in->a == &hl_bitmap_seed ? bmp_seed_reserve_range(in->state, addr, bytes)
                                    : bmp_fast_reserve_range(in->state, addr, bytes);
}

static uint32_t alloc_frames(const struct inst *in, uint32_t n)
{
    void *p = in->a->alloc(in->state, (size_t)n * HL_FRAME_BYTES);
    return p ? pfn_of(in, p) : UINT32_MAX;
}

static void free_frames(const struct inst *in, uint32_t pfn, uint32_t n)
{
    void *p = (void *)bmp_core_frame_addr(core_of(in), pfn);
    assert_int_equal(in->a->free(in->state, p, (size_t)n * HL_FRAME_BYTES), HL_OK);
}

static void runs_at_word_boundaries(void **state)
{
    (void)state;
    tl_reports_fail();
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)257 * HL_FRAME_BYTES);
        assert_int_equal(core_of(&in)->nframes, 256);
        /* Holes [30, 34) (across words 0/1), [60, 124) (words 1..3,
         * unaligned) and [160, 256) (three whole words, to the end). */
        assert_int_equal(reserve(&in, 0, 30), 30);
        assert_int_equal(reserve(&in, 34, 26), 26);
        assert_int_equal(reserve(&in, 124, 36), 36);
        assert_int_equal(reserve(&in, 0, 30), 0); /* already used: no change */
        assert_int_equal(alloc_frames(&in, 5), 60);
        assert_int_equal(alloc_frames(&in, 4), 30);
        assert_int_equal(alloc_frames(&in, 59), 65);
        assert_int_equal(alloc_frames(&in, 97), UINT32_MAX);
        assert_int_equal(alloc_frames(&in, 96), 160);
        assert_int_equal(alloc_frames(&in, 1), UINT32_MAX);
        free_frames(&in, 60, 5);
        assert_int_equal(alloc_frames(&in, 6), UINT32_MAX);
        assert_int_equal(alloc_frames(&in, 5), 60);
        tl_assert_check(in.a, in.state);
        free_frames(&in, 30, 4);
        free_frames(&in, 60, 5);
        free_frames(&in, 65, 59);
        free_frames(&in, 160, 96);
        /* Word-sized runs at and across word boundaries. */
        assert_int_equal(alloc_frames(&in, 32), 60);  /* 60..91: words 1, 2 */
        assert_int_equal(alloc_frames(&in, 32), 92);  /* 92..123 */
        assert_int_equal(alloc_frames(&in, 64), 160); /* words 5, 6 */
        assert_int_equal(alloc_frames(&in, 33), UINT32_MAX);
        assert_int_equal(alloc_frames(&in, 32), 224); /* word 7 exactly */
        assert_int_equal(alloc_frames(&in, 1), 30);
        tl_assert_check(in.a, in.state);
        struct hl_stats st;
        in.a->stats(in.state, &st);
        assert_int_equal(st.largest_free_bytes, 3 * HL_FRAME_BYTES); /* 31..33 */
        assert_int_equal(st.free_bytes, 3 * HL_FRAME_BYTES);
        inst_drop(&in);
    }
}

/* ---- exhaustion, recovery, absurd requests ------------------------------------ */

static void exhaustion_and_recovery(void **state)
{
    (void)state;
    tl_reports_fail();
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)301 * HL_FRAME_BYTES + 123);
        struct hl_stats init_st, st;
        in.a->stats(in.state, &init_st);
        uint32_t n = core_of(&in)->nframes;
        assert_int_equal(n, 300);
        assert_int_equal(init_st.free_bytes, (size_t)n * HL_FRAME_BYTES);
        assert_int_equal(init_st.largest_free_bytes, init_st.free_bytes);
        assert_int_equal(init_st.meta_bytes, HL_FRAME_BYTES + 123);
        static void *p[300];
        for (uint32_t k = 0; k < n; k++) {
            p[k] = in.a->alloc(in.state, k % 3 == 0 ? 0 : k);
            assert_non_null(p[k]);
            assert_int_equal(pfn_of(&in, p[k]), k);
        }
        assert_null(in.a->alloc(in.state, 1));
        assert_null(in.a->alloc(in.state, 0));
        in.a->stats(in.state, &st);
        assert_int_equal(st.failed_allocs, 2);
        assert_int_equal(st.free_bytes, 0);
        assert_int_equal(st.largest_free_bytes, 0);
        tl_assert_stats_sane(in.a, in.state);
        /* Free in a scrambled order. */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t j = (k * 7) % n;
            assert_int_equal(in.a->free(in.state, p[j], j % 3 == 0 ? 0 : j), HL_OK);
        }
        in.a->stats(in.state, &st);
        assert_int_equal(st.live_bytes, 0);
        assert_int_equal(st.live_blocks, 0);
        assert_int_equal(st.held_bytes, init_st.held_bytes);
        assert_int_equal(st.free_bytes, init_st.free_bytes);
        assert_int_equal(st.largest_free_bytes, init_st.largest_free_bytes);
        /* The whole region as one run, then nothing. */
        void *all = in.a->alloc(in.state, (size_t)n * HL_FRAME_BYTES);
        assert_int_equal(pfn_of(&in, all), 0);
        assert_null(in.a->alloc(in.state, 1));
        assert_int_equal(in.a->free(in.state, all, (size_t)n * HL_FRAME_BYTES), HL_OK);
        tl_assert_check(in.a, in.state);
        inst_drop(&in);
    }
}

static void absurd_requests_fail_cleanly(void **state)
{
    (void)state;
    tl_reports_fail();
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)65 * HL_FRAME_BYTES);
        const size_t sizes[] = {SIZE_MAX, SIZE_MAX - HL_FRAME_BYTES + 2,
                                (size_t)65 * HL_FRAME_BYTES, (size_t)64 * HL_FRAME_BYTES + 1};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            assert_null(in.a->alloc(in.state, sizes[k]));
        bmp_pfn p = {99};
        bool ok = in.a == &hl_bitmap_seed ? bmp_seed_alloc_run_pfn(in.state, SIZE_MAX, &p)
                                          : bmp_fast_alloc_run_pfn(in.state, SIZE_MAX, &p);
        assert_false(ok);
        assert_int_equal(p.idx, 99);
        struct hl_stats st;
        in.a->stats(in.state, &st);
        assert_int_equal(st.failed_allocs, 5);
        assert_int_equal(st.live_blocks, 0);
        assert_non_null(in.a->alloc(in.state, (size_t)64 * HL_FRAME_BYTES));
        tl_assert_check(in.a, in.state);
        inst_drop(&in);
    }
}

static void init_refuses_regions_without_a_frame(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        void *st = tl_state(both[i]);
        uint8_t *r = tl_region(3 * HL_FRAME_BYTES, HL_FRAME_BYTES);
        assert_int_equal(hl_al_init(both[i], st, r, 0, NULL), HL_E_REGION);
        assert_int_equal(hl_al_init(both[i], st, r, HL_FRAME_BYTES, NULL), HL_E_REGION);
        /* Misaligned by one byte: the first frame boundary is r + 4096. */
        assert_int_equal(hl_al_init(both[i], st, r + 1, 2 * HL_FRAME_BYTES - 2, NULL), HL_E_REGION);
        assert_int_equal(hl_al_init(both[i], st, r + 1, 2 * HL_FRAME_BYTES - 1, NULL), HL_OK);
        assert_int_equal(((struct bmp_core *)st)->nframes, 1);
        assert_true(((struct bmp_core *)st)->frames_addr == (uintptr_t)r + HL_FRAME_BYTES);
        struct hl_stats s;
        both[i]->stats(st, &s);
        assert_int_equal(s.meta_bytes, HL_FRAME_BYTES - 1);
        assert_int_equal(s.free_bytes, HL_FRAME_BYTES);
        tl_free(r);
        tl_free(st);
    }
}

/* The pfn view: reserve clips to the managed frames, and reserved frames
 * are never handed out nor freeable. */
static void reserve_range_and_pfn_view(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)41 * HL_FRAME_BYTES);
        struct bmp_core *c = core_of(&in);
        tl_reports_fail();
        /* From inside the metadata page into frame 1: frames 0 and 1. */
        size_t got = in.a == &hl_bitmap_seed
                         ? bmp_seed_reserve_range(in.state, (uintptr_t)in.region + 100,
                                                  2 * HL_FRAME_BYTES)
                         : bmp_fast_reserve_range(in.state, (uintptr_t)in.region + 100,
                                                  2 * HL_FRAME_BYTES);
        assert_int_equal(got, 2);
        /* Past the end: clipped to frame 39. */
        assert_int_equal(reserve(&in, 39, 1000), 1);
        assert_int_equal(reserve(&in, 39, 1), 0);
        struct hl_stats st;
        in.a->stats(in.state, &st);
        assert_int_equal(st.held_bytes, st.meta_bytes + 3 * HL_FRAME_BYTES);
        assert_int_equal(st.live_blocks, 0);
        assert_int_equal(c->reserved_frames, 3);
        assert_int_equal(alloc_frames(&in, 1), 2);
        assert_int_equal(alloc_frames(&in, 37), UINT32_MAX);
        assert_int_equal(alloc_frames(&in, 36), 3);
        tl_assert_check(in.a, in.state);
        bmp_pfn p;
        bool in_frames = in.a == &hl_bitmap_seed
                             ? bmp_seed_addr_pfn(in.state, (uintptr_t)in.region, &p)
                             : bmp_fast_addr_pfn(in.state, (uintptr_t)in.region, &p);
        assert_false(in_frames); /* the metadata page is not a frame */
#if HL_CHECK_LEVEL >= 1
        /* A reserved frame belongs to no run: freeing it is refused. */
        tl_reports_record();
        enum hl_status stt = in.a == &hl_bitmap_seed ? bmp_seed_free_pfn(in.state, (bmp_pfn){0})
                                                     : bmp_fast_free_pfn(in.state, (bmp_pfn){0});
        assert_int_equal(stt, HL_E_INTERIOR);
        assert_int_equal(tl_report_count(), 1);
        stt = in.a == &hl_bitmap_seed ? bmp_seed_free_pfn(in.state, (bmp_pfn){40})
                                      : bmp_fast_free_pfn(in.state, (bmp_pfn){40});
        assert_int_equal(stt, HL_E_FOREIGN);
        assert_int_equal(tl_report_count(), 2);
#endif
        inst_drop(&in);
    }
}

/* ---- checked builds ---------------------------------------------------------- */

#if HL_CHECK_LEVEL >= 1
/* What must not change when a free is refused. */
struct snapshot {
    struct hl_stats st;
    uint32_t used[8], start[8], end[8];
};

static void take_snapshot(const struct inst *in, struct snapshot *s)
{
    const struct bmp_core *c = core_of(in);
    memset(s, 0, sizeof *s);
    in->a->stats(in->state, &s->st);
    assert_true(c->nwords <= 8);
    memcpy(s->used, c->used, c->nwords * sizeof(uint32_t));
    memcpy(s->start, c->run_start, c->nwords * sizeof(uint32_t));
    memcpy(s->end, c->run_end, c->nwords * sizeof(uint32_t));
}

/* One bad free: refused with `want`, reported exactly once with `what`,
 * nothing changed. */
static void expect_refused(const struct inst *in, void *p, size_t bytes, enum hl_status want,
                           const char *what)
{
    struct snapshot before, after;
    take_snapshot(in, &before);
    tl_reports_record();
    assert_int_equal(in->a->free(in->state, p, bytes), want);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), what);
    take_snapshot(in, &after);
    assert_memory_equal(&before, &after, sizeof before);
    tl_assert_check(in->a, in->state);
}

static void checked_free_detections(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)101 * HL_FRAME_BYTES);
        tl_reports_fail();
        uint8_t *a = in.a->alloc(in.state, 3 * HL_FRAME_BYTES); /* frames 0..2 */
        uint8_t *b = in.a->alloc(in.state, 100);                /* frame 3 */
        uint8_t *c = in.a->alloc(in.state, 5 * HL_FRAME_BYTES); /* frames 4..8 */
        assert_int_equal(pfn_of(&in, c), 4);
        assert_int_equal(in.a->free(in.state, b, 100), HL_OK);

        expect_refused(&in, b, 100, HL_E_DOUBLE_FREE, "double free");
        expect_refused(&in, a + HL_FRAME_BYTES, HL_FRAME_BYTES, HL_E_INTERIOR,
                       "interior pointer");
        expect_refused(&in, a + 16, 3 * HL_FRAME_BYTES, HL_E_INTERIOR, "interior pointer");
        expect_refused(&in, b + 8, 100, HL_E_INTERIOR, "interior pointer");
        expect_refused(&in, a, 2 * HL_FRAME_BYTES, HL_E_SIZE, "wrong size");
        expect_refused(&in, a, 4 * HL_FRAME_BYTES, HL_E_SIZE, "wrong size");
        expect_refused(&in, c, 200 * HL_FRAME_BYTES, HL_E_SIZE, "wrong size");
        expect_refused(&in, c, SIZE_MAX, HL_E_SIZE, "wrong size");
        expect_refused(&in, in.region, HL_FRAME_BYTES, HL_E_FOREIGN, "foreign pointer");
        expect_refused(&in, in.region + in.region_bytes, 1, HL_E_FOREIGN, "foreign pointer");
        int local;
        expect_refused(&in, &local, sizeof local, HL_E_FOREIGN, "foreign pointer");

        tl_reports_fail();
        assert_int_equal(in.a->free(in.state, NULL, 5), HL_OK);
        assert_int_equal(in.a->free(in.state, a, 3 * HL_FRAME_BYTES - 7), HL_OK);
        assert_int_equal(in.a->free(in.state, c, 4 * HL_FRAME_BYTES + 1), HL_OK);
        struct hl_stats st;
        in.a->stats(in.state, &st);
        assert_int_equal(st.live_blocks, 0);
        assert_int_equal(st.frees, 3);
        tl_assert_check(in.a, in.state);
        inst_drop(&in);
    }
}
#endif

#if HL_CHECK_LEVEL >= 2
static void poison_freed_and_write_after_free(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct inst in = inst_make(both[i], (size_t)9 * HL_FRAME_BYTES);
        tl_reports_fail();
        uint8_t *p = in.a->alloc(in.state, HL_FRAME_BYTES + 10);
        assert_null(hl_find_not(p, HL_POISON_FRESH, HL_FRAME_BYTES + 10));
        memset(p, 0x11, 2 * HL_FRAME_BYTES);
        assert_int_equal(in.a->free(in.state, p, HL_FRAME_BYTES + 10), HL_OK);
        /* The whole run is poisoned, not just the bytes asked for. */
        assert_null(hl_find_not(p, HL_POISON_FREED, 2 * HL_FRAME_BYTES));
        /* Reuse without a stray write: no report. */
        uint8_t *q = in.a->alloc(in.state, 2 * HL_FRAME_BYTES);
        assert_ptr_equal(q, p);
        assert_int_equal(in.a->free(in.state, q, 2 * HL_FRAME_BYTES), HL_OK);
        /* A write after free into the second frame: reported once, at the
         * byte written, when the frame is handed out again. */
        p[HL_FRAME_BYTES + 77] = 0;
        tl_reports_record();
        uint8_t *r = in.a->alloc(in.state, 3 * HL_FRAME_BYTES);
        assert_ptr_equal(r, p);
        assert_int_equal(tl_report_count(), 1);
        assert_string_equal(tl_last_report_what(), "write after free");
        assert_ptr_equal(tl_last_report_ptr(), p + HL_FRAME_BYTES + 77);
        assert_null(hl_find_not(r, HL_POISON_FRESH, 3 * HL_FRAME_BYTES));
        tl_assert_check(in.a, in.state);
        inst_drop(&in);
    }
}
#endif

/* ---- check() counts what was broken ---------------------------------------- */

static size_t violations(const struct inst *in, struct hl_violation *first)
{
    memset(first, 0, sizeof *first);
    return in->a->check(in->state, first);
}

static void check_counts_planted_corruption(void **state)
{
    (void)state;
    tl_reports_fail();
    for (size_t i = 0; i < 2; i++) {
        /* 100 frames: words 0..3, frames 96..99 in word 3, tail bits 4..31. */
        struct inst in = inst_make(both[i], (size_t)101 * HL_FRAME_BYTES);
        struct bmp_core *c = core_of(&in);
        struct hl_violation v;
        assert_int_equal(c->nframes, 100);
        void *a = in.a->alloc(in.state, 40 * HL_FRAME_BYTES); /* 0..39 */
        void *b = in.a->alloc(in.state, HL_FRAME_BYTES);      /* 40 */
        assert_int_equal(violations(&in, &v), 0);

        /* A free frame's bit set: the counter disagrees with popcount. */
        c->used[1] ^= (uint32_t)1 << 20; /* frame 52 */
        assert_int_equal(violations(&in, &v), 1);
        assert_string_equal(v.what, "used-frame counter != bitmap popcount");
        c->used[1] ^= (uint32_t)1 << 20;

        /* A tail bit cleared: frame 100 would be handed out. */
        c->used[3] &= ~((uint32_t)1 << 4);
        assert_int_equal(violations(&in, &v), 1);
        assert_string_equal(v.what, "tail bit past nframes is clear");
        c->used[3] |= (uint32_t)1 << 4;

        /* The counter. */
        c->used_frames += 3;
        assert_int_equal(violations(&in, &v), 1);
        c->used_frames -= 3;

        /* Two at once, each found once: a free frame's bit and a tail bit. */
        c->used[2] ^= 1u;                   /* frame 64 */
        c->used[3] &= ~((uint32_t)1 << 31); /* tail */
        assert_int_equal(violations(&in, &v), 2);
        c->used[2] ^= 1u;
        c->used[3] |= (uint32_t)1 << 31;
        assert_int_equal(violations(&in, &v), 0);

        if (in.a == &hl_bitmap_fast) {
            struct bmp_fast *fb = in.state;
            assert_int_equal(fb->nlevels, 2);
            /* Word 0 (frames 0..31) is full: its summary bit is set. */
            assert_int_equal(fb->level[1][0] & 1u, 1u);
            fb->level[1][0] ^= 1u; /* says "word 0 not full" */
            assert_int_equal(violations(&in, &v), 1);
            assert_string_equal(v.what, "summary bit disagrees with its word");
            fb->level[1][0] ^= (uint32_t)1 << 3; /* word 3 is not full... */
            assert_int_equal(violations(&in, &v), 2);
            fb->level[1][0] ^= (uint32_t)1 << 30; /* a tail bit of level 1 */
            assert_int_equal(violations(&in, &v), 3);
            fb->level[1][0] ^= 1u | (uint32_t)1 << 3 | (uint32_t)1 << 30;
            assert_int_equal(violations(&in, &v), 0);
        }
#if HL_CHECK_LEVEL >= 1
        /* Run a = [0, 39], run b = [40, 40].  Drop a's end bit: a's run
         * now meets b's start inside it — one violation. */
        c->run_end[1] ^= (uint32_t)1 << 7; /* frame 39 */
        assert_int_equal(violations(&in, &v), 1);
        assert_string_equal(v.what, "run starts inside a run");
        c->run_end[1] ^= (uint32_t)1 << 7;
        /* Drop b's end: b now never ends (one) and so spans the free
         * frames 41..99 (one per run, not per frame). */
        c->run_end[1] ^= (uint32_t)1 << 8; /* frame 40 */
        assert_int_equal(violations(&in, &v), 2);
        assert_string_equal(v.what, "free frame inside a run");
        c->run_end[1] ^= (uint32_t)1 << 8;
        /* A stray end bit on a free frame. */
        c->run_end[2] ^= (uint32_t)1 << 2;
        assert_int_equal(violations(&in, &v), 1);
        assert_string_equal(v.what, "run end without a start");
        c->run_end[2] ^= (uint32_t)1 << 2;
        /* A run bit in the tail. */
        c->run_start[3] ^= (uint32_t)1 << 9;
        assert_int_equal(violations(&in, &v), 1);
        assert_string_equal(v.what, "run bit past nframes");
        c->run_start[3] ^= (uint32_t)1 << 9;
        assert_int_equal(violations(&in, &v), 0);
#endif
        assert_int_equal(in.a->free(in.state, a, 40 * HL_FRAME_BYTES), HL_OK);
        assert_int_equal(in.a->free(in.state, b, HL_FRAME_BYTES), HL_OK);
        assert_int_equal(violations(&in, &v), 0);
        inst_drop(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_summary_consistent_after_random_ops),
        cmocka_unit_test(fast_finds_holes_at_99_percent),
        cmocka_unit_test(seed_and_fast_place_identically),
        cmocka_unit_test(runs_at_word_boundaries),
        cmocka_unit_test(exhaustion_and_recovery),
        cmocka_unit_test(absurd_requests_fail_cleanly),
        cmocka_unit_test(init_refuses_regions_without_a_frame),
        cmocka_unit_test(reserve_range_and_pfn_view),
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(checked_free_detections),
#endif
#if HL_CHECK_LEVEL >= 2
        cmocka_unit_test(poison_freed_and_write_after_free),
#endif
        cmocka_unit_test(check_counts_planted_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
