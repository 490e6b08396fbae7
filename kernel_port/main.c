/*
 * main.c — the kernel's boot sequence (docs/kernel.md, "Boot sequence").
 */
#include <stdint.h>

#include "allocators/allocator.h"
#include "allocators/bitmap_seed.h"
#include "allocators/port.h"
#include "kernel_port/bench.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/gdt.h"
#include "kernel_port/kernel.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/paging.h"
#include "kernel_port/selftest.h"
#include "kernel_port/serial.h"
#include "kernel_port/trap.h"

void kernel_main(uint32_t magic, uint32_t mbi_phys);

static bool streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* "@HL meta,key,value" with value as one RFC 4180 field. */
static void meta_str(const char *key, const char *value)
{
    bool quote = false;
    for (const char *p = value; *p; p++)
        if (*p == ',' || *p == '"')
            quote = true;
    con_printf("@HL meta,%s,", key);
    if (quote)
        con_putc('"');
    for (const char *p = value; *p; p++) {
        if (*p == '"')
            con_putc('"');
        con_putc(*p);
    }
    if (quote)
        con_putc('"');
    con_putc('\n');
}

static void meta_uint(const char *key, uint64_t v) { con_printf("@HL meta,%s,%llu\n", key, v); }

void kernel_main(uint32_t magic, uint32_t mbi_phys)
{
    serial_init();
    con_puts("\nheaplab i386 kernel\n");
    if (magic != MB_BOOT_MAGIC)
        KPANIC("not started by a multiboot loader (EAX != 0x2BADB002)");
    boot_info_copy(mbi_phys);
    gdt_init();
    idt_init();
    frames_init();
    vm_init();

    char opt[64];
    if (!kcmd_get("vga", opt, sizeof opt) || !streq(opt, "off")) {
        volatile void *vga = vm_map_device(VGA_TEXT_PHYS, VGA_TEXT_BYTES);
        if (!vga)
            KPANIC("cannot map the VGA text buffer");
        con_attach_vga((volatile uint16_t *)vga);
    }

    struct hl_stats st;
    bmp_seed_stats(frames_allocator(), &st);
    meta_str("kernel", "heaplab-i386");
    meta_str("cmdline", kboot.cmdline);
    meta_uint("check_level", HL_CHECK_LEVEL);
    meta_uint("mem_top_bytes", frames_top());
    meta_uint("frames_total", bmp_seed_nframes(frames_allocator()));
    meta_uint("frames_free", st.free_bytes / 4096u);
    meta_uint("smep", vm_has_smep());
    meta_uint("pse", vm_has_pse());

    /* test=<list>: self-tests; allocators=/workloads=: benchmark cells
     * (bench.h).  Both may be asked for (tests first); neither: a clean
     * boot is success. */
    /* A cut command line may have lost any word: refuse it. */
    if (kboot.cmdline_truncated) {
        con_printf("@HL error,usage,command line longer than %u bytes\n",
                   KBOOT_CMDLINE_BYTES - 1u);
        kernel_exit(false);
    }
    bool ok = true;
    char tests[256];
    if (kcmd_get("test", tests, sizeof tests))
        ok = selftest_run(tests);
    if (ok && bench_requested())
        ok = bench_run();
    kernel_exit(ok);
}
