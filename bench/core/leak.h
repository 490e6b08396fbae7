/*
 * leak.h — the leak detector: a layer over any allocator that keeps, for
 * every live block, its size and its site, and at the end of a cell
 * reports what is still live (count, bytes, the first leaks by site, the
 * largest, by size class).  Freestanding: the table lives in memory the
 * caller gives (the cell's workspace), never in a malloc.
 *
 * Site = the op's index in the stream (0-based), and its thread: for a
 * replayed trace the stream is the trace's ops one for one, so the site is
 * the trace op's index and the thread the recorded one (docs/leaks.md).
 *
 * The table: open addressing by pointer, linear probing, backward-shift
 * deletion (no tombstones), so insert and remove are O(1) on average at
 * the load it is sized for: capacity = the next power of two >= 2 *
 * max_live records, max_live = the most blocks the stream can hold live
 * at once (the runner's slot count bounds it: a slot holds one block).
 *
 *   recs[h(ptr) & (cap - 1)] ... the first empty record ends a probe run
 *
 * Not timed: the runner records into it during the WARMUP pass only
 * (runner.h, hl_cell_config.leak_table), never in BATCH or PEROP.
 *
 *   size_t n = hl_leak_table_bytes(nslots);   <- the workspace piece
 *   hl_leak_init(&t, mem, n, nslots);  hl_leak_reset(&t);
 *   hl_leak_alloc(&t, p, bytes, site, thread) ... hl_leak_free(&t, p, site)
 *   hl_leak_report(&t, HL_LEAKS_LISTED, &rep);
 *
 * Who owns a leak (docs/leaks.md): blocks the table still holds after a
 * replayed trace are the *program's* (the trace never freed them); after a
 * synthetic stream, which frees everything, the *harness's*.  Blocks the
 * allocator still counts live (its stats' live_blocks) beyond the table's
 * are the *allocator's*: it was asked to free them; they have no site.
 */
#ifndef HEAPLAB_LEAK_H
#define HEAPLAB_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hl_row_ids;

/* One live block.  ptr == 0: the record is empty. */
struct hl_leak_rec {
    uintptr_t ptr;
    uint32_t thread;
    uint64_t site;  /* op index in the stream */
    uint64_t bytes; /* requested */
};

struct hl_leak_table {
    struct hl_leak_rec *recs;
    uint64_t cap;       /* records: a power of two, >= 2 * max_live */
    uint64_t max_live;  /* more live blocks than this: the table is full */
    uint64_t live, live_bytes;
    /* What the table could not keep or did not know: */
    uint64_t untracked, untracked_bytes; /* allocs refused: table full */
    uint64_t invalid_frees;  /* frees of a pointer not in the table */
    uint64_t first_invalid_site; /* the first one's op index */
    /* Set by the runner after the pass (hl_leak_set_allocator): the
     * allocator's own count of live blocks and bytes then. */
    uint64_t alloc_live_blocks, alloc_live_bytes;
};

/* Bytes of table memory for max_live live blocks (0 if it overflows). */
size_t hl_leak_table_bytes(uint64_t max_live);

/* Set t up over mem (bytes >= hl_leak_table_bytes(max_live), aligned for
 * uint64_t).  The records are not written here (a cell maps the table
 * before its resident baseline and must not touch it yet): mem must be
 * zeroed, or hl_leak_reset called before use (the runner's WARMUP pass
 * does).  Returns false if mem is too small. */
bool hl_leak_init(struct hl_leak_table *t, void *mem, size_t bytes, uint64_t max_live);

/* Empty t (every record, every count). */
void hl_leak_reset(struct hl_leak_table *t);

/* A block ptr of `bytes` was granted at op `site`.  Returns false if the
 * table is full (the block is counted in untracked, not listed).
 * pre: ptr != NULL and not live in t. */
bool hl_leak_alloc(struct hl_leak_table *t, const void *ptr, uint64_t bytes, uint64_t site,
                   uint32_t thread);

/* The block ptr was freed at op `site`.  Returns false if t does not hold
 * it: an invalid free (never granted, or freed already), counted. */
bool hl_leak_free(struct hl_leak_table *t, const void *ptr, uint64_t site);

/* The allocator's own live figures after the pass (its hl_stats). */
void hl_leak_set_allocator(struct hl_leak_table *t, uint64_t live_blocks,
                           uint64_t live_bytes);

/* ---- the report ---------------------------------------------------------- */

/* At most this many leaks listed first-by-site and largest. */
#define HL_LEAK_LIST_MAX 32u
/* Size classes: class 0 holds 0..1 byte, class k (k >= 1) holds sizes in
 * (2^(k-1), 2^k]; the last class takes everything larger. */
#define HL_LEAK_CLASSES 49u

struct hl_leak_entry {
    uint64_t site;
    uint64_t bytes;
    uint32_t thread;
};

struct hl_leak_report {
    uint64_t count, bytes;           /* the table's leaks: still live */
    uint64_t alloc_count, alloc_bytes; /* the allocator's beyond them */
    uint64_t untracked, untracked_bytes;
    uint64_t invalid_frees, first_invalid_site;
    uint32_t nfirst, nlargest;
    struct hl_leak_entry first[HL_LEAK_LIST_MAX];   /* by site, ascending */
    struct hl_leak_entry largest[HL_LEAK_LIST_MAX]; /* by bytes, descending;
                                                       ties: lower site first */
    uint64_t class_count[HL_LEAK_CLASSES], class_bytes[HL_LEAK_CLASSES];
};

/* Fill r from t: list at most `list` (<= HL_LEAK_LIST_MAX) leaks each way.
 * O(t->cap * list). */
void hl_leak_report(const struct hl_leak_table *t, uint32_t list, struct hl_leak_report *r);

/* The class of a size, and the largest size in class k (0 for class 0...
 * 1, then 2^k; the last class: UINT64_MAX). */
unsigned hl_leak_class(uint64_t bytes);
uint64_t hl_leak_class_max(unsigned k);

/* ---- leaks.csv --------------------------------------------------------------- */

/* The columns of leaks.csv (columns.h, HL_LEAKS_COLUMNS; docs/csv-schema.md). */
extern const char *const hl_leaks_header;

/* Row kinds and owners of leaks.csv. */
#define HL_LEAK_KIND_TOTAL "total"
#define HL_LEAK_KIND_FIRST "first"
#define HL_LEAK_KIND_LARGEST "largest"
#define HL_LEAK_KIND_CLASS "class"
#define HL_LEAK_KIND_UNTRACKED "untracked"
#define HL_LEAK_KIND_INVALID_FREE "invalid_free"
#define HL_LEAK_OWNER_PROGRAM "program"
#define HL_LEAK_OWNER_HARNESS "harness"
#define HL_LEAK_OWNER_ALLOCATOR "allocator"

/* One leaks.csv row, keyed by id (run_id, env, clock, allocator,
 * alloc_params, workload, params, sweep, seed, launch).  has_site/has_size: write site and
 * thread / size_bytes, else empty fields.  Returns like
 * hl_format_cells_row: the length, or cap if it did not fit. */
struct hl_leak_row {
    const char *kind, *owner;
    bool has_site, has_size;
    uint64_t site;
    uint32_t thread;
    uint64_t size_bytes;
    uint64_t count, bytes;
};
size_t hl_format_leak_row(char *buf, size_t cap, const struct hl_row_ids *id,
                          const struct hl_leak_row *row);

/* Every row of a report, in order, handed to emit (formatted into buf,
 * cap bytes; emit gets the length, or cap if it did not fit): a total row
 * for the stream's owner (program if program_owned, else harness) and one
 * for the allocator, always; untracked and invalid_free rows when not 0;
 * the first and largest leaks; the non-empty size classes. */
typedef void (*hl_leak_emit_fn)(void *ctx, const char *row, size_t len);
void hl_leak_rows(const struct hl_leak_report *r, bool program_owned,
                  const struct hl_row_ids *id, char *buf, size_t cap, hl_leak_emit_fn emit,
                  void *ctx);

#endif /* HEAPLAB_LEAK_H */
