/*
 * columns.h — the one column table of the CSV files a run writes.  Every
 * header line, every column index and every by-name lookup comes from
 * these lists (X-macros), so a header and the code that reads it cannot
 * drift apart.  docs/csv-schema.md defines what each column means.
 * Freestanding.
 *
 *   X(name, ENUM)   name: the header text; ENUM: the suffix of COL_*,
 *                   LAT_* or TL_* (the column's 0-based index)
 *
 * Adding a column: append it to its list (never in the middle: shipped
 * runs are read by name, but older tools read by index), write it in
 * csv.c's formatter, and describe it in docs/csv-schema.md.
 */
#ifndef HEAPLAB_COLUMNS_H
#define HEAPLAB_COLUMNS_H

#define HL_CELLS_COLUMNS(X)                                                   \
    X(run_id, RUN_ID)                                                         \
    X(env, ENV)                                                               \
    X(accel, ACCEL)                                                           \
    X(clock, CLOCK)                                                           \
    X(allocator, ALLOCATOR)                                                   \
    X(family, FAMILY)                                                         \
    X(workload, WORKLOAD)                                                     \
    X(params, PARAMS)                                                         \
    X(seed, SEED)                                                             \
    X(rep, REP)                                                               \
    X(status, STATUS)                                                         \
    X(ops, OPS)                                                               \
    X(workload_checksum, WORKLOAD_CHECKSUM)                                   \
    X(placement_checksum, PLACEMENT_CHECKSUM)                                 \
    X(cycles_per_op, CYCLES_PER_OP)                                           \
    X(p50, P50)                                                               \
    X(p90, P90)                                                               \
    X(p99, P99)                                                               \
    X(p999, P999)                                                             \
    X(max, MAX)                                                               \
    X(timer_overhead, TIMER_OVERHEAD)                                         \
    X(peak_live_bytes, PEAK_LIVE_BYTES)                                       \
    X(peak_footprint_bytes, PEAK_FOOTPRINT_BYTES)                             \
    X(frag_internal, FRAG_INTERNAL)                                           \
    X(frag_external, FRAG_EXTERNAL)                                           \
    X(failed_allocs, FAILED_ALLOCS)                                           \
    X(leaks, LEAKS)                                                           \
    X(faults, FAULTS)                                                         \
    X(sweep, SWEEP)                                                           \
    X(launch, LAUNCH)                                                         \
    X(raw_cycles_per_op, RAW_CYCLES_PER_OP)                                   \
    X(harness_floor, HARNESS_FLOOR)                                           \
    X(stream_repeats, STREAM_REPEATS)                                         \
    X(invol_switches, INVOL_SWITCHES)                                         \
    X(migrations, MIGRATIONS)                                                 \
    X(steal_ticks, STEAL_TICKS)                                               \
    X(attempts, ATTEMPTS)                                                     \
    X(disturbed, DISTURBED)

/* latency.csv and timeline.csv share cells.csv's seven key columns. */
#define HL_DETAIL_KEY_COLUMNS(X, P)                                           \
    X(run_id, P##RUN_ID)                                                      \
    X(env, P##ENV)                                                            \
    X(allocator, P##ALLOCATOR)                                                \
    X(workload, P##WORKLOAD)                                                  \
    X(params, P##PARAMS)                                                      \
    X(seed, P##SEED)                                                          \
    X(rep, P##REP)

#define HL_LATENCY_COLUMNS(X)                                                 \
    HL_DETAIL_KEY_COLUMNS(X, LAT_)                                            \
    X(bucket_lo, LAT_BUCKET_LO)                                               \
    X(bucket_hi, LAT_BUCKET_HI)                                               \
    X(count, LAT_COUNT)

#define HL_TIMELINE_COLUMNS(X)                                                \
    HL_DETAIL_KEY_COLUMNS(X, TL_)                                             \
    X(op_index, TL_OP_INDEX)                                                  \
    X(live_bytes, TL_LIVE_BYTES)                                              \
    X(held_bytes, TL_HELD_BYTES)                                              \
    X(free_bytes, TL_FREE_BYTES)                                              \
    X(largest_free_bytes, TL_LARGEST_FREE_BYTES)                              \
    X(meta_bytes, TL_META_BYTES)

#define HL_COL_ENUM_(name, E) COL_##E,
#define HL_COL_ENUM_DETAIL_(name, E) E,
enum hl_cells_col { HL_CELLS_COLUMNS(HL_COL_ENUM_) CELL_COLUMNS };
enum hl_latency_col { HL_LATENCY_COLUMNS(HL_COL_ENUM_DETAIL_) LATENCY_COLUMNS };
enum hl_timeline_col {
    HL_TIMELINE_COLUMNS(HL_COL_ENUM_DETAIL_) TIMELINE_COLUMNS
};
#undef HL_COL_ENUM_
#undef HL_COL_ENUM_DETAIL_

/* The column names of each file, in order (csv.c). */
extern const char *const hl_cells_columns[CELL_COLUMNS];
extern const char *const hl_latency_columns[LATENCY_COLUMNS];
extern const char *const hl_timeline_columns[TIMELINE_COLUMNS];

/* The index of column `name` in names[0..n), or -1. */
int hl_column_index(const char *const *names, unsigned n, const char *name);

#endif /* HEAPLAB_COLUMNS_H */
