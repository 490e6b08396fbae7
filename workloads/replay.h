/*
 * replay.h — a recorded trace as a workload: `trace:NAME`.  The ops of a
 * trace file that the reader has validated completely (hl_trace_open)
 * are the stream, as they are: the generator copies them, in the
 * recorded global order, into the runner's op buffer (untimed), so the
 * runner replays a trace exactly as it replays a synthetic stream, and
 * the workload_checksum it computes on the way is the trace header's.
 * Freestanding: the host (a file, decompressed) and the kernel (a
 * multiboot module) build the same workload over the same bytes.
 *
 *   struct hl_trace t;  hl_trace_open(file, n, scratch, sb, &t, &e) == 0
 *   struct hl_wl_replay r;
 *   hl_wl_replay_init(&r, "sort", 4, &t);   -> r.pub is "trace:sort"
 *   ... &r.pub is a struct hl_workload like any other (heap family) ...
 *
 * Parameters: the trace's own figures, each fixed (default = min = max),
 * so `ops=N,slots=M,peak=P,checksum=C` names exactly one recording: the
 * params column of every row, and a --params or a cell argument that
 * names another value is refused.  A trace is never scaled (--ops).
 *
 * Multi-threaded traces replay on one thread, in the recorded global
 * order (the thread of each op is kept in the op and in the checksum).
 * The region a cell needs is bounded by the trace's peak live bytes
 * (peak_frame_bytes returns it: hl_wl_region_bytes sizes the host's
 * region from it, and the kernel refuses a trace that does not fit).
 */
#ifndef HEAPLAB_REPLAY_H
#define HEAPLAB_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "workloads/trace.h"
#include "workloads/workload.h"

/* "trace:" + the name: what the workload column says. */
#define HL_WL_REPLAY_PREFIX "trace:"
#define HL_WL_REPLAY_NAME_BYTES 72u

/* Parameter indexes of a replay workload. */
enum { HL_WL_REPLAY_OPS, HL_WL_REPLAY_SLOTS, HL_WL_REPLAY_PEAK, HL_WL_REPLAY_CHECKSUM };

struct hl_wl_replay {
    struct hl_workload pub; /* first: a generator's g->w points here */
    const struct hl_op *ops; /* validated (hl_trace_open); not owned */
    uint64_t nops;
    struct hl_trace_stats st; /* what the reader counted */
    uint32_t nthreads;
    char name[HL_WL_REPLAY_NAME_BYTES];
};

/* Make r the workload "trace:<name>" over t's ops (t must have passed
 * hl_trace_open; its ops must outlive r).  name: name_len bytes, cut
 * to fit. */
void hl_wl_replay_init(struct hl_wl_replay *r, const char *name, size_t name_len,
                       const struct hl_trace *t);

/* Is w a replay workload (made by hl_wl_replay_init)?  Its struct then. */
bool hl_wl_is_replay(const struct hl_workload *w);
const struct hl_wl_replay *hl_wl_replay_of(const struct hl_workload *w);

/* The name of a trace file at path (len bytes): its last path component
 * without ".xz", ".gz" or ".zst" and then ".hltrace" ("dir/sort.hltrace.xz"
 * -> "sort").  Returns its length; *start is its offset in path. */
size_t hl_wl_replay_stem(const char *path, size_t len, size_t *start);

/* Does name start with HL_WL_REPLAY_PREFIX? */
bool hl_wl_replay_named(const char *name);

#endif /* HEAPLAB_REPLAY_H */
