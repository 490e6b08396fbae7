#!/usr/bin/env bash
# tests/cli/launches.sh — the experiment design of `heaplab run`: a TSC
# cell's reps spread over --launches child processes, rep numbers unique
# per cell (launch l holds reps l*R .. l*R+R-1), every round a permutation
# of the TSC cells recorded in meta.csv and repeatable from --order-seed,
# counting-clock cells once after the rounds, the interference columns
# well formed, and a missing --out folder created.
. "$(dirname "$0")/lib.sh"

ALLOCS=bump,slab,glibc
WLS=lifo,fifo
run() { # run DIR ORDER_SEED [extra...]
  local d=$1 s=$2; shift 2
  "$HL" run --env host --out "$TMP/$d/nested" --allocators $ALLOCS --workloads $WLS \
    --ops 300 --reps 2 --launches 3 --min-time 0.001 --order-seed "$s" "$@" \
    >"$TMP/$d.out" 2>"$TMP/$d.err"
}
check "run a exits 0 (its --out did not exist)" run a 11 --clock tsc
check "run b exits 0" run b 11 --clock tsc
check "run c exits 0" run c 12 --clock tsc
A=$(run_dir "$TMP/a/nested"); B=$(run_dir "$TMP/b/nested"); C=$(run_dir "$TMP/c/nested")
check "the missing --out folder was created" [ -d "$A" ]

LAUNCH=$(csv_col "$A/cells.csv" launch)
ATT=$(csv_col "$A/cells.csv" attempts)
DIST=$(csv_col "$A/cells.csv" disturbed)
INV=$(csv_col "$A/cells.csv" invol_switches)
REPS=$(csv_col "$A/cells.csv" stream_repeats)
for c in LAUNCH ATT DIST; do check "new column $c found by name" [ -n "${!c}" ]; done
# 6 cells x 3 launches x 2 reps = 36 rows; per cell reps 0..5 once each,
# launch = rep / 2
layout_ok() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); n++
      k = f[5] "|" f[7]; r = f[10]; seen[k "|" r]++; cells[k] = 1
      if (f[L] != int(r / 2)) { print "launch " f[L] " for rep " r; bad++ }
      if (f[A] < 1 || f[A] > 3) { print "attempts " f[A]; bad++ }
      if (f[D] != 0 && f[D] != 1) { print "disturbed " f[D]; bad++ }
      if (f[D] == 1 && f[A] != 3) { print "disturbed without every retry"; bad++ }
      if (f[I] < 0 || f[S] < 1) bad++
      if (f[11] != "ok") bad++ }
    END { for (c in cells) for (r = 0; r < 6; r++) if (seen[c "|" r] != 1) { print "missing " c " rep " r; bad++ }
          exit !(n == 36 && length(cells) == 6 && !bad) }' L="$LAUNCH" A="$ATT" D="$DIST" I="$INV" S="$REPS" "$1/cells.csv"
}
check "36 rows, reps 0..5 per cell, launch = rep / 2, attempts and flags in range" layout_ok "$A"

# meta: 6 planned cells, 3 rounds, each a permutation of 0..5
rounds() { grep '^order\.round\.' "$1/meta.csv"; }
perm_ok() {
  [ "$(rounds "$1" | wc -l)" -eq 3 ] || return 1
  rounds "$1" | while IFS=, read -r _ order; do
    [ "$(echo "$order" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "0 1 2 3 4 5 " ] || exit 1
  done
}
check "every round is a permutation of the 6 cells" perm_ok "$A"
check "meta has 6 plan.cell rows" [ "$(grep -c '^plan\.cell\.' "$A/meta.csv")" -eq 6 ]
check "meta records the order seed" grep -qx 'order_seed,11' "$A/meta.csv"
check "meta records launches and retries" grep -qx 'launches,3' "$A/meta.csv"
check "the same order seed gives the same order" [ "$(rounds "$A")" = "$(rounds "$B")" ]
check "another order seed, another order" [ "$(rounds "$A")" != "$(rounds "$C")" ]
# the order the cells really ran in is the recorded one (cells.log)
ran() { grep -o 'cell [a-z-]* x [a-z-]* ([^)]*) clock=tsc launch [0-9]*: start' "$1/cells.log" | awk '{print $2, $4, $NF - 0}' | sed 's/:$//'; }
planned() {
  awk -F, '/^plan\.cell\./ { split($1, k, "."); split($2, w, " "); gsub(/"/, "", w[3]); gsub(/"/, "", w[4]); c[k[3]] = w[3] " " w[4] }
           /^order\.round\./ { split($1, k, "."); n = split($2, o, " "); for (i = 1; i <= n; i++) print c[o[i]], k[3] }' "$1/meta.csv"
}
check "cells ran in the recorded order" [ "$(ran "$A" | awk '{print $1, $2}')" = "$(planned "$A" | awk '{print $1, $2}')" ]

# a counting clock's cells run once (launch 0 only), after the rounds
# (release builds only: under callgrind a checked build poisons its
# region at every init, minutes for this plan; clock_sweep.sh covers the
# instructions clock in every unsanitized build)
if "$HL" info 2>/dev/null | grep -q 'HL_CHECK_LEVEL=0,.*sanitize=none,\|sanitize=none,.*HL_CHECK_LEVEL=0,'; then
  check "run d (tsc,instructions) exits 0" run d 11 --clock tsc,instructions --det-reps 1
  D=$(run_dir "$TMP/d/nested")
  check "instructions cells: one row each, launch 0" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "instructions") { n++; if (f[L] != 0) bad++ } } END { print (bad ? -1 : n) }' L="$LAUNCH" "$D/cells.csv")" -eq 6 ]
  check "instructions cells after every tsc launch" bash -c '[ "$(grep -o "clock=[a-z]*" "$1/cells.log" | uniq | tr "\n" " ")" = "clock=tsc clock=instructions " ]' _ "$D"
  check "meta: order.counting lists them" grep -q '^order\.counting,' "$D/meta.csv"
  # counting cells run 2 at a time (--jobs 2) or 1: the same counts
  counts() { awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "instructions") print f[5], f[7], f[15], f[31], f[32] }' "$1/cells.csv" | sort; }
  check "run e (--jobs 1) exits 0" run e 11 --clock tsc,instructions --det-reps 1 --jobs 1 --launches 1
  check "run f (--jobs 2) exits 0" run f 11 --clock tsc,instructions --det-reps 1 --jobs 2 --launches 1
  E=$(run_dir "$TMP/e/nested"); F=$(run_dir "$TMP/f/nested")
  same_counts() { local e f; e=$(counts "$1"); f=$(counts "$2"); [ -n "$e" ] && [ "$e" = "$f" ]; }
  check "--jobs 2 counts what --jobs 1 counts" same_counts "$E" "$F"
  check "--jobs recorded" grep -q '^jobs,"\?2 ' "$F/meta.csv"
fi

# --target-ci: rounds are added until each cell's CI is within P % of its
# median or the budget is spent; what summary.csv says must agree with
# its own interval columns.
met_consistent() { # DIR P
  awk "$AWK_CSV"'NR == 1 { for (i = 1; i <= NF; i++) { split_csv($0); for (k = 1; k <= nf; k++) c[f[k]] = k } next }
    { split_csv($0); m = f[c["cycles_per_op_median"]]; lo = f[c["cycles_per_op_ci_lo"]]; hi = f[c["cycles_per_op_ci_hi"]]
      if (f[c["target_ci_pct"]] != P) bad++
      w = hi - m; if (m - lo > w) w = m - lo; a = m < 0 ? -m : m
      ok = (w <= P / 100 * a + 1e-9)
      if ((f[c["ci_met"]] == "yes") != ok) { print "ci_met " f[c["ci_met"]] " for " m " [" lo ", " hi "]"; bad++ } }
    END { exit bad > 0 }' P="$2" "$1/summary.csv"
}
check "run g (--target-ci 0.01 --budget 2) exits 0" run g 11 --clock tsc --launches 2 --target-ci 0.01 --budget 2
G=$(run_dir "$TMP/g/nested")
check "target: the budget ended it" grep -qx 'target_end,budget spent' "$G/meta.csv"
check "target: rounds added recorded" grep -q '^target_rounds_added,[0-9]' "$G/meta.csv"
check "target: ci_met agrees with the intervals" met_consistent "$G" 0.01
check "target: the added rounds are in meta" grep -q '^order\.round\.2,' "$G/meta.csv"
check "run h (--target-ci 100) exits 0" run h 11 --clock tsc --launches 2 --target-ci 100 --budget 5
H=$(run_dir "$TMP/h/nested")
check "target 100 %: ci_met agrees with the intervals" met_consistent "$H" 100
check "target 100 %: an end is recorded" grep -q '^target_end,' "$H/meta.csv"
finish
