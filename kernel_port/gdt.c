/*
 * gdt.c — a flat GDT (ring 0 and ring 3 code and data) and one TSS.
 */
#include "kernel_port/gdt.h"

#include <stdalign.h>
#include <stddef.h>

#include "allocators/port.h"

/* An 8-byte segment descriptor, as the CPU reads it:
 *   limit[15:0] base[15:0] base[23:16] access flags|limit[19:16] base[31:24] */
struct gdt_desc {
    uint16_t limit_lo;
    uint16_t base_lo;
    uint8_t base_mid;
    uint8_t access;       /* P | DPL(2) | S | type(4) */
    uint8_t flags_limit;  /* G | D/B | L | AVL | limit[19:16] */
    uint8_t base_hi;
};
_Static_assert(sizeof(struct gdt_desc) == 8, "a GDT descriptor is 8 bytes");

/* The 32-bit TSS; only ss0/esp0 and iomap_base matter here. */
struct tss32 {
    uint32_t prev_task;
    uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
};
_Static_assert(sizeof(struct tss32) == 104, "the 32-bit TSS is 104 bytes");
_Static_assert(offsetof(struct tss32, esp0) == 4, "TSS layout");
_Static_assert(offsetof(struct tss32, iomap_base) == 102, "TSS layout");

/* lgdt's operand: 16-bit limit then 32-bit base, unaligned. */
struct gdt_ptr {
    uint16_t limit;
    uint16_t base_lo;
    uint16_t base_hi;
};
_Static_assert(sizeof(struct gdt_ptr) == 6, "lgdt operand is 6 bytes");

#define ACC_PRESENT 0x80u
#define ACC_DPL3 0x60u
#define ACC_CODE_DATA 0x10u /* S: code or data, not a system descriptor */
#define ACC_EXEC_READ 0x0Au
#define ACC_READ_WRITE 0x02u
#define ACC_TSS32_AVAIL 0x09u
#define FLAGS_4K_32BIT 0xC0u /* G: 4 KiB granularity; D: 32-bit */

#define TRAP_STACK_BYTES 16384u

static struct gdt_desc gdt[GDT_ENTRIES];
static struct tss32 tss;
static alignas(16) uint8_t trap_stack[TRAP_STACK_BYTES];

void gdt_load(const struct gdt_ptr *p); /* trap_entry.S */
void tss_load(uint16_t selector);      /* trap_entry.S */

static struct gdt_desc gdt_make(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    struct gdt_desc d = {
        .limit_lo = (uint16_t)(limit & 0xFFFFu),
        .base_lo = (uint16_t)(base & 0xFFFFu),
        .base_mid = (uint8_t)((base >> 16) & 0xFFu),
        .access = access,
        .flags_limit = (uint8_t)(flags | ((limit >> 16) & 0x0Fu)),
        .base_hi = (uint8_t)(base >> 24),
    };
    return d;
}

void gdt_init(void)
{
    const uint32_t flat_limit = 0xFFFFFu; /* 2^20 pages of 4 KiB: 4 GiB */
    gdt[0] = gdt_make(0, 0, 0, 0);
    gdt[SEG_KCODE >> 3] = gdt_make(0, flat_limit, ACC_PRESENT | ACC_CODE_DATA | ACC_EXEC_READ,
                                   FLAGS_4K_32BIT);
    gdt[SEG_KDATA >> 3] = gdt_make(0, flat_limit, ACC_PRESENT | ACC_CODE_DATA | ACC_READ_WRITE,
                                   FLAGS_4K_32BIT);
    gdt[SEG_UCODE >> 3] = gdt_make(0, flat_limit,
                                   ACC_PRESENT | ACC_DPL3 | ACC_CODE_DATA | ACC_EXEC_READ,
                                   FLAGS_4K_32BIT);
    gdt[SEG_UDATA >> 3] = gdt_make(0, flat_limit,
                                   ACC_PRESENT | ACC_DPL3 | ACC_CODE_DATA | ACC_READ_WRITE,
                                   FLAGS_4K_32BIT);

    hl_memset(&tss, 0, sizeof tss);
    tss.ss0 = SEG_KDATA;
    tss.esp0 = (uint32_t)(uintptr_t)(trap_stack + sizeof trap_stack);
    /* No I/O permission bitmap: the offset points past the TSS limit, so
     * ring 3 gets #GP on every in/out. */
    tss.iomap_base = (uint16_t)sizeof tss;
    gdt[SEG_TSS >> 3] = gdt_make((uint32_t)(uintptr_t)&tss, (uint32_t)sizeof tss - 1,
                                 ACC_PRESENT | ACC_TSS32_AVAIL, 0);

    uint32_t base = (uint32_t)(uintptr_t)gdt;
    struct gdt_ptr p = {
        .limit = (uint16_t)(sizeof gdt - 1),
        .base_lo = (uint16_t)(base & 0xFFFFu),
        .base_hi = (uint16_t)(base >> 16),
    };
    gdt_load(&p);
    tss_load(SEG_TSS);
}
