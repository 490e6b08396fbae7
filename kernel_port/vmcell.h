/*
 * vmcell.h — the kernel's vm cell (bench/core/vmpass.h): the cell window
 * mapped with 4 KiB pages or 4 MiB PSE pages, vm-touch's accesses and
 * vm-remap's PTE edits with invlpg or a CR3 reload, rows in the line
 * protocol.  bench.c hands every cell of the vm family here.
 */
#ifndef HEAPLAB_KERNEL_VMCELL_H
#define HEAPLAB_KERNEL_VMCELL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "workloads/workload.h"

struct kb_vm_cell {
    unsigned index;               /* the cell's index in the plan */
    const struct hl_allocator *a; /* a mapping kind */
    const struct hl_workload *w;  /* a vm workload */
    const struct hl_wl_params *params;
    const char *sweep;            /* "" or the swept parameter */
    const char *run_id, *accel, *clock;
    uint64_t seed;
    uint32_t reps;
    size_t region_bytes;          /* the cell window's size (region_mib=) */
};

/* Run the cell: "@HL begin", a cells row per rep, "@HL end".  false if
 * it could not run (the end line says why). */
bool kb_vm_cell_run(const struct kb_vm_cell *c);

#endif /* HEAPLAB_KERNEL_VMCELL_H */
