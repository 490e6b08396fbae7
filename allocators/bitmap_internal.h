/*
 * bitmap_internal.h — what bitmap-seed and bitmap-fast share: the region
 * layout, the level-0 bitmap of used frames, the checked-build run
 * bitmaps, stats and the common part of check().  Header-only (static
 * inline); bitmap_seed.c and bitmap_fast.c each add their own search.
 *
 * Level 0: one bit per 4 KiB frame in uint32_t words, bit (pfn % 32) of
 * word (pfn / 32); a set bit is a frame in use.  The bits of the last word
 * past nframes ("tail bits") are set from init on and never cleared, so no
 * search can hand out a frame past the end (seed erratum 4).
 *
 * Region map (every bitmap is nwords = ceil(nframes / 32) words, except the
 * summary levels, which bitmap-fast sizes itself):
 *
 *   base                                                    base + bytes
 *   |pad|used|summary|start|end|poisoned|pad|frame 0|..|frame n-1|pad|
 *             (fast)  (level >= 1) (>= 2)
 *   '-------- meta_bytes: bitmaps and both pads ---'               '---'
 *
 *   used       level 0: frame in use (allocated or reserved), tail bits set
 *   run_start  checked builds: an allocated run starts at this frame
 *   run_end    checked builds: an allocated run ends at this frame
 *              (a one-frame run has both bits on the same frame)
 *   poisoned   level >= 2: this free frame holds HL_POISON_FREED, so alloc
 *              verifies it (frames free since init were never poisoned)
 *
 * Reserved frames (bmp_*_reserve_range, the seed's set_frame) are used
 * frames that belong to no run: they have no run_start/run_end bits and
 * stay used for good.
 */
#ifndef HEAPLAB_BITMAP_INTERNAL_H
#define HEAPLAB_BITMAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/port.h"
#include "allocators/util.h"

#define BMP_WORD_BITS 32u
#define BMP_WORD_FULL UINT32_MAX

/* The largest frame count a region may hold: 2^31 frames (8 TiB), so
 * frame numbers and word indices fit in uint32_t with room to add. */
#define BMP_MAX_FRAMES ((uint32_t)1 << 31)

_Static_assert(sizeof(uint32_t) * 8 == BMP_WORD_BITS, "bitmap word is 32 bits");
_Static_assert(HL_FRAME_BYTES == 4096, "frames are 4 KiB");
/* The byte size of the managed frames fits in size_t on both ILP32 and
 * LP64 because it never exceeds the region's own size. */

/* A frame number: the index of a frame among the allocator's managed
 * frames (frame 0 is the first managed frame — a real, allocatable frame,
 * not "no frame"; see seed erratum 3).  A struct, so that it never
 * converts silently to or from an address (seed erratum 2). */
typedef struct bmp_pfn {
    uint32_t idx;
} bmp_pfn;
_Static_assert(sizeof(bmp_pfn) == sizeof(uint32_t), "a pfn is passed as cheaply as a uint32_t");

/* State shared by both bitmap allocators; embedded first in each state
 * struct.  Fields private to bitmap_*.c. */
struct bmp_core {
    const char *name;       /* registry name, for hl_report() */
    uintptr_t frames_addr;  /* address of managed frame 0, 4096-aligned */
    uint32_t nframes;       /* managed frames, >= 1 */
    uint32_t nwords;        /* ceil(nframes / 32) */
    uint32_t *used;         /* level 0, in the region */
    uint32_t *run_start;    /* level >= 1, else NULL */
    uint32_t *run_end;      /* level >= 1, else NULL */
    uint32_t *poisoned;     /* level >= 2, else NULL */
    size_t capacity_bytes;  /* bytes given to init */
    size_t meta_bytes;      /* capacity - nframes * 4096 */
    size_t used_frames;     /* set bits of `used` below nframes */
    size_t reserved_frames; /* of which reserved (in no run) */
    size_t live_bytes;
    size_t live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

/* ---- bit arithmetic on word arrays -------------------------------------- */

/* Bits [lo, hi) of one word; 0 <= lo <= hi <= 32. */
static inline uint32_t bmp_bits(unsigned lo, unsigned hi)
{
    uint32_t below_hi = hi >= BMP_WORD_BITS ? BMP_WORD_FULL : ((uint32_t)1 << hi) - 1u;
    uint32_t below_lo = lo >= BMP_WORD_BITS ? BMP_WORD_FULL : ((uint32_t)1 << lo) - 1u;
    return below_hi & ~below_lo;
}

static inline uint32_t bmp_word_of(uint32_t bit) { return bit / BMP_WORD_BITS; }
static inline unsigned bmp_bit_of(uint32_t bit) { return bit % BMP_WORD_BITS; }
static inline uint32_t bmp_mask_of(uint32_t bit) { return (uint32_t)1 << bmp_bit_of(bit); }

static inline uint32_t bmp_words_for(uint32_t nbits)
{
    return (uint32_t)HL_ALIGN_UP((uint64_t)nbits, BMP_WORD_BITS) / BMP_WORD_BITS;
}

static inline bool bmp_test(const uint32_t *bm, uint32_t bit)
{
    return (bm[bmp_word_of(bit)] & bmp_mask_of(bit)) != 0;
}

/* Set or clear bits [first, first + n), word by word.  pre: n >= 1. */
static inline void bmp_set_range(uint32_t *bm, uint32_t first, uint32_t n)
{
    uint32_t last = first + n - 1;
    for (uint32_t w = bmp_word_of(first); w <= bmp_word_of(last); w++) {
        unsigned lo = w == bmp_word_of(first) ? bmp_bit_of(first) : 0;
        unsigned hi = w == bmp_word_of(last) ? bmp_bit_of(last) + 1 : BMP_WORD_BITS;
        bm[w] |= bmp_bits(lo, hi);
    }
}

static inline void bmp_clear_range(uint32_t *bm, uint32_t first, uint32_t n)
{
    uint32_t last = first + n - 1;
    for (uint32_t w = bmp_word_of(first); w <= bmp_word_of(last); w++) {
        unsigned lo = w == bmp_word_of(first) ? bmp_bit_of(first) : 0;
        unsigned hi = w == bmp_word_of(last) ? bmp_bit_of(last) + 1 : BMP_WORD_BITS;
        bm[w] &= ~bmp_bits(lo, hi);
    }
}

/* The first set bit in [from, limit), or limit if none.
 * pre: limit <= 32 * (words in bm). */
static inline uint32_t bmp_next_set(const uint32_t *bm, uint32_t from, uint32_t limit)
{
    uint32_t bit = from;
    while (bit < limit) {
        uint32_t w = bm[bmp_word_of(bit)] & ~bmp_bits(0, bmp_bit_of(bit));
        if (w != 0) {
            uint32_t found = bmp_word_of(bit) * BMP_WORD_BITS + hl_ctz32(w);
            return found < limit ? found : limit;
        }
        bit = (bmp_word_of(bit) + 1) * BMP_WORD_BITS;
    }
    return limit;
}

/* Number of set bits in [first, first + n). */
static inline uint32_t bmp_count_range(const uint32_t *bm, uint32_t first, uint32_t n)
{
    uint32_t count = 0;
    if (n == 0)
        return 0;
    uint32_t last = first + n - 1;
    for (uint32_t w = bmp_word_of(first); w <= bmp_word_of(last); w++) {
        unsigned lo = w == bmp_word_of(first) ? bmp_bit_of(first) : 0;
        unsigned hi = w == bmp_word_of(last) ? bmp_bit_of(last) + 1 : BMP_WORD_BITS;
        count += hl_popcount32(bm[w] & bmp_bits(lo, hi));
    }
    return count;
}

/* Bits of the last word that lie past nbits (0 if nbits % 32 == 0). */
static inline uint32_t bmp_tail_mask(uint32_t nbits)
{
    return bmp_bit_of(nbits) == 0 ? 0 : bmp_bits(bmp_bit_of(nbits), BMP_WORD_BITS);
}

/* ---- layout and init ----------------------------------------------------- */

/* Words of metadata a region of nframes frames needs, beyond level 0.
 * extra_words: the caller's own (bitmap-fast's summary levels). */
static inline uint64_t bmp_meta_words(uint32_t nframes, uint64_t extra_words)
{
    uint64_t nwords = bmp_words_for(nframes);
    uint64_t per_frame_maps = 1;
    if (HL_CHECK_LEVEL >= 1)
        per_frame_maps += 2; /* run_start, run_end */
    if (HL_CHECK_LEVEL >= 2)
        per_frame_maps += 1; /* poisoned */
    return nwords * per_frame_maps + extra_words;
}

/* Lay out [base, base + bytes) and clear every bitmap.  extra_words_for
 * gives the words the caller needs between level 0 and the run bitmaps
 * (its pointer comes back in *extra).  Returns HL_E_REGION if the region
 * cannot hold the metadata plus one frame, or holds more than
 * BMP_MAX_FRAMES frames or wraps the address space.
 * pre: c points to sizeof(struct bmp_core) writable bytes (any content). */
static inline enum hl_status bmp_core_init(struct bmp_core *c, const char *name,
                                           void *base, size_t bytes,
                                           uint64_t (*extra_words_for)(uint32_t nframes),
                                           uint32_t **extra)
{
    uintptr_t base_addr = (uintptr_t)base;
    if (bytes == 0 || bytes - 1 > UINTPTR_MAX - base_addr)
        return HL_E_REGION;
    if (bytes / HL_FRAME_BYTES > BMP_MAX_FRAMES)
        return HL_E_REGION;

    /* Offset of the first bitmap word: base aligned up to a word. */
    uintptr_t words_addr = HL_ALIGN_UP(base_addr, (uintptr_t)sizeof(uint32_t));
    uint64_t words_off = words_addr - base_addr;

    /* The frame count n shrinks until n frames fit after n frames' worth of
     * metadata; each round strictly lowers n, so this ends, and it takes
     * two rounds in practice. */
    uint32_t n = (uint32_t)(bytes / HL_FRAME_BYTES);
    uint64_t frames_off = 0;
    for (;;) {
        if (n == 0)
            return HL_E_REGION;
        uint64_t extra_n = extra_words_for ? extra_words_for(n) : 0;
        uint64_t meta_end = words_off + bmp_meta_words(n, extra_n) * sizeof(uint32_t);
        if (meta_end > bytes)
            meta_end = bytes; /* too big anyway; avail becomes 0 below */
        frames_off = HL_ALIGN_UP((uint64_t)base_addr + meta_end, (uint64_t)HL_FRAME_BYTES) -
                     base_addr;
        uint64_t avail = frames_off <= bytes ? (bytes - frames_off) / HL_FRAME_BYTES : 0;
        if (avail >= n)
            break;
        n = (uint32_t)avail;
    }

    uint32_t nwords = bmp_words_for(n);
    uint32_t *next = (uint32_t *)words_addr;
    c->name = name;
    c->frames_addr = base_addr + (uintptr_t)frames_off;
    c->nframes = n;
    c->nwords = nwords;
    c->used = next;
    next += nwords;
    if (extra) {
        *extra = next;
        next += extra_words_for ? extra_words_for(n) : 0;
    }
    c->run_start = c->run_end = c->poisoned = NULL;
    if (HL_CHECK_LEVEL >= 1) {
        c->run_start = next;
        next += nwords;
        c->run_end = next;
        next += nwords;
    }
    if (HL_CHECK_LEVEL >= 2) {
        c->poisoned = next;
        next += nwords;
    }
    /* Every word, by bytes (seed erratum 1 cleared nwords bytes). */
    hl_memset(c->used, 0, (size_t)nwords * sizeof(uint32_t));
    c->used[nwords - 1] |= bmp_tail_mask(n);
    if (c->run_start) {
        hl_memset(c->run_start, 0, (size_t)nwords * sizeof(uint32_t));
        hl_memset(c->run_end, 0, (size_t)nwords * sizeof(uint32_t));
    }
    if (c->poisoned)
        hl_memset(c->poisoned, 0, (size_t)nwords * sizeof(uint32_t));

    c->capacity_bytes = bytes;
    c->meta_bytes = bytes - (size_t)n * HL_FRAME_BYTES;
    c->used_frames = 0;
    c->reserved_frames = 0;
    c->live_bytes = 0;
    c->live_blocks = 0;
    c->allocs = c->frees = c->failed_allocs = 0;
    return HL_OK;
}

/* ---- address <-> frame number -------------------------------------------- */

static inline uintptr_t bmp_core_frame_addr(const struct bmp_core *c, uint32_t pfn)
{
    return c->frames_addr + (uintptr_t)pfn * HL_FRAME_BYTES;
}

/* The frame holding addr, if addr lies in the managed frames. */
static inline bool bmp_core_addr_pfn(const struct bmp_core *c, uintptr_t addr, uint32_t *pfn)
{
    uintptr_t off = addr - c->frames_addr; /* wraps when below: then too big */
    if (addr < c->frames_addr || off / HL_FRAME_BYTES >= c->nframes)
        return false;
    *pfn = (uint32_t)(off / HL_FRAME_BYTES);
    return true;
}

/* ---- alloc and free, once the run is chosen -------------------------------- */

/* Frames [first, first + n) are free: make them one allocated run of
 * `bytes` requested bytes.  Level >= 2: verify the freed poison of frames
 * freed before, then fill the requested bytes with HL_POISON_FRESH. */
static inline void *bmp_core_take(struct bmp_core *c, uint32_t first, uint32_t n, size_t bytes)
{
    uintptr_t addr = bmp_core_frame_addr(c, first);
    bmp_set_range(c->used, first, n);
    if (HL_CHECK_LEVEL >= 1 && c->run_start) {
        c->run_start[bmp_word_of(first)] |= bmp_mask_of(first);
        c->run_end[bmp_word_of(first + n - 1)] |= bmp_mask_of(first + n - 1);
    }
    if (HL_CHECK_LEVEL >= 2 && c->poisoned) {
        bool reported = false;
        for (uint32_t f = bmp_next_set(c->poisoned, first, first + n); f < first + n;
             f = bmp_next_set(c->poisoned, f + 1, first + n)) {
            const uint8_t *bad = hl_find_not((const void *)bmp_core_frame_addr(c, f),
                                             (uint8_t)HL_POISON_FREED, HL_FRAME_BYTES);
            if (bad && !reported) {
                hl_report(c->name, "write after free", bad, (size_t)n * HL_FRAME_BYTES);
                reported = true;
            }
        }
        bmp_clear_range(c->poisoned, first, n);
        hl_memset((void *)addr, HL_POISON_FRESH, bytes);
    }
    c->used_frames += n;
    c->live_bytes += bytes;
    c->live_blocks++;
    c->allocs++;
    return (void *)addr;
}

/* The run [first, first + n) is allocated: free it. */
static inline void bmp_core_give(struct bmp_core *c, uint32_t first, uint32_t n, size_t bytes)
{
    bmp_clear_range(c->used, first, n);
    if (HL_CHECK_LEVEL >= 1 && c->run_start) {
        c->run_start[bmp_word_of(first)] &= ~bmp_mask_of(first);
        c->run_end[bmp_word_of(first + n - 1)] &= ~bmp_mask_of(first + n - 1);
    }
    if (HL_CHECK_LEVEL >= 2 && c->poisoned) {
        hl_memset((void *)bmp_core_frame_addr(c, first), HL_POISON_FREED,
                  (size_t)n * HL_FRAME_BYTES);
        bmp_set_range(c->poisoned, first, n);
    }
    c->used_frames -= n;
    c->live_bytes -= bytes;
    c->live_blocks--;
    c->frees++;
}

/* Is freeing the run of n frames at frame `first` (reached through
 * `ptr`) valid?  Checked builds report a bad free; release builds only
 * refuse what would write outside the bitmaps.  Never changes state.
 * pre: first < nframes. */
static inline enum hl_status bmp_core_validate_free(const struct bmp_core *c, const void *ptr,
                                                    bool frame_aligned, uint32_t first,
                                                    size_t n, size_t bytes)
{
    if (HL_CHECK_LEVEL >= 1) {
        if (frame_aligned && !bmp_test(c->used, first)) {
            hl_report(c->name, "double free", ptr, bytes);
            return HL_E_DOUBLE_FREE;
        }
        if (!frame_aligned || !bmp_test(c->run_start, first)) {
            hl_report(c->name, "interior pointer", ptr, bytes);
            return HL_E_INTERIOR;
        }
        /* The run's end is the first end bit at or after its start: runs
         * never overlap. */
        if (n == 0 || n > c->nframes - first ||
            bmp_next_set(c->run_end, first, c->nframes) != first + n - 1) {
            hl_report(c->name, "wrong size", ptr, bytes);
            return HL_E_SIZE;
        }
        return HL_OK;
    }
    (void)ptr;
    (void)frame_aligned;
    (void)bytes;
    if (n == 0 || n > c->nframes - first)
        return HL_E_SIZE;
    return HL_OK;
}

/* Byte-view free: map ptr to its run and validate.  On HL_OK, *first and
 * *n name the run to give back. */
static inline enum hl_status bmp_core_resolve_free(const struct bmp_core *c, const void *ptr,
                                                   size_t bytes, uint32_t *first, uint32_t *n)
{
    uintptr_t addr = (uintptr_t)ptr;
    uint32_t pfn;
    if (!bmp_core_addr_pfn(c, addr, &pfn)) {
        if (HL_CHECK_LEVEL >= 1)
            hl_report(c->name, "foreign pointer", ptr, bytes);
        return HL_E_FOREIGN;
    }
    size_t nf = hl_bytes_to_frames(bytes);
    enum hl_status st = bmp_core_validate_free(
        c, ptr, HL_IS_ALIGNED(addr - c->frames_addr, (uintptr_t)HL_FRAME_BYTES), pfn, nf, bytes);
    if (st == HL_OK) {
        *first = pfn;
        *n = (uint32_t)nf;
    }
    return st;
}

/* Frame-number view of a free: validate the run of nframes at pfn.  On
 * HL_OK, *bytes is its size in bytes (the stats' unit). */
static inline enum hl_status bmp_core_resolve_free_pfn(const struct bmp_core *c, uint32_t pfn,
                                                       size_t nframes, size_t *bytes)
{
    size_t b = nframes <= c->nframes ? nframes * HL_FRAME_BYTES : 0;
    if (pfn >= c->nframes) {
        if (HL_CHECK_LEVEL >= 1)
            hl_report(c->name, "foreign pointer", NULL, b);
        return HL_E_FOREIGN;
    }
    const void *ptr = (const void *)bmp_core_frame_addr(c, pfn);
    enum hl_status st = bmp_core_validate_free(c, ptr, true, pfn, b ? nframes : 0, b);
    if (st == HL_OK)
        *bytes = b;
    return st;
}

/* The frame number of a run p that bmp_core_take handed out. */
static inline uint32_t bmp_core_taken_pfn(const struct bmp_core *c, const void *p)
{
    uint32_t pfn = 0;
    bool ok = bmp_core_addr_pfn(c, (uintptr_t)p, &pfn);
    HL_ASSERT(ok);
    (void)ok;
    return pfn;
}

/* Mark every managed frame overlapping [addr, addr + bytes) used, for
 * good (the seed's set_frame).  Returns the frames that were free. */
static inline size_t bmp_core_reserve(struct bmp_core *c, uintptr_t addr, size_t bytes,
                                      uint32_t *lo_word, uint32_t *hi_word)
{
    uintptr_t lo = addr, frames_end_off = (uintptr_t)c->nframes * HL_FRAME_BYTES;
    if (bytes == 0)
        return 0;
    /* Clip to the managed frames, in offsets from frame 0 (no wrapping). */
    uintptr_t lo_off = lo <= c->frames_addr ? 0 : lo - c->frames_addr;
    uintptr_t last_byte = bytes - 1 > UINTPTR_MAX - lo ? UINTPTR_MAX : lo + (bytes - 1);
    if (last_byte < c->frames_addr || lo_off >= frames_end_off)
        return 0;
    uintptr_t hi_off = HL_MIN(last_byte - c->frames_addr, frames_end_off - 1);
    uint32_t first = (uint32_t)(lo_off / HL_FRAME_BYTES);
    uint32_t last = (uint32_t)(hi_off / HL_FRAME_BYTES);
    uint32_t n = last - first + 1;
    uint32_t were_used = bmp_count_range(c->used, first, n);
    bmp_set_range(c->used, first, n);
    if (c->poisoned)
        bmp_clear_range(c->poisoned, first, n);
    c->used_frames += n - were_used;
    c->reserved_frames += n - were_used;
    *lo_word = bmp_word_of(first);
    *hi_word = bmp_word_of(last);
    return n - were_used;
}

/* ---- stats and check ------------------------------------------------------ */

static inline void bmp_core_stats(const struct bmp_core *c, struct hl_stats *out)
{
    /* Longest run of clear bits; tail bits are set, so it ends at nframes. */
    size_t best = 0, run = 0;
    for (uint32_t w = 0; w < c->nwords; w++) {
        uint32_t word = c->used[w];
        if (word == 0) {
            run += BMP_WORD_BITS;
        } else if (word == BMP_WORD_FULL) {
            run = 0;
        } else {
            for (unsigned b = 0; b < BMP_WORD_BITS; b++) {
                if (word & ((uint32_t)1 << b)) {
                    run = 0;
                } else {
                    run++;
                    best = HL_MAX(best, run);
                }
            }
        }
        best = HL_MAX(best, run);
    }
    best = HL_MIN(best, (size_t)c->nframes);
    size_t free_frames = c->nframes - c->used_frames;
    out->capacity_bytes = c->capacity_bytes;
    out->meta_bytes = c->meta_bytes;
    out->live_bytes = c->live_bytes;
    out->live_blocks = c->live_blocks;
    out->held_bytes = c->meta_bytes + c->used_frames * HL_FRAME_BYTES;
    out->free_bytes = free_frames * HL_FRAME_BYTES;
    out->largest_free_bytes = best * HL_FRAME_BYTES;
    out->allocs = c->allocs;
    out->frees = c->frees;
    out->failed_allocs = c->failed_allocs;
}

/* The invariants both allocators share; returns the violations found.
 *   - used_frames == popcount of level 0 below nframes
 *   - the tail bits of level 0 are set
 *   - checked: runs are well formed: each run_start is followed by exactly
 *     one run_end before the next run_start, every frame of a run is used
 *     (one violation per run, however many of its frames are free), and
 *     no run bit lies past nframes
 *   - checked: frames used outside runs == reserved_frames (counted only
 *     when nothing else is wrong: any broken invariant above upsets it)
 *   - level >= 2: a poisoned frame is free */
static inline size_t bmp_core_check(const struct bmp_core *c, struct hl_violation *first)
{
    size_t bad = 0;
    uint64_t pop = 0;
    uint32_t tail = bmp_tail_mask(c->nframes);
    for (uint32_t w = 0; w < c->nwords; w++)
        pop += hl_popcount32(w + 1 == c->nwords ? c->used[w] & ~tail : c->used[w]);
    if (pop != c->used_frames)
        hl_violation_add(&bad, first, "used-frame counter != bitmap popcount",
                      (uintptr_t)c->used);
    if ((c->used[c->nwords - 1] & tail) != tail)
        hl_violation_add(&bad, first, "tail bit past nframes is clear",
                      (uintptr_t)&c->used[c->nwords - 1]);

    if (HL_CHECK_LEVEL >= 1 && c->run_start) {
        bool in_run = false, run_flagged = false; /* one "free frame" per run */
        uint64_t run_frames = 0;
        uintptr_t run_addr = 0;
        for (uint32_t w = 0; w < c->nwords; w++) {
            uintptr_t waddr = bmp_core_frame_addr(c, w * BMP_WORD_BITS);
            uint32_t valid = w + 1 == c->nwords ? ~tail : BMP_WORD_FULL;
            uint32_t st = c->run_start[w], en = c->run_end[w], used = c->used[w];
            if ((st | en) & ~valid)
                hl_violation_add(&bad, first, "run bit past nframes", waddr);
            uint32_t events = (st | en) & valid;
            unsigned pos = 0;
            for (;;) {
                unsigned b = events ? hl_ctz32(events) : (w + 1 == c->nwords
                                                              ? bmp_bit_of(c->nframes - 1) + 1
                                                              : BMP_WORD_BITS);
                /* Frames [pos, b) carry no run bit. */
                if (in_run) {
                    uint32_t seg = bmp_bits(pos, b);
                    run_frames += hl_popcount32(seg);
                    if ((~used & seg) && !run_flagged) {
                        hl_violation_add(&bad, first, "free frame inside a run",
                                      waddr + (uintptr_t)hl_ctz32(~used & seg) * HL_FRAME_BYTES);
                        run_flagged = true;
                    }
                }
                if (!events)
                    break;
                uint32_t m = (uint32_t)1 << b;
                uintptr_t faddr = waddr + (uintptr_t)b * HL_FRAME_BYTES;
                if (st & m) {
                    if (in_run)
                        hl_violation_add(&bad, first, "run starts inside a run", faddr);
                    in_run = true;
                    run_flagged = false;
                    run_addr = faddr;
                }
                if (in_run) {
                    run_frames++;
                    if (!(used & m) && !run_flagged) {
                        hl_violation_add(&bad, first, "free frame inside a run", faddr);
                        run_flagged = true;
                    }
                }
                if (en & m) {
                    if (!in_run)
                        hl_violation_add(&bad, first, "run end without a start", faddr);
                    in_run = false;
                }
                events &= events - 1;
                pos = b + 1;
            }
        }
        if (in_run)
            hl_violation_add(&bad, first, "run start without an end", run_addr);
        if (run_frames + c->reserved_frames != pop && bad == 0)
            hl_violation_add(&bad, first, "used frames outside runs != reserved frames",
                          (uintptr_t)c->used);
    }
    if (HL_CHECK_LEVEL >= 2 && c->poisoned) {
        for (uint32_t w = 0; w < c->nwords; w++)
            if (c->poisoned[w] & c->used[w])
                hl_violation_add(&bad, first, "poisoned frame is in use",
                              bmp_core_frame_addr(c, w * BMP_WORD_BITS +
                                                         hl_ctz32(c->poisoned[w] & c->used[w])));
    }
    return bad;
}

#endif /* HEAPLAB_BITMAP_INTERNAL_H */
