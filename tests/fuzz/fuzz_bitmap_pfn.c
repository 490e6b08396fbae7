/*
 * fuzz_bitmap_pfn.c — both bitmap allocators (bitmap-seed, bitmap-fast)
 * through their frame-number API: alloc_pfn, alloc_run_pfn, free_pfn,
 * free_run_pfn, frame_addr / addr_pfn, reserve_range.
 *
 * Input: byte 0 picks the bitmap (bit 0) and the region (64 KiB << k,
 * k = bits 1..3 mod 6); then ops.  A shadow of every frame (free, in a
 * run, reserved) checks that a new run is free and in range, that frame
 * addresses and frame numbers map both ways, that reserve_range counts
 * the free frames it took, that used frames plus free frames stay the
 * frame count, and that invalid frees (double, interior, wrong count,
 * a frame number past the end) are refused with one report and no change.
 * check() every 8 ops and at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "allocators/bitmap_fast.h"
#include "allocators/bitmap_seed.h"
#include "allocators/util.h"
#include "tests/fuzz/fuzz.h"

#define REGION_MAX_BYTES ((size_t)2 << 20)
#define MAX_FRAMES (REGION_MAX_BYTES / HL_FRAME_BYTES)

struct ops {
    const struct hl_allocator *a;
    bool (*alloc_run)(void *, size_t, bmp_pfn *);
    bool (*alloc_one)(void *, bmp_pfn *);
    enum hl_status (*free_run)(void *, bmp_pfn, size_t);
    enum hl_status (*free_one)(void *, bmp_pfn);
    uintptr_t (*frame_addr)(const void *, bmp_pfn);
    bool (*addr_pfn)(const void *, uintptr_t, bmp_pfn *);
    size_t (*reserve)(void *, uintptr_t, size_t);
    uint32_t (*nframes)(const void *);
};

#define OPS(prefix, alloc)                                                    \
    {                                                                         \
        &alloc, (bool (*)(void *, size_t, bmp_pfn *))prefix##_alloc_run_pfn, \
            (bool (*)(void *, bmp_pfn *))prefix##_alloc_pfn,                  \
            (enum hl_status(*)(void *, bmp_pfn, size_t))prefix##_free_run_pfn, \
            (enum hl_status(*)(void *, bmp_pfn))prefix##_free_pfn,            \
            (uintptr_t(*)(const void *, bmp_pfn))prefix##_frame_addr,         \
            (bool (*)(const void *, uintptr_t, bmp_pfn *))prefix##_addr_pfn,  \
            (size_t(*)(void *, uintptr_t, size_t))prefix##_reserve_range,     \
            (uint32_t(*)(const void *))prefix##_nframes                       \
    }

static const struct ops bitmaps[2] = {OPS(bmp_seed, hl_bitmap_seed),
                                      OPS(bmp_fast, hl_bitmap_fast)};

enum { F_FREE = 0, F_RUN = 1, F_RESERVED = 2 };

static uint8_t *region;
static void *state;
static uint8_t frame[MAX_FRAMES];   /* shadow per frame */
static uint32_t run_len[MAX_FRAMES]; /* at a run's first frame: its length */
static uint32_t runs[MAX_FRAMES];    /* first frames of live runs */
static size_t nruns;

static size_t used_now(const struct ops *o)
{
    struct hl_stats s;
    o->a->stats(state, &s);
    return s.held_bytes - s.meta_bytes;
}

static void check_now(const struct ops *o)
{
    struct hl_violation first = {0};
    size_t n = o->a->check(state, &first);
    FZ_REQUIRE(n == 0, "%s: check(): %zu violations, first '%s'", o->a->name,
               n, first.what ? first.what : "?");
}

static void refused(const struct ops *o, uint32_t pfn, size_t n,
                    enum hl_status want)
{
    struct hl_stats before, after;
    o->a->stats(state, &before);
    fz_reports_reset();
    enum hl_status got = o->free_run(state, (bmp_pfn){pfn}, n);
    FZ_REQUIRE(got == want && fz_report_count() == 1,
               "%s: free_run_pfn(%u, %zu) returned '%s' with %u reports, "
               "want '%s' and 1",
               o->a->name, pfn, n, hl_status_str(got), fz_report_count(),
               hl_status_str(want));
    fz_reports_reset();
    o->a->stats(state, &after);
    FZ_REQUIRE(memcmp(&before, &after, sizeof before) == 0,
               "%s: a refused free_run_pfn changed the stats", o->a->name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    size_t sb = HL_MAX(hl_bitmap_seed.state_bytes, hl_bitmap_fast.state_bytes);
    region = aligned_alloc(HL_FRAME_BYTES, REGION_MAX_BYTES);
    state = aligned_alloc(HL_STATE_ALIGN, HL_ALIGN_UP(sb, HL_STATE_ALIGN));
    return region && state ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f);
    const struct ops *o = &bitmaps[mode & 1];
    size_t region_bytes = ((size_t)64 << 10) << ((mode >> 1) & 7) % 6;
    memset(state, 0xA7, o->a->state_bytes);
    FZ_REQUIRE(hl_al_init(o->a, state, region, region_bytes, NULL) == HL_OK,
               "%s: init refused %zu bytes", o->a->name, region_bytes);
    uint32_t nf = o->nframes(state);
    FZ_REQUIRE(nf > 0 && nf <= region_bytes / HL_FRAME_BYTES,
               "%s: %u frames in %zu bytes", o->a->name, nf, region_bytes);
    memset(frame, F_FREE, nf);
    memset(run_len, 0, nf * sizeof run_len[0]);
    nruns = 0;
    size_t used = 0; /* frames in runs or reserved */
    fz_reports_reset();
    size_t base_used = used_now(o);

    for (unsigned op = 1; f.n > 0; op++) {
        uint8_t k = fz_u8(&f);
        switch (k % 8) {
        case 0: case 1: case 2: { /* alloc a run (or one frame) */
            size_t n = (k & 8) ? 1 : (size_t)fz_u8(&f) % 40 + (k & 16 ? 0 : 1);
            if (k & 32)
                n = (size_t)fz_u32(&f); /* absurd counts too */
            bmp_pfn p = {0xFFFFFFFFu};
            bool ok = n == 1 && (k & 8) ? o->alloc_one(state, &p)
                                        : o->alloc_run(state, n, &p);
            FZ_REQUIRE(fz_report_count() == 0, "%s: alloc reported",
                       o->a->name);
            if (!ok)
                break;
            FZ_REQUIRE(n > 0 && p.idx < nf && n <= nf - p.idx,
                       "%s: run of %zu at frame %u of %u", o->a->name, n,
                       p.idx, nf);
            for (size_t i = 0; i < n; i++)
                FZ_REQUIRE(frame[p.idx + i] == F_FREE,
                           "%s: frame %zu handed out twice", o->a->name,
                           p.idx + i);
            memset(frame + p.idx, F_RUN, n);
            run_len[p.idx] = (uint32_t)n;
            runs[nruns++] = p.idx;
            used += n;
            break;
        }
        case 3: case 4: { /* free a live run */
            if (!nruns)
                break;
            size_t i = fz_u8(&f) % nruns;
            uint32_t p = runs[i];
            size_t n = run_len[p];
            enum hl_status st = n == 1 && (k & 8)
                                    ? o->free_one(state, (bmp_pfn){p})
                                    : o->free_run(state, (bmp_pfn){p}, n);
            FZ_REQUIRE(st == HL_OK && fz_report_count() == 0,
                       "%s: free_run_pfn(%u, %zu) of a live run: '%s'",
                       o->a->name, p, n, hl_status_str(st));
            memset(frame + p, F_FREE, n);
            run_len[p] = 0;
            runs[i] = runs[--nruns];
            used -= n;
            break;
        }
        case 5: { /* invalid frees */
            uint32_t p = fz_u16(&f) % (nf + 4);
            if (p >= nf)
                refused(o, p, 1, HL_E_FOREIGN);
            else if (frame[p] == F_FREE)
                refused(o, p, 1, HL_E_DOUBLE_FREE);
            else if (frame[p] == F_RUN && run_len[p] > 0)
                refused(o, p, run_len[p] + 1 + fz_u8(&f) % 4, HL_E_SIZE);
            else /* reserved, or inside a run */
                refused(o, p, 1, HL_E_INTERIOR);
            break;
        }
        case 6: { /* frame numbers and addresses, both ways */
            uint32_t p = fz_u16(&f) % nf;
            uintptr_t addr = o->frame_addr(state, (bmp_pfn){p});
            FZ_REQUIRE(hl_ptr_in((void *)addr, region, region_bytes) &&
                           HL_IS_ALIGNED(addr, HL_FRAME_BYTES),
                       "%s: frame %u at %#lx", o->a->name, p,
                       (unsigned long)addr);
            bmp_pfn back = {0};
            size_t off = fz_u16(&f) % HL_FRAME_BYTES;
            FZ_REQUIRE(o->addr_pfn(state, addr + off, &back) && back.idx == p,
                       "%s: address of frame %u + %zu maps to %u", o->a->name,
                       p, off, back.idx);
            bmp_pfn none = {0};
            FZ_REQUIRE(!o->addr_pfn(state, (uintptr_t)region + region_bytes,
                                    &none) &&
                           !o->addr_pfn(state, (uintptr_t)region - 1, &none),
                       "%s: an address outside the region has a frame",
                       o->a->name);
            break;
        }
        case 7: { /* reserve a range (rarely: it is for good) */
            if (!(k & 8))
                break;
            size_t off = fz_u32(&f) % (region_bytes + 8192);
            size_t bytes = fz_u16(&f) % (4 * HL_FRAME_BYTES);
            uintptr_t lo = (uintptr_t)region + off - 4096;
            size_t expect = 0;
            for (uint32_t p = 0; p < nf; p++) {
                uintptr_t fa = o->frame_addr(state, (bmp_pfn){p});
                if (bytes && fa < lo + bytes && lo < fa + HL_FRAME_BYTES &&
                    frame[p] == F_FREE) {
                    frame[p] = F_RESERVED;
                    expect++;
                }
            }
            size_t got = o->reserve(state, lo, bytes);
            FZ_REQUIRE(got == expect,
                       "%s: reserve_range(%#lx, %zu) took %zu free frames, "
                       "the shadow %zu",
                       o->a->name, (unsigned long)lo, bytes, got, expect);
            used += expect;
            break;
        }
        }
        FZ_REQUIRE(used_now(o) - base_used == used * HL_FRAME_BYTES,
                   "%s: %zu bytes of frames held, the shadow %zu frames",
                   o->a->name, used_now(o) - base_used, used);
        if (op % 8 == 0)
            check_now(o);
    }
    check_now(o);
    return 0;
}
