/*
 * test_firstfit.c — the seed's first-fit heap's own rules (firstfit.h):
 * placement, split, coalescing, exhaustion, accounting, checked frees,
 * poison, and check() counting deliberately corrupted facts.
 * The seed's errata have their own file: test_errata_firstfit.c.
 */
#include "tests/testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/firstfit.h"

#define HDR FFH_HEADER_BYTES
#define ARENA_BYTES ((size_t)64 * 1024)

struct fx {
    struct ffh_heap *h;
    uint8_t *region;
    size_t region_bytes;
};

static struct fx fx_open(size_t bytes)
{
    struct fx f;
    f.region_bytes = bytes;
    f.region = tl_region(bytes, 16);
    f.h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(f.h, f.region, bytes), HL_OK);
    tl_assert_check(&hl_firstfit_seed, f.h);
    return f;
}

static void fx_close(struct fx *f)
{
    tl_free(f->region);
    tl_free(f->h);
}

static struct ffh_block *hdr_of(void *p)
{
    return (struct ffh_block *)((uint8_t *)p - HDR);
}

static size_t count_blocks(const struct ffh_heap *h)
{
    size_t n = 0;
    for (const struct ffh_block *b = h->head; b; b = b->next)
        n++;
    return n;
}

static void check_clean(const struct fx *f)
{
    tl_assert_check(&hl_firstfit_seed, f->h);
    tl_assert_stats_sane(&hl_firstfit_seed, f->h);
}

/* Stats fields that must come back once everything is freed. */
static void assert_stats_as_after_init(const struct hl_stats *a,
                                       const struct hl_stats *b)
{
    assert_int_equal(a->capacity_bytes, b->capacity_bytes);
    assert_int_equal(a->meta_bytes, b->meta_bytes);
    assert_int_equal(a->live_bytes, b->live_bytes);
    assert_int_equal(a->live_blocks, b->live_blocks);
    assert_int_equal(a->held_bytes, b->held_bytes);
    assert_int_equal(a->free_bytes, b->free_bytes);
    assert_int_equal(a->largest_free_bytes, b->largest_free_bytes);
}

/* ---- init and accounting ----------------------------------------------- */

static void init_makes_one_free_block(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    assert_ptr_equal(f.h->head, f.region);
    assert_int_equal(f.h->head->magic, FFH_MAGIC_FREE);
    assert_int_equal(f.h->head->size_bytes, ARENA_BYTES - HDR);
    assert_null(f.h->head->next);

    struct hl_stats s;
    ffh_stats(f.h, &s);
    assert_int_equal(s.capacity_bytes, ARENA_BYTES);
    assert_int_equal(s.meta_bytes, 0);
    assert_int_equal(s.held_bytes, 0);
    assert_int_equal(s.free_bytes, ARENA_BYTES);
    assert_int_equal(s.largest_free_bytes, ARENA_BYTES - HDR);
    assert_int_equal(s.live_blocks, 0);

    /* Regions that cannot be described are refused. */
    struct ffh_heap other;
    assert_int_equal(ffh_init(&other, NULL, 4096), HL_E_REGION);
    assert_int_equal(ffh_init(&other, (void *)(UINTPTR_MAX - 4095), 8192),
                     HL_E_REGION);
    fx_close(&f);
}

static void stats_count_headers_rounding_and_slack(void **state)
{
    (void)state;
    tl_reports_fail();
    /* base + 4, 4096 bytes: 12 bytes of slack in front, 4 at the end. */
    uint8_t *region = tl_region(4096 + 32, 16);
    struct ffh_heap *h = tl_state(&hl_firstfit_seed);
    assert_int_equal(ffh_init(h, region + 4, 4096), HL_OK);
    struct hl_stats s0, s;
    ffh_stats(h, &s0);
    assert_int_equal(s0.meta_bytes, 12 + 4);
    assert_int_equal(s0.held_bytes, 16);
    assert_int_equal(s0.free_bytes, 4096 - 16);

    void *a = ffh_alloc(h, 100); /* granted 112 + header */
    void *b = ffh_alloc(h, 1);   /* granted 16 + header */
    assert_non_null(a);
    assert_non_null(b);
    ffh_stats(h, &s);
    assert_int_equal(s.live_bytes, 101);
    assert_int_equal(s.live_blocks, 2);
    assert_int_equal(s.held_bytes, 16 + (112 + HDR) + (16 + HDR));
    assert_int_equal(s.free_bytes, 4096 - s.held_bytes);
    assert_int_equal(s.largest_free_bytes, s.free_bytes - HDR);
    assert_int_equal(s.allocs, 2);
    tl_assert_stats_sane(&hl_firstfit_seed, h);
    tl_assert_check(&hl_firstfit_seed, h);

    assert_int_equal(ffh_free(h, a, 100), HL_OK);
    ffh_stats(h, &s);
    assert_int_equal(s.live_bytes, 1);
    /* The hole before b is free but not the largest. */
    assert_int_equal(s.largest_free_bytes, s.free_bytes - 2 * HDR - 112);
    assert_int_equal(ffh_free(h, b, 1), HL_OK);
    ffh_stats(h, &s);
    assert_stats_as_after_init(&s, &s0);
    assert_int_equal(s.frees, 2);
    tl_free(region);
    tl_free(h);
}

/* ---- placement and split ---------------------------------------------- */

static void first_fit_reuses_lowest_hole(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *p[6];
    for (int i = 0; i < 6; i++)
        assert_non_null(p[i] = ffh_alloc(f.h, 64));
    /* Holes of 64 at p[1] and p[3]; p[4] stays used between p[3] and p[5]. */
    assert_int_equal(ffh_free(f.h, p[3], 64), HL_OK);
    assert_int_equal(ffh_free(f.h, p[1], 64), HL_OK);
    check_clean(&f);
    /* A request that fits both goes to the lower hole, whichever was freed
     * first. */
    void *q = ffh_alloc(f.h, 48);
    assert_ptr_equal(q, p[1]);
    void *r = ffh_alloc(f.h, 64);
    assert_ptr_equal(r, p[3]);
    /* A request larger than every hole goes past them to the tail. */
    assert_int_equal(ffh_free(f.h, q, 48), HL_OK);
    void *big = ffh_alloc(f.h, 65);
    assert_true((uint8_t *)big > (uint8_t *)p[5]);
    /* ...while one that fits the hole still takes it. */
    assert_ptr_equal(ffh_alloc(f.h, 1), p[1]);
    check_clean(&f);
    fx_close(&f);
}

static void split_leaves_free_remainder(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 40); /* rounded to 48 */
    assert_ptr_equal(a, f.region + HDR);
    struct ffh_block *b = f.h->head;
    assert_int_equal(b->magic, FFH_MAGIC_USED);
    assert_int_equal(b->size_bytes, 48);
    struct ffh_block *rest = b->next;
    assert_ptr_equal(rest, f.region + HDR + 48);
    assert_int_equal(rest->magic, FFH_MAGIC_FREE);
    assert_int_equal(rest->size_bytes, ARENA_BYTES - 2 * HDR - 48);
    assert_null(rest->next);
    check_clean(&f);
    fx_close(&f);
}

static void no_split_when_rest_too_small(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *hole = ffh_alloc(f.h, 128);
    void *guard = ffh_alloc(f.h, 16);
    assert_int_equal(ffh_free(f.h, hole, 128), HL_OK);
    size_t blocks = count_blocks(f.h);

    /* Rest would be exactly one header with no payload: no split, the
     * whole 128 bytes are granted. */
    void *a = ffh_alloc(f.h, 128 - HDR);
    assert_ptr_equal(a, hole);
    assert_int_equal(hdr_of(a)->size_bytes, 128);
    assert_ptr_equal(hdr_of(a)->next, hdr_of(guard));
    assert_int_equal(count_blocks(f.h), blocks);
    check_clean(&f);
    /* The sized free with what was asked is accepted. */
    assert_int_equal(ffh_free(f.h, a, 128 - HDR), HL_OK);

    /* Rest = header + 16: just enough, so it splits. */
    a = ffh_alloc(f.h, 128 - HDR - 16);
    assert_ptr_equal(a, hole);
    assert_int_equal(hdr_of(a)->size_bytes, 128 - HDR - 16);
    struct ffh_block *rest = hdr_of(a)->next;
    assert_int_equal(rest->magic, FFH_MAGIC_FREE);
    assert_int_equal(rest->size_bytes, 16);
    assert_ptr_equal(rest->next, hdr_of(guard));
    assert_int_equal(count_blocks(f.h), blocks + 1);
    check_clean(&f);
    fx_close(&f);
}

/* ---- coalescing ------------------------------------------------------- */

static void coalesce_with_next(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64), *b = ffh_alloc(f.h, 64);
    void *guard = ffh_alloc(f.h, 64);
    assert_int_equal(ffh_free(f.h, b, 64), HL_OK);
    assert_int_equal(ffh_free(f.h, a, 64), HL_OK); /* merges b in */
    assert_int_equal(hdr_of(a)->magic, FFH_MAGIC_FREE);
    assert_int_equal(hdr_of(a)->size_bytes, 64 + HDR + 64);
    assert_ptr_equal(hdr_of(a)->next, hdr_of(guard));
    assert_int_equal(count_blocks(f.h), 3);
    check_clean(&f);
    fx_close(&f);
}

static void coalesce_with_previous(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64), *b = ffh_alloc(f.h, 64);
    void *guard = ffh_alloc(f.h, 64);
    assert_int_equal(ffh_free(f.h, a, 64), HL_OK);
    assert_int_equal(ffh_free(f.h, b, 64), HL_OK); /* a takes b in */
    assert_int_equal(hdr_of(a)->size_bytes, 64 + HDR + 64);
    assert_ptr_equal(hdr_of(a)->next, hdr_of(guard));
    assert_int_equal(count_blocks(f.h), 3);
    check_clean(&f);
    fx_close(&f);
}

static void coalesce_three_in_every_order(void **state)
{
    (void)state;
    tl_reports_fail();
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int o = 0; o < 6; o++) {
        struct fx f = fx_open(ARENA_BYTES);
        void *p[3];
        for (int i = 0; i < 3; i++)
            p[i] = ffh_alloc(f.h, 80);
        void *guard = ffh_alloc(f.h, 16);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(ffh_free(f.h, p[orders[o][k]], 80), HL_OK);
            check_clean(&f);
        }
        struct ffh_block *b = f.h->head;
        assert_ptr_equal(b, hdr_of(p[0]));
        assert_int_equal(b->magic, FFH_MAGIC_FREE);
        assert_int_equal(b->size_bytes, 3 * 80 + 2 * HDR);
        assert_ptr_equal(b->next, hdr_of(guard));
        assert_int_equal(count_blocks(f.h), 3); /* hole, guard, tail */
        /* Freeing the guard merges everything back into one block. */
        assert_int_equal(ffh_free(f.h, guard, 16), HL_OK);
        assert_int_equal(count_blocks(f.h), 1);
        assert_int_equal(f.h->head->size_bytes, ARENA_BYTES - HDR);
        fx_close(&f);
    }
}

/* ---- exhaustion ------------------------------------------------------- */

static void exhaustion_and_recovery(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(4096);
    struct hl_stats s0, s;
    ffh_stats(f.h, &s0);
    void *p[4096 / 16];
    size_t n = 0;
    while ((p[n] = ffh_alloc(f.h, 64)) != NULL)
        n++;
    assert_int_equal(n, 4096 / (64 + HDR));
    ffh_stats(f.h, &s);
    assert_int_equal(s.failed_allocs, 1);
    assert_true(s.largest_free_bytes < 64);
    check_clean(&f);
    /* Free every other block: plenty of room, but no hole fits 65. */
    for (size_t i = 0; i < n; i += 2)
        assert_int_equal(ffh_free(f.h, p[i], 64), HL_OK);
    ffh_stats(f.h, &s);
    assert_int_equal(s.largest_free_bytes, 64);
    assert_null(ffh_alloc(f.h, 65));
    check_clean(&f);
    for (size_t i = 1; i < n; i += 2)
        assert_int_equal(ffh_free(f.h, p[i], 64), HL_OK);
    ffh_stats(f.h, &s);
    assert_stats_as_after_init(&s, &s0);
    /* Everything is one block again: the largest request fits exactly. */
    void *all = ffh_alloc(f.h, 4096 - HDR);
    assert_ptr_equal(all, f.region + HDR);
    assert_null(ffh_alloc(f.h, 1));
    assert_int_equal(ffh_free(f.h, all, 4096 - HDR), HL_OK);
    assert_null(ffh_alloc(f.h, 4096 - HDR + 1));
    check_clean(&f);
    fx_close(&f);
}

/* ---- random ops ------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void random_ops_keep_every_invariant(void **state)
{
    (void)state;
    tl_reports_fail();
    enum { SLOTS = 48, OPS = 3000 };
    struct fx f = fx_open(ARENA_BYTES);
    struct hl_stats s0, s;
    ffh_stats(f.h, &s0);
    uint8_t *ptr[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t live_bytes = 0, fails = 0;
    for (int op = 0; op < OPS; op++) {
        unsigned slot = (unsigned)(rng_next(&rng) % SLOTS);
        if (ptr[slot] == NULL) {
            uint64_t r = rng_next(&rng);
            size_t n = (r & 7) == 0 ? (size_t)(r >> 8) % 4000
                                    : (size_t)(r >> 8) % 300;
            ptr[slot] = ffh_alloc(f.h, n);
            if (ptr[slot] == NULL) {
                fails++;
                continue;
            }
            assert_true(((uintptr_t)ptr[slot] & 15) == 0);
            assert_true(ptr[slot] >= f.region + HDR &&
                        ptr[slot] + (n ? n : 1) <= f.region + ARENA_BYTES);
            len[slot] = n ? n : 1;
            live_bytes += len[slot];
            memset(ptr[slot], (int)slot + 1, len[slot]);
        } else {
            /* The block kept its contents: nothing overlapped it. */
            for (size_t i = 0; i < len[slot]; i++)
                assert_int_equal(ptr[slot][i], slot + 1);
            assert_int_equal(ffh_free(f.h, ptr[slot], len[slot]), HL_OK);
            live_bytes -= len[slot];
            ptr[slot] = NULL;
        }
        check_clean(&f);
        ffh_stats(f.h, &s);
        assert_int_equal(s.live_bytes, live_bytes);
        assert_int_equal(s.failed_allocs, fails);
    }
    for (unsigned slot = 0; slot < SLOTS; slot++)
        if (ptr[slot])
            assert_int_equal(ffh_free(f.h, ptr[slot], len[slot]), HL_OK);
    ffh_stats(f.h, &s);
    assert_stats_as_after_init(&s, &s0);
    assert_int_equal(count_blocks(f.h), 1);
    fx_close(&f);
}

/* ---- checked builds --------------------------------------------------- */

#if HL_CHECK_LEVEL >= 1
/* Each refused free reports once, returns its status and changes nothing,
 * neither the state block nor a byte of the arena. */
static void expect_refused(struct fx *f, void *p, size_t bytes,
                           enum hl_status want, const char *what)
{
    struct ffh_heap before = *f->h;
    uint8_t *copy = malloc(f->region_bytes);
    assert_non_null(copy);
    memcpy(copy, f->region, f->region_bytes);
    tl_reports_reset();
    assert_int_equal(ffh_free(f->h, p, bytes), want);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), what);
    assert_ptr_equal(tl_last_report_ptr(), p);
    assert_memory_equal(&before, f->h, sizeof before);
    assert_memory_equal(copy, f->region, f->region_bytes);
    free(copy);
    tl_assert_check(&hl_firstfit_seed, f->h);
}

static void checked_free_detects_bad_frees(void **state)
{
    (void)state;
    tl_reports_record();
    struct fx f = fx_open(ARENA_BYTES);
    uint8_t *a = ffh_alloc(f.h, 100);
    uint8_t *b = ffh_alloc(f.h, 64);
    uint8_t *c = ffh_alloc(f.h, 64);
    int on_stack;
    expect_refused(&f, &on_stack, 4, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, f.region + ARENA_BYTES, 4, HL_E_FOREIGN,
                   "foreign pointer");
    expect_refused(&f, f.region - 16, 4, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, a + 1, 99, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, a + 16, 84, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, a - HDR, 100, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, b + 64 - 16, 16, HL_E_INTERIOR, "interior pointer");
    /* 100 was granted 112: 10 and 200 cannot have been asked. */
    expect_refused(&f, a, 10, HL_E_SIZE, "wrong size");
    expect_refused(&f, a, 200, HL_E_SIZE, "wrong size");
    expect_refused(&f, a, SIZE_MAX, HL_E_SIZE, "wrong size");
    /* b sits between used blocks: its header stays, marked free. */
    assert_int_equal(ffh_free(f.h, b, 64), HL_OK);
    expect_refused(&f, b, 64, HL_E_DOUBLE_FREE, "double free");
    /* c merges into b's free block: the stale pointer lands inside it. */
    assert_int_equal(ffh_free(f.h, c, 64), HL_OK);
    expect_refused(&f, c, 64, HL_E_DOUBLE_FREE, "double free");
    expect_refused(&f, b, 64, HL_E_DOUBLE_FREE, "double free");
    /* The valid free still works afterwards. */
    tl_reports_reset();
    assert_int_equal(ffh_free(f.h, a, 100), HL_OK);
    assert_int_equal(tl_report_count(), 0);
    assert_int_equal(count_blocks(f.h), 1);
    check_clean(&f);
    fx_close(&f);
}
#endif

#if HL_CHECK_LEVEL >= 2
static void poison_fresh_and_freed(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    uint8_t *a = ffh_alloc(f.h, 40);
    uint8_t *b = ffh_alloc(f.h, 64);
    uint8_t *guard = ffh_alloc(f.h, 16);
    (void)guard;
    /* Requested bytes are fresh; the rounding tail still holds freed. */
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(a[i], HL_POISON_FRESH);
    for (size_t i = 40; i < 48; i++)
        assert_int_equal(a[i], HL_POISON_FREED);
    memset(a, 0x11, 40);
    memset(b, 0x22, 64);
    assert_int_equal(ffh_free(f.h, b, 64), HL_OK);
    for (size_t i = 0; i < 64; i++)
        assert_int_equal(b[i], HL_POISON_FREED);
    assert_int_equal(hdr_of(b)->magic, FFH_MAGIC_FREE); /* metadata kept */
    /* a merges with b: a's payload and b's old header are poisoned. */
    assert_int_equal(ffh_free(f.h, a, 40), HL_OK);
    for (size_t i = 0; i < 48 + HDR + 64; i++)
        assert_int_equal(a[i], HL_POISON_FREED);
    check_clean(&f);
    fx_close(&f);
}

static void poison_write_after_free_reported_on_reuse(void **state)
{
    (void)state;
    tl_reports_record();
    struct fx f = fx_open(ARENA_BYTES);
    uint8_t *a = ffh_alloc(f.h, 64);
    uint8_t *guard = ffh_alloc(f.h, 16);
    (void)guard;
    assert_int_equal(ffh_free(f.h, a, 64), HL_OK);
    a[37] = 0x5A; /* the bug: a write through a dangling pointer */
    assert_int_equal(tl_report_count(), 0);
    uint8_t *again = ffh_alloc(f.h, 64);
    assert_ptr_equal(again, a);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_ptr_equal(tl_last_report_ptr(), a + 37);
    /* An untouched reuse reports nothing. */
    assert_int_equal(ffh_free(f.h, again, 64), HL_OK);
    tl_reports_reset();
    assert_ptr_equal(ffh_alloc(f.h, 64), a);
    assert_int_equal(tl_report_count(), 0);
    check_clean(&f);
    fx_close(&f);
}
#endif

/* ---- check() counts corrupted facts ----------------------------------- */

static size_t run_check(const struct fx *f, const char **what)
{
    struct hl_violation first = {0};
    size_t n = ffh_check(f->h, &first);
    *what = first.what ? first.what : "";
    return n;
}

/* Cut the tail free block in two free blocks without touching counters. */
static struct ffh_block *split_tail_by_hand(struct fx *f, struct ffh_block *tail)
{
    struct ffh_block *fake = (struct ffh_block *)((uint8_t *)tail + HDR + 256);
    fake->size_bytes = tail->size_bytes - 256 - HDR;
    fake->next = tail->next;
    fake->magic = FFH_MAGIC_FREE;
    tail->size_bytes = 256;
    tail->next = fake;
    (void)f;
    return fake;
}

static void check_counts_uncoalesced_free_neighbours(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64);
    struct ffh_block *tail = hdr_of(a)->next;
    struct ffh_block saved = *tail;
    split_tail_by_hand(&f, tail);
    const char *what;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "adjacent free blocks not coalesced");
    *tail = saved;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}

static void check_counts_next_out_of_arena(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64);
    ffh_alloc(f.h, 64);
    struct ffh_block *saved = hdr_of(a)->next;
    const char *what;
    hdr_of(a)->next = (struct ffh_block *)(f.region + ARENA_BYTES + 64);
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "next pointer outside the arena");
    /* Inside the arena but not the neighbour: skips a block. */
    hdr_of(a)->next = saved->next;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "next pointer is not the adjacent block");
    hdr_of(a)->next = NULL;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "list ends before the arena does");
    hdr_of(a)->next = saved;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}

static void check_counts_size_past_end(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64);
    struct ffh_block *tail = hdr_of(a)->next;
    const char *what;
    tail->size_bytes += 4096;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "block size runs past the arena end");
    tail->size_bytes -= 4096;
    hdr_of(a)->size_bytes += 8; /* not a multiple of 16 */
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "block size is not a multiple of 16");
    hdr_of(a)->size_bytes -= 8;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}

static void check_counts_several_independent_facts(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fx f = fx_open(ARENA_BYTES);
    void *a = ffh_alloc(f.h, 64);
    void *b = ffh_alloc(f.h, 64);
    struct ffh_block *tail = hdr_of(b)->next;
    struct ffh_heap saved_heap = *f.h;
    struct ffh_block saved_tail = *tail;
    const char *what;

    hdr_of(a)->magic = 0x12345678u;  /* 1: a trampled header */
    split_tail_by_hand(&f, tail);     /* 2: free neighbours not merged */
    f.h->allocs++;                    /* 3: counters disagree */
    assert_int_equal(run_check(&f, &what), 3);
    assert_string_equal(what, "block header magic is neither free nor used");

    /* The used-bytes counter alone is one fact. */
    hdr_of(a)->magic = FFH_MAGIC_USED;
    *tail = saved_tail;
    *f.h = saved_heap;
    assert_int_equal(run_check(&f, &what), 0);
    f.h->used_bytes += 16;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "used block bytes in the list != used_bytes");
    f.h->used_bytes -= 16;
    f.h->live_blocks++;
    f.h->allocs++;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "used blocks in the list != live_blocks");
    *f.h = saved_heap;
    f.h->head = tail;
    assert_int_equal(run_check(&f, &what), 1);
    assert_string_equal(what, "list head is not the arena start");
    *f.h = saved_heap;
    assert_int_equal(run_check(&f, &what), 0);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_makes_one_free_block),
        cmocka_unit_test(stats_count_headers_rounding_and_slack),
        cmocka_unit_test(first_fit_reuses_lowest_hole),
        cmocka_unit_test(split_leaves_free_remainder),
        cmocka_unit_test(no_split_when_rest_too_small),
        cmocka_unit_test(coalesce_with_next),
        cmocka_unit_test(coalesce_with_previous),
        cmocka_unit_test(coalesce_three_in_every_order),
        cmocka_unit_test(exhaustion_and_recovery),
        cmocka_unit_test(random_ops_keep_every_invariant),
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(checked_free_detects_bad_frees),
#endif
#if HL_CHECK_LEVEL >= 2
        cmocka_unit_test(poison_fresh_and_freed),
        cmocka_unit_test(poison_write_after_free_reported_on_reuse),
#endif
        cmocka_unit_test(check_counts_uncoalesced_free_neighbours),
        cmocka_unit_test(check_counts_next_out_of_arena),
        cmocka_unit_test(check_counts_size_past_end),
        cmocka_unit_test(check_counts_several_independent_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
