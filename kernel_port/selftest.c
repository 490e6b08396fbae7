/*
 * selftest.c — the kernel's self-tests (selftest.h).  Each provokes the
 * behaviour it names and checks it from inside; the fault cases also
 * print one "@HL fault,..." line each, which the ctest scripts check from
 * outside as well.
 */
#include "kernel_port/selftest.h"

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_seed.h"
#include "allocators/port.h"
#include "allocators/util.h"
#include "bench/core/clock.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/gdt.h"
#include "kernel_port/kernel.h"
#include "kernel_port/kheap.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/paging.h"
#include "kernel_port/segments.h"
#include "kernel_port/selftest_model.h"
#include "kernel_port/trap.h"
#include "kernel_port/x86.h"

/* selftest_asm.S */
void trigger_de(void), trigger_bp(void), trigger_ud(void), trigger_gp(void);
uint32_t trigger_read(uintptr_t addr);
void trigger_write(uintptr_t addr);
void trigger_call(uintptr_t addr);
extern char trigger_de_insn[], trigger_bp_after[], trigger_ud_insn[], trigger_gp_insn[];
extern char trigger_read_insn[], trigger_write_insn[];
/* trap_entry.S, in .user_text */
extern char user_stub_read[], user_stub_write[], user_stub_ret[];

/* ---- checking ---------------------------------------------------------------- */

static const char *current;
static unsigned failures;

static void check_failed(int line, const char *expr)
{
    con_printf("  FAIL %s: %s (kernel_port/selftest.c:%d)\n", current, expr, line);
    failures++;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_failed(__LINE__, #cond);                                                         \
    } while (0)

static uintptr_t addr_of(const volatile void *p) { return (uintptr_t)p; }

/* ---- running code that faults -------------------------------------------------- */

struct call {
    void (*fn0)(void);
    void (*fn1)(uintptr_t);
    uintptr_t arg;
    /* ring 3 */
    uintptr_t user_eip, user_esp;
};

static void call_thunk(void *p)
{
    const struct call *c = p;
    if (c->user_eip)
        user_enter(c->user_eip, c->user_esp, (uint32_t)c->arg);
    else if (c->fn1)
        c->fn1(c->arg);
    else
        c->fn0();
}

static void read_thunk(uintptr_t a) { (void)trigger_read(a); }

/* Run and print the fault line; returns whether it trapped. */
static bool run(const char *name, const struct call *c, struct trap_record *r)
{
    hl_memset(r, 0, sizeof *r);
    bool trapped = trap_run_caught(call_thunk, (void *)c, r);
    if (!trapped) {
        con_printf("@HL fault,%s,none\n", name);
        return false;
    }
    con_printf("@HL fault,%s,%s,err=0x%x,p=%u,w=%u,u=%u,rsvd=%u,id=%u,ring=%u,cr2=0x%08x\n", name,
               trap_mnemonic(r->vector), r->err, r->pf.present, r->pf.write, r->pf.user,
               r->pf.rsvd, r->pf.ifetch, r->cs & SEG_RPL_MASK, (unsigned)r->cr2);
    return true;
}

static bool kernel_read(const char *name, uintptr_t addr, struct trap_record *r)
{
    struct call c = {.fn1 = read_thunk, .arg = addr};
    return run(name, &c, r);
}

static bool kernel_write(const char *name, uintptr_t addr, struct trap_record *r)
{
    struct call c = {.fn1 = trigger_write, .arg = addr};
    return run(name, &c, r);
}

static bool kernel_call(const char *name, uintptr_t addr, struct trap_record *r)
{
    struct call c = {.fn1 = trigger_call, .arg = addr};
    return run(name, &c, r);
}

static uintptr_t user_va(const char *stub)
{
    return VM_USER_CODE_VA + (uintptr_t)(stub - user_text_start);
}

/* Ring 3 runs stub with EAX = addr, on the user stack. */
static bool user_run(const char *name, const char *stub, uintptr_t addr, struct trap_record *r)
{
    struct call c = {.user_eip = user_va(stub), .user_esp = VM_USER_STACK_TOP_VA, .arg = addr};
    return run(name, &c, r);
}

/* A #PF with exactly these decoded bits, at cr2, from ring `ring`. */
static bool is_pf(const struct trap_record *r, bool p, bool w, bool u, bool rsvd, bool id,
                  uintptr_t cr2)
{
    return r->vector == TRAP_PF && r->pf.present == p && r->pf.write == w && r->pf.user == u &&
           r->pf.rsvd == rsvd && r->pf.ifetch == id && r->cr2 == cr2 &&
           (r->cs & SEG_RPL_MASK) == (u ? 3u : 0u);
}

/* ---- fixtures ------------------------------------------------------------------- */

static bool user_ready;
static uintptr_t user_data_pa;

/* A user stack page and a user data page (both U, RW). */
static bool user_setup(void)
{
    if (user_ready)
        return true;
    uintptr_t stack_pa;
    if (!frames_alloc(&stack_pa) || !frames_alloc(&user_data_pa))
        return false;
    if (!vm_map(vm_kernel(), VM_USER_STACK_TOP_VA - VM_PAGE_BYTES, stack_pa,
                VM_USER | VM_WRITE | VM_OWNED) ||
        !vm_map(vm_kernel(), VM_USER_DATA_VA, user_data_pa, VM_USER | VM_WRITE | VM_OWNED))
        return false;
    user_ready = true;
    return true;
}

static size_t frames_used(void)
{
    struct hl_stats st;
    bmp_seed_stats(frames_allocator(), &st);
    return (st.held_bytes - st.meta_bytes) / HL_FRAME_BYTES;
}

/* Kernel data the user stubs try to touch. */
static volatile uint32_t kernel_word = 0x11223344u;
/* Read-only kernel data: in .rodata (GCC puts a `const volatile` object
 * in .data, so it is plain const and read through a volatile pointer). */
static const uint32_t ro_word = 0xC0FFEE00u;
#define RO_WORD_NOW (*(const volatile uint32_t *)&ro_word)

/* ---- boot ------------------------------------------------------------------------ */

static void test_boot(void)
{
    unsigned avail = 0;
    for (unsigned i = 0; i < kboot.nranges; i++)
        avail += kboot.ranges[i].type == MB_MMAP_AVAILABLE;
    CHECK(avail >= 1);
    CHECK(!kboot.ranges_truncated);
    char v[64];
    CHECK(kcmd_get("test", v, sizeof v));
    CHECK(!kcmd_get("no-such-key", v, sizeof v));
    CHECK(kcmd_list_has("a,boot,c", "boot") && !kcmd_list_has("a,booting", "boot"));
    CHECK(x86_read_cs() == SEG_KCODE);
    CHECK(x86_read_ds() == SEG_KDATA);
    CHECK(x86_read_tr() == SEG_TSS);
    uint32_t cr0 = x86_read_cr0();
    CHECK(cr0 & X86_CR0_PE);
    CHECK(cr0 & X86_CR0_PG);
    CHECK(cr0 & X86_CR0_WP);
    CHECK(x86_read_cr3() == vm_kernel()->dir_phys);
    CHECK((x86_read_eflags() & X86_EFLAGS_IF) == 0);
    CHECK(HL_IS_ALIGNED((uintptr_t)kernel_ro_end, VM_PAGE_BYTES));
    CHECK(HL_IS_ALIGNED((uintptr_t)kernel_image_end, VM_PAGE_BYTES));
    /* The multiboot header lies in the image's first 8 KiB of memory
     * (the ctest script checks the file offset). */
    const uint32_t *hdr = (const uint32_t *)(uintptr_t)kernel_image_start;
    CHECK(hdr[0] == MB_HEADER_MAGIC && hdr[0] + hdr[1] + hdr[2] == 0);
}

/* ---- exceptions ---------------------------------------------------------------------- */

static void test_exceptions(void)
{
    struct trap_record r;
    struct call de = {.fn0 = trigger_de}, bp = {.fn0 = trigger_bp}, ud = {.fn0 = trigger_ud},
                gp = {.fn0 = trigger_gp};
    CHECK(run("divide", &de, &r) && r.vector == TRAP_DE && r.eip == addr_of(trigger_de_insn) &&
          r.err == 0 && r.cs == SEG_KCODE);
    CHECK(run("breakpoint", &bp, &r) && r.vector == TRAP_BP &&
          r.eip == addr_of(trigger_bp_after));
    CHECK(run("invalid-opcode", &ud, &r) && r.vector == TRAP_UD &&
          r.eip == addr_of(trigger_ud_insn));
    CHECK(run("general-protection", &gp, &r) && r.vector == TRAP_GP &&
          r.eip == addr_of(trigger_gp_insn) && r.err == 0x30);
    CHECK(x86_read_ds() == SEG_KDATA);
    /* A call with no fault returns normally. */
    struct call ok = {.fn1 = read_thunk, .arg = addr_of(&kernel_word)};
    CHECK(!trap_run_caught(call_thunk, &ok, &r));
    for (uint32_t v = 0; v < TRAP_NEXCEPTIONS; v++)
        CHECK(trap_mnemonic(v)[0] != '?' && trap_name(v)[0] != '?');
    CHECK(trap_mnemonic(TRAP_NEXCEPTIONS)[0] == '?');
}

/* ---- paging -------------------------------------------------------------------------- */

static void test_paging(void)
{
    struct vm_space *vm = vm_kernel();
    CHECK(vm_layout_check() == 0);
    /* Directory <-> shadow consistency. */
    unsigned bad = 0, tables = 0;
    for (unsigned i = 0; i < VM_ENTRIES; i++) {
        struct pde d = vm->dir->entries[i];
        if ((vm->tables[i] != NULL) != (d.present && !d.ps))
            bad++;
        if (d.present && !d.ps) {
            tables++;
            if (((uintptr_t)d.table << VM_PTE_FRAME_SHIFT) != (uintptr_t)vm->tables[i])
                bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(tables + 1 == vm->table_frames);
    /* Null page unmapped. */
    struct pte *e = vm_pte(vm, 0);
    CHECK(!e || !e->present);
    /* Kernel text: present, read-only, supervisor. */
    e = vm_pte(vm, addr_of(kernel_image_start));
    CHECK(e && e->present && !e->rw && !e->user && !e->pcd);
    e = vm_pte(vm, addr_of(&ro_word));
    CHECK(e && e->present && !e->rw && !e->user);
    /* Kernel data: read/write, supervisor. */
    e = vm_pte(vm, addr_of(&kernel_word));
    CHECK(e && e->present && e->rw && !e->user);
    /* The user alias of .user_text: user, read-only, same frame. */
    uintptr_t pa1 = 0, pa2 = 0;
    e = vm_pte(vm, VM_USER_CODE_VA);
    CHECK(e && e->present && e->user && !e->rw);
    CHECK(vm_translate(vm, VM_USER_CODE_VA, &pa1) && vm_translate(vm, addr_of(user_text_start), &pa2) &&
          pa1 == pa2 && pa2 == addr_of(user_text_start));
    /* Identity: every managed frame translates to itself. */
    uintptr_t probe = frames_top() - VM_PAGE_BYTES + 8, pa = 0;
    CHECK(vm_translate(vm, probe, &pa) && pa == probe);
    /* Map, translate, unmap a scratch page; the table frame count grows by
     * one for a new 4 MiB region only. */
    uintptr_t frame;
    CHECK(frames_alloc(&frame));
    size_t before = vm->table_frames;
    uintptr_t va = VM_SCRATCH_BASE + 5 * VM_PDE_SPAN_BYTES;
    CHECK(vm_map(vm, va, frame, VM_WRITE | VM_OWNED));
    CHECK(vm->table_frames == before + 1);
    CHECK(vm_map(vm, va + VM_PAGE_BYTES, frame, VM_WRITE));
    CHECK(vm->table_frames == before + 1);
    *(volatile uint32_t *)(va + 4) = 0xBEEF;
    CHECK(*(volatile uint32_t *)(va + VM_PAGE_BYTES + 4) == 0xBEEF); /* same frame, two pages */
    CHECK(vm_translate(vm, va + 12, &pa) && pa == frame + 12);
    e = vm_pte(vm, va);
    CHECK(e && e->accessed && e->dirty); /* set by the CPU */
    size_t used = frames_used();
    CHECK(vm_unmap(vm, va + VM_PAGE_BYTES)); /* not owned: frame stays */
    CHECK(frames_used() == used);
    CHECK(vm_unmap(vm, va)); /* owned: frame freed */
    CHECK(frames_used() == used - 1);
    CHECK(!vm_unmap(vm, va));
    CHECK(!vm_translate(vm, va, &pa));
}

/* ---- protection -------------------------------------------------------------------- */

static void test_protect(void)
{
    struct vm_space *vm = vm_kernel();
    struct trap_record r;
    CHECK(user_setup());

    /* Ring 0 writes to read-only kernel pages: CR0.WP makes them fault. */
    CHECK(kernel_write("ro-write-rodata", addr_of(&ro_word), &r) &&
          is_pf(&r, 1, 1, 0, 0, 0, addr_of(&ro_word)) && r.eip == addr_of(trigger_write_insn));
    CHECK(RO_WORD_NOW == 0xC0FFEE00u);
    CHECK(kernel_write("ro-write-text", addr_of(trigger_de), &r) &&
          is_pf(&r, 1, 1, 0, 0, 0, addr_of(trigger_de)));

    /* The same write with CR0.WP clear goes through (why WP matters). */
    uintptr_t frame, ro_va = VM_SCRATCH_BASE;
    CHECK(frames_alloc(&frame) && vm_map(vm, ro_va, frame, VM_OWNED));
    uint32_t cr0 = x86_read_cr0();
    x86_write_cr0(cr0 & ~X86_CR0_WP);
    bool wp_off_trapped = kernel_write("ro-write-wp-off", ro_va, &r);
    x86_write_cr0(cr0);
    CHECK(!wp_off_trapped && *(volatile uint32_t *)ro_va == 0xA5A5A5A5u);
    CHECK(kernel_write("ro-write-wp-on", ro_va, &r) && is_pf(&r, 1, 1, 0, 0, 0, ro_va));
    CHECK(vm_unmap(vm, ro_va));

    /* Ring 0 touches unmapped pages. */
    uintptr_t hole = VM_SCRATCH_BASE + 0x10000;
    CHECK(kernel_read("unmapped-read", hole + 4, &r) && is_pf(&r, 0, 0, 0, 0, 0, hole + 4) &&
          r.eip == addr_of(trigger_read_insn));
    CHECK(kernel_write("unmapped-write", hole, &r) && is_pf(&r, 0, 1, 0, 0, 0, hole));
    CHECK(kernel_read("null-read", 0, &r) && is_pf(&r, 0, 0, 0, 0, 0, 0));

    /* Ring 3: a user page works; supervisor pages fault. */
    *(volatile uint32_t *)VM_USER_DATA_VA = 7;
    CHECK(user_run("user-read-user", user_stub_read, VM_USER_DATA_VA, &r) &&
          r.vector == TRAP_UD && (r.cs & SEG_RPL_MASK) == 3 &&
          r.eip == user_va(user_stub_read) + 2); /* the ud2 after the read */
    CHECK(user_run("user-write-user", user_stub_write, VM_USER_DATA_VA, &r) &&
          r.vector == TRAP_UD && (r.cs & SEG_RPL_MASK) == 3);
    CHECK(*(volatile uint32_t *)VM_USER_DATA_VA == 0x5A5A5A5Au);
    CHECK(user_run("user-read-kernel", user_stub_read, addr_of(&kernel_word), &r) &&
          is_pf(&r, 1, 0, 1, 0, 0, addr_of(&kernel_word)) && r.eip == user_va(user_stub_read));
    CHECK(user_run("user-write-kernel", user_stub_write, addr_of(&kernel_word), &r) &&
          is_pf(&r, 1, 1, 1, 0, 0, addr_of(&kernel_word)) && r.eip == user_va(user_stub_write));
    CHECK(kernel_word == 0x11223344u);
    CHECK(user_run("user-write-user-ro", user_stub_write, VM_USER_CODE_VA, &r) &&
          is_pf(&r, 1, 1, 1, 0, 0, VM_USER_CODE_VA));
    CHECK(user_run("user-read-unmapped", user_stub_read, hole, &r) &&
          is_pf(&r, 0, 0, 1, 0, 0, hole));
    /* The kernel runs on after every ring-3 fault, on its own stack. */
    CHECK(x86_read_ds() == SEG_KDATA);

    /* RSVD: a 4 MiB PDE (PS = 1) with reserved bit 21 set. */
    if (vm_has_pse()) {
        uintptr_t va = VM_SCRATCH_BASE + 8 * VM_PDE_SPAN_BYTES;
        unsigned i = (unsigned)(va / VM_PDE_SPAN_BYTES);
        struct pde saved = vm->dir->entries[i], big = {0};
        CHECK(!saved.present);
        big.present = 1;
        big.rw = 1;
        big.ps = 1;
        big.table = 1u << (21 - VM_PTE_FRAME_SHIFT); /* bit 21: reserved in a 4 MiB PDE */
        vm->dir->entries[i] = big;
        x86_invlpg(va);
        /* Intel CPUs report P = 1 with RSVD (every entry was present);
         * QEMU's TCG reports P = 0.  Both are accepted; RSVD must be set. */
        CHECK(kernel_read("reserved-bit", va, &r) &&
              (is_pf(&r, 1, 0, 0, 1, 0, va) || is_pf(&r, 0, 0, 0, 1, 0, va)));
        vm->dir->entries[i] = saved;
        x86_invlpg(va);
    } else {
        con_printf("@HL skip,protect,reserved-bit,no PSE\n");
    }

    /* I/D: instruction fetches.  The CPU reports I/D only with SMEP (or NX
     * paging, which 32-bit paging lacks). */
    if (vm_has_smep()) {
        CHECK(kernel_call("fetch-unmapped", hole, &r) && is_pf(&r, 0, 0, 0, 0, 1, hole) &&
              r.eip == hole);
        CHECK(kernel_call("fetch-user-smep", user_va(user_stub_ret), &r) &&
              is_pf(&r, 1, 0, 0, 0, 1, user_va(user_stub_ret)));
    } else {
        CHECK(kernel_call("fetch-unmapped", hole, &r) && is_pf(&r, 0, 0, 0, 0, 0, hole));
        con_printf("@HL skip,protect,fetch-user-smep,no SMEP\n");
    }
}

/* ---- demand paging ----------------------------------------------------------------- */

#define DEMAND_PAGES 16u

static void test_demand(void)
{
    const uintptr_t base = VM_DEMAND_BASE;
    struct trap_record r;
    CHECK(user_setup()); /* before counting frames: it takes two */
    CHECK(vm_demand_add(base, DEMAND_PAGES, VM_WRITE));
    CHECK(!vm_demand_add(base + VM_PAGE_BYTES, 1, VM_WRITE)); /* overlaps */
    CHECK(!vm_demand_add(0x2000, 1, VM_WRITE));               /* identity region */
    size_t used0 = frames_used();
    uint64_t faults0 = vm_demand_faults();

    /* First touch: one fault per page, a fresh zeroed frame each. */
    for (unsigned i = 0; i < DEMAND_PAGES; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(base + i * VM_PAGE_BYTES);
        CHECK(p[100] == 0);
        p[0] = 0xD0000000u + i;
        p[1023] = ~(0xD0000000u + i);
    }
    CHECK(vm_demand_faults() - faults0 == DEMAND_PAGES);
    CHECK(frames_used() - used0 == DEMAND_PAGES);
    /* Second touch: contents survive, no more faults. */
    for (unsigned i = 0; i < DEMAND_PAGES; i++) {
        volatile uint32_t *p = (volatile uint32_t *)(base + i * VM_PAGE_BYTES);
        CHECK(p[0] == 0xD0000000u + i && p[1023] == ~(0xD0000000u + i));
        p[512] = i;
    }
    CHECK(vm_demand_faults() - faults0 == DEMAND_PAGES);
    con_printf("@HL meta,demand_faults,%llu\n", vm_demand_faults() - faults0);

    /* Just past the range: an ordinary, unresolved fault. */
    uintptr_t past = base + DEMAND_PAGES * VM_PAGE_BYTES;
    CHECK(kernel_read("demand-past-end", past, &r) && is_pf(&r, 0, 0, 0, 0, 0, past));
    /* A read-only demand range: a read maps, a write is a protection fault
     * that demand paging must not "resolve". */
    uintptr_t ro = base + 0x100000;
    CHECK(vm_demand_add(ro, 1, 0));
    uint64_t f1 = vm_demand_faults();
    CHECK(trigger_read(ro) == 0 && vm_demand_faults() == f1 + 1);
    CHECK(kernel_write("demand-ro-write", ro, &r) && is_pf(&r, 1, 1, 0, 0, 0, ro));
    CHECK(vm_demand_faults() == f1 + 1);
    /* Ring 3 may not fault in a supervisor demand range. */
    uintptr_t sv = base + 0x200000;
    CHECK(vm_demand_add(sv, 1, VM_WRITE));
    uint64_t f2 = vm_demand_faults();
    CHECK(user_run("demand-user-denied", user_stub_read, sv, &r) && is_pf(&r, 0, 0, 1, 0, 0, sv));
    CHECK(vm_demand_faults() == f2);
    CHECK(vm_demand_release(sv) == 0);
    CHECK(vm_demand_release(ro) == 1);

    /* Release: every frame comes back. */
    CHECK(vm_demand_release(base) == DEMAND_PAGES);
    CHECK(frames_used() == used0);
    CHECK(vm_demand_release(base) == 0);
    CHECK(kernel_read("demand-released", base, &r) && is_pf(&r, 0, 0, 0, 0, 0, base));
}

/* ---- device mapping ---------------------------------------------------------------- */

static void test_device(void)
{
    struct vm_space *vm = vm_kernel();
    /* The VGA identity page does not exist: 0xB8000 is not RAM. */
    struct pte *e = vm_pte(vm, VGA_TEXT_PHYS);
    CHECK(!e || !e->present);
    /* The console's VGA mapping (made at boot): first page of the window. */
    e = vm_pte(vm, VM_DEVICE_BASE);
    CHECK(e && e->present && e->pcd && e->pwt && e->rw && !e->user && !e->owned);
    uintptr_t pa = 0;
    CHECK(vm_translate(vm, VM_DEVICE_BASE, &pa) && pa == VGA_TEXT_PHYS);
    /* An unaligned device range keeps its offset and spans two pages. */
    volatile uint8_t *p = vm_map_device(VGA_TEXT_PHYS + 0xFF0, 0x20);
    CHECK(p != NULL && addr_of(p) % VM_PAGE_BYTES == 0xFF0);
    if (p) {
        for (uintptr_t va = HL_ALIGN_DOWN(addr_of(p), VM_PAGE_BYTES); va < addr_of(p) + 0x20;
             va += VM_PAGE_BYTES) {
            e = vm_pte(vm, va);
            CHECK(e && e->present && e->pcd && e->pwt);
        }
        CHECK(vm_translate(vm, addr_of(p), &pa) && pa == VGA_TEXT_PHYS + 0xFF0);
    }
    CHECK(vm_map_device(0, 0) == NULL);
    CHECK(vm_map_device(0xFFFFF000u, 0x2000) == NULL);
    /* The mirror: the line just printed is in the VGA cells. */
    con_printf("VGA-PROBE-0123\n");
    unsigned row = con_vga_row() - 1;
    volatile uint16_t *cells = (volatile uint16_t *)VM_DEVICE_BASE;
    const char *want = "VGA-PROBE-0123";
    unsigned bad = 0;
    for (unsigned i = 0; want[i]; i++)
        bad += (cells[row * VGA_COLS + i] & 0xFFu) != (uint8_t)want[i];
    CHECK(bad == 0);
}

/* ---- frames ------------------------------------------------------------------------ */

static void test_frames(void)
{
    struct bmp_seed *b = frames_allocator();
    struct hl_stats s0, s1;
    struct hl_violation v = {0};
    CHECK(bmp_seed_check(b, &v) == 0);
    bmp_seed_stats(b, &s0);
    CHECK(s0.held_bytes + s0.free_bytes == s0.capacity_bytes);
    CHECK(frames_reserved_at_init() > 0);
    /* Everything reserved at init is still reserved: reserving it again
     * finds no free frame. */
    CHECK(bmp_seed_reserve_range(b, 0, FRAMES_LOW_MEMORY_END) == 0);
    CHECK(bmp_seed_reserve_range(b, addr_of(kernel_image_start),
                                 (size_t)(kernel_image_end - kernel_image_start)) == 0);
    /* The bitmaps come first in the region, the frames after them. */
    bmp_pfn first = {0};
    uintptr_t frame0 = bmp_seed_frame_addr(b, first);
    CHECK(frame0 > FRAMES_REGION_BASE && HL_IS_ALIGNED(frame0, VM_PAGE_BYTES));
    CHECK(frame0 - FRAMES_REGION_BASE <= s0.meta_bytes);
    size_t used0 = frames_used();
    enum { N = 8 };
    uintptr_t got[N];
    bool ok = true;
    for (unsigned i = 0; i < N; i++) {
        ok = ok && frames_alloc(&got[i]);
        if (!ok)
            break;
        CHECK(HL_IS_ALIGNED(got[i], VM_PAGE_BYTES));
        CHECK(got[i] >= FRAMES_LOW_MEMORY_END && got[i] < frames_top());
        CHECK(got[i] + VM_PAGE_BYTES <= addr_of(kernel_image_start) ||
              got[i] >= addr_of(kernel_image_end));
        for (unsigned j = 0; j < i; j++)
            CHECK(got[j] != got[i]);
    }
    CHECK(ok);
    CHECK(frames_used() == used0 + N);
    bmp_seed_stats(b, &s1);
    CHECK(s1.allocs == s0.allocs + N);
    CHECK(bmp_seed_check(b, &v) == 0);
    for (unsigned i = 0; ok && i < N; i++)
        frames_free(got[i]);
    CHECK(frames_used() == used0);
    bmp_seed_stats(b, &s1);
    CHECK(s1.free_bytes == s0.free_bytes && s1.largest_free_bytes == s0.largest_free_bytes);
    /* A run: contiguous, first fit. */
    bmp_pfn run;
    CHECK(bmp_seed_alloc_run_pfn(b, 4, &run));
    CHECK(frames_used() == used0 + 4);
    CHECK(bmp_seed_free_run_pfn(b, run, 4) == HL_OK);
    CHECK(frames_used() == used0);
    CHECK(bmp_seed_check(b, &v) == 0);
    /* Checked builds: a double free is refused, reported, and changes
     * nothing. */
    if (HL_CHECK_LEVEL >= 1) {
        bmp_pfn pfn;
        CHECK(bmp_seed_alloc_pfn(b, &pfn));
        CHECK(bmp_seed_free_pfn(b, pfn) == HL_OK);
        size_t reports = kernel_reports();
        CHECK(bmp_seed_free_pfn(b, pfn) == HL_E_DOUBLE_FREE);
        CHECK(kernel_reports() == reports + 1);
        CHECK(frames_used() == used0);
        CHECK(bmp_seed_check(b, &v) == 0);
    }
    con_printf("@HL meta,frames_used,%u\n@HL meta,frames_reserved,%u\n", (unsigned)used0,
               (unsigned)frames_reserved_at_init());
}

/* ---- huge pages ---------------------------------------------------------------------- */

#define HUGE_VA (VM_SCRATCH_BASE + 0x08000000u)  /* 0xF8000000: 4 MiB-aligned */
#define HUGE_DEMAND_VA (VM_SCRATCH_BASE + 0x0A000000u)

static uint32_t peek(uintptr_t va) { return *(volatile uint32_t *)va; }
static void poke(uintptr_t va, uint32_t v) { *(volatile uint32_t *)va = v; }

static void test_huge(void)
{
    struct vm_space *vm = vm_kernel();
    struct trap_record r;
    if (!vm_has_pse()) {
        con_printf("@HL skip,huge,all,no PSE\n");
        return;
    }
    size_t total = frames_huge_total();
    if (total == 0) {
        con_printf("@HL skip,huge,all,no huge pool (hugepool_mib=0 or too little RAM)\n");
        return;
    }
    CHECK(total >= 2);
    CHECK(frames_huge_free_count() == total);
    /* The pool: every huge frame 4 MiB-aligned, distinct, then empty. */
    uintptr_t got[64];
    size_t n = 0;
    while (n < 64 && frames_huge_alloc(&got[n])) {
        CHECK(HL_IS_ALIGNED(got[n], VM_PDE_SPAN_BYTES) && frames_is_huge(got[n]));
        CHECK(got[n] >= addr_of(kernel_image_end) && got[n] + VM_PDE_SPAN_BYTES <= frames_top());
        for (size_t j = 0; j < n; j++)
            CHECK(got[j] != got[n]);
        n++;
    }
    CHECK(n == total && frames_huge_free_count() == 0);
    for (size_t j = 2; j < n; j++)
        frames_huge_free(got[j]);
    uintptr_t a = got[0], b = got[1];

    /* A 4 MiB page beside 4 KiB pages in the directory entries on either
     * side of it. */
    uintptr_t small_pa;
    CHECK(frames_alloc(&small_pa));
    CHECK(vm_map(vm, HUGE_VA - VM_PAGE_BYTES, small_pa, VM_WRITE | VM_OWNED));
    CHECK(vm_map(vm, HUGE_VA + VM_PDE_SPAN_BYTES, small_pa, VM_WRITE));
    size_t tables = vm->table_frames;
    CHECK(vm_map_huge(vm, HUGE_VA, a, VM_WRITE | VM_OWNED));
    CHECK(vm->table_frames == tables); /* no table for a 4 MiB page */
    CHECK(vm_pte(vm, HUGE_VA) == NULL);
    poke(HUGE_VA, 0x4D420000u);
    poke(HUGE_VA + VM_PDE_SPAN_BYTES - 4, 0x4D42FFFCu);
    poke(HUGE_VA - 4, 0x5A11u);
    poke(HUGE_VA + VM_PDE_SPAN_BYTES, 0xB16u);
    /* The identity map sees the same bytes in the huge frame. */
    CHECK(peek(a) == 0x4D420000u && peek(a + VM_PDE_SPAN_BYTES - 4) == 0x4D42FFFCu);
    CHECK(peek(small_pa + VM_PAGE_BYTES - 4) == 0x5A11u && peek(small_pa) == 0xB16u);
    struct vm_mapping m;
    CHECK(vm_walk(vm, HUGE_VA + 0x123456, &m) && m.huge && m.page_bytes == VM_PDE_SPAN_BYTES &&
          m.page_pa == a && m.pa == a + 0x123456 && m.writable && m.owned && !m.user);
    CHECK(vm_walk(vm, HUGE_VA - 8, &m) && !m.huge && m.page_bytes == VM_PAGE_BYTES &&
          m.pa == small_pa + VM_PAGE_BYTES - 8);
    uintptr_t pa = 0;
    CHECK(vm_translate(vm, HUGE_VA + VM_PDE_SPAN_BYTES - 1, &pa) && pa == a + VM_PDE_SPAN_BYTES - 1);
    struct pde d = vm->dir->entries[HUGE_VA / VM_PDE_SPAN_BYTES];
    CHECK(d.present && d.ps && d.accessed && d.dirty); /* set by the CPU */
    /* No 4 KiB page inside a 4 MiB one; no splitting it either. */
    CHECK(!vm_map(vm, HUGE_VA + VM_PAGE_BYTES, small_pa, VM_WRITE));
    CHECK(!vm_unmap(vm, HUGE_VA + VM_PAGE_BYTES));
    /* A 4 MiB page cannot replace a table that still maps a 4 KiB page. */
    CHECK(!vm_map_huge(vm, HUGE_VA + VM_PDE_SPAN_BYTES, b, VM_WRITE));
    /* Unmap: the huge frame goes back to the pool, the page faults. */
    size_t free_before = frames_huge_free_count();
    CHECK(vm_unmap(vm, HUGE_VA));
    CHECK(frames_huge_free_count() == free_before + 1);
    CHECK(kernel_read("huge-unmapped", HUGE_VA + 0x2000, &r) &&
          is_pf(&r, 0, 0, 0, 0, 0, HUGE_VA + 0x2000));
    /* Read-only 4 MiB page: a write is a protection fault nothing resolves. */
    CHECK(vm_map_huge(vm, HUGE_VA, b, 0));
    CHECK(kernel_write("huge-ro-write", HUGE_VA + 0x3000, &r) &&
          is_pf(&r, 1, 1, 0, 0, 0, HUGE_VA + 0x3000));
    CHECK(vm_unmap(vm, HUGE_VA)); /* not owned: b stays allocated */
    CHECK(frames_huge_free_count() == free_before + 1);
    frames_huge_free(b);
    /* An empty table makes way for a 4 MiB page (and is freed). */
    CHECK(vm_unmap(vm, HUGE_VA + VM_PDE_SPAN_BYTES));
    tables = vm->table_frames;
    CHECK(frames_huge_alloc(&b) && vm_map_huge(vm, HUGE_VA + VM_PDE_SPAN_BYTES, b, VM_OWNED));
    CHECK(vm->table_frames == tables - 1);
    CHECK(vm_unmap(vm, HUGE_VA + VM_PDE_SPAN_BYTES));
    CHECK(vm_unmap(vm, HUGE_VA - VM_PAGE_BYTES));
    CHECK(frames_huge_free_count() == total);

    /* Demand paging with 4 MiB pages: one fault per 4 MiB touched. */
    CHECK(!vm_demand_add(HUGE_DEMAND_VA + VM_PAGE_BYTES, 1024, VM_WRITE | VM_HUGE));
    CHECK(!vm_demand_add(HUGE_DEMAND_VA, 1000, VM_WRITE | VM_HUGE));
    CHECK(vm_demand_add(HUGE_DEMAND_VA, 2 * 1024, VM_WRITE | VM_HUGE));
    uint64_t f0 = vm_demand_faults(), h0 = vm_demand_huge_faults();
    CHECK(peek(HUGE_DEMAND_VA + 0x5000) == 0);
    poke(HUGE_DEMAND_VA + 0x5000, 7);
    poke(HUGE_DEMAND_VA + VM_PDE_SPAN_BYTES - 4, 8);
    CHECK(vm_demand_huge_faults() - h0 == 1 && vm_demand_faults() - f0 == 1);
    CHECK(peek(HUGE_DEMAND_VA + VM_PDE_SPAN_BYTES + 0x10) == 0);
    CHECK(vm_demand_huge_faults() - h0 == 2);
    CHECK(vm_walk(vm, HUGE_DEMAND_VA + 0x5000, &m) && m.huge && m.owned);
    CHECK(peek(HUGE_DEMAND_VA + 0x5000) == 7 && peek(HUGE_DEMAND_VA + VM_PDE_SPAN_BYTES - 4) == 8);
    con_printf("@HL meta,huge_demand_faults,%llu\n", vm_demand_huge_faults() - h0);
    CHECK(vm_demand_release(HUGE_DEMAND_VA) == 2 * 1024);
    CHECK(frames_huge_free_count() == total);
    CHECK(kernel_read("huge-demand-released", HUGE_DEMAND_VA, &r) &&
          is_pf(&r, 0, 0, 0, 0, 0, HUGE_DEMAND_VA));
    /* The pool and bitmap-seed are both consistent. */
    struct hl_violation v = {0};
    CHECK(bmp_seed_check(frames_allocator(), &v) == 0);
}

/* ---- the TLB -------------------------------------------------------------------------- */

#define TLB_VA (VM_SCRATCH_BASE + 0x0C000000u)

/* Each case reads a page through the TLB, changes its mapping, and reads
 * again: only the invalidation that follows the change (invlpg in vm_map,
 * vm_map_huge and vm_unmap) makes the second read see the new mapping.
 * QEMU's TCG keeps its own TLB of guest translations and refills it only
 * when the guest invalidates, like a CPU, so a missing invlpg shows. */
static void test_tlb(void)
{
    struct vm_space *vm = vm_kernel();
    struct trap_record r;
    uintptr_t fa, fb;
    CHECK(frames_alloc(&fa) && frames_alloc(&fb));
    poke(fa, 0xAAAA0001u);
    poke(fb, 0xBBBB0002u);
    /* Remap a 4 KiB page. */
    CHECK(vm_map(vm, TLB_VA, fa, VM_WRITE));
    CHECK(peek(TLB_VA) == 0xAAAA0001u);
    CHECK(vm_map(vm, TLB_VA, fb, VM_WRITE));
    uint32_t seen = peek(TLB_VA);
    con_printf("@HL meta,tlb_remap_4k,%s\n", seen == 0xBBBB0002u ? "new" : "stale");
    CHECK(seen == 0xBBBB0002u);
    /* Write-protect a page: the write that follows must fault. */
    CHECK(vm_map(vm, TLB_VA, fb, 0));
    CHECK(kernel_write("tlb-protect", TLB_VA, &r) && is_pf(&r, 1, 1, 0, 0, 0, TLB_VA));
    /* Unmap: the next read must fault. */
    CHECK(peek(TLB_VA) == 0xBBBB0002u);
    CHECK(vm_unmap(vm, TLB_VA));
    CHECK(kernel_read("tlb-unmapped", TLB_VA, &r) && is_pf(&r, 0, 0, 0, 0, 0, TLB_VA));
    frames_free(fa);
    frames_free(fb);
    /* Remap a 4 MiB page. */
    uintptr_t ha, hb;
    if (vm_has_pse() && frames_huge_alloc(&ha)) {
        CHECK(frames_huge_alloc(&hb));
        poke(ha + 0x1000, 0x4A4A0003u);
        poke(hb + 0x1000, 0x4B4B0004u);
        CHECK(vm_map_huge(vm, TLB_VA, ha, VM_WRITE | VM_OWNED));
        CHECK(peek(TLB_VA + 0x1000) == 0x4A4A0003u);
        CHECK(vm_map_huge(vm, TLB_VA, hb, VM_WRITE | VM_OWNED));
        seen = peek(TLB_VA + 0x1000);
        con_printf("@HL meta,tlb_remap_4m,%s\n", seen == 0x4B4B0004u ? "new" : "stale");
        CHECK(seen == 0x4B4B0004u);
        CHECK(vm_unmap(vm, TLB_VA));
        CHECK(kernel_read("tlb-huge-unmapped", TLB_VA + 0x1000, &r) &&
              is_pf(&r, 0, 0, 0, 0, 0, TLB_VA + 0x1000));
        frames_huge_free(ha);
    }
}

/* ---- copy-on-write ---------------------------------------------------------------------- */

#define COW_VA (VM_SCRATCH_BASE + 0x04000000u) /* 0xF4000000 */
#define COW_WINDOW_BYTES (16u * VM_PDE_SPAN_BYTES)
#define COW_PAGES 8u

static uintptr_t cow_page(unsigned i) { return COW_VA + i * VM_PAGE_BYTES; }
static uintptr_t frame_of(const struct vm_space *vm, uintptr_t va)
{
    uintptr_t pa = 0;
    return vm_translate(vm, va, &pa) ? HL_ALIGN_DOWN(pa, VM_PAGE_BYTES) : 0;
}

static void test_cow(void)
{
    struct vm_space *kvm = vm_kernel();
    struct trap_record r;
    struct vm_cow_stats c0, c1;
    CHECK(user_setup());
    struct hl_stats h0, h1;
    kheap_stats(&h0);
    size_t used0 = frames_used();
    /* The parent: COW_PAGES owned writable pages with a pattern, one owned
     * read-only page, one page that is not owned (a shared mapping). */
    for (unsigned i = 0; i < COW_PAGES; i++) {
        uintptr_t pa;
        CHECK(frames_alloc(&pa) && vm_map(kvm, cow_page(i), pa, VM_WRITE | VM_OWNED));
        poke(cow_page(i), 0xC0000000u + i);
    }
    uintptr_t ro_pa, shared_pa;
    CHECK(frames_alloc(&ro_pa) && frames_alloc(&shared_pa));
    poke(ro_pa, 0x0F0F0F0Fu);
    CHECK(vm_map(kvm, cow_page(COW_PAGES), ro_pa, VM_OWNED));
    CHECK(vm_map(kvm, cow_page(COW_PAGES + 1), shared_pa, VM_WRITE));
    size_t used1 = frames_used();
    CHECK(used1 == used0 + COW_PAGES + 2 + (kheap_ready() ? 0u : 1u));
    *(volatile uint32_t *)VM_USER_DATA_VA = 0x11110000u;

    /* Clone the COW window and the user data page's window. */
    struct vm_space *child = vm_clone(kvm, COW_VA, COW_VA + COW_WINDOW_BYTES);
    CHECK(child != NULL);
    if (!child)
        return;
    struct vm_space *uchild = vm_clone(kvm, VM_USER_DATA_VA, VM_USER_DATA_VA + VM_PDE_SPAN_BYTES);
    CHECK(uchild != NULL);
    CHECK(frames_used() == used1); /* a clone copies no page */
    CHECK(frames_shared() == COW_PAGES + 1 + 1);
    for (unsigned i = 0; i < COW_PAGES; i++) {
        struct pte *pe = vm_pte(kvm, cow_page(i)), *ce = vm_pte(child, cow_page(i));
        CHECK(pe && ce && pe->frame == ce->frame);
        CHECK(pe && !pe->rw && pe->cow && ce && !ce->rw && ce->cow);
        CHECK(frames_refs(frame_of(kvm, cow_page(i))) == 2);
    }
    struct pte *ro_e = vm_pte(child, cow_page(COW_PAGES));
    CHECK(ro_e && !ro_e->rw && !ro_e->cow && frames_refs(ro_pa) == 2);
    struct pte *sh_e = vm_pte(child, cow_page(COW_PAGES + 1));
    CHECK(sh_e && sh_e->rw && !sh_e->owned && frames_refs(shared_pa) == 1);
    /* Outside its window the clone has the kernel's own entries. */
    CHECK(child->tables[0] == kvm->tables[0]);
    CHECK(child->dir->entries[VM_DEVICE_BASE / VM_PDE_SPAN_BYTES].table ==
          kvm->dir->entries[VM_DEVICE_BASE / VM_PDE_SPAN_BYTES].table);

    /* The parent's own TLB held its pages writable (it wrote them just
     * before): the clone must have flushed it, so this write faults and
     * copies, and the child keeps the old word. */
    vm_cow_stats(&c0);
    poke(cow_page(3) + 4, 0x9A9A9A9Au);
    vm_cow_stats(&c1);
    CHECK(c1.copies == c0.copies + 1);
    CHECK(frame_of(kvm, cow_page(3)) != frame_of(child, cow_page(3)));

    /* In the child: reads share, the first write copies. */
    vm_cow_stats(&c0);
    vm_switch(child);
    CHECK(x86_read_cr3() == child->dir_phys && vm_current() == child);
    unsigned bad = 0;
    for (unsigned i = 0; i < COW_PAGES; i++)
        bad += peek(cow_page(i)) != 0xC0000000u + i;
    CHECK(bad == 0);
    CHECK(peek(addr_of(&kernel_word)) == 0x11223344u); /* the kernel, borrowed */
    vm_cow_stats(&c1);
    CHECK(c1.faults == c0.faults);
    uintptr_t old0 = frame_of(child, cow_page(0));
    poke(cow_page(0) + 8, 0xC1C1C1C1u);
    vm_cow_stats(&c1);
    CHECK(c1.faults == c0.faults + 1 && c1.copies == c0.copies + 1);
    CHECK(frame_of(child, cow_page(0)) != old0 && frames_refs(old0) == 1);
    CHECK(peek(cow_page(0)) == 0xC0000000u && peek(cow_page(0) + 8) == 0xC1C1C1C1u);
    poke(cow_page(0) + 12, 1); /* now private: no second fault */
    vm_cow_stats(&c1);
    CHECK(c1.faults == c0.faults + 1);
    CHECK(frames_used() == used1 + 2); /* page 3 (the parent's copy), page 0 */
    /* A read-only shared page stays read-only: a real protection fault. */
    CHECK(kernel_write("cow-ro-write", cow_page(COW_PAGES), &r) &&
          is_pf(&r, 1, 1, 0, 0, 0, cow_page(COW_PAGES)));
    vm_switch(kvm);
    CHECK(x86_read_cr3() == kvm->dir_phys);

    /* The parent never saw the child's write; its own first write to page
     * 0 takes the frame (count 1), to page 1 copies (count 2). */
    CHECK(peek(cow_page(0) + 8) != 0xC1C1C1C1u && peek(cow_page(0)) == 0xC0000000u);
    vm_cow_stats(&c0);
    poke(cow_page(0) + 8, 0xA0A0A0A0u);
    poke(cow_page(1) + 8, 0xA1A1A1A1u);
    vm_cow_stats(&c1);
    CHECK(c1.takes == c0.takes + 1 && c1.copies == c0.copies + 1);
    CHECK(frame_of(kvm, cow_page(0)) == old0);
    vm_switch(child);
    CHECK(peek(cow_page(1) + 8) != 0xA1A1A1A1u && peek(cow_page(0) + 8) == 0xC1C1C1C1u);
    CHECK(peek(cow_page(3) + 4) != 0x9A9A9A9Au);
    vm_switch(kvm);

    /* Ring 3 in the user clone: a write to the user page copies it. */
    vm_cow_stats(&c0);
    vm_switch(uchild);
    CHECK(user_run("cow-user-write", user_stub_write, VM_USER_DATA_VA, &r) &&
          r.vector == TRAP_UD && (r.cs & SEG_RPL_MASK) == 3);
    CHECK(peek(VM_USER_DATA_VA) == 0x5A5A5A5Au);
    vm_switch(kvm);
    vm_cow_stats(&c1);
    CHECK(c1.copies == c0.copies + 1);
    CHECK(peek(VM_USER_DATA_VA) == 0x11110000u);

    /* Freeing: the clones give every reference and every table back. */
    vm_destroy(uchild);
    vm_destroy(child);
    CHECK(frames_shared() == 0 && frames_ref_chunks() == 0);
    for (unsigned i = 0; i <= COW_PAGES; i++)
        CHECK(frames_refs(frame_of(kvm, cow_page(i))) == 1);
    kheap_stats(&h1);
    CHECK(h1.live_blocks == h0.live_blocks + (kheap_ready() ? 1u : 0u)); /* + the window's table */
    /* The parent's pages still cow (its clone is gone): the next write takes. */
    vm_cow_stats(&c0);
    poke(cow_page(2), 2);
    vm_cow_stats(&c1);
    CHECK(c1.takes == c0.takes + 1 && c1.copies == c0.copies);
    /* ... and its user page too. */
    *(volatile uint32_t *)VM_USER_DATA_VA = 0;
    for (unsigned i = 0; i < COW_PAGES + 2; i++)
        CHECK(vm_unmap(kvm, cow_page(i)));
    frames_free(shared_pa);
    CHECK(frames_used() == used0 + (kheap_ready() ? 0u : 1u));
    CHECK(kheap_check(NULL) == 0);
}

/* ---- the kernel heap ------------------------------------------------------------------ */

static void test_kheap(void)
{
    const struct hl_allocator *a = kheap_allocator();
    CHECK(a != NULL && kheap_ready());
    if (!a)
        return;
    char want[32];
    if (!kcmd_get("kheap", want, sizeof want))
        hl_memcpy(want, KHEAP_DEFAULT, sizeof KHEAP_DEFAULT);
    CHECK(kcmd_list_has(want, a->name));
    struct hl_violation v = {0};
    CHECK(kheap_check(&v) == 0);
    struct hl_stats s0, s1;
    kheap_stats(&s0);
    uintptr_t lo = kheap_arena_base(), hi = lo + kheap_arena_bytes();
    static const struct {
        size_t bytes, align;
    } req[] = {{1, 0}, {16, 0}, {100, 0}, {2048, 0}, {4096, 4096}, {3000, 64}, {8192, 4096}};
    enum { NREQ = sizeof req / sizeof req[0] };
    uint8_t *p[NREQ];
    for (unsigned i = 0; i < NREQ; i++) {
        p[i] = kheap_alloc(req[i].bytes, req[i].align);
        CHECK(p[i] != NULL);
        if (!p[i])
            continue;
        uintptr_t x = addr_of(p[i]);
        CHECK(x >= lo && x + req[i].bytes <= hi);
        CHECK(HL_IS_ALIGNED(x, req[i].align ? req[i].align : 16u));
        hl_memset(p[i], (int)(0x40 + i), req[i].bytes);
    }
    for (unsigned i = 0; i < NREQ; i++) {
        unsigned bad = 0;
        for (size_t k = 0; p[i] && k < req[i].bytes; k++)
            bad += p[i][k] != (uint8_t)(0x40 + i);
        CHECK(bad == 0); /* no two blocks overlap */
    }
    CHECK(kheap_check(&v) == 0);
    for (unsigned i = 0; i < NREQ; i++)
        kheap_free(p[i], req[i].bytes, req[i].align);
    kheap_stats(&s1);
    CHECK(s1.live_blocks == s0.live_blocks && s1.live_bytes == s0.live_bytes);
    CHECK(kheap_check(&v) == 0);
    /* Page tables made after boot come from it; boot tables do not. */
    struct vm_space *vm = vm_kernel();
    uintptr_t va = VM_SCRATCH_BASE + 0x0E000000u;
    unsigned i = (unsigned)(va / VM_PDE_SPAN_BYTES);
    uintptr_t frame;
    CHECK(vm->tables[i] == NULL);
    CHECK(frames_alloc(&frame) && vm_map(vm, va, frame, VM_WRITE | VM_OWNED));
    kheap_stats(&s1);
    CHECK(s1.live_blocks == s0.live_blocks + 1);
    CHECK(addr_of(vm->tables[i]) >= lo && addr_of(vm->tables[i]) < hi);
    CHECK(HL_IS_ALIGNED(addr_of(vm->tables[i]), VM_PAGE_BYTES));
    unsigned k = (unsigned)(addr_of(kernel_image_start) / VM_PDE_SPAN_BYTES);
    CHECK(addr_of(vm->tables[k]) < lo || addr_of(vm->tables[k]) >= hi);
    poke(va, 0x4EA9u);
    CHECK(peek(frame) == 0x4EA9u);
    CHECK(vm_unmap(vm, va));
    con_printf("@HL meta,kheap_live_blocks,%u\n@HL meta,kheap_held_bytes,%u\n",
               (unsigned)s1.live_blocks, (unsigned)s1.held_bytes);
}

/* ---- the copy-on-write experiment (never in "all") -------------------------------------- */

/* Fork-like: N pages mapped and written in the kernel space, a clone of
 * them, then the clone writes 10 %, 50 %, 100 % of them (spread evenly),
 * each write a cow fault.  Cost per fault = (the writes' ticks - the same
 * writes again, now faultless) / faults.  Ticks: guest instructions under
 * -icount shift=0, else TCG's TSC (host time of the emulation). */
static unsigned cowbench_pages(void)
{
    char v[16];
    unsigned n = 0;
    if (!kcmd_get("cow_pages", v, sizeof v))
        return 256;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > 4096)
            return 0;
        n = n * 10u + (unsigned)(*p - '0');
    }
    return n <= 4096 ? n : 0;
}

static uint64_t write_pages(unsigned npages, unsigned pct, uint32_t value)
{
    unsigned k = npages * pct / 100u;
    uint64_t t0 = hl_clock_start();
    for (unsigned j = 0; j < k; j++)
        poke(cow_page((unsigned)((uint64_t)j * npages / k)) + 64, value + j);
    return hl_clock_stop() - t0;
}

static void test_cowbench(void)
{
    struct vm_space *kvm = vm_kernel();
    unsigned npages = cowbench_pages();
    if (npages == 0) {
        char v[16] = "";
        kcmd_get("cow_pages", v, sizeof v);
        con_printf("@HL error,usage,bad value for cow_pages=: '%s' (1..4096)\n", v);
        failures++;
        return;
    }
    /* The first round warms up (TCG translates the code it runs for the
     * first time then: TSC figures of it would be that) and prints nothing. */
    static const unsigned pcts[] = {10, 10, 50, 100};
    size_t used0 = frames_used();
    for (unsigned t = 0; t < sizeof pcts / sizeof pcts[0]; t++) {
        for (unsigned i = 0; i < npages; i++) {
            uintptr_t pa;
            CHECK(frames_alloc(&pa) && vm_map(kvm, cow_page(i), pa, VM_WRITE | VM_OWNED));
            hl_memset((void *)cow_page(i), 0, VM_PAGE_BYTES); /* fresh frames hold poison
                                                                 in checked builds */
            poke(cow_page(i), i);
        }
        uint64_t c0 = hl_clock_start();
        struct vm_space *child = vm_clone(kvm, COW_VA, COW_VA + COW_WINDOW_BYTES);
        uint64_t clone_ticks = hl_clock_stop() - c0;
        CHECK(child != NULL);
        if (!child)
            return;
        struct vm_cow_stats s0, s1;
        vm_switch(child);
        vm_cow_stats(&s0);
        uint64_t ticks = write_pages(npages, pcts[t], 0x1000u);
        vm_cow_stats(&s1);
        uint64_t base = write_pages(npages, pcts[t], 0x2000u); /* private now */
        vm_switch(kvm);
        uint64_t faults = s1.faults - s0.faults;
        CHECK(faults == npages * pcts[t] / 100u && s1.copies - s0.copies == faults);
        unsigned bad = 0;
        for (unsigned i = 0; i < npages; i++)
            bad += peek(cow_page(i) + 64) != 0 || peek(cow_page(i)) != i;
        CHECK(bad == 0); /* the parent saw none of it */
        c0 = hl_clock_start();
        vm_destroy(child);
        uint64_t destroy_ticks = hl_clock_stop() - c0;
        for (unsigned i = 0; i < npages; i++)
            CHECK(vm_unmap(kvm, cow_page(i)));
        CHECK(frames_used() == used0 && frames_shared() == 0);
        uint64_t net = ticks > base ? ticks - base : 0;
        if (t > 0)
            con_printf("@HL vm,cow,pages=%u,written_pct=%u,faults=%llu,copies=%llu,ticks=%llu,"
                   "ticks_faultless=%llu,ticks_per_fault=%llu,clone_ticks=%llu,destroy_ticks=%llu\n",
                   npages, pcts[t], faults, s1.copies - s0.copies, ticks, base,
                   faults ? net / faults : 0, clone_ticks, destroy_ticks);
    }
}

/* ---- kernel_panic (never in "all") ----------------------------------------------------- */

/* A real fatal path: freeing an address no frame allocator manages. */
static void test_kpanic(void)
{
    con_printf("expecting a kernel panic next\n");
    frames_free(0xFFFFF000u);
    CHECK(!"frames_free of a foreign address returned");
}

/* ---- panic (never in "all") --------------------------------------------------------- */

static void test_panic(void)
{
    con_printf("expecting an unhandled #UD next\n");
    trigger_ud();
    CHECK(!"an unhandled #UD returned");
}

/* ---- triple, hang (never in "all"): how QEMU ends when the kernel cannot say -------- */

/* An exception with no IDT: #UD cannot be delivered, nor the #DF that
 * follows: a triple fault, which QEMU -no-reboot turns into exit status 0
 * (the host must read that as a failure). */
static void test_triple(void)
{
    con_printf("expecting a triple fault next (QEMU exit status 0)\n");
    idt_clear();
    trigger_ud();
    CHECK(!"a #UD without an IDT returned");
}

/* A guest that never ends: only the host's deadline stops it. */
static void test_hang(void)
{
    con_printf("hanging with interrupts off\n");
    x86_halt_forever();
}

/* ---- the runner ------------------------------------------------------------------------ */

struct selftest {
    const char *name;
    void (*fn)(void);
    bool in_all;
};

static const struct selftest tests[] = {
    {"boot", test_boot, true},       {"exceptions", test_exceptions, true},
    {"paging", test_paging, true},   {"protect", test_protect, true},
    {"demand", test_demand, true},   {"device", test_device, true},
    {"frames", test_frames, true},   {"kheap", test_kheap, true},
    {"huge", test_huge, true},       {"tlb", test_tlb, true},
    {"cow", test_cow, true},         {"cowbench", test_cowbench, false},
    {"kpanic", test_kpanic, false},  {"panic", test_panic, false},
    {"triple", test_triple, false},  {"hang", test_hang, false},
    {"model", selftest_model, false},
};

bool selftest_run(const char *list)
{
    bool all = kcmd_list_has(list, "all"), ok = true;
    unsigned known = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const struct selftest *t = &tests[i];
        if (!(all && t->in_all) && !kcmd_list_has(list, t->name))
            continue;
        known += kcmd_list_has(list, t->name);
        current = t->name;
        failures = 0;
        t->fn();
        con_printf("@HL test,%s,%s\n", t->name, failures ? "fail" : "pass");
        ok = ok && failures == 0;
    }
    /* Every name in the list must be a test (or "all"). */
    const char *s = list;
    unsigned names = 0;
    while (*s) {
        names++;
        while (*s && *s != ',')
            s++;
        if (*s == ',')
            s++;
    }
    if (names != known + (all ? 1u : 0u)) {
        con_printf("@HL error,selftest,unknown test name in '%s'\n", list);
        ok = false;
    }
    return ok;
}
