#!/usr/bin/env bash
# tests/model/host.sh — `heaplab run --env host --clock modelled`: the
# host's cell child under qemu-x86_64 with the cost plugin
# (docs/model.md, "The modelled clock"), read back:
#  - three runs (one into a longer folder path, which moves the child's
#    argv) give identical rows (every column but run_id) and identical
#    region rows in the plugin's reports, for the project's allocators
#    and glibc;
#  - the miss columns are numbers, p50..max empty, no latency rows;
#    meta.csv names the model and qemu-x86_64;
#  - with --clock instructions,modelled, the instructions of each cell's
#    main regions (the plugin) and callgrind's raw count differ by one
#    small constant for every cell, and the floors likewise (the runner's
#    code between a marker and callgrind's window); and callgrind's cache
#    simulator, given the model's geometry, counts about the plugin's L1d
#    misses per op;
#  - a missing qemu-x86_64 is refused in one line.
#  - tools/model-table reads the runs back: the table, "same in 3 runs",
#    the rank correlation.
# usage: host.sh HEAPLAB SOURCE_DIR
set -u
export LC_ALL=C
HL=${1:?usage: host.sh HEAPLAB SOURCE_DIR}
SRC=${2:?usage: host.sh HEAPLAB SOURCE_DIR}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"
. "$(dirname "$0")/report.sh"
command -v qemu-x86_64 >/dev/null || { echo "host.sh: no qemu-x86_64: skipped"; exit 77; }

if ! "$HL" info 2>/dev/null | grep -q 'sanitize=none,'; then
  expect_usage "'modelled' on the host needs an unsanitized build" \
    "$HL" run --env host --clock modelled --out "$TMP/out"
  finish
  exit
fi

# A checked build (HL_CHECK_LEVEL >= 1) poisons and checks its whole
# region, every store of which the plugin feeds to the model: it runs the
# same checks at 1000 ops, and the cross-check with callgrind only in a
# release build (where the two simulators' L1d figures are comparable:
# the checks' own memory traffic is not the allocators').
release=false
"$HL" info 2>/dev/null | grep -q 'HL_CHECK_LEVEL=0,' && release=true
OPS=2000; $release || OPS=1000
CELLS=(--allocators slab,tlsf,firstfit-seed,buddy,bitmap-fast,glibc
       --workloads churn-fixed,lifo,frames-churn)
rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); $1 = ""; print }' "$1/cells.csv" | sort; }

for i in 1 2 3; do
  out=$TMP/r$i
  [ "$i" = 2 ] && out=$TMP/r2/a/longer/folder/name/for/the/second/run
  mkdir -p "$out"
  "$HL" run --env host --clock modelled "${CELLS[@]}" --ops $OPS --det-reps 2 --reps 2 \
    --out "$out" >"$TMP/r$i.out" 2>"$TMP/r$i.err"
  check_exit $? "run $i exits 0 ($(head -c 300 "$TMP/r$i.err"))"
done
R1=$(run_dir "$TMP/r1"); R2=$(run_dir "$TMP/r2/a/longer/folder/name/for/the/second/run")
R3=$(run_dir "$TMP/r3")
n=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[2] == "host" && f[4] == "modelled" && f[11] == "ok") n++ } END { print n + 0 }' "$R1/cells.csv")
# 6 allocators: 4 heap x 2 heap workloads + 2 frame x 1 = 10 cells, 2 reps
check "20 ok host modelled rows (got $n)" [ "$n" -eq 20 ]
check "run 2 repeats run 1" [ "$(rows "$R1")" = "$(rows "$R2")" ]
check "run 3 repeats run 1" [ "$(rows "$R1")" = "$(rows "$R3")" ]
nrep=$(ls "$R1/model" | grep -v 'perop' | grep -c '^host\.')
check "one plugin report per cell, named host.* (got $nrep)" [ "$nrep" -eq 10 ]
nrep=$(ls "$R1/model" | grep -c '^host\..*\.perop\.csv$')
check "one per-op histogram file per cell (got $nrep)" [ "$nrep" -eq 10 ]
reports_repeat host "$R1" "$R2" "$R3"
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
  for (i = nf - 3; i <= nf; i++) if (f[i] !~ /^-?[0-9]+\.[0-9][0-9][0-9]$/) print f[5], f[7], i
  for (i = 16; i <= 20; i++) if (f[i] !~ /^[0-9]+$/ || (i > 16 && f[i] + 0 < f[i - 1] + 0)) print f[5], f[7], "p", i }' "$R1/cells.csv")
check "miss columns are numbers, p50 <= p90 <= p99 <= p99.9 <= max: $bad" [ -z "$bad" ]
# the space figures and the placements come from the per-op pass
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[6] == "frame" && f[14] == "0000000000000000") print f[5], f[7] }' "$R1/cells.csv")
check "frame rows have a placement checksum: $bad" [ -z "$bad" ]
check "no latency rows" [ "$(wc -l <"$R1/latency.csv")" -eq 1 ]
# the first-fit heap's list walk misses L1d far more than slab
ff=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[5] == "firstfit-seed" && f[7] == "lifo") print f[nf - 3] }' "$R1/cells.csv" | head -1)
sl=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[5] == "slab" && f[7] == "lifo") print f[nf - 3] }' "$R1/cells.csv" | head -1)
check "lifo: firstfit-seed misses L1d more than 5x slab ($ff vs $sl)" \
  awk -v a="$ff" -v b="$sl" 'BEGIN { exit !(a > 5 * b && a > 1) }'
for k in model model_qemu_user model_qemu_user_version model_plugin clocks.host; do
  check "meta.csv names $k" grep -q "^$k," "$R1/meta.csv"
done

# Instructions against callgrind (where valgrind runs): --ops 1000, one
# run of each stream, so raw_cycles_per_op x 1000 is callgrind's count.
if ! $release; then
  echo "host.sh: a checked build: the callgrind cross-check runs in the release preset"
elif command -v valgrind >/dev/null; then
  mkdir -p "$TMP/both"
  "$HL" run --env host --clock instructions,modelled "${CELLS[@]}" --ops 1000 \
    --out "$TMP/both" >"$TMP/both.out" 2>"$TMP/both.err"
  check_exit $? "instructions,modelled exits 0 ($(head -c 300 "$TMP/both.err"))"
  B=$(run_dir "$TMP/both")
  diffs=$(region_minus_raw "$B" instructions host)
  echo "region instructions minus callgrind's (cells, main, floor): $diffs"
  check "one constant difference for all 10 cells: $diffs" \
    [ "$(echo "$diffs" | wc -l)" -eq 1 -a "$(echo "$diffs" | awk '{ print $1 }')" -eq 10 ]
  km=$(echo "$diffs" | awk '{ print $2 }'); kf=$(echo "$diffs" | awk '{ print $3 }')
  check "main difference small ($km)" [ "${km#-}" -lt 100 ]
  check "floor difference small ($kf)" [ "${kf#-}" -lt 100 ]
  # callgrind's cache simulator (the model's L1d and LLC) beside the
  # plugin: L1d misses per op agree within 0.1 + 10 %
  check "meta.csv: instructions_cache_sim" grep -q '^instructions_cache_sim,' "$B/meta.csv"
  side=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[5] " " f[7] " " f[10]
    if (f[4] == "instructions") cg[k] = f[nf - 3]; else if (f[4] == "modelled") pl[k] = f[nf - 3] }
    END { for (k in cg) printf "%s callgrind %s plugin %s\n", k, cg[k], pl[k] }' "$B/cells.csv" | sort)
  echo "L1d misses per op, callgrind beside the plugin:"; echo "$side"
  bad=$(echo "$side" | awk '$5 !~ /^-?[0-9.]+$/ || $7 !~ /^-?[0-9.]+$/ { print; next }
    { d = $5 - $7; if (d < 0) d = -d; if (d > 0.1 + 0.1 * $7) print }')
  check "L1d misses: callgrind and the plugin agree: $bad" [ -z "$bad" ] 
fi

# tools/model-table (python3): the three runs read back as one table.
if command -v python3 >/dev/null; then
  "$SRC/tools/model-table" "$R1" "$R2" "$R3" >"$TMP/table.md" 2>"$TMP/table.err"
  check_exit $? "model-table exits 0 ($(head -c 200 "$TMP/table.err"))"
  n=$(grep -c '| host yes |$' "$TMP/table.md")
  check "model-table: 10 cells the same in 3 runs (got $n)" [ "$n" -eq 10 ]
  check "model-table: no cell differs" [ "$(grep -c 'NO' "$TMP/table.md")" -eq 0 ]
  if [ -n "${B:-}" ]; then
    "$SRC/tools/model-table" "$B" >"$TMP/table2.md" 2>&1
    check "model-table: a rank correlation of the heap cells" \
      grep -qE '^- host modelled cycles vs host instructions: rho = [-0-9.]+ over 8 cells' "$TMP/table2.md"
  fi
fi

HEAPLAB_QEMU_USER=/nonexistent/qemu-x86_64 expect_usage "HEAPLAB_QEMU_USER=/nonexistent" \
  "$HL" run --env host --clock modelled --out "$TMP/out"
expect_usage "--model: 'nehalem' (presets: skylake-client, zen3)" \
  "$HL" run --env host --clock modelled --model nehalem --out "$TMP/out"
finish
