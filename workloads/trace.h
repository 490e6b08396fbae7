/*
 * trace.h — the trace reader: a whole trace file (or any op buffer file)
 * in memory, validated completely before a single op is replayed, and
 * the op buffer it holds handed out in place.  Freestanding: the kernel
 * reads a trace handed in as a multiboot module with exactly this code
 * (no libc, no allocation: the caller gives the scratch memory).
 *
 *   struct hl_opbuf_header h;  struct hl_trace_error e;
 *   if (hl_trace_header(file, file_bytes, &h, &e) != 0) -> e.why at e.at
 *   scratch = <hl_trace_scratch_bytes(&h) bytes, 8-aligned>
 *   if (hl_trace_open(file, file_bytes, scratch, n, &t, &e) != 0) -> ...
 *   t.ops[0 .. t.nops): the ops, trusted; t.h: the header; t.st: counts.
 *
 * What "validated" means (docs/opbuf.md, "Reading a trace"): the header
 * (hl_opbuf_header_check) and a slot count no larger than the op count;
 * the meta text (no NUL; every line "key=value" with a non-empty key);
 * every op well formed (hl_opbuf_validate) and consistent with the slots'
 * state as the stream goes: an alloc, calloc or aligned alloc only into
 * an empty slot, a size at most HL_TRACE_MAX_BYTES; the checksum and
 * (when the header has one) the peak live bytes recomputed and equal.
 * A FREE of an empty slot is not an error: it is an *unknown free*, a
 * free of a pointer the trace never saw allocated (recorded programs
 * make them; docs/traces.md), counted in st.unknown_frees; the harness
 * replays it as nothing.
 *
 * Every refusal names the byte offset in the file of the first bad
 * thing: a header field, a meta byte, an op's first byte (header_bytes +
 * 16 * index), or the checksum / peak field of the header.
 */
#ifndef HEAPLAB_TRACE_H
#define HEAPLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "workloads/opbuf.h"

/* The largest size an op of a trace may ask for (2^48: no machine heaplab
 * runs on has more address space; a larger value is corruption). */
#define HL_TRACE_MAX_BYTES ((uint64_t)1 << 48)

/* Scratch per slot hl_trace_open needs. */
#define HL_TRACE_SCRATCH_PER_SLOT 8u

struct hl_trace_error {
    const char *why; /* static text */
    uint64_t at;     /* byte offset in the file */
};

/* What validation counted on the way (no second pass needed). */
struct hl_trace_stats {
    uint64_t ops_by_kind[HL_OP_NKINDS]; /* unknown frees included in FREE */
    uint64_t unknown_frees;   /* FREE of an empty slot */
    uint64_t realloc_empty;   /* REALLOC of an empty slot (an alloc) */
    uint64_t peak_live_bytes; /* requested bytes live at the peak */
    uint64_t peak_live_blocks;
    uint64_t end_live_bytes;  /* still live after the last op (leaks) */
    uint64_t end_live_blocks;
    uint32_t threads_used;    /* 1 + the largest thread of any op */
};

struct hl_trace {
    struct hl_opbuf_header h;  /* a copy of the file's header */
    const char *meta;          /* in the file; meta_bytes long, no NUL */
    uint32_t meta_bytes;
    const struct hl_op *ops;   /* in the file */
    uint64_t nops;
    struct hl_trace_stats st;
};

/* Read and check the header of a file of file_bytes bytes (copied into
 * *h, so file needs no alignment here): hl_opbuf_header_check plus a slot
 * count at most max(nops, 1).  0, or -1 with *e set. */
int hl_trace_header(const void *file, uint64_t file_bytes,
                    struct hl_opbuf_header *h, struct hl_trace_error *e);

/* Scratch bytes hl_trace_open needs for a file with header h (at most
 * half the file's op bytes). */
uint64_t hl_trace_scratch_bytes(const struct hl_opbuf_header *h);

/* Validate the whole file and fill *t.  pre: file is 8-byte aligned (a
 * multiboot module and malloc'd memory are); scratch is 8-aligned and
 * holds hl_trace_scratch_bytes bytes (its contents are garbage after).
 * 0, or -1 with *e set (then *t is undefined). */
int hl_trace_open(const void *file, uint64_t file_bytes, void *scratch,
                  uint64_t scratch_bytes, struct hl_trace *t,
                  struct hl_trace_error *e);

/* The value of meta key `key` (not NUL-terminated; *len bytes), or NULL. */
const char *hl_trace_meta(const struct hl_trace *t, const char *key,
                          size_t *len);

/* Peak live bytes and blocks, and what is still live at the end, of ops
 * that already passed hl_trace_open (or a synthetic stream), with slot
 * scratch as above; returns -1 if an op allocates into a live slot. */
int hl_trace_peaks(const struct hl_op *ops, uint64_t nops, uint64_t nslots,
                   void *scratch, struct hl_trace_stats *st);

#endif /* HEAPLAB_TRACE_H */
