#!/usr/bin/env bash
# tests/cli/run_csv.sh — `heaplab run` on a small suite, read back:
# exact headers, one cells row per cell and rep, statuses, workload
# checksums stable across runs with the same seed and equal between
# allocators for the same workload, placement checksums stable, meta.csv
# keys, latency/timeline/summary files.
. "$(dirname "$0")/lib.sh"

ALLOCS=slab,bump,glibc,bitmap-fast,buddy
WLS=churn-fixed,lifo,frames-churn
run() { mkdir -p "$TMP/$1"; "$HL" run --env host --out "$TMP/$1" --allocators $ALLOCS \
          --workloads $WLS --ops 400 --reps 3 --launches 1 --seed "$2" --clock tsc >"$TMP/$1.stdout" 2>"$TMP/$1.stderr"; }
check "run a exits 0" run a 7
check "run b exits 0" run b 7
check "run c exits 0" run c 8
A=$(run_dir "$TMP/a"); B=$(run_dir "$TMP/b"); C=$(run_dir "$TMP/c")

CELLS_HEADER='run_id,env,accel,clock,allocator,family,workload,params,seed,rep,status,ops,workload_checksum,placement_checksum,cycles_per_op,p50,p90,p99,p999,max,timer_overhead,peak_live_bytes,peak_footprint_bytes,frag_internal,frag_external,failed_allocs,leaks,faults,sweep,launch,raw_cycles_per_op,harness_floor,stream_repeats,invol_switches,migrations,steal_ticks,attempts,disturbed,resident_bytes,alloc_params,l1d_misses_per_op,l2_misses_per_op,llc_misses_per_op,dtlb_misses_per_op'
LAT_HEADER='run_id,env,allocator,workload,params,seed,rep,bucket_lo,bucket_hi,count'
TL_HEADER='run_id,env,allocator,workload,params,seed,rep,op_index,live_bytes,held_bytes,free_bytes,largest_free_bytes,meta_bytes'
SUM_HEADER='run_id,env,accel,clock,allocator,family,workload,params,sweep,seed,launches,reps,n,status,disturbed,cycles_per_op_median,cycles_per_op_ci_lo,cycles_per_op_ci_hi,cycles_per_op_var_between_share,p99_median,p99_ci_lo,p99_ci_hi,harness_floor_median,harness_floor_ci_lo,harness_floor_ci_hi,raw_cycles_per_op_median,raw_cycles_per_op_ci_lo,raw_cycles_per_op_ci_hi,ci_level,target_ci_pct,ci_met,alloc_params'
check "cells.csv header" [ "$(head -n 1 "$A/cells.csv")" = "$CELLS_HEADER" ]
check "latency.csv header" [ "$(head -n 1 "$A/latency.csv")" = "$LAT_HEADER" ]
check "timeline.csv header" [ "$(head -n 1 "$A/timeline.csv")" = "$TL_HEADER" ]
check "summary.csv header" [ "$(head -n 1 "$A/summary.csv")" = "$SUM_HEADER" ]
check "meta.csv header" [ "$(head -n 1 "$A/meta.csv")" = "key,value" ]

# 3 heap allocators x 2 heap workloads + 2 frame allocators x 1 = 8 cells
check "24 cells rows (8 cells x 3 reps)" [ "$(($(wc -l <"$A/cells.csv") - 1))" -eq 24 ]
check "8 summary rows" [ "$(($(wc -l <"$A/summary.csv") - 1))" -eq 8 ]

# Every row: 44 fields, this run's id, status ok, env host, clock tsc;
# each (allocator, workload) has reps 0, 1, 2 once; no heap allocator on a
# frame workload or the reverse.
rows_ok() {
  awk -v id="$(basename "$1")" "$AWK_CSV"'
    NR == 1 { next }
    { split_csv($0)
      if (nf != 44) { print "fields " nf ": " $0; bad++ }
      if (f[1] != id || f[2] != "host" || f[3] != "none" || f[4] != "tsc") { print "ids: " $0; bad++ }
      if (f[11] != "ok") { print "status: " $0; bad++ }
      # launch 0 (--launches 1); a net cost = raw - floor (3 decimals each);
      # the stream ran at least once; attempts 1..3 (--retries 2); flags 0/1
      if (f[30] != 0 || f[33] < 1 || f[37] < 1 || f[37] > 3 || (f[38] != 0 && f[38] != 1)) { print "launch/attempts: " $0; bad++ }
      d = f[15] - (f[31] - f[32]); if (d > 0.0015 || d < -0.0015 || f[32] <= 0) { print "net: " $0; bad++ }
      if ((f[6] == "frame") != (f[7] ~ /^frames-/)) { print "family: " $0; bad++ }
      seen[f[5] "|" f[7] "|" f[10]]++ ; cells[f[5] "|" f[7]] = 1 }
    END { for (c in cells) for (r = 0; r < 3; r++) if (seen[c "|" r] != 1) { print "rep " r " of " c ": " seen[c "|" r]; bad++ }
          exit bad > 0 }' "$1/cells.csv"
}
check "cells rows well formed" rows_ok "$A"

# workload checksum: one value per workload across allocators and reps
one_checksum_per_workload() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[7]; if (k in ck && ck[k] != f[13]) bad++; ck[k] = f[13] }
       END { exit bad > 0 }' "$1/cells.csv"
}
check "workload checksum independent of allocator and rep" one_checksum_per_workload "$A"

# the same seed gives the same checksums (workload and placement)
checksums() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[5], f[7], f[10], f[12], f[13], f[14] }' "$1/cells.csv" | sort; }
check "checksums stable across runs with one seed" [ "$(checksums "$A")" = "$(checksums "$B")" ]
check "another seed, other workload checksums" [ "$(checksums "$A")" != "$(checksums "$C")" ]
check "frame placement checksums are set" [ -n "$(checksums "$A" | awk '$2 ~ /^frames-/ && $6 != "0000000000000000"')" ]

for key in run_id date git_commit command_line compiler c_flags build_type \
           check_level sanitize build_warning cpu_model tsc_hz \
           timer_overhead_ticks timer_resolution_ticks hwloc_topology pu \
           pu_choice binding kernel reps ops seed baseline.glibc \
           baseline.jemalloc finished run_status launches min_time_s \
           min_ticks retries order_seed order.round.0 plan.cell.0; do
  check "meta.csv has $key" grep -q "^$key," "$A/meta.csv"
done
check "meta run_status complete" grep -qx 'run_status,complete' "$A/meta.csv"
check "meta run_id is the folder" grep -qx "run_id,$(basename "$A")" "$A/meta.csv"
# git_commit is the binary's (stamped when it was built), not the tree's now
BUILT=$("$HL" info | awk '$1 == "commit" { print $2 }')
check "meta git_commit is the build's ($BUILT)" grep -qx "git_commit,$BUILT" "$A/meta.csv"

# latency: counts of each rep's buckets = the timed calls of its PEROP pass
# (at most ops); timeline: samples with op_index within the stream
check "latency rows present" [ "$(wc -l <"$A/latency.csv")" -gt 24 ]
lat_counts_ok() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); n[f[3] "|" f[4] "|" f[7]] += f[10] }
       END { for (k in n) { if (n[k] < 1 || n[k] > 400) bad++; c++ } exit (bad > 0 || c != 24) }' "$1/latency.csv"
}
check "latency counts per rep within the stream" lat_counts_ok "$A"
check "timeline rows present" [ "$(wc -l <"$A/timeline.csv")" -gt 24 ]

# summary: n = 3, status ok; stdout has the table and the folder
SN=$(csv_col "$A/summary.csv" n); SS=$(csv_col "$A/summary.csv" status); SM=$(csv_col "$A/summary.csv" cycles_per_op_median)
check "summary rows n=3 ok" awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[2] != "host" || f[4] != "tsc" || f[9] != "" || f[N] != 3 || f[S] != "ok" || f[M] == "") bad++ } END { exit bad > 0 }' N="$SN" S="$SS" M="$SM" "$A/summary.csv"
check "stdout names the folder" grep -q "results in $A" "$TMP/a.stdout"
check "stdout has the summary table" grep -q "^slab  *churn-fixed" "$TMP/a.stdout"
check "no .tmp left" [ -z "$(ls "$A" | grep '\.tmp$')" ]
finish
