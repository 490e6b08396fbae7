/*
 * x86.h — the i386 instructions the kernel needs that C cannot say:
 * port I/O, control registers, TLB invalidation, cpuid, halt.
 *
 * This is the only kernel header with inline assembly; everything else
 * calls these one-line wrappers.  Registers are 32 bits on i386, so they
 * travel as uint32_t; addresses (CR2, CR3 contents) as uintptr_t.
 */
#ifndef HEAPLAB_KERNEL_X86_H
#define HEAPLAB_KERNEL_X86_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

_Static_assert(sizeof(uintptr_t) == 4, "the kernel is i386 (ILP32)");

/* CR0 bits. */
#define X86_CR0_PE ((uint32_t)1 << 0)
#define X86_CR0_WP ((uint32_t)1 << 16) /* ring 0 obeys read-only pages */
#define X86_CR0_PG ((uint32_t)1 << 31)
/* CR4 bits. */
#define X86_CR4_PSE ((uint32_t)1 << 4)   /* 4 MiB pages in a PDE (PS bit) */
#define X86_CR4_SMEP ((uint32_t)1 << 20) /* ring 0 may not fetch from user pages */
/* EFLAGS bits. */
#define X86_EFLAGS_IF ((uint32_t)1 << 9)
/* cpuid feature bits. */
#define X86_CPUID1_EDX_PSE ((uint32_t)1 << 3)
#define X86_CPUID7_EBX_SMEP ((uint32_t)1 << 7)

static inline void x86_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t x86_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void x86_outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t x86_read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void x86_write_cr0(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uintptr_t x86_read_cr2(void)
{
    uintptr_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uintptr_t x86_read_cr3(void)
{
    uintptr_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

/* pre: phys is the 4096-aligned physical address of a page directory. */
static inline void x86_write_cr3(uintptr_t phys)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(phys) : "memory");
}

static inline uint32_t x86_read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void x86_write_cr4(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Drop the TLB entry of the page holding va. */
static inline void x86_invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b,
                             uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

static inline uint32_t x86_read_eflags(void)
{
    uint32_t v;
    __asm__ volatile("pushfl; popl %0" : "=r"(v));
    return v;
}

/* Segment selectors and the task register, as loaded now. */
static inline uint16_t x86_read_cs(void)
{
    uint16_t v;
    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

static inline uint16_t x86_read_ds(void)
{
    uint16_t v;
    __asm__ volatile("mov %%ds, %0" : "=r"(v));
    return v;
}

static inline uint16_t x86_read_tr(void)
{
    uint16_t v;
    __asm__ volatile("str %0" : "=r"(v));
    return v;
}

/* Stop this CPU for good (interrupts stay off, so hlt never wakes). */
_Noreturn static inline void x86_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif /* HEAPLAB_KERNEL_X86_H */
