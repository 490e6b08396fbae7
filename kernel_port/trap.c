/*
 * trap.c — IDT setup, exception names, the register dump, and the catch
 * that lets self-tests provoke a fault and carry on.
 */
#include "kernel_port/trap.h"

#include "allocators/port.h"
#include "kernel_port/console.h"
#include "kernel_port/kernel.h"
#include "kernel_port/paging.h"
#include "kernel_port/segments.h"
#include "kernel_port/x86.h"

/* An 8-byte IDT gate. */
struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr; /* P | DPL(2) | 0 | type(4) */
    uint16_t offset_hi;
};
_Static_assert(sizeof(struct idt_gate) == 8, "an IDT gate is 8 bytes");

struct idt_ptr {
    uint16_t limit;
    uint16_t base_lo;
    uint16_t base_hi;
};
_Static_assert(sizeof(struct idt_ptr) == 6, "lidt operand is 6 bytes");

/* Present, DPL 0, 32-bit interrupt gate: IF is cleared on entry, and ring 3
 * cannot raise these vectors with `int n` (it gets #GP instead). */
#define GATE_INTR32_DPL0 0x8Eu
#define IDT_ENTRIES 256u

static struct idt_gate idt[IDT_ENTRIES];

extern const uint32_t trap_stub_table[TRAP_NEXCEPTIONS]; /* trap_entry.S */
void idt_load(const struct idt_ptr *p);                   /* trap_entry.S */

static const char *const mnemonics[TRAP_NEXCEPTIONS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};
static const char *const names[TRAP_NEXCEPTIONS] = {
    "Divide Error", "Debug", "Non-maskable Interrupt", "Breakpoint", "Overflow",
    "BOUND Range Exceeded", "Invalid Opcode", "Device Not Available", "Double Fault",
    "Coprocessor Segment Overrun", "Invalid TSS", "Segment Not Present",
    "Stack-Segment Fault", "General Protection", "Page Fault", "Reserved",
    "x87 Floating-Point Error", "Alignment Check", "Machine Check",
    "SIMD Floating-Point Exception", "Virtualization Exception",
    "Control Protection Exception", "Reserved", "Reserved", "Reserved", "Reserved",
    "Reserved", "Reserved", "Hypervisor Injection Exception",
    "VMM Communication Exception", "Security Exception", "Reserved",
};

const char *trap_mnemonic(uint32_t vector)
{
    return vector < TRAP_NEXCEPTIONS ? mnemonics[vector] : "?";
}

const char *trap_name(uint32_t vector) { return vector < TRAP_NEXCEPTIONS ? names[vector] : "?"; }

void idt_init(void)
{
    hl_memset(idt, 0, sizeof idt);
    for (uint32_t v = 0; v < TRAP_NEXCEPTIONS; v++) {
        uint32_t addr = trap_stub_table[v];
        idt[v].offset_lo = (uint16_t)(addr & 0xFFFFu);
        idt[v].offset_hi = (uint16_t)(addr >> 16);
        idt[v].selector = SEG_KCODE;
        idt[v].type_attr = GATE_INTR32_DPL0;
    }
    uint32_t base = (uint32_t)(uintptr_t)idt;
    struct idt_ptr p = {
        .limit = (uint16_t)(sizeof idt - 1),
        .base_lo = (uint16_t)(base & 0xFFFFu),
        .base_hi = (uint16_t)(base >> 16),
    };
    idt_load(&p);
}

void idt_clear(void)
{
    struct idt_ptr p = {.limit = 0, .base_lo = 0, .base_hi = 0};
    idt_load(&p);
}

struct pf_decoded pf_decode(uint32_t err)
{
    struct pf_decoded d = {
        .present = (err & PF_ERR_P) != 0,
        .write = (err & PF_ERR_W) != 0,
        .user = (err & PF_ERR_U) != 0,
        .rsvd = (err & PF_ERR_RSVD) != 0,
        .ifetch = (err & PF_ERR_ID) != 0,
    };
    return d;
}

/* ---- the fatal path ------------------------------------------------------ */

static void trap_dump(const struct trap_frame *f, uintptr_t cr2)
{
    unsigned ring = f->cs & SEG_RPL_MASK;
    /* A ring-0 trap pushes no SS:ESP: the interrupted ESP is where they
     * would have been. */
    uint32_t esp = ring ? f->user_esp : (uint32_t)(uintptr_t)&f->user_esp;
    con_printf("\nEXCEPTION %s %s (vector %u) err=0x%08x eip=0x%08x cs=0x%04x ring %u\n",
               trap_mnemonic(f->vector), trap_name(f->vector), f->vector, f->err, f->eip,
               f->cs & 0xFFFFu, ring);
    con_printf("  eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", f->eax, f->ebx, f->ecx, f->edx);
    con_printf("  esi=0x%08x edi=0x%08x ebp=0x%08x esp=0x%08x\n", f->esi, f->edi, f->ebp, esp);
    con_printf("  ds=0x%04x es=0x%04x fs=0x%04x gs=0x%04x ss=0x%04x eflags=0x%08x\n",
               f->ds & 0xFFFFu, f->es & 0xFFFFu, f->fs & 0xFFFFu, f->gs & 0xFFFFu,
               ring ? f->user_ss & 0xFFFFu : (unsigned)SEG_KDATA, f->eflags);
    con_printf("  cr0=0x%08x cr2=0x%08x cr3=0x%08x cr4=0x%08x\n", x86_read_cr0(),
               (unsigned)cr2, (unsigned)x86_read_cr3(), x86_read_cr4());
    if (f->vector == TRAP_PF) {
        struct pf_decoded d = pf_decode(f->err);
        con_printf("  page fault at 0x%08x: %s, %s, %s%s%s\n", (unsigned)cr2,
                   d.present ? "protection violation" : "page not present",
                   d.write ? "write" : "read", d.user ? "user mode" : "supervisor mode",
                   d.rsvd ? ", reserved bit set" : "", d.ifetch ? ", instruction fetch" : "");
    }
    con_printf("@HL error,exception,%s,vector=%u,err=0x%x,eip=0x%08x", trap_mnemonic(f->vector),
               f->vector, f->err, f->eip);
    if (f->vector == TRAP_PF)
        con_printf(",cr2=0x%08x", (unsigned)cr2);
    con_putc('\n');
}

/* ---- catching ------------------------------------------------------------ */

static const struct kjmp *catch_resume; /* armed catch, or NULL */
static struct trap_record *catch_out;

bool trap_run_caught(void (*fn)(void *arg), void *arg, struct trap_record *out)
{
    struct kjmp resume;
    if (kjmp_set(&resume) != 0)
        return true; /* trap_dispatch disarmed the catch and filled *out */
    catch_out = out;
    catch_resume = &resume;
    fn(arg);
    catch_resume = NULL;
    catch_out = NULL;
    return false;
}

void trap_dispatch(struct trap_frame *f)
{
    /* Read CR2 first: nothing below may fault, but be certain. */
    uintptr_t cr2 = f->vector == TRAP_PF ? x86_read_cr2() : 0;
    if (f->vector == TRAP_PF && vm_page_fault(cr2, f->err))
        return; /* resolved: iret retries the instruction */
    if (catch_resume) {
        const struct kjmp *resume = catch_resume;
        struct trap_record *out = catch_out;
        catch_resume = NULL;
        catch_out = NULL;
        out->vector = f->vector;
        out->err = f->err;
        out->eip = f->eip;
        out->cs = f->cs & 0xFFFFu;
        out->cr2 = cr2;
        out->pf = pf_decode(f->vector == TRAP_PF ? f->err : 0);
        /* The frame (on the kernel stack or the TSS trap stack) is left
         * behind; the segment registers already hold kernel selectors. */
        kjmp_long(resume, 1);
    }
    trap_dump(f, cr2);
    kernel_exit(false);
}
