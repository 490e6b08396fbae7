/*
 * opbuf.h — op buffers: an op stream materialized in memory before it is
 * timed, so that the timed loop only decodes 16-byte ops (struct hl_op)
 * and calls the allocator.  The same layout, behind a header, is
 * heaplab's trace file format (docs/opbuf.md): one format, one reader,
 * one checksum for synthetic streams and recorded programs.
 * Freestanding.
 *
 * A stream longer than the buffer is materialized in chunks: the caller
 * fills a chunk (untimed), runs it (timed), and fills the next.
 *
 * The file layout, all little-endian:
 *
 *   +--------------------------------+  offset 0
 *   | struct hl_opbuf_header (64 B)  |
 *   +--------------------------------+  64
 *   | meta text, meta_bytes bytes:   |  "key=value\n" lines (program,
 *   |   UTF-8, no NUL                |   arguments, date, machine, ...)
 *   +--------------------------------+  header_bytes (= 64 + meta_bytes
 *   | nops x struct hl_op (16 B)     |    rounded up to 16)
 *   +--------------------------------+  header_bytes + 16 * nops
 */
#ifndef HEAPLAB_OPBUF_H
#define HEAPLAB_OPBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "workloads/workload.h"

/* "HLOPBUF" and a format byte that text-mode transfers would mangle. */
#define HL_OPBUF_MAGIC "HLOPBUF\x1a"
#define HL_OPBUF_VERSION 1u
/* Largest meta text a reader accepts. */
#define HL_OPBUF_MAX_META ((uint32_t)1 << 20)
/* Largest alignment an op may ask for (1 << 31). */
#define HL_OPBUF_MAX_ALIGN_LOG2 31u

struct hl_opbuf_header {
    uint8_t magic[8];      /* HL_OPBUF_MAGIC, without its NUL */
    uint32_t version;      /* HL_OPBUF_VERSION */
    uint32_t header_bytes; /* where the ops start: 64 + meta, 16-aligned */
    uint64_t nops;         /* ops that follow */
    uint64_t nslots;       /* every op's slot is below this */
    uint64_t checksum;     /* workload_checksum of the ops (hl_wl_checksum_op) */
    uint32_t nthreads;     /* every op's thread is below this (>= 1) */
    uint32_t meta_bytes;   /* meta text after the header */
    uint64_t peak_live_bytes; /* of the stream replayed on a perfect
                                 allocator (0: not computed) */
    uint64_t reserved;     /* 0 */
};
_Static_assert(sizeof(struct hl_opbuf_header) == 64, "the header is 64 bytes");

/* Materialize up to cap ops of g's stream into ops[], folding each into
 * *checksum (start from HL_WL_CHECKSUM0); returns how many (0: the stream
 * has ended).  pre: g started (hl_wl_init). */
size_t hl_opbuf_fill(struct hl_wl_gen *g, struct hl_op *ops, size_t cap,
                     uint64_t *checksum);

/* Stateless: a FREE of an empty slot is legal here (replayed as nothing;
 * in a recorded trace, an unknown free), and the slots' states are
 * checked by the trace reader (workloads/trace.h).
 * 0 if every op of ops[0..n) is well formed — a known kind, slot below
 * nslots, thread below nthreads, align_log2 only on ALIGNED and at most
 * HL_OPBUF_MAX_ALIGN_LOG2, bytes 0 on FREE — else -1 with the first bad
 * op's index in *bad and a static reason in *why. */
int hl_opbuf_validate(const struct hl_op *ops, size_t n, uint64_t nslots,
                      uint32_t nthreads, size_t *bad, const char **why);

/* A header for nops ops (header_bytes from meta_bytes). */
void hl_opbuf_header_init(struct hl_opbuf_header *h, uint64_t nops,
                          uint64_t nslots, uint64_t checksum,
                          uint32_t nthreads, uint32_t meta_bytes);

/* Check a header read from a file of file_bytes bytes: magic, version,
 * sizes consistent with the file.  0, or -1 with a static reason in *why
 * and the byte offset of the bad field in *at. */
int hl_opbuf_header_check(const struct hl_opbuf_header *h,
                          uint64_t file_bytes, const char **why, size_t *at);

#endif /* HEAPLAB_OPBUF_H */
