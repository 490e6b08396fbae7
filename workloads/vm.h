/*
 * vm.h — the `vm` family of workloads: streams of page accesses and page
 * table edits over a region, not of allocations.  Freestanding.
 *
 * A vm op is a struct hl_op (workload.h) with a kind of its own, above
 * the allocation kinds (a vm stream never reaches the allocation runner,
 * an op buffer or a trace): slot is a PAGE INDEX of the region (page i
 * is the 4 KiB at region + i * 4096), bytes is 0.  The workload checksum
 * hashes these ops like any other, so host and kernel prove they ran the
 * same page indexes in the same order.
 *
 *   vm-touch  pages=N order=0|1 passes=P
 *             P passes over N pages, one 32-bit word written per page
 *             (hl_vm_touch_offset: cache line page mod 64 of the page):
 *             in order 0..N-1 (order=0,
 *             sequential), or a fresh random permutation per pass
 *             (order=1: every page exactly once per pass, so both orders
 *             touch the same pages as often).  P * N TOUCH ops.
 *   vm-remap  pages=N rounds=R flush=0|1
 *             R rounds of: MAP then TOUCH each page 0..N-1 (a fresh 4 KiB
 *             mapping, then a write through it), then UNMAP each page,
 *             flushing the TLB per page (flush=0: INVLPG after each
 *             UNMAP) or once per round (flush=1: one CR3 op after the
 *             last UNMAP).  Kernel only (host_none says why).
 *
 * What plays the allocator of a vm cell is the MAPPING KIND of the region
 * (bench/core/vmpass.h): pages-4k (4 KiB pages) and pages-4m (4 MiB
 * pages: PSE in the kernel, hugetlbfs or transparent huge pages on the
 * host).  A page INDEX is always of 4 KiB: N pages of a stream are
 * N * 4 KiB of address space whatever the mapping, so the two kinds run
 * the same stream (the same workload_checksum) over the same bytes and
 * differ only in how many TLB entries cover them (1024 times fewer with
 * 4 MiB pages): TLB reach, made visible.
 */
#ifndef HEAPLAB_VM_H
#define HEAPLAB_VM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "workloads/workload.h"

/* The vm op kinds (struct hl_op.kind), outside HL_OP_NKINDS on purpose:
 * an op buffer reader refuses them. */
enum hl_vm_op_kind {
    HL_VM_OP_TOUCH = 16,  /* write one word in page slot (hl_vm_touch_offset) */
    HL_VM_OP_MAP = 17,    /* map page slot (to the cell's frame) */
    HL_VM_OP_UNMAP = 18,  /* unmap page slot (no flush) */
    HL_VM_OP_INVLPG = 19, /* invalidate page slot's TLB entry */
    HL_VM_OP_CR3 = 20,    /* reload CR3: flush every non-global entry */
};

/* The bytes of one page index (the stream's unit, whatever the mapping). */
#define HL_VM_PAGE_BYTES ((uint64_t)4096)

/* Parameter indexes and values. */
enum { HL_VM_TOUCH_PAGES, HL_VM_TOUCH_ORDER, HL_VM_TOUCH_PASSES };
enum { HL_VM_REMAP_PAGES, HL_VM_REMAP_ROUNDS, HL_VM_REMAP_FLUSH };
#define HL_VM_ORDER_SEQ 0u
#define HL_VM_ORDER_RANDOM 1u
#define HL_VM_FLUSH_INVLPG 0u
#define HL_VM_FLUSH_CR3 1u

/* Where a TOUCH of page writes its word, from the region's start: the
 * page's own 4 KiB, at cache line (page mod 64).  Not the page's first
 * byte: 4 KiB-strided addresses all fall into one set of the L1 and a
 * few of the L2 (the set index is address bits 6 and up), so beyond 8
 * pages a touch at offset 0 would measure set conflicts, not the TLB;
 * 64 consecutive pages use 64 distinct lines of a 4 KiB set span. */
static inline uint64_t hl_vm_touch_offset(uint64_t page)
{
    return page * HL_VM_PAGE_BYTES + (page % 64u) * 64u;
}

/* Is w of the vm family? */
bool hl_wl_is_vm(const struct hl_workload *w);

/* The pages a stream of w with p addresses: every page index is below
 * it (parameter `pages` of both workloads). */
uint64_t hl_vm_pages(const struct hl_wl_params *p);

#endif /* HEAPLAB_VM_H */
