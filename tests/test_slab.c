/*
 * test_slab.c — the slab allocator's own rules (allocators/slab.h): list
 * transitions and the keep-one-empty policy, LIFO reuse, the size classes,
 * large requests through the buddy, the cache API, reaping, checked-build
 * refusals, poison, and check() counting deliberately corrupted facts.
 *
 * Most tests are about the slab layer, so their fixture turns the
 * magazines off (slab_set_magazine(s, 0): every alloc and free reaches the
 * slabs).  The magazine's own tests, and the refusals, poison and random
 * operations again, run with the default magazines ("mag/" tests).
 */
#include "tests/testlib.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/slab.h"
#include "allocators/util.h"

#define REGION_BYTES ((size_t)512 << 10)

struct fx {
    struct slab *s;
    uint8_t *region;
    size_t bytes;
    struct hl_stats init; /* stats right after init */
};

static struct hl_stats stats_of(const struct slab *s)
{
    struct hl_stats st;
    memset(&st, 0, sizeof st);
    slab_stats(s, &st);
    return st;
}

static size_t check_count(const struct slab *s, struct hl_violation *first)
{
    struct hl_violation v = {0};
    size_t n = slab_check(s, &v);
    if (first)
        *first = v;
    return n;
}

static void assert_clean(const struct fx *f)
{
    tl_assert_check(&hl_slab, f->s);
    tl_assert_stats_sane(&hl_slab, f->s);
}

static int setup_with(void **state, unsigned mag_slots)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->bytes = REGION_BYTES;
    f->region = tl_region(f->bytes, HL_FRAME_BYTES);
    memset(f->region, 0x5A, f->bytes);
    f->s = tl_state(&hl_slab);
    tl_reports_fail();
    assert_int_equal(slab_init(f->s, f->region, f->bytes), HL_OK);
    if (mag_slots != SLAB_MAG_SLOTS)
        slab_set_magazine(f->s, mag_slots);
    f->init = stats_of(f->s);
    *state = f;
    return 0;
}

/* The slab layer alone: no magazines. */
static int setup(void **state) { return setup_with(state, 0); }
/* As the vtable runs it: the default magazines. */
static int setup_mag(void **state) { return setup_with(state, SLAB_MAG_SLOTS); }

static int teardown(void **state)
{
    struct fx *f = *state;
    tl_free(f->s);
    tl_free(f->region);
    free(f);
    return 0;
}

/* The slab (header) that holds obj of cache c. */
static struct slab_hdr *hdr_of(const struct fx *f, const struct slab_cache *c,
                               const void *obj)
{
    return (struct slab_hdr *)buddy_block_of(&f->s->pages, (uintptr_t)obj,
                                             slab_cache_order(c));
}

static size_t slab_bytes_of(const struct slab_cache *c)
{
    return HL_FRAME_BYTES << slab_cache_order(c);
}

/* ---- init and stats ------------------------------------------------------ */

static void init_stats_and_tiny_regions(void **state)
{
    struct fx *f = *state;
    struct hl_stats b;
    buddy_stats(&f->s->pages, &b);
    assert_int_equal(f->init.capacity_bytes, f->bytes);
    /* meta = the buddy's metadata + one frame of page tags (127 frames) */
    assert_int_equal(f->init.meta_bytes, b.meta_bytes + HL_FRAME_BYTES);
    assert_int_equal(f->init.held_bytes, f->init.meta_bytes);
    assert_int_equal(f->init.live_bytes, 0);
    assert_int_equal(f->init.live_blocks, 0);
    assert_int_equal(f->init.largest_free_bytes, b.largest_free_bytes);
    assert_clean(f);

    /* Buddy metadata + 1 frame: the page tags take the only frame. */
    struct slab *t = tl_state(&hl_slab);
    assert_int_equal(slab_init(t, f->region, 2 * HL_FRAME_BYTES), HL_E_REGION);
    assert_int_equal(slab_init(t, f->region, 3 * HL_FRAME_BYTES), HL_OK);
    tl_assert_check(&hl_slab, t);
    void *p = slab_alloc(t, 16);
    assert_non_null(p);
    assert_int_equal(slab_free(t, p, 16), HL_OK);
    tl_free(t);
}

/* ---- slab lists ---------------------------------------------------------- */

static void list_transitions_and_keep_one_empty(void **state)
{
    struct fx *f = *state;
    const struct slab_cache *c = slab_class_for(f->s, 512);
    size_t n = slab_cache_objs_per_slab(c);
    assert_true(n >= 8);
    void **p = calloc(2 * n, sizeof *p);
    assert_non_null(p);

    p[0] = slab_alloc(f->s, 512); /* empty (new) -> partial */
    assert_non_null(p[0]);
    assert_int_equal(slab_cache_nslabs(c, SLAB_PARTIAL), 1);
    assert_int_equal(slab_cache_nslabs(c, SLAB_FULL), 0);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 0);
    assert_int_equal(stats_of(f->s).held_bytes,
                     f->init.held_bytes + slab_bytes_of(c));
    for (size_t i = 1; i < n; i++) { /* partial -> full */
        p[i] = slab_alloc(f->s, 500);
        assert_ptr_equal(hdr_of(f, c, p[i]), hdr_of(f, c, p[0]));
    }
    assert_int_equal(slab_cache_nslabs(c, SLAB_PARTIAL), 0);
    assert_int_equal(slab_cache_nslabs(c, SLAB_FULL), 1);
    assert_clean(f);

    assert_int_equal(slab_free(f->s, p[3], 500), HL_OK); /* full -> partial */
    assert_int_equal(slab_cache_nslabs(c, SLAB_PARTIAL), 1);
    assert_int_equal(slab_cache_nslabs(c, SLAB_FULL), 0);
    for (size_t i = 0; i < n; i++) /* partial -> empty, kept */
        if (i != 3)
            assert_int_equal(slab_free(f->s, p[i], i ? 500 : 512), HL_OK);
    assert_int_equal(slab_cache_nslabs(c, SLAB_PARTIAL), 0);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 1);
    assert_int_equal(stats_of(f->s).held_bytes,
                     f->init.held_bytes + slab_bytes_of(c));
    assert_clean(f);

    /* Two full slabs (the kept empty one is reused first), then empty
     * both: one is kept, the other goes straight back to the buddy. */
    for (size_t i = 0; i < 2 * n; i++)
        assert_non_null(p[i] = slab_alloc(f->s, 512));
    assert_int_equal(slab_cache_nslabs(c, SLAB_FULL), 2);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 0);
    assert_int_equal(stats_of(f->s).held_bytes,
                     f->init.held_bytes + 2 * slab_bytes_of(c));
    for (size_t i = 0; i < 2 * n; i++)
        assert_int_equal(slab_free(f->s, p[i], 512), HL_OK);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), SLAB_KEEP_EMPTY);
    assert_int_equal(stats_of(f->s).held_bytes,
                     f->init.held_bytes + slab_bytes_of(c));

    slab_reclaim(f->s); /* the kept one too */
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 0);
    struct hl_stats st = stats_of(f->s);
    assert_int_equal(st.held_bytes, f->init.held_bytes);
    assert_int_equal(st.largest_free_bytes, f->init.largest_free_bytes);
    assert_clean(f);
    free(p);
}

static void object_reuse_is_lifo(void **state)
{
    struct fx *f = *state;
    void *a = slab_alloc(f->s, 64), *b = slab_alloc(f->s, 64),
         *c = slab_alloc(f->s, 64);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    /* a fresh slab hands out ascending addresses */
    assert_true((uint8_t *)b == (uint8_t *)a + 64);
    assert_true((uint8_t *)c == (uint8_t *)b + 64);
    assert_int_equal(slab_free(f->s, b, 64), HL_OK);
    assert_int_equal(slab_free(f->s, c, 64), HL_OK);
    assert_ptr_equal(slab_alloc(f->s, 64), c);
    assert_ptr_equal(slab_alloc(f->s, 50), b);
    void *d = slab_alloc(f->s, 64);
    assert_true((uint8_t *)d == (uint8_t *)c + 64);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    assert_int_equal(slab_free(f->s, b, 50), HL_OK);
    assert_int_equal(slab_free(f->s, c, 64), HL_OK);
    assert_int_equal(slab_free(f->s, d, 64), HL_OK);
    assert_clean(f);
}

/* ---- size classes -------------------------------------------------------- */

static void size_class_mapping_and_alignment(void **state)
{
    struct fx *f = *state;
    static const size_t want[] = {16,  32,  48,  64,   96,   128,  192,
                                  256, 384, 512, 768, 1024, 1536, 2048};
    size_t k = 0;
    for (size_t bytes = 0; bytes <= SLAB_MAX_CLASS_BYTES; bytes++) {
        const struct slab_cache *c = slab_class_for(f->s, bytes);
        assert_non_null(c);
        size_t need = bytes ? bytes : 1;
        while (want[k] < need)
            k++;
        if (slab_cache_obj_bytes(c) != want[k])
            fail_msg("%zu bytes went to class %zu, want %zu", bytes,
                     slab_cache_obj_bytes(c), want[k]);
        assert_int_equal(slab_cache_stride_bytes(c), want[k]);
    }
    assert_null(slab_class_for(f->s, SLAB_MAX_CLASS_BYTES + 1));
    assert_null(slab_class_for(f->s, SIZE_MAX));

    /* Every class: >= 8 objects a slab, <= 1/8 waste, 16-aligned objects
     * on the class stride. */
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct slab_cache *c = slab_class_for(f->s, want[i]);
        size_t n = slab_cache_objs_per_slab(c), sb = slab_bytes_of(c);
        assert_true(n >= 8);
        assert_true((sb - n * want[i]) * 8 <= sb);
        uint8_t *p = slab_alloc(f->s, want[i]), *q = slab_alloc(f->s, want[i] - 1);
        assert_non_null(p);
        assert_non_null(q);
        assert_true(HL_IS_ALIGNED((uintptr_t)p, HL_HEAP_ALIGN));
        assert_true(q == p + want[i]);
        assert_ptr_equal(hdr_of(f, c, p), hdr_of(f, c, q));
        memset(p, 1, want[i]);
        memset(q, 2, want[i] - 1);
        assert_int_equal(slab_free(f->s, p, want[i]), HL_OK);
        assert_int_equal(slab_free(f->s, q, want[i] - 1), HL_OK);
    }
    assert_clean(f);
}

/* ---- large requests ------------------------------------------------------ */

static void large_requests_go_to_buddy(void **state)
{
    struct fx *f = *state;
    uint8_t *p = slab_alloc(f->s, SLAB_MAX_CLASS_BYTES + 1);
    assert_non_null(p);
    assert_true(HL_IS_ALIGNED((uintptr_t)p, HL_FRAME_BYTES));
    struct hl_stats st = stats_of(f->s);
    assert_int_equal(st.held_bytes, f->init.held_bytes + HL_FRAME_BYTES);
    assert_int_equal(st.live_bytes, SLAB_MAX_CLASS_BYTES + 1);
    uint8_t *q = slab_alloc(f->s, 10000); /* 3 frames -> an order-2 block */
    assert_non_null(q);
    /* buddy-aligned to its order, relative to the first frame */
    assert_true(HL_IS_ALIGNED((uintptr_t)q - f->s->frames_addr,
                              (uintptr_t)4 * HL_FRAME_BYTES));
    st = stats_of(f->s);
    assert_int_equal(st.held_bytes, f->init.held_bytes + 5 * HL_FRAME_BYTES);
    assert_int_equal(st.live_blocks, 2);
    memset(p, 7, SLAB_MAX_CLASS_BYTES + 1);
    memset(q, 8, 10000);
    assert_clean(f);
    assert_int_equal(slab_free(f->s, p, SLAB_MAX_CLASS_BYTES + 1), HL_OK);
    assert_int_equal(slab_free(f->s, q, 10000), HL_OK);
    st = stats_of(f->s);
    assert_int_equal(st.held_bytes, f->init.held_bytes);
    assert_int_equal(st.largest_free_bytes, f->init.largest_free_bytes);

    /* Impossible sizes never wrap, fail and are counted. */
    assert_null(slab_alloc(f->s, SIZE_MAX));
    assert_null(slab_alloc(f->s, SIZE_MAX - 4095));
    assert_null(slab_alloc(f->s, f->bytes));
    st = stats_of(f->s);
    assert_int_equal(st.failed_allocs, 3);
    assert_int_equal(st.held_bytes, f->init.held_bytes);
    assert_clean(f);
}

/* A kept empty slab is reaped when the buddy runs dry. */
static void exhaustion_reaps_cached_slabs(void **state)
{
    struct fx *f = *state;
    const struct slab_cache *c = slab_class_for(f->s, 2048);
    void *p = slab_alloc(f->s, 2048);
    assert_non_null(p);
    assert_int_equal(slab_free(f->s, p, 2048), HL_OK);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 1);
    size_t held_before = stats_of(f->s).held_bytes;
    assert_true(held_before > f->init.held_bytes);
    /* Order-0 large blocks until nothing is left: every frame but the
     * metadata's, including the kept slab's. */
    size_t max = f->bytes / HL_FRAME_BYTES, n = 0;
    void **blocks = calloc(max, sizeof *blocks);
    assert_non_null(blocks);
    while (n < max && (blocks[n] = slab_alloc(f->s, HL_FRAME_BYTES)) != NULL)
        n++;
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 0);
    assert_int_equal(n * HL_FRAME_BYTES,
                     f->init.capacity_bytes - f->init.held_bytes);
    assert_int_equal(stats_of(f->s).free_bytes, 0);
    assert_clean(f);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(slab_free(f->s, blocks[i], HL_FRAME_BYTES), HL_OK);
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);
    free(blocks);
}

/* ---- the cache API ------------------------------------------------------- */

static void cache_create_alloc_free_destroy(void **state)
{
    struct fx *f = *state;
    /* Refused shapes change nothing. */
    assert_null(slab_cache_create(f->s, "zero", 0, 8));
    assert_null(slab_cache_create(f->s, "align3", 40, 3));
    assert_null(slab_cache_create(f->s, "align8k", 40, 8192));
    assert_null(slab_cache_create(f->s, "huge", SIZE_MAX, 8));
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);

    struct slab_cache *c = slab_cache_create(f->s, "obj40", 40, 8);
    assert_non_null(c);
    assert_int_equal(slab_cache_stride_bytes(c), 40);
    struct slab_cache *d = slab_cache_create(f->s, "obj24@64", 24, 64);
    assert_non_null(d);
    assert_int_equal(slab_cache_stride_bytes(d), 64);
    assert_clean(f);

    enum { N = 200 };
    uint8_t *obj[N];
    for (int i = 0; i < N; i++) {
        obj[i] = slab_cache_alloc(c);
        assert_non_null(obj[i]);
        assert_true(HL_IS_ALIGNED((uintptr_t)obj[i], 8));
        memset(obj[i], i, 40);
    }
    uint8_t *e = slab_cache_alloc(d);
    assert_non_null(e);
    assert_true(HL_IS_ALIGNED((uintptr_t)e, 64));
    struct hl_stats st = stats_of(f->s);
    assert_int_equal(st.live_blocks, N + 1);
    assert_int_equal(st.live_bytes, N * 40 + 24);
    assert_int_equal(slab_cache_inuse(c), N);
    assert_true(slab_cache_nslabs(c, SLAB_FULL) >= 1);
    assert_clean(f);

    /* Built-in caches cannot be destroyed. */
    tl_reports_record();
    assert_int_equal(slab_cache_destroy((struct slab_cache *)slab_class_for(
                         f->s, 64)),
                     HL_E_FOREIGN);
    assert_int_equal(slab_cache_destroy(&f->s->cache_cache), HL_E_FOREIGN);
    assert_int_equal(tl_report_count(), HL_CHECK_LEVEL >= 1 ? 2 : 0);
    tl_reports_fail();

    /* Destroy is refused while objects are live; the cache still works. */
    tl_reports_record();
    assert_int_equal(slab_cache_destroy(c), HL_E_REGION);
    assert_int_equal(tl_report_count(), HL_CHECK_LEVEL >= 1 ? 1 : 0);
    tl_reports_fail();
    void *extra = slab_cache_alloc(c);
    assert_non_null(extra);
    assert_int_equal(slab_cache_free(c, extra), HL_OK);

    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 40; k++)
            assert_int_equal(obj[i][k], (uint8_t)i);
        assert_int_equal(slab_cache_free(c, obj[i]), HL_OK);
    }
    assert_int_equal(slab_cache_free(d, e), HL_OK);
    assert_int_equal(slab_cache_inuse(c), 0);
    assert_int_equal(slab_cache_destroy(c), HL_OK);
    assert_int_equal(slab_cache_destroy(d), HL_OK);
    assert_clean(f);
    slab_reclaim(f->s); /* the cache of caches' kept slab */
    st = stats_of(f->s);
    assert_int_equal(st.held_bytes, f->init.held_bytes);
    assert_int_equal(st.live_blocks, 0);
    assert_int_equal(st.allocs, st.frees);
}

/* Descriptors come from the cache of caches inside the arena: enough
 * caches take more than one of its slabs, and all of them come back. */
static void cache_of_caches_grows_and_shrinks(void **state)
{
    struct fx *f = *state;
    enum { N = 64 };
    struct slab_cache *c[N];
    void *obj[N];
    for (int i = 0; i < N; i++) {
        c[i] = slab_cache_create(f->s, "many", 16 + (size_t)(i % 4) * 8, 0);
        assert_non_null(c[i]);
        assert_true(hl_ptr_in(c[i], f->region, f->bytes));
        obj[i] = slab_cache_alloc(c[i]);
        assert_non_null(obj[i]);
    }
    const struct slab_cache *cc = &f->s->cache_cache;
    assert_int_equal(slab_cache_inuse(cc), N);
    assert_true(slab_cache_nslabs(cc, SLAB_FULL) +
                    slab_cache_nslabs(cc, SLAB_PARTIAL) >= 2);
    assert_clean(f);
    for (int i = 0; i < N; i++) {
        assert_int_equal(slab_cache_free(c[i], obj[i]), HL_OK);
        assert_int_equal(slab_cache_destroy(c[i]), HL_OK);
    }
    assert_int_equal(slab_cache_inuse(cc), 0);
    slab_reclaim(f->s);
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);
    assert_clean(f);
}

static void cache_reap_returns_empty_slabs(void **state)
{
    struct fx *f = *state;
    struct slab_cache *c = slab_cache_create(f->s, "obj100", 100, 0);
    assert_non_null(c);
    size_t held0 = stats_of(f->s).held_bytes;
    void *p = slab_cache_alloc(c);
    assert_non_null(p);
    assert_int_equal(slab_cache_free(c, p), HL_OK);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 1);
    assert_int_equal(stats_of(f->s).held_bytes, held0 + slab_bytes_of(c));
    slab_cache_reap(c);
    assert_int_equal(slab_cache_nslabs(c, SLAB_EMPTY), 0);
    assert_int_equal(stats_of(f->s).held_bytes, held0);
    assert_clean(f);
    /* and it still hands out objects */
    p = slab_cache_alloc(c);
    assert_non_null(p);
    assert_int_equal(slab_cache_free(c, p), HL_OK);
    assert_int_equal(slab_cache_destroy(c), HL_OK);
}

/* ---- random operations --------------------------------------------------- */

static uint64_t rng;
static uint64_t rng_next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

struct live {
    uint8_t *p;
    size_t bytes;
    int cache; /* -1: heap view, else index into caches[] */
    uint8_t fill;
};

static void random_ops_keep_check_clean(void **state)
{
    struct fx *f = *state;
    enum { SLOTS = 300, OPS = 12000 };
    struct slab_cache *caches[2] = {
        slab_cache_create(f->s, "r24", 24, 8),
        slab_cache_create(f->s, "r200", 200, 32),
    };
    assert_non_null(caches[0]);
    assert_non_null(caches[1]);
    static struct live slot[SLOTS];
    memset(slot, 0, sizeof slot);
    size_t live_bytes = 0, live_blocks = 0;
    rng = 0x5EED;
    for (int op = 0; op < OPS; op++) {
        struct live *b = &slot[rng_next() % SLOTS];
        if (b->p) {
            for (size_t i = 0; i < b->bytes; i++)
                if (b->p[i] != b->fill)
                    fail_msg("op %d: block %p lost its contents", op,
                             (void *)b->p);
            enum hl_status st =
                b->cache < 0 ? slab_free(f->s, b->p, b->bytes)
                             : slab_cache_free(caches[b->cache], b->p);
            assert_int_equal(st, HL_OK);
            live_bytes -= b->bytes;
            live_blocks--;
            b->p = NULL;
        } else {
            uint64_t r = rng_next() % 100;
            if (r < 20) {
                b->cache = (int)(r % 2);
                b->bytes = slab_cache_obj_bytes(caches[b->cache]);
                b->p = slab_cache_alloc(caches[b->cache]);
            } else {
                b->cache = -1;
                b->bytes = r < 70   ? rng_next() % 129
                           : r < 95 ? 129 + rng_next() % 1920
                                    : 2049 + rng_next() % 14336;
                b->p = slab_alloc(f->s, b->bytes);
            }
            if (b->p) {
                assert_true(hl_ptr_in(b->p, f->region, f->bytes));
                b->fill = (uint8_t)op;
                memset(b->p, b->fill, b->bytes);
                live_bytes += b->bytes ? b->bytes : 1;
                live_blocks++;
                if (b->bytes == 0) /* alloc(0) is alloc(1) */
                    b->bytes = 1, b->p[0] = b->fill;
            }
        }
        if (op % 8 == 0)
            slab_reclaim(f->s);
        assert_clean(f);
        struct hl_stats st = stats_of(f->s);
        assert_int_equal(st.live_bytes, live_bytes);
        assert_int_equal(st.live_blocks, live_blocks);
    }
    for (int i = 0; i < SLOTS; i++) {
        struct live *b = &slot[i];
        if (!b->p)
            continue;
        enum hl_status st = b->cache < 0
                                ? slab_free(f->s, b->p, b->bytes)
                                : slab_cache_free(caches[b->cache], b->p);
        assert_int_equal(st, HL_OK);
    }
    assert_int_equal(slab_cache_destroy(caches[0]), HL_OK);
    assert_int_equal(slab_cache_destroy(caches[1]), HL_OK);
    slab_reclaim(f->s);
    struct hl_stats st = stats_of(f->s);
    assert_int_equal(st.live_bytes, 0);
    assert_int_equal(st.held_bytes, f->init.held_bytes);
    assert_int_equal(st.free_bytes, f->init.free_bytes);
    assert_int_equal(st.largest_free_bytes, f->init.largest_free_bytes);
    assert_int_equal(st.meta_bytes, f->init.meta_bytes);
    assert_clean(f);
}

/* ---- checked builds: refused frees --------------------------------------- */

#if HL_CHECK_LEVEL >= 1
/* A copy of everything the allocator owns: state and arena. */
struct snap {
    struct slab state;
    uint8_t *arena;
};

static void snap_take(const struct fx *f, struct snap *sn)
{
    memcpy(&sn->state, f->s, sizeof sn->state);
    sn->arena = malloc(f->bytes);
    assert_non_null(sn->arena);
    memcpy(sn->arena, f->region, f->bytes);
}

static void snap_same(const struct fx *f, struct snap *sn)
{
    assert_memory_equal(&sn->state, f->s, sizeof sn->state);
    assert_memory_equal(sn->arena, f->region, f->bytes);
    free(sn->arena);
}

/* fn(arg) must report exactly once (`what` a prefix of the report), return
 * want, and leave state and arena untouched. */
static void expect_refused(const struct fx *f, enum hl_status got,
                           enum hl_status want, const char *what,
                           struct snap *sn)
{
    unsigned reports = tl_report_count();
    char last[160];
    snprintf(last, sizeof last, "%s", tl_last_report_what());
    tl_reports_fail();
    if (got != want)
        fail_msg("got status %d, want %d", (int)got, (int)want);
    assert_int_equal(reports, 1);
    if (strncmp(last, what, strlen(what)) != 0)
        fail_msg("report '%s', want '%s'", last, what);
    snap_same(f, sn);
    tl_assert_check(&hl_slab, f->s);
}

#define REFUSE(f, call, want, what)                                           \
    do {                                                                      \
        struct snap sn_;                                                      \
        snap_take((f), &sn_);                                                 \
        tl_reports_record();                                                  \
        enum hl_status got_ = (call);                                         \
        expect_refused((f), got_, (want), (what), &sn_);                      \
    } while (0)

static void double_free_refused(void **state)
{
    struct fx *f = *state;
    void *a = slab_alloc(f->s, 64), *b = slab_alloc(f->s, 64);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    REFUSE(f, slab_free(f->s, a, 64), HL_E_DOUBLE_FREE, "double free");
    /* after its slab went back to the buddy */
    assert_int_equal(slab_free(f->s, b, 64), HL_OK);
    slab_reclaim(f->s);
    REFUSE(f, slab_free(f->s, b, 64), HL_E_DOUBLE_FREE, "double free");
    /* a large block: the buddy's own validation */
    void *l = slab_alloc(f->s, 5000);
    assert_int_equal(slab_free(f->s, l, 5000), HL_OK);
    REFUSE(f, slab_free(f->s, l, 5000), HL_E_DOUBLE_FREE, "double free");
    /* a cache object */
    struct slab_cache *c = slab_cache_create(f->s, "df", 40, 0);
    void *o = slab_cache_alloc(c), *o2 = slab_cache_alloc(c);
    assert_int_equal(slab_cache_free(c, o), HL_OK);
    REFUSE(f, slab_cache_free(c, o), HL_E_DOUBLE_FREE, "double free");
    assert_int_equal(slab_cache_free(c, o2), HL_OK);
    assert_int_equal(slab_cache_destroy(c), HL_OK);
    REFUSE(f, slab_cache_destroy(c), HL_E_DOUBLE_FREE, "destroy of a destroyed");
}

static void interior_pointer_refused(void **state)
{
    struct fx *f = *state;
    uint8_t *p = slab_alloc(f->s, 128);
    assert_non_null(p);
    REFUSE(f, slab_free(f->s, p + 16, 112), HL_E_INTERIOR, "interior pointer");
    REFUSE(f, slab_free(f->s, p + 1, 128), HL_E_INTERIOR, "interior pointer");
    /* the slab header is not an object */
    const struct slab_cache *c = slab_class_for(f->s, 128);
    REFUSE(f, slab_free(f->s, hdr_of(f, c, p), 128), HL_E_INTERIOR,
           "interior pointer");
    /* the page tags and the buddy's metadata are the allocator's */
    REFUSE(f, slab_free(f->s, f->s->page_tag, 64), HL_E_INTERIOR,
           "pointer into allocator metadata");
    REFUSE(f, slab_free(f->s, f->region, 64), HL_E_INTERIOR,
           "pointer into allocator metadata");
    /* inside a large block: the buddy judges */
    uint8_t *l = slab_alloc(f->s, 3 * HL_FRAME_BYTES);
    REFUSE(f, slab_free(f->s, l + HL_FRAME_BYTES, 3 * HL_FRAME_BYTES),
           HL_E_INTERIOR, "interior pointer");
    assert_int_equal(slab_free(f->s, l, 3 * HL_FRAME_BYTES), HL_OK);
    assert_int_equal(slab_free(f->s, p, 128), HL_OK);
}

static void wrong_size_class_refused(void **state)
{
    struct fx *f = *state;
    void *p = slab_alloc(f->s, 64), *l = slab_alloc(f->s, 3000);
    assert_non_null(p);
    assert_non_null(l);
    REFUSE(f, slab_free(f->s, p, 128), HL_E_SIZE, "wrong size");
    REFUSE(f, slab_free(f->s, p, 4000), HL_E_SIZE, "wrong size");
    REFUSE(f, slab_free(f->s, l, 64), HL_E_SIZE, "wrong size");
    REFUSE(f, slab_free(f->s, l, 9000), HL_E_SIZE, "wrong order");
    assert_int_equal(slab_free(f->s, p, 64), HL_OK);
    assert_int_equal(slab_free(f->s, l, 3000), HL_OK);

    struct slab_cache *a = slab_cache_create(f->s, "a40", 40, 0);
    struct slab_cache *b = slab_cache_create(f->s, "b40", 40, 0);
    void *oa = slab_cache_alloc(a), *h = slab_alloc(f->s, 40);
    REFUSE(f, slab_cache_free(b, oa), HL_E_SIZE, "wrong size");
    REFUSE(f, slab_free(f->s, oa, 40), HL_E_SIZE, "wrong size");
    REFUSE(f, slab_cache_free(a, h), HL_E_SIZE, "wrong size");
    assert_int_equal(slab_cache_free(a, oa), HL_OK);
    assert_int_equal(slab_free(f->s, h, 40), HL_OK);
    assert_int_equal(slab_cache_destroy(a), HL_OK);
    assert_int_equal(slab_cache_destroy(b), HL_OK);
}

static void foreign_pointer_refused(void **state)
{
    struct fx *f = *state;
    static alignas(16) uint8_t elsewhere[256];
    void *p = slab_alloc(f->s, 64);
    REFUSE(f, slab_free(f->s, elsewhere, 64), HL_E_FOREIGN, "foreign pointer");
    REFUSE(f, slab_free(f->s, f->region + f->bytes, 64), HL_E_FOREIGN,
           "foreign pointer");
    REFUSE(f, slab_free(f->s, f->region - 16, 5000), HL_E_FOREIGN,
           "foreign pointer");
    struct slab_cache *c = slab_cache_create(f->s, "fc", 64, 0);
    REFUSE(f, slab_cache_free(c, elsewhere), HL_E_FOREIGN, "foreign pointer");
    assert_int_equal(slab_cache_destroy(c), HL_OK);
    assert_int_equal(slab_free(f->s, p, 64), HL_OK);
}

/* A write over a free object's link word is caught on reuse; the slab's
 * free list is rebuilt from its bitmap. */
static void broken_link_caught_and_repaired(void **state)
{
    struct fx *f = *state;
    void *a = slab_alloc(f->s, 64), *b = slab_alloc(f->s, 64);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    ((struct slab_free *)a)->next = (struct slab_free *)(uintptr_t)0x1230;
    tl_reports_record();
    void *again = slab_alloc(f->s, 64);
    unsigned reports = tl_report_count();
    tl_reports_fail();
    assert_ptr_equal(again, a);
    assert_int_equal(reports, 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_clean(f);
    void *c = slab_alloc(f->s, 64); /* the object after b, from the rebuild */
    assert_ptr_equal(c, (uint8_t *)b + 64);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    assert_int_equal(slab_free(f->s, b, 64), HL_OK);
    assert_int_equal(slab_free(f->s, c, 64), HL_OK);
    assert_clean(f);
}
#endif /* HL_CHECK_LEVEL >= 1 */

/* ---- checked builds: poison ---------------------------------------------- */

#if HL_CHECK_LEVEL >= 2
static void poison_fresh_and_freed(void **state)
{
    struct fx *f = *state;
    uint8_t *p = slab_alloc(f->s, 100); /* class 128 */
    assert_non_null(p);
    assert_null(hl_find_not(p, HL_POISON_FRESH, 100));
    assert_null(hl_find_not(p + 100, HL_POISON_FREED, 28));
    /* the next object of the new slab: freed poison after its link */
    assert_null(hl_find_not(p + 128 + sizeof(struct slab_free),
                            HL_POISON_FREED, 128 - sizeof(struct slab_free)));
    memset(p, 0x11, 100);
    assert_int_equal(slab_free(f->s, p, 100), HL_OK);
    assert_null(hl_find_not(p + sizeof(struct slab_free), HL_POISON_FREED,
                            128 - sizeof(struct slab_free)));
    /* cache objects too */
    struct slab_cache *c = slab_cache_create(f->s, "p40", 40, 8);
    uint8_t *o = slab_cache_alloc(c);
    assert_null(hl_find_not(o, HL_POISON_FRESH, 40));
    assert_int_equal(slab_cache_free(c, o), HL_OK);
    assert_null(hl_find_not(o + sizeof(struct slab_free), HL_POISON_FREED,
                            40 - sizeof(struct slab_free)));
    assert_int_equal(slab_cache_destroy(c), HL_OK);
}

static void write_after_free_caught(void **state)
{
    struct fx *f = *state;
    uint8_t *a = slab_alloc(f->s, 64), *b = slab_alloc(f->s, 64);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    a[63] = 0x42; /* the bug under test */
    tl_reports_record();
    uint8_t *again = slab_alloc(f->s, 64);
    unsigned reports = tl_report_count();
    tl_reports_fail();
    assert_ptr_equal(again, a);
    assert_int_equal(reports, 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_ptr_equal(tl_last_report_ptr(), a);
    /* a clean reuse reports nothing */
    assert_int_equal(slab_free(f->s, again, 64), HL_OK);
    assert_ptr_equal(slab_alloc(f->s, 64), a);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    assert_int_equal(slab_free(f->s, b, 64), HL_OK);
}
#endif /* HL_CHECK_LEVEL >= 2 */

/* ---- check() counts deliberately corrupted facts -------------------------- */

/* Class 64 with objects 0 and 2 in use and object 1 free: object 1 heads
 * the free list and links to object 3. */
struct corrupt_fx {
    const struct slab_cache *c;
    struct slab_hdr *h;
    uint8_t *obj[3];
};

static void corrupt_setup(struct fx *f, struct corrupt_fx *k)
{
    k->c = slab_class_for(f->s, 64);
    for (int i = 0; i < 3; i++)
        k->obj[i] = slab_alloc(f->s, 64);
    assert_int_equal(slab_free(f->s, k->obj[1], 64), HL_OK);
    k->h = hdr_of(f, k->c, k->obj[0]);
    assert_ptr_equal(k->h->free_head, k->obj[1]);
    assert_int_equal(check_count(f->s, NULL), 0);
}

static void expect_violations(const struct fx *f, size_t want,
                              const char *first_what)
{
    struct hl_violation v;
    size_t n = check_count(f->s, &v);
    if (n != want)
        fail_msg("check() found %zu violations (first: %s), want %zu", n,
                 v.what ? v.what : "-", want);
    if (first_what && (!v.what || strstr(v.what, first_what) == NULL))
        fail_msg("first violation '%s', want '%s'", v.what ? v.what : "-",
                 first_what);
}

static void check_counts_broken_free_list(void **state)
{
    struct fx *f = *state;
    struct corrupt_fx k;
    corrupt_setup(f, &k);
    /* obj[2] back too: the list starts obj[2] -> obj[1] in every build (a
     * release build carves a slab lazily, so obj[1] may end it). */
    assert_int_equal(slab_free(f->s, k.obj[2], 64), HL_OK);
    assert_ptr_equal(k.h->free_head, k.obj[2]);
    struct slab_free *link = (struct slab_free *)k.obj[2];
    struct slab_free *saved = link->next;
    assert_ptr_equal(saved, k.obj[1]);

    /* Off an object boundary: the bad pointer, and the free count. */
    link->next = (struct slab_free *)((uint8_t *)saved + 8);
    expect_violations(f, 2, "object boundary");
    /* Outside the slab: the same two. */
    link->next = (struct slab_free *)(uintptr_t)0x10;
    expect_violations(f, 2, "object boundary");
    /* Truncated: only the count. */
    link->next = NULL;
    expect_violations(f, 1, "free objects + in use");
    /* A cycle back to itself. */
    link->next = link;
    expect_violations(f, 2, "cycle");

    link->next = saved;
    expect_violations(f, 0, NULL);
    assert_int_equal(slab_free(f->s, k.obj[0], 64), HL_OK);
}

static void check_counts_bad_inuse_count(void **state)
{
    struct fx *f = *state;
    struct corrupt_fx k;
    corrupt_setup(f, &k);
    /* free + in use != objects; the cache's sum; (checked) the bitmap */
    k.h->inuse++;
    expect_violations(f, HL_CHECK_LEVEL >= 1 ? 3 : 2, "free objects + in use");
    k.h->inuse += 1000; /* out of range: reported alone, plus the sum */
    expect_violations(f, 2, "in-use count out of range");
    k.h->inuse -= 1001;
    expect_violations(f, 0, NULL);
    for (int i = 0; i < 3; i += 2)
        assert_int_equal(slab_free(f->s, k.obj[i], 64), HL_OK);
}

static void check_counts_slab_on_wrong_list(void **state)
{
    struct fx *f = *state;
    struct corrupt_fx k;
    corrupt_setup(f, &k);
    struct slab_cache *c = (struct slab_cache *)k.c;
    /* Move the partial slab to the full list, consistently (links, header,
     * counts): only its in-use count gives it away. */
    assert_ptr_equal(c->lists[SLAB_PARTIAL], k.h);
    assert_null(k.h->next);
    c->lists[SLAB_PARTIAL] = NULL;
    c->nslabs[SLAB_PARTIAL]--;
    c->lists[SLAB_FULL] = k.h;
    c->nslabs[SLAB_FULL]++;
    k.h->list = SLAB_FULL;
    expect_violations(f, 1, "wrong list");
    /* Only the header still says partial: header/list mismatch too. */
    k.h->list = SLAB_PARTIAL;
    expect_violations(f, 2, "names another list");
    /* Moved back. */
    c->lists[SLAB_FULL] = NULL;
    c->nslabs[SLAB_FULL]--;
    c->lists[SLAB_PARTIAL] = k.h;
    c->nslabs[SLAB_PARTIAL]++;
    expect_violations(f, 0, NULL);
    for (int i = 0; i < 3; i += 2)
        assert_int_equal(slab_free(f->s, k.obj[i], 64), HL_OK);
}

static void check_counts_bad_page_tags_and_bitmap(void **state)
{
    struct fx *f = *state;
    struct corrupt_fx k;
    corrupt_setup(f, &k);
    size_t pfn = ((uintptr_t)k.h - f->s->frames_addr) >> HL_FRAME_SHIFT;
    uint8_t saved = f->s->page_tag[pfn];
    /* Untagged slab: the slab itself, and the tag sums. */
    f->s->page_tag[pfn] = 0;
    expect_violations(f, 2, "not tagged");
    f->s->page_tag[pfn] = saved;
    /* Frame 0 starts a free 64-frame block: tag it as a second metadata
     * block, then as a large block nobody counted. */
    assert_int_equal(f->s->page_tag[0], 0);
    f->s->page_tag[0] = 0xC0; /* META, order 0 */
    expect_violations(f, 1, "more than one metadata block");
    f->s->page_tag[0] = 0x80; /* LARGE, order 0 */
    expect_violations(f, 1, "large-block counters");
    f->s->page_tag[0] = 0x47; /* SLAB, order 7: past the frames */
    expect_violations(f, 1, "page tag invalid");
    f->s->page_tag[0] = 0;
#if HL_CHECK_LEVEL >= 1
    /* Object 1 (free) marked in use: the free-list entry and the popcount. */
    k.h->used_map[0] ^= 2u;
    expect_violations(f, 2, "marked in use");
    k.h->used_map[0] ^= 2u;
#endif
    /* A wrong counter: large-block bytes with no large block. */
    f->s->large_live_bytes++;
    expect_violations(f, 1, "large-block live bytes");
    f->s->large_live_bytes--;
    expect_violations(f, 0, NULL);
    for (int i = 0; i < 3; i += 2)
        assert_int_equal(slab_free(f->s, k.obj[i], 64), HL_OK);
}


/* ---- the magazine ------------------------------------------------------- */

/* Class 64's cache (writable: the tests look inside). */
static struct slab_cache *class64(const struct fx *f)
{
    return (struct slab_cache *)slab_class_for(f->s, 64);
}

/* Snapshot of what the slab layer of c holds. */
struct slab_layer {
    size_t nslabs[SLAB_NLISTS], slab_inuse, held_bytes;
    struct slab_hdr *heads[SLAB_NLISTS];
};

static struct slab_layer layer_of(const struct fx *f, const struct slab_cache *c)
{
    struct slab_layer l;
    memset(&l, 0, sizeof l);
    for (int i = 0; i < SLAB_NLISTS; i++) {
        l.nslabs[i] = c->nslabs[i];
        l.heads[i] = c->lists[i];
    }
    l.slab_inuse = c->slab_inuse;
    l.held_bytes = stats_of(f->s).held_bytes;
    return l;
}

/* Pairs and random churn at a steady live count never reach the slabs:
 * no list moves, no slab in-use count changes, no slab comes or goes
 * (the hysteresis the vtable's live-0 pair needs). */
static void magazine_absorbs_pairs_and_churn(void **state)
{
    struct fx *f = *state;
    struct slab_cache *c = class64(f);
    enum { LIVE = 500 };
    static void *live[LIVE];
    for (int live_n = 0; live_n <= LIVE; live_n += LIVE) {
        for (int i = 0; i < live_n; i++)
            assert_non_null(live[i] = slab_alloc(f->s, 64));
        void *p = slab_alloc(f->s, 64); /* warm: the magazine has objects */
        assert_int_equal(slab_free(f->s, p, 64), HL_OK);
        struct slab_layer before = layer_of(f, c);
        uint32_t mag_before = c->mag_n;
        for (int k = 0; k < 1000; k++) {
            void *q = slab_alloc(f->s, 64);
            assert_ptr_equal(q, p); /* LIFO through the magazine */
            assert_int_equal(slab_free(f->s, q, 64), HL_OK);
        }
        rng = 0xC0FFEE;
        for (int k = 0; live_n && k < 2000; k++) { /* free random, alloc */
            size_t i = rng_next() % (size_t)live_n;
            assert_int_equal(slab_free(f->s, live[i], 64), HL_OK);
            assert_non_null(live[i] = slab_alloc(f->s, 64));
        }
        struct slab_layer after = layer_of(f, c);
        assert_memory_equal(&before, &after, sizeof before);
        assert_int_equal(c->mag_n, mag_before);
        assert_clean(f);
        for (int i = 0; i < live_n; i++)
            assert_int_equal(slab_free(f->s, live[i], 64), HL_OK);
    }
    slab_reclaim(f->s);
    assert_int_equal(c->mag_n, 0);
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);
    assert_clean(f);
}

/* Refill takes mag_cap / 2, a full magazine gives back mag_cap / 2, the
 * fill never passes mag_cap; objects come in address order from a fresh
 * slab; reclaim and slab_set_magazine empty it. */
static void magazine_refill_and_flush_bounds(void **state)
{
    struct fx *f = *state;
    struct slab_cache *c = class64(f);
    enum { N = 3 * SLAB_MAG_SLOTS };
    static uint8_t *p[N];
    assert_int_equal(c->mag_cap, SLAB_MAG_SLOTS);
    p[0] = slab_alloc(f->s, 64);
    assert_int_equal(c->mag_n, SLAB_MAG_SLOTS / 2 - 1);
    for (int i = 1; i < N; i++) {
        p[i] = slab_alloc(f->s, 64);
        assert_non_null(p[i]);
        assert_true(c->mag_n < SLAB_MAG_SLOTS / 2);
    }
    assert_true(p[1] == p[0] + 64); /* ascending, as the slab gave them */
    assert_int_equal(c->slab_inuse, N + c->mag_n);
    for (int i = 0; i < N; i++) {
        assert_int_equal(slab_free(f->s, p[i], 64), HL_OK);
        assert_true(c->mag_n >= 1 && c->mag_n <= c->mag_cap);
        assert_int_equal(c->slab_inuse, (size_t)(N - 1 - i) + c->mag_n);
    }
    assert_clean(f);
    /* a full magazine: the next free flushes half of it first */
    slab_reclaim(f->s);
    assert_int_equal(c->mag_n, 0);
    size_t nh = 0, k = 0;
    while (nh < 2 * SLAB_MAG_SLOTS - 1)
        assert_non_null(p[nh++] = slab_alloc(f->s, 64));
    while (c->mag_n < c->mag_cap)
        assert_int_equal(slab_free(f->s, p[k++], 64), HL_OK);
    assert_true(k < nh);
    assert_int_equal(slab_free(f->s, p[k++], 64), HL_OK); /* flush, push */
    assert_int_equal(c->mag_n, c->mag_cap / 2 + 1);
    while (k < nh) {
        assert_int_equal(slab_free(f->s, p[k++], 64), HL_OK);
        assert_true(c->mag_n >= 1 && c->mag_n <= c->mag_cap);
    }
    assert_clean(f);
    void *q;
    slab_set_magazine(f->s, 8);
    assert_int_equal(c->mag_n, 0);
    assert_int_equal(c->mag_cap, 8);
    assert_non_null(q = slab_alloc(f->s, 64));
    assert_int_equal(c->mag_n, 3);
    assert_int_equal(slab_free(f->s, q, 64), HL_OK);
    slab_reclaim(f->s);
    assert_int_equal(c->mag_n, 0);
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);
    assert_clean(f);
}

/* A user cache has its own magazine; destroy empties it. */
static void magazine_of_a_user_cache(void **state)
{
    struct fx *f = *state;
    struct slab_cache *c = slab_cache_create(f->s, "m40", 40, 0);
    assert_non_null(c);
    size_t held0 = stats_of(f->s).held_bytes;
    void *o = slab_cache_alloc(c);
    assert_non_null(o);
    assert_int_equal(c->mag_n, SLAB_MAG_SLOTS / 2 - 1);
    assert_int_equal(slab_cache_free(c, o), HL_OK);
    assert_int_equal(c->mag_n, SLAB_MAG_SLOTS / 2);
    assert_int_equal(slab_cache_inuse(c), 0);
    assert_true(stats_of(f->s).held_bytes > held0);
    slab_cache_reap(c); /* magazine first, then the empty slab */
    assert_int_equal(c->mag_n, 0);
    assert_int_equal(stats_of(f->s).held_bytes, held0);
    assert_non_null(o = slab_cache_alloc(c));
    assert_int_equal(slab_cache_free(c, o), HL_OK);
    struct hl_stats st = stats_of(f->s);
    assert_int_equal(st.allocs, 2);
    assert_int_equal(st.frees, 2);
    assert_int_equal(slab_cache_destroy(c), HL_OK); /* magazine not empty */
    st = stats_of(f->s);
    assert_int_equal(st.allocs, 2); /* a destroyed cache's count stays */
    assert_int_equal(st.frees, 2);
    slab_reclaim(f->s);
    assert_int_equal(stats_of(f->s).held_bytes, f->init.held_bytes);
    assert_clean(f);
}

/* check() counts each broken magazine fact exactly. */
static void check_counts_broken_magazine(void **state)
{
    struct fx *f = *state;
    struct slab_cache *c = class64(f);
    void *a = slab_alloc(f->s, 64), *b = slab_alloc(f->s, 64);
    assert_true(c->mag_n >= 2);
    struct slab_hdr *h = hdr_of(f, c, a);
    /* A free object of the slab: on its free list, or (release builds
     * carve lazily) its first never-used one. */
    assert_true(h->free_head != NULL || h->fresh < c->objs_per_slab);
    void *free_obj = h->free_head != NULL
                         ? (void *)h->free_head
                         : (uint8_t *)h + c->first_off_bytes +
                               (size_t)h->fresh * c->stride_bytes;
    void *saved0 = c->mag[0], *saved1 = c->mag[1];
    expect_violations(f, 0, NULL);

    c->mag[1] = c->mag[0]; /* one object twice (the other is lost) */
    expect_violations(f, 1, "twice");
    c->mag[1] = saved1;
    c->mag[0] = free_obj; /* also free in its slab */
    expect_violations(f, 1, "free in its slab too");
    c->mag[0] = f->region; /* the buddy's metadata, not a slab object */
    expect_violations(f, 1, "outside its cache's slabs");
    c->mag[0] = (uint8_t *)saved0 + 8; /* off an object boundary */
    expect_violations(f, 1, "outside its cache's slabs");
    c->mag[0] = saved0;
    c->mag_n = c->mag_cap + 1; /* past capacity, and more than the slabs
                                  gave out */
    expect_violations(f, 2, "magazine fill or capacity");
    c->mag_n = c->mag_cap / 2 - 2;
    expect_violations(f, 0, NULL);
    assert_int_equal(slab_free(f->s, a, 64), HL_OK);
    assert_int_equal(slab_free(f->s, b, 64), HL_OK);
    expect_violations(f, 0, NULL);
}

/* ---- main ---------------------------------------------------------------- */

/* Page tags a chunk at a time: on a 64 MiB region init writes the tags of
 * one chunk (the page-tag block's own); slabs of every class and large
 * blocks write only the chunks they land in; check() sees the same
 * structure; freeing everything leaves it clean. */
static void page_tags_written_per_chunk(void **state)
{
    (void)state;
    size_t bytes = (size_t)64 << 20;
    uint8_t *region = tl_region(bytes, HL_FRAME_BYTES);
    struct slab *s = tl_state(&hl_slab);
    tl_reports_fail();
    assert_int_equal(slab_init(s, region, bytes), HL_OK);
    size_t nchunks = (s->nframes >> BUDDY_CHUNK_ORDER) + 1;
    const uint8_t *ready = s->page_tag + s->nframes;
    size_t n = 0;
    for (size_t c = 0; c < nchunks; c++)
        n += (ready[c >> 3] >> (c & 7)) & 1;
    assert_int_equal(n, 1);
    void *small[64], *large[2];
    for (int i = 0; i < 64; i++)
        assert_non_null(small[i] = slab_alloc(s, (size_t)16 << (i % 8)));
    for (int i = 0; i < 2; i++)
        assert_non_null(large[i] = slab_alloc(s, (size_t)3 << 20)); /* order 10 */
    n = 0;
    for (size_t c = 0; c < nchunks; c++)
        n += (ready[c >> 3] >> (c & 7)) & 1;
    assert_true(n >= 2 && n <= 4); /* not one per frame's worth of region */
    assert_true(n < nchunks);
    tl_assert_check(&hl_slab, s);
    for (int i = 0; i < 64; i++)
        assert_int_equal(slab_free(s, small[i], (size_t)16 << (i % 8)), HL_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(slab_free(s, large[i], (size_t)3 << 20), HL_OK);
    tl_assert_check(&hl_slab, s);
    tl_free(s);
    tl_free(region);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TM(fn) {"mag/" #fn, fn, setup_mag, teardown, NULL}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(init_stats_and_tiny_regions),
        T(list_transitions_and_keep_one_empty),
        T(object_reuse_is_lifo),
        T(size_class_mapping_and_alignment),
        T(large_requests_go_to_buddy),
        T(exhaustion_reaps_cached_slabs),
        T(cache_create_alloc_free_destroy),
        T(cache_of_caches_grows_and_shrinks),
        T(cache_reap_returns_empty_slabs),
        T(random_ops_keep_check_clean),
#if HL_CHECK_LEVEL >= 1
        T(double_free_refused),
        T(interior_pointer_refused),
        T(wrong_size_class_refused),
        T(foreign_pointer_refused),
        T(broken_link_caught_and_repaired),
#endif
#if HL_CHECK_LEVEL >= 2
        T(poison_fresh_and_freed),
        T(write_after_free_caught),
#endif
        T(check_counts_broken_free_list),
        T(check_counts_bad_inuse_count),
        T(check_counts_slab_on_wrong_list),
        T(check_counts_bad_page_tags_and_bitmap),
        cmocka_unit_test(page_tags_written_per_chunk),
        TM(magazine_absorbs_pairs_and_churn),
        TM(magazine_refill_and_flush_bounds),
        TM(magazine_of_a_user_cache),
        TM(check_counts_broken_magazine),
        TM(random_ops_keep_check_clean),
#if HL_CHECK_LEVEL >= 1
        TM(double_free_refused),
        TM(wrong_size_class_refused),
        TM(foreign_pointer_refused),
        TM(interior_pointer_refused),
#endif
#if HL_CHECK_LEVEL >= 2
        TM(write_after_free_caught),
#endif
    };
    return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
