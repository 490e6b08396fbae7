/*
 * paging.h — 32-bit two-level paging (no PAE): the entry formats, the
 * tables, the kernel's address space, protection, demand paging and
 * device mapping.
 *
 * Virtual memory map (docs/kernel.md has the physical one):
 *
 *   0x00000000  +------------------------------+
 *               | unmapped: null-pointer guard |  (one page)
 *   0x00001000  +------------------------------+
 *               | identity map of usable RAM   |  supervisor; the kernel
 *               | (multiboot "available" only, |  image's .text/.rodata and
 *               |  below VM_IDENTITY_TOP)      |  .user_text read-only
 *   0x40000000  +------------------------------+  VM_USER_BASE
 *               | user window (U=1): test code |
 *               | alias, stack, data pages     |
 *   0x80000000  +------------------------------+  VM_CELL_BASE
 *               | a benchmark cell's region    |  demand-paged (bench.c):
 *               | (1 GiB, like the host's)     |  what the allocator gets
 *   0xC0000000  +------------------------------+  VM_DEMAND_BASE
 *               | demand-paged ranges          |  mapped on first touch
 *               | (a cell's workspace: state,  |
 *               |  slots, scratch, histogram)  |
 *   0xE0000000  +------------------------------+  VM_DEVICE_BASE
 *               | device window: MMIO, PCD|PWT |  (VGA text buffer first)
 *   0xF0000000  +------------------------------+  VM_SCRATCH_BASE
 *               | self-test scratch (cow window|  0xF4000000 cow, 0xF8000000
 *               |  huge, tlb, kheap pages)     |  huge, 0xFC000000 tlb
 *   0xFFFFFFFF  +------------------------------+
 *
 * Any of the windows above VM_IDENTITY_TOP may hold 4 MiB pages
 * (vm_map_huge, VM_HUGE demand ranges) beside 4 KiB ones, one kind per
 * 4 MiB directory entry.
 *
 * Identity mapping the RAM the kernel manages means a frame's physical
 * address is also where the kernel reads and writes it (page tables too).
 */
#ifndef HEAPLAB_KERNEL_PAGING_H
#define HEAPLAB_KERNEL_PAGING_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define VM_PAGE_BYTES ((uintptr_t)4096)
#define VM_ENTRIES 1024u      /* entries per table and per directory */
#define VM_PDE_SPAN_BYTES ((uintptr_t)4096 * 1024) /* 4 MiB per directory entry */

#define VM_IDENTITY_TOP ((uintptr_t)0x40000000)
#define VM_USER_BASE ((uintptr_t)0x40000000)
#define VM_USER_CODE_VA ((uintptr_t)0x40000000)     /* .user_text alias */
#define VM_USER_STACK_TOP_VA ((uintptr_t)0x40200000) /* one page below it */
#define VM_USER_DATA_VA ((uintptr_t)0x40400000)
#define VM_USER_END ((uintptr_t)0x80000000)
#define VM_CELL_BASE ((uintptr_t)0x80000000)
#define VM_CELL_END ((uintptr_t)0xC0000000)
#define VM_DEMAND_BASE ((uintptr_t)0xC0000000)
#define VM_DEVICE_BASE ((uintptr_t)0xE0000000)
#define VM_SCRATCH_BASE ((uintptr_t)0xF0000000)

/*
 * A page-table entry as the CPU reads it (Intel SDM vol. 3, table 4-6).
 * GCC on i386 allocates bit-fields from bit 0 up, so the fields below
 * are bits 0..31 in order (vm_layout_check() proves each at run time):
 *
 *   31            12 11  9  8   7   6   5   4   3   2   1   0
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *  | frame (pa>>12) |avail| G |PAT| D | A |PCD|PWT|U/S|R/W| P |
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *
 * The seed's struct had present, rw, user, then "accessed" and "dirty"
 * at bits 3 and 4 — which are PWT and PCD — and no PAT or G at all
 * (docs/kernel.md, erratum K1).
 */
struct pte {
    uint32_t present : 1;  /* 0 */
    uint32_t rw : 1;       /* 1: writable (by ring 0 too, with CR0.WP) */
    uint32_t user : 1;     /* 2: ring 3 may access */
    uint32_t pwt : 1;      /* 3: write-through */
    uint32_t pcd : 1;      /* 4: cache disabled */
    uint32_t accessed : 1; /* 5: set by the CPU */
    uint32_t dirty : 1;    /* 6: set by the CPU on write */
    uint32_t pat : 1;      /* 7: PAT index bit (0 here) */
    uint32_t global : 1;   /* 8: survives CR3 reload (with CR4.PGE) */
    uint32_t owned : 1;    /* 9 (available to software): unmap frees the frame */
    uint32_t cow : 1;      /* 10 (available to software): copy-on-write: R/W = 0
                              now, a write fault copies or takes the frame */
    uint32_t avail : 1;    /* 11: available to software, 0 */
    uint32_t frame : 20;   /* 12-31: physical address >> 12 */
};
_Static_assert(sizeof(struct pte) == 4, "a PTE is 32 bits");

/*
 * A page-directory entry pointing to a page table (PS = 0), or mapping a
 * 4 MiB page itself (PS = 1, with CR4.PSE; Intel SDM vol. 3, table 4-4):
 *
 *   31            12 11  9  8   7   6   5   4   3   2   1   0
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *  | table (pa>>12) |avail| - |PS | - | A |PCD|PWT|U/S|R/W| P |  PS = 0
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *  |pa>>22|rsvd|PAT |avail| G |PS | D | A |PCD|PWT|U/S|R/W| P |  PS = 1
 *  +------+----+----+-----+---+---+---+---+---+---+---+---+---+
 *   31  22 21 13  12
 *
 * In a 4 MiB entry bits 13-20 are the physical address bits 32-39
 * (PSE-36, 0 here) and bit 21 is reserved (the `protect` test sets it on
 * purpose); `table` then holds pa >> 12 of a 4 MiB-aligned pa, so bits
 * 12-21 are 0.  The CPU ANDs the rights of the PDE and the PTE; PDEs of
 * tables grant everything (P, R/W, U/S) and each PTE restricts.
 */
struct pde {
    uint32_t present : 1;
    uint32_t rw : 1;
    uint32_t user : 1;
    uint32_t pwt : 1;
    uint32_t pcd : 1;
    uint32_t accessed : 1;
    uint32_t dirty : 1;    /* 6: PS = 1 only: set by the CPU on write */
    uint32_t ps : 1;       /* 7: 1 = this entry maps a 4 MiB page (CR4.PSE) */
    uint32_t global : 1;   /* 8: PS = 1 only */
    uint32_t owned : 1;    /* 9 (software), PS = 1: unmap frees the huge frame */
    uint32_t avail : 2;
    uint32_t table : 20;   /* physical address of the page table >> 12 */
};
_Static_assert(sizeof(struct pde) == 4, "a PDE is 32 bits");

/* Raw bit masks of the same entries, for code that builds whole words. */
#define VM_PTE_P 0x001u
#define VM_PTE_RW 0x002u
#define VM_PTE_US 0x004u
#define VM_PTE_PWT 0x008u
#define VM_PTE_PCD 0x010u
#define VM_PTE_A 0x020u
#define VM_PTE_D 0x040u
#define VM_PTE_PAT 0x080u
#define VM_PTE_G 0x100u
#define VM_PTE_OWNED 0x200u
#define VM_PTE_COW 0x400u
#define VM_PDE_PS 0x080u
#define VM_PDE_OWNED 0x200u
#define VM_PTE_FRAME_SHIFT 12u

/* A page table and a page directory: exactly one 4 KiB page each, the
 * page the CPU walks — nothing else may live in it. */
struct page_table {
    alignas(4096) struct pte entries[VM_ENTRIES];
};
struct page_dir {
    alignas(4096) struct pde entries[VM_ENTRIES];
};
_Static_assert(sizeof(struct page_table) == 4096, "a page table is one page");
_Static_assert(sizeof(struct page_dir) == 4096, "a page directory is one page");
_Static_assert(_Alignof(struct page_dir) == 4096, "CR3 needs a 4096-aligned directory");

/*
 * An address space.  The CPU needs PHYSICAL addresses: CR3 holds the
 * directory's, each PDE a table's.  The kernel needs VIRTUAL addresses to
 * edit them.  So the hardware pages (dir, tables) hold only what the CPU
 * reads, and the kernel's pointers live beside them here, in kernel
 * memory the CPU never walks.  (The seed put a virtual array, a
 * "physical" array and the physical address into one struct, so the page
 * CR3 points to was not one clean page of PDEs: erratum K2.)
 */
struct vm_space {
    struct page_dir *dir;                     /* virtual: where the kernel edits it */
    uintptr_t dir_phys;                       /* physical: what CR3 holds */
    struct page_table *tables[VM_ENTRIES];    /* virtual address of table i, or NULL */
    size_t table_frames;                      /* tables this space made (+1 for dir) */
    uint32_t heap_tables[VM_ENTRIES / 32];    /* bit i: tables[i] is from the kernel
                                                 heap (else a boot frame) */
    uint32_t borrowed[VM_ENTRIES / 32];       /* bit i: entry i is the parent's (a
                                                 clone outside its window) */
    uintptr_t cow_lo, cow_hi;                 /* a clone's window, else 0, 0 */
};

/*
 * Where va is mapped, as vm_walk finds it (4 KiB or 4 MiB page).
 */
struct vm_mapping {
    uintptr_t pa;         /* physical address of va itself */
    uintptr_t page_pa;    /* the page's (or huge page's) first byte */
    uintptr_t page_bytes; /* VM_PAGE_BYTES or VM_PDE_SPAN_BYTES */
    bool writable, user, owned, cow, huge;
};

/* Mapping rights (vm_map flags). */
#define VM_WRITE 0x1u    /* R/W = 1 */
#define VM_USER 0x2u     /* U/S = 1 */
#define VM_UNCACHED 0x4u /* PCD = PWT = 1: MMIO */
#define VM_OWNED 0x8u    /* the frame belongs to the mapping: unmap frees it */
#define VM_HUGE 0x10u    /* vm_demand_add: 4 MiB pages (huge frames, PSE) */

/* The kernel's address space, and the one CR3 holds now. */
struct vm_space *vm_kernel(void);
struct vm_space *vm_current(void);

/* Build the kernel address space and turn paging on: identity map of the
 * usable RAM (kernel .text/.rodata read-only), the user-text alias, then
 * CR3, CR4.PSE and CR4.SMEP where the CPU has them, CR0.PG | CR0.WP.
 * pre: frames_init() ran; interrupts off. */
void vm_init(void);

/* Map the page at va to the frame at pa.  false if no page table can be
 * had, or va lies in a 4 MiB mapping.  Replaces an existing 4 KiB
 * mapping (no frame is freed) and invalidates its TLB entry (invlpg: the
 * `tlb` self-test fails without it).  pre: va and pa are 4096-aligned. */
bool vm_map(struct vm_space *vm, uintptr_t va, uintptr_t pa, unsigned flags);
/* Map the 4 MiB page at va to the 4 MiB frame at pa with one PDE (PS = 1);
 * flags as vm_map (VM_OWNED: unmap gives pa back to the huge pool).
 * Replaces an existing 4 MiB mapping (no frame is freed) and invalidates
 * it (invlpg: the `tlb` test fails without it); an EMPTY page table there
 * is freed first.  false without PSE, or when va's table still maps a
 * 4 KiB page.  pre: va and pa are 4 MiB-aligned. */
bool vm_map_huge(struct vm_space *vm, uintptr_t va, uintptr_t pa, unsigned flags);
/* Remove the mapping of va (if any) and invalidate it; returns whether a
 * mapping was there.  A 4 KiB page: a VM_OWNED frame loses a reference
 * (frames_ref_put: freed when it was the last).  A 4 MiB page: the whole
 * page goes, va must be its first byte (else false, nothing changes), a
 * VM_OWNED huge frame goes back to the pool.  pre: va is 4096-aligned. */
bool vm_unmap(struct vm_space *vm, uintptr_t va);
/* The PTE of va, or NULL when va's directory entry has no table (not
 * present, or a 4 MiB page). */
struct pte *vm_pte(const struct vm_space *vm, uintptr_t va);
/* Make sure va's page table exists (from the kernel heap once it is up,
 * else a boot frame); false if none can be had or va's directory entry
 * maps a 4 MiB page. */
bool vm_ensure_table(struct vm_space *vm, uintptr_t va);
/* Walk the two levels for va; false if not mapped. */
bool vm_walk(const struct vm_space *vm, uintptr_t va, struct vm_mapping *out);
/* Physical address va maps to (4 KiB or 4 MiB page); false if not mapped. */
bool vm_translate(const struct vm_space *vm, uintptr_t va, uintptr_t *pa);

/* Load vm's directory into CR3 (a full flush of the non-global TLB
 * entries) and make it the current space. */
void vm_switch(struct vm_space *vm);

/*
 * Copy-on-write.  vm_clone(src, lo, hi) makes a second address space:
 * outside the window [lo, hi) (4 MiB-aligned) its directory entries are
 * src's own (the kernel's mappings: identity map, device window, ...;
 * tables borrowed, never freed by the clone); inside, it has tables of
 * its own, with every present page of src copied: a VM_OWNED page shares
 * its frame (one more reference, frames_ref_get), and a writable one
 * becomes read-only + cow in BOTH spaces; a page that is not owned is
 * mapped alike, without a reference.  src's TLB is flushed when it is
 * current (CR3 reload).  NULL (src unchanged) when the kernel heap or a
 * count is short, or the window holds a 4 MiB page.
 * pre: src is not a clone; lo < hi, both 4 MiB-aligned, above
 * VM_IDENTITY_TOP.
 *
 * A write fault on a present cow page (in the current space, ring 0 or
 * a user page from ring 3) is resolved by vm_page_fault: count 1 (the
 * other side copied or left): take the frame, R/W = 1; else copy the
 * 4 KiB to a fresh frame, map it R/W, and drop a reference to the old.
 *
 * vm_destroy frees a clone: its window's pages lose their references,
 * its tables, directory and struct go back to the kernel heap.
 * pre: vm is a clone and not current.
 */
struct vm_space *vm_clone(struct vm_space *src, uintptr_t lo, uintptr_t hi);
void vm_destroy(struct vm_space *vm);

struct vm_cow_stats {
    uint64_t faults; /* write faults resolved as copy-on-write */
    uint64_t copies; /* ... by copying the frame */
    uint64_t takes;  /* ... by taking it (count 1) */
};
void vm_cow_stats(struct vm_cow_stats *out);

/* Map the MMIO range [phys, phys + bytes) uncached (PCD | PWT),
 * supervisor read/write, into the device window; returns the virtual
 * address of phys, or NULL if the window is full or a table cannot be
 * had.  Device mappings are for good. */
volatile void *vm_map_device(uintptr_t phys, size_t bytes);

/* Mark [va, va + npages pages) demand-paged: the first touch of each page
 * faults, and the fault maps a fresh zeroed frame (flags | VM_OWNED).
 * Its page tables are made now, so later frame counts are the pages
 * alone.  With VM_HUGE the range's pages are 4 MiB (va 4 MiB-aligned,
 * npages a multiple of 1024, PSE needed): a first touch maps a zeroed
 * huge frame of the pool (frames.h) with one PDE, and no table is made.
 * false if va is misaligned, below VM_IDENTITY_TOP, overlaps a range, no
 * slot is free or a table cannot be had. */
bool vm_demand_add(uintptr_t va, size_t npages, unsigned flags);
/* Unmap every page of the range that starts at va and free its frames;
 * returns how many 4 KiB pages were mapped (a 4 MiB page counts 1024);
 * the range is forgotten. */
size_t vm_demand_release(uintptr_t va);
/* Page faults resolved by demand paging since boot (4 KiB and 4 MiB). */
uint64_t vm_demand_faults(void);
uint64_t vm_demand_huge_faults(void);

/* The #PF hook (trap.c): resolve a fault at cr2 with error code err if it
 * is a first touch of a demand page or a write to a cow page; false for
 * any other fault. */
bool vm_page_fault(uintptr_t cr2, uint32_t err);

/* Is the PTE/PDE bit-field layout the one the comments draw?  Returns the
 * number of fields in the wrong place (0 when right). */
unsigned vm_layout_check(void);

/* Which optional CPU features vm_init turned on. */
bool vm_has_smep(void);
bool vm_has_pse(void);

#endif /* HEAPLAB_KERNEL_PAGING_H */
