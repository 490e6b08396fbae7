#!/usr/bin/env bash
# tests/kernel/modelled.sh — `heaplab run --env qemu --clock modelled`
# (docs/model.md, "The modelled clock"), read back:
#  - three runs give identical modelled rows (every column but run_id) and
#    byte-identical region rows in the cost plugin's reports;
#  - the four miss columns are filled in modelled rows, empty in icount
#    rows; meta.csv names the model and its geometry;
#  - with --clock icount,modelled in one run, the instructions of each
#    cell's main regions (the plugin) and the icount clock's raw ticks
#    differ by one constant for every cell, and so do the floor regions'
#    and the icount floor (the runner's code between a marker and the
#    clock read: the same instructions for every allocator);
#  - with --env both, the host's and the kernel's modelled rows of a cell
#    share the op stream and (frames) the placements;
#  - a bad --model and a missing plugin are refused in one line.
# usage: modelled.sh HEAPLAB
set -u
export LC_ALL=C
HL=${1:?usage: modelled.sh HEAPLAB}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"
. "$(dirname "$0")/../model/report.sh"

CELLS=(--allocators slab,firstfit-seed,buddy --workloads churn-fixed,lifo,frames-churn)

# cells.csv without run_id, sorted: what must repeat.
rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); $1 = ""; print }' "$1/cells.csv" | sort; }

for i in 1 2 3; do
  mkdir -p "$TMP/r$i"
  "$HL" run --env qemu --clock modelled "${CELLS[@]}" --ops 2000 --out "$TMP/r$i" \
    >"$TMP/r$i.out" 2>"$TMP/r$i.err"
  check_exit $? "run $i exits 0 ($(head -c 300 "$TMP/r$i.err"))"
done
R1=$(run_dir "$TMP/r1"); R2=$(run_dir "$TMP/r2"); R3=$(run_dir "$TMP/r3")

n=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "modelled" && f[11] == "ok") n++ } END { print n + 0 }' "$R1/cells.csv")
check "5 ok modelled rows (got $n)" [ "$n" -eq 5 ]
check "run 2 repeats run 1" [ "$(rows "$R1")" = "$(rows "$R2")" ]
check "run 3 repeats run 1" [ "$(rows "$R1")" = "$(rows "$R3")" ]
nrep=$(ls "$R1/model" | grep -vc 'perop')
check "one plugin report per cell (got $nrep)" [ "$nrep" -eq 5 ]
nrep=$(ls "$R1/model" | grep -c '\.perop\.csv$')
check "one per-op histogram file per cell (got $nrep)" [ "$nrep" -eq 5 ]
reports_repeat qemu "$R1" "$R2" "$R3"

# The new columns: at the end, filled (numbers) in modelled rows.
hdr=$(head -n 1 "$R1/cells.csv")
check "miss columns at the end of the header" \
  [ "${hdr##*,alloc_params,}" = "l1d_misses_per_op,l2_misses_per_op,llc_misses_per_op,dtlb_misses_per_op" ]
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
  for (i = nf - 3; i <= nf; i++) if (f[i] !~ /^-?[0-9]+\.[0-9][0-9][0-9]$/) print f[5], f[7], i }' "$R1/cells.csv")
check "miss columns are numbers in modelled rows: $bad" [ -z "$bad" ]
# a modelled row: p50..max from the per-op histograms (modelled cycles per
# call), in order; no latency rows (latency.csv has no clock column)
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
  for (i = 16; i <= 20; i++) if (f[i] !~ /^[0-9]+$/ || (i > 16 && f[i] + 0 < f[i - 1] + 0)) print f[5], f[7], i }' "$R1/cells.csv")
check "modelled rows: p50 <= p90 <= p99 <= p99.9 <= max: $bad" [ -z "$bad" ]
check "no latency rows for modelled cells" [ "$(wc -l <"$R1/latency.csv")" -eq 1 ]
for k in model model_l1d model_llc model_dram_cycles model_plugin; do
  check "meta.csv names $k" grep -q "^$k," "$R1/meta.csv"
done
check "meta.csv: model is skylake-client" grep -q '^model,skylake-client$' "$R1/meta.csv"

# icount and modelled in one run, --ops 1000 (every stream has 1000 ops
# and runs once: raw_cycles_per_op x 1000 is the icount clock's ticks).
mkdir -p "$TMP/both"
"$HL" run --env qemu --clock icount,modelled "${CELLS[@]}" --ops 1000 --model zen3 \
  --out "$TMP/both" >"$TMP/both.out" 2>"$TMP/both.err"
check_exit $? "icount,modelled exits 0 ($(head -c 300 "$TMP/both.err"))"
B=$(run_dir "$TMP/both")
check "meta.csv: model is zen3" grep -q '^model,zen3$' "$B/meta.csv"
# per cell: main-region instructions - icount raw ticks, floor-region
# instructions - icount floor ticks
diffs=$(region_minus_raw "$B" icount qemu)
echo "region instructions minus icount ticks (cells, main, floor): $diffs"
check "one constant difference for all 5 cells: $diffs" \
  [ "$(echo "$diffs" | wc -l)" -eq 1 -a "$(echo "$diffs" | awk '{ print $1 }')" -eq 5 ]
km=$(echo "$diffs" | awk '{ print $2 }'); kf=$(echo "$diffs" | awk '{ print $3 }')
# the runner's instructions outside the clock pair (a few dozen): never
# per op, so a constant bounded by a small number
check "main difference small and positive ($km)" [ "$km" -gt 0 -a "$km" -lt 200 ]
check "floor difference small and positive ($kf)" [ "$kf" -gt 0 -a "$kf" -lt 200 ]
# the floor's start marker is the else branch of one if in stream_timed
# (runner.c): one jump more than the main region's, or the same
check "floor difference is the main one or one more ($km, $kf)" [ $((kf - km)) -ge 0 -a $((kf - km)) -le 1 ]
# modelled and icount rows of the same cell share the stream and space figures
same=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[5] " " f[7]; v = f[12] " " f[13] " " f[14] " " f[22] " " f[23]
  if (k in seen && seen[k] != v) print k; seen[k] = v }' "$B/cells.csv")
check "icount and modelled rows agree on ops, checksums, space: $same" [ -z "$same" ]
# leaks.csv: the modelled cells' leak reports say clock=modelled, as many as icount's
ni=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[3] == "icount") n++ } END { print n + 0 }' "$B/leaks.csv")
nm=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[3] == "modelled") n++ } END { print n + 0 }' "$B/leaks.csv")
check "leak rows: modelled $nm = icount $ni > 0" [ "$nm" -eq "$ni" -a "$ni" -gt 0 ]

# Both worlds in one run (the host's part where qemu-x86_64 runs an
# unsanitized build): the same streams, the same frames.
# (release builds: a checked build's host cells poison their whole region
# under the plugin, and tests/model/host.sh covers them)
if command -v qemu-x86_64 >/dev/null && "$HL" info 2>/dev/null | grep -q 'HL_CHECK_LEVEL=0, *sanitize=none,'; then
  mkdir -p "$TMP/envboth"
  "$HL" run --clock modelled "${CELLS[@]}" --ops 1000 --out "$TMP/envboth" \
    >"$TMP/envboth.out" 2>"$TMP/envboth.err"
  check_exit $? "--env both --clock modelled exits 0 ($(head -c 300 "$TMP/envboth.err"))"
  E=$(run_dir "$TMP/envboth")
  n=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "modelled" && f[11] == "ok") n[f[2]]++ } END { print n["host"] + 0, n["qemu"] + 0 }' "$E/cells.csv")
  check "5 ok modelled rows in each world (host, qemu: $n)" [ "$n" = "5 5" ]
  same=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[5] " " f[7]; v = f[12] " " f[13] " " f[14]
    if (k in seen && seen[k] != v) print k; seen[k] = v }' "$E/cells.csv")
  check "host and kernel modelled rows: same ops and checksums: $same" [ -z "$same" ]
  check "both worlds' reports (qemu.*, host.*)" [ "$(ls "$E/model" | cut -d. -f1 | sort -u | tr '\n' ' ')" = "host qemu " ]
fi

# Refusals: one line each, exit 2, no run folder.
expect_usage "--model: 'nehalem' (presets: skylake-client, zen3)" \
  "$HL" run --env qemu --clock modelled --model nehalem --out "$TMP/out"
expect_usage "--model: 'zen3' (only with --clock modelled)" \
  "$HL" run --env qemu --clock icount --model zen3 --out "$TMP/out"
HEAPLAB_COST_PLUGIN=/nonexistent/heaplab-cost.so expect_usage "HEAPLAB_COST_PLUGIN=/nonexistent" \
  "$HL" run --env qemu --clock modelled --out "$TMP/out"

finish
