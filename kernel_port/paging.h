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
 *               | self-test scratch            |
 *   0xFFFFFFFF  +------------------------------+
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
    uint32_t avail : 2;    /* 10-11: available to software, 0 */
    uint32_t frame : 20;   /* 12-31: physical address >> 12 */
};
_Static_assert(sizeof(struct pte) == 4, "a PTE is 32 bits");

/*
 * A page-directory entry pointing to a page table (PS = 0):
 *
 *   31            12 11  9  8   7   6   5   4   3   2   1   0
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *  | table (pa>>12) |avail| - |PS | - | A |PCD|PWT|U/S|R/W| P |
 *  +----------------+-----+---+---+---+---+---+---+---+---+---+
 *
 * The CPU ANDs the rights of the PDE and the PTE; PDEs here grant
 * everything (P, R/W, U/S) and each PTE restricts.
 */
struct pde {
    uint32_t present : 1;
    uint32_t rw : 1;
    uint32_t user : 1;
    uint32_t pwt : 1;
    uint32_t pcd : 1;
    uint32_t accessed : 1;
    uint32_t ignored6 : 1;
    uint32_t ps : 1;       /* 7: 1 = this entry maps a 4 MiB page (CR4.PSE) */
    uint32_t ignored8 : 1;
    uint32_t avail : 3;
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
#define VM_PDE_PS 0x080u
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
    size_t table_frames;                      /* frames taken for tables (+1 for dir) */
};

/* Mapping rights (vm_map flags). */
#define VM_WRITE 0x1u    /* R/W = 1 */
#define VM_USER 0x2u     /* U/S = 1 */
#define VM_UNCACHED 0x4u /* PCD = PWT = 1: MMIO */
#define VM_OWNED 0x8u    /* the frame belongs to the mapping: unmap frees it */

/* The kernel's address space (the only one so far). */
struct vm_space *vm_kernel(void);

/* Build the kernel address space and turn paging on: identity map of the
 * usable RAM (kernel .text/.rodata read-only), the user-text alias, then
 * CR3, CR4.PSE and CR4.SMEP where the CPU has them, CR0.PG | CR0.WP.
 * pre: frames_init() ran; interrupts off. */
void vm_init(void);

/* Map the page at va to the frame at pa.  false if no frame is left for a
 * new page table.  Replaces an existing mapping (no frame is freed) and
 * invalidates its TLB entry.  pre: va and pa are 4096-aligned. */
bool vm_map(struct vm_space *vm, uintptr_t va, uintptr_t pa, unsigned flags);
/* Remove the mapping of va (if any), free its frame if it was VM_OWNED;
 * returns whether a mapping was there.  pre: va is 4096-aligned. */
bool vm_unmap(struct vm_space *vm, uintptr_t va);
/* The PTE of va, or NULL when va's directory entry has no table. */
struct pte *vm_pte(const struct vm_space *vm, uintptr_t va);
/* Make sure va's page table exists (allocating a frame if not). */
bool vm_ensure_table(struct vm_space *vm, uintptr_t va);
/* Physical address va maps to; false if not mapped. */
bool vm_translate(const struct vm_space *vm, uintptr_t va, uintptr_t *pa);

/* Map the MMIO range [phys, phys + bytes) uncached (PCD | PWT),
 * supervisor read/write, into the device window; returns the virtual
 * address of phys, or NULL if the window is full or a table cannot be
 * had.  Device mappings are for good. */
volatile void *vm_map_device(uintptr_t phys, size_t bytes);

/* Mark [va, va + npages pages) demand-paged: the first touch of each page
 * faults, and the fault maps a fresh zeroed frame (flags | VM_OWNED).
 * Its page tables are made now, so later frame counts are the pages
 * alone.  false if va is misaligned, below VM_IDENTITY_TOP, overlaps a
 * range, no slot is free or a table cannot be had. */
bool vm_demand_add(uintptr_t va, size_t npages, unsigned flags);
/* Unmap every page of the range that starts at va and free its frames;
 * returns how many pages were mapped; the range is forgotten. */
size_t vm_demand_release(uintptr_t va);
/* Page faults resolved by demand paging since boot. */
uint64_t vm_demand_faults(void);

/* The #PF hook (trap.c): resolve a fault at cr2 with error code err if it
 * is a first touch of a demand page; false for any other fault. */
bool vm_page_fault(uintptr_t cr2, uint32_t err);

/* Is the PTE/PDE bit-field layout the one the comments draw?  Returns the
 * number of fields in the wrong place (0 when right). */
unsigned vm_layout_check(void);

/* Which optional CPU features vm_init turned on. */
bool vm_has_smep(void);
bool vm_has_pse(void);

#endif /* HEAPLAB_KERNEL_PAGING_H */
