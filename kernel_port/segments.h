/*
 * segments.h — GDT selectors, shared by C and the assembly files (so it
 * holds #defines only).
 *
 *   index  selector  descriptor
 *   0      0x00      null
 *   1      0x08      kernel code  ring 0, flat 4 GiB, execute/read
 *   2      0x10      kernel data  ring 0, flat 4 GiB, read/write
 *   3      0x1B      user code    ring 3 (selector 0x18 | RPL 3)
 *   4      0x23      user data    ring 3 (selector 0x20 | RPL 3)
 *   5      0x28      TSS          32-bit available TSS: SS0:ESP0 for
 *                                 ring 3 -> ring 0 transitions
 *
 * All segments are flat: protection comes from paging alone.
 */
#ifndef HEAPLAB_KERNEL_SEGMENTS_H
#define HEAPLAB_KERNEL_SEGMENTS_H

#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UCODE 0x1B
#define SEG_UDATA 0x23
#define SEG_TSS 0x28
#define SEG_RPL_MASK 0x3
#define GDT_ENTRIES 6

#endif /* HEAPLAB_KERNEL_SEGMENTS_H */
