/*
 * kheap.c — the kernel's own heap over a registry allocator (kheap.h).
 */
#include "kernel_port/kheap.h"

#include <stdalign.h>

#include "allocators/bitmap_seed.h"
#include "allocators/port.h"
#include "allocators/util.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/kernel.h"

/* The largest state block of any registry allocator fits here; a larger
 * one is refused at init (by name, with its size). */
#define KHEAP_STATE_BYTES 16384u

static alignas(HL_STATE_ALIGN) unsigned char kheap_state[KHEAP_STATE_BYTES];
static const struct hl_allocator *kheap_a;
static uintptr_t arena_base;
static size_t arena_bytes;

bool kheap_ready(void) { return kheap_a != NULL; }
const struct hl_allocator *kheap_allocator(void) { return kheap_a; }
uintptr_t kheap_arena_base(void) { return arena_base; }
size_t kheap_arena_bytes(void) { return arena_bytes; }

static void why_set(char *why, size_t bytes, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    const char *parts[3] = {a, b, c};
    for (unsigned i = 0; i < 3 && bytes > 0; i++)
        for (const char *p = parts[i]; p && *p && n + 1 < bytes; p++)
            why[n++] = *p;
    if (bytes > 0)
        why[n] = '\0';
}

bool kheap_init(const char *name, size_t arena_mib, char *why, size_t why_bytes)
{
    HL_ASSERT(kheap_a == NULL);
    const struct hl_allocator *a = hl_allocator_find(name);
    if (!a) {
        why_set(why, why_bytes, "unknown allocator '", name, "' for kheap=");
        return false;
    }
    if (a->state_bytes > sizeof kheap_state) {
        why_set(why, why_bytes, "allocator '", name, "' has a state block too large for kheap=");
        return false;
    }
    if (arena_mib < 1 || arena_mib > KHEAP_MAX_MIB) {
        why_set(why, why_bytes, "kheap_mib= must be 1..64 (KHEAP_MAX_MIB)", "", "");
        return false;
    }
    size_t nframes = arena_mib * (1024u * 1024u / HL_FRAME_BYTES);
    bmp_pfn run;
    if (!bmp_seed_alloc_run_pfn(frames_allocator(), nframes, &run)) {
        why_set(why, why_bytes, "no free run of frames as large as kheap_mib= asks",
                " (give QEMU more -m)", "");
        return false;
    }
    uintptr_t base = bmp_seed_frame_addr(frames_allocator(), run);
    if (hl_al_init(a, kheap_state, (void *)base, nframes * HL_FRAME_BYTES, NULL) != HL_OK) {
        bmp_seed_free_run_pfn(frames_allocator(), run, nframes);
        why_set(why, why_bytes, "allocator '", name, "' refused the kernel heap's arena");
        return false;
    }
    arena_base = base;
    arena_bytes = nframes * HL_FRAME_BYTES;
    kheap_a = a;
    return true;
}

/* The allocator's own alignment covers align: no padding needed. */
static bool native_align(size_t align)
{
    return align == 0 || align <= kheap_a->align_bytes;
}

void *kheap_alloc(size_t bytes, size_t align)
{
    if (!kheap_a)
        return NULL;
    HL_ASSERT(align == 0 || HL_IS_POW2(align));
    if (native_align(align))
        return kheap_a->alloc(kheap_state, bytes);
    size_t padded;
    if (bytes > SIZE_MAX - align)
        return NULL;
    padded = bytes + align;
    uintptr_t raw = (uintptr_t)kheap_a->alloc(kheap_state, padded);
    if (!raw)
        return NULL;
    /* raw + 1 rounded up: at least one allocator-aligned unit (>= 16
     * bytes) lies between raw and the result, room for the raw word. */
    uintptr_t p = HL_ALIGN_UP(raw + 1, (uintptr_t)align);
    ((uintptr_t *)p)[-1] = raw;
    return (void *)p;
}

void kheap_free(void *p, size_t bytes, size_t align)
{
    if (!p)
        return;
    HL_ASSERT(kheap_a != NULL);
    void *raw = p;
    size_t n = bytes;
    if (!native_align(align)) {
        raw = (void *)((uintptr_t *)p)[-1];
        n = bytes + align;
    }
    if (kheap_a->free(kheap_state, raw, n) != HL_OK)
        KPANIC("kheap_free: the kernel heap's allocator refused a free");
}

void kheap_stats(struct hl_stats *out)
{
    if (!kheap_a) {
        hl_memset(out, 0, sizeof *out);
        return;
    }
    kheap_a->stats(kheap_state, out);
}

size_t kheap_check(struct hl_violation *first)
{
    return kheap_a ? kheap_a->check(kheap_state, first) : 0;
}
_Static_assert(KHEAP_MAX_MIB == 64u, "kheap_init's message names the limit");
