/*
 * frames.h — the kernel's physical frame allocator: bitmap-seed (the very
 * allocator the benchmarks measure, allocators/bitmap_seed.c) over the
 * RAM the multiboot memory map reports.
 *
 * Region handed to bmp_seed_init: [FRAMES_REGION_BASE, frames_top) where
 * frames_top is the end of the highest available range, capped at
 * VM_IDENTITY_TOP.  bitmap-seed puts its bitmaps at the region's start
 * (low memory, right after the null page) and its frames after them.
 * Then these frames are reserved for good (bmp_seed_reserve_range):
 *   - low memory below 1 MiB: BIOS data, EBDA, VGA, option ROMs;
 *   - the kernel image [kernel_image_start, kernel_image_end);
 *   - every hole: any address of the region no "available" range covers.
 * The bitmaps themselves are the allocator's meta bytes, never frames.
 */
#ifndef HEAPLAB_KERNEL_FRAMES_H
#define HEAPLAB_KERNEL_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_seed.h"

#define FRAMES_REGION_BASE ((uintptr_t)0x1000)
#define FRAMES_LOW_MEMORY_END ((uintptr_t)0x100000)

/* pre: boot_info_copy() ran; paging is off. */
void frames_init(void);

/* One frame (contents undefined: zero it if that matters); false when
 * none is free.  pre: out != NULL. */
bool frames_alloc(uintptr_t *phys_out);
/* Give back a frame from frames_alloc.  Panics on an invalid free (the
 * checked build reports it first through hl_report). */
void frames_free(uintptr_t phys);

/* End of the managed region (exclusive). */
uintptr_t frames_top(void);
/* Frames reserved at init (low memory, kernel image, holes). */
size_t frames_reserved_at_init(void);
struct bmp_seed *frames_allocator(void);

#endif /* HEAPLAB_KERNEL_FRAMES_H */
