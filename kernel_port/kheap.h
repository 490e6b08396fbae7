/*
 * kheap.h — the kernel's own heap: one of the project's registry
 * allocators, chosen at boot (kheap=NAME, default KHEAP_DEFAULT), over an
 * arena of frames taken from bitmap-seed once, for good.
 *
 * What lives here: the kernel's structures made after boot — page tables
 * beyond the boot ones (paging.c), cloned address spaces (struct vm_space
 * and its page directory), the frame layer's copy-on-write reference
 * counts (frames.c).  The boot page tables (the identity map, built by
 * vm_init before the heap exists) and the frames that back mappings come
 * from bitmap-seed directly, as before.
 *
 * The arena is identity-mapped RAM, so a block's address is also its
 * physical address (page tables need that).
 *
 * Alignment: a frame allocator (bitmap-seed, bitmap-fast, buddy) returns
 * whole frames, 4096-aligned; a heap allocator returns HL_HEAP_ALIGN
 * (16).  A request whose alignment exceeds the allocator's is served by
 * over-allocating `bytes + align` and keeping the block's start in the
 * word just below the aligned address: a page table from a heap
 * allocator costs 8 KiB of arena.  Frees are sized, like the allocators':
 * pass the bytes and align given to kheap_alloc.
 */
#ifndef HEAPLAB_KERNEL_KHEAP_H
#define HEAPLAB_KERNEL_KHEAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"

#define KHEAP_DEFAULT "buddy"
#define KHEAP_DEFAULT_MIB 4u
#define KHEAP_MAX_MIB 64u

/* Take kheap_mib MiB of frames from bitmap-seed and give them to the
 * registry allocator `name`.  false (nothing taken, the heap stays off)
 * with a one-line reason in why[0..why_bytes) when the name is unknown,
 * the size is out of range, or no such run of frames is free.
 * pre: frames_init() ran; called once. */
bool kheap_init(const char *name, size_t arena_mib, char *why, size_t why_bytes);
bool kheap_ready(void);

/* A block of `bytes` bytes aligned to `align` (a power of two; 0 means
 * the allocator's own), or NULL when the heap is off or full. */
void *kheap_alloc(size_t bytes, size_t align);
/* Give back a block from kheap_alloc, with the same bytes and align.
 * NULL does nothing.  Panics if the allocator refuses the free (a
 * checked build reports it through hl_report first). */
void kheap_free(void *p, size_t bytes, size_t align);

/* The allocator in use (NULL before kheap_init), its stats and check. */
const struct hl_allocator *kheap_allocator(void);
void kheap_stats(struct hl_stats *out);
size_t kheap_check(struct hl_violation *first);
/* The arena: [base, base + bytes). */
uintptr_t kheap_arena_base(void);
size_t kheap_arena_bytes(void);

#endif /* HEAPLAB_KERNEL_KHEAP_H */
