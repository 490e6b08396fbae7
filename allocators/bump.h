/*
 * bump.h — the bump allocator (registry name "bump"): the floor every
 * figure is calibrated against.  alloc rounds the request up to 16 and
 * adds; free makes nothing reusable (HL_F_NO_REUSE) and only updates the
 * live counters.  All operations are O(1) except check() (O(blocks) in
 * checked builds, O(1) in release builds).
 *
 * Region map, release build (HL_CHECK_LEVEL 0):
 *
 *   base                                                   base + bytes
 *   | slack | block | block | ...        |   never used    | slack |
 *   '-meta-'^start                       ^cur              ^end '-meta-'
 *
 * Checked builds put a 16-byte header in front of every block so that free
 * can refuse foreign, interior, double and wrongly sized frees:
 *
 *   | hdr {requested_bytes, magic} | payload (round16(requested)) | hdr | ...
 *
 * so the blocks tile [start, cur) and check() can walk them.
 *
 * Accounting: meta_bytes = the slack at both ends; held_bytes = meta +
 * (cur - start), never shrinking; free_bytes = largest_free_bytes =
 * end - cur.  A request of 0 bytes is served (and counted) as 1.
 *
 * The state is a plain struct so tests can look at it; its fields are
 * private to bump.c.
 */
#ifndef HEAPLAB_BUMP_H
#define HEAPLAB_BUMP_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "allocators/util.h"

#define BUMP_MAGIC_LIVE 0xB0B1A11Eu
#define BUMP_MAGIC_FREED 0xB0B1DEADu

/* Checked builds only: the header in front of each block.
 *   ILP32: 4 + 4 (+8 pad) = 16 bytes     LP64: 8 + 4 (+4 pad) = 16 */
struct bump_header {
    alignas(HL_HEAP_ALIGN) size_t requested_bytes; /* as asked (0 -> 1) */
    uint32_t magic; /* BUMP_MAGIC_LIVE or BUMP_MAGIC_FREED */
};
_Static_assert(sizeof(struct bump_header) == HL_HEAP_ALIGN,
               "the checked-build header is exactly 16 bytes on both targets");

/* Bytes in front of each block: the header in checked builds, else 0. */
#define BUMP_HEADER_BYTES                                                     \
    ((size_t)(HL_CHECK_LEVEL >= 1 ? sizeof(struct bump_header) : 0))

struct bump {
    uintptr_t region_addr; /* as given to init */
    size_t region_bytes;
    uintptr_t start; /* region start rounded up to 16 */
    uintptr_t cur;   /* next block (its header, if any) goes here */
    uintptr_t end;   /* region end rounded down to 16 */
    size_t live_bytes;
    size_t live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

extern const struct hl_allocator hl_bump;

/* Take over [base, base + bytes).  HL_E_REGION if, once both ends are
 * aligned to 16, there is no room for one 16-byte block (plus its header in
 * checked builds). */
enum hl_status bump_init(struct bump *b, void *base, size_t bytes);
/* cur += header + round16(bytes), or NULL if that does not fit. */
void *bump_alloc(struct bump *b, size_t bytes);
/* Counters only (checked builds: validate, mark the header, poison). */
enum hl_status bump_free(struct bump *b, void *ptr, size_t bytes);
void bump_stats(const struct bump *b, struct hl_stats *out);
/* Bounds, alignment and counters; in checked builds also every header from
 * start to cur (magic, size, live count and bytes). */
size_t bump_check(const struct bump *b, struct hl_violation *first);

#endif /* HEAPLAB_BUMP_H */
