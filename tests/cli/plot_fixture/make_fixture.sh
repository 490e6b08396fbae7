#!/usr/bin/env bash
# tests/cli/plot_fixture/make_fixture.sh — write a SYNTHETIC run folder for
# tests/cli/plot.sh: every number in it is invented (smooth formulas, no
# measurement), so `heaplab plot` can be tested on what no run on this
# machine produces yet: host instructions (callgrind) and kernel (QEMU
# icount) rows for figure 1b, modelled-clock rows (host under qemu-x86_64
# and kernel, with misses per op) for figures 1c, 1d and 7c and a modelled
# sweep, --sweep cells for figures 4 and 5, an
# allocator outside the style table (my_alloc, which also needs TeX
# escaping), a crashed cell without figures, a cell with status failed.
# meta.csv says so in its `note` row.  Never present these as results.
#
# usage: make_fixture.sh DIR [old]
#   DIR  an existing folder; the run folder DIR/fixture-plot is written
#   old  the schema before summary.csv had accel,clock and both files had
#        sweep: no such columns, tsc rows only, the sweep cells are plain
#        cells of their workload (told apart by meta.csv sweep.W,K)
set -eu
dir=${1:?usage: make_fixture.sh DIR [old]}
mode=${2:-new}
R="$dir/fixture-plot"
mkdir -p "$R"

cat >"$R/meta.csv" <<META
key,value
run_id,fixture-plot
note,"SYNTHETIC FIXTURE for tests/cli/plot.sh (tests/cli/plot_fixture/make_fixture.sh): invented numbers, not measurements"
date,2026-01-02T03:04:05+0100
heaplab_version,0.1.0
reps,9
seed,1
sweep.churn-fixed,live
sweep.frames-churn,occupancy
run_status,complete
model,skylake-client
META

awk -v mode="$mode" -v R="$R" '
function q(s) { return "\"" s "\"" }
# one cell: its summary row, its cells rows, and (suite tsc/icount cells)
# its latency and timeline rows
function cell(env, accel, clock, alloc, fam, wl, params, sweep, n, status, cost,
              lat_base,   reps, lo, hi, r, i, b, c, j, live, held, k, ci) {
  reps = n > 0 ? n : 9
  if (n >= 6) { lo = sprintf("%.3f", cost * 0.95); hi = sprintf("%.3f", cost * 1.07) }
  else { lo = ""; hi = "" }
  if (mode == "old")
    printf "fixture-plot,%s,%s,%s,%s,%s,1,%d,%d,%s,%s,%s,%s,%s,,,0.95\n", env, alloc, fam, wl, q(params),
      reps, n, status, n ? sprintf("%.3f", cost) : "", lo, hi, n ? sprintf("%.3f", cost * 2) : "" > (R "/summary.csv")
  else
    printf "fixture-plot,%s,%s,%s,%s,%s,%s,%s,%s,1,%d,%d,%s,%s,%s,%s,%s,,,0.95\n", env, accel, clock, alloc, fam, wl, q(params), sweep,
      reps, n, status, n ? sprintf("%.3f", cost) : "", lo, hi, n ? sprintf("%.3f", cost * 2) : "" > (R "/summary.csv")
  for (r = 0; r < reps; r++) {
    ok = (status == "ok" || status == "failed")
    fi = ok ? sprintf("%.6f", (length(alloc) * 7 + length(wl) * 3) % 60 / 100 + r * 0.002) : "0.000000"
    fe = ok ? sprintf("%.6f", (fam == "frame" && alloc == "buddy") || alloc == "slab" ? 0.48 : 0) : "0.000000"
    printf "fixture-plot,%s,%s,%s,%s,%s,%s,%s,1,%d,%s,400,00000000000000%02x,0000000000000000,%s,%s,%s,%s,%s,%s,50,6400,9600,%s,%s,0,0,0%s\n",
      env, accel, clock, alloc, fam, wl, q(params), r, status ? status : "ok", length(wl),
      ok ? sprintf("%.3f", cost * (1 + r * 0.01)) : "0.000",
      ok && clock == "tsc" ? int(cost) : "", ok && clock == "tsc" ? int(cost * 1.5) : "",
      ok && clock == "tsc" ? int(cost * 2) : "", ok && clock == "tsc" ? int(cost * 3) : "",
      ok && clock == "tsc" ? int(cost * 9) : "", fi, fe, mode == "old" ? "" : "," sweep misses(clock, ok, cost) > (R "/cells.csv")
    if (!ok || sweep != "" || lat_base == 0) continue
    # latency: a log-linear histogram around lat_base, 16 buckets
    for (i = 0; i < 16; i++) {
      b = int(lat_base * 2 ^ (i / 4))
      c = int(1000 * exp(-((i - 5 - r * 0.2) ^ 2) / 6))
      if (c > 0) printf "fixture-plot,%s,%s,%s,%s,1,%d,%d,%d,%d\n", env, alloc, wl, q(params), r, b, int(b * 1.015), c > (R "/latency.csv")
    }
    if (env != "host") continue
    # timeline: fill, hold, drain over 400 ops
    for (j = 0; j <= 20; j++) {
      k = j * 20
      live = k < 100 ? k * 64 : k < 300 ? 6400 : (400 - k) * 64
      held = int(live * (1 + (length(alloc) % 5) / 10) + (alloc == "slab" ? 4096 : 0))
      printf "fixture-plot,%s,%s,%s,%s,1,%d,%d,%d,%d,%d,%d,%d\n", env, alloc, wl, q(params), r, k, live, held, 1048576 - held, 1048576 - held, 0 > (R "/timeline.csv")
    }
  }
}
# the four miss columns (new schema only): invented counts per op for a
# modelled row, the same in every rep (the model is deterministic); empty
# in the rows of every other clock
function misses(clock, ok, cost) {
  if (mode == "old") return ""
  if (clock != "modelled" || !ok) return ",,,,"
  return sprintf(",%.3f,%.3f,%.3f,%.3f", cost / 50, cost / 400, cost / 4000, cost / 800)
}
BEGIN {
  if (mode == "old")
    print "run_id,env,allocator,family,workload,params,seed,reps,n,status,cycles_per_op_median,cycles_per_op_ci_lo,cycles_per_op_ci_hi,p99_median,p99_ci_lo,p99_ci_hi,ci_level" > (R "/summary.csv")
  else
    print "run_id,env,accel,clock,allocator,family,workload,params,sweep,seed,reps,n,status,cycles_per_op_median,cycles_per_op_ci_lo,cycles_per_op_ci_hi,p99_median,p99_ci_lo,p99_ci_hi,ci_level" > (R "/summary.csv")
  print "run_id,env,accel,clock,allocator,family,workload,params,seed,rep,status,ops,workload_checksum,placement_checksum,cycles_per_op,p50,p90,p99,p999,max,timer_overhead,peak_live_bytes,peak_footprint_bytes,frag_internal,frag_external,failed_allocs,leaks,faults" (mode == "old" ? "" : ",sweep,l1d_misses_per_op,l2_misses_per_op,llc_misses_per_op,dtlb_misses_per_op") > (R "/cells.csv")
  print "run_id,env,allocator,workload,params,seed,rep,bucket_lo,bucket_hi,count" > (R "/latency.csv")
  print "run_id,env,allocator,workload,params,seed,rep,op_index,live_bytes,held_bytes,free_bytes,largest_free_bytes,meta_bytes" > (R "/timeline.csv")

  nh = split("firstfit-seed slab bump glibc jemalloc my_alloc", H, " ")
  nf = split("bitmap-seed bitmap-fast buddy", F, " ")
  split("9000 45 15 40 35 60", hcost, " ")
  split("140 42 38", fcost, " ")
  # the suite, host TSC cycles
  for (a = 1; a <= nh; a++) {
    cell("host", "none", "tsc", H[a], "heap", "churn-fixed", "live=100,ops=100,size=64", "", 9, "ok", hcost[a], hcost[a] / 2)
    cell("host", "none", "tsc", H[a], "heap", "lifo", "n=200,min=64,max=64", "", 9, H[a] == "bump" ? "failed" : "ok", hcost[a] * 0.8, hcost[a] / 3)
  }
  cell("host", "none", "tsc", "glibc", "heap", "ramp", "n=200,free_every=4,min=16,max=4096", "", 0, "crashed", 0, 0)
  for (a = 1; a <= nf; a++)
    cell("host", "none", "tsc", F[a], "frame", "frames-churn", "frames=1024,occupancy=90,ops=100", "", 9, "ok", fcost[a], fcost[a] / 2)
  if (mode != "old") {
    # instructions: host callgrind (2 reps) and kernel QEMU icount (3 reps),
    # project allocators only
    for (a = 1; a <= 3; a++) {
      cell("host", "none", "instructions", H[a], "heap", "churn-fixed", "live=100,ops=100,size=64", "", 2, "ok", hcost[a] * 1.1, 0)
      cell("qemu", "tcg", "icount", H[a], "heap", "churn-fixed", "live=100,ops=100,size=64", "", 3, "ok", hcost[a] * 1.3, 0)
      cell("host", "none", "instructions", H[a], "heap", "lifo", "n=200,min=64,max=64", "", 2, "ok", hcost[a], 0)
      cell("qemu", "tcg", "icount", H[a], "heap", "lifo", "n=200,min=64,max=64", "", 3, "ok", hcost[a] * 1.2, hcost[a] / 2)
    }
    for (a = 1; a <= nf; a++) {
      cell("host", "none", "instructions", F[a], "frame", "frames-churn", "frames=1024,occupancy=90,ops=100", "", 2, "ok", fcost[a] * 1.2, 0)
      cell("qemu", "tcg", "icount", F[a], "frame", "frames-churn", "frames=1024,occupancy=90,ops=100", "", 3, "ok", fcost[a] * 1.4, 0)
    }
    # modelled cycles: the host cell under qemu-x86_64 and the kernel, one
    # rep each (a counting clock); the project allocators and jemalloc
    # (the baseline of the ratio figures) on the heap workloads
    for (a = 1; a <= 5; a++) {
      if (a == 4) continue # glibc: not modelled here
      for (e = 1; e <= (a == 5 ? 1 : 2); e++) {
        env = e == 1 ? "host" : "qemu"; acc = e == 1 ? "none" : "tcg"
        cell(env, acc, "modelled", H[a], "heap", "churn-fixed", "live=100,ops=100,size=64", "", 1, "ok", hcost[a] * (e == 1 ? 3.1 : 3.3), 0)
        cell(env, acc, "modelled", H[a], "heap", "lifo", "n=200,min=64,max=64", "", 1, "ok", hcost[a] * (e == 1 ? 2.9 : 3.7), 0)
      }
    }
    for (a = 1; a <= nf; a++) {
      cell("host", "none", "modelled", F[a], "frame", "frames-churn", "frames=1024,occupancy=90,ops=100", "", 1, "ok", fcost[a] * 3.2, 0)
      cell("qemu", "tcg", "modelled", F[a], "frame", "frames-churn", "frames=1024,occupancy=90,ops=100", "", 1, "ok", fcost[a] * 3.4, 0)
    }
    # a modelled sweep (heaplab run --clock modelled --sweep ...), both envs
    split("16 64 256 1024 4096", L, " ")
    for (a = 1; a <= 3; a++)
      for (v = 1; v <= 5; v++)
        for (e = 1; e <= 2; e++)
          cell(e == 1 ? "host" : "qemu", e == 1 ? "none" : "tcg", "modelled", H[a], "heap", "churn-fixed",
               "live=" L[v] ",ops=100,size=64", "live", 1, "ok",
               (H[a] == "firstfit-seed" ? 20 + 9 * L[v] : hcost[a] * 3 * (1 + 0.03 * v)) * (e == 1 ? 1 : 1.2), 0)
  }
  # the sweeps (TSC only): first fit grows with the live set, the others stay flat
  nl = split("16 64 256 1024 4096", L, " ")
  for (a = 1; a <= 5; a++)
    for (v = 1; v <= nl; v++)
      cell("host", "none", "tsc", H[a], "heap", "churn-fixed", "live=" L[v] ",ops=100,size=64", "live", 9, "ok",
           H[a] == "firstfit-seed" ? 5 + 2.5 * L[v] : hcost[a] * (1 + 0.02 * v), 0)
  no = split("25 50 75 90 99", O, " ")
  for (a = 1; a <= nf; a++)
    for (v = 1; v <= no; v++)
      if (mode != "old" || O[v] != 90) # old: no sweep column to tell them apart
      cell("host", "none", "tsc", F[a], "frame", "frames-churn", "frames=1024,occupancy=" O[v] ",ops=100", "occupancy", 9, "ok",
           F[a] == "bitmap-seed" ? 30 + 4 / (1 - O[v] / 100) : fcost[a] * (1 + 0.01 * v), 0)
}'
