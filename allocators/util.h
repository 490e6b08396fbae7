/*
 * util.h — the small arithmetic every allocator needs, written once and
 * tested once (tests/test_util.c).  Freestanding.
 *
 * No hand-written masks anywhere else: use HL_ALIGN_UP / HL_IS_ALIGNED,
 * and hl_align_up_checked where the size comes from a caller and may be
 * huge (the seed's align() wrapped; see docs/seed-errata.md, erratum 5/6).
 */
#ifndef HEAPLAB_UTIL_H
#define HEAPLAB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/port.h"

/* pre: a is a power of two. */
#define HL_IS_POW2(a) ((a) != 0 && (((a) & ((a)-1)) == 0))
#define HL_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))((a)-1)))
#define HL_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))((a)-1)))
#define HL_IS_ALIGNED(x, a) (((x) & ((__typeof__(x))((a)-1))) == 0)

#define HL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* 4 KiB frames, as on i386 without PSE. */
#define HL_FRAME_SHIFT 12u
#define HL_FRAME_BYTES ((size_t)1 << HL_FRAME_SHIFT)

/* Every heap allocator's blocks are aligned to this (max_align_t on both
 * i386 and x86-64 with GCC). */
#define HL_HEAP_ALIGN ((size_t)16)

/* ---- strings, without <string.h> ---------------------------------------- */

static inline size_t hl_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline bool hl_streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Do the n bytes at s equal the NUL-terminated t? */
static inline bool hl_span_eq(const char *s, size_t n, const char *t)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != t[i] || !t[i])
            return false;
    return t[n] == '\0';
}

/* Parse the decimal number in s[0, n): digits only, no sign, no blanks,
 * at most UINT64_MAX.  Returns NULL or a static message (the workload and
 * allocator parameter parsers quote it). */
static inline const char *hl_parse_u64(const char *s, size_t n,
                                       uint64_t *out)
{
    if (n == 0)
        return "missing value";
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return "malformed number (decimal digits only)";
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10u)
            return "number too large";
        v = v * 10u + d;
    }
    *out = v;
    return NULL;
}

/* Round n up to a multiple of a (a power of two) without wrapping.
 * Returns false (and leaves *out alone) if the result does not fit. */
static inline bool hl_align_up_checked(size_t n, size_t a, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(n, a - 1, &r))
        return false;
    *out = r & ~(a - 1);
    return true;
}

static inline bool hl_ptr_in(const void *p, const void *base, size_t bytes)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return a >= b && a - b < bytes;
}

/* Number of frames needed for bytes (0 counts as 1).  Returns 0 if the
 * byte count is too large to round. */
static inline size_t hl_bytes_to_frames(size_t bytes)
{
    size_t r;
    if (bytes == 0)
        bytes = 1;
    if (!hl_align_up_checked(bytes, HL_FRAME_BYTES, &r))
        return 0;
    return r >> HL_FRAME_SHIFT;
}

/* Smallest order with (1 << order) >= n; n >= 1. */
static inline unsigned hl_order_for(size_t n)
{
    unsigned order = 0;
    while (((size_t)1 << order) < n)
        order++;
    return order;
}

/* Bit scans on the word types the bitmaps use.  pre: w != 0. */
static inline unsigned hl_ctz32(uint32_t w) { return (unsigned)__builtin_ctz(w); }
static inline unsigned hl_popcount32(uint32_t w)
{
    /* Open-coded so the freestanding i386 build needs no libgcc helper. */
    w = w - ((w >> 1) & 0x55555555u);
    w = (w & 0x33333333u) + ((w >> 2) & 0x33333333u);
    w = (w + (w >> 4)) & 0x0F0F0F0Fu;
    return (unsigned)((w * 0x01010101u) >> 24);
}

/* Checked builds: fill and verify poison.  Return the address of the first
 * byte that is not `byte`, or NULL if all are.  Eight words at a time,
 * one test per 32 or 64 bytes: alloc verifies the poison of whole free
 * blocks (TLSF's first block is the arena), so a byte loop made checked
 * builds, and their fuzzing (which traces every comparison), slow. */
static inline const uint8_t *hl_find_not(const void *p, uint8_t byte, size_t n)
{
    const uint8_t *b = (const uint8_t *)p, *end = b + n;
    const uintptr_t pattern = (uintptr_t)-1 / 0xFF * byte;
    const size_t chunk = 8 * sizeof(uintptr_t);
    while (b < end && !HL_IS_ALIGNED((uintptr_t)b, sizeof(uintptr_t))) {
        if (*b != byte)
            return b;
        b++;
    }
    while ((size_t)(end - b) >= chunk) {
        uintptr_t diff = 0;
        for (unsigned i = 0; i < 8; i++) { /* unrolled: aligned loads */
            uintptr_t w;
            hl_memcpy(&w, b + i * sizeof w, sizeof w);
            diff |= w ^ pattern;
        }
        if (diff != 0)
            break; /* the byte loop below finds which */
        b += chunk;
    }
    for (; b < end; b++)
        if (*b != byte)
            return b;
    return NULL;
}

#endif /* HEAPLAB_UTIL_H */
