/*
 * columns.h — the one column table of the CSV files a run holds: meta,
 * cells, latency, timeline (written by bench/core, host and kernel alike)
 * and summary, ratios (written by the host command from cells.csv).
 * Every header line, every column index and every by-name lookup comes
 * from these lists (X-macros), so a header and the code that reads it
 * cannot drift apart: the writers join the names into their header, the
 * one reader (bench/host/csvread.h) maps a file's header onto the enums
 * and refuses a name that is not in its file's list.  docs/csv-schema.md
 * defines what each column means.  Freestanding: macros and enums only
 * (summary and ratios live here too, although only the host writes them,
 * so that there is one table, not one per side).
 *
 *   X(name, ENUM)   name: the header text; ENUM: the column's enum
 *                   constant (COL_*, LAT_*, TL_*, SUM_*, RAT_*, META_*),
 *                   its 0-based index in today's header
 *
 * Adding a column: append it to its list (readers find columns by name,
 * so older runs without it stay readable where the reader does not need
 * it), write it in its writer (csv.c, summary.c, ratios.c), and describe
 * it in docs/csv-schema.md.
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
    X(disturbed, DISTURBED)                                                   \
    X(resident_bytes, RESIDENT_BYTES)                                         \
    X(alloc_params, ALLOC_PARAMS)                                             \
    X(l1d_misses_per_op, L1D_MISSES_PER_OP)                                   \
    X(l2_misses_per_op, L2_MISSES_PER_OP)                                     \
    X(llc_misses_per_op, LLC_MISSES_PER_OP)                                   \
    X(dtlb_misses_per_op, DTLB_MISSES_PER_OP)

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

/* leaks.csv (bench/core/leak.h): the leak detector's report, one row per
 * listed leak, size class or total, per cell launch (docs/leaks.md). */
#define HL_LEAKS_COLUMNS(X)                                                   \
    X(run_id, LEAK_RUN_ID)                                                    \
    X(env, LEAK_ENV)                                                          \
    X(clock, LEAK_CLOCK)                                                      \
    X(allocator, LEAK_ALLOCATOR)                                              \
    X(alloc_params, LEAK_ALLOC_PARAMS)                                        \
    X(workload, LEAK_WORKLOAD)                                                \
    X(params, LEAK_PARAMS)                                                    \
    X(sweep, LEAK_SWEEP)                                                      \
    X(seed, LEAK_SEED)                                                        \
    X(launch, LEAK_LAUNCH)                                                    \
    X(kind, LEAK_KIND)                                                        \
    X(owner, LEAK_OWNER)                                                      \
    X(site, LEAK_SITE)                                                        \
    X(thread, LEAK_THREAD)                                                    \
    X(size_bytes, LEAK_SIZE_BYTES)                                            \
    X(count, LEAK_COUNT)                                                      \
    X(bytes, LEAK_BYTES)

/* meta.csv: one fact per row. */
#define HL_META_COLUMNS(X)                                                    \
    X(key, META_KEY)                                                          \
    X(value, META_VALUE)

/* summary.csv (bench/host/summary.c): one row per cell of cells.csv. */
#define HL_SUMMARY_COLUMNS(X)                                                 \
    X(run_id, SUM_RUN_ID)                                                     \
    X(env, SUM_ENV)                                                           \
    X(accel, SUM_ACCEL)                                                       \
    X(clock, SUM_CLOCK)                                                       \
    X(allocator, SUM_ALLOCATOR)                                               \
    X(family, SUM_FAMILY)                                                     \
    X(workload, SUM_WORKLOAD)                                                 \
    X(params, SUM_PARAMS)                                                     \
    X(sweep, SUM_SWEEP)                                                       \
    X(seed, SUM_SEED)                                                         \
    X(launches, SUM_LAUNCHES)                                                 \
    X(reps, SUM_REPS)                                                         \
    X(n, SUM_N)                                                               \
    X(status, SUM_STATUS)                                                     \
    X(disturbed, SUM_DISTURBED)                                               \
    X(cycles_per_op_median, SUM_CYCLES_PER_OP_MEDIAN)                         \
    X(cycles_per_op_ci_lo, SUM_CYCLES_PER_OP_CI_LO)                           \
    X(cycles_per_op_ci_hi, SUM_CYCLES_PER_OP_CI_HI)                           \
    X(cycles_per_op_var_between_share, SUM_CYCLES_PER_OP_VAR_BETWEEN_SHARE)   \
    X(p99_median, SUM_P99_MEDIAN)                                             \
    X(p99_ci_lo, SUM_P99_CI_LO)                                               \
    X(p99_ci_hi, SUM_P99_CI_HI)                                               \
    X(harness_floor_median, SUM_HARNESS_FLOOR_MEDIAN)                         \
    X(harness_floor_ci_lo, SUM_HARNESS_FLOOR_CI_LO)                           \
    X(harness_floor_ci_hi, SUM_HARNESS_FLOOR_CI_HI)                           \
    X(raw_cycles_per_op_median, SUM_RAW_CYCLES_PER_OP_MEDIAN)                 \
    X(raw_cycles_per_op_ci_lo, SUM_RAW_CYCLES_PER_OP_CI_LO)                   \
    X(raw_cycles_per_op_ci_hi, SUM_RAW_CYCLES_PER_OP_CI_HI)                   \
    X(ci_level, SUM_CI_LEVEL)                                                 \
    X(target_ci_pct, SUM_TARGET_CI_PCT)                                       \
    X(ci_met, SUM_CI_MET)                                                     \
    X(alloc_params, SUM_ALLOC_PARAMS)

/* ratios.csv (bench/host/ratios.c): one row per (cell, baseline). */
#define HL_RATIOS_COLUMNS(X)                                                  \
    X(run_id, RAT_RUN_ID)                                                     \
    X(env, RAT_ENV)                                                           \
    X(accel, RAT_ACCEL)                                                       \
    X(clock, RAT_CLOCK)                                                       \
    X(workload, RAT_WORKLOAD)                                                 \
    X(params, RAT_PARAMS)                                                     \
    X(sweep, RAT_SWEEP)                                                       \
    X(seed, RAT_SEED)                                                         \
    X(allocator, RAT_ALLOCATOR)                                               \
    X(family, RAT_FAMILY)                                                     \
    X(baseline, RAT_BASELINE)                                                 \
    X(paired_launches, RAT_PAIRED_LAUNCHES)                                   \
    X(ratio, RAT_RATIO)                                                       \
    X(ratio_ci_lo, RAT_RATIO_CI_LO)                                           \
    X(ratio_ci_hi, RAT_RATIO_CI_HI)                                           \
    X(ci_level, RAT_CI_LEVEL)                                                 \
    X(verdict, RAT_VERDICT)                                                   \
    X(alloc_params, RAT_ALLOC_PARAMS)

#define HL_COL_ENUM_(name, E) COL_##E,
#define HL_COL_ENUM_DETAIL_(name, E) E,
enum hl_cells_col { HL_CELLS_COLUMNS(HL_COL_ENUM_) CELL_COLUMNS };
enum hl_latency_col { HL_LATENCY_COLUMNS(HL_COL_ENUM_DETAIL_) LATENCY_COLUMNS };
enum hl_timeline_col {
    HL_TIMELINE_COLUMNS(HL_COL_ENUM_DETAIL_) TIMELINE_COLUMNS
};
enum hl_leaks_col { HL_LEAKS_COLUMNS(HL_COL_ENUM_DETAIL_) LEAKS_COLUMNS };
enum hl_meta_col { HL_META_COLUMNS(HL_COL_ENUM_DETAIL_) META_COLUMNS };
enum hl_summary_col { HL_SUMMARY_COLUMNS(HL_COL_ENUM_DETAIL_) SUMMARY_COLUMNS };
enum hl_ratios_col { HL_RATIOS_COLUMNS(HL_COL_ENUM_DETAIL_) RATIOS_COLUMNS };
#undef HL_COL_ENUM_
#undef HL_COL_ENUM_DETAIL_

/* A header line from a list: "," #name per column; the header is the
 * string from its second character (HL_HEADER(HL_CELLS_COLUMNS) + 1). */
#define HL_HEADER_PART_(name, E) "," #name
#define HL_HEADER(LIST) LIST(HL_HEADER_PART_)

/* programs.csv (bench/host/exec.c, `heaplab exec`): one row per run of a
 * real program under one allocator (docs/exec.md, docs/csv-schema.md).
 * Its own table: wall, user and system seconds and max RSS are no
 * per-op figures, so cells.csv carries only the wall time of these runs
 * (clock=wall_ns) for summary and compare. */
#define HL_PROGRAMS_COLUMNS(X)                                                \
    X(run_id, PRG_RUN_ID)                                                     \
    X(env, PRG_ENV)                                                           \
    X(allocator, PRG_ALLOCATOR)                                               \
    X(kind, PRG_KIND)                                                         \
    X(alloc_params, PRG_ALLOC_PARAMS)                                         \
    X(program, PRG_PROGRAM)                                                   \
    X(command, PRG_COMMAND)                                                   \
    X(rep, PRG_REP)                                                           \
    X(order, PRG_ORDER)                                                       \
    X(status, PRG_STATUS)                                                     \
    X(exit_code, PRG_EXIT_CODE)                                               \
    X(signal, PRG_SIGNAL)                                                     \
    X(wall_s, PRG_WALL_S)                                                     \
    X(user_s, PRG_USER_S)                                                     \
    X(sys_s, PRG_SYS_S)                                                       \
    X(maxrss_bytes, PRG_MAXRSS_BYTES)                                         \
    X(region_bytes, PRG_REGION_BYTES)                                         \
    X(capacity_bytes, PRG_CAPACITY_BYTES)                                     \
    X(meta_bytes, PRG_META_BYTES)                                             \
    X(live_bytes, PRG_LIVE_BYTES)                                             \
    X(live_blocks, PRG_LIVE_BLOCKS)                                           \
    X(held_bytes, PRG_HELD_BYTES)                                             \
    X(peak_held_bytes, PRG_PEAK_HELD_BYTES)                                   \
    X(program_live_bytes, PRG_PROGRAM_LIVE_BYTES)                             \
    X(program_peak_live_bytes, PRG_PROGRAM_PEAK_LIVE_BYTES)                   \
    X(allocs, PRG_ALLOCS)                                                     \
    X(frees, PRG_FREES)                                                       \
    X(failed_allocs, PRG_FAILED_ALLOCS)                                       \
    X(reallocs, PRG_REALLOCS)                                                 \
    X(realloc_copies, PRG_REALLOC_COPIES)                                     \
    X(aligned_allocs, PRG_ALIGNED_ALLOCS)                                     \
    X(foreign_frees, PRG_FOREIGN_FREES)

#define HL_COL_ENUM_PRG_(name, E) E,
enum hl_programs_col { HL_PROGRAMS_COLUMNS(HL_COL_ENUM_PRG_) PROGRAMS_COLUMNS };
#undef HL_COL_ENUM_PRG_

#endif /* HEAPLAB_COLUMNS_H */
