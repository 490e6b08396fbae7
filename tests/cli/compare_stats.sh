#!/usr/bin/env bash
# tests/cli/compare_stats.sh — `heaplab summary`, `heaplab compare RUN
# --baseline`, `heaplab compare RUN_A RUN_B`, `heaplab repeat` and
# tools/repeat on the two
# SYNTHETIC runs of stats_fixture/make_runs.sh (known answers: see that
# script), the ratios.csv they write, and their bad input: exit 2 with
# one line naming the bad value.  No timing is compared: the one real
# run pair (tools/repeat) is only checked for its report's shape.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

bash "$(dirname "$0")/stats_fixture/make_runs.sh" "$TMP"
A=$TMP/fixture-a
B=$TMP/fixture-b

# ---- summary ---------------------------------------------------------------------
"$HL" summary "$A" --target-ci 50 >"$TMP/sum.out" 2>"$TMP/sum.err"
check "summary exits 0" test $? -eq 0
S=$A/summary.csv
check "summary.csv header" test "$(head -n 1 "$S")" = \
  "run_id,env,accel,clock,allocator,family,workload,params,sweep,seed,launches,reps,n,status,disturbed,cycles_per_op_median,cycles_per_op_ci_lo,cycles_per_op_ci_hi,cycles_per_op_var_between_share,p99_median,p99_ci_lo,p99_ci_hi,harness_floor_median,harness_floor_ci_lo,harness_floor_ci_hi,raw_cycles_per_op_median,raw_cycles_per_op_ci_lo,raw_cycles_per_op_ci_hi,ci_level,target_ci_pct,ci_met,alloc_params"
check "summary.csv: 16 cells" test "$(tail -n +2 "$S" | wc -l)" -eq 16
check "summary.csv: bump fifo tsc: 4 launches, 12 reps, 11 with figures, crashed" \
  grep -q '^fixture-a,host,none,tsc,bump,heap,fifo,"n=100,size=64",,1,4,12,11,crashed,0,' "$S"
check "summary.csv: instructions cells: 1 launch, exact, floor 12" \
  grep -q '^fixture-a,host,none,instructions,slab,heap,lifo,"n=100,size=64",,1,1,3,3,ok,0,300.000,300.000,300.000,,,,,12.000,12.000,12.000,312.000,312.000,312.000,0.95,50,yes,"keep_empty=1,magazine=64,max_slab_order=6,lg_classes=1"$' "$S"
check "summary.csv: every cell meets 50 %" test "$(awk -v c="$(csv_col "$S" ci_met)" "$AWK_CSV"'NR > 1 { split_csv($0); if (f[c] != "yes") print }' "$S" | wc -l)" -eq 0
check "summary table" grep -Eq '^jemalloc +lifo +host tsc +4 +12 ok' "$TMP/sum.out"
cp "$S" "$TMP/sum.first"
"$HL" summary "$A" --target-ci 50 >/dev/null 2>&1
check "summary.csv repeats byte for byte" cmp -s "$S" "$TMP/sum.first"
expect_usage "bad value for --target-ci: '0'" "$HL" summary "$A" --target-ci 0
expect_usage "bad value for --target-ci: 'x'" "$HL" summary "$A" --target-ci x
expect_usage "summary needs a run folder" "$HL" summary
expect_usage "'$TMP/nope' is not a run folder" "$HL" summary "$TMP/nope"

# ---- compare RUN --baseline NAME ---------------------------------------------
"$HL" compare "$A" --baseline jemalloc >"$TMP/cmp.out" 2>"$TMP/cmp.err"
check "compare --baseline exits 0" test $? -eq 0
check "compare --baseline: nothing on stderr" test ! -s "$TMP/cmp.err"
R=$A/ratios.csv
check "ratios.csv written" test -f "$R"
check "ratios.csv header" test "$(head -n 1 "$R")" = \
  "run_id,env,accel,clock,workload,params,sweep,seed,allocator,family,baseline,paired_launches,ratio,ratio_ci_lo,ratio_ci_hi,ci_level,verdict,alloc_params"
check "ratios.csv: 12 rows (3 allocators x 2 workloads x 2 clocks)" \
  test "$(tail -n +2 "$R" | wc -l)" -eq 12
check "no ratios.csv.tmp left" test ! -e "$R.tmp"
# verdict per allocator: the fixture's known answers, in every row
verdicts=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[9] "=" f[17] }' "$R" | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')
check "verdicts: bump faster, glibc no_difference, slab slower ($verdicts)" \
  test "$verdicts" = "4 bump=faster 4 glibc=no_difference 4 slab=slower "
# tsc rows pair 4 rounds, instructions rows 1; ratio inside its CI; baseline named
bad_rows=$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
  want = f[4] == "tsc" ? 4 : 1
  if (f[11] != "jemalloc" || f[12] != want || f[14] > f[13] || f[13] > f[15] || f[16] != "0.95") print NR }' "$R")
check "ratios.csv rows consistent (bad lines: $bad_rows)" test -z "$bad_rows"
check "slab lifo tsc ratio 1.5" grep -q '^fixture-a,host,none,tsc,lifo,"n=100,size=64",,1,slab,heap,jemalloc,4,1.5000,' "$R"
check "table names the verdicts" grep -q 'slab .* 1.500 .* slower' "$TMP/cmp.out"
check "table totals" grep -q '^12 ratios: 4 faster, 4 slower, 4 no_difference, 0 undefined' "$TMP/cmp.out"
# the same input gives the same file, byte for byte
cp "$R" "$TMP/ratios.first"
"$HL" compare "$A" --baseline jemalloc >/dev/null 2>&1
check "ratios.csv repeats byte for byte" cmp -s "$R" "$TMP/ratios.first"
# another baseline
"$HL" compare "$A" --baseline bump >/dev/null 2>&1
check "--baseline bump: everything slower" test "$(awk -v c="$(csv_col "$R" verdict)" "$AWK_CSV"'NR > 1 { split_csv($0); if (f[c] != "slower") print }' "$R" | wc -l)" -eq 0

# ---- compare RUN_A RUN_B --------------------------------------------------------
"$HL" compare "$A" "$B" >"$TMP/ab.out" 2>"$TMP/ab.err"
check "compare A B exits 0" test $? -eq 0
check "compare A B: 16 cells" grep -q '^16 cells in both runs' "$TMP/ab.out"
check "compare A B: slab fifo +15 %, outside both CIs" \
  grep -Eq '^slab +fifo +host/tsc .*\| +\+15\.0% +nn +\|' "$TMP/ab.out"
check "compare A B: jemalloc lifo +1 %, inside both CIs" \
  grep -Eq '^jemalloc +lifo +host/tsc .*\| +\+1\.0% +yy +\|' "$TMP/ab.out"
check "compare A B keeps the Mann-Whitney column" grep -q 'Mann-Whitney' "$TMP/ab.out"

# ---- repeat -----------------------------------------------------------------------
"$HL" repeat "$A" "$B" >"$TMP/rep.out" 2>"$TMP/rep.err"
check "repeat exits 0" test $? -eq 0
check "repeat: default baseline jemalloc" grep -q '^ratio to jemalloc per workload' "$TMP/rep.out"
check "repeat: 15 of 16 within 3 %" grep -Eq '^  within 3 % +15 of 16 \(93\.8 %\)' "$TMP/rep.out"
check "repeat: largest deviation slab fifo" grep -Eq '^  largest deviation +15\.0 % \(slab fifo host/tsc' "$TMP/rep.out"
check "repeat: 1 beyond 10 %" grep -Eq '^  beyond 10 % +1 of 16' "$TMP/rep.out"
check "repeat: verdicts equal 12 of 12" grep -Eq '^  verdicts equal \(vs jemalloc\) +12 of 12' "$TMP/rep.out"
"$HL" repeat "$A" "$B" --baseline glibc >"$TMP/rep2.out" 2>&1
check "repeat --baseline glibc" grep -q '^ratio to glibc per workload' "$TMP/rep2.out"
"$HL" repeat "$A" "$A" >"$TMP/rep3.out" 2>&1
check "repeat of a run with itself: all within 3 %" grep -Eq '^  within 3 % +16 of 16' "$TMP/rep3.out"

# ---- bad input -------------------------------------------------------------------
expect_usage "no allocator 'nosuch'" "$HL" compare "$A" --baseline nosuch
expect_usage "missing value for --baseline" "$HL" compare "$A" --baseline
expect_usage "needs one run folder" "$HL" compare "$A" "$B" --baseline jemalloc
expect_usage "compare needs two run folders" "$HL" compare "$A"
expect_usage "'$TMP/nope' is not a run folder" "$HL" compare "$TMP/nope" --baseline jemalloc
expect_usage "'$TMP/nope' is not a run folder" "$HL" repeat "$A" "$TMP/nope"
expect_usage "repeat needs two run folders" "$HL" repeat "$A"
expect_usage "unknown option '--frob' for repeat" "$HL" repeat "$A" "$B" --frob
expect_usage "no allocator 'nosuch'" "$HL" repeat "$A" "$B" --baseline nosuch
mkdir -p "$TMP/empty"
expect_usage "'$TMP/empty' is not a run folder" "$HL" repeat "$A" "$TMP/empty"
# an unknown column, a truncated file, a short line, a bad number
mkdir -p "$TMP/bad"; cp "$A/meta.csv" "$TMP/bad/"
sed '1s/$/,bogus/; 2,$s/$/,0/' "$A/cells.csv" >"$TMP/bad/cells.csv"
expect_usage "unknown column 'bogus'" "$HL" compare "$TMP/bad" --baseline jemalloc
expect_usage "unknown column 'bogus'" "$HL" repeat "$A" "$TMP/bad"
head -c 2000 "$A/cells.csv" >"$TMP/bad/cells.csv"
expect_usage "truncated" "$HL" compare "$TMP/bad" --baseline jemalloc
expect_usage "truncated" "$HL" compare "$A" "$TMP/bad"
expect_usage "truncated" "$HL" summary "$TMP/bad"
check "no summary.csv written for bad input" test ! -e "$TMP/bad/summary.csv"
{ head -n 3 "$A/cells.csv"; head -n 4 "$A/cells.csv" | tail -n 1 | cut -d, -f1-20; } >"$TMP/bad/cells.csv"
expect_usage "line 4: 19 fields, the header has 38" "$HL" repeat "$A" "$TMP/bad"
sed '2s/,19\.600,/,19.6x,/' "$A/cells.csv" >"$TMP/bad/cells.csv"
expect_usage "bad number '19.6x' in column 'cycles_per_op'" "$HL" compare "$TMP/bad" --baseline jemalloc
check "no ratios.csv written for bad input" test ! -e "$TMP/bad/ratios.csv"

# ---- tools/repeat --------------------------------------------------------------------
"$SRC/tools/repeat" --out "$TMP/nothing" --reps 0 >/dev/null 2>&1
check "tools/repeat: heaplab run's bad usage exits 2" test $? -eq 2
HEAPLAB=$TMP/none "$SRC/tools/repeat" >/dev/null 2>&1
check "tools/repeat: a missing binary exits 2" test $? -eq 2
HEAPLAB=$HL "$SRC/tools/repeat" --out "$TMP/rep" --env host --clock tsc --reps 2 --ops 200 \
  --allocators bump,slab --workloads lifo --sweep none >"$TMP/tr.out" 2>"$TMP/tr.err"
rc=$?
check "tools/repeat exits 0 ($(tail -n 2 "$TMP/tr.err"))" test "$rc" -eq 0
check "tools/repeat: two run folders" test "$(ls -d "$TMP"/rep/a/*/ "$TMP"/rep/b/*/ 2>/dev/null | wc -l)" -eq 2
check "tools/repeat: the report's totals" grep -Eq '^  within 3 % +[0-9]+ of 2 ' "$TMP/tr.out"
check "tools/repeat: verdicts vs bump" grep -Eq '^  verdicts equal \(vs bump\) +[0-9]+ of [01]$' "$TMP/tr.out"

finish
