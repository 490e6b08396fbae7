/*
 * selftest.h — the kernel's self-tests, chosen with test=<list> on the
 * command line (QEMU -append) and run by ctest (tests/kernel.cmake).
 *
 *   boot        multiboot info, GDT/TSS, paging on, CR0.WP
 *   exceptions  #DE #BP #UD #GP raised, named, recovered; EIP exact
 *   paging      entry layout, directory/table bookkeeping, kernel map rights
 *   protect     each protection fault raised, decoded and recovered
 *   demand      demand paging maps on first touch and counts faults
 *   device      vm_map_device gives PCD|PWT entries; the VGA mirror works
 *   frames      bitmap-seed's accounting as the kernel's frame allocator
 *   kheap       the kernel heap: sizes, alignments, page tables from it
 *   huge        4 MiB pages from the huge pool beside 4 KiB ones: walk,
 *               unmap, faults, 4 MiB demand paging
 *   tlb         a remap (4 KiB, 4 MiB), a write-protect and an unmap are
 *               seen at once: fails without vm_map's / vm_unmap's invlpg
 *   cow         vm_clone: counts, copy and take, isolation both ways,
 *               ring 3, freeing
 *   all         all of the above
 *   cowbench    (never in "all") the fork-like experiment: a clone writes
 *               10/50/100 % of cow_pages=N pages (default 256); one
 *               "@HL vm,cow,..." line each
 *   kpanic      (never in "all") frames_free of a foreign address:
 *               kernel_panic, "@HL error,panic,...", status 35
 *   panic       (never in "all") an unexpected #UD: must end with the
 *               register dump and the failure status
 *   triple      (never in "all") an exception with an empty IDT: a
 *               triple fault (QEMU -no-reboot exits with status 0)
 *   hang        (never in "all") halts forever: the host's timeout
 *   model       (never in "all") known loops between the cost plugin's
 *               markers (selftest_model.h, tests/model/kernel.sh)
 *
 * Each test prints "@HL test,<name>,pass" or "@HL test,<name>,fail"
 * (after a "  FAIL ..." line per failed check).
 */
#ifndef HEAPLAB_KERNEL_SELFTEST_H
#define HEAPLAB_KERNEL_SELFTEST_H

#include <stdbool.h>

/* Run the tests named in the comma-separated list; true if every one
 * passed and every name was known.  pre: vm_init() ran. */
bool selftest_run(const char *list);

#endif /* HEAPLAB_KERNEL_SELFTEST_H */
