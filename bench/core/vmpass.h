/*
 * vmpass.h — the vm family's cell (workloads/vm.h): its "allocators" (the
 * mapping kinds) and its pass, shared by the host's cell child and the
 * kernel.  Freestanding.
 *
 * A vm cell is (mapping kind, vm workload, params, seed).  The mapping
 * kind is the allocator column of its rows:
 *
 *   pages-4k  the region is mapped with 4 KiB pages (kernel: PTEs of the
 *             demand-paged cell window; host: mmap + MADV_NOHUGEPAGE)
 *   pages-4m  the region is mapped with 4 MiB pages (kernel: PSE PDEs,
 *             huge frames from buddy at order 10; host: MAP_HUGETLB where
 *             huge pages are reserved, else MADV_HUGEPAGE, i.e.
 *             transparent huge pages of 2 MiB on x86-64: the host's
 *             "huge" is whatever its CPU and kernel give, and the run
 *             records which in meta.csv and cells.log)
 *
 * They are struct hl_allocator values so that every table, column and
 * planner path treats them like any allocator (family vm, so they pair
 * with vm workloads only); alloc always fails and nothing calls it.  They
 * are in no registry: the host and the kernel add them to the planner's
 * candidates.
 *
 * The pass (hl_vm_pass) runs the stream's ops over the region with the
 * environment's hooks for page-table edits:
 *
 *   WARMUP  the stream once: every page it touches is made resident (a
 *           demand fault in the kernel, a page fault on the host), the
 *           checksum computed; nothing timed
 *   BATCH   the stream (materialized ops_cap ops at a time, untimed),
 *           each chunk timed by one clock pair; repeated to min_ticks;
 *           then the floor: the same chunks through the same loop with
 *           every TOUCH on one fixed, TLB-hot word (floor_word) and no
 *           page-table edit, timed the same way.  cycles_per_op is raw
 *           minus floor per op: what reaching a page (and, for
 *           vm-remap, editing its mapping) costs beyond the loop.
 *
 * No PEROP pass: a single access is below the clock's resolution (rows
 * leave p50..max empty).
 */
#ifndef HEAPLAB_VMPASS_H
#define HEAPLAB_VMPASS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "bench/core/runner.h"
#include "workloads/vm.h"

/* The mapping kinds, NULL-terminated, and lookup by name. */
extern const struct hl_allocator *const hl_vm_kinds[];
const struct hl_allocator *hl_vm_kind_find(const char *name);
/* Is a the 4 MiB kind? */
bool hl_vm_kind_huge(const struct hl_allocator *a);

/* The environment's page-table edits (vm-remap; NULL where there are
 * none: the pass refuses a stream that needs them). */
struct hl_vm_env {
    void *ctx;
    void (*map)(void *ctx, uint64_t page);    /* map page (present, R/W) */
    void (*unmap)(void *ctx, uint64_t page);  /* clear its entry, no flush */
    void (*invlpg)(void *ctx, uint64_t page); /* flush its TLB entry */
    void (*cr3)(void *ctx);                   /* reload CR3 */
};

struct hl_vm_config {
    const struct hl_workload *w; /* a vm workload */
    struct hl_wl_params params;
    uint64_t seed;
    uint8_t *region;     /* page i at region + i * 4096 */
    size_t region_bytes; /* >= hl_vm_pages(&params) * 4096 */
    volatile uint32_t *floor_word; /* the floor's one word (not in region) */
    void *scratch;       /* w->scratch_bytes(&params), 8-aligned */
    size_t scratch_bytes;
    struct hl_op *ops;   /* the op buffer: ops_cap ops */
    size_t ops_cap;
    uint64_t timer_overhead;
    uint64_t min_ticks;  /* BATCH: the stream repeated to this (0: once) */
    const struct hl_vm_env *env;
};

/* Run one pass (HL_PASS_WARMUP or HL_PASS_BATCH) of a vm cell.  Writes:
 * WARMUP: ops, workload_checksum; BATCH: ops, raw/floor ticks,
 * stream_repeats and the per-op figures (hl_cell_set_ticks).  Returns
 * HL_OK, or HL_E_REGION when the region is too small or the stream has
 * page-table ops the environment cannot do. */
enum hl_status hl_vm_pass(const struct hl_vm_config *c, enum hl_pass pass,
                          struct hl_cell_result *r);

#endif /* HEAPLAB_VMPASS_H */
