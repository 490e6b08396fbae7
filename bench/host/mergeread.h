/*
 * mergeread.h — the reading half of `heaplab merge` (merge.c): the
 * shards' run folders read and checked before anything is written.
 * Every refusal comes back as one line instead of an exit, so the reader
 * can be fuzzed in-process (tests/fuzz/fuzz_merge.c); merge.c prints it
 * and exits 2.  What is refused is listed in merge.c's header comment.
 */
#ifndef HEAPLAB_MERGEREAD_H
#define HEAPLAB_MERGEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/host/csvread.h"

#define MERGE_MAX_SHARDS 1024
#define MERGE_NROWFILES 4u /* cells, latency, timeline, leaks */

struct merge_kv {
    char *key, *value;
};

/* A shard's meta.csv: keys and values point into text. */
struct merge_meta {
    struct merge_kv *e;
    size_t n, cap;
    char *text;
};

struct merge_shard {
    const char *dir;
    struct merge_meta m;
    unsigned i, n;                  /* shard i of n */
    char *files[MERGE_NROWFILES];   /* the row files, whole */
};

/* plan.cell.K: "env clock allocator workload params[ sweep=S][ aparams=T]
 * launches=L reps=R" (run.c's meta_order). */
enum { PC_ENV, PC_CLOCK, PC_ALLOC, PC_WORKLOAD, PC_PARAMS, PC_SWEEP, PC_APARAMS };
struct merge_pcell {
    char *f[7];
    uint32_t launches;
};

struct merge_plan {
    struct merge_pcell *cells;
    size_t n;
    size_t launches; /* sum over cells */
};

/* One of the row files and where its key columns are (leaks.csv's rows
 * are per launch: its `rep` is the launch, for the order only). */
struct merge_rowfile {
    const char *name;
    const char *const *header_ptr;
    enum csv_kind kind;
    unsigned ncols;
    int env, clock, alloc, workload, params, sweep, rep; /* -1: none */
    int aparams;                                        /* -1: none */
};
extern const struct merge_rowfile merge_rowfiles[MERGE_NROWFILES];

struct merge_row {
    size_t cell;
    uint32_t rep;
    unsigned shard;
    size_t line;
    const char *rest; /* the row after its run_id field: ",env,..." */
};

struct merge_rows {
    struct merge_row *r;
    size_t n, cap;
};

struct merge {
    struct merge_shard *sh; /* in shard order, whatever order they came in */
    size_t nsh;
    struct merge_plan pl;
    struct merge_rows rows[MERGE_NROWFILES]; /* ordered by plan cell, rep,
                                                shard, line */
    size_t mixed; /* build or machine keys that differ (allow_mixed) */
};

/* Read and check the run folders dirs[0..n): 0; -1 with a one-line
 * refusal naming the folder (and key, file, line or launch) in why; -2
 * with why "out of memory" (a failure of the machine, not of the input).
 * After -1 or -2, m is empty; free it with merge_free after a 0. */
int merge_read(struct merge *m, const char *const *dirs, size_t n,
               bool allow_mixed, char *why, size_t cap);
void merge_free(struct merge *m);

/* The rows' order (qsort's comparator): plan cell, rep, shard, line. */
int merge_row_cmp(const void *a, const void *b);

/* key's value in a shard's meta.csv, or NULL. */
const char *merge_meta_get(const struct merge_meta *m, const char *key);
/* Do two shards' values of key agree (tsc_hz: within 0.1 %)? */
bool merge_same_value(const char *key, const char *a, const char *b);

#endif /* HEAPLAB_MERGEREAD_H */
