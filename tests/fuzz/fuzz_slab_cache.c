/*
 * fuzz_slab_cache.c — slab through its cache API: slab_cache_create (any
 * object size and alignment, some impossible), _alloc, _free, _reap,
 * _destroy, mixed with the heap view (slab_alloc/slab_free) on the same
 * slab.
 *
 * Input: byte 0 the region (256 KiB << k, k 0..4) and byte 1 the magazine
 * capacity; then ops.  Checked: an object lies inside the region, is
 * aligned to its cache's alignment, overlaps no live object or block,
 * holds fresh poison and keeps the pattern written into it; inuse per
 * cache equals the shadow's; invalid calls — a double free, an interior
 * pointer, an object freed to another cache, destroy of a cache with live
 * objects, free/alloc/destroy on a destroyed cache — are refused with one
 * report; check() every 8 ops and at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "allocators/slab.h"
#include "allocators/util.h"
#include "tests/fuzz/fuzz.h"

#define REGION_MAX_BYTES ((size_t)4 << 20)
#define MAX_CACHES 8
#define MAX_LIVE 128

struct obj {
    uint8_t *p;
    size_t bytes;
    int cache; /* index in caches[], or -1: a heap-view block */
    uint8_t fill;
};

struct cache {
    struct slab_cache *c;
    size_t obj_bytes, align;
    size_t inuse;
};

static uint8_t *region;
static struct slab *s;
static struct cache caches[MAX_CACHES];
static size_t ncaches;
static struct obj live[MAX_LIVE];
static size_t nlive;
static struct obj freed[8];
static size_t nfreed;
static struct slab_cache *destroyed; /* valid to poke until a create */

static void check_now(void)
{
    struct hl_violation first = {0};
    size_t n = slab_check(s, &first);
    FZ_REQUIRE(n == 0, "slab: check(): %zu violations, first '%s' at %#lx",
               n, first.what ? first.what : "?", (unsigned long)first.addr);
}

static bool overlaps(const uint8_t *p, size_t bytes)
{
    for (size_t i = 0; i < nlive; i++)
        if (p < live[i].p + live[i].bytes && live[i].p < p + bytes)
            return true;
    return false;
}

/* want == HL_OK: any refusal (a double free whose slab has gone back to
 * the buddy and come back as another cache's is "another cache" or
 * "foreign" rather than "double free"). */
static void expect_one_report(const char *what, enum hl_status got,
                              enum hl_status want, enum hl_status alt)
{
    bool ok = want == HL_OK ? got != HL_OK : got == want || got == alt;
    FZ_REQUIRE(ok && fz_report_count() == 1,
               "slab: %s returned '%s' with %u reports, want '%s' and 1",
               what, hl_status_str(got), fz_report_count(),
               hl_status_str(want));
    fz_reports_reset();
    check_now();
}

static void add_live(uint8_t *p, size_t bytes, int cache, size_t align,
                     uint8_t fill)
{
    FZ_REQUIRE(hl_ptr_in(p, region, REGION_MAX_BYTES) &&
                   HL_IS_ALIGNED((uintptr_t)p, align),
               "slab: object %p (%zu bytes) outside or not %zu-aligned",
               (void *)p, bytes, align);
    FZ_REQUIRE(!overlaps(p, bytes), "slab: object %p + %zu overlaps",
               (void *)p, bytes);
    FZ_REQUIRE(fz_find_not(p, HL_POISON_FRESH, bytes) == bytes,
               "slab: object %p + %zu is not fresh poison", (void *)p, bytes);
    memset(p, fill, bytes);
    live[nlive++] = (struct obj){p, bytes, cache, fill};
}

static void free_live(size_t i)
{
    struct obj o = live[i];
    FZ_REQUIRE(fz_find_not(o.p, o.fill, o.bytes) == o.bytes,
               "slab: object %p + %zu was overwritten while live",
               (void *)o.p, o.bytes);
    enum hl_status st = o.cache < 0 ? slab_free(s, o.p, o.bytes)
                                    : slab_cache_free(caches[o.cache].c, o.p);
    FZ_REQUIRE(st == HL_OK && fz_report_count() == 0,
               "slab: free of live object %p + %zu: '%s'", (void *)o.p,
               o.bytes, hl_status_str(st));
    if (o.cache >= 0)
        caches[o.cache].inuse--;
    live[i] = live[--nlive];
    freed[nfreed++ % 8] = o;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    region = aligned_alloc(HL_FRAME_BYTES, REGION_MAX_BYTES);
    s = aligned_alloc(HL_STATE_ALIGN, HL_ALIGN_UP(sizeof *s, HL_STATE_ALIGN));
    return region && s ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    size_t region_bytes = ((size_t)256 << 10) << fz_u8(&f) % 5;
    memset(s, 0xA7, sizeof *s);
    FZ_REQUIRE(slab_init(s, region, region_bytes) == HL_OK,
               "slab: init refused %zu bytes", region_bytes);
    slab_set_magazine(s, fz_u8(&f) % (SLAB_MAG_SLOTS + 1));
    ncaches = nlive = nfreed = 0;
    destroyed = NULL;
    fz_reports_reset();

    for (unsigned op = 1; f.n > 0; op++) {
        uint8_t k = fz_u8(&f);
        switch (k % 8) {
        case 0: { /* create a cache */
            if (ncaches == MAX_CACHES)
                break;
            size_t obj = fz_u16(&f) % 5000;
            size_t align = (k & 8) ? (size_t)1 << fz_u8(&f) % 14 : 0;
            if (k & 16)
                align += 8; /* not a power of two, mostly */
            struct slab_cache *c = slab_cache_create(s, "fuzz", obj, align);
            FZ_REQUIRE(fz_report_count() == 0, "slab: create reported");
            destroyed = NULL;
            if (!c)
                break;
            FZ_REQUIRE(slab_cache_obj_bytes(c) >= obj,
                       "slab: cache of %zu-byte objects for %zu", 
                       slab_cache_obj_bytes(c), obj);
            caches[ncaches++] = (struct cache){
                c, obj, align ? align : HL_HEAP_ALIGN, 0};
            break;
        }
        case 1: case 2: { /* alloc from a cache, or the heap view */
            uint8_t fill = (uint8_t)(op * 7 + 1);
            if (nlive == MAX_LIVE)
                break;
            if (ncaches && !(k & 8)) {
                size_t i = fz_u8(&f) % ncaches;
                uint8_t *p = slab_cache_alloc(caches[i].c);
                FZ_REQUIRE(fz_report_count() == 0, "slab: alloc reported");
                if (p) {
                    add_live(p, caches[i].obj_bytes, (int)i, caches[i].align,
                             fill);
                    caches[i].inuse++;
                }
            } else {
                size_t bytes = fz_u16(&f) % 9000;
                uint8_t *p = slab_alloc(s, bytes);
                FZ_REQUIRE(fz_report_count() == 0, "slab: alloc reported");
                if (p)
                    add_live(p, bytes ? bytes : 1, -1, HL_HEAP_ALIGN, fill);
            }
            break;
        }
        case 3: case 4:
            if (nlive)
                free_live(fz_u8(&f) % nlive);
            break;
        case 5: { /* invalid */
            uint8_t w = fz_u8(&f);
            if (w % 4 == 0 && nfreed) { /* double free */
                struct obj o = freed[(w >> 2) % HL_MIN(nfreed, 8)];
                if (o.cache >= 0 && o.cache < (int)ncaches &&
                    !overlaps(o.p, o.bytes))
                    expect_one_report(
                        "double free",
                        slab_cache_free(caches[o.cache].c, o.p), HL_OK,
                        HL_OK);
            } else if (w % 4 == 1 && nlive) { /* interior */
                struct obj o = live[(w >> 2) % nlive];
                if (o.cache >= 0 && o.bytes > caches[o.cache].align)
                    expect_one_report(
                        "interior free",
                        slab_cache_free(caches[o.cache].c,
                                        o.p + caches[o.cache].align),
                        HL_E_INTERIOR, HL_E_INTERIOR);
            } else if (w % 4 == 2 && nlive && ncaches > 1) {
                /* to another cache */
                struct obj o = live[(w >> 2) % nlive];
                size_t other = (size_t)(o.cache + 1) % ncaches;
                if (o.cache >= 0)
                    expect_one_report("free to another cache",
                                      slab_cache_free(caches[other].c, o.p),
                                      HL_E_SIZE, HL_E_FOREIGN);
            } else if (w % 4 == 3 && ncaches) {
                size_t i = (w >> 2) % ncaches;
                if (caches[i].inuse)
                    expect_one_report("destroy of a busy cache",
                                      slab_cache_destroy(caches[i].c),
                                      HL_E_REGION, HL_E_REGION);
                else if (destroyed)
                    expect_one_report("destroy of a destroyed cache",
                                      slab_cache_destroy(destroyed),
                                      HL_E_DOUBLE_FREE, HL_E_DOUBLE_FREE);
            }
            break;
        }
        case 6: { /* destroy an idle cache, or reap one */
            if (!ncaches)
                break;
            size_t i = fz_u8(&f) % ncaches;
            if (k & 8) {
                slab_cache_reap(caches[i].c);
                break;
            }
            if (caches[i].inuse)
                break;
            FZ_REQUIRE(slab_cache_destroy(caches[i].c) == HL_OK,
                       "slab: destroy of an idle cache refused");
            destroyed = caches[i].c;
            for (size_t j = 0; j < 8; j++) /* no double frees into it */
                if (freed[j].cache == (int)i)
                    freed[j].cache = -1;
            ncaches--; /* move the last cache into slot i */
            if (i != ncaches) {
                caches[i] = caches[ncaches];
                for (size_t j = 0; j < nlive; j++)
                    if (live[j].cache == (int)ncaches)
                        live[j].cache = (int)i;
                for (size_t j = 0; j < 8; j++)
                    if (freed[j].cache == (int)ncaches)
                        freed[j].cache = (int)i;
            }
            break;
        }
        default:
            if (k & 8)
                slab_reclaim(s);
            else
                check_now();
            break;
        }
        for (size_t i = 0; i < ncaches; i++)
            FZ_REQUIRE(slab_cache_inuse(caches[i].c) == caches[i].inuse,
                       "slab: cache %zu has %zu objects in use, shadow %zu",
                       i, slab_cache_inuse(caches[i].c), caches[i].inuse);
        if (op % 8 == 0)
            check_now();
    }
    while (nlive)
        free_live(nlive - 1);
    for (size_t i = 0; i < ncaches; i++)
        FZ_REQUIRE(slab_cache_destroy(caches[i].c) == HL_OK,
                   "slab: destroy of an empty cache refused");
    slab_reclaim(s);
    check_now();
    return 0;
}
