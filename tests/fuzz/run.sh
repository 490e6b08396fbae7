#!/usr/bin/env bash
# tests/fuzz/run.sh BIN TARGET SECONDS SRC_DIR WORK_DIR [ALLOCATOR]
# One bounded fuzz run for ctest: the committed seeds (SRC_DIR/corpus/
# TARGET) and regression inputs (SRC_DIR/regress/TARGET) are replayed
# first, then the fuzzer explores for SECONDS; new inputs go to WORK_DIR
# only (never into the repository).  A finding fails the test and leaves
# its input as WORK_DIR/crash-* (tools/fuzz --minimize turns it into a
# regression input).  Prints libFuzzer's final stats (exec/s).
set -euo pipefail
bin=$1 target=$2 secs=$3 src=$4 work=$5 alloc=${6:-}
[ -x "$bin" ] || { echo "fuzz: $bin was not built"; exit 1; }
name=$target${alloc:+-$alloc}
rm -rf "$work/$name"
mkdir -p "$work/$name/new"
dirs=()
for d in "$src/corpus/$target" "$src/regress/$target" \
         ${alloc:+"$src/regress/$target-$alloc"}; do
  [ -d "$d" ] && dirs+=("$d")
done
export HL_FUZZ_ALLOCATOR=$alloc
export TMPDIR=${TMPDIR:-/dev/shm}
[ -w "$TMPDIR" ] || export TMPDIR=/tmp
exec "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/$name/" \
  "$work/$name/new" "${dirs[@]}"
