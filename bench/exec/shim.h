/*
 * shim.h — what `heaplab exec` (bench/host/exec.c) and its preload shim
 * (bench/exec/shim.c, libheaplab-exec.so) agree on: the environment
 * variables the command sets and the stats file the shim writes at exit.
 * docs/exec.md describes both.
 */
#ifndef HEAPLAB_EXEC_SHIM_H
#define HEAPLAB_EXEC_SHIM_H

/* "NAME" or "NAME:K=V,K=V": a registered heap allocator and its
 * parameters (allocator.h's canonical text or any subset). */
#define HL_EXEC_ALLOC_ENV "HEAPLAB_EXEC_ALLOCATOR"
/* The region's size in bytes (decimal), mmapped once at the first
 * allocation; the allocator never gets more. */
#define HL_EXEC_REGION_ENV "HEAPLAB_EXEC_REGION_BYTES"
/* A folder: each process that loaded the shim writes <pid>.stats there at
 * exit (a process destructor), lines "key=value" (HL_EXEC_STATS_KEYS). */
#define HL_EXEC_STATS_ENV "HEAPLAB_EXEC_STATS_DIR"

/* The keys of a stats file, in the order written.  `init_error` replaces
 * them all when the shim could not start its allocator (the process then
 * exits with status 127 before main). */
#define HL_EXEC_STATS_KEYS(X)                                                 \
    X(capacity_bytes)                                                         \
    X(meta_bytes)                                                             \
    X(live_bytes)                                                             \
    X(live_blocks)                                                            \
    X(held_bytes)                                                             \
    X(peak_held_bytes)                                                        \
    X(program_live_bytes)                                                     \
    X(program_peak_live_bytes)                                                \
    X(allocs)                                                                 \
    X(frees)                                                                  \
    X(failed_allocs)                                                          \
    X(reallocs)                                                               \
    X(realloc_copies)                                                         \
    X(aligned_allocs)                                                         \
    X(foreign_frees)

#endif /* HEAPLAB_EXEC_SHIM_H */
