/*
 * frames.c — bitmap-seed as the kernel's frame allocator (see frames.h).
 */
#include "kernel_port/frames.h"

#include "allocators/util.h"
#include "kernel_port/console.h"
#include "kernel_port/kernel.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/paging.h"

static struct bmp_seed kframes;
static uintptr_t region_top;
static size_t reserved_at_init;

struct bmp_seed *frames_allocator(void) { return &kframes; }
uintptr_t frames_top(void) { return region_top; }
size_t frames_reserved_at_init(void) { return reserved_at_init; }

/* An available range, clipped to 32-bit addresses below the cap and
 * shrunk to whole frames; false if no whole frame is left. */
static bool usable_frames(const struct phys_range *r, uintptr_t *lo, uintptr_t *hi)
{
    uint64_t cap = VM_IDENTITY_TOP;
    uint64_t a = r->base_addr, b = r->base_addr + r->length_bytes;
    if (r->type != MB_MMAP_AVAILABLE || b <= a || a >= cap)
        return false;
    if (b > cap)
        b = cap;
    a = HL_ALIGN_UP(a, (uint64_t)HL_FRAME_BYTES);
    b = HL_ALIGN_DOWN(b, (uint64_t)HL_FRAME_BYTES);
    if (b <= a)
        return false;
    *lo = (uintptr_t)a;
    *hi = (uintptr_t)b;
    return true;
}

void frames_init(void)
{
    /* The top: the end of the highest available range. */
    region_top = 0;
    for (unsigned i = 0; i < kboot.nranges; i++) {
        uintptr_t lo, hi;
        if (usable_frames(&kboot.ranges[i], &lo, &hi) && hi > region_top)
            region_top = hi;
    }
    if (region_top <= FRAMES_LOW_MEMORY_END)
        KPANIC("no usable memory above 1 MiB in the multiboot map");
    if (bmp_seed_init(&kframes, (void *)FRAMES_REGION_BASE, region_top - FRAMES_REGION_BASE) != HL_OK)
        KPANIC("bmp_seed_init refused the physical memory region");

    size_t n = 0;
    n += bmp_seed_reserve_range(&kframes, 0, FRAMES_LOW_MEMORY_END);
    n += bmp_seed_reserve_range(&kframes, (uintptr_t)kernel_image_start,
                                (size_t)(kernel_image_end - kernel_image_start));
    /* Holes: walk the available ranges in address order (insertion sort
     * of at most KBOOT_MAX_RANGES entries) and reserve what lies between. */
    struct phys_range sorted[KBOOT_MAX_RANGES];
    unsigned ns = 0;
    for (unsigned i = 0; i < kboot.nranges; i++) {
        unsigned j = ns++;
        while (j > 0 && sorted[j - 1].base_addr > kboot.ranges[i].base_addr) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = kboot.ranges[i];
    }
    uintptr_t cursor = FRAMES_REGION_BASE;
    for (unsigned i = 0; i < ns; i++) {
        uintptr_t lo, hi;
        if (!usable_frames(&sorted[i], &lo, &hi))
            continue;
        if (lo > cursor)
            n += bmp_seed_reserve_range(&kframes, cursor, lo - cursor);
        if (hi > cursor)
            cursor = hi;
    }
    if (cursor < region_top)
        n += bmp_seed_reserve_range(&kframes, cursor, region_top - cursor);
    reserved_at_init = n;
}

bool frames_alloc(uintptr_t *phys_out)
{
    bmp_pfn pfn;
    if (!bmp_seed_alloc_pfn(&kframes, &pfn))
        return false;
    *phys_out = bmp_seed_frame_addr(&kframes, pfn);
    return true;
}

void frames_free(uintptr_t phys)
{
    bmp_pfn pfn;
    if (!bmp_seed_addr_pfn(&kframes, phys, &pfn))
        KPANIC("frames_free: address outside the managed frames");
    if (bmp_seed_free_pfn(&kframes, pfn) != HL_OK)
        KPANIC("frames_free: bitmap-seed refused the free");
}
