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
 *
 * The huge pool: 4 MiB frames for PSE mappings (paging.h, vm_map_huge),
 * from buddy (allocators/buddy.c) at order 10, a run of 1024 frames
 * aligned to 4 MiB.  frames_init(pool_bytes) carves the pool from the top
 * of RAM: the highest pool_bytes (whole 4 MiB units) below the last
 * 4 MiB boundary of the region, plus buddy's metadata just below them;
 * all of it is reserved in bitmap-seed first.  buddy aligns its blocks to
 * its first managed frame, so the region handed to buddy_init starts
 * where its metadata ends exactly at a 4 MiB boundary:
 *
 *   base          target (4 MiB aligned)                 top4 (4 MiB aligned)
 *   | buddy meta |  huge frame 0  |  huge frame 1  | ... |
 *
 * Reference counts (copy-on-write, paging.h vm_clone): a frame of
 * bitmap-seed mapped by n >= 2 address spaces has a count n; every other
 * allocated frame has the implicit count 1 and no record.  Counts live in
 * chunks of 1024 uint16_t (one per 4 MiB of physical memory) allocated
 * from the kernel heap (kheap.h) when the first frame of the chunk is
 * shared and freed when its last shared frame is back to 1.
 */
#ifndef HEAPLAB_KERNEL_FRAMES_H
#define HEAPLAB_KERNEL_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_seed.h"
#include "allocators/buddy.h"
#include "allocators/util.h"

#define FRAMES_REGION_BASE ((uintptr_t)0x1000)
#define FRAMES_LOW_MEMORY_END ((uintptr_t)0x100000)

/* 4 MiB frames: buddy order 10. */
#define FRAMES_HUGE_ORDER 10u
#define FRAMES_HUGE_BYTES ((uintptr_t)HL_FRAME_BYTES << FRAMES_HUGE_ORDER)
#define FRAMES_HUGE_POOL_DEFAULT_MIB 8u

/* Start bitmap-seed over the RAM, then (huge_pool_bytes > 0) the huge
 * pool: huge_pool_bytes rounded down to 4 MiB.  false, with the frames
 * of bitmap-seed ready (nothing reserved for the pool) but no pool, when
 * the pool does not fit in one available range above the kernel image.
 * pre: boot_info_copy() ran; paging is off. */
bool frames_init(size_t huge_pool_bytes);

/* One frame (contents undefined: zero it if that matters); false when
 * none is free.  pre: out != NULL. */
bool frames_alloc(uintptr_t *phys_out);
/* Give back a frame from frames_alloc.  Panics on an invalid free (the
 * checked build reports it first through hl_report). */
void frames_free(uintptr_t phys);

/* ---- 4 MiB frames (the huge pool) ---- */

/* A 4 MiB-aligned run of 1024 frames (contents undefined); false when
 * the pool is empty or absent. */
bool frames_huge_alloc(uintptr_t *phys_out);
/* Give back a frame from frames_huge_alloc; panics on an invalid free. */
void frames_huge_free(uintptr_t phys);
/* Huge frames in the pool, and free now. */
size_t frames_huge_total(void);
size_t frames_huge_free_count(void);
/* Address of the pool's first huge frame (0 without a pool). */
uintptr_t frames_huge_base(void);
/* Is phys inside the pool's huge frames? */
bool frames_is_huge(uintptr_t phys);

/* ---- reference counts (copy-on-write) ---- */

/* How many mappings share the frame: its count when shared, else 1.
 * pre: phys is an allocated frame of bitmap-seed. */
unsigned frames_refs(uintptr_t phys);
/* One more reference.  false (nothing changes) when the chunk for the
 * count cannot be had from the kernel heap or the count is at its
 * maximum.  pre: as frames_refs. */
bool frames_ref_get(uintptr_t phys);
/* One reference fewer: the frame is freed when it was the last; returns
 * whether it was freed.  pre: as frames_refs. */
bool frames_ref_put(uintptr_t phys);
/* Frames with a count (shared now), and the count chunks allocated. */
size_t frames_shared(void);
size_t frames_ref_chunks(void);

/* End of the managed region (exclusive). */
uintptr_t frames_top(void);
/* Frames reserved at init (low memory, kernel image, holes). */
size_t frames_reserved_at_init(void);
struct bmp_seed *frames_allocator(void);

#endif /* HEAPLAB_KERNEL_FRAMES_H */
