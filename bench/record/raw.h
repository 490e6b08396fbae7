/*
 * raw.h — what the recorder (libheaplab-record.so, record.c) writes while
 * the program runs, and `heaplab record` (bench/host/trace_merge.c) turns
 * into a trace after it has exited.  Shared by the two; nothing else
 * reads it.
 *
 * Each recorded process writes two files in $HEAPLAB_RECORD_DIR:
 *   <pid>.<gen>.raw   32-byte records (struct hl_raw_rec), in chunks as
 *                     each thread's buffer fills; chunks of different
 *                     threads interleave, so the file is NOT in order;
 *   <pid>.<gen>.meta  "key=value\n" lines: pid, ppid, program,
 *                     arguments, start (UTC), written at start.
 * gen is 0, or 1, 2, ... when the pid already wrote files (a process that
 * exec'd keeps its pid).
 *
 * The global order: every record carries seq, taken from one atomic
 * counter of the process.  A release (free, realloc's old block) takes
 * its seq BEFORE the real call; an acquire (malloc & co., realloc's new
 * block) AFTER it returns.  So when a block's address is reused by
 * another thread, the release's seq is below the reuse's: sorted by seq,
 * the records are a consistent history of addresses.  realloc is two
 * records (REALLOC_OUT before, REALLOC_IN after) of the same thread.
 */
#ifndef HEAPLAB_RECORD_RAW_H
#define HEAPLAB_RECORD_RAW_H

#include <stdint.h>

enum hl_raw_kind {
    HL_RAW_ALLOC = 0,   /* addr <- malloc(bytes); addr 0: it failed */
    HL_RAW_CALLOC = 1,  /* addr <- calloc: bytes = count * size */
    HL_RAW_ALIGNED = 2, /* addr <- memalign & co. (align_log2) */
    HL_RAW_FREE = 3,    /* free(addr); addr 0: free(NULL) */
    HL_RAW_REALLOC_OUT = 4, /* realloc(addr, ...) begins; addr may be 0 */
    HL_RAW_REALLOC_IN = 5,  /* ... returned addr for bytes; 0: failed or,
                               with bytes 0, freed the old block */
    HL_RAW_USABLE = 6,  /* malloc_usable_size(addr) */
    HL_RAW_NKINDS
};

struct hl_raw_rec {
    uint64_t seq;
    uint64_t addr;
    uint64_t bytes;
    uint8_t kind;       /* enum hl_raw_kind */
    uint8_t align_log2; /* HL_RAW_ALIGNED */
    uint16_t thread;    /* the process's thread number, by first op */
    uint32_t reserved;  /* 0 */
};
_Static_assert(sizeof(struct hl_raw_rec) == 32, "a raw record is 32 bytes");

#define HL_RECORD_DIR_ENV "HEAPLAB_RECORD_DIR"

#endif /* HEAPLAB_RECORD_RAW_H */
