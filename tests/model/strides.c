/*
 * strides.c — the known loops behind tests/model/plugin.sh: run under
 * qemu-x86_64 with heaplab-cost.so, two marked regions whose counts are
 * known in advance.
 *
 *   region 1: one pass over the small buffer, only to bring the loop's
 *             code into the L1i (its first run misses it: not checked);
 *   region 2: PASSES_SMALL passes of loads striding 64 bytes over a
 *             16 KiB buffer (fits any preset's L1d), warmed beforehand;
 *   region 3: PASSES_BIG passes over a 1 MiB buffer (more than any
 *             preset's L2, less than its LLC), warmed beforehand.
 *
 * Then three per-op regions (start-per-op .. stop, the plugin's hist=
 * file), each op one run of `lines` loads striding 64 bytes, the pointer
 * running on from op to op:
 *
 *   per-op 1: 8 ops of 8 lines over the small buffer: warms the code;
 *   per-op 2: 32 ops of 8 lines over the 16 KiB buffer, warmed: every op
 *             exactly 1 + 4 * 8 = 33 instructions and 8 L1d hits;
 *   per-op 3: 4 ops of 64 lines (one page each) from the start of the
 *             1 MiB buffer, warmed: each op 257 instructions, 64 loads
 *             that miss L1d and L2 and hit the LLC, one dTLB miss.
 *
 * printed as `perop,REGION,OPS,INSTRUCTIONS_PER_OP,LOADS_PER_OP,WHAT`.
 *
 * Each region is one asm block, so the instructions between its markers
 * are exactly
 *
 *   1 + passes * (4 * lines + 4)
 *
 * (mov passes; per pass: op marker [not counted], mov buf, mov lines,
 * per line: load, add, dec, jnz; then dec, jnz).  The program prints the
 * expectation as `expect,REGION,INSTRUCTIONS,LOADS,LINES,PASSES,WHAT` lines;
 * the script derives the expected misses from LINES and PASSES.
 * Everything before the first marker (loader, libc start, memset) is
 * outside the regions; `strides extra` adds more work outside them;
 * `strides passes=N` makes region 3 longer (overhead measurements).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/core/marker.h"

#define SMALL_BYTES (16u * 1024)
#define BIG_BYTES (1024u * 1024)
#define PASSES_SMALL 4u
#define PASSES_BIG 2u
#define LINE 64u

static unsigned char small_buf[SMALL_BYTES] __attribute__((aligned(4096)));
static unsigned char big_buf[BIG_BYTES] __attribute__((aligned(4096)));

static void sweep(unsigned char *buf, uint64_t lines, uint64_t passes)
{
    __asm__ __volatile__(
        HL_MARKER_START_ASM
        "mov %[passes], %%rdx\n\t"
        "2:\n\t"
        HL_MARKER_OP_ASM
        "mov %[buf], %%rsi\n\t"
        "mov %[lines], %%rcx\n\t"
        "1:\n\t"
        "mov (%%rsi), %%rax\n\t"
        "add $64, %%rsi\n\t"
        "dec %%rcx\n\t"
        "jnz 1b\n\t"
        "dec %%rdx\n\t"
        "jnz 2b\n\t"
        HL_MARKER_STOP_ASM
        :
        : [buf] "r"(buf), [lines] "r"(lines), [passes] "r"(passes)
        : "rax", "rcx", "rdx", "rsi", "cc", "memory");
}

static void run(unsigned region, const char *what, unsigned char *buf,
                uint64_t bytes, uint64_t passes)
{
    uint64_t lines = bytes / LINE;
    memset(buf, (int)region, bytes); /* warm: outside the region */
    sweep(buf, lines, passes);
    printf("expect,%u,%llu,%llu,%llu,%llu,%s\n", region,
           (unsigned long long)(1 + passes * (4 * lines + 4)),
           (unsigned long long)(passes * lines), (unsigned long long)lines,
           (unsigned long long)passes, what);
}

/* nops ops of `lines` loads each, every op between op-begin and op-end
 * inside one per-op region: 1 + 4 * lines instructions per op (mov
 * lines; per line: load, add, dec, jnz). */
static void perop_sweep(unsigned char *buf, uint64_t lines, uint64_t nops)
{
    __asm__ __volatile__(
        HL_MARKER_START_PEROP_ASM
        "mov %[nops], %%rdx\n\t"
        "mov %[buf], %%rsi\n\t"
        "2:\n\t"
        HL_MARKER_OP_BEGIN_ASM
        "mov %[lines], %%rcx\n\t"
        "1:\n\t"
        "mov (%%rsi), %%rax\n\t"
        "add $64, %%rsi\n\t"
        "dec %%rcx\n\t"
        "jnz 1b\n\t"
        HL_MARKER_OP_END_ASM
        "dec %%rdx\n\t"
        "jnz 2b\n\t"
        HL_MARKER_STOP_ASM
        :
        : [buf] "r"(buf), [lines] "r"(lines), [nops] "r"(nops)
        : "rax", "rcx", "rdx", "rsi", "cc", "memory");
}

static void perop_run(unsigned region, const char *what, unsigned char *buf,
                      uint64_t bytes, uint64_t lines, uint64_t nops)
{
    memset(buf, (int)region, bytes); /* warm: outside the region */
    perop_sweep(buf, lines, nops);
    printf("perop,%u,%llu,%llu,%llu,%s\n", region, (unsigned long long)nops,
           (unsigned long long)(1 + 4 * lines), (unsigned long long)lines, what);
}

/* Work outside the regions (argument "extra"): must not change them. */
static unsigned long long outside_work(void)
{
    volatile unsigned long long acc = 0;
    for (unsigned i = 0; i < 100000; i++)
        acc += i * 7u;
    memset(big_buf, 1, BIG_BYTES);
    return acc;
}

int main(int argc, char **argv)
{
    uint64_t passes_big = PASSES_BIG;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "extra") == 0) {
            printf("outside,%llu\n", outside_work());
        } else if (strncmp(argv[i], "passes=", 7) == 0 && argv[i][7] >= '1' &&
                   argv[i][7] <= '9') {
            passes_big = strtoull(argv[i] + 7, NULL, 10); /* overhead runs */
        } else {
            fprintf(stderr, "strides: unknown argument '%s' (extra, passes=N)\n", argv[i]);
            return 2;
        }
    }
    run(1, "warmup", small_buf, SMALL_BYTES, 1);
    run(2, "fits-l1", small_buf, SMALL_BYTES, PASSES_SMALL);
    run(3, "beyond-l2", big_buf, BIG_BYTES, passes_big);
    perop_run(1, "warmup", small_buf, SMALL_BYTES, 8, 8);
    perop_run(2, "fits-l1", small_buf, SMALL_BYTES, 8, SMALL_BYTES / LINE / 8);
    perop_run(3, "llc", big_buf, BIG_BYTES, 4096 / LINE, 4);
    return 0;
}
