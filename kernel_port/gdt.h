/*
 * gdt.h — segments and the task state segment (selectors in segments.h).
 *
 * The TSS is used for one thing only: when an interrupt or exception
 * arrives in ring 3, the CPU loads SS0:ESP0 from it and pushes the trap
 * frame there.  ESP0 is a dedicated trap stack (never the stack the kernel
 * runs on), so a trap handler may abandon that frame and jump back to a
 * recovery point on the kernel stack (trap.h, kjmp).
 */
#ifndef HEAPLAB_KERNEL_GDT_H
#define HEAPLAB_KERNEL_GDT_H

#include <stdint.h>

#include "kernel_port/segments.h"

/* Install the GDT, reload every segment register, load the TSS. */
void gdt_init(void);

/* Enter ring 3 at eip with stack esp and EAX = arg, interrupts off.
 * Never returns: the only way back is a trap (trap.h).  pre: eip and the
 * page below esp are mapped user-accessible.  (trap_entry.S) */
_Noreturn void user_enter(uintptr_t eip, uintptr_t esp, uint32_t arg);

#endif /* HEAPLAB_KERNEL_GDT_H */
