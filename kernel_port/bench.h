/*
 * bench.h — benchmark cells inside the i386 kernel: the same plan, the
 * same passes and the same CSV rows as the host's `heaplab run` cell
 * children (bench/host/run.c plans, bench/host/cell.c runs), printed as
 * "@HL " protocol lines on COM1 (docs/kernel.md, "Benchmark cells").
 *
 * Command line (QEMU -append; space-separated words, no spaces inside a
 * value; a later word wins except for params=, which accumulates):
 *
 *   allocators=a,b      registry names (default, or "all": every one)
 *   workloads=w,x       workload names (default, or "all": every one);
 *                       trace:NAME: the trace in the multiboot module
 *                       named NAME.hltrace (QEMU -initrd; bench.c)
 *   reps=N ops=N seed=S as `heaplab run --reps/--ops/--seed`
 *   params=W:k=v,k=v    as `--params W:k=v,k=v`, repeatable, in order
 *   run_id=ID accel=A clock=C   copied into every row (the host passes
 *                       what it launched: accel=tcg|kvm,
 *                       clock=icount|tsc-tcg|tsc-kvm); clock=modelled
 *                       runs and labels the cell as clock=icount, but
 *                       with PEROP's modelled variant (op markers for
 *                       the cost plugin's hist= file, docs/model.md)
 *   region_mib=N        the region each allocator gets, MiB, 1..1024
 *                       (default: the host's CELL_REGION_BYTES, 1024;
 *                       64 in a checked build, see below)
 *
 * Cells run when allocators= or workloads= is present.  Plan: every
 * workload in order, its params = defaults, then hl_wl_scale_ops(ops),
 * then every params= for it; then every allocator of its family.
 *
 * Memory of a cell (paging.h):
 *   VM_CELL_BASE    region_bytes, demand-paged: what a->init gets
 *   VM_DEMAND_BASE  the workspace, demand-paged: state | slots | scratch |
 *                   histogram, each piece on its own page
 * Both ranges are released (unmapped, frames freed) after the cell.
 */
#ifndef HEAPLAB_KERNEL_BENCH_H
#define HEAPLAB_KERNEL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* The region every allocator is given: the host's CELL_REGION_BYTES
 * (bench/host/cell.h; bench/host/qemu.c asserts they are equal, in every
 * build). */
#define KBENCH_REGION_BYTES ((size_t)1 << 30)
/* ... except in a build with HL_CHECK_LEVEL >= 2: its allocators poison
 * the whole region at every init, so every page of it is touched (1 GiB
 * of guest RAM, and minutes of TCG per pass).  The host's checked build
 * uses the same smaller region, so frame placements still agree. */
#define KBENCH_CHECKED_REGION_BYTES ((size_t)64 << 20)

/* The longest command line the kernel takes whole (kernel.h's
 * KBOOT_CMDLINE_BYTES - 1; longer ones are refused, not cut). */
#define KBENCH_CMDLINE_MAX 4095u

/* Defaults: those of `heaplab run` (bench/host/run.c). */
#define KBENCH_DEFAULT_REPS 9u
#define KBENCH_DEFAULT_OPS 30000u
#define KBENCH_DEFAULT_SEED 1u

/* Does the command line ask for benchmark cells? */
bool bench_requested(void);

/* Plan and run every cell, printing the protocol lines.  Returns false
 * on a bad command line (after "@HL error,usage,...") or when a cell
 * could not be set up; a cell whose reps have status failed/error still
 * counts as run.  pre: vm_init() ran. */
bool bench_run(void);

#endif /* HEAPLAB_KERNEL_BENCH_H */
