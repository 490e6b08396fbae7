/*
 * kernel.h — what every part of the i386 kernel shares: the image's
 * linker symbols, the boot information copied out of the multiboot
 * structure, the command line, and how the kernel ends QEMU.
 */
#ifndef HEAPLAB_KERNEL_KERNEL_H
#define HEAPLAB_KERNEL_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- the image (kernel_port/linker.ld) -------------------------------------
 * Every boundary is 4096-aligned so each part gets its own page rights. */
extern char kernel_image_start[]; /* physical 1 MiB: .text starts here */
extern char kernel_ro_end[];      /* end of .text + .rodata (read-only) */
extern char user_text_start[];    /* .user_text: ring-3 test stubs */
extern char user_text_end[];
extern char kernel_rw_start[];    /* .data + .bss (read/write) */
extern char kernel_image_end[];

/* ---- boot information -------------------------------------------------------
 * Copied out of the loader's multiboot structure before anything else
 * touches low memory (the frame allocator's bitmap lives there). */
#define KBOOT_CMDLINE_BYTES 4096u
#define KBOOT_MAX_RANGES 32u
#define KBOOT_MAX_MODULES 8u
#define KBOOT_MODULE_NAME_BYTES 256u

/* A multiboot module (QEMU -initrd): bytes the loader placed in RAM,
 * identity-mapped once paging is on, reserved from the frame allocator.
 * The bench reads recorded traces from them (bench.c). */
struct boot_module {
    uintptr_t start_phys;
    size_t bytes;
    char name[KBOOT_MODULE_NAME_BYTES]; /* the loader's string, cut to fit */
};

struct phys_range {
    uint64_t base_addr;
    uint64_t length_bytes;
    uint32_t type; /* multiboot memory type: 1 available, else reserved */
};

struct boot_info {
    char cmdline[KBOOT_CMDLINE_BYTES];
    struct phys_range ranges[KBOOT_MAX_RANGES];
    unsigned nranges;
    bool ranges_truncated; /* the map had more entries than fit */
    bool cmdline_truncated;
    struct boot_module modules[KBOOT_MAX_MODULES];
    unsigned nmodules;
    bool modules_truncated; /* the loader gave more than fit */
};

extern struct boot_info kboot;

/* Fill kboot from the multiboot structure at mbi_phys.  Without a memory
 * map, fall back to mem_lower/mem_upper.  pre: paging is off. */
void boot_info_copy(uint32_t mbi_phys);

/* ---- command line -------------------------------------------------------------
 * Space-separated key=value words; words without '=' (QEMU puts the
 * kernel's file name first) are ignored.  Later words win. */

/* Copy the value of key into out (NUL-terminated, truncated to bytes - 1);
 * false if key is absent.  pre: bytes >= 1. */
bool kcmd_get(const char *key, char *out, size_t bytes);
/* The n-th (0, 1, ...) word "key=value" of the command line, in order:
 * *value points into kboot.cmdline (not NUL-terminated), *len is its
 * length.  false if there are fewer than n + 1 such words.  For keys that
 * may be given more than once (params=). */
bool kcmd_find(const char *key, unsigned n, const char **value, size_t *len);
/* Does the comma-separated list `list` contain `item`? ("all" does not
 * match everything here; callers decide what "all" means.) */
bool kcmd_list_has(const char *list, const char *item);

/* ---- exit ------------------------------------------------------------------------
 * isa-debug-exit at I/O port 0xF4: QEMU exits with (value << 1) | 1.
 * 0x10 -> 33 and 0x11 -> 35 cannot be confused with QEMU's own failure
 * status 1 or a timeout's 124. */
#define KEXIT_PORT 0xF4u
#define KEXIT_SUCCESS 0x10u
#define KEXIT_FAILURE 0x11u

/* Print "@HL done,<ok|fail>", then leave QEMU with the status; halts if
 * no isa-debug-exit device is present. */
_Noreturn void kernel_exit(bool ok);

/* hl_panic's body, for the kernel's own fatal errors too. */
_Noreturn void kernel_panic(const char *file, int line, const char *msg);

/* hl_report() calls since boot (each also printed as "@HL report,..."). */
size_t kernel_reports(void);

#define KPANIC(msg) kernel_panic(__FILE__, __LINE__, (msg))

#endif /* HEAPLAB_KERNEL_KERNEL_H */
