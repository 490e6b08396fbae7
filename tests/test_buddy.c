/*
 * test_buddy.c — the buddy allocator's own rules (allocators/buddy.h):
 * split and merge orders, buddy arithmetic, regions that are not a power
 * of two, exhaustion, a long random run with check() after every op,
 * checked-build detections, poison, and check() counting corruptions.
 */
#define _DEFAULT_SOURCE /* mmap(MAP_NORESERVE), fork */
#include "tests/testlib.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocators/buddy.h"

#define FRAME HL_FRAME_BYTES

/* A buddy over a fresh region; tl_free() both when done. */
struct fixture {
    struct buddy *b;
    uint8_t *region;
    size_t region_bytes;
};

static void fixture_free(struct fixture *f)
{
    tl_free(f->b);
    tl_free(f->region);
}

/* A region of `bytes` bytes starting `offset` bytes past a frame boundary. */
static struct fixture fixture_bytes(size_t bytes, size_t offset)
{
    struct fixture f;
    f.b = tl_state(&hl_buddy);
    f.region_bytes = bytes;
    f.region = tl_region(bytes + offset, FRAME);
    assert_int_equal(buddy_init(f.b, f.region + offset, bytes), HL_OK);
    return f;
}

/* A buddy managing exactly nframes frames (a frame-aligned region holding
 * whole metadata frames in front). */
static struct fixture fixture_frames(size_t nframes)
{
    for (size_t extra = 1;; extra++) {
        struct fixture f = fixture_bytes((nframes + extra) * FRAME, 0);
        if (f.b->nframes >= nframes) {
            assert_int_equal(f.b->nframes, nframes);
            return f;
        }
        fixture_free(&f);
    }
}

static size_t pfn_of(const struct buddy *b, const void *p)
{
    return ((uintptr_t)p - b->frames_addr) / FRAME;
}

static void *frame_ptr(const struct buddy *b, size_t pfn)
{
    return (void *)(b->frames_addr + pfn * FRAME);
}

static void assert_healthy(const struct buddy *b)
{
    tl_assert_check(&hl_buddy, b);
    tl_assert_stats_sane(&hl_buddy, b);
}

/* The lists hold exactly one block per order whose bit is set in `orders`,
 * at the given frame index. */
static void assert_lists(const struct buddy *b, const size_t *pfn_by_order,
                         unsigned norders)
{
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        if (o < norders && pfn_by_order[o] != SIZE_MAX) {
            assert_int_equal(b->free_count[o], 1);
            assert_int_equal(b->free_head[o], pfn_by_order[o]);
        } else {
            assert_int_equal(b->free_count[o], 0);
            assert_int_equal(b->free_head[o], BUDDY_NIL);
        }
    }
}

static void stats_of(const struct buddy *b, struct hl_stats *s)
{
    memset(s, 0, sizeof *s);
    buddy_stats(b, s);
}

/* The space figures (not the op counters) of two stats are equal. */
static void assert_space_equal(const struct hl_stats *a, const struct hl_stats *b)
{
    assert_int_equal(a->capacity_bytes, b->capacity_bytes);
    assert_int_equal(a->meta_bytes, b->meta_bytes);
    assert_int_equal(a->live_bytes, b->live_bytes);
    assert_int_equal(a->live_blocks, b->live_blocks);
    assert_int_equal(a->held_bytes, b->held_bytes);
    assert_int_equal(a->free_bytes, b->free_bytes);
    assert_int_equal(a->largest_free_bytes, b->largest_free_bytes);
}

/* ---- geometry ------------------------------------------------------------ */

static void init_layout_and_stats(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(64);
    struct buddy *b = f.b;
    struct hl_stats s;
    stats_of(b, &s);
    assert_int_equal(b->max_order, 6);
    assert_true(b->frames_addr > (uintptr_t)f.region); /* metadata first */
    assert_true(HL_IS_ALIGNED(b->frames_addr, (uintptr_t)FRAME));
    assert_int_equal(s.capacity_bytes, f.region_bytes);
    assert_int_equal(s.free_bytes, 64 * FRAME);
    assert_int_equal(s.meta_bytes, f.region_bytes - 64 * FRAME);
    assert_int_equal(s.held_bytes, s.meta_bytes);
    assert_int_equal(s.largest_free_bytes, 64 * FRAME);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.live_blocks, 0);
    size_t lists[] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
                      SIZE_MAX, 0};
    assert_lists(b, lists, 7);
    assert_healthy(b);
    fixture_free(&f);
}

static void init_rejects_bad_regions(void **state)
{
    (void)state;
    struct buddy *b = tl_state(&hl_buddy);
    uint8_t *r = tl_region(4 * FRAME, FRAME);
    assert_int_equal(buddy_init(b, NULL, 4 * FRAME), HL_E_REGION);
    assert_int_equal(buddy_init(b, r, 0), HL_E_REGION);
    assert_int_equal(buddy_init(b, r, FRAME), HL_E_REGION); /* meta + 0 */
    assert_int_equal(buddy_init(b, r + 1, FRAME + 16), HL_E_REGION);
    /* A range that would wrap the address space. */
    assert_int_equal(buddy_init(b, r, SIZE_MAX), HL_E_REGION);
    /* Two frames: one for the metadata, one managed. */
    assert_int_equal(buddy_init(b, r, 2 * FRAME), HL_OK);
    assert_int_equal(b->nframes, 1);
    assert_int_equal(b->max_order, 0);
    tl_free(r);
    tl_free(b);
}

/* Allocating order 0 from a fresh 2^k region splits the one block: one
 * free block at each order 0..k-1, at frame 2^o. */
static void split_orders(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(64);
    struct buddy *b = f.b;
    void *p = buddy_alloc_order(b, 0);
    assert_ptr_equal(p, frame_ptr(b, 0));
    size_t lists[] = {1, 2, 4, 8, 16, 32, SIZE_MAX};
    assert_lists(b, lists, 7);
    struct hl_stats s;
    stats_of(b, &s);
    assert_int_equal(s.largest_free_bytes, 32 * FRAME);
    assert_int_equal(s.free_bytes, 63 * FRAME);
    assert_int_equal(s.live_bytes, FRAME);
    assert_healthy(b);

    /* The next order-0 request takes the order-0 block, no split. */
    void *q = buddy_alloc_order(b, 0);
    assert_ptr_equal(q, frame_ptr(b, 1));
    size_t lists2[] = {SIZE_MAX, 2, 4, 8, 16, 32, SIZE_MAX};
    assert_lists(b, lists2, 7);
    /* An order-2 request splits nothing either: takes [4..7]. */
    void *r = buddy_alloc_order(b, 2);
    assert_ptr_equal(r, frame_ptr(b, 4));
    size_t lists3[] = {SIZE_MAX, 2, SIZE_MAX, 8, 16, 32, SIZE_MAX};
    assert_lists(b, lists3, 7);
    assert_healthy(b);
    fixture_free(&f);
}

/* Freeing coalesces upward until one max block is left again. */
static void merge_orders(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(64);
    struct buddy *b = f.b;
    struct hl_stats init_s, s;
    stats_of(b, &init_s);

    void *p = buddy_alloc_order(b, 0);
    assert_int_equal(buddy_free_order(b, p, 0), HL_OK);
    size_t whole[] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
                      SIZE_MAX, 0};
    assert_lists(b, whole, 7);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);

    /* Every frame allocated singly, then freed in an interleaved order:
     * partial merges along the way, one block at the end. */
    void *frames[64];
    for (size_t i = 0; i < 64; i++) {
        frames[i] = buddy_alloc_order(b, 0);
        assert_ptr_equal(frames[i], frame_ptr(b, i));
    }
    assert_null(buddy_alloc_order(b, 0));
    for (size_t i = 0; i < 64; i += 2)
        assert_int_equal(buddy_free_order(b, frames[i], 0), HL_OK);
    /* Even frames free, odd ones live: nothing can merge. */
    assert_int_equal(b->free_count[0], 32);
    for (unsigned o = 1; o <= 6; o++)
        assert_int_equal(b->free_count[o], 0);
    assert_healthy(b);
    assert_int_equal(buddy_free_order(b, frames[1], 0), HL_OK);
    assert_int_equal(b->free_count[0], 31);
    assert_int_equal(b->free_count[1], 1); /* [0..1] merged */
    for (size_t i = 63; i >= 3; i -= 2)
        assert_int_equal(buddy_free_order(b, frames[i], 0), HL_OK);
    assert_lists(b, whole, 7);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);
    assert_healthy(b);
    fixture_free(&f);
}

static void buddy_address_arithmetic(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(16);
    struct buddy *b = f.b;
    uintptr_t base = b->frames_addr;
    assert_true(buddy_block_of(b, base + 5 * FRAME + 123, 0) == base + 5 * FRAME);
    assert_true(buddy_block_of(b, base + 5 * FRAME + 123, 1) == base + 4 * FRAME);
    assert_true(buddy_block_of(b, base + 5 * FRAME, 2) == base + 4 * FRAME);
    assert_true(buddy_block_of(b, base + 15 * FRAME, 3) == base + 8 * FRAME);
    assert_true(buddy_block_of(b, base + 15 * FRAME + FRAME - 1, 4) == base);

    /* Two order-1 blocks from a fresh region are buddies: their frame
     * indices differ only in bit 1. */
    void *x = buddy_alloc_order(b, 1), *y = buddy_alloc_order(b, 1);
    assert_int_equal(pfn_of(b, x) ^ pfn_of(b, y), 2);
    /* Every block is aligned to its own size relative to frame 0. */
    void *z = buddy_alloc_order(b, 2), *w = buddy_alloc_order(b, 3);
    assert_int_equal(pfn_of(b, z) % 4, 0);
    assert_int_equal(pfn_of(b, w) % 8, 0);
    assert_true(buddy_block_of(b, (uintptr_t)w + 7 * FRAME, 3) == (uintptr_t)w);
    assert_null(buddy_alloc_order(b, 0)); /* 2 + 2 + 4 + 8 = 16 */
    assert_int_equal(buddy_free_order(b, x, 1), HL_OK);
    assert_int_equal(buddy_free_order(b, y, 1), HL_OK);
    assert_int_equal(b->free_count[2], 1); /* x and y merged */
    assert_int_equal(buddy_free_order(b, z, 2), HL_OK);
    assert_int_equal(buddy_free_order(b, w, 3), HL_OK);
    assert_int_equal(b->free_count[4], 1);
    assert_healthy(b);

    /* The byte view's order. */
    assert_int_equal(buddy_order_for_bytes(0), 0);
    assert_int_equal(buddy_order_for_bytes(1), 0);
    assert_int_equal(buddy_order_for_bytes(FRAME), 0);
    assert_int_equal(buddy_order_for_bytes(FRAME + 1), 1);
    assert_int_equal(buddy_order_for_bytes(3 * FRAME), 2);
    assert_int_equal(buddy_order_for_bytes(FRAME << BUDDY_MAX_ORDER),
                     BUDDY_MAX_ORDER);
    assert_int_equal(buddy_order_for_bytes((FRAME << BUDDY_MAX_ORDER) + 1),
                     BUDDY_MAX_ORDER + 1);
    assert_int_equal(buddy_order_for_bytes(SIZE_MAX), BUDDY_MAX_ORDER + 1);
    fixture_free(&f);
}

/* 6 = 4 + 2 and 13 = 8 + 4 + 1 frames: covered by the largest aligned
 * blocks; blocks whose buddy would lie past the end never merge with it. */
static void non_pow2_regions(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(6);
    struct buddy *b = f.b;
    assert_int_equal(b->max_order, 2);
    size_t six[] = {SIZE_MAX, 4, 0};
    assert_lists(b, six, 3);
    struct hl_stats s;
    stats_of(b, &s);
    assert_int_equal(s.largest_free_bytes, 4 * FRAME);
    assert_int_equal(s.free_bytes, 6 * FRAME);
    void *p[6];
    for (size_t i = 0; i < 6; i++)
        assert_non_null(p[i] = buddy_alloc_order(b, 0));
    assert_null(buddy_alloc_order(b, 0));
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(buddy_free_order(b, p[i], 0), HL_OK);
    assert_lists(b, six, 3);
    assert_null(buddy_alloc_order(b, 3)); /* no 8-frame block exists */
    assert_healthy(b);
    fixture_free(&f);

    f = fixture_frames(13);
    b = f.b;
    assert_int_equal(b->max_order, 3);
    size_t thirteen[] = {12, SIZE_MAX, 8, 0};
    assert_lists(b, thirteen, 4);
    /* Frame 12's buddy (13) is past the end: taking and returning it
     * leaves it at order 0. */
    void *last = buddy_alloc_order(b, 0);
    assert_ptr_equal(last, frame_ptr(b, 12));
    assert_int_equal(buddy_free_order(b, last, 0), HL_OK);
    assert_lists(b, thirteen, 4);
    assert_healthy(b);
    fixture_free(&f);

    /* A region that starts and ends off frame boundaries: the slack at
     * both ends counts as metadata, the tail slack is under a frame. */
    f = fixture_bytes(20 * FRAME + 777, 100);
    b = f.b;
    stats_of(b, &s);
    uintptr_t start = (uintptr_t)f.region + 100, end = start + f.region_bytes;
    uintptr_t frames_end = b->frames_addr + (uintptr_t)b->nframes * FRAME;
    assert_true(HL_IS_ALIGNED(b->frames_addr, (uintptr_t)FRAME));
    assert_true(b->frames_addr > start);
    assert_true(frames_end <= end && end - frames_end < FRAME);
    assert_int_equal(b->nframes, 19);
    assert_int_equal(s.capacity_bytes, 20 * FRAME + 777);
    assert_int_equal(s.meta_bytes + 19 * FRAME, s.capacity_bytes);
    assert_int_equal(s.free_bytes, 19 * FRAME);
    size_t nineteen[] = {18, 16, SIZE_MAX, SIZE_MAX, 0};
    assert_lists(b, nineteen, 5);
    assert_healthy(b);
    fixture_free(&f);
}

static void exhaustion_and_recovery(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(40);
    struct buddy *b = f.b;
    struct hl_stats init_s, s;
    stats_of(b, &init_s);
    void *p[41];
    size_t n = 0;
    while ((p[n] = hl_buddy.alloc(b, 100)) != NULL)
        n++;
    assert_int_equal(n, 40);
    stats_of(b, &s);
    assert_int_equal(s.failed_allocs, 1);
    assert_int_equal(s.free_bytes, 0);
    assert_int_equal(s.largest_free_bytes, 0);
    assert_int_equal(s.held_bytes, s.capacity_bytes);
    assert_int_equal(s.live_bytes, 40 * 100);
    assert_int_equal(s.live_blocks, 40);
    assert_null(hl_buddy.alloc(b, SIZE_MAX));
    assert_null(hl_buddy.alloc(b, SIZE_MAX - FRAME + 2));
    assert_null(buddy_alloc_order(b, BUDDY_MAX_ORDER));
    assert_null(buddy_alloc_order(b, BUDDY_MAX_ORDER + 1));
    stats_of(b, &s);
    assert_int_equal(s.failed_allocs, 5);
    assert_healthy(b);

    for (size_t i = 0; i < n; i++)
        assert_int_equal(hl_buddy.free(b, p[i], 100), HL_OK);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);
    assert_int_equal(s.allocs, 40);
    assert_int_equal(s.frees, 40);
    /* Recovered: the 32-frame block is whole again. */
    void *big = buddy_alloc_order(b, 5);
    assert_ptr_equal(big, frame_ptr(b, 0));
    assert_null(buddy_alloc_order(b, 5));
    assert_int_equal(buddy_free_order(b, big, 5), HL_OK);
    assert_int_equal(hl_buddy.free(b, NULL, 5), HL_OK);

    /* alloc(0) is a unique, freeable one-byte request. */
    void *z1 = hl_buddy.alloc(b, 0), *z2 = hl_buddy.alloc(b, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    stats_of(b, &s);
    assert_int_equal(s.live_bytes, 2);
    assert_int_equal(hl_buddy.free(b, z1, 0), HL_OK);
    assert_int_equal(hl_buddy.free(b, z2, 0), HL_OK);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);
    assert_healthy(b);
    fixture_free(&f);
}

/* Deterministic PRNG (splitmix64). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Random alloc/free with check() after every op; a shadow frame map
 * proves live blocks never overlap and the free count stays exact. */
static void random_ops_keep_invariants(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(200); /* not a power of two */
    struct buddy *b = f.b;
    struct hl_stats init_s, s;
    stats_of(b, &init_s);
    enum { SLOTS = 48, OPS = 3000 };
    void *ptr[SLOTS] = {0};
    unsigned ord[SLOTS] = {0};
    uint8_t owner[200];
    memset(owner, 0xFF, sizeof owner);
    size_t live_frames = 0;
    uint64_t seed = 42;
    for (int op = 0; op < OPS; op++) {
        unsigned slot = (unsigned)(rng_next(&seed) % SLOTS);
        if (ptr[slot] == NULL) {
            unsigned o = (unsigned)(rng_next(&seed) % 6);
            void *p = buddy_alloc_order(b, o);
            if (p != NULL) {
                size_t pfn = pfn_of(b, p);
                assert_int_equal(pfn % ((size_t)1 << o), 0);
                for (size_t i = pfn; i < pfn + ((size_t)1 << o); i++) {
                    assert_int_equal(owner[i], 0xFF);
                    owner[i] = (uint8_t)slot;
                }
                ptr[slot] = p;
                ord[slot] = o;
                live_frames += (size_t)1 << o;
            }
        } else {
            size_t pfn = pfn_of(b, ptr[slot]);
            for (size_t i = pfn; i < pfn + ((size_t)1 << ord[slot]); i++)
                owner[i] = 0xFF;
            assert_int_equal(buddy_free_order(b, ptr[slot], ord[slot]), HL_OK);
            live_frames -= (size_t)1 << ord[slot];
            ptr[slot] = NULL;
        }
        assert_healthy(b);
        assert_int_equal(b->free_frames, 200 - live_frames);
    }
    for (unsigned i = 0; i < SLOTS; i++)
        if (ptr[i] != NULL)
            assert_int_equal(buddy_free_order(b, ptr[i], ord[i]), HL_OK);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);
    assert_healthy(b);
    fixture_free(&f);
}

#if HL_CHECK_LEVEL < 2
/* Orders stop at BUDDY_MAX_ORDER: a region of more than 2^19 frames is
 * covered by 1 GiB blocks that never merge further.  Only the metadata is
 * touched (levels 0 and 1 do not poison), so the 2 GiB region is mostly
 * never-faulted address space. */
static void large_region_caps_orders(void **state)
{
    (void)state;
    tl_reports_fail();
    size_t nframes_max = ((size_t)2 << BUDDY_MAX_ORDER) + 2048;
    size_t bytes = nframes_max * FRAME;
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED)
        skip();
    struct buddy *b = tl_state(&hl_buddy);
    assert_int_equal(buddy_init(b, region, bytes), HL_OK);
    size_t n = b->nframes;
    assert_true(n > ((size_t)2 << BUDDY_MAX_ORDER) && n < nframes_max);
    assert_int_equal(b->max_order, BUDDY_MAX_ORDER);
    assert_int_equal(b->free_count[BUDDY_MAX_ORDER], 2);
    struct hl_stats init_s, s;
    stats_of(b, &init_s);
    assert_int_equal(init_s.largest_free_bytes, FRAME << BUDDY_MAX_ORDER);
    assert_int_equal(init_s.free_bytes, n * FRAME);
    assert_healthy(b);

    void *x = buddy_alloc_order(b, BUDDY_MAX_ORDER);
    void *y = buddy_alloc_order(b, BUDDY_MAX_ORDER);
    assert_non_null(x);
    assert_non_null(y);
    assert_null(buddy_alloc_order(b, BUDDY_MAX_ORDER));
    assert_int_equal(pfn_of(b, x) ^ pfn_of(b, y), (size_t)1 << BUDDY_MAX_ORDER);
    assert_int_equal(buddy_free_order(b, x, BUDDY_MAX_ORDER), HL_OK);
    /* The tail past 2^19 frames holds only small blocks: an order-17
     * request splits x's block, and freeing it merges back to order 18. */
    void *z = buddy_alloc_order(b, BUDDY_MAX_ORDER - 1);
    assert_ptr_equal(z, x);
    assert_int_equal(b->free_count[BUDDY_MAX_ORDER], 0);
    assert_int_equal(b->free_count[BUDDY_MAX_ORDER - 1], 1);
    assert_int_equal(buddy_free_order(b, z, BUDDY_MAX_ORDER - 1), HL_OK);
    assert_int_equal(b->free_count[BUDDY_MAX_ORDER], 1);
    assert_int_equal(buddy_free_order(b, y, BUDDY_MAX_ORDER), HL_OK);
    /* Both max blocks are back, buddies at max order, and not merged. */
    assert_int_equal(b->free_count[BUDDY_MAX_ORDER], 2);
    stats_of(b, &s);
    assert_space_equal(&s, &init_s);
    assert_healthy(b);
    tl_free(b);
    munmap(region, bytes);
}
#endif

#if HL_CHECK_LEVEL >= 3
/* Level 3 runs check() after every operation and panics on a violation:
 * a corrupted counter makes the next alloc abort (in a child process). */
static void paranoid_level_panics_on_corruption(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(16);
    f.b->free_frames++;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void)freopen("/dev/null", "w", stderr);
        (void)buddy_alloc_order(f.b, 0);
        _exit(0); /* not reached when level 3 works */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    f.b->free_frames--;
    assert_healthy(f.b);
    fixture_free(&f);
}
#endif

/* ---- checked builds ------------------------------------------------------ */

#if HL_CHECK_LEVEL >= 1
/* A copy of everything the allocator owns, to prove a refused free
 * changed nothing. */
struct snapshot {
    struct buddy b;
    uint8_t meta[2 * FRAME];
};

static void snap(const struct fixture *f, struct snapshot *s)
{
    memcpy(&s->b, f->b, sizeof s->b);
    size_t meta = f->b->frames_addr - (uintptr_t)f->region;
    assert_true(meta <= sizeof s->meta);
    memcpy(s->meta, f->region, meta);
}

static void assert_unchanged(const struct fixture *f, const struct snapshot *s)
{
    assert_memory_equal(&s->b, f->b, sizeof s->b);
    assert_memory_equal(s->meta, f->region,
                        f->b->frames_addr - (uintptr_t)f->region);
}

/* One bad free: the expected status, exactly one report, no change. */
static void expect_refused(struct fixture *f, void *ptr, unsigned order,
                           enum hl_status want, const char *what)
{
    struct snapshot before;
    snap(f, &before);
    tl_reports_reset();
    assert_int_equal(buddy_free_order(f->b, ptr, order), want);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), what);
    assert_ptr_equal(tl_last_report_ptr(), ptr);
    assert_unchanged(f, &before);
}

static void checked_free_detections(void **state)
{
    (void)state;
    tl_reports_record();
    struct fixture f = fixture_frames(32);
    struct buddy *b = f.b;
    void *a = buddy_alloc_order(b, 2);  /* [0..3] */
    void *c = buddy_alloc_order(b, 0);  /* [4] */
    void *d = buddy_alloc_order(b, 0);  /* [5] */
    assert_ptr_equal(a, frame_ptr(b, 0));
    assert_ptr_equal(d, frame_ptr(b, 5));

    /* Double free of a block that stayed single (its buddy is live). */
    assert_int_equal(buddy_free_order(b, c, 0), HL_OK);
    expect_refused(&f, c, 0, HL_E_DOUBLE_FREE, "double free");
    /* Double free after the block merged into a larger free one. */
    assert_int_equal(buddy_free_order(b, d, 0), HL_OK);
    assert_int_equal(b->free_count[0], 0);
    assert_int_equal(b->free_count[2], 1); /* [4] [5] [6..7] -> [4..7] */
    expect_refused(&f, d, 0, HL_E_DOUBLE_FREE, "double free");
    /* A frame inside a free block that was never handed out. */
    expect_refused(&f, frame_ptr(b, 20), 0, HL_E_DOUBLE_FREE, "double free");

    /* Interior: a later frame of a live block, or a misaligned address. */
    expect_refused(&f, frame_ptr(b, 1), 0, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, frame_ptr(b, 3), 2, HL_E_INTERIOR, "interior pointer");
    expect_refused(&f, (uint8_t *)a + 16, 2, HL_E_INTERIOR, "interior pointer");

    /* Wrong order, both ways, and an impossible one. */
    expect_refused(&f, a, 1, HL_E_SIZE, "wrong order");
    expect_refused(&f, a, 3, HL_E_SIZE, "wrong order");
    expect_refused(&f, a, BUDDY_MAX_ORDER + 1, HL_E_SIZE, "wrong order");
    tl_reports_reset();
    assert_int_equal(buddy_free(b, a, 5 * FRAME), HL_E_SIZE);
    assert_int_equal(tl_report_count(), 1);

    /* Foreign: the metadata, before the region, past the frames. */
    expect_refused(&f, f.region, 0, HL_E_FOREIGN, "foreign pointer");
    expect_refused(&f, (void *)(b->frames_addr - 1), 0, HL_E_FOREIGN,
                   "foreign pointer");
    expect_refused(&f, frame_ptr(b, 32), 0, HL_E_FOREIGN, "foreign pointer");
    int local;
    expect_refused(&f, &local, 0, HL_E_FOREIGN, "foreign pointer");

    /* The valid frees still work afterwards, and nothing leaked. */
    tl_reports_reset();
    assert_int_equal(buddy_free_order(b, a, 2), HL_OK);
    assert_int_equal(tl_report_count(), 0);
    assert_int_equal(b->free_count[5], 1);
    assert_healthy(b);
    fixture_free(&f);
}
#endif

#if HL_CHECK_LEVEL >= 2
static void poison_fresh_freed_and_write_after_free(void **state)
{
    (void)state;
    tl_reports_record();
    struct fixture f = fixture_frames(8);
    struct buddy *b = f.b;
    /* Untouched free frames carry the freed poison from init on. */
    assert_null(hl_find_not(frame_ptr(b, 0), HL_POISON_FREED, 8 * FRAME));

    uint8_t *p = buddy_alloc(b, 100);
    assert_null(hl_find_not(p, HL_POISON_FRESH, 100));
    assert_null(hl_find_not(p + 100, HL_POISON_FREED, FRAME - 100));
    uint8_t *q = buddy_alloc_order(b, 1);
    assert_null(hl_find_not(q, HL_POISON_FRESH, 2 * FRAME));
    memset(p, 0x11, 100);
    memset(q, 0x22, 2 * FRAME);
    assert_int_equal(buddy_free(b, p, 100), HL_OK);
    assert_null(hl_find_not(p, HL_POISON_FREED, FRAME));
    assert_int_equal(buddy_free_order(b, q, 1), HL_OK);
    assert_null(hl_find_not(q, HL_POISON_FREED, 2 * FRAME));
    assert_int_equal(tl_report_count(), 0);

    /* A write into a freed block is reported when the block is reused,
     * once, at the first changed byte. */
    uint8_t *r = buddy_alloc_order(b, 0);
    assert_int_equal(buddy_free_order(b, r, 0), HL_OK);
    r[1234] = 0x5A;
    r[2000] = 0x5A;
    uint8_t *again = buddy_alloc_order(b, 0);
    assert_ptr_equal(again, r);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), "write after free");
    assert_ptr_equal(tl_last_report_ptr(), r + 1234);
    assert_null(hl_find_not(again, HL_POISON_FRESH, FRAME));
    assert_int_equal(buddy_free_order(b, again, 0), HL_OK);

    /* Only the handed-out part of a split block is verified. */
    tl_reports_reset();
    uint8_t *big = buddy_alloc_order(b, 2);
    assert_int_equal(buddy_free_order(b, big, 2), HL_OK);
    big[3 * FRAME] = 0;                           /* in [3] */
    uint8_t *small = buddy_alloc_order(b, 0);     /* [0], split off [0..3] */
    assert_int_equal(tl_report_count(), 0);
    uint8_t *small2 = buddy_alloc_order(b, 1);    /* [2..3] */
    assert_int_equal(tl_report_count(), 1);
    assert_ptr_equal(tl_last_report_ptr(), big + 3 * FRAME);
    assert_int_equal(buddy_free_order(b, small, 0), HL_OK);
    assert_int_equal(buddy_free_order(b, small2, 1), HL_OK);
    assert_healthy(b);
    fixture_free(&f);
}
#endif

/* ---- check() counts corruptions ------------------------------------------ */

static size_t check_count(const struct buddy *b, const char **what)
{
    struct hl_violation first = {0};
    size_t n = buddy_check(b, &first);
    *what = first.what;
    return n;
}

/* State for the corruption tests: 16 frames, [0] allocated (order 0), free
 * [1] o0, [2..3] o1, [4..7] o2, [8..15] o3. */
static void check_counts_corruptions(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(16);
    struct buddy *b = f.b;
    void *a = buddy_alloc_order(b, 0);
    assert_ptr_equal(a, frame_ptr(b, 0));
    const char *what;
    assert_int_equal(check_count(b, &what), 0);
    assert_null(what);

    /* 1: a pair bit flipped (order 2, pair [0..3]/[4..7]). */
    b->pair_bits[2][0] ^= 1u;
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "pair bit is not the XOR of the buddies");
    b->pair_bits[2][0] ^= 1u;
    assert_int_equal(check_count(b, &what), 0);

    /* 1: a broken prev link.  Push a second order-0 block so list 0 has
     * two nodes. */
    void *x = buddy_alloc_order(b, 0); /* [1] */
    void *y = buddy_alloc_order(b, 0); /* splits [2..3]: [2] out, [3] free */
    assert_int_equal(buddy_free_order(b, x, 0), HL_OK); /* list 0: 1, 3 */
    assert_int_equal(b->free_count[0], 2);
    uint32_t second = b->link_next[b->free_head[0]];
    uint32_t saved = b->link_prev[second];
    b->link_prev[second] = 7;
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "free-list prev link broken");
    b->link_prev[second] = saved;

    /* 3: a list cut short — its count, the free heads it misses, and the
     * free_frames total all disagree. */
    saved = b->link_next[b->free_head[0]];
    b->link_next[b->free_head[0]] = BUDDY_NIL;
    assert_int_equal(check_count(b, &what), 3);
    assert_string_equal(what, "free-list count wrong");
    b->link_next[b->free_head[0]] = saved;
    assert_int_equal(check_count(b, &what), 0);

    /* 4: a list that loops (the second node points back to itself): the
     * cycle, then the list counted as empty disagrees with free_count,
     * free_frames and the free heads found by the frame walk. */
    saved = b->link_next[second];
    b->link_next[second] = second;
    assert_int_equal(check_count(b, &what), 4);
    assert_string_equal(what, "free list has a cycle");
    b->link_next[second] = saved;
    /* 1: a link out of range past the last node (the nodes before it are
     * all there, so nothing else is off). */
    b->link_next[second] = 1000;
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "free-list link out of range");
    b->link_next[second] = saved;
    assert_int_equal(check_count(b, &what), 0);

    /* 1: the free_frames counter. */
    b->free_frames++;
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "free_frames differs from the lists");
    b->free_frames--;

    /* 1: a head's order beyond max_order. */
    uint8_t saved_info = b->frame_info[0];
    b->frame_info[0] = (uint8_t)(saved_info | 0x1F);
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "block head invalid (order, alignment, end)");
    /* 2: a head whose order makes it swallow a free neighbour: [0] as an
     * order-1 block covers free [1] (a head inside it), and list 0 now
     * has a block the walk did not see as a free head. */
    b->frame_info[0] = (uint8_t)(saved_info + 1);
    assert_int_equal(check_count(b, &what), 2);
    assert_string_equal(what, "block head inside another block");
    /* 4: the live block [0] marked free behind the lists' back: free heads
     * differ from list 0, [0] and [1] are free buddies left uncoalesced,
     * the pair bit no longer matches, and live_blocks is one too many. */
    b->frame_info[0] = (uint8_t)(saved_info | 0x40);
    assert_int_equal(check_count(b, &what), 4);
    b->frame_info[0] = saved_info;
    assert_int_equal(check_count(b, &what), 0);

    /* 1: a tail frame that claims to be an allocated head (inside free
     * [8..15]); the walk skips it with its block. */
    b->frame_info[9] = b->frame_info[2];
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "block head inside another block");
    b->frame_info[9] = 0;
    /* 2: live block [2]'s head erased: a frame covered by no block, and
     * one allocated block fewer than live_blocks says. */
    saved_info = b->frame_info[2];
    b->frame_info[2] = 0;
    assert_int_equal(check_count(b, &what), 2);
    assert_string_equal(what, "frame not covered by a block");
    b->frame_info[2] = saved_info;
    assert_int_equal(check_count(b, &what), 0);

    assert_int_equal(buddy_free_order(b, y, 0), HL_OK);
    assert_int_equal(buddy_free_order(b, a, 0), HL_OK);
    assert_int_equal(b->free_count[4], 1);
    assert_healthy(b);
    fixture_free(&f);
}


/* ---- the order-0 stack (buddy_set_pcp, the registry's buddy) ------------- */

/* Pairs go through the stack (LIFO, no split or merge after the first);
 * a full stack coalesces its oldest half; reclaim restores the lists of a
 * buddy without the stack. */
static void pcp_pairs_flush_and_reclaim(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(128);
    struct buddy *b = f.b;
    struct hl_stats s0, s;
    stats_of(b, &s0);
    buddy_set_pcp(b, BUDDY_PCP_SLOTS);
    assert_int_equal(b->pcp_cap, BUDDY_PCP_SLOTS);
    void *p = buddy_alloc_order(b, 0);
    assert_ptr_equal(p, frame_ptr(b, 0));
    assert_int_equal(buddy_free_order(b, p, 0), HL_OK);
    assert_int_equal(b->pcp_n, 1);
    size_t free_frames = b->free_frames; /* the lists: split, not merged */
    for (int i = 0; i < 1000; i++) {
        assert_ptr_equal(buddy_alloc_order(b, 0), p);
        assert_int_equal(b->pcp_n, 0);
        assert_int_equal(buddy_free_order(b, p, 0), HL_OK);
    }
    assert_int_equal(b->free_frames, free_frames);
    stats_of(b, &s); /* the stacked frame counts as free */
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_int_equal(s.held_bytes, s0.held_bytes);
    assert_healthy(b);

    enum { N = 2 * BUDDY_PCP_SLOTS + 3 };
    void *q[N];
    for (int i = 0; i < N; i++)
        assert_non_null(q[i] = buddy_alloc_order(b, 0));
    assert_int_equal(b->pcp_n, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(buddy_free_order(b, q[i], 0), HL_OK);
        assert_true(b->pcp_n >= 1 && b->pcp_n <= b->pcp_cap);
        if (i == BUDDY_PCP_SLOTS) /* the 33rd free found the stack full */
            assert_int_equal(b->pcp_n, BUDDY_PCP_SLOTS / 2 + 1);
        assert_healthy(b);
    }
    stats_of(b, &s);
    assert_int_equal(s.free_bytes, s0.free_bytes);
    assert_true(s.largest_free_bytes < s0.largest_free_bytes);
    buddy_reclaim(b);
    assert_int_equal(b->pcp_n, 0);
    stats_of(b, &s);
    assert_space_equal(&s, &s0);
    assert_int_equal(b->free_count[b->max_order], 1);
    assert_healthy(b);
    /* off again: frees coalesce at once */
    buddy_set_pcp(b, 0);
    p = buddy_alloc_order(b, 0);
    assert_int_equal(buddy_free_order(b, p, 0), HL_OK);
    assert_int_equal(b->pcp_n, 0);
    stats_of(b, &s);
    assert_space_equal(&s, &s0);
    fixture_free(&f);
}

/* The registry's buddy (vtable) has the stack on and reclaim() empties it. */
static void pcp_in_the_registry(void **state)
{
    (void)state;
    struct buddy *b = tl_state(&hl_buddy);
    uint8_t *r = tl_region(64 * FRAME, FRAME);
    assert_int_equal(hl_al_init(&hl_buddy, b, r, 64 * FRAME, NULL), HL_OK);
    assert_int_equal(b->pcp_cap, BUDDY_PCP_SLOTS);
    struct hl_stats s0, s;
    hl_buddy.stats(b, &s0);
    void *p = hl_buddy.alloc(b, 1);
    assert_int_equal(hl_buddy.free(b, p, 1), HL_OK);
    assert_int_equal(b->pcp_n, 1);
    assert_non_null(hl_buddy.reclaim);
    hl_buddy.reclaim(b);
    hl_buddy.stats(b, &s);
    assert_int_equal(b->pcp_n, 0);
    assert_int_equal(s.largest_free_bytes, s0.largest_free_bytes);
    tl_free(r);
    tl_free(b);
}

/* check() counts each broken fact of the stack exactly. */
static void pcp_check_counts_corruptions(void **state)
{
    (void)state;
    tl_reports_fail();
    struct fixture f = fixture_frames(16);
    struct buddy *b = f.b;
    buddy_set_pcp(b, BUDDY_PCP_SLOTS);
    void *x = buddy_alloc_order(b, 0), *y = buddy_alloc_order(b, 0),
         *z = buddy_alloc_order(b, 0);
    assert_int_equal(buddy_free_order(b, x, 0), HL_OK);
    assert_int_equal(buddy_free_order(b, y, 0), HL_OK);
    const char *what;
    assert_int_equal(check_count(b, &what), 0);
    uint32_t saved = b->pcp[1];

    /* 1: a frame twice (the other stays an allocated head nobody holds,
     * which the count cannot tell from a live one) */
    b->pcp[1] = b->pcp[0];
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "order-0 stack holds a frame twice");
    /* 1: a frame that is free on the lists (frame 3: [2] went to y... the
     * split left [3] free) */
    b->pcp[1] = 3;
    assert_int_equal(b->frame_info[3] & 0x40u, 0x40u);
    assert_int_equal(check_count(b, &what), 1);
    assert_string_equal(what, "order-0 stack holds no allocated frame");
    /* 1: out of range */
    b->pcp[1] = 1000;
    assert_int_equal(check_count(b, &what), 1);
    b->pcp[1] = saved;
    /* 2: fill past capacity, and then the allocated heads disagree */
    b->pcp_n = b->pcp_cap + 1;
    assert_int_equal(check_count(b, &what), 2);
    assert_string_equal(what, "order-0 stack fill or capacity out of range");
    b->pcp_n = 2;
    assert_int_equal(check_count(b, &what), 0);
#if HL_CHECK_LEVEL >= 1
    /* a double free of a stacked frame is refused, state unchanged */
    tl_reports_record();
    expect_refused(&f, x, 0, HL_E_DOUBLE_FREE, "double free");
    tl_reports_fail();
#endif
    assert_int_equal(buddy_free_order(b, z, 0), HL_OK);
    buddy_reclaim(b);
    assert_int_equal(check_count(b, &what), 0);
    fixture_free(&f);
}

/* Chunks: init writes no frame-table byte of a region whose blocks are all
 * chunk-sized or larger; a chunk's table is written when a block in it is
 * first split; whatever happens, check() agrees and nothing is lost. */
static void chunks_written_on_first_split(void **state)
{
    (void)state;
    size_t bytes = (size_t)64 << 20;
    uint8_t *region = tl_region(bytes, FRAME);
    memset(region, 0xAB, (size_t)1 << 20); /* the metadata lies in front */
    struct buddy *b = tl_state(&hl_buddy);
    assert_int_equal(buddy_init(b, region, bytes), HL_OK);
    size_t chunk = (size_t)1 << BUDDY_CHUNK_ORDER, nchunks = b->nframes / chunk;
    assert_true(nchunks >= 8);
    size_t untouched = 0;
    for (size_t i = 0; i < nchunks * chunk; i++)
        untouched += b->frame_info[i] == 0xAB;
    assert_int_equal(untouched, nchunks * chunk); /* none written by init */
    const char *what;
    assert_int_equal(check_count(b, &what), 0);

    /* a chunk's worth of frames: the region's partial last chunk (written
     * by init: it holds small blocks) first, then one whole chunk */
    void **one = calloc(chunk, sizeof *one);
    for (size_t i = 0; i < chunk; i++)
        assert_non_null(one[i] = buddy_alloc_order(b, 0));
    untouched = 0;
    for (size_t i = 0; i < nchunks * chunk; i++)
        untouched += b->frame_info[i] == 0xAB;
    assert_int_equal(untouched, (nchunks - 1) * chunk); /* one chunk written */
    assert_int_equal(check_count(b, &what), 0);
    for (size_t i = 0; i < chunk; i++)
        assert_int_equal(buddy_free_order(b, one[i], 0), HL_OK);
    free(one);

    /* random orders 0..BUDDY_CHUNK_ORDER + 2, checked every 256 ops */
    enum { LIVE = 512 };
    void *live[LIVE] = {0};
    unsigned order[LIVE] = {0};
    uint64_t x = 0x1234567;
    for (int op = 0; op < 20000; op++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t k = (size_t)(x % LIVE);
        if (live[k]) {
            assert_int_equal(buddy_free_order(b, live[k], order[k]), HL_OK);
            live[k] = NULL;
        } else {
            order[k] = (unsigned)((x >> 20) % (BUDDY_CHUNK_ORDER + 3));
            if (order[k] > 3 && (x >> 40) % 8) /* mostly small blocks */
                order[k] = (unsigned)((x >> 44) % 4);
            live[k] = buddy_alloc_order(b, order[k]);
        }
        if (op % 256 == 0)
            assert_int_equal(check_count(b, &what), 0);
    }
    for (size_t k = 0; k < LIVE; k++)
        if (live[k])
            assert_int_equal(buddy_free_order(b, live[k], order[k]), HL_OK);
    assert_int_equal(check_count(b, &what), 0);
    assert_int_equal(b->free_frames, b->nframes);
    tl_free(b);
    tl_free(region);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_layout_and_stats),
        cmocka_unit_test(init_rejects_bad_regions),
        cmocka_unit_test(split_orders),
        cmocka_unit_test(merge_orders),
        cmocka_unit_test(buddy_address_arithmetic),
        cmocka_unit_test(non_pow2_regions),
        cmocka_unit_test(exhaustion_and_recovery),
        cmocka_unit_test(random_ops_keep_invariants),
#if HL_CHECK_LEVEL < 2
        cmocka_unit_test(large_region_caps_orders),
#endif
#if HL_CHECK_LEVEL >= 3
        cmocka_unit_test(paranoid_level_panics_on_corruption),
#endif
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(checked_free_detections),
#endif
#if HL_CHECK_LEVEL >= 2
        cmocka_unit_test(poison_fresh_freed_and_write_after_free),
#endif
        cmocka_unit_test(check_counts_corruptions),
        cmocka_unit_test(pcp_pairs_flush_and_reclaim),
        cmocka_unit_test(pcp_in_the_registry),
        cmocka_unit_test(pcp_check_counts_corruptions),
        cmocka_unit_test(chunks_written_on_first_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
