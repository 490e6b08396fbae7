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
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/gdt.h"
#include "kernel_port/kernel.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/paging.h"
#include "kernel_port/segments.h"
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
        if ((vm->tables[i] != NULL) != (d.present != 0))
            bad++;
        if (d.present) {
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
    {"frames", test_frames, true},   {"panic", test_panic, false},
    {"triple", test_triple, false},  {"hang", test_hang, false},
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
