/*
 * clock.h — the time-stamp counter, fenced, for x86-64 and i386 alike.
 *
 *   start: lfence; rdtsc         — earlier instructions have completed
 *   stop:  lfence; rdtsc; lfence — the measured ones have completed, and
 *                                  later ones have not started
 * (the SDM's note on RDTSC ordering: LFENCE before RDTSC waits for every
 * earlier instruction, LFENCE after it holds back later ones.  Intel's
 * "How to Benchmark Code Execution Times" (2010) stops with RDTSCP; we do
 * not: some VMs' CPUID hides RDTSCP — this one's does — and valgrind then
 * refuses the instruction, which the instructions clock runs under.)  What a delta means depends on where it runs:
 * host cycles of the invariant TSC; under QEMU -icount shift=0, exactly
 * the guest instructions executed; under TCG without icount, host time of
 * the emulation.  The harness records which in the CSV's `clock` column.
 */
#ifndef HEAPLAB_CLOCK_H
#define HEAPLAB_CLOCK_H

#include <stdint.h>

static inline uint64_t hl_clock_start(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t hl_clock_stop(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence"
                         : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif /* HEAPLAB_CLOCK_H */
