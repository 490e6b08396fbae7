/*
 * selftest_model.c — test=model: the loops of tests/model/strides.c, in
 * i386 assembly, between the cost plugin's markers (docs/model.md).
 * Without the plugin they are plain loads and NOPs; the test only runs
 * them and prints what the plugin must report:
 *
 *   @HL model,expect,REGION,INSTRUCTIONS,LOADS,LINES,PASSES,WHAT
 *
 *   region 1  warmup     one pass over 16 KiB: brings the loop into L1i
 *   region 2  fits-l1    4 passes over 16 KiB (fits any preset's L1d)
 *   region 3  fits-l2    2 passes over 64 KiB (> L1d 32 KiB, < L2)
 *
 * Instructions between the markers: 1 + passes * (4 * lines + 4) (the
 * markers themselves are not counted).  Then three per-op regions (the
 * plugin's hist= file), each op `lines` loads striding 64 bytes between
 * an op-begin and an op-end marker, the pointer running on from op to op:
 *
 *   @HL model,perop,REGION,OPS,INSTRUCTIONS_PER_OP,LOADS_PER_OP,WHAT
 *
 *   per-op 1  warmup   8 ops of 8 lines over 16 KiB: warms the code
 *   per-op 2  fits-l1  32 ops of 8 lines over 16 KiB, warmed: L1d hits
 *   per-op 3  fits-l2  4 ops of 64 lines (a page) from the start of the
 *                      64 KiB buffer, warmed: the first 16 KiB left L1d
 *                      to the last 32 KiB, so every load hits L2
 *
 * Instructions per op: 1 + 4 * lines.  Interrupts are off in the
 * self-tests, so nothing else runs inside a region.
 */
#include "kernel_port/selftest_model.h"

#include <stddef.h>
#include <stdint.h>

#include "allocators/port.h"
#include "bench/core/marker.h"
#include "kernel_port/console.h"

#define SMALL_BYTES (16u * 1024)
#define MID_BYTES (64u * 1024)
#define LINE 64u

static unsigned char small_buf[SMALL_BYTES] __attribute__((aligned(4096)));
static unsigned char mid_buf[MID_BYTES] __attribute__((aligned(4096)));

static void sweep(unsigned char *buf, uint32_t lines, uint32_t passes)
{
    __asm__ __volatile__(
        HL_MARKER_START_ASM
        "mov %[passes], %%edx\n\t"
        "2:\n\t"
        HL_MARKER_OP_ASM
        "mov %[buf], %%esi\n\t"
        "mov %[lines], %%ecx\n\t"
        "1:\n\t"
        "mov (%%esi), %%eax\n\t"
        "add $64, %%esi\n\t"
        "dec %%ecx\n\t"
        "jnz 1b\n\t"
        "dec %%edx\n\t"
        "jnz 2b\n\t"
        HL_MARKER_STOP_ASM
        :
        : [buf] "r"(buf), [lines] "r"(lines), [passes] "r"(passes)
        : "eax", "ecx", "edx", "esi", "cc", "memory");
}

static void region(unsigned no, const char *what, unsigned char *buf, uint32_t bytes,
                   uint32_t passes)
{
    uint32_t lines = bytes / LINE;
    hl_memset(buf, (int)no, bytes); /* warm: outside the region */
    sweep(buf, lines, passes);
    con_printf("@HL model,expect,%u,%u,%u,%u,%u,%s\n", no, 1u + passes * (4u * lines + 4u),
               passes * lines, lines, passes, what);
}

static void perop_sweep(unsigned char *buf, uint32_t lines, uint32_t nops)
{
    __asm__ __volatile__(
        HL_MARKER_START_PEROP_ASM
        "mov %[nops], %%edx\n\t"
        "mov %[buf], %%esi\n\t"
        "2:\n\t"
        HL_MARKER_OP_BEGIN_ASM
        "mov %[lines], %%ecx\n\t"
        "1:\n\t"
        "mov (%%esi), %%eax\n\t"
        "add $64, %%esi\n\t"
        "dec %%ecx\n\t"
        "jnz 1b\n\t"
        HL_MARKER_OP_END_ASM
        "dec %%edx\n\t"
        "jnz 2b\n\t"
        HL_MARKER_STOP_ASM
        :
        : [buf] "r"(buf), [lines] "r"(lines), [nops] "r"(nops)
        : "eax", "ecx", "edx", "esi", "cc", "memory");
}

static void perop_region(unsigned no, const char *what, unsigned char *buf, uint32_t bytes,
                         uint32_t lines, uint32_t nops)
{
    hl_memset(buf, (int)no, bytes); /* warm: outside the region */
    perop_sweep(buf, lines, nops);
    con_printf("@HL model,perop,%u,%u,%u,%u,%s\n", no, nops, 1u + 4u * lines, lines, what);
}

void selftest_model(void)
{
    region(1, "warmup", small_buf, SMALL_BYTES, 1);
    region(2, "fits-l1", small_buf, SMALL_BYTES, 4);
    region(3, "fits-l2", mid_buf, MID_BYTES, 2);
    perop_region(1, "warmup", small_buf, SMALL_BYTES, 8, 8);
    perop_region(2, "fits-l1", small_buf, SMALL_BYTES, 8, SMALL_BYTES / LINE / 8);
    perop_region(3, "fits-l2", mid_buf, MID_BYTES, 4096 / LINE, 4);
}
