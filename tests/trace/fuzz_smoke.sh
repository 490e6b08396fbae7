#!/usr/bin/env bash
# tests/trace/fuzz_smoke.sh SRC_DIR BUILD_DIR [SECONDS] — the trace
# reader's and the mtrace importer's fuzz entry points
# (bench/host/trace_fuzz.c) as libFuzzer targets (clang,
# -fsanitize=fuzzer,address,undefined), each run for a bounded time from
# the seed corpus in tests/trace/corpus/.  Exit 77 (skipped) without clang
# and libFuzzer.  The fuzz framework (tests/fuzz) wraps the same entry
# points for long campaigns.
set -u
src=${1:?usage: $0 SRC_DIR BUILD_DIR [SECONDS]}
out=${2:?}/trace-fuzz
secs=${3:-10}
command -v clang >/dev/null || { echo "no clang: skipped"; exit 77; }
mkdir -p "$out"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$out/probe.c"
if ! clang -fsanitize=fuzzer -o "$out/probe" "$out/probe.c" >/dev/null 2>&1; then
  echo "clang has no libFuzzer here: skipped"
  exit 77
fi
srcs=("$src/workloads/workload.c" "$src/workloads/churn.c" "$src/workloads/batch.c"
      "$src/workloads/opbuf.c" "$src/workloads/trace.c"
      "$src/bench/host/trace_build.c" "$src/bench/host/trace_merge.c"
      "$src/bench/host/trace_mtrace.c" "$src/bench/host/trace_fuzz.c"
      "$src/bench/host/port_host.c")
rc=0
for t in trace mtrace; do
  fn=hl_${t}_fuzz_one
  cat >"$out/fuzz_$t.c" <<C
#include <stddef.h>
#include <stdint.h>
int $fn(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return $fn(data, size);
}
C
  if ! clang -g -O1 -I"$src" -DHL_CHECK_LEVEL=2 -D_GNU_SOURCE \
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -o "$out/fuzz_$t" "$out/fuzz_$t.c" "${srcs[@]}" 2>"$out/cc_$t.log"; then
    echo "FAIL: building fuzz_$t:"; head -n 20 "$out/cc_$t.log"; rc=1; continue
  fi
  mkdir -p "$out/corpus_$t"
  cp "$src/tests/trace/corpus/$t/"* "$out/corpus_$t/"
  if ! "$out/fuzz_$t" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -artifact_prefix="$out/" \
       "$out/corpus_$t" >"$out/run_$t.log" 2>&1; then
    echo "FAIL: fuzz_$t found a crash:"; tail -n 30 "$out/run_$t.log"; rc=1
  else
    echo "fuzz_$t: $(grep -c . "$out/run_$t.log") log lines, $(tail -n 1 "$out/run_$t.log")"
  fi
done
exit $rc
