#!/usr/bin/env bash
# tests/cli/clock_sweep.sh — `heaplab run --clock tsc,instructions` and
# `--sweep`, read back: an instructions cell beside every TSC cell with
# the same workload checksum, no per-op figures and no latency/timeline
# rows of its own, instruction counts that repeat exactly rep after rep
# for the project's allocators; a sweep adds one cell per value (first
# clock only, sweep=K in its rows, no latency/timeline rows of its own)
# and a sweep.W meta row.  In a sanitized build (valgrind cannot run it) the
# instructions clock is refused with exit 2 instead.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/r"
if ! "$HL" info 2>/dev/null | grep -q 'sanitize=none,'; then
  expect_usage "unsanitized build" "$HL" run --env host --out "$TMP/out" --clock instructions
  finish
  exit
fi
"$HL" info >"$TMP/info" 2>&1
"$HL" run --env host --out "$TMP/r" --allocators slab,bump,buddy --workloads churn-fixed,frames-churn \
  --ops 400 --reps 3 --launches 1 --det-reps 2 --clock tsc,instructions --sweep churn-fixed:live=4,16,64 \
  >"$TMP/stdout" 2>"$TMP/stderr"
check "the run exits 0" [ $? -eq 0 ]
R=$(run_dir "$TMP/r")
# suite: (2 heap allocators + 1 frame allocator) x 2 clocks = 6 cells;
# sweep: 2 heap allocators x 3 values, tsc only = 6 cells; 3 reps each,
# 2 (--det-reps) for the 3 instructions cells: 9 + 6 + 18 rows
check "33 cells rows" [ "$(($(wc -l <"$R/cells.csv") - 1))" -eq 33 ]
check "12 summary rows" [ "$(($(wc -l <"$R/summary.csv") - 1))" -eq 12 ]
check "every row ok" [ -z "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[11] != "ok") print }' "$R/cells.csv")" ]
instr_rows_ok() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0)
      if (f[4] == "instructions") { n++; if (f[16] f[17] f[18] f[19] f[20] != "" || f[15] + 0 <= 0 || f[21] != 0) bad++ }
      else if (f[4] == "tsc") { if (f[16] == "" || f[20] == "") bad++ }
      else bad++ }
    END { exit !(n == 6 && !bad) }' "$R/cells.csv"
}
check "instructions rows: a count per op, empty p50..max, no timer overhead" instr_rows_ok
same_stream() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[5] "|" f[7] "|" f[8]
      v = f[12] "|" f[13] "|" f[14]; if (k in s && s[k] != v) bad++; s[k] = v }
    END { exit bad > 0 }' "$R/cells.csv"
}
check "both clocks ran the same op stream (ops and checksums)" same_stream
exact_counts() { # project allocators: the same count in every rep
  awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] != "instructions") next
      k = f[5] "|" f[8]; if (k in c && c[k] != f[15]) bad++; c[k] = f[15] }
    END { exit bad > 0 }' "$R/cells.csv"
}
check "instruction counts repeat exactly across reps" exact_counts
# latency and timeline rows of the 3 tsc suite cells only: per (allocator,
# params, rep) the bucket counts add up to at most the stream's calls (a
# second cell's rows under the same key would double them), one timeline
# row per op_index
lat_ok() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); s[f[3] "|" f[5] "|" f[7]] += f[10] }
    END { for (k in s) if (s[k] > 400) bad++; exit !(length(s) == 9 && !bad) }' "$R/latency.csv"
}
check "latency rows of the 3 tsc suite cells only (x 3 reps)" lat_ok
tl_ok() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[3] "|" f[5] "|" f[7]; keys[k] = 1; if (cnt[k "|" f[8]]++) bad++ }
    END { exit !(length(keys) == 9 && !bad) }' "$R/timeline.csv"
}
check "timeline rows of the 3 tsc suite cells only, one per sample" tl_ok
SR=$(csv_col "$R/summary.csv" reps); SN=$(csv_col "$R/summary.csv" n); SP=$(csv_col "$R/summary.csv" p99_median)
check "summary: instructions cells have reps 2, tsc cells 3" [ -z "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[R] != (f[4] == "instructions" ? 2 : 3) || f[N] != f[R]) print }' R="$SR" N="$SN" "$R/summary.csv")" ]
check "meta: det_reps" grep -qx 'det_reps,2' "$R/meta.csv"
check "summary: instructions rows have no p99" [ -z "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "instructions" && f[P] != "") print }' P="$SP" "$R/summary.csv")" ]
sweep_ok() { # the sweep cells: tsc, sweep=live, live = 4, 16, 64 for each heap allocator
  awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[9] == "") next
      if (f[9] != "live" || f[4] != "tsc" || f[7] != "churn-fixed") bad++
      match(f[8], /live=[0-9]+/); v[f[5] " " substr(f[8], RSTART + 5, RLENGTH - 5)]++ }
    END { for (a in v) if (v[a] != 1) bad++
          exit !(!bad && ("slab 4" in v) && ("slab 16" in v) && ("slab 64" in v) && ("bump 64" in v) && length(v) == 6) }' "$R/summary.csv"
}
check "sweep: one tsc cell per allocator and value, sweep=live" sweep_ok
check "sweep rows in cells.csv say sweep=live" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[29] == "live") n++ } END { print n + 0 }' "$R/cells.csv")" -eq 18 ]
check "meta: sweep.churn-fixed,live" grep -qx 'sweep.churn-fixed,live' "$R/meta.csv"
check "meta: clocks.host" grep -qx 'clocks.host,"tsc,instructions"' "$R/meta.csv"
check "meta: valgrind version" grep -q '^valgrind,valgrind-' "$R/meta.csv"
check "meta: command line kept whole" grep -q 'allocators slab,bump,buddy --workloads churn-fixed,frames-churn' "$R/meta.csv"
check "no callgrind files left" [ -z "$(ls "$R" | grep callgrind)" ]

# bad sweeps and clocks
expect_usage "'churn-fixed:live'" "$HL" run --out "$TMP/out" --sweep churn-fixed:live
expect_usage "no workload 'lifo'" "$HL" run --out "$TMP/out" --workloads fifo --sweep lifo:n=1,2
expect_usage "no parameter 'bogus'" "$HL" run --out "$TMP/out" --sweep lifo:bogus=1,2
expect_usage "0" "$HL" run --out "$TMP/out" --sweep lifo:n=0,2
expect_usage "named twice" "$HL" run --out "$TMP/out" --sweep lifo:n=2,2
expect_usage "swept twice" "$HL" run --out "$TMP/out" --sweep lifo:n=2 --sweep lifo:max=64
expect_usage "'sundial'" "$HL" run --out "$TMP/out" --clock tsc,sundial
expect_usage "'0'" "$HL" run --out "$TMP/out" --det-reps 0
expect_usage "empty value" "$HL" run --out "$TMP/out" --sweep lifo:n=5,
expect_usage "named twice" "$HL" run --out "$TMP/out" --clock tsc,tsc

# --det-reps defaults to at most --reps; --clock's order is the cells' order
mkdir -p "$TMP/o"
"$HL" run --env host --out "$TMP/o" --allocators bump --workloads lifo --ops 200 --reps 1 \
  --clock instructions,tsc --sweep lifo:n=50,100 >/dev/null 2>&1
check "order run exits 0" [ $? -eq 0 ]
O=$(run_dir "$TMP/o")
check "reps 1: the instructions cell has 1 rep too" [ "$(grep -c ',instructions,bump,' "$O/cells.csv")" -eq 3 ]
check "the sweep ran with the first clock named (instructions)" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[29] == "n" && f[4] == "instructions") n++ } END { print n + 0 }' "$O/cells.csv")" -eq 2 ]

# a % in the output folder reaches callgrind escaped
mkdir -p "$TMP/p%x"
"$HL" run --env host --out "$TMP/p%x" --allocators bump --workloads lifo --ops 200 --reps 1 \
  --clock instructions --sweep none >/dev/null 2>&1
check "a % in --out: exit 0" [ $? -eq 0 ]
P=$(run_dir "$TMP/p%x")
check "a % in --out: the instructions cell is ok" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[11] }' "$P/cells.csv")" = "ok" ]
check "a % in --out: no callgrind files left" [ -z "$(ls "$P" | grep callgrind)" ]
finish
