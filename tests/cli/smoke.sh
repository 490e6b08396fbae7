#!/usr/bin/env bash
# tests/cli/smoke.sh — list, info, --help of every subcommand, and compare
# of two small runs (ratios, p-values, cells only in one run).
. "$(dirname "$0")/lib.sh"

check "heaplab --help exits 0" "$HL" --help
for cmd in list info run compare; do
  "$HL" $cmd --help >"$TMP/help" 2>&1
  check "$cmd --help exits 0" [ $? -eq 0 ]
  check "$cmd --help shows usage" grep -q "^usage: heaplab $cmd" "$TMP/help"
done
"$HL" list >"$TMP/list"
check "list exits 0" [ $? -eq 0 ]
for a in bitmap-seed bitmap-fast buddy firstfit-seed slab bump glibc jemalloc mimalloc tcmalloc; do
  check "list names $a" grep -q "^  $a " "$TMP/list"
done
check "list shows parameters with ranges" grep -q 'live .*blocks .*default .*range ' "$TMP/list"
check "list workloads lists workloads only" bash -c '"$1" list workloads | grep -q churn-fixed && ! "$1" list workloads | grep -q "^  slab "' _ "$HL"
check "list (heaplab) has no test allocators" bash -c '! "$1" list | grep -q test-crash' _ "$HL"
check "list (testbuild) has the test allocators" bash -c '"$1" list allocators | grep -q test-crash' _ "$HLT"
"$HL" info >"$TMP/info"
check "info exits 0" [ $? -eq 0 ]
for k in topology 'default PU' 'CPU model' 'TSC frequency' 'timer overhead' 'timer resolution' kernel build; do
  check "info shows $k" grep -q "^$k" "$TMP/info"
done
check "info's TSC is a plausible frequency" awk '/^TSC frequency/ { exit !($3 > 1e8 && $3 < 1e11) }' "$TMP/info"

mkdir -p "$TMP/a" "$TMP/b"
check "run a" "$HL" run --env host --out "$TMP/a" --allocators slab,bump --workloads lifo,fifo --ops 300 --reps 3 --launches 1 --clock tsc
check "run b" "$HL" run --env host --out "$TMP/b" --allocators slab,glibc --workloads lifo --ops 300 --reps 3 --launches 1 --clock tsc
A=$(run_dir "$TMP/a"); B=$(run_dir "$TMP/b")
"$HL" compare "$A" "$B" >"$TMP/cmp"
check "compare exits 0" [ $? -eq 0 ]
# (slab's lifo of 150 blocks costs a few cycles net of the floor: a median
# may come out negative on a noisy machine, and its ratio nan)
check "compare: slab lifo in both, with a ratio" grep -Eq '^slab +lifo +host/tsc +3 +3 \| +-?[0-9.]+ +-?[0-9.]+ +(-?[0-9.]+|-?nan) ' "$TMP/cmp"
check "compare: bump only in A" grep -q '^only in A: host/tsc bump lifo' "$TMP/cmp"
check "compare: glibc only in B" grep -q '^only in B: host/tsc glibc lifo' "$TMP/cmp"
check "compare: slab fifo only in A" grep -q '^only in A: host/tsc slab fifo' "$TMP/cmp"
check "compare: 1 cell in both" grep -q '^1 cells in both runs' "$TMP/cmp"
"$HL" compare "$A" "$A" >"$TMP/self"
check "compare a run with itself: ratio 1, nothing significant" awk '/^slab +lifo/ { if ($9 != "1.000" || $0 ~ /\*/) bad++ ; n++ } END { exit !(n == 1 && !bad) }' "$TMP/self"
finish
