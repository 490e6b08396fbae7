/*
 * trap.h — the IDT, the 32 CPU exceptions, and recovering from them.
 *
 * Every exception enters through a stub in trap_entry.S that builds a
 * struct trap_frame on the stack and calls trap_dispatch():
 *   1. a page fault goes to vm_page_fault() first; if that resolves it
 *      (a demand-paged page was mapped) the instruction is retried;
 *   2. if a catch is armed (trap_run_caught), the exception is recorded
 *      and control jumps back to the catch point (kjmp) — the faulting
 *      code is abandoned, in ring 0 or ring 3 alike;
 *   3. otherwise the exception is fatal: name, EIP, error code, every
 *      register and, for #PF, the decoded error code go to the console,
 *      then the kernel ends QEMU with the failure status.
 * Interrupts stay disabled for the kernel's whole life (the PIC is never
 * unmasked through IF), so vectors 32..255 are not installed.
 */
#ifndef HEAPLAB_KERNEL_TRAP_H
#define HEAPLAB_KERNEL_TRAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define TRAP_DE 0u
#define TRAP_BP 3u
#define TRAP_UD 6u
#define TRAP_DF 8u
#define TRAP_GP 13u
#define TRAP_PF 14u
#define TRAP_NEXCEPTIONS 32u

/* What trap_common (trap_entry.S) pushes, lowest address first.  Register
 * images are uint32_t: they are the CPU's 32-bit registers, whatever they
 * hold.  user_esp/user_ss exist only for traps from ring 3. */
struct trap_frame {
    uint32_t gs, fs, es, ds;                         /* pushed by trap_common */
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax; /* pusha */
    uint32_t vector, err;                            /* stub (err 0 if the CPU pushes none) */
    uint32_t eip, cs, eflags;                        /* CPU */
    uint32_t user_esp, user_ss;                      /* CPU, ring 3 -> 0 only */
};
_Static_assert(offsetof(struct trap_frame, edi) == 16, "trap frame matches trap_entry.S");
_Static_assert(offsetof(struct trap_frame, vector) == 48, "trap frame matches trap_entry.S");
_Static_assert(offsetof(struct trap_frame, eip) == 56, "trap frame matches trap_entry.S");
_Static_assert(sizeof(struct trap_frame) == 76, "trap frame matches trap_entry.S");

/* The page-fault error code, decoded (Intel SDM vol. 3, 4.7):
 *   bit 0 P     0: the page was not present; 1: a protection violation
 *               on a present page (the seed's decode inverted this)
 *   bit 1 W/R   the access was a write
 *   bit 2 U/S   the access came from ring 3
 *   bit 3 RSVD  a reserved bit was set in a paging-structure entry
 *   bit 4 I/D   the access was an instruction fetch (reported only when
 *               CR4.SMEP = 1 or NX paging is on; else always 0) */
struct pf_decoded {
    bool present, write, user, rsvd, ifetch;
};
#define PF_ERR_P 0x01u
#define PF_ERR_W 0x02u
#define PF_ERR_U 0x04u
#define PF_ERR_RSVD 0x08u
#define PF_ERR_ID 0x10u

struct pf_decoded pf_decode(uint32_t err);

/* A recovery point: the callee-saved registers, ESP and EIP of a
 * kjmp_set call.  (trap_entry.S; like setjmp/longjmp, kernel-only.) */
struct kjmp {
    uint32_t ebx, esi, edi, ebp, esp, eip;
};
_Static_assert(sizeof(struct kjmp) == 24, "kjmp matches trap_entry.S");

/* Save a recovery point; returns 0, and again `val` (never 0) when
 * kjmp_long jumps back to it.  pre for kjmp_long: the function that
 * called kjmp_set has not returned. */
__attribute__((returns_twice)) int kjmp_set(struct kjmp *j);
_Noreturn void kjmp_long(const struct kjmp *j, int val);

/* One caught exception. */
struct trap_record {
    uint32_t vector, err;
    uint32_t eip, cs;        /* where it happened; ring = cs & 3 */
    uintptr_t cr2;           /* #PF: the faulting linear address */
    struct pf_decoded pf;    /* #PF: err decoded */
};

/* Install the IDT with the 32 exception gates (ring-0 interrupt gates). */
void idt_init(void);
/* Load an empty IDT (limit 0): the next exception cannot be delivered,
 * which is a triple fault.  For the self-test "triple" only. */
void idt_clear(void);

/* "#PF", "Page Fault", ... for vector < 32; "?" otherwise. */
const char *trap_mnemonic(uint32_t vector);
const char *trap_name(uint32_t vector);

/* Run fn(arg) with a catch armed: if an exception that paging does not
 * resolve arrives (in ring 0 or in ring 3 code fn entered), fill *out and
 * return true; if fn returns normally, return false.  Not nested. */
bool trap_run_caught(void (*fn)(void *arg), void *arg, struct trap_record *out);

/* Called by trap_entry.S only. */
void trap_dispatch(struct trap_frame *f);

#endif /* HEAPLAB_KERNEL_TRAP_H */
