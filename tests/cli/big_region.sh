#!/usr/bin/env bash
# tests/cli/big_region.sh — a frame stream that holds more than the default
# 1 GiB region at its peak gets the region it needs on the host (frames
# beyond 2^18), and the cell runs clean; below, the default region (64 MiB
# in a checked build).
. "$(dirname "$0")/lib.sh"

# 300000 frames at 99 %: 297000 live frames, 1.13 GiB (release builds only:
# a checked build poisons every frame it hands out, 1.2 GB per pass)
if "$HL" info 2>/dev/null | grep -q 'HL_CHECK_LEVEL=0,.*sanitize=none,\|sanitize=none,.*HL_CHECK_LEVEL=0,'; then
  mkdir -p "$TMP/big"
  "$HL" run --env host --clock tsc --allocators bitmap-fast,buddy --workloads frames-churn \
    --params frames-churn:frames=300000,occupancy=99 --ops 700000 --launches 1 --reps 1 \
    --min-time 0 --out "$TMP/big" >"$TMP/big.txt" 2>&1
  check "big-region run exits 0" [ $? -eq 0 ]
  R=$(run_dir "$TMP/big")
  st=$(csv_col "$R/cells.csv" status)
  fa=$(csv_col "$R/cells.csv" failed_allocs)
  check "two cells, status ok, no failed alloc" \
    [ "$(awk "$AWK_CSV"' NR > 1 { split_csv($0); if (f[s] == "ok" && f[fa] == 0) n++ } END { print n + 0 }' s="$st" fa="$fa" "$R/cells.csv")" -eq 2 ]
  check "the params kept 300000 frames" grep -q '"frames=300000,occupancy=99,' "$R/cells.csv"
  for a in bitmap-fast buddy; do
    check "meta: $a's region is more than 1 GiB" \
      awk -F, -v k="cell.$a.region_bytes" '$1 == k { found = 1; ok = $2 > 1073741824 } END { exit !(found && ok) }' "$R/meta.csv"
  done

fi

# the default region below that
mkdir -p "$TMP/small"
"$HL" run --env host --clock tsc --allocators bitmap-fast --workloads frames-churn \
  --ops 2000 --launches 1 --reps 1 --min-time 0 --out "$TMP/small" >/dev/null 2>&1
check "small run exits 0" [ $? -eq 0 ]
# the default region: 1 GiB, 64 MiB in a build that poisons it (HL_CHECK_LEVEL >= 2)
want=1073741824
"$HL" info 2>/dev/null | grep -q 'HL_CHECK_LEVEL=[23]' && want=67108864
check "meta: the default region ($want bytes)" grep -qx "cell.bitmap-fast.region_bytes,$want" "$(run_dir "$TMP/small")/meta.csv"
finish
