/*
 * vmcell.h — the host's vm cell (bench/core/vmpass.h): the region mapped
 * with 4 KiB or huge pages, the pass run, rows written to stdout in the
 * cell protocol (cell.h).  cmd_cell hands a cell of the vm family here.
 */
#ifndef HEAPLAB_VMCELL_H
#define HEAPLAB_VMCELL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "workloads/workload.h"

struct vm_cell_args {
    const struct hl_allocator *a; /* a mapping kind */
    const struct hl_workload *w;  /* a vm workload the host can run */
    struct hl_wl_params params;
    const char *params_text, *run_id, *sweep;
    uint64_t seed, min_ticks;
    uint32_t reps, launch;
};

/* Run the cell (timer calibrated by the caller: overhead); returns the
 * exit status of `heaplab --cell`. */
int vm_cell_run(const struct vm_cell_args *a, uint64_t timer_overhead);

/* How this host gives huge pages to a pages-4m cell, one line for
 * meta.csv and cells.log:
 *   "hugetlb (nr_hugepages=N, Hugepagesize=K kB)"   reserved pages: MAP_HUGETLB
 *   "thp (transparent_hugepage/enabled: ...)"       else madvise(MADV_HUGEPAGE)
 *   "none (...)"                                    THP off too: the cell
 *                                                   runs on 4 KiB pages and
 *                                                   its rows say failed
 * *hugetlb: whether MAP_HUGETLB is the way (may be NULL). */
const char *vm_host_huge_mechanism(char *buf, size_t cap, bool *hugetlb, bool *none);

#endif /* HEAPLAB_VMCELL_H */
