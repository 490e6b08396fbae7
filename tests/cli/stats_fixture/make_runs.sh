#!/usr/bin/env bash
# tests/cli/stats_fixture/make_runs.sh — write two SYNTHETIC run folders
# for tests/cli/compare_stats.sh: every number is invented (formulas, no
# measurement), so compare --baseline and repeat can be checked against
# known answers.  meta.csv says so in its `note` row.  Never present
# these as results.
#
# usage: make_runs.sh DIR  ->  DIR/fixture-a, DIR/fixture-b
#
# Both runs: allocators jemalloc, glibc, slab, bump (heap) x workloads
# lifo, fifo; clock tsc with 4 launches (rounds) x 3 reps, every
# allocator's launch l scaled by the same round factor; clock
# instructions with launch 0 only, 3 equal reps.  glibc's values are
# jemalloc's (no difference), slab costs 1.5x (slower), bump 0.25x
# (faster).  Run b is run a x 1.01 (tsc), except slab fifo tsc x 1.15:
# of 16 cells, 15 within 3 %, 1 beyond 10 % (15 %), and the 12 verdicts
# equal.  bump fifo tsc has one crashed rep (launch 3, rep 11).
set -eu
dir=${1:?usage: make_runs.sh DIR}
hdr="run_id,env,accel,clock,allocator,family,workload,params,seed,rep,status,ops,workload_checksum,placement_checksum,cycles_per_op,p50,p90,p99,p999,max,timer_overhead,peak_live_bytes,peak_footprint_bytes,frag_internal,frag_external,failed_allocs,leaks,faults,sweep,launch,raw_cycles_per_op,harness_floor,stream_repeats,invol_switches,migrations,steal_ticks,attempts,disturbed"
for run in a b; do
  R="$dir/fixture-$run"
  mkdir -p "$R"
  printf 'key,value\nrun_id,fixture-%s\nnote,"SYNTHETIC FIXTURE for tests/cli/compare_stats.sh: invented numbers, not measurements"\nrun_status,complete\n' "$run" >"$R/meta.csv"
  { echo "$hdr"
    awk -v run="$run" 'BEGIN {
      split("jemalloc glibc slab bump", al, " ")
      split("1.0 1.0 1.5 0.25", scale, " ")
      split("lifo fifo", wl, " "); split("20 30", wbase, " ")
      split("1.00 1.05 0.97 1.02", round, " ")
      for (w = 1; w <= 2; w++) for (a = 1; a <= 4; a++) {
        key = "fixture-" run ",host,none,%s," al[a] ",heap," wl[w] ",\"n=100,size=64\",1"
        for (l = 0; l < 4; l++) for (r = 0; r < 3; r++) {
          rep = l * 3 + r
          c = wbase[w] * scale[a] * round[l + 1] * (1 + 0.01 * ((rep * 7) % 5 - 2))
          if (run == "b") c *= (al[a] == "slab" && wl[w] == "fifo") ? 1.15 : 1.01
          st = (al[a] == "bump" && wl[w] == "fifo" && rep == 11) ? "crashed" : "ok"
          if (st == "ok")
            fig = sprintf("%.3f,%d,%d,%d,%d,%d,40", c, c, c * 1.5, c * 3, c * 9, c * 20)
          else
            fig = "0.000,,,,,,40"
          printf key ",%d,%s,200,00000000000000aa,0000000000000000,%s,6400,9600,0.1,0,0,0,0,,%d,%.3f,3.000,1,0,0,0,1,0\n",
            "tsc", rep, st, fig, l, c + 3
        }
        for (r = 0; r < 3; r++)
          printf key ",%d,ok,200,00000000000000aa,0000000000000000,%.3f,,,,,,0,6400,9600,0.1,0,0,0,0,,0,%.3f,12.000,1,0,0,0,1,0\n",
            "instructions", r, wbase[w] * scale[a] * 10, wbase[w] * scale[a] * 10 + 12
      }
    }'
  } >"$R/cells.csv"
  # no per-op detail (heaplab plot needs the files, with their headers)
  echo "run_id,env,allocator,workload,params,seed,rep,bucket_lo,bucket_hi,count" >"$R/latency.csv"
  echo "run_id,env,allocator,workload,params,seed,rep,op_index,live_bytes,held_bytes,free_bytes,largest_free_bytes,meta_bytes" >"$R/timeline.csv"
done
