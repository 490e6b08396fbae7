#!/usr/bin/env bash
# tests/cli/plot_bad_input.sh — `heaplab plot` on bad input: a missing
# folder, a folder that is not a run, each CSV missing, a wrong header, a
# bad number, a truncated line, a bad --format, no gnuplot.  Each gives
# exit 2 (1 for a missing gnuplot) and exactly one stderr line naming the
# file, line, column and value — never a gnuplot message — and writes nothing.  A
# script gnuplot refuses gives exit 1 and one line with its complaint.
. "$(dirname "$0")/lib.sh"
FIXTURE="$(dirname "$0")/plot_fixture/make_fixture.sh"

mkdir -p "$TMP/fx"
bash "$FIXTURE" "$TMP/fx"
GOOD="$TMP/fx/fixture-plot"

# expect RC NEEDLE DIR CMD...: exit RC, one stderr line with NEEDLE, and no
# DIR/figures afterwards
expect() {
  local rc=$1 needle=$2 dir=$3; shift 3
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  local got=$? lines
  lines=$(wc -l <"$TMP/stderr")
  if [ "$got" -ne "$rc" ]; then fail "exit $got, not $rc: $* :: $(head -c 300 "$TMP/stderr")"
  elif [ "$lines" -ne 1 ]; then fail "$lines stderr lines, not 1: $* :: $(head -c 300 "$TMP/stderr")"
  elif ! grep -qF -- "$needle" "$TMP/stderr"; then fail "stderr does not name '$needle': $* :: $(cat "$TMP/stderr")"
  elif [ -n "$dir" ] && [ -e "$dir/figures" ]; then fail "figures written for bad input: $*"
  else pass; fi
}

# a fresh copy of the fixture with one change: bad NAME EDIT...
bad() {
  rm -rf "$TMP/bad"
  cp -r "$GOOD" "$TMP/bad"
  rm -rf "$TMP/bad/figures"
  "$@"
}

# arguments
expect 2 "plot needs a run folder" "" "$HL" plot
expect 2 "unexpected argument '$GOOD'" "" "$HL" plot "$GOOD" "$GOOD"
expect 2 "unknown option '--frob' for plot" "$GOOD" "$HL" plot "$GOOD" --frob
expect 2 "missing value for --format" "" "$HL" plot "$GOOD" --format
expect 2 "missing value for --out" "" "$HL" plot "$GOOD" --out
expect 2 "bad value for --format: 'bogus'" "$GOOD" "$HL" plot "$GOOD" --format bogus
expect 2 "bad value for --format: 'jpg'" "$GOOD" "$HL" plot "$GOOD" --format pdf,jpg
expect 2 "bad value for --format: 'pdf' named twice" "$GOOD" "$HL" plot "$GOOD" --format pdf,pdf
expect 2 "bad value for --format: empty item" "$GOOD" "$HL" plot "$GOOD" --format pdf,
expect 2 "output folder '$TMP/no/such' cannot be created" "$GOOD" "$HL" plot "$GOOD" --out "$TMP/no/such"
touch "$TMP/afile"
expect 2 "output folder '$TMP/afile' is not a folder" "$GOOD" "$HL" plot "$GOOD" --out "$TMP/afile"

# folders that are not runs
expect 2 "'$TMP/none' is not a run folder (not a folder)" "" "$HL" plot "$TMP/none"
expect 2 "'$TMP/afile' is not a run folder (not a folder)" "" "$HL" plot "$TMP/afile"
mkdir -p "$TMP/empty"
expect 2 "'$TMP/empty' is not a run folder (no meta.csv)" "$TMP/empty" "$HL" plot "$TMP/empty"
for f in meta cells summary latency timeline; do
  bad rm "$TMP/bad/$f.csv"
  expect 2 "'$TMP/bad' is not a run folder (no $f.csv)" "$TMP/bad" "$HL" plot "$TMP/bad"
done
bad truncate -s 0 "$TMP/bad/summary.csv"
expect 2 "summary.csv' is empty" "$TMP/bad" "$HL" plot "$TMP/bad"

# headers: every name through the column table (bench/core/columns.h); a
# renamed column is unknown, a column plot needs and the file lacks is named
bad sed -i '1s/^key,value$/k,v/' "$TMP/bad/meta.csv"
expect 2 "meta.csv' has a malformed header: unknown column 'k'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '1s/cycles_per_op_median/cycles_median/' "$TMP/bad/summary.csv"
expect 2 "summary.csv' has a malformed header: unknown column 'cycles_median'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '1s/frag_external/frag_ext/' "$TMP/bad/cells.csv"
expect 2 "cells.csv' has a malformed header: unknown column 'frag_ext'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '1s/bucket_hi/bucket_lo/' "$TMP/bad/latency.csv"
expect 2 "latency.csv' has a malformed header: column 'bucket_lo' named twice" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '1s/held_bytes/footprint/' "$TMP/bad/timeline.csv"
expect 2 "timeline.csv' has a malformed header: unknown column 'footprint'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '1s/$/,clock/' "$TMP/bad/latency.csv"
expect 2 "latency.csv' has a malformed header: unknown column 'clock'" "$TMP/bad" "$HL" plot "$TMP/bad"
# drop_col FILE NAME: the file without that column (header and rows)
drop_col() {
  awk -v c="$(head -n 1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1)" "$AWK_CSV"'
    { split_csv($0); out = ""; k = 0
      for (i = 1; i <= nf; i++) if (i != c) out = out (k++ ? "," : "") (f[i] ~ /[,"]/ ? "\"" f[i] "\"" : f[i])
      print out }' "$1" >"$1.new" && mv "$1.new" "$1"
}
bad drop_col "$TMP/bad/cells.csv" frag_external
expect 2 "cells.csv' has a malformed header: no column 'frag_external'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad drop_col "$TMP/bad/summary.csv" cycles_per_op_ci_hi
expect 2 "summary.csv' has a malformed header: no column 'cycles_per_op_ci_hi'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad drop_col "$TMP/bad/meta.csv" value
expect 2 "meta.csv' has a malformed header: no column 'value'" "$TMP/bad" "$HL" plot "$TMP/bad"
# a column plot does not need may be missing (an older run)
bad drop_col "$TMP/bad/timeline.csv" meta_bytes
"$HL" plot "$TMP/bad" --format png >/dev/null 2>"$TMP/stderr"
check_exit $? "timeline.csv without meta_bytes (not needed): still plots"
check "timeline.csv without meta_bytes: nothing on stderr" [ ! -s "$TMP/stderr" ]

# numbers: found by header name, so a moved column still reads
col() { head -n 1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
# set_field FILE LINE COLUMN VALUE (the fixture quotes only params, which
# comes before every number)
set_field() {
  awk -v l="$2" -v c="$(col "$1" "$3")" -v v="$4" "$AWK_CSV"'
    NR == l { split_csv($0); f[c] = v; out = ""
              for (i = 1; i <= nf; i++) out = out (i > 1 ? "," : "") (f[i] ~ /[,"]/ ? "\"" f[i] "\"" : f[i])
              print out; next } { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}
for v in abc 12x 0x10 nan inf 1e999 ' 3'; do
  bad set_field "$TMP/bad/summary.csv" 4 cycles_per_op_median "$v"
  expect 2 "summary.csv' line 4: bad number '$v' in column 'cycles_per_op_median'" "$TMP/bad" "$HL" plot "$TMP/bad"
done
bad set_field "$TMP/bad/summary.csv" 4 cycles_per_op_median ""
expect 2 "summary.csv' line 4: empty value in column 'cycles_per_op_median'" "$TMP/bad" "$HL" plot "$TMP/bad"
# (a negative median is no fault: cycles_per_op is net of the harness
# floor; nor a median outside its bootstrap percentile interval)
bad set_field "$TMP/bad/summary.csv" 4 cycles_per_op_ci_hi 0.5
expect 2 "summary.csv' line 4: bad numbers: interval [" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/cells.csv" 7 frag_internal 1.5
expect 2 "cells.csv' line 7: bad number '1.5' in column 'frag_internal' (a fraction 0..1)" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/cells.csv" 3 rep r1
expect 2 "cells.csv' line 3: bad number 'r1' in column 'rep'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/latency.csv" 9 count -69
expect 2 "latency.csv' line 9: bad number '-69' in column 'count'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/latency.csv" 2 bucket_hi 1
expect 2 "latency.csv' line 2: bad numbers: bucket_hi 1 below bucket_lo" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/timeline.csv" 5 live_bytes 1.5e3
expect 2 "timeline.csv' line 5: bad number '1.5e3' in column 'live_bytes'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad set_field "$TMP/bad/summary.csv" 3 cycles_per_op_ci_lo 99999999
expect 2 "summary.csv' line 3: bad numbers: interval [99999999, " "$TMP/bad" "$HL" plot "$TMP/bad"
bad true
expect 2 "bad value for --baseline: no allocator 'nosuch'" "$TMP/bad" "$HL" plot "$TMP/bad" --baseline nosuch
bad set_field "$TMP/bad/summary.csv" 3 env ""
expect 2 "summary.csv' line 3: empty value in column 'env'" "$TMP/bad" "$HL" plot "$TMP/bad"
bad eval 'sed -n 3p "$TMP/bad/summary.csv" >>"$TMP/bad/summary.csv"'
expect 2 "a second row for the cell" "$TMP/bad" "$HL" plot "$TMP/bad"
# a header moved around is no problem: columns are found by name
bad eval 'awk -F, -v OFS=, "{ t = \$1; \$1 = \$2; \$2 = t; print }" "$TMP/bad/timeline.csv" >"$TMP/bad/t" && mv "$TMP/bad/t" "$TMP/bad/timeline.csv"'
"$HL" plot "$TMP/bad" --format png >/dev/null 2>"$TMP/stderr"
check_exit $? "columns swapped (by name): still plots"
check "columns swapped: nothing on stderr" [ ! -s "$TMP/stderr" ]

# truncated lines: cut mid-row, a short row, a quote left open
n=$(wc -l <"$GOOD/latency.csv")
bad eval 'head -c -7 "$GOOD/latency.csv" >"$TMP/bad/latency.csv"'
expect 2 "latency.csv' line $n: truncated" "$TMP/bad" "$HL" plot "$TMP/bad"
n=$(wc -l <"$GOOD/timeline.csv")
bad eval 'head -c -1 "$GOOD/timeline.csv" >"$TMP/bad/timeline.csv"'
expect 2 "timeline.csv' line $n: truncated" "$TMP/bad" "$HL" plot "$TMP/bad"
bad eval 'echo "fixture-plot,host,none,tsc,slab" >>"$TMP/bad/cells.csv"'
expect 2 "cells.csv' line $(($(wc -l <"$GOOD/cells.csv") + 1)): 5 fields, the header has" "$TMP/bad" "$HL" plot "$TMP/bad"
bad sed -i '6s/"live=100/"live=100"x/' "$TMP/bad/summary.csv"
expect 2 "summary.csv' line 6: malformed CSV" "$TMP/bad" "$HL" plot "$TMP/bad"
bad eval 'printf "\n" >>"$TMP/bad/meta.csv"'
expect 2 "meta.csv' line $(($(wc -l <"$GOOD/meta.csv") + 1)): empty line" "$TMP/bad" "$HL" plot "$TMP/bad"

# the environment: no gnuplot (exit 1), scripts not where HEAPLAB_PLOTS_DIR says
bad true
expect 1 "gnuplot not found on PATH" "$TMP/bad" env PATH=/nonexistent "$HL" plot "$TMP/bad"
# a script gnuplot refuses: exit 1, gnuplot's complaint in one line
mkdir -p "$TMP/broken"
cp "$(dirname "$0")"/../../plots/*.gp "$TMP/broken/"
echo 'plot no_such_variable' >>"$TMP/broken/frag.gp"
expect 1 "gnuplot failed on fig6-frag-heap (pdf, plots/frag.gp)" "" \
  env HEAPLAB_PLOTS_DIR="$TMP/broken" "$HL" plot "$TMP/bad" --out "$TMP/brokenout" --format pdf
check "the failing script's line is named" grep -q 'frag.gp" line [0-9]*: undefined variable: no_such_variable' "$TMP/stderr"
mkdir -p "$TMP/noscripts"
expect 2 "HEAPLAB_PLOTS_DIR='$TMP/noscripts' holds no heaplab gnuplot scripts" "$TMP/bad" \
  env HEAPLAB_PLOTS_DIR="$TMP/noscripts" "$HL" plot "$TMP/bad"
finish
