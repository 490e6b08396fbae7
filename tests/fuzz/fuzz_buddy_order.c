/*
 * fuzz_buddy_order.c — buddy through its order API: buddy_alloc_order,
 * buddy_free_order, the order-0 stack (buddy_set_pcp) and reclaim.
 *
 * Input: byte 0 the region (64 KiB << k, k 0..5) and byte 1 the order-0
 * stack's capacity; then ops.  Checked: a block of order o is 4096 << o
 * bytes inside the frames, aligned to its size relative to the frames'
 * start (the buddy invariant), overlapping no live block, its bytes fresh
 * poison; live bytes equal the shadow's (4096 << o per block); invalid
 * frees (another order, inside a block, already free, outside) refused
 * with one report and no change; check() every 8 ops and at the end;
 * after freeing everything and reclaim, the stats equal those after init.
 */
#include <stdlib.h>
#include <string.h>

#include "allocators/buddy.h"
#include "allocators/util.h"
#include "tests/fuzz/fuzz.h"

#define REGION_MAX_BYTES ((size_t)2 << 20)
#define MAX_LIVE 128

struct blk {
    uint8_t *p;
    unsigned order;
};

static uint8_t *region;
static struct buddy *b;
static struct blk live[MAX_LIVE];
static size_t nlive;
static struct blk freed[8];
static size_t nfreed;

static size_t order_bytes(unsigned order) { return HL_FRAME_BYTES << order; }

static void check_now(void)
{
    struct hl_violation first = {0};
    size_t n = buddy_check(b, &first);
    FZ_REQUIRE(n == 0, "buddy: check(): %zu violations, first '%s'", n,
               first.what ? first.what : "?");
}

static void refused(void *p, unsigned order, enum hl_status a,
                    enum hl_status alt)
{
    struct hl_stats before, after;
    buddy_stats(b, &before);
    fz_reports_reset();
    enum hl_status got = buddy_free_order(b, p, order);
    FZ_REQUIRE((got == a || got == alt) && fz_report_count() == 1,
               "buddy: free_order(%p, %u) returned '%s' with %u reports, "
               "want '%s' and 1",
               p, order, hl_status_str(got), fz_report_count(),
               hl_status_str(a));
    fz_reports_reset();
    buddy_stats(b, &after);
    FZ_REQUIRE(memcmp(&before, &after, sizeof before) == 0,
               "buddy: a refused free_order changed the stats");
    check_now();
}

static bool overlaps(const uint8_t *p, size_t bytes)
{
    for (size_t i = 0; i < nlive; i++) {
        const uint8_t *q = live[i].p;
        if (p < q + order_bytes(live[i].order) && q < p + bytes)
            return true;
    }
    return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    region = aligned_alloc(HL_FRAME_BYTES, REGION_MAX_BYTES);
    b = aligned_alloc(HL_STATE_ALIGN, HL_ALIGN_UP(sizeof *b, HL_STATE_ALIGN));
    return region && b ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    size_t region_bytes = ((size_t)64 << 10) << fz_u8(&f) % 6;
    memset(b, 0xA7, sizeof *b);
    FZ_REQUIRE(buddy_init(b, region, region_bytes) == HL_OK,
               "buddy: init refused %zu bytes", region_bytes);
    buddy_set_pcp(b, fz_u8(&f) % (BUDDY_PCP_SLOTS + 1));
    struct hl_stats s0, s;
    buddy_stats(b, &s0);
    nlive = nfreed = 0;
    size_t live_bytes = 0;
    fz_reports_reset();

    for (unsigned op = 1; f.n > 0; op++) {
        uint8_t k = fz_u8(&f);
        switch (k % 6) {
        case 0: case 1: { /* alloc; orders above the maximum fail */
            unsigned order = (k >> 3) % (BUDDY_MAX_ORDER + 3);
            if (order > BUDDY_MAX_ORDER) /* pre: order <= BUDDY_MAX_ORDER */
                order = (k >> 3) & 3;
            uint8_t *p = buddy_alloc_order(b, order);
            FZ_REQUIRE(fz_report_count() == 0, "buddy: alloc reported '%s'",
                       fz_last_report());
            if (!p)
                break;
            size_t n = order_bytes(order);
            FZ_REQUIRE(hl_ptr_in(p, region, region_bytes) &&
                           (size_t)(p - region) + n <= region_bytes,
                       "buddy: order-%u block %p outside the region", order,
                       (void *)p);
            FZ_REQUIRE(HL_IS_ALIGNED((uintptr_t)p - b->frames_addr, n),
                       "buddy: order-%u block %p not aligned to its size",
                       order, (void *)p);
            FZ_REQUIRE(!overlaps(p, n), "buddy: order-%u block %p overlaps",
                       order, (void *)p);
            FZ_REQUIRE(fz_find_not(p, HL_POISON_FRESH, n) == n,
                       "buddy: order-%u block %p not fresh poison", order,
                       (void *)p);
            if (nlive == MAX_LIVE) {
                FZ_REQUIRE(buddy_free_order(b, p, order) == HL_OK,
                           "buddy: free refused");
                break;
            }
            live[nlive++] = (struct blk){p, order};
            live_bytes += n;
            break;
        }
        case 2: case 3: { /* free */
            if (!nlive)
                break;
            size_t i = fz_u8(&f) % nlive;
            struct blk x = live[i];
            enum hl_status st = buddy_free_order(b, x.p, x.order);
            FZ_REQUIRE(st == HL_OK && fz_report_count() == 0,
                       "buddy: free_order(%p, %u) of a live block: '%s'",
                       (void *)x.p, x.order, hl_status_str(st));
            live[i] = live[--nlive];
            live_bytes -= order_bytes(x.order);
            freed[nfreed++ % 8] = x;
            break;
        }
        case 4: { /* invalid frees */
            uint8_t w = fz_u8(&f);
            if (w % 4 == 0) {
                refused(region + region_bytes + (w >> 2) * HL_FRAME_BYTES, 0,
                        HL_E_FOREIGN, HL_E_FOREIGN);
            } else if (w % 4 == 1 && nfreed) {
                struct blk x = freed[(w >> 2) % HL_MIN(nfreed, 8)];
                if (!overlaps(x.p, order_bytes(x.order)))
                    refused(x.p, x.order, HL_E_DOUBLE_FREE, HL_E_INTERIOR);
            } else if (nlive) {
                struct blk x = live[(w >> 2) % nlive];
                if (w % 4 == 2 && x.order > 0)
                    refused(x.p + HL_FRAME_BYTES * (1 + fz_u8(&f) %
                                                    ((1u << x.order) - 1)),
                            0, HL_E_INTERIOR, HL_E_INTERIOR);
                else if (w % 4 == 3)
                    refused(x.p, (x.order + 1 + fz_u8(&f) % 4) %
                                     (BUDDY_MAX_ORDER + 1),
                            HL_E_SIZE, HL_E_SIZE);
            }
            break;
        }
        case 5:
            if (k & 8)
                buddy_reclaim(b);
            else if (k & 16)
                buddy_set_pcp(b, fz_u8(&f) % (BUDDY_PCP_SLOTS + 1));
            else
                check_now();
            break;
        }
        buddy_stats(b, &s);
        FZ_REQUIRE(s.live_bytes == live_bytes && s.live_blocks == nlive,
                   "buddy: stats %zu bytes in %zu blocks, shadow %zu in %zu",
                   s.live_bytes, s.live_blocks, live_bytes, nlive);
        FZ_REQUIRE(s.held_bytes + s.free_bytes == s.capacity_bytes &&
                       s.largest_free_bytes <= s.free_bytes,
                   "buddy: stats break the conservation law");
        if (op % 8 == 0)
            check_now();
    }
    while (nlive) {
        nlive--;
        FZ_REQUIRE(buddy_free_order(b, live[nlive].p, live[nlive].order) ==
                       HL_OK,
                   "buddy: drain refused a live block");
    }
    buddy_reclaim(b);
    check_now();
    buddy_stats(b, &s);
    FZ_REQUIRE(s.held_bytes == s0.held_bytes &&
                   s.largest_free_bytes == s0.largest_free_bytes,
               "buddy: after the drain held %zu largest %zu; after init %zu %zu",
               s.held_bytes, s.largest_free_bytes, s0.held_bytes,
               s0.largest_free_bytes);
    return 0;
}
