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
#include "kernel_port/kheap.h"
#include "kernel_port/multiboot.h"
#include "kernel_port/paging.h"
#include "kernel_port/selftest.h"
#include "kernel_port/serial.h"
#include "kernel_port/trap.h"

void kernel_main(uint32_t magic, uint32_t mbi_phys);

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

/* A boot option that the kernel cannot run with: one line naming it, and
 * the failure status. */
_Noreturn static void refuse(const char *what, const char *value, const char *why)
{
    con_printf("@HL error,usage,bad value for %s: '%s' (%s)\n", what, value, why);
    kernel_exit(false);
}

/* key=N (decimal, lo..hi) or dflt when absent; refuses anything else. */
static unsigned option_uint(const char *key, unsigned dflt, unsigned lo, unsigned hi)
{
    char v[16];
    if (!kcmd_get(key, v, sizeof v))
        return dflt;
    uint64_t n = 0;
    bool ok = v[0] != '\0';
    for (const char *p = v; *p && ok; p++) {
        ok = *p >= '0' && *p <= '9';
        n = n * 10u + (uint64_t)(*p - '0');
        ok = ok && n <= hi;
    }
    if (!ok || n < lo) {
        char what[24];
        unsigned k = 0;
        for (const char *p = key; *p && k + 2 < sizeof what; p++)
            what[k++] = *p;
        what[k++] = '=';
        what[k] = '\0';
        refuse(what, v, "not a whole number in range");
    }
    return (unsigned)n;
}

void kernel_main(uint32_t magic, uint32_t mbi_phys)
{
    serial_init();
    con_puts("\nheaplab i386 kernel\n");
    if (magic != MB_BOOT_MAGIC)
        KPANIC("not started by a multiboot loader (EAX != 0x2BADB002)");
    boot_info_copy(mbi_phys);
    gdt_init();
    idt_init();
    /* The frame layer's huge pool and the kernel heap (docs/kernel.md,
     * "Command line"). */
    unsigned huge_mib = option_uint("hugepool_mib", FRAMES_HUGE_POOL_DEFAULT_MIB, 0, 512);
    unsigned kheap_mib = option_uint("kheap_mib", KHEAP_DEFAULT_MIB, 1, KHEAP_MAX_MIB);
    char kheap_name[32];
    if (!kcmd_get("kheap", kheap_name, sizeof kheap_name))
        hl_memcpy(kheap_name, KHEAP_DEFAULT, sizeof KHEAP_DEFAULT);
    /* The default pool is a wish (a small -m boots without one); an
     * explicit hugepool_mib= that does not fit is refused. */
    char hv[16];
    if (!frames_init((size_t)huge_mib << 20) && kcmd_get("hugepool_mib", hv, sizeof hv))
        refuse("hugepool_mib=", hv, "no room for that many 4 MiB frames above the kernel");
    vm_init();
    char why[96];
    if (!kheap_init(kheap_name, kheap_mib, why, sizeof why))
        refuse("kheap=", kheap_name, why);

    char opt[64];
    if (!kcmd_get("vga", opt, sizeof opt) || !hl_streq(opt, "off")) {
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
    meta_str("kheap", kheap_allocator()->name);
    meta_uint("kheap_base", kheap_arena_base());
    meta_uint("kheap_bytes", kheap_arena_bytes());
    meta_uint("huge_frames", frames_huge_total());
    meta_uint("huge_base", frames_huge_base());

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
