/*
 * cell.h — the protocol between `heaplab run` (the parent) and its cell
 * children (`heaplab --cell ...`, hidden).
 *
 * The parent execs its own binary once per cell:
 *
 *   heaplab --cell ALLOCATOR WORKLOAD PARAMS SEED REPS RUN_ID PU CLOCK SWEEP
 *                  LAUNCH MIN_TICKS ATTEMPTS
 *
 * (ALLOCATOR: its name, or NAME:K=V,... with its parameters (canonical
 * text, allocator.h); the rows' alloc_params is the canonical text of
 * the parameters it ran with, every parameter at its default if none.)
 * (LAUNCH: this child's launch l; its reps are numbered l * REPS ...
 * l * REPS + REPS - 1 and its rows say launch=l.  MIN_TICKS: the BATCH
 * pass repeats the stream until the allocator's timed ticks reach it (0:
 * once; ignored under callgrind).  ATTEMPTS: the most runs of a rep's
 * BATCH pass while it is disturbed: involuntary context switches, CPU
 * migrations or steal time over it.)
 * (SWEEP: the swept parameter's name for a --sweep cell, "-" for none:
 * a sweep cell writes no latency or timeline rows, whose keys could not
 * tell it from the suite cell with the same params.)
 * (PARAMS canonical "k=v,k=v"; PU an OS index, or "none": no binding;
 * CLOCK "tsc", or "instructions": the child runs under valgrind's
 * callgrind, started by the parent as
 *   valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no
 *            --callgrind-out-file=PREFIX.%p heaplab --cell ...
 * with CELL_CALLGRIND_ENV=PREFIX in its environment; each BATCH pass is
 * collected alone and dumped (PREFIX.<pid>.<n>), and the child reads the
 * dump's "totals:" line: instructions executed in the measured stream);
 * or "modelled": the child runs under qemu-x86_64 with the cost plugin,
 *   qemu-x86_64 -plugin heaplab-cost.so,model=M,out=REPORT heaplab --cell ...
 * started with personality(ADDR_NO_RANDOMIZE), and reads no clock: every
 * stream runs once, there is no per-op pass and the rows' figures are
 * zeros the parent replaces with the report's (modelled.h)).
 * The child writes the line protocol the kernel writes too (one
 * formatter, bench/core/proto.h; one reader, bench/host/lineproto.h;
 * docs/kernel.md, "Line protocol"): "@HL " and one RFC 4180 record whose
 * first field is the line's kind.
 *
 *   @HL probe,<key>,<value>  a fact (malloc's object, jemalloc mapped, the
 *                            binding, the timer calibration); first
 *   @HL leak,<row>           leaks.csv rows: the leak detector's report of
 *                            the WARMUP pass (bench/core/leak.h), before
 *                            the first rep's rows
 *   @HL cell,<row>           the cells.csv row of the current rep
 *   @HL lat,<row>            latency.csv rows of the current rep (0 or more)
 *   @HL tl,<row>             timeline.csv rows of the current rep (0 or more)
 *   @HL rep,<rep>            the current rep is complete (its number)
 *   @HL done,ok              every rep delivered
 *
 * The parent (spawn.c, through cellrows.h) keeps a rep's rows until its
 * rep line arrives and only then appends them to the result files (each
 * file: one write() of whole lines), so a child that dies mid-rep leaves
 * no partial rep behind.  Lines not starting with "@HL " (a preloaded
 * library talking on stdout) go to cells.log, as does the child's stderr.
 * Exit status 0 after the done line; 2 for bad arguments.
 */
#ifndef HEAPLAB_CELL_H
#define HEAPLAB_CELL_H

#include <stdbool.h>

/* The hidden subcommand's flag (argv[1]). */
#define CELL_FLAG "--cell"
/* Positional arguments after the flag. */
#define CELL_NARGS 12

/* What the cells rows say about the environment on the host. */
#define CELL_ENV "host"
#define CELL_ACCEL "none"
#define CELL_CLOCK "tsc"
/* The host's other clock: instructions counted by callgrind. */
#define CELL_CLOCK_INSTRUCTIONS "instructions"
/* The modelled clock (modelled.h): the child runs under qemu-x86_64 with
 * the cost plugin, which counts the regions between the runner's
 * markers; the child itself reads no clock (cell.c). */
#define CELL_CLOCK_MODELLED "modelled"
/* Whether a cell under CLOCK simulates caches whose sets follow
 * addresses: "modelled" (the cost plugin), and "instructions" (callgrind,
 * whose cache simulator runs beside the modelled clock).  Such a child
 * runs on a stack aligned to CELL_STACK_ALIGN (cell.c) and is started
 * without ASLR (spawn.c), so its addresses, and its misses, are the same
 * in every folder, environment and run. */
bool cell_clock_pins_layout(const char *clock);

/* The dump prefix for clock=instructions (see above). */
#define CELL_CALLGRIND_ENV "HEAPLAB_CALLGRIND_OUT"

/* Bytes of address space given to every allocator (reserved, untouched
 * until used: MAP_NORESERVE): the kernel's region, 1 GiB
 * (KBENCH_REGION_BYTES) -- and, as in the kernel, 64 MiB in a build with
 * HL_CHECK_LEVEL >= 2 (KBENCH_CHECKED_REGION_BYTES), whose allocators
 * poison the whole region at every init: 1 GiB written and faulted in per
 * rep made a checked build's cells take seconds each, and the two worlds'
 * frame placements now agree in checked builds too.  bench/host/qemu.c
 * asserts the two sizes equal. */
#if HL_CHECK_LEVEL >= 2
#define CELL_REGION_BYTES ((size_t)64 << 20)
#else
#define CELL_REGION_BYTES ((size_t)1 << 30)
#endif
/* A frame stream that needs more (hl_wl_region_bytes) gets it, in steps of
 * CELL_REGION_GRAIN, up to CELL_MAX_REGION_BYTES (mapped MAP_NORESERVE:
 * frame allocators never touch the frames in release builds). */
#define CELL_REGION_GRAIN ((uint64_t)1 << 21)
#define CELL_MAX_REGION_BYTES ((uint64_t)1 << 36)

/* About this many timeline samples per PEROP pass. */
#define CELL_SAMPLE_POINTS 64u

/* Column indexes (COL_*, LAT_*, TL_*) and counts: bench/core/columns.h. */
#include "bench/core/columns.h"

/* The cell child's protocol output, shared by cell.c and vmcell.c
 * (docs/kernel.md, "The line protocol"). */
struct hl_proto_out;
/* o's line (hl_proto_end) to stdout; exit 1 if it did not fit in o. */
void cell_put_line(struct hl_proto_out *o);
/* "@HL done,ok", stdout flushed: the child's exit status (CLI_EXIT_FAIL
 * if stdout failed). */
int cell_put_done(void);
/* "@HL probe,<key>,<value>" (the value quoted if it must be). */
void cell_put_probe(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* HEAPLAB_CELL_H */
