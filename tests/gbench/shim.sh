#!/usr/bin/env bash
# tests/gbench/shim.sh — the Google Benchmark C shim on its own: run
# shim_selftest (every call of gbench_shim.h, in known ways) and check its
# JSON report with check_shim.py: batches sum exactly to the reported
# iterations, counter flags mean what Google Benchmark means, arguments and
# names, errors reported (not aborted) with their messages, exit statuses.
#
# usage: shim.sh SHIM_SELFTEST
T=${1:?usage: $0 SHIM_SELFTEST}
source "$(dirname "$0")/lib.sh"
PY=$(find_python json)
if [ -z "$PY" ]; then
  echo "FAIL [$NAME]: no python3 found" >&2
  exit 1
fi
MIN=--benchmark_min_time=0.01

# Everything, errors included: exit 1 (some runs failed, as planned).
expect_rc 1 "all benchmarks (three fail on purpose)" "$T" "$MIN" \
  "--benchmark_out=$TMP/all.json" --benchmark_out_format=json
"$PY" "$HERE/check_shim.py" "$TMP/all.json" && pass || fail "all.json (above)"

# Only those that succeed: exit 0.
expect_rc 0 "the benchmarks that succeed" "$T" "$MIN" \
  '--benchmark_filter=^(batches|counters|args|product|ranges)' \
  "--benchmark_out=$TMP/ok.json" --benchmark_out_format=json
"$PY" "$HERE/check_shim.py" "$TMP/ok.json" --no-errors && pass || fail "ok.json (above)"

# Google Benchmark's flags go through; ours do not exist.
expect_rc 0 "--benchmark_list_tests" "$T" --benchmark_list_tests=true
grep -qx "batches/cap:1000" "$TMP/stdout" || fail "list lacks batches/cap:1000"
expect_rc 2 "unknown argument" "$T" --frobnicate
expect_rc 1 "filter matching nothing" "$T" --benchmark_filter=nothing_matches

finish
