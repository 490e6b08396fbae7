#!/usr/bin/env bash
# tests/gbench/smoke.sh — heaplab-micro as a smoke test with tiny counts:
# its own flags and exit statuses, the full benchmark list, one run of a
# subset of every family with JSON output checked field by field
# (check_json.py), and how jemalloc is reached (--with-jemalloc,
# LD_PRELOAD) or refused (sanitized builds).
#
# usage: smoke.sh HEAPLAB_MICRO SANITIZE CHECK_LEVEL JEMALLOC_LIB [MIMALLOC_LIB TCMALLOC_LIB]
#   SANITIZE      HEAPLAB_SANITIZE of the build ("" for none)
#   CHECK_LEVEL   HEAPLAB_CHECK_LEVEL of the build
#   JEMALLOC_LIB  path of libjemalloc.so.2, or "" if not installed
#   MIMALLOC_LIB, TCMALLOC_LIB  the same for libmimalloc.so.2 and
#                 libtcmalloc_minimal.so.4 (--with-baselines)
B=${1:?usage: $0 HEAPLAB_MICRO SANITIZE CHECK_LEVEL JEMALLOC_LIB}
SANITIZE=${2-}
CHECK_LEVEL=${3:-0}
JE_LIB=${4-}
MI_LIB=${5-}
TC_LIB=${6-}
source "$(dirname "$0")/lib.sh"

PY=$(find_python json)
if [ -z "$PY" ]; then
  echo "FAIL [$NAME]: no python3 found" >&2
  exit 1
fi

# What this build must say about itself.
if [ -n "$SANITIZE" ] || [ "$CHECK_LEVEL" -gt 0 ]; then WARN=yes; else WARN=no; fi
# jemalloc is expected in the run when it can be preloaded.
if [ -z "$SANITIZE" ] && [ -n "$JE_LIB" ]; then JE=yes; else JE=no; fi
MIN=--benchmark_min_time=0.01

# ---- the command line ------------------------------------------------------
expect_rc 0 "--help" "$B" --help
grep -q -- "--with-jemalloc" "$TMP/stdout" || fail "--help does not explain --with-jemalloc"
grep -q -- "--benchmark_filter" "$TMP/stdout" || fail "--help does not list Google Benchmark's flags"
grep -q "LD_PRELOAD" "$TMP/stdout" || fail "--help does not say how jemalloc is reached"
expect_rc 2 "unknown flag" "$B" --no-such-flag
grep -q -- "--no-such-flag" "$TMP/stderr" || fail "the unknown flag is not named"
expect_rc 1 "filter matching nothing" "$B" --benchmark_filter=no_such_benchmark

# ---- every family is registered ---------------------------------------------
expect_rc 0 "--benchmark_list_tests" "$B" --benchmark_list_tests=true
cp "$TMP/stdout" "$TMP/list"
want_list=()
for a in firstfit-seed slab bump glibc; do
  for s in 16 64 256 1024 4096; do
    for l in 0 1000; do want_list+=("heap_pair/$a/bytes:$s/live:$l"); done
  done
done
for a in bitmap-seed bitmap-fast buddy; do
  for o in 0 1 2 3 4; do
    for l in 0 1000; do want_list+=("frame_pair/$a/order:$o/live:$l"); done
  done
done
for s in 16 64 256 1024 4096; do
  for l in 0 1000; do want_list+=("cache_pair/slab/obj_bytes:$s/live:$l"); done
done
for n in "${want_list[@]}"; do
  grep -qxF "$n" "$TMP/list" || fail "not registered: $n"
done
if grep -q "^heap_pair/jemalloc/" "$TMP/list"; then
  fail "jemalloc benchmarks registered although jemalloc is not loaded"
fi

# ---- one run of a subset of every family, JSON --------------------------------
heap="firstfit-seed|slab|bump|glibc"
[ "$JE" = yes ] && heap="$heap|jemalloc"
filter="^(heap_pair/($heap)/bytes:64|frame_pair/(bitmap-seed|bitmap-fast|buddy)/order:0"
filter="$filter|cache_pair/slab/obj_bytes:64)/live:(0|1000)\$|^heap_pair/bump/bytes:4096/live:1000\$"
expect=()
for a in ${heap//|/ }; do
  for l in 0 1000; do expect+=("heap_pair/$a/bytes:64/live:$l"); done
done
for a in bitmap-seed bitmap-fast buddy; do
  for l in 0 1000; do expect+=("frame_pair/$a/order:0/live:$l"); done
done
expect+=(cache_pair/slab/obj_bytes:64/live:0 cache_pair/slab/obj_bytes:64/live:1000
         heap_pair/bump/bytes:4096/live:1000)
jeflag=()
[ "$JE" = yes ] && jeflag=(--with-jemalloc)
expect_rc 0 "the subset run" "$B" "${jeflag[@]}" "$MIN" "--benchmark_filter=$filter" \
  "--benchmark_out=$TMP/run.json" --benchmark_out_format=json
if [ "$WARN" = yes ]; then
  grep -q "WARNING" "$TMP/stderr" || fail "no WARNING on stderr for a checked/sanitized build"
else
  if grep -q "heaplab-micro: WARNING" "$TMP/stderr"; then
    fail "a release build warns about itself"
  fi
fi
# The console table names the runs too.
for n in "${expect[@]}"; do
  grep -qF "$n " "$TMP/stdout" || fail "console output lacks $n"
done
"$PY" "$HERE/check_json.py" "$TMP/run.json" --expect "${expect[@]}" \
  --jemalloc "$JE" --warning "$WARN" && pass || fail "run.json (above)"

# ---- jemalloc: the other ways in, or refused ----------------------------------
if [ -n "$SANITIZE" ]; then
  expect_rc 2 "--with-jemalloc in a sanitized build" "$B" --with-jemalloc "$MIN" \
    --benchmark_filter=nothing
  grep -q "sanitized" "$TMP/stderr" || fail "the refusal does not say why"
elif [ -n "$JE_LIB" ]; then
  # Started with the preload by hand: the jemalloc benchmarks appear, and
  # malloc is jemalloc's (the report says so).
  expect_rc 0 "LD_PRELOAD run" env LD_PRELOAD="$JE_LIB" "$B" "$MIN" \
    '--benchmark_filter=^heap_pair/jemalloc/bytes:64/live:0$' \
    "--benchmark_out=$TMP/pre.json" --benchmark_out_format=json
  "$PY" "$HERE/check_json.py" "$TMP/pre.json" --expect heap_pair/jemalloc/bytes:64/live:0 \
    --jemalloc yes --warning "$WARN" && pass || fail "pre.json (above)"
  # Started plainly: glibc only, and jemalloc is not mapped at all.
  expect_rc 0 "plain glibc run" "$B" "$MIN" '--benchmark_filter=^heap_pair/glibc/bytes:64/live:0$' \
    "--benchmark_out=$TMP/plain.json" --benchmark_out_format=json
  "$PY" "$HERE/check_json.py" "$TMP/plain.json" --expect heap_pair/glibc/bytes:64/live:0 \
    --jemalloc no --warning "$WARN" && pass || fail "plain.json (above)"
else
  expect_rc 1 "--with-jemalloc without jemalloc installed" "$B" --with-jemalloc \
    --benchmark_filter=nothing
fi

# ---- --with-baselines: mimalloc and tcmalloc beside jemalloc ------------------
if [ -z "$SANITIZE" ] && [ -n "$JE_LIB" ]; then
  libs=glibc
  [ -n "$MI_LIB" ] && libs="$libs|mimalloc"
  [ -n "$TC_LIB" ] && libs="$libs|tcmalloc"
  expect=()
  for a in ${libs//|/ }; do expect+=("heap_pair/$a/bytes:64/live:0"); done
  expect_rc 0 "--with-baselines run" "$B" --with-baselines "$MIN" \
    "--benchmark_filter=^heap_pair/($libs)/bytes:64/live:0\$" \
    "--benchmark_out=$TMP/base.json" --benchmark_out_format=json
  # glibc must still be ptmalloc (mimalloc and tcmalloc define
  # __libc_malloc too): check_json.py wants libc.so in its label.
  "$PY" "$HERE/check_json.py" "$TMP/base.json" --expect "${expect[@]}" \
    --jemalloc yes --warning "$WARN" && pass || fail "base.json (above)"
fi

finish
