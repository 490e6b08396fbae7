/*
 * multiboot.h — the parts of the Multiboot v1 specification this kernel
 * uses: the header it carries (boot.S) and the information structure the
 * loader (QEMU's -kernel) hands over in EBX.
 *
 * Layout of the information structure (offsets in bytes; all fields are
 * 32-bit physical addresses or counts):
 *
 *    0 flags         bit 0: mem_*  bit 2: cmdline  bit 3: mods_*  bit 6: mmap_*
 *    4 mem_lower     KiB below 1 MiB
 *    8 mem_upper     KiB above 1 MiB (up to the first hole)
 *   16 cmdline       physical address of a NUL-terminated string
 *   20 mods_count    modules the loader placed in memory (QEMU: -initrd
 *   24 mods_phys     "FILE1,FILE2"); physical address of the first entry
 *   44 mmap_length   bytes of the memory map
 *   48 mmap_addr     physical address of the first entry
 *
 * A module entry is {mod_start, mod_end (exclusive), string, reserved}:
 * the module's bytes [mod_start, mod_end) and a NUL-terminated string
 * (QEMU: the file name and any arguments given after it).  The kernel's
 * header asks for page-aligned modules (MB_HEADER_FLAGS bit 0).
 *
 * A memory map entry is {size, base_addr (64), length (64), type} where
 * `size` does not count itself: the next entry is at entry + size + 4.
 * On i386 a uint64_t in a struct is 4-aligned, so the natural layout is
 * the specified one (asserted below; no packing attribute needed).
 */
#ifndef HEAPLAB_KERNEL_MULTIBOOT_H
#define HEAPLAB_KERNEL_MULTIBOOT_H

#define MB_HEADER_MAGIC 0x1BADB002 /* no suffix: boot.S uses it */
#define MB_HEADER_FLAGS 0x00000003 /* bit 0: page-align modules; bit 1: memory info */
#define MB_BOOT_MAGIC 0x2BADB002u   /* in EAX at entry */
/* The header must lie within the first 8 KiB of the image file. */
#define MB_HEADER_SEARCH_BYTES 8192u

#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)

#define MB_MMAP_AVAILABLE 1u

/* boot.S includes the numbers above; the structures are C only. */
#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower_kib;
    uint32_t mem_upper_kib;
    uint32_t boot_device;
    uint32_t cmdline_phys;
    uint32_t mods_count;
    uint32_t mods_phys;
    uint32_t syms[4];
    uint32_t mmap_bytes;
    uint32_t mmap_phys;
};
_Static_assert(offsetof(struct mb_info, cmdline_phys) == 16, "multiboot info layout");
_Static_assert(offsetof(struct mb_info, mmap_bytes) == 44, "multiboot info layout");
_Static_assert(offsetof(struct mb_info, mmap_phys) == 48, "multiboot info layout");

struct mb_module {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t string_phys;
    uint32_t reserved;
};
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module layout");
_Static_assert(offsetof(struct mb_info, mods_phys) == 24, "multiboot info layout");

struct mb_mmap_entry {
    uint32_t size; /* bytes of this entry after this field */
    uint64_t base_addr;
    uint64_t length_bytes;
    uint32_t type;
};
_Static_assert(offsetof(struct mb_mmap_entry, base_addr) == 4, "multiboot mmap layout");
_Static_assert(offsetof(struct mb_mmap_entry, length_bytes) == 12, "multiboot mmap layout");
_Static_assert(offsetof(struct mb_mmap_entry, type) == 20, "multiboot mmap layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

#endif /* __ASSEMBLER__ */

#endif /* HEAPLAB_KERNEL_MULTIBOOT_H */
