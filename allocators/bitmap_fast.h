/*
 * bitmap_fast.h — bitmap frame allocator with summary levels (registry
 * name "bitmap-fast").
 *
 * Level 0 is exactly bitmap-seed's bitmap (bitmap_internal.h), and the
 * placement is the same first fit: for any op sequence it returns the
 * frames bitmap-seed returns.  Above level 0 sit summary levels: bit i of
 * level k (k >= 1) is set iff word i of level k - 1 is full.  Each level is
 * 32x smaller; the top level is one word.  Bits past the end of a level
 * are set ("full"), like level 0's tail bits.
 *
 *   level 2:  [1 word]          bit j: level-1 word j full
 *   level 1:  [ceil(W0/32)]     bit i: level-0 word i full
 *   level 0:  [W0 = ceil(nframes/32) words]   bit f: frame f used
 *
 * The first free frame at or after f is found by climbing from f's word
 * until a level has a clear bit to its right, then descending with count-
 * trailing-zeros: O(log32 nframes) word reads, e.g. 4 levels for 1 Mi
 * frames, at any occupancy.  A run of n frames: find the next free frame
 * s, look for a used frame in [s, s + n) with word operations; if there is
 * one at u, continue from u + 1.  Free is O(n / 32 + levels).
 *
 * The same pfn view as bitmap-seed (see bitmap_seed.h); fields private to
 * bitmap_fast.c.
 */
#ifndef HEAPLAB_BITMAP_FAST_H
#define HEAPLAB_BITMAP_FAST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_internal.h"

/* Levels including level 0: 2^31 frames need 7 (2^26 words, 2^21, 2^16,
 * 2^11, 2^6, 2, 1). */
#define BMP_FAST_MAX_LEVELS 7u

struct bmp_fast {
    struct bmp_core core;
    uint32_t nlevels;                           /* >= 1; 1: no summary */
    uint32_t level_words[BMP_FAST_MAX_LEVELS];  /* words per level */
    uint32_t *level[BMP_FAST_MAX_LEVELS];       /* level[0] == core.used */
};

extern const struct hl_allocator hl_bitmap_fast;

/* As bitmap_seed.h, with the bmp_fast_ prefix. */
enum hl_status bmp_fast_init(struct bmp_fast *b, void *base, size_t bytes);
void *bmp_fast_alloc(struct bmp_fast *b, size_t bytes);
enum hl_status bmp_fast_free(struct bmp_fast *b, void *ptr, size_t bytes);

bool bmp_fast_alloc_pfn(struct bmp_fast *b, bmp_pfn *out);
bool bmp_fast_alloc_run_pfn(struct bmp_fast *b, size_t nframes, bmp_pfn *out);
enum hl_status bmp_fast_free_pfn(struct bmp_fast *b, bmp_pfn pfn);
enum hl_status bmp_fast_free_run_pfn(struct bmp_fast *b, bmp_pfn pfn, size_t nframes);

uintptr_t bmp_fast_frame_addr(const struct bmp_fast *b, bmp_pfn pfn);
bool bmp_fast_addr_pfn(const struct bmp_fast *b, uintptr_t addr, bmp_pfn *out);
size_t bmp_fast_reserve_range(struct bmp_fast *b, uintptr_t addr, size_t bytes);
uint32_t bmp_fast_nframes(const struct bmp_fast *b);

void bmp_fast_stats(const struct bmp_fast *b, struct hl_stats *out);
/* bmp_core_check's violations plus one per summary bit that disagrees
 * with its word below (tail bits included). */
size_t bmp_fast_check(const struct bmp_fast *b, struct hl_violation *first);

#endif /* HEAPLAB_BITMAP_FAST_H */
