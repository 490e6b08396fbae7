#!/usr/bin/env bash
# tests/trace/replay.sh HEAPLAB HEAPLAB_TESTBUILD TRACES — recorded traces
# as a workload on the host (docs/traces.md, "Replay"): a shipped trace on
# several allocators and a baseline, every row's workload_checksum the
# trace header's; a folder gives one workload per trace; a multi-threaded
# trace replays on one thread; a bad path or a corrupt trace is one line
# naming it, exit 2, and no results folder.
. "$(dirname "$0")/../cli/lib.sh"
TRACES=${3:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD TRACES}
export LC_ALL=C
cd "$TMP" || exit 1

# The header's checksum, as `trace info` prints it (0x + 16 hex digits).
header_ck() { "$HL" trace info "$1" | awk '/^checksum/ { sub(/^0x/, "", $2); print $2 }'; }

# rows FILE: "workload allocator status workload_checksum ops leaks" per row
rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[7], f[5], f[11], f[13], f[12], f[27] }' "$1"; }

RUN="--env host --clock tsc --reps 2 --launches 1 --min-time 0"

# ---- one shipped trace, several allocators and a baseline ---------------------
SORT=$TRACES/sort.hltrace.xz
want_ck=$(header_ck "$SORT")
check "trace info gives sort's checksum" [ ${#want_ck} -eq 16 ]
"$HL" run $RUN --workloads "trace:$SORT" --allocators firstfit-seed,tlsf,slab,bump,glibc \
  --out "$TMP/a" >a.out 2>a.err
check_exit $? "run on trace:sort exits 0 ($(head -c 300 a.err))"
A=$(run_dir "$TMP/a")
check "cells.csv written" [ -s "$A/cells.csv" ]
rows "$A/cells.csv" >a.rows
check "10 rows (5 allocators x 2 reps)" [ "$(wc -l <a.rows)" -eq 10 ]
check "every row is workload trace:sort" [ "$(awk '$1 != "trace:sort"' a.rows | wc -l)" -eq 0 ]
check "every row ok" [ "$(awk '$3 != "ok"' a.rows | wc -l)" -eq 0 ]
check "every workload_checksum is the header's ($want_ck)" \
  [ "$(awk -v c="$want_ck" '$4 != c' a.rows | wc -l)" -eq 0 ]
ops=$("$HL" trace info "$SORT" | sed -n 's/^format.*, \([0-9]*\) ops,.*/\1/p')
check "every row replayed the trace's $ops ops" [ "$(awk -v n="$ops" '$5 != n' a.rows | wc -l)" -eq 0 ]
check "the baseline ran it" grep -q '^trace:sort glibc ok' a.rows
params=$(awk "$AWK_CSV"'NR == 2 { split_csv($0); print f[8] }' "$A/cells.csv")
check "params name the trace's ops and checksum ($params)" \
  grep -qE "^ops=$ops,slots=[0-9]+,peak=[0-9]+,checksum=[0-9]+\$" <<<"$params"
check "meta.csv: the run's checksums ok" grep -q '^checksums,ok' "$A/meta.csv"
check "meta.csv: the trace's file" grep -q "^trace:sort.file,.*sort.hltrace.xz" "$A/meta.csv"
check "meta.csv: its header checksum" grep -q "^trace:sort.checksum,$want_ck" "$A/meta.csv"
check "meta.csv: reallocs replayed as alloc + copy + free counted" \
  grep -qE '^trace:sort.reallocs_as_alloc_copy_free,[0-9]+$' "$A/meta.csv"

# ---- a folder: one workload per trace, the multi-threaded one included -----------
# A release build replays every shipped trace; a checked or sanitized one
# (validation and poison checks after every op) a folder of the two
# smallest (xz-t2: three threads).
DIR=$TRACES
case "$("$HL" info 2>/dev/null | grep '^build')" in
  *HL_CHECK_LEVEL=0,*sanitize=none,*|*sanitize=none,*HL_CHECK_LEVEL=0,*) ;;
  *) DIR=$TMP/small; mkdir "$DIR"
     cp "$TRACES"/sort.hltrace.xz "$TRACES"/xz-t2.hltrace.xz "$DIR" ;;
esac
"$HL" run $RUN --reps 1 --workloads "trace:$DIR" --allocators tlsf --out "$TMP/f" \
  >f.out 2>f.err
check_exit $? "run on the traces folder exits 0 ($(head -c 300 f.err))"
F=$(run_dir "$TMP/f")
rows "$F/cells.csv" >f.rows
n=$(ls "$DIR"/*.hltrace* | wc -l)
check "one row per trace of $DIR ($n)" [ "$(wc -l <f.rows)" -eq "$n" ]
for t in "$DIR"/*.hltrace*; do
  name=$(basename "$t"); name=trace:${name%%.hltrace*}
  ck=$(header_ck "$t")
  check "$name: ok, checksum = header's" grep -q "^$name tlsf ok $ck " f.rows
done
check "xz-t2's threads replayed on one" \
  grep -qE '^trace:xz-t2.threads_replayed_on_one,([2-9]|[1-9][0-9]+)$' "$F/meta.csv"

# ---- bad input: one line naming it, exit 2, no results folder ---------------------------
expect_usage "trace:$TMP/nope.hltrace" "$HL" run $RUN --workloads "trace:$TMP/nope.hltrace" \
  --out "$TMP/out"
xz -dc "$SORT" >sort.hltrace
cp sort.hltrace corrupt.hltrace
last=$(( $(stat -c %s sort.hltrace) - 16 )) # the last op's kind byte: 9 is none
printf '\x09' | dd of=corrupt.hltrace bs=1 seek=$last conv=notrunc 2>/dev/null
expect_usage "corrupt.hltrace: byte $last: unknown op kind" "$HL" run $RUN --workloads "trace:$TMP/corrupt.hltrace" \
  --out "$TMP/out"
head -c 1000 sort.hltrace >short.hltrace
expect_usage "short.hltrace: byte 1000" "$HL" run $RUN --workloads "trace:$TMP/short.hltrace" \
  --out "$TMP/out"
mkdir empty
expect_usage "no *.hltrace* file" "$HL" run $RUN --workloads "trace:$TMP/empty" --out "$TMP/out"
cp sort.hltrace again.hltrace
mkdir twice && cp sort.hltrace twice/sort.hltrace
expect_usage "a second trace named 'sort'" "$HL" run $RUN \
  --workloads "trace:$TMP/sort.hltrace,trace:$TMP/twice/sort.hltrace" --out "$TMP/out"
expect_usage "no workload 'trace'" "$HL" run $RUN --workloads "trace:$TMP/sort.hltrace" \
  --params trace:sort:ops=3 --out "$TMP/out"

finish
