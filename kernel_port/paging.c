/*
 * paging.c — the kernel address space, protection, demand paging and
 * device mapping (paging.h).
 *
 * Invariants:
 *   - vm->tables[i] != NULL  <=>  vm->dir->entries[i].present and not PS,
 *     and then entries[i].table is the frame of vm->tables[i]
 *     (identity-mapped, so the two addresses are equal numbers; they are
 *     still kept apart).  A PS entry maps a 4 MiB page and has no table.
 *   - a table is from the kernel heap iff its heap_tables bit is set
 *     (every table made after vm_init); boot tables are bitmap-seed
 *     frames.  A clone's borrowed entries are its parent's and are never
 *     freed or counted by the clone.
 *   - a present cow PTE is read-only and VM_OWNED; its frame's count
 *     (frames_refs) is the number of PTEs in all spaces that map it.
 *   - every change to a present entry is followed by invlpg of its page,
 *     or by a CR3 reload (vm_clone, vm_switch).
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
#include "kernel_port/kheap.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/trap.h"
#include "kernel_port/x86.h"

static struct vm_space kernel_vm;
static struct vm_space *current_vm = &kernel_vm;
static bool have_smep, have_pse;
static bool booted; /* vm_init is done: new tables come from the kernel heap */

struct vm_space *vm_kernel(void) { return &kernel_vm; }
struct vm_space *vm_current(void) { return current_vm; }
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
    PTE_FIELD_AT(cow, VM_PTE_COW);
    PTE_FIELD_AT(frame, (uint32_t)1 << VM_PTE_FRAME_SHIFT);
#undef PTE_FIELD_AT
    e = z;
    e.frame = 0xFFFFFu;
    bad += pte_raw(e) != 0xFFFFF000u;
    struct pde dz = {0}, d = dz;
    d.ps = 1;
    bad += pde_raw(d) != VM_PDE_PS;
    d = dz;
    d.dirty = 1;
    bad += pde_raw(d) != VM_PTE_D;
    d = dz;
    d.global = 1;
    bad += pde_raw(d) != VM_PTE_G;
    d = dz;
    d.owned = 1;
    bad += pde_raw(d) != VM_PDE_OWNED;
    d = dz;
    d.table = 0xFFFFFu;
    bad += pde_raw(d) != 0xFFFFF000u;
    return bad;
}

/* ---- tables ---------------------------------------------------------------- */

static bool bit_get(const uint32_t *bits, unsigned i) { return (bits[i / 32] >> (i % 32)) & 1u; }
static void bit_set(uint32_t *bits, unsigned i, bool v)
{
    if (v)
        bits[i / 32] |= (uint32_t)1 << (i % 32);
    else
        bits[i / 32] &= ~((uint32_t)1 << (i % 32));
}

/* The kernel heap and the boot frames are identity-mapped RAM. */
static uintptr_t virt_to_phys(const void *p)
{
    HL_ASSERT((uintptr_t)p < VM_IDENTITY_TOP);
    return (uintptr_t)p;
}

static bool frame_zeroed(uintptr_t *pa)
{
    if (!frames_alloc(pa))
        return false;
    hl_memset(phys_to_virt(*pa), 0, VM_PAGE_BYTES);
    return true;
}

/* A zeroed page table: from the kernel heap once vm_init is done (and
 * the heap is up), else a boot frame; *from_heap says which. */
static struct page_table *table_alloc(bool *from_heap)
{
    struct page_table *t;
    *from_heap = booted && kheap_ready();
    if (*from_heap) {
        t = kheap_alloc(sizeof *t, sizeof *t);
        if (!t)
            return NULL;
    } else {
        uintptr_t pa;
        if (!frames_alloc(&pa))
            return NULL;
        t = phys_to_virt(pa);
    }
    hl_memset(t, 0, sizeof *t);
    return t;
}

static void table_free(struct page_table *t, bool from_heap)
{
    if (from_heap)
        kheap_free(t, sizeof *t, sizeof *t);
    else
        frames_free(virt_to_phys(t));
}

static bool pde_is_huge(struct pde d) { return d.present && d.ps; }

bool vm_ensure_table(struct vm_space *vm, uintptr_t va)
{
    unsigned i = pd_index(va);
    if (vm->tables[i])
        return true;
    if (pde_is_huge(vm->dir->entries[i]))
        return false; /* a 4 MiB page is mapped here: never shadow it */
    bool from_heap;
    struct page_table *t = table_alloc(&from_heap);
    if (!t)
        return false;
    struct pde d = {0};
    d.present = 1;
    d.rw = 1;
    d.user = 1; /* rights are decided per page, in the PTEs */
    d.table = (uint32_t)(virt_to_phys(t) >> VM_PTE_FRAME_SHIFT);
    vm->tables[i] = t;
    bit_set(vm->heap_tables, i, from_heap);
    vm->dir->entries[i] = d;
    vm->table_frames++;
    return true;
}

/* Drop table i if it maps nothing (a 4 MiB page is about to take its
 * place); false if it still maps a page or is borrowed. */
static bool drop_empty_table(struct vm_space *vm, unsigned i)
{
    struct page_table *t = vm->tables[i];
    if (!t)
        return true;
    if (bit_get(vm->borrowed, i))
        return false;
    for (unsigned k = 0; k < VM_ENTRIES; k++)
        if (t->entries[k].present)
            return false;
    vm->dir->entries[i] = (struct pde){0};
    vm->tables[i] = NULL;
    x86_invlpg((uintptr_t)i * VM_PDE_SPAN_BYTES); /* paging-structure caches */
    table_free(t, bit_get(vm->heap_tables, i));
    bit_set(vm->heap_tables, i, false);
    vm->table_frames--;
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

bool vm_map_huge(struct vm_space *vm, uintptr_t va, uintptr_t pa, unsigned flags)
{
    HL_ASSERT(HL_IS_ALIGNED(va, VM_PDE_SPAN_BYTES) && HL_IS_ALIGNED(pa, VM_PDE_SPAN_BYTES));
    unsigned i = pd_index(va);
    if (!have_pse || !drop_empty_table(vm, i))
        return false;
    struct pde d = {0};
    d.present = 1;
    d.ps = 1;
    d.rw = (flags & VM_WRITE) != 0;
    d.user = (flags & VM_USER) != 0;
    d.pwt = d.pcd = (flags & VM_UNCACHED) != 0;
    d.owned = (flags & VM_OWNED) != 0;
    d.table = (uint32_t)(pa >> VM_PTE_FRAME_SHIFT);
    vm->dir->entries[i] = d;
    x86_invlpg(va); /* invalidates the whole 4 MiB TLB entry */
    return true;
}

bool vm_unmap(struct vm_space *vm, uintptr_t va)
{
    unsigned i = pd_index(va);
    struct pde d = vm->dir->entries[i];
    if (pde_is_huge(d)) {
        if (!HL_IS_ALIGNED(va, VM_PDE_SPAN_BYTES))
            return false; /* no splitting of a 4 MiB page */
        vm->dir->entries[i] = (struct pde){0};
        x86_invlpg(va);
        if (d.owned)
            frames_huge_free((uintptr_t)d.table << VM_PTE_FRAME_SHIFT);
        return true;
    }
    struct pte *e = vm_pte(vm, va);
    if (!e || !e->present)
        return false;
    uintptr_t pa = (uintptr_t)e->frame << VM_PTE_FRAME_SHIFT;
    bool owned = e->owned;
    *e = (struct pte){0};
    x86_invlpg(va);
    if (owned)
        frames_ref_put(pa); /* frees it unless another space shares it */
    return true;
}

bool vm_walk(const struct vm_space *vm, uintptr_t va, struct vm_mapping *out)
{
    struct pde d = vm->dir->entries[pd_index(va)];
    if (pde_is_huge(d)) {
        out->page_pa = (uintptr_t)d.table << VM_PTE_FRAME_SHIFT;
        out->page_bytes = VM_PDE_SPAN_BYTES;
        out->writable = d.rw;
        out->user = d.user;
        out->owned = d.owned;
        out->cow = false;
        out->huge = true;
    } else {
        const struct pte *e = vm_pte(vm, va);
        if (!e || !e->present)
            return false;
        out->page_pa = (uintptr_t)e->frame << VM_PTE_FRAME_SHIFT;
        out->page_bytes = VM_PAGE_BYTES;
        out->writable = e->rw;
        out->user = e->user;
        out->owned = e->owned;
        out->cow = e->cow;
        out->huge = false;
    }
    out->pa = out->page_pa + va % out->page_bytes;
    return true;
}

bool vm_translate(const struct vm_space *vm, uintptr_t va, uintptr_t *pa)
{
    struct vm_mapping m;
    if (!vm_walk(vm, va, &m))
        return false;
    *pa = m.pa;
    return true;
}

void vm_switch(struct vm_space *vm)
{
    current_vm = vm;
    x86_write_cr3(vm->dir_phys);
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
     * pages were writable by the kernel without it: erratum K5 in
     * docs/kernel.md).  Copy-on-write relies on it: a ring-0 write to a
     * cow page must fault. */
    x86_write_cr0(x86_read_cr0() | X86_CR0_PG | X86_CR0_WP);
    booted = true;
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
    unsigned flags;   /* VM_WRITE, VM_USER, VM_HUGE */
};

static struct demand_range demand[VM_DEMAND_SLOTS];
static uint64_t demand_faults, demand_huge_faults;

uint64_t vm_demand_faults(void) { return demand_faults; }
uint64_t vm_demand_huge_faults(void) { return demand_huge_faults; }

bool vm_demand_add(uintptr_t va, size_t npages, unsigned flags)
{
    bool huge = (flags & VM_HUGE) != 0;
    if (!HL_IS_ALIGNED(va, VM_PAGE_BYTES) || va < VM_IDENTITY_TOP || npages == 0 ||
        npages > (UINTPTR_MAX - va) / VM_PAGE_BYTES + 1)
        return false;
    if (huge && (!have_pse || !HL_IS_ALIGNED(va, VM_PDE_SPAN_BYTES) || npages % VM_ENTRIES != 0))
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
    for (uintptr_t t = HL_ALIGN_DOWN(va, VM_PDE_SPAN_BYTES); !huge; t += VM_PDE_SPAN_BYTES) {
        if (!vm_ensure_table(&kernel_vm, t))
            return false;
        if (hi_last - t < VM_PDE_SPAN_BYTES)
            break;
    }
    slot->lo = va;
    slot->hi = hi_last + VM_PAGE_BYTES; /* 0 only if the range ends at 4 GiB */
    slot->flags = flags & (VM_WRITE | VM_USER | VM_HUGE);
    return slot->hi != 0;
}

size_t vm_demand_release(uintptr_t va)
{
    for (unsigned i = 0; i < VM_DEMAND_SLOTS; i++) {
        struct demand_range *d = &demand[i];
        if (d->hi == 0 || d->lo != va)
            continue;
        size_t n = 0;
        if (d->flags & VM_HUGE) {
            for (uintptr_t p = d->lo; p < d->hi; p += VM_PDE_SPAN_BYTES)
                n += vm_unmap(&kernel_vm, p) ? VM_ENTRIES : 0;
        } else {
            for (uintptr_t p = d->lo; p < d->hi; p += VM_PAGE_BYTES)
                n += vm_unmap(&kernel_vm, p);
        }
        d->lo = d->hi = 0;
        return n;
    }
    return 0;
}

/* A first touch at cr2 inside demand range d: map a zeroed frame (or a
 * zeroed huge frame). */
static bool demand_fault(const struct demand_range *d, uintptr_t cr2)
{
    unsigned flags = (d->flags & (VM_WRITE | VM_USER)) | VM_OWNED;
    uintptr_t pa;
    if (d->flags & VM_HUGE) {
        if (!frames_huge_alloc(&pa)) {
            con_printf("@HL error,oom,demand paging found no free 4 MiB frame for "
                       "0x%08x (%llu huge demand faults so far; raise hugepool_mib=)\n",
                       (unsigned)cr2, demand_huge_faults);
            return false;
        }
        hl_memset(phys_to_virt(pa), 0, VM_PDE_SPAN_BYTES);
        if (!vm_map_huge(&kernel_vm, HL_ALIGN_DOWN(cr2, VM_PDE_SPAN_BYTES), pa, flags)) {
            frames_huge_free(pa);
            return false;
        }
        demand_huge_faults++;
        demand_faults++;
        return true;
    }
    if (!frame_zeroed(&pa)) {
        /* Out of memory: fatal, but say so plainly (the host turns
         * this line into the reason of the cell's failed rows). */
        con_printf("@HL error,oom,demand paging found no free frame for "
                   "0x%08x (%llu demand faults so far; give QEMU more -m)\n",
                   (unsigned)cr2, demand_faults);
        return false;
    }
    if (!vm_map(&kernel_vm, HL_ALIGN_DOWN(cr2, VM_PAGE_BYTES), pa, flags)) {
        frames_free(pa);
        return false;
    }
    demand_faults++;
    return true;
}

/* ---- copy-on-write ----------------------------------------------------------------- */

static struct vm_cow_stats cow;

void vm_cow_stats(struct vm_cow_stats *out) { *out = cow; }

static bool in_window(const struct vm_space *vm, unsigned i)
{
    uintptr_t va = (uintptr_t)i * VM_PDE_SPAN_BYTES;
    return va >= vm->cow_lo && va < vm->cow_hi;
}

/* A write at cr2 hit a present page of the current space: resolve it if
 * the page is cow. */
static bool cow_fault(uintptr_t cr2, bool user)
{
    struct vm_space *vm = current_vm;
    uintptr_t va = HL_ALIGN_DOWN(cr2, VM_PAGE_BYTES);
    struct pte *e = vm_pte(vm, va);
    if (!e || !e->present || !e->cow || (user && !e->user))
        return false;
    uintptr_t old = (uintptr_t)e->frame << VM_PTE_FRAME_SHIFT;
    struct pte n = *e;
    n.cow = 0;
    n.rw = 1;
    n.dirty = n.accessed = 0;
    if (frames_refs(old) == 1) {
        cow.takes++; /* the last one holding it: no copy needed */
    } else {
        uintptr_t fresh;
        if (!frames_alloc(&fresh)) {
            con_printf("@HL error,oom,copy-on-write found no free frame for 0x%08x\n",
                       (unsigned)cr2);
            return false;
        }
        hl_memcpy(phys_to_virt(fresh), phys_to_virt(old), VM_PAGE_BYTES);
        n.frame = (uint32_t)(fresh >> VM_PTE_FRAME_SHIFT);
        frames_ref_put(old); /* never the last: the count was >= 2 */
        cow.copies++;
    }
    *e = n;
    x86_invlpg(va);
    cow.faults++;
    return true;
}

/* Clone table i of src into dst (own table): share owned frames, make
 * writable ones cow in both.  false (dst's table holds what was done so
 * far, with its references) when a count cannot be had. */
static bool clone_table(struct vm_space *dst, struct vm_space *src, unsigned i)
{
    if (!src->tables[i])
        return true;
    uintptr_t base = (uintptr_t)i * VM_PDE_SPAN_BYTES;
    if (!vm_ensure_table(dst, base))
        return false;
    struct page_table *dt = dst->tables[i];
    for (unsigned k = 0; k < VM_ENTRIES; k++) {
        struct pte *se = &src->tables[i]->entries[k];
        if (!se->present)
            continue;
        if (se->owned) {
            if (!frames_ref_get((uintptr_t)se->frame << VM_PTE_FRAME_SHIFT))
                return false;
            if (se->rw) {
                se->rw = 0;
                se->cow = 1;
            }
        }
        dt->entries[k] = *se;
    }
    return true;
}

struct vm_space *vm_clone(struct vm_space *src, uintptr_t lo, uintptr_t hi)
{
    HL_ASSERT(src->cow_hi == 0 && lo < hi && lo >= VM_IDENTITY_TOP);
    HL_ASSERT(HL_IS_ALIGNED(lo, VM_PDE_SPAN_BYTES) && HL_IS_ALIGNED(hi, VM_PDE_SPAN_BYTES));
    for (uintptr_t va = lo; va < hi && va != 0; va += VM_PDE_SPAN_BYTES)
        if (pde_is_huge(src->dir->entries[pd_index(va)]))
            return NULL;
    struct vm_space *vm = kheap_alloc(sizeof *vm, 0);
    struct page_dir *dir = kheap_alloc(sizeof *dir, sizeof *dir);
    if (!vm || !dir) {
        kheap_free(vm, sizeof *vm, 0);
        kheap_free(dir, sizeof *dir, sizeof *dir);
        return NULL;
    }
    hl_memset(vm, 0, sizeof *vm);
    hl_memset(dir, 0, sizeof *dir);
    vm->dir = dir;
    vm->dir_phys = virt_to_phys(dir);
    vm->table_frames = 1;
    vm->cow_lo = lo;
    vm->cow_hi = hi;
    bool ok = true;
    for (unsigned i = 0; i < VM_ENTRIES; i++) {
        if (!in_window(vm, i)) {
            dir->entries[i] = src->dir->entries[i];
            vm->tables[i] = src->tables[i];
            bit_set(vm->borrowed, i, true);
        } else if (ok) {
            ok = clone_table(vm, src, i);
        }
    }
    /* src's writable pages just became read-only: its TLB must forget
     * them (one CR3 reload instead of an invlpg per page). */
    if (src == current_vm)
        x86_write_cr3(src->dir_phys);
    if (!ok) {
        vm_destroy(vm); /* drops the references taken; src keeps cow bits,
                           which a write then resolves by taking */
        return NULL;
    }
    return vm;
}

void vm_destroy(struct vm_space *vm)
{
    HL_ASSERT(vm != &kernel_vm && vm != current_vm && vm->cow_hi != 0);
    for (unsigned i = 0; i < VM_ENTRIES; i++) {
        struct page_table *t = vm->tables[i];
        if (!t || bit_get(vm->borrowed, i))
            continue;
        for (unsigned k = 0; k < VM_ENTRIES; k++) {
            struct pte e = t->entries[k];
            if (e.present && e.owned)
                frames_ref_put((uintptr_t)e.frame << VM_PTE_FRAME_SHIFT);
        }
        table_free(t, bit_get(vm->heap_tables, i));
    }
    kheap_free(vm->dir, sizeof *vm->dir, sizeof *vm->dir);
    kheap_free(vm, sizeof *vm, 0);
}

/* ---- the #PF hook ----------------------------------------------------------------- */

bool vm_page_fault(uintptr_t cr2, uint32_t err)
{
    struct pf_decoded pf = pf_decode(err);
    if (pf.rsvd)
        return false;
    if (pf.present)
        return pf.write && cow_fault(cr2, pf.user);
    if (current_vm != &kernel_vm)
        return false; /* demand ranges belong to the kernel's space */
    for (unsigned i = 0; i < VM_DEMAND_SLOTS; i++) {
        const struct demand_range *d = &demand[i];
        if (d->hi == 0 || cr2 < d->lo || cr2 >= d->hi)
            continue;
        if (pf.user && !(d->flags & VM_USER))
            return false;
        return demand_fault(d, cr2);
    }
    return false;
}
