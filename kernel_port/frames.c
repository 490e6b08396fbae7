/*
 * frames.c — bitmap-seed as the kernel's frame allocator (see frames.h).
 */
#include "kernel_port/frames.h"

#include "allocators/util.h"
#include "kernel_port/console.h"
#include "kernel_port/kheap.h"
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

static bool huge_pool_init(size_t pool_bytes);

bool frames_init(size_t huge_pool_bytes)
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
    /* Multiboot modules (recorded traces for the bench) stay where the
     * loader put them, for as long as the kernel runs. */
    for (unsigned i = 0; i < kboot.nmodules; i++) {
        const struct boot_module *m = &kboot.modules[i];
        uintptr_t lo = HL_ALIGN_DOWN(m->start_phys, (uintptr_t)HL_FRAME_BYTES);
        if (!m->bytes || lo >= region_top)
            continue;
        uint64_t hi = HL_ALIGN_UP((uint64_t)m->start_phys + m->bytes, (uint64_t)HL_FRAME_BYTES);
        if (hi > region_top)
            hi = region_top;
        n += bmp_seed_reserve_range(&kframes, lo, (size_t)(hi - lo));
    }
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
    return huge_pool_bytes == 0 || huge_pool_init(huge_pool_bytes);
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

/* ---- the huge pool ------------------------------------------------------------ */

static struct buddy huge_pool;
static uintptr_t huge_lo, huge_hi; /* the huge frames: [huge_lo, huge_hi) */
static size_t huge_total;

size_t frames_huge_total(void) { return huge_total; }
uintptr_t frames_huge_base(void) { return huge_lo; }

size_t frames_huge_free_count(void)
{
    if (huge_total == 0)
        return 0;
    struct hl_stats st;
    buddy_stats(&huge_pool, &st);
    /* Every free block of the pool is a whole number of huge frames: the
     * pool holds nothing but order-10 blocks and their coalesced unions. */
    return st.free_bytes / FRAMES_HUGE_BYTES;
}

bool frames_is_huge(uintptr_t phys) { return phys >= huge_lo && phys < huge_hi; }

/* Is [lo, hi) inside one available range? */
static bool inside_available(uintptr_t lo, uintptr_t hi)
{
    for (unsigned i = 0; i < kboot.nranges; i++) {
        uintptr_t a, b;
        if (usable_frames(&kboot.ranges[i], &a, &b) && a <= lo && hi <= b)
            return true;
    }
    return false;
}

static bool huge_pool_init(size_t pool_bytes)
{
    uintptr_t top4 = HL_ALIGN_DOWN(region_top, FRAMES_HUGE_BYTES);
    size_t pool = HL_ALIGN_DOWN(pool_bytes, (size_t)FRAMES_HUGE_BYTES);
    size_t npages = pool / HL_FRAME_BYTES;
    /* buddy's metadata: about 9 bytes a frame plus its pair bits; twice
     * that, and two pages, is room to spare (checked below). */
    size_t meta_room = HL_ALIGN_UP(npages * 18u + 2u * HL_FRAME_BYTES, HL_FRAME_BYTES);
    uintptr_t floor = HL_ALIGN_UP((uintptr_t)kernel_image_end, FRAMES_HUGE_BYTES);
    if (pool == 0 || top4 < floor || top4 - floor < pool + meta_room)
        return false;
    uintptr_t target = top4 - pool, base = target - meta_room;
    if (!inside_available(base, top4))
        return false;
    /* Move the start up until buddy's first frame is `target`: a smaller
     * region has fewer frames, so less metadata; a few rounds settle it. */
    bool aligned = false;
    for (unsigned round = 0; round < 16 && !aligned; round++) {
        if (buddy_init(&huge_pool, (void *)base, top4 - base) != HL_OK)
            return false;
        /* The order-BUDDY_MAX_ORDER block holding the last frame starts at
         * the first managed frame (the pool is far below 1 GiB). */
        uintptr_t first = buddy_block_of(&huge_pool, top4 - HL_FRAME_BYTES, BUDDY_MAX_ORDER);
        if (first > target)
            return false;
        aligned = first == target;
        base += target - first;
    }
    struct hl_stats st;
    buddy_stats(&huge_pool, &st);
    if (!aligned || st.free_bytes != pool)
        return false;
    if (bmp_seed_reserve_range(&kframes, base, top4 - base) != (top4 - base) / HL_FRAME_BYTES)
        KPANIC("huge pool: frames of an available range were already taken");
    reserved_at_init += (top4 - base) / HL_FRAME_BYTES;
    huge_lo = target;
    huge_hi = top4;
    huge_total = pool / FRAMES_HUGE_BYTES;
    return true;
}

bool frames_huge_alloc(uintptr_t *phys_out)
{
    if (huge_total == 0)
        return false;
    void *p = buddy_alloc_order(&huge_pool, FRAMES_HUGE_ORDER);
    if (!p)
        return false;
    if (!HL_IS_ALIGNED((uintptr_t)p, FRAMES_HUGE_BYTES))
        KPANIC("frames_huge_alloc: buddy returned a block not aligned to 4 MiB");
    *phys_out = (uintptr_t)p;
    return true;
}

void frames_huge_free(uintptr_t phys)
{
    if (!frames_is_huge(phys) || buddy_free_order(&huge_pool, (void *)phys, FRAMES_HUGE_ORDER) != HL_OK)
        KPANIC("frames_huge_free: not a huge frame of the pool");
}

/* ---- reference counts --------------------------------------------------------- */

#define REF_CHUNK_FRAMES 1024u
#define REF_CHUNKS (VM_IDENTITY_TOP / (REF_CHUNK_FRAMES * HL_FRAME_BYTES))
#define REF_MAX UINT16_MAX

/* ref_chunk[c][i]: the count of frame c * 1024 + i (by physical frame
 * number), 0 meaning "not shared" (an implicit 1); ref_chunk_n[c]: how
 * many of its entries are non-zero (the chunk goes back to the kernel
 * heap at 0). */
static uint16_t *ref_chunk[REF_CHUNKS];
static uint16_t ref_chunk_n[REF_CHUNKS];
static size_t shared_frames, ref_chunks;

size_t frames_shared(void) { return shared_frames; }
size_t frames_ref_chunks(void) { return ref_chunks; }

static uint16_t *ref_slot(uintptr_t phys, bool make)
{
    uintptr_t pfn = phys / HL_FRAME_BYTES;
    uintptr_t c = pfn / REF_CHUNK_FRAMES;
    HL_ASSERT(c < REF_CHUNKS && !frames_is_huge(phys));
    if (!ref_chunk[c] && make) {
        ref_chunk[c] = kheap_alloc(REF_CHUNK_FRAMES * sizeof(uint16_t), 0);
        if (!ref_chunk[c])
            return NULL;
        hl_memset(ref_chunk[c], 0, REF_CHUNK_FRAMES * sizeof(uint16_t));
        ref_chunks++;
    }
    return ref_chunk[c] ? &ref_chunk[c][pfn % REF_CHUNK_FRAMES] : NULL;
}

static void ref_clear(uintptr_t phys, uint16_t *slot)
{
    uintptr_t c = phys / HL_FRAME_BYTES / REF_CHUNK_FRAMES;
    *slot = 0;
    shared_frames--;
    if (--ref_chunk_n[c] == 0) {
        kheap_free(ref_chunk[c], REF_CHUNK_FRAMES * sizeof(uint16_t), 0);
        ref_chunk[c] = NULL;
        ref_chunks--;
    }
}

unsigned frames_refs(uintptr_t phys)
{
    const uint16_t *slot = ref_slot(phys, false);
    return slot && *slot ? *slot : 1u;
}

bool frames_ref_get(uintptr_t phys)
{
    uint16_t *slot = ref_slot(phys, true);
    if (!slot || *slot == REF_MAX)
        return false;
    if (*slot == 0) {
        *slot = 2;
        shared_frames++;
        ref_chunk_n[phys / HL_FRAME_BYTES / REF_CHUNK_FRAMES]++;
    } else {
        (*slot)++;
    }
    return true;
}

bool frames_ref_put(uintptr_t phys)
{
    uint16_t *slot = ref_slot(phys, false);
    if (!slot || *slot == 0) {
        frames_free(phys);
        return true;
    }
    if (--*slot == 1)
        ref_clear(phys, slot);
    return false;
}
