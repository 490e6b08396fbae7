/*
 * replay.h — recorded traces as workloads on the host (`--workloads
 * trace:PATH`; workloads/replay.h is the freestanding workload itself,
 * docs/traces.md "Replay").  PATH is a trace file (compressed or not) or
 * a folder: every *.hltrace* file in it, in name order, one workload
 * each.  Every trace is loaded (decompressed: trace_load) and validated
 * completely before anything runs; a bad one is one line naming the
 * file and the byte offset, exit 2.
 *
 *   parent  replay_expand: the --workloads words "trace:PATH" become
 *           "trace:NAME" (NAME: the file's stem, hl_wl_replay_stem),
 *           which replay_find gives the planner; replay_cell_arg is what
 *           the cell child is told ("trace:" + the file's absolute path),
 *           replay_module what QEMU is given (-initrd: the decompressed
 *           file, written once per run under a temporary folder).
 *   child   replay_open_cell: the trace loaded, validated, its ops copied
 *           into mmap'd memory (no allocator of the process serves the
 *           workload), and the workload made over them.
 */
#ifndef HEAPLAB_HOST_REPLAY_H
#define HEAPLAB_HOST_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads/replay.h"

/* Replace every "trace:PATH" of wls[0..n) by one "trace:NAME" per trace
 * (a folder gives one per file), at most cap words; returns the new n.
 * opt names the option in messages.  Exits 2 on a bad path or trace. */
size_t replay_expand(const char *opt, char **wls, size_t n, size_t cap);

/* The plan's find_workload (plan.h): a trace replay_expand loaded. */
const struct hl_workload *replay_find(void *ctx, const char *name);

/* What a cell child is told of w: "trace:/abs/path" for a trace, else
 * w->name. */
const char *replay_cell_arg(const struct hl_workload *w);

/* The child's side: arg is "trace:PATH".  Exits 2 on a bad trace. */
const struct hl_workload *replay_open_cell(const char *arg);

/* The uncompressed trace file of w for QEMU's -initrd, written under a
 * temporary folder on first use (removed by replay_cleanup); NULL with a
 * one-line reason in why. */
const char *replay_module(const struct hl_workload *w, char *why, size_t cap);

/* The decompressed size of w's trace file in bytes. */
size_t replay_file_bytes(const struct hl_workload *w);

/* Remove what replay_module wrote. */
void replay_cleanup(void);

#endif /* HEAPLAB_HOST_REPLAY_H */
