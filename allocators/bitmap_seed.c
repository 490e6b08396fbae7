/*
 * bitmap_seed.c — the seed's MemoryManager frame bitmap, errata fixed.
 *
 * The search is deliberately the seed's: a linear scan of the level-0
 * words from word 0, skipping full words, testing free words bit by bit.
 * What changed (docs/seed-errata.md, "bitmap" errata 1-4):
 *   1. the bitmap holds ceil(nframes / 32) words and init clears all of
 *      their bytes (the seed cleared nframes / 32 bytes of nframes / 32
 *      words);
 *   2. free takes a frame number and clears that frame's bit (the seed
 *      passed a frame number to clear_frame, which divides by 4096);
 *   3. frame 0 is a real frame; "none" is a false return, not pfn 0;
 *   4. bits past nframes in the last word are set at init, so the scan,
 *      which walks every word, can never return a frame past the end.
 */
#include "allocators/bitmap_seed.h"

#include "allocators/bitmap_internal.h"
#include "allocators/port.h"
#include "allocators/util.h"

/* The kernel embeds the state; keep it small and its layout plain. */
_Static_assert(offsetof(struct bmp_seed, core) == 0, "core first");
_Static_assert(sizeof(struct bmp_seed) <= 128, "bmp_seed state stays small");

/* The seed's first_frame(), generalised to n consecutive free frames:
 * the lowest pfn starting n free frames.  O(nframes). */
static bool seed_find_run(const struct bmp_core *c, uint32_t n, uint32_t *out)
{
    uint32_t run = 0, start = 0;
    for (uint32_t i = 0; i < c->nwords; i++) {
        uint32_t w = c->used[i];
        if (w == BMP_WORD_FULL) {
            run = 0;
            continue;
        }
        for (unsigned j = 0; j < BMP_WORD_BITS; j++) {
            if (w & ((uint32_t)1 << j)) {
                run = 0;
                continue;
            }
            if (run == 0)
                start = i * BMP_WORD_BITS + j;
            if (++run == n) {
                *out = start;
                return true;
            }
        }
    }
    return false;
}

/* Level 3: the full check after every operation. */
static void seed_after_op(const struct bmp_seed *b)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation v = {0};
        if (bmp_seed_check(b, &v) != 0)
            hl_panic(__FILE__, __LINE__, v.what);
    }
}

/* A run of n frames for `bytes` requested bytes, or NULL. */
static void *seed_take_run(struct bmp_seed *b, size_t n, size_t bytes)
{
    struct bmp_core *c = &b->core;
    uint32_t first;
    if (n == 0 || n > c->nframes || !seed_find_run(c, (uint32_t)n, &first)) {
        c->failed_allocs++;
        return NULL;
    }
    void *p = bmp_core_take(c, first, (uint32_t)n, bytes);
    seed_after_op(b);
    return p;
}

enum hl_status bmp_seed_init(struct bmp_seed *b, void *base, size_t bytes)
{
    return bmp_core_init(&b->core, "bitmap-seed", base, bytes, NULL, NULL);
}

void *bmp_seed_alloc(struct bmp_seed *b, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    return seed_take_run(b, hl_bytes_to_frames(bytes), bytes);
}

enum hl_status bmp_seed_free(struct bmp_seed *b, void *ptr, size_t bytes)
{
    uint32_t first, n;
    if (!ptr)
        return HL_OK;
    if (bytes == 0)
        bytes = 1;
    enum hl_status st = bmp_core_resolve_free(&b->core, ptr, bytes, &first, &n);
    if (st != HL_OK)
        return st;
    bmp_core_give(&b->core, first, n, bytes);
    seed_after_op(b);
    return HL_OK;
}

bool bmp_seed_alloc_pfn(struct bmp_seed *b, bmp_pfn *out)
{
    return bmp_seed_alloc_run_pfn(b, 1, out);
}

bool bmp_seed_alloc_run_pfn(struct bmp_seed *b, size_t nframes, bmp_pfn *out)
{
    size_t bytes;
    if (__builtin_mul_overflow(nframes, HL_FRAME_BYTES, &bytes)) {
        b->core.failed_allocs++;
        return false;
    }
    void *p = seed_take_run(b, nframes, bytes);
    if (!p)
        return false;
    out->idx = bmp_core_taken_pfn(&b->core, p);
    return true;
}

enum hl_status bmp_seed_free_pfn(struct bmp_seed *b, bmp_pfn pfn)
{
    return bmp_seed_free_run_pfn(b, pfn, 1);
}

enum hl_status bmp_seed_free_run_pfn(struct bmp_seed *b, bmp_pfn pfn, size_t nframes)
{
    size_t bytes = 0;
    enum hl_status st = bmp_core_resolve_free_pfn(&b->core, pfn.idx, nframes, &bytes);
    if (st != HL_OK)
        return st;
    bmp_core_give(&b->core, pfn.idx, (uint32_t)nframes, bytes);
    seed_after_op(b);
    return HL_OK;
}

uintptr_t bmp_seed_frame_addr(const struct bmp_seed *b, bmp_pfn pfn)
{
    HL_ASSERT(pfn.idx < b->core.nframes);
    return bmp_core_frame_addr(&b->core, pfn.idx);
}

bool bmp_seed_addr_pfn(const struct bmp_seed *b, uintptr_t addr, bmp_pfn *out)
{
    uint32_t pfn;
    if (!bmp_core_addr_pfn(&b->core, addr, &pfn))
        return false;
    out->idx = pfn;
    return true;
}

size_t bmp_seed_reserve_range(struct bmp_seed *b, uintptr_t addr, size_t bytes)
{
    uint32_t lo_word, hi_word;
    size_t n = bmp_core_reserve(&b->core, addr, bytes, &lo_word, &hi_word);
    seed_after_op(b);
    return n;
}

uint32_t bmp_seed_nframes(const struct bmp_seed *b) { return b->core.nframes; }

void bmp_seed_stats(const struct bmp_seed *b, struct hl_stats *out)
{
    bmp_core_stats(&b->core, out);
}

size_t bmp_seed_check(const struct bmp_seed *b, struct hl_violation *first)
{
    return bmp_core_check(&b->core, first);
}

/* ---- the registry's view -------------------------------------------------- */

static enum hl_status vt_init(void *s, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    return bmp_seed_init(s, base, bytes);
}
static void *vt_alloc(void *s, size_t bytes) { return bmp_seed_alloc(s, bytes); }
static enum hl_status vt_free(void *s, void *p, size_t bytes)
{
    return bmp_seed_free(s, p, bytes);
}
static void vt_stats(const void *s, struct hl_stats *out) { bmp_seed_stats(s, out); }
static size_t vt_check(const void *s, struct hl_violation *first)
{
    return bmp_seed_check(s, first);
}

const struct hl_allocator hl_bitmap_seed = {
    .name = "bitmap-seed",
    .summary = "the seed's frame bitmap: linear first-fit scan, errata fixed",
    .family = HL_FAMILY_FRAME,
    .flags = 0,
    .state_bytes = sizeof(struct bmp_seed),
    .align_bytes = HL_FRAME_BYTES,
    .init = vt_init,
    .alloc = vt_alloc,
    .free = vt_free,
    .stats = vt_stats,
    .reclaim = NULL,
    .check = vt_check,
};
