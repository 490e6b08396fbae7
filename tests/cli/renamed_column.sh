#!/usr/bin/env bash
# tests/cli/renamed_column.sh — every command that reads a run back goes
# through the one CSV reader (bench/host/csvread.h): a cells.csv whose
# header has a renamed column makes `heaplab plot`, `summary`, `compare`
# (two runs and --baseline) and `repeat` exit 2 with ONE line naming the
# file and the column, writing nothing; so does a cells.csv without a
# column they need.  An older cells.csv (today's columns up to `faults`,
# before sweep, launch, the floor and the disturbance columns) still
# reads.  Fixtures: SYNTHETIC runs (stats_fixture/, plot_fixture/).
. "$(dirname "$0")/lib.sh"

bash "$(dirname "$0")/stats_fixture/make_runs.sh" "$TMP"
bash "$(dirname "$0")/plot_fixture/make_fixture.sh" "$TMP"
A=$TMP/fixture-a
B=$TMP/fixture-b
P=$TMP/fixture-plot

# expect2 NEEDLE... -- CMD...: exit 2, one stderr line holding every NEEDLE
expect2() {
  local needles=()
  while [ "$1" != -- ]; do needles+=("$1"); shift; done
  shift
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  local rc=$? lines n
  lines=$(wc -l <"$TMP/stderr")
  if [ "$rc" -ne 2 ]; then fail "exit $rc, not 2: $* :: $(head -c 300 "$TMP/stderr")"; return; fi
  if [ "$lines" -ne 1 ]; then fail "$lines stderr lines, not 1: $* :: $(head -c 300 "$TMP/stderr")"; return; fi
  for n in "${needles[@]}"; do
    if ! grep -qF -- "$n" "$TMP/stderr"; then fail "stderr does not name '$n': $* :: $(cat "$TMP/stderr")"; return; fi
  done
  pass
}

# a renamed column: cycles_per_op -> cost_per_op in A's and the plot run's cells.csv
for d in "$A" "$P"; do cp "$d/cells.csv" "$d/cells.good"; sed -i '1s/,cycles_per_op,/,cost_per_op,/' "$d/cells.csv"; done
check "the header was renamed" grep -q ',cost_per_op,' "$A/cells.csv"
WHAT="cells.csv' has a malformed header: unknown column 'cost_per_op'"
expect2 "$P/$WHAT" -- "$HL" plot "$P" --format png
check "plot wrote no figures" test ! -e "$P/figures"
expect2 "$A/$WHAT" -- "$HL" summary "$A"
check "summary wrote no summary.csv" test ! -e "$A/summary.csv"
expect2 "$A/$WHAT" -- "$HL" compare "$A" "$B"
expect2 "$A/$WHAT" -- "$HL" compare "$B" "$A"
expect2 "$A/$WHAT" -- "$HL" compare "$A" --baseline jemalloc
check "compare --baseline wrote no ratios.csv" test ! -e "$A/ratios.csv"
expect2 "$A/$WHAT" -- "$HL" repeat "$A" "$B"

# a column they need, missing: status (header and rows; params holds commas)
for d in "$A" "$P"; do
  awk -v c="$(csv_col "$d/cells.good" status)" "$AWK_CSV"'
    { split_csv($0); out = ""; k = 0
      for (i = 1; i <= nf; i++) if (i != c) out = out (k++ ? "," : "") (f[i] ~ /[,"]/ ? "\"" f[i] "\"" : f[i])
      print out }' "$d/cells.good" >"$d/cells.csv"
done
WHAT="cells.csv' has a malformed header: no column 'status'"
expect2 "$P/$WHAT" -- "$HL" plot "$P" --format png
expect2 "$A/$WHAT" -- "$HL" summary "$A"
expect2 "$A/$WHAT" -- "$HL" compare "$A" "$B"
expect2 "$A/$WHAT" -- "$HL" repeat "$B" "$A"

# an older cells.csv: the first 28 columns (to faults) are a prefix of
# today's; the ten after them are trailing unquoted numbers or empty
sed -E 's/(,[^,"]*){10}$//' "$A/cells.good" >"$A/cells.csv"
check "the old header ends at faults" test "$(head -n 1 "$A/cells.csv" | tr ',' '\n' | tail -n 1)" = faults
"$HL" summary "$A" >/dev/null 2>"$TMP/stderr"
check "summary reads an older cells.csv" test $? -eq 0 -a ! -s "$TMP/stderr"
check "... one launch per cell (no launch column)" grep -q '^fixture-a,host,none,tsc,jemalloc,heap,lifo,"n=100,size=64",,1,1,12,12,ok,' "$A/summary.csv"
"$HL" compare "$A" "$B" >/dev/null 2>"$TMP/stderr"
check "compare reads an older cells.csv" test $? -eq 0 -a ! -s "$TMP/stderr"
finish
