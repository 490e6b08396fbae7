/*
 * fuzz_alloc.c — every registered allocator (hl_allocators[]) through the
 * one interface of allocator.h, driven by the fuzzer's bytes.  A new
 * allocator is fuzzed by this target without a new line: ctest runs one
 * test per registered name (HL_FUZZ_LIST prints them).
 *
 * Which allocator: the environment variable HL_FUZZ_ALLOCATOR (a registry
 * name).  The input decodes to:
 *
 *   byte 0   mode: bit 0 invalid frees too, bit 1 garbage-filled state
 *            block (else zeroed), bits 2..4 region size 64 KiB << k
 *            (k 0, 0, 0, 1, 1, 2, 4, 6: 64 KiB .. 4 MiB, small ones more
 *            often: they fill up sooner, and checked TLSF verifies a whole
 *            free block's poison per alloc), bit 5 an odd region offset,
 *            bit 6 the allocator's parameters from the input (else its
 *            defaults)
 *   byte 1-2 region offset inside the arena (16-byte steps, or 1-byte
 *            steps with bit 5)
 *   with bit 6, one byte per parameter of the allocator: low 2 bits 0 its
 *            minimum, 1 its maximum, 2 its default, 3 a value between
 *            (the other 6 bits' share of the range)
 *   then ops, one byte each plus operands: alloc (sizes at every
 *            boundary, small, medium, large, impossible), free, check(),
 *            reclaim(); in invalid mode also double, foreign, interior,
 *            grossly wrong-size and slightly wrong-size frees.
 *
 * What must hold (a failure aborts; libFuzzer keeps the input):
 *   - init succeeds on any region of 64 KiB or more, or says HL_E_REGION;
 *   - every block lies inside the region, is aligned to align_bytes and
 *     overlaps no live block; its requested bytes hold HL_POISON_FRESH;
 *   - a block keeps the pattern written into it until it is freed;
 *   - the allocator touches nothing outside the region and the state
 *     block: the rest of the arena is ASan-poisoned, so a stray read or
 *     write is an ASan report, not a byte scan;
 *   - stats: the conservation law of allocator.h after every op, live
 *     bytes and blocks equal to the shadow's, allocs/frees/failed_allocs
 *     counting exactly; check() finds 0 violations every 8 ops and at the
 *     end; after freeing everything (and reclaim) the stats are back to
 *     those right after init (unless HL_F_NO_REUSE);
 *   - valid operations produce no report;
 *   - invalid frees return the exact status (a double free: "double free";
 *     or, once its block has merged with a neighbour, "interior pointer";
 *     or, once slab has reused its pages for another class, "wrong size"),
 *     report exactly once and change nothing (stats compared whole, then
 *     check()).  A free whose size is slightly wrong (same class, order or
 *     frame count) must be refused as HL_E_SIZE by an allocator with
 *     HL_F_FREE_SIZE_EXACT; the others accept it by design and are not
 *     asked (docs/allocators.md, "Sized free").
 */
#include <sanitizer/asan_interface.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "allocators/util.h"
#include "tests/fuzz/fuzz.h"

#define REGION_MIN_BYTES ((size_t)64 << 10)
#define REGION_MAX_BYTES ((size_t)4 << 20)
#define OFFSET_MAX_BYTES ((size_t)1 << 20) /* 65535 * 16 */
#define GUARD_BYTES ((size_t)64 << 10) /* poisoned, at least, either side */
#define ARENA_BYTES (REGION_MAX_BYTES + OFFSET_MAX_BYTES + 2 * GUARD_BYTES)
#define MAX_LIVE 64
#define MAX_FREED 16
#define CHECK_EVERY 8

static const struct hl_allocator *A;
static uint8_t *arena;      /* ARENA_BYTES, page-aligned */
static void *state;         /* A->state_bytes, HL_STATE_ALIGN-aligned */
static uint8_t *patbuf;     /* pattern source: patbuf[i] = i & 0xFF */

struct blk {
    uint8_t *p;
    size_t bytes; /* as asked */
    uint64_t id;
};

struct run {
    uint8_t *region;
    size_t region_bytes;
    struct blk live[MAX_LIVE];
    size_t nlive;
    size_t live_bytes; /* what stats.live_bytes must say */
    uint64_t allocs, frees, failed;
    struct blk freed[MAX_FREED]; /* recently freed blocks (double frees) */
    size_t nfreed;
    uint64_t next_id;
};

static struct hl_stats stats_now(void)
{
    struct hl_stats s;
    memset(&s, 0xA5, sizeof s);
    A->stats(state, &s);
    return s;
}

static void check_now(const char *when)
{
    struct hl_violation first = {0};
    size_t n = A->check(state, &first);
    FZ_REQUIRE(n == 0, "%s: check() %s: %zu violations, first '%s' at %#lx",
               A->name, when, n, first.what ? first.what : "?",
               (unsigned long)first.addr);
}

static void stats_law(const struct run *r)
{
    struct hl_stats s = stats_now();
    FZ_REQUIRE(s.capacity_bytes == r->region_bytes,
               "%s: capacity %zu, region %zu", A->name, s.capacity_bytes,
               r->region_bytes);
    FZ_REQUIRE(s.held_bytes + s.free_bytes == s.capacity_bytes,
               "%s: held %zu + free %zu != capacity %zu", A->name,
               s.held_bytes, s.free_bytes, s.capacity_bytes);
    FZ_REQUIRE(s.largest_free_bytes <= s.free_bytes,
               "%s: largest free %zu > free %zu", A->name,
               s.largest_free_bytes, s.free_bytes);
    FZ_REQUIRE(s.meta_bytes <= s.held_bytes, "%s: meta %zu > held %zu",
               A->name, s.meta_bytes, s.held_bytes);
    FZ_REQUIRE((A->flags & HL_F_NO_REUSE) ||
                   s.live_bytes <= s.held_bytes - s.meta_bytes,
               "%s: live %zu > held %zu - meta %zu", A->name, s.live_bytes,
               s.held_bytes, s.meta_bytes);
    FZ_REQUIRE(s.live_blocks == r->nlive && s.live_bytes == r->live_bytes,
               "%s: stats say %zu live bytes in %zu blocks, the shadow %zu "
               "in %zu",
               A->name, s.live_bytes, s.live_blocks, r->live_bytes, r->nlive);
    FZ_REQUIRE(s.allocs == r->allocs && s.frees == r->frees &&
                   s.failed_allocs == r->failed,
               "%s: stats count %llu allocs, %llu frees, %llu failed; the "
               "shadow %llu, %llu, %llu",
               A->name, (unsigned long long)s.allocs,
               (unsigned long long)s.frees,
               (unsigned long long)s.failed_allocs,
               (unsigned long long)r->allocs, (unsigned long long)r->frees,
               (unsigned long long)r->failed);
}

/* ---- sizes ------------------------------------------------------------- */

static const size_t boundary[32] = {
    0,    1,    2,    7,    8,    15,   16,   17,   31,   32,   33,
    63,   64,   65,   127,  128,  129,  255,  256,  257,  511,  512,
    513,  1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097,
};

static size_t gen_size(struct fz *f, const struct run *r)
{
    uint8_t s = fz_u8(f);
    switch (s >> 5) {
    case 0:
        return boundary[s & 31];
    case 1:
        return fz_u8(f);
    case 2:
        return fz_u16(f) & 0x7FF;
    case 3:
        return fz_u16(f);
    case 4: { /* a boundary and a little */
        size_t b = boundary[s & 31] << (fz_u8(f) & 7);
        return b + (fz_u8(f) & 31);
    }
    case 5: /* anything up to a bit more than the region */
        return fz_u32(f) % (r->region_bytes + 2 * HL_FRAME_BYTES);
    case 6: /* frames: n * 4096 - d */
        return ((size_t)(fz_u8(f) & 63) + 1) * HL_FRAME_BYTES -
               (fz_u16(f) & 4095);
    default: { /* the impossible */
        static const size_t huge[8] = {
            SIZE_MAX,          SIZE_MAX - 1,         SIZE_MAX - 15,
            SIZE_MAX - 4095,   SIZE_MAX / 2 + 1,     SIZE_MAX / 2,
            (size_t)1 << 31,   (size_t)-(1u << 20),
        };
        return huge[s & 7];
    }
    }
}

/* ---- the shadow -------------------------------------------------------- */

static size_t served(size_t bytes) { return bytes ? bytes : 1; }

static void require_inside(const struct run *r, const uint8_t *p, size_t bytes)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)r->region;
    size_t n = served(bytes);
    FZ_REQUIRE(a >= b && n <= r->region_bytes && a - b <= r->region_bytes - n,
               "%s: block %p + %zu lies outside region %p + %zu", A->name,
               (const void *)p, bytes, (const void *)r->region,
               r->region_bytes);
    FZ_REQUIRE(HL_IS_ALIGNED(a, A->align_bytes),
               "%s: block %p for %zu bytes is not %zu-aligned", A->name,
               (const void *)p, bytes, A->align_bytes);
}

static const struct blk *overlap(const struct run *r, const uint8_t *p,
                                 size_t bytes)
{
    uintptr_t s = (uintptr_t)p, e = s + served(bytes);
    for (size_t i = 0; i < r->nlive; i++) {
        uintptr_t ls = (uintptr_t)r->live[i].p;
        uintptr_t le = ls + served(r->live[i].bytes);
        if (s < le && ls < e)
            return &r->live[i];
    }
    return NULL;
}

static void fill(const struct blk *b)
{
    memcpy(b->p, patbuf + (b->id & 0xFF), b->bytes);
}

static void verify(const struct blk *b)
{
    if (memcmp(b->p, patbuf + (b->id & 0xFF), b->bytes) != 0)
        FZ_FAIL("%s: block %p + %zu (id %llu) was overwritten while live",
                A->name, (void *)b->p, b->bytes, (unsigned long long)b->id);
}

static void op_alloc(struct run *r, size_t bytes)
{
    uint8_t *p = A->alloc(state, bytes);
    FZ_REQUIRE(fz_report_count() == 0, "%s: alloc(%zu) reported '%s'",
               A->name, bytes, fz_last_report());
    if (!p) {
        r->failed++;
        return;
    }
    r->allocs++;
    require_inside(r, p, bytes);
    const struct blk *o = overlap(r, p, bytes);
    FZ_REQUIRE(!o, "%s: new block %p + %zu overlaps live block %p + %zu",
               A->name, (void *)p, bytes, (void *)(o ? o->p : NULL),
               o ? o->bytes : 0);
    size_t bad = fz_find_not(p, HL_POISON_FRESH, bytes);
    FZ_REQUIRE(bad == bytes,
               "%s: byte %zu of a fresh %zu-byte block is %#x, not fresh "
               "poison",
               A->name, bad, bytes, p[bad < bytes ? bad : 0]);
    if (r->nlive == MAX_LIVE) { /* no slot: give it straight back */
        struct blk b = {p, bytes, r->next_id++};
        fill(&b);
        FZ_REQUIRE(A->free(state, p, bytes) == HL_OK,
                   "%s: free of a fresh block refused", A->name);
        r->frees++;
        return;
    }
    struct blk *b = &r->live[r->nlive++];
    *b = (struct blk){p, bytes, r->next_id++};
    r->live_bytes += served(bytes);
    fill(b);
}

static void remember_freed(struct run *r, const struct blk *b)
{
    r->freed[r->nfreed % MAX_FREED] = *b;
    r->nfreed++;
}

static void drop_live(struct run *r, size_t i)
{
    r->live[i] = r->live[--r->nlive];
}

static void op_free(struct run *r, size_t i)
{
    struct blk b = r->live[i];
    verify(&b);
    enum hl_status st = A->free(state, b.p, b.bytes);
    FZ_REQUIRE(st == HL_OK && fz_report_count() == 0,
               "%s: free(%p, %zu) of a live block returned '%s' (%u "
               "reports, last '%s')",
               A->name, (void *)b.p, b.bytes, hl_status_str(st),
               fz_report_count(), fz_last_report());
    r->frees++;
    r->live_bytes -= served(b.bytes);
    drop_live(r, i);
    remember_freed(r, &b);
}

/* ---- invalid frees ----------------------------------------------------- */

/* free(p, bytes) must be refused with one of want[0..nwant), one report,
 * and no change to stats or structures. */
static void expect_refused(const char *what, void *p, size_t bytes,
                           const enum hl_status *want, size_t nwant)
{
    struct hl_stats before = stats_now();
    fz_reports_reset();
    enum hl_status got = A->free(state, p, bytes);
    unsigned reports = fz_report_count();
    fz_reports_reset();
    bool ok = false;
    for (size_t i = 0; i < nwant; i++)
        ok |= got == want[i];
    FZ_REQUIRE(ok, "%s: %s free(%p, %zu) returned '%s', want '%s'", A->name,
               what, p, bytes, hl_status_str(got), hl_status_str(want[0]));
    FZ_REQUIRE(reports == 1, "%s: %s free(%p, %zu): %u reports, want 1",
               A->name, what, p, bytes, reports);
    struct hl_stats after = stats_now();
    FZ_REQUIRE(memcmp(&before, &after, sizeof before) == 0,
               "%s: a refused %s free(%p, %zu) changed the stats", A->name,
               what, p, bytes);
    check_now("after a refused free");
}

static void op_invalid(struct fz *f, struct run *r)
{
    uint8_t k = fz_u8(f);
    size_t step = A->family == HL_FAMILY_FRAME ? HL_FRAME_BYTES
                                               : A->align_bytes;
    switch (k % 5) {
    case 0: { /* double free of a recently freed block, if not reused */
        if (r->nfreed == 0)
            return;
        size_t n = r->nfreed < MAX_FREED ? r->nfreed : MAX_FREED;
        const struct blk *b = &r->freed[fz_u8(f) % n];
        if (overlap(r, b->p, b->bytes))
            return;
        /* Its memory may have merged into a bigger free block ("interior
         * pointer") or, in slab, gone back to the buddy and come back as
         * a slab of another class ("wrong size"). */
        static const enum hl_status want[] = {HL_E_DOUBLE_FREE,
                                              HL_E_INTERIOR, HL_E_SIZE};
        expect_refused("double", b->p, b->bytes, want, 3);
        return;
    }
    case 1: { /* foreign: just outside the region, either side */
        static const enum hl_status want[] = {HL_E_FOREIGN};
        size_t d = (size_t)fz_u8(f) % 8 * step;
        uint8_t *p = (k & 8) ? r->region + r->region_bytes + d
                             : r->region - step - d;
        expect_refused("foreign", p, fz_u8(f), want, 1);
        return;
    }
    default:
        break;
    }
    if (r->nlive == 0)
        return;
    const struct blk *b = &r->live[fz_u8(f) % r->nlive];
    switch (k % 5) {
    case 2: { /* interior: a step (or more) into a block */
        size_t steps = served(b->bytes) / step;
        if (served(b->bytes) % step == 0)
            steps--;
        if (steps == 0)
            return;
        size_t off = (1 + fz_u8(f) % steps) * step;
        /* With the size left after the pointer, which may belong to
         * another class: slab looks the class up first ("wrong size"). */
        static const enum hl_status want[] = {HL_E_INTERIOR, HL_E_SIZE};
        expect_refused("interior", b->p + off, b->bytes - off, want, 2);
        return;
    }
    case 3: { /* grossly wrong size: more than the region holds */
        static const enum hl_status want[] = {HL_E_SIZE};
        size_t wrong = b->bytes + r->region_bytes + 1 + fz_u8(f);
        expect_refused("wrong-size", b->p, wrong, want, 1);
        return;
    }
    default: { /* slightly wrong size: the same class, order, frame count */
        size_t d = 1 + fz_u8(f) % (A->family == HL_FAMILY_FRAME ? 4095 : 15);
        size_t wrong = (k & 8) ? b->bytes + d : b->bytes - HL_MIN(d, b->bytes);
        if (!(A->flags & HL_F_FREE_SIZE_EXACT) || served(wrong) == served(b->bytes))
            return; /* accepted by design: it would skew live_bytes for good */
        static const enum hl_status want[] = {HL_E_SIZE};
        expect_refused("slightly-wrong-size", b->p, wrong, want, 1);
        return;
    }
    }
}

/* ---- the target --------------------------------------------------------- */

static void list_and_exit(FILE *out, int status)
{
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++)
        fprintf(out, "%s\n", (*a)->name);
    exit(status);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (getenv("HL_FUZZ_LIST"))
        list_and_exit(stdout, 0);
    const char *name = getenv("HL_FUZZ_ALLOCATOR");
    A = name ? hl_allocator_find(name) : NULL;
    if (!A) {
        fprintf(stderr,
                "fuzz_alloc: set HL_FUZZ_ALLOCATOR to one of these (not "
                "'%s'):\n",
                name ? name : "");
        list_and_exit(stderr, 2);
    }
    arena = aligned_alloc(HL_FRAME_BYTES, ARENA_BYTES);
    state = aligned_alloc(HL_STATE_ALIGN,
                          HL_ALIGN_UP(A->state_bytes, HL_STATE_ALIGN));
    patbuf = malloc(ARENA_BYTES + 256);
    if (!arena || !state || !patbuf) {
        fprintf(stderr, "fuzz_alloc: out of memory\n");
        exit(1);
    }
    memset(arena, 0x5A, ARENA_BYTES);
    for (size_t i = 0; i < ARENA_BYTES + 256; i++)
        patbuf[i] = (uint8_t)i;
    return 0;
}

static struct run run_buf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    struct run *r = &run_buf;
    memset(r, 0, sizeof *r);
    r->next_id = 1;

    uint8_t mode = fz_u8(&f);
    bool invalid = mode & 1;
    static const unsigned region_shift[8] = {0, 0, 0, 1, 1, 2, 4, 6};
    r->region_bytes = REGION_MIN_BYTES << region_shift[(mode >> 2) & 7];
    size_t off = fz_u16(&f);
    off = (mode & 0x20) ? off : off * 16;
    off %= ARENA_BYTES - r->region_bytes - 2 * GUARD_BYTES + 1;
    r->region = arena + GUARD_BYTES + off;

    /* The state block: garbage or zeros; the region: dirty (its start,
     * where metadata goes, filled here; the rest holds whatever earlier
     * runs left: patterns, poison, 0x5A); everything of the arena outside
     * the region: poisoned for ASan. */
    memset(state, (mode & 2) ? 0xA7 : 0, A->state_bytes);
    memset(r->region, 0x5A, HL_MIN(r->region_bytes, REGION_MIN_BYTES));
    ASAN_POISON_MEMORY_REGION(arena, (size_t)(r->region - arena));
    ASAN_POISON_MEMORY_REGION(r->region + r->region_bytes,
                              ARENA_BYTES - off - GUARD_BYTES -
                                  r->region_bytes);
    fz_reports_reset();

    struct hl_al_params ap;
    hl_al_defaults(A, &ap);
    for (unsigned i = 0; (mode & 0x40) && i < A->nparams; i++) {
        const struct hl_param *p = &A->params[i];
        uint8_t b = fz_u8(&f);
        uint64_t span = p->max - p->min;
        ap.v[i] = (b & 3) == 0   ? p->min
                  : (b & 3) == 1 ? p->max
                  : (b & 3) == 2 ? p->def
                                 : p->min + span / 63 * (uint64_t)(b >> 2) +
                                       span % 63 * (uint64_t)(b >> 2) / 63;
    }
    char aptext[256];
    hl_al_format(A, &ap, aptext, sizeof aptext);
    enum hl_status st = hl_al_init(A, state, r->region, r->region_bytes, &ap);
    FZ_REQUIRE(st == HL_OK,
               "%s [%s]: init(%p, %zu) returned '%s' on a region of 64 KiB or "
               "more",
               A->name, aptext, (void *)r->region, r->region_bytes,
               hl_status_str(st));
    struct hl_stats s0 = stats_now();
    stats_law(r);
    check_now("after init");

    for (unsigned op = 1; f.n > 0; op++) {
        uint8_t k = fz_u8(&f);
        switch (k & 7) {
        case 0: case 1: case 2: case 3:
            op_alloc(r, gen_size(&f, r));
            break;
        case 4: case 5:
            if (r->nlive)
                op_free(r, fz_u8(&f) % r->nlive);
            break;
        case 6:
            if (invalid)
                op_invalid(&f, r);
            else
                check_now("between ops");
            break;
        default:
            if (A->reclaim && (k & 8))
                A->reclaim(state);
            else if (r->nlive) /* free the newest */
                op_free(r, r->nlive - 1);
            break;
        }
        stats_law(r);
        if (op % CHECK_EVERY == 0)
            check_now("every 8 ops");
    }

    while (r->nlive)
        op_free(r, r->nlive - 1);
    if (A->reclaim)
        A->reclaim(state);
    check_now("after the drain");
    stats_law(r);
    struct hl_stats s1 = stats_now();
    if (!(A->flags & HL_F_NO_REUSE)) {
        FZ_REQUIRE(s1.held_bytes == s0.held_bytes &&
                       s1.free_bytes == s0.free_bytes &&
                       s1.largest_free_bytes == s0.largest_free_bytes,
                   "%s: after freeing everything: held %zu, free %zu, "
                   "largest %zu; after init %zu, %zu, %zu",
                   A->name, s1.held_bytes, s1.free_bytes,
                   s1.largest_free_bytes, s0.held_bytes, s0.free_bytes,
                   s0.largest_free_bytes);
    }
    ASAN_UNPOISON_MEMORY_REGION(arena, ARENA_BYTES);
    return 0;
}
