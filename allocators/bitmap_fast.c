/*
 * bitmap_fast.c — bitmap-seed's bitmap and placement, found through
 * summary levels (see bitmap_fast.h for the structure).
 *
 * Invariant kept after every operation: for k >= 1, bit i of level k is
 * set iff i >= level_words[k - 1] or word i of level k - 1 is full.  Every
 * change to level 0 goes through fast_sync(), which re-derives the summary
 * bits of the level-0 words it touched and carries a change upward only
 * while it flips a word between full and not full.
 */
#include "allocators/bitmap_fast.h"

#include "allocators/bitmap_internal.h"
#include "allocators/port.h"
#include "allocators/util.h"

_Static_assert(offsetof(struct bmp_fast, core) == 0, "core first");
/* 2^31 frames: 2^26 level-0 words; each level divides by 32 (rounding
 * up): 2^21, 2^16, 2^11, 2^6, 2, 1 — seven levels in all. */
_Static_assert(BMP_MAX_FRAMES == (uint32_t)1 << 31 && BMP_FAST_MAX_LEVELS == 7,
               "BMP_FAST_MAX_LEVELS covers BMP_MAX_FRAMES");

/* Words per level for nframes frames; returns the number of levels. */
static uint32_t fast_level_sizes(uint32_t nframes, uint32_t words[BMP_FAST_MAX_LEVELS])
{
    uint32_t k = 0;
    words[0] = bmp_words_for(nframes);
    while (words[k] > 1) {
        HL_ASSERT(k + 1 < BMP_FAST_MAX_LEVELS);
        words[k + 1] = bmp_words_for(words[k]);
        k++;
    }
    return k + 1;
}

/* Summary words (levels >= 1) for nframes frames. */
static uint64_t fast_extra_words(uint32_t nframes)
{
    uint32_t words[BMP_FAST_MAX_LEVELS];
    uint32_t nlevels = fast_level_sizes(nframes, words);
    uint64_t sum = 0;
    for (uint32_t k = 1; k < nlevels; k++)
        sum += words[k];
    return sum;
}

/* What word j of level k (k >= 1) must hold, derived from level k - 1. */
static uint32_t fast_summary_word(const struct bmp_fast *b, uint32_t k, uint32_t j)
{
    uint32_t w = 0;
    for (unsigned bit = 0; bit < BMP_WORD_BITS; bit++) {
        uint32_t child = j * BMP_WORD_BITS + bit;
        if (child >= b->level_words[k - 1] || b->level[k - 1][child] == BMP_WORD_FULL)
            w |= (uint32_t)1 << bit;
    }
    return w;
}

/* Level-0 words [lo, hi] changed: bring the summaries up to date. */
static void fast_sync(struct bmp_fast *b, uint32_t lo, uint32_t hi)
{
    for (uint32_t w = lo; w <= hi; w++) {
        uint32_t i = w;
        if (b->level[0][w] == BMP_WORD_FULL) {
            for (uint32_t k = 1; k < b->nlevels; k++) {
                uint32_t *word = &b->level[k][bmp_word_of(i)];
                *word |= bmp_mask_of(i);
                if (*word != BMP_WORD_FULL)
                    break;
                i = bmp_word_of(i);
            }
        } else {
            for (uint32_t k = 1; k < b->nlevels; k++) {
                uint32_t *word = &b->level[k][bmp_word_of(i)];
                bool was_set = (*word & bmp_mask_of(i)) != 0;
                *word &= ~bmp_mask_of(i);
                if (!was_set) /* the word was not full: parents agree */
                    break;
                i = bmp_word_of(i);
            }
        }
    }
}

/* The first free frame at or after `from`, or nframes if there is none.
 * O(levels): climb while the rest of the word is full, then descend. */
static uint32_t fast_next_free(const struct bmp_fast *b, uint32_t from)
{
    uint32_t nframes = b->core.nframes;
    if (from >= nframes)
        return nframes;
    uint32_t i = from, k = 0;
    for (;;) {
        uint32_t wi = bmp_word_of(i);
        if (wi >= b->level_words[k])
            return nframes;
        uint32_t clear = ~b->level[k][wi] & ~bmp_bits(0, bmp_bit_of(i));
        if (clear != 0) {
            i = wi * BMP_WORD_BITS + hl_ctz32(clear);
            break;
        }
        if (k + 1 == b->nlevels)
            return nframes;
        i = wi + 1; /* the next word of level k, as a bit of level k + 1 */
        k++;
    }
    while (k > 0) {
        k--;
        uint32_t clear = ~b->level[k][i];
        HL_ASSERT(clear != 0); /* the summary said "not full" */
        if (clear == 0)
            return nframes;
        i = i * BMP_WORD_BITS + hl_ctz32(clear);
    }
    return i < nframes ? i : nframes;
}

/* First fit for n frames: the lowest free frame s with [s, s + n) free. */
static bool fast_find_run(const struct bmp_fast *b, uint32_t n, uint32_t *out)
{
    uint32_t nframes = b->core.nframes, from = 0;
    for (;;) {
        uint32_t s = fast_next_free(b, from);
        if (s >= nframes || n > nframes - s)
            return false;
        uint32_t used = n == 1 ? s + 1 : bmp_next_set(b->level[0], s + 1, s + n);
        if (used == s + n) {
            *out = s;
            return true;
        }
        from = used + 1;
    }
}

static void fast_after_op(const struct bmp_fast *b)
{
    if (HL_CHECK_LEVEL >= 3) {
        struct hl_violation v = {0};
        if (bmp_fast_check(b, &v) != 0)
            hl_panic(__FILE__, __LINE__, v.what);
    }
}

static void *fast_take_run(struct bmp_fast *b, size_t n, size_t bytes)
{
    struct bmp_core *c = &b->core;
    uint32_t first;
    if (n == 0 || n > c->nframes || !fast_find_run(b, (uint32_t)n, &first)) {
        c->failed_allocs++;
        return NULL;
    }
    void *p = bmp_core_take(c, first, (uint32_t)n, bytes);
    fast_sync(b, bmp_word_of(first), bmp_word_of(first + (uint32_t)n - 1));
    fast_after_op(b);
    return p;
}

static void fast_give_run(struct bmp_fast *b, uint32_t first, uint32_t n, size_t bytes)
{
    bmp_core_give(&b->core, first, n, bytes);
    fast_sync(b, bmp_word_of(first), bmp_word_of(first + n - 1));
    fast_after_op(b);
}

enum hl_status bmp_fast_init(struct bmp_fast *b, void *base, size_t bytes)
{
    uint32_t *extra = NULL;
    enum hl_status st =
        bmp_core_init(&b->core, "bitmap-fast", base, bytes, fast_extra_words, &extra);
    if (st != HL_OK)
        return st;
    b->nlevels = fast_level_sizes(b->core.nframes, b->level_words);
    b->level[0] = b->core.used;
    for (uint32_t k = 1; k < BMP_FAST_MAX_LEVELS; k++) {
        if (k < b->nlevels) {
            b->level[k] = extra;
            extra += b->level_words[k];
        } else {
            b->level[k] = NULL;
            b->level_words[k] = 0;
        }
    }
    for (uint32_t k = 1; k < b->nlevels; k++)
        for (uint32_t j = 0; j < b->level_words[k]; j++)
            b->level[k][j] = fast_summary_word(b, k, j);
    return HL_OK;
}

void *bmp_fast_alloc(struct bmp_fast *b, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    return fast_take_run(b, hl_bytes_to_frames(bytes), bytes);
}

enum hl_status bmp_fast_free(struct bmp_fast *b, void *ptr, size_t bytes)
{
    uint32_t first, n;
    if (!ptr)
        return HL_OK;
    if (bytes == 0)
        bytes = 1;
    enum hl_status st = bmp_core_resolve_free(&b->core, ptr, bytes, &first, &n);
    if (st != HL_OK)
        return st;
    fast_give_run(b, first, n, bytes);
    return HL_OK;
}

bool bmp_fast_alloc_pfn(struct bmp_fast *b, bmp_pfn *out)
{
    return bmp_fast_alloc_run_pfn(b, 1, out);
}

bool bmp_fast_alloc_run_pfn(struct bmp_fast *b, size_t nframes, bmp_pfn *out)
{
    size_t bytes;
    if (__builtin_mul_overflow(nframes, HL_FRAME_BYTES, &bytes)) {
        b->core.failed_allocs++;
        return false;
    }
    void *p = fast_take_run(b, nframes, bytes);
    if (!p)
        return false;
    out->idx = bmp_core_taken_pfn(&b->core, p);
    return true;
}

enum hl_status bmp_fast_free_pfn(struct bmp_fast *b, bmp_pfn pfn)
{
    return bmp_fast_free_run_pfn(b, pfn, 1);
}

enum hl_status bmp_fast_free_run_pfn(struct bmp_fast *b, bmp_pfn pfn, size_t nframes)
{
    size_t bytes = 0;
    enum hl_status st = bmp_core_resolve_free_pfn(&b->core, pfn.idx, nframes, &bytes);
    if (st != HL_OK)
        return st;
    fast_give_run(b, pfn.idx, (uint32_t)nframes, bytes);
    return HL_OK;
}

uintptr_t bmp_fast_frame_addr(const struct bmp_fast *b, bmp_pfn pfn)
{
    HL_ASSERT(pfn.idx < b->core.nframes);
    return bmp_core_frame_addr(&b->core, pfn.idx);
}

bool bmp_fast_addr_pfn(const struct bmp_fast *b, uintptr_t addr, bmp_pfn *out)
{
    uint32_t pfn;
    if (!bmp_core_addr_pfn(&b->core, addr, &pfn))
        return false;
    out->idx = pfn;
    return true;
}

size_t bmp_fast_reserve_range(struct bmp_fast *b, uintptr_t addr, size_t bytes)
{
    uint32_t lo_word = 0, hi_word = 0;
    size_t n = bmp_core_reserve(&b->core, addr, bytes, &lo_word, &hi_word);
    if (n != 0)
        fast_sync(b, lo_word, hi_word);
    fast_after_op(b);
    return n;
}

uint32_t bmp_fast_nframes(const struct bmp_fast *b) { return b->core.nframes; }

void bmp_fast_stats(const struct bmp_fast *b, struct hl_stats *out)
{
    bmp_core_stats(&b->core, out);
}

size_t bmp_fast_check(const struct bmp_fast *b, struct hl_violation *first)
{
    size_t bad = bmp_core_check(&b->core, first);
    for (uint32_t k = 1; k < b->nlevels; k++) {
        for (uint32_t j = 0; j < b->level_words[k]; j++) {
            uint32_t diff = b->level[k][j] ^ fast_summary_word(b, k, j);
            while (diff) {
                hl_violation_add(&bad, first, "summary bit disagrees with its word",
                              (uintptr_t)&b->level[k][j]);
                diff &= diff - 1;
            }
        }
    }
    return bad;
}

/* ---- the registry's view -------------------------------------------------- */

static enum hl_status vt_init(void *s, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    return bmp_fast_init(s, base, bytes);
}
static void *vt_alloc(void *s, size_t bytes) { return bmp_fast_alloc(s, bytes); }
static enum hl_status vt_free(void *s, void *p, size_t bytes)
{
    return bmp_fast_free(s, p, bytes);
}
static void vt_stats(const void *s, struct hl_stats *out) { bmp_fast_stats(s, out); }
static size_t vt_check(const void *s, struct hl_violation *first)
{
    return bmp_fast_check(s, first);
}

const struct hl_allocator hl_bitmap_fast = {
    .name = "bitmap-fast",
    .summary = "frame bitmap with 32-way summary levels: O(log32 n) first fit",
    .family = HL_FAMILY_FRAME,
    .flags = 0,
    .state_bytes = sizeof(struct bmp_fast),
    .align_bytes = HL_FRAME_BYTES,
    .init = vt_init,
    .alloc = vt_alloc,
    .free = vt_free,
    .stats = vt_stats,
    .reclaim = NULL,
    .check = vt_check,
};
