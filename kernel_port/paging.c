/*
 * paging.c — the kernel address space, protection, demand paging and
 * device mapping (paging.h).
 *
 * Invariants:
 *   - vm->tables[i] != NULL  <=>  vm->dir->entries[i].present, and then
 *     entries[i].table is the frame of vm->tables[i] (identity-mapped, so
 *     the two addresses are equal numbers; they are still kept apart).
 *   - a demand range's tables exist from vm_demand_add on; a page of it is
 *     either not present or mapped VM_OWNED to a frame of its own.
 *   - interrupts are off, one CPU: no entry is ever seen half-written.
 */
#include "kernel_port/paging.h"

#include "allocators/port.h"
#include "allocators/util.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/kernel.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/trap.h"
#include "kernel_port/x86.h"

static struct vm_space kernel_vm;
static bool have_smep, have_pse;

struct vm_space *vm_kernel(void) { return &kernel_vm; }
bool vm_has_smep(void) { return have_smep; }
bool vm_has_pse(void) { return have_pse; }

static unsigned pd_index(uintptr_t va) { return (unsigned)(va / VM_PDE_SPAN_BYTES); }
static unsigned pt_index(uintptr_t va) { return (unsigned)((va / VM_PAGE_BYTES) % VM_ENTRIES); }

/* Identity map: the kernel reaches physical address pa at virtual pa. */
static void *phys_to_virt(uintptr_t pa)
{
    HL_ASSERT(pa < VM_IDENTITY_TOP);
    return (void *)pa;
}

static uint32_t pte_raw(struct pte e)
{
    uint32_t raw;
    hl_memcpy(&raw, &e, sizeof raw);
    return raw;
}

static uint32_t pde_raw(struct pde e)
{
    uint32_t raw;
    hl_memcpy(&raw, &e, sizeof raw);
    return raw;
}

unsigned vm_layout_check(void)
{
    unsigned bad = 0;
    struct pte z = {0}, e;
#define PTE_FIELD_AT(field, mask)                                                                  \
    do {                                                                                           \
        e = z;                                                                                     \
        e.field = 1;                                                                               \
        bad += pte_raw(e) != (mask);                                                               \
    } while (0)
    PTE_FIELD_AT(present, VM_PTE_P);
    PTE_FIELD_AT(rw, VM_PTE_RW);
    PTE_FIELD_AT(user, VM_PTE_US);
    PTE_FIELD_AT(pwt, VM_PTE_PWT);
    PTE_FIELD_AT(pcd, VM_PTE_PCD);
    PTE_FIELD_AT(accessed, VM_PTE_A);
    PTE_FIELD_AT(dirty, VM_PTE_D);
    PTE_FIELD_AT(pat, VM_PTE_PAT);
    PTE_FIELD_AT(global, VM_PTE_G);
    PTE_FIELD_AT(owned, VM_PTE_OWNED);
    PTE_FIELD_AT(frame, (uint32_t)1 << VM_PTE_FRAME_SHIFT);
#undef PTE_FIELD_AT
    e = z;
    e.frame = 0xFFFFFu;
    bad += pte_raw(e) != 0xFFFFF000u;
    struct pde dz = {0}, d = dz;
    d.ps = 1;
    bad += pde_raw(d) != VM_PDE_PS;
    d = dz;
    d.table = 0xFFFFFu;
    bad += pde_raw(d) != 0xFFFFF000u;
    return bad;
}

/* ---- tables ---------------------------------------------------------------- */

static bool frame_zeroed(uintptr_t *pa)
{
    if (!frames_alloc(pa))
        return false;
    hl_memset(phys_to_virt(*pa), 0, VM_PAGE_BYTES);
    return true;
}

bool vm_ensure_table(struct vm_space *vm, uintptr_t va)
{
    unsigned i = pd_index(va);
    if (vm->tables[i])
        return true;
    uintptr_t pa;
    if (!frame_zeroed(&pa))
        return false;
    struct pde d = {0};
    d.present = 1;
    d.rw = 1;
    d.user = 1; /* rights are decided per page, in the PTEs */
    d.table = (uint32_t)(pa >> VM_PTE_FRAME_SHIFT);
    vm->tables[i] = phys_to_virt(pa);
    vm->dir->entries[i] = d;
    vm->table_frames++;
    return true;
}

struct pte *vm_pte(const struct vm_space *vm, uintptr_t va)
{
    struct page_table *t = vm->tables[pd_index(va)];
    return t ? &t->entries[pt_index(va)] : NULL;
}

bool vm_map(struct vm_space *vm, uintptr_t va, uintptr_t pa, unsigned flags)
{
    HL_ASSERT(HL_IS_ALIGNED(va, VM_PAGE_BYTES) && HL_IS_ALIGNED(pa, VM_PAGE_BYTES));
    if (!vm_ensure_table(vm, va))
        return false;
    struct pte e = {0};
    e.present = 1;
    e.rw = (flags & VM_WRITE) != 0;
    e.user = (flags & VM_USER) != 0;
    e.pwt = e.pcd = (flags & VM_UNCACHED) != 0;
    e.owned = (flags & VM_OWNED) != 0;
    e.frame = (uint32_t)(pa >> VM_PTE_FRAME_SHIFT);
    *vm_pte(vm, va) = e;
    x86_invlpg(va);
    return true;
}

bool vm_unmap(struct vm_space *vm, uintptr_t va)
{
    struct pte *e = vm_pte(vm, va);
    if (!e || !e->present)
        return false;
    uintptr_t pa = (uintptr_t)e->frame << VM_PTE_FRAME_SHIFT;
    bool owned = e->owned;
    *e = (struct pte){0};
    x86_invlpg(va);
    if (owned)
        frames_free(pa);
    return true;
}

bool vm_translate(const struct vm_space *vm, uintptr_t va, uintptr_t *pa)
{
    const struct pte *e = vm_pte(vm, va);
    if (!e || !e->present)
        return false;
    *pa = ((uintptr_t)e->frame << VM_PTE_FRAME_SHIFT) + va % VM_PAGE_BYTES;
    return true;
}

/* ---- the kernel address space ------------------------------------------------ */

static bool in_image_part(uintptr_t pa, const char *lo, const char *hi)
{
    return pa >= (uintptr_t)lo && pa < (uintptr_t)hi;
}

/* Rights of an identity-mapped frame: the kernel's code and constants and
 * the ring-3 stubs read-only, everything else read/write; supervisor. */
static unsigned identity_flags(uintptr_t pa)
{
    if (in_image_part(pa, kernel_image_start, kernel_ro_end) ||
        in_image_part(pa, user_text_start, user_text_end))
        return 0;
    return VM_WRITE;
}

static void cpu_features(void)
{
    uint32_t a, b, c, d;
    x86_cpuid(0, 0, &a, &b, &c, &d);
    uint32_t max_leaf = a;
    x86_cpuid(1, 0, &a, &b, &c, &d);
    have_pse = (d & X86_CPUID1_EDX_PSE) != 0;
    have_smep = false;
    if (max_leaf >= 7) {
        x86_cpuid(7, 0, &a, &b, &c, &d);
        have_smep = (b & X86_CPUID7_EBX_SMEP) != 0;
    }
}

void vm_init(void)
{
    struct vm_space *vm = &kernel_vm;
    uintptr_t dir_pa;
    if (!frame_zeroed(&dir_pa))
        KPANIC("no frame for the page directory");
    vm->dir = phys_to_virt(dir_pa);
    vm->dir_phys = dir_pa;
    vm->table_frames = 1;
    for (unsigned i = 0; i < VM_ENTRIES; i++)
        vm->tables[i] = NULL;

    /* Identity map of every available frame below the cap; page 0 stays
     * unmapped so a null dereference faults. */
    for (unsigned r = 0; r < kboot.nranges; r++) {
        const struct phys_range *pr = &kboot.ranges[r];
        if (pr->type != MB_MMAP_AVAILABLE || pr->base_addr >= VM_IDENTITY_TOP)
            continue;
        uint64_t end = pr->base_addr + pr->length_bytes;
        uintptr_t lo = (uintptr_t)HL_ALIGN_UP(pr->base_addr, (uint64_t)VM_PAGE_BYTES);
        uintptr_t hi = (uintptr_t)HL_ALIGN_DOWN(HL_MIN(end, (uint64_t)VM_IDENTITY_TOP),
                                                (uint64_t)VM_PAGE_BYTES);
        if (lo < FRAMES_REGION_BASE)
            lo = FRAMES_REGION_BASE;
        for (uintptr_t pa = lo; pa < hi; pa += VM_PAGE_BYTES)
            if (!vm_map(vm, pa, pa, identity_flags(pa)))
                KPANIC("out of frames while building the identity map");
    }
    /* The kernel image, in case the map left any of it out. */
    for (uintptr_t pa = (uintptr_t)kernel_image_start; pa < (uintptr_t)kernel_image_end;
         pa += VM_PAGE_BYTES)
        if (!vm_map(vm, pa, pa, identity_flags(pa)))
            KPANIC("out of frames while mapping the kernel image");
    /* The ring-3 stubs, again, user-accessible and read-only. */
    for (uintptr_t pa = (uintptr_t)user_text_start; pa < (uintptr_t)user_text_end;
         pa += VM_PAGE_BYTES)
        if (!vm_map(vm, VM_USER_CODE_VA + (pa - (uintptr_t)user_text_start), pa, VM_USER))
            KPANIC("out of frames while mapping the user stubs");

    cpu_features();
    uint32_t cr4 = x86_read_cr4();
    if (have_pse)
        cr4 |= X86_CR4_PSE;
    if (have_smep)
        cr4 |= X86_CR4_SMEP;
    x86_write_cr4(cr4);
    x86_write_cr3(vm->dir_phys);
    /* WP: read-only pages bind ring 0 too (the seed's read-only kernel
     * pages were writable by the kernel without it: erratum K4). */
    x86_write_cr0(x86_read_cr0() | X86_CR0_PG | X86_CR0_WP);
}

/* ---- device mapping ------------------------------------------------------------ */

static uintptr_t device_next = VM_DEVICE_BASE;

volatile void *vm_map_device(uintptr_t phys, size_t bytes)
{
    uintptr_t lo = HL_ALIGN_DOWN(phys, VM_PAGE_BYTES);
    size_t span;
    if (bytes == 0 || phys - lo > SIZE_MAX - bytes ||
        !hl_align_up_checked(phys - lo + bytes, VM_PAGE_BYTES, &span) ||
        span - 1 > UINTPTR_MAX - lo)
        return NULL; /* empty, or the physical range wraps past 4 GiB */
    if (span > VM_SCRATCH_BASE - device_next)
        return NULL;
    uintptr_t va = device_next;
    for (size_t off = 0; off < span; off += VM_PAGE_BYTES)
        if (!vm_map(&kernel_vm, va + off, lo + off, VM_WRITE | VM_UNCACHED))
            return NULL; /* the pages mapped so far stay: the window only grows */
    device_next += span;
    return (volatile void *)(va + (phys - lo));
}

/* ---- demand paging --------------------------------------------------------------- */

#define VM_DEMAND_SLOTS 8u

struct demand_range {
    uintptr_t lo, hi; /* [lo, hi), page-aligned; hi == 0: slot free */
    unsigned flags;
};

static struct demand_range demand[VM_DEMAND_SLOTS];
static uint64_t demand_faults;

uint64_t vm_demand_faults(void) { return demand_faults; }

bool vm_demand_add(uintptr_t va, size_t npages, unsigned flags)
{
    if (!HL_IS_ALIGNED(va, VM_PAGE_BYTES) || va < VM_IDENTITY_TOP || npages == 0 ||
        npages > (UINTPTR_MAX - va) / VM_PAGE_BYTES + 1)
        return false;
    uintptr_t hi_last = va + (npages - 1) * VM_PAGE_BYTES; /* last page, no wrap */
    struct demand_range *slot = NULL;
    for (unsigned i = 0; i < VM_DEMAND_SLOTS; i++) {
        struct demand_range *d = &demand[i];
        if (d->hi == 0) {
            if (!slot)
                slot = d;
            continue;
        }
        if (va < d->hi && hi_last >= d->lo)
            return false;
    }
    if (!slot)
        return false;
    for (uintptr_t t = HL_ALIGN_DOWN(va, VM_PDE_SPAN_BYTES);; t += VM_PDE_SPAN_BYTES) {
        if (!vm_ensure_table(&kernel_vm, t))
            return false;
        if (hi_last - t < VM_PDE_SPAN_BYTES)
            break;
    }
    slot->lo = va;
    slot->hi = hi_last + VM_PAGE_BYTES; /* 0 only if the range ends at 4 GiB */
    slot->flags = flags & (VM_WRITE | VM_USER);
    return slot->hi != 0;
}

size_t vm_demand_release(uintptr_t va)
{
    for (unsigned i = 0; i < VM_DEMAND_SLOTS; i++) {
        struct demand_range *d = &demand[i];
        if (d->hi == 0 || d->lo != va)
            continue;
        size_t n = 0;
        for (uintptr_t p = d->lo; p < d->hi; p += VM_PAGE_BYTES)
            n += vm_unmap(&kernel_vm, p);
        d->lo = d->hi = 0;
        return n;
    }
    return 0;
}

bool vm_page_fault(uintptr_t cr2, uint32_t err)
{
    struct pf_decoded pf = pf_decode(err);
    if (pf.present || pf.rsvd)
        return false; /* a protection violation is never a first touch */
    for (unsigned i = 0; i < VM_DEMAND_SLOTS; i++) {
        const struct demand_range *d = &demand[i];
        if (d->hi == 0 || cr2 < d->lo || cr2 >= d->hi)
            continue;
        if (pf.user && !(d->flags & VM_USER))
            return false;
        uintptr_t pa;
        if (!frame_zeroed(&pa)) {
            /* Out of memory: fatal, but say so plainly (the host turns
             * this line into the reason of the cell's failed rows). */
            con_printf("@HL error,oom,demand paging found no free frame for "
                       "0x%08x (%llu demand faults so far; give QEMU more -m)\n",
                       (unsigned)cr2, demand_faults);
            return false;
        }
        if (!vm_map(&kernel_vm, HL_ALIGN_DOWN(cr2, VM_PAGE_BYTES), pa, d->flags | VM_OWNED)) {
            frames_free(pa);
            return false;
        }
        demand_faults++;
        return true;
    }
    return false;
}
