#!/usr/bin/env bash
# tests/gbench/compare.sh — heaplab-micro's JSON is what Google Benchmark's
# own tools read: two runs (3 repetitions each) compared by compare.py
# ("compare.py benchmarks A.json B.json"), which must exit 0 and name
# every benchmark with its U test and aggregates; and a third run with
# --benchmark_report_aggregates_only=true holds aggregates only.
#
# usage: compare.sh HEAPLAB_MICRO COMPARE_PY
#   COMPARE_PY  Google Benchmark's compare.py (Debian libbenchmark-tools:
#               /usr/share/benchmark/compare.py); needs scipy and numpy
B=${1:?usage: $0 HEAPLAB_MICRO COMPARE_PY}
CMP=${2:?usage: $0 HEAPLAB_MICRO COMPARE_PY}
source "$(dirname "$0")/lib.sh"

if [ ! -r "$CMP" ]; then
  echo "FAIL [$NAME]: compare.py not found at '$CMP' (Debian: libbenchmark-tools; tools/setup)" >&2
  exit 1
fi
# The first python3 on PATH may be a private one without scipy (pyenv):
# take one that has what compare.py imports.
PY=$(find_python json scipy numpy)
if [ -z "$PY" ]; then
  echo "FAIL [$NAME]: no python3 with scipy and numpy (Debian: python3-scipy; tools/setup)" >&2
  exit 1
fi

filter='^(heap_pair/(firstfit-seed|glibc)/bytes:64|frame_pair/buddy/order:0|cache_pair/slab/obj_bytes:64)/live:(0|1000)$'
names=()
for a in firstfit-seed glibc; do
  for l in 0 1000; do names+=("heap_pair/$a/bytes:64/live:$l"); done
done
for l in 0 1000; do
  names+=("frame_pair/buddy/order:0/live:$l" "cache_pair/slab/obj_bytes:64/live:$l")
done
run=(--benchmark_min_time=0.01 "--benchmark_filter=$filter" --benchmark_out_format=json)

for x in A B; do
  expect_rc 0 "run $x" "$B" "${run[@]}" --benchmark_repetitions=3 "--benchmark_out=$TMP/$x.json"
done

expect_rc 0 "compare.py benchmarks A.json B.json" \
  "$PY" "$CMP" --no-color benchmarks "$TMP/A.json" "$TMP/B.json"
cp "$TMP/stdout" "$TMP/compare.txt"
for n in "${names[@]}"; do
  # three repetition rows, then the U test and the aggregates, per name
  reps=$(grep -cE "^$n +[-+]" "$TMP/compare.txt")
  [ "$reps" -eq 3 ] || fail "compare.py shows $reps rows for $n, not 3"
  for suffix in _pvalue _mean _median _stddev; do
    grep -qE "^$n$suffix " "$TMP/compare.txt" || fail "compare.py shows no $n$suffix"
  done
done
grep -q "^OVERALL_GEOMEAN" "$TMP/compare.txt" || fail "compare.py shows no OVERALL_GEOMEAN"

# The check above means something only if compare.py fails on bad input.
head -c 200 "$TMP/A.json" >"$TMP/broken.json"
"$PY" "$CMP" --no-color benchmarks "$TMP/broken.json" "$TMP/B.json" >/dev/null 2>&1 &&
  fail "compare.py accepts a truncated report: its exit status proves nothing"

expect_rc 0 "aggregates-only run" "$B" "${run[@]}" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true "--benchmark_out=$TMP/agg.json"
"$PY" "$(dirname "$0")/check_json.py" "$TMP/agg.json" --expect "${names[@]}" \
  --aggregates-only && pass || fail "agg.json (above)"

finish
