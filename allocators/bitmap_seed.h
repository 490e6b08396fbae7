/*
 * bitmap_seed.h — the seed's bitmap frame allocator, errata fixed
 * (registry name "bitmap-seed").
 *
 * One bit per 4 KiB frame in uint32_t words; alloc is the seed's linear
 * first-fit scan: word by word, skipping full words (0xFFFFFFFF), then bit
 * by bit, for the first n consecutive free frames.  O(nframes) per alloc
 * on purpose: it is the baseline the figures measure the others against.
 * Free is O(n / 32) word operations; check and stats are O(nframes).
 * The layout and invariants are in bitmap_internal.h; the seed's errata and
 * their fixes in docs/seed-errata.md ("bitmap").
 *
 * Two views of the same frames:
 *   bytes  alloc(bytes) -> address of a run of ceil(bytes / 4096) frames
 *          (0 counts as 1); free(addr, bytes).  The registry uses these.
 *   pfn    frame numbers (bmp_pfn: index among the managed frames, frame 0
 *          is a real frame) for the kernel: alloc/free one frame or a run,
 *          convert with bmp_seed_frame_addr / bmp_seed_addr_pfn, and
 *          reserve frames for good with bmp_seed_reserve_range (the seed's
 *          set_frame).  A pfn run counts 4096 live bytes per frame.
 *
 * The state is a plain struct so the kernel can embed it; its fields are
 * private to bitmap_seed.c.
 */
#ifndef HEAPLAB_BITMAP_SEED_H
#define HEAPLAB_BITMAP_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_internal.h"

struct bmp_seed {
    struct bmp_core core;
};

extern const struct hl_allocator hl_bitmap_seed;

/* Take over [base, base + bytes): bitmaps first, then 4096-aligned frames.
 * pre: b points to a struct bmp_seed (any content); the region may hold
 * any bytes.  HL_E_REGION if not even one frame fits. */
enum hl_status bmp_seed_init(struct bmp_seed *b, void *base, size_t bytes);

/* First-fit run of ceil(bytes / 4096) frames, or NULL (failed_allocs). */
void *bmp_seed_alloc(struct bmp_seed *b, size_t bytes);
/* Free a run from bmp_seed_alloc; bytes as asked.  NULL is HL_OK. */
enum hl_status bmp_seed_free(struct bmp_seed *b, void *ptr, size_t bytes);

/* One frame / a run of nframes frames; false (and *out untouched) if no
 * such run is free.  pre: out != NULL. */
bool bmp_seed_alloc_pfn(struct bmp_seed *b, bmp_pfn *out);
bool bmp_seed_alloc_run_pfn(struct bmp_seed *b, size_t nframes, bmp_pfn *out);
/* Free what the calls above returned (with the same nframes). */
enum hl_status bmp_seed_free_pfn(struct bmp_seed *b, bmp_pfn pfn);
enum hl_status bmp_seed_free_run_pfn(struct bmp_seed *b, bmp_pfn pfn, size_t nframes);

/* Address of frame pfn.  pre: pfn.idx < bmp_seed_nframes(b). */
uintptr_t bmp_seed_frame_addr(const struct bmp_seed *b, bmp_pfn pfn);
/* The frame holding addr; false if addr is not in the managed frames. */
bool bmp_seed_addr_pfn(const struct bmp_seed *b, uintptr_t addr, bmp_pfn *out);
/* Mark the managed frames overlapping [addr, addr + bytes) used for good
 * (memory the caller owns: kernel image, BIOS areas).  Returns how many
 * of them were free. */
size_t bmp_seed_reserve_range(struct bmp_seed *b, uintptr_t addr, size_t bytes);
/* Managed frames. */
uint32_t bmp_seed_nframes(const struct bmp_seed *b);

void bmp_seed_stats(const struct bmp_seed *b, struct hl_stats *out);
/* Count violations (bitmap_internal.h, bmp_core_check); first one in
 * *first if non-NULL. */
size_t bmp_seed_check(const struct bmp_seed *b, struct hl_violation *first);

#endif /* HEAPLAB_BITMAP_SEED_H */
