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
 *   all         all of the above
 *   panic       (never in "all") an unexpected #UD: must end with the
 *               register dump and the failure status
 *   triple      (never in "all") an exception with an empty IDT: a
 *               triple fault (QEMU -no-reboot exits with status 0)
 *   hang        (never in "all") halts forever: the host's timeout
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
