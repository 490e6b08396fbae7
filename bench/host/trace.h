/*
 * trace.h — trace files on the host: turning a stream of pointer events
 * (the recorder's raw records, glibc's mtrace text) into ops over dense
 * slots, writing a trace file, loading one (compressed or not) for the
 * freestanding reader (workloads/trace.h), and the fuzz entry points.
 * No function here exits or prints: errors come back as text, so the
 * fuzzers and unit tests call them directly.  docs/traces.md is the
 * reference; `heaplab record` and `heaplab trace` (trace_cmd.c) use it.
 */
#ifndef HEAPLAB_HOST_TRACE_H
#define HEAPLAB_HOST_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/trace.h"

/* ---- the builder: pointer events -> ops over slots -------------------------
 *
 * Slots: an alloc takes the most recently freed slot (LIFO), or a new one;
 * nslots is the most slots ever live at once (+1 if the trace has unknown
 * frees: they all name one slot that nothing ever allocates, so each is a
 * FREE of an empty slot, replayed as nothing). */

/* What a trace counts beside its ops (meta keys of the same names). */
struct trace_counts {
    uint64_t failed_allocs;      /* malloc & co. (and realloc) that returned NULL */
    uint64_t unknown_frees;      /* frees of pointers never seen allocated */
    uint64_t unknown_reallocs;   /* reallocs of such pointers (each also an
                                    unknown free + a realloc of an empty slot) */
    uint64_t implied_frees;      /* an address returned again while the trace
                                    thought it live (a free the recorder did not
                                    see): a FREE of its old slot is inserted */
    uint64_t realloc_zero_frees; /* realloc(p, 0) that freed p (recorded as FREE) */
    uint64_t free_null;          /* free(NULL): not ops */
    uint64_t usable_size_calls;  /* malloc_usable_size: not ops */
    uint64_t lost_records;       /* the recorder's records missing (seq gaps) */
};

struct trace_builder {
    struct hl_op *ops;
    uint64_t nops, cap;
    /* address -> slot: open addressing, linear probing, backward-shift
     * deletion; key 0 is empty (0 is never a live address) */
    uint64_t *keys;
    uint32_t *vals;
    uint64_t hcap, hcount;
    uint32_t *free_slots; /* LIFO */
    uint64_t nfree, free_cap;
    uint64_t nslots;
    uint64_t unknown_slot; /* UINT64_MAX: none yet */
    uint32_t nthreads;
    struct trace_counts c;
    bool oom;
};

#define TRACE_NO_SLOT UINT64_MAX

void trace_builder_init(struct trace_builder *b);
void trace_builder_free(struct trace_builder *b);
/* An alloc-type op (ALLOC, CALLOC, ALIGNED) that returned addr != 0. */
void trace_b_alloc(struct trace_builder *b, uint8_t kind, uint8_t align_log2,
                   uint16_t thread, uint64_t addr, uint64_t bytes);
/* free(addr), addr != 0. */
void trace_b_free(struct trace_builder *b, uint16_t thread, uint64_t addr);
/* realloc, in two halves: out() when it begins (addr may be 0) returns
 * the slot it reserves (TRACE_NO_SLOT: none, *unknown set if addr was
 * never seen); in() when it returned new_addr (0: failed, or freed the
 * block when bytes is 0). */
uint64_t trace_b_realloc_out(struct trace_builder *b, uint64_t addr,
                             bool *unknown);
void trace_b_realloc_in(struct trace_builder *b, uint16_t thread,
                        uint64_t old_addr, uint64_t slot, bool unknown,
                        uint64_t new_addr, uint64_t bytes);

/* The meta lines of b's counts and ops ("ops.alloc=...\n" ...) appended
 * to buf (NUL-terminated); returns the new length or -1 if cap is short. */
int trace_counts_meta(const struct trace_builder *b, char *buf, size_t cap,
                      size_t len);

/* ---- files ---------------------------------------------------------------- */

/* A whole trace file in malloc'd memory (8-aligned): header (checksum and
 * peak_live_bytes computed), meta, ops.  NULL if out of memory or if the
 * ops do not pass the reader (a bug: *err says why). */
uint8_t *trace_file_build(const char *meta, size_t meta_bytes,
                          const struct hl_op *ops, uint64_t nops,
                          uint64_t nslots, uint32_t nthreads, size_t *file_bytes,
                          char *err, size_t cap);

/* Build and write to path (a temporary file renamed into place).  0, or
 * -1 with a one-line reason in err. */
int trace_file_write(const char *path, const char *meta, size_t meta_bytes,
                     const struct hl_op *ops, uint64_t nops, uint64_t nslots,
                     uint32_t nthreads, char *err, size_t cap);

/* Load path into malloc'd memory (8-aligned, *bytes long).  A file that
 * starts with the xz, gzip or zstd magic is decompressed on the fly
 * (`xz -dc`, `gzip -dc`, `zstd -dc`), at most max_bytes of it.  *how
 * names the compression ("" if none).  NULL with a one-line reason in err. */
uint8_t *trace_load(const char *path, uint64_t max_bytes, size_t *bytes,
                    const char **how, char *err, size_t cap);
/* The same in anonymous pages (*mapped_bytes of them, for munmap): what
 * a cell child loads, so that the pages go back to the kernel, not to the
 * allocator under test (a preloaded baseline would hand them out again,
 * already resident, and resident_bytes would miss them). */
uint8_t *trace_load_mapped(const char *path, uint64_t max_bytes,
                           size_t *bytes, size_t *mapped_bytes,
                           const char **how, char *err, size_t cap);

/* The largest decompressed trace or mtrace text heaplab reads (4 GiB). */
#define TRACE_MAX_FILE_BYTES ((uint64_t)4 << 30)

/* ---- importers ---------------------------------------------------------------- */

/* glibc mtrace text (MALLOC_TRACE) -> b.  0, or -1 with the 1-based line
 * number and a static reason. */
int trace_import_mtrace(const char *text, size_t n, struct trace_builder *b,
                        uint64_t *line, const char **why);

/* The recorder's raw records (bench/record/raw.h) -> b, in seq order
 * (raw is sorted in place: 16-aligned, raw_bytes long).  0, or -1 with a
 * static reason (the raw file is ours: this is a bug or a disk problem,
 * not user input). */
int trace_merge_raw(void *raw, size_t raw_bytes, struct trace_builder *b,
                    const char **why);

/* ---- fuzz entry points (tests/fuzz wraps them; docs/traces.md) ------------- */

/* The reader over a whole file: never crashes, never allocates more than
 * a bounded multiple of size; aborts if an accepted file breaks the
 * format's invariants.  Returns 0. */
int hl_trace_fuzz_one(const uint8_t *data, size_t size);
/* The mtrace importer: an accepted text must build a file the reader
 * accepts with the same ops.  Returns 0. */
int hl_mtrace_fuzz_one(const uint8_t *data, size_t size);

#endif /* HEAPLAB_HOST_TRACE_H */
