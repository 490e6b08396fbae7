#!/usr/bin/env bash
# tests/kernel/replay_env.sh HEAPLAB TRACES — a recorded trace replayed on
# the host and in the i386 kernel (handed in as a multiboot module):
# `--env both` on a small shipped trace gives host and qemu rows whose
# workload_checksum is the trace header's, and the run's own cross-check
# says so in meta.csv; a trace whose peak does not fit in the guest gets
# qemu rows with status error and the reason in cells.log, not a crash.
set -u
export LC_ALL=C
HL=${1:?usage: replay_env.sh HEAPLAB TRACES}
TRACES=${2:?usage: replay_env.sh HEAPLAB TRACES}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"
cd "$TMP" || exit 1

rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[2], f[5], f[7], f[11], f[13] }' "$1"; }
header_ck() { "$HL" trace info "$1" | awk '/^checksum/ { sub(/^0x/, "", $2); print $2 }'; }

# ---- a small shipped trace, both environments ------------------------------------
SORT=$TRACES/sort.hltrace.xz
ck=$(header_ck "$SORT")
mkdir td
TMPDIR=$TMP/td "$HL" run --env both --clock tsc,icount --reps 2 --det-reps 1 --launches 1 --min-time 0 \
  --workloads "trace:$SORT" --allocators tlsf,firstfit-seed,slab,glibc --out "$TMP/b" \
  >b.out 2>b.err
check_exit $? "--env both on trace:sort exits 0 ($(head -c 300 b.err))"
B=$(run_dir "$TMP/b")
rows "$B/cells.csv" | sort -u >b.rows
want="host firstfit-seed trace:sort ok $ck
host glibc trace:sort ok $ck
host slab trace:sort ok $ck
host tlsf trace:sort ok $ck
qemu firstfit-seed trace:sort ok $ck
qemu slab trace:sort ok $ck
qemu tlsf trace:sort ok $ck"
check "host and qemu rows, all ok, all the header's checksum :: $(cat b.rows)" \
  [ "$(cat b.rows)" = "$want" ]
check "meta.csv: checksums ok, the stream run in both :: $(grep '^checksums' "$B/meta.csv")" \
  grep -q '^checksums,ok: 1 op streams identical in all their cells (1 run both' "$B/meta.csv"
check "the module's temporary folder is gone :: $(ls -A td)" [ -z "$(ls -A td)" ]

# ---- a trace too big for the guest: error rows with a reason ------------------------
printf '= Start\n@ ./p:[0x401000] + 0x7f0000001000 0x90000000\n@ ./p:[0x401000] - 0x7f0000001000\n= End\n' >big.txt
"$HL" trace import --mtrace big.txt -o big.hltrace 2>/dev/null
check "a 2.25 GiB trace imported" [ -s big.hltrace ]
"$HL" run --env qemu --clock icount --det-reps 2 --workloads "trace:$TMP/big.hltrace" \
  --allocators tlsf --out "$TMP/g" >g.out 2>g.err
check_exit $? "the run completes (exit 0) ($(head -c 300 g.err))"
G=$(run_dir "$TMP/g")
check "two qemu rows, status error :: $(rows "$G/cells.csv")" \
  [ "$(rows "$G/cells.csv" | awk '$1 == "qemu" && $4 == "error"' | wc -l)" -eq 2 ]
check "cells.log gives the reason" \
  grep -q "trace's live bytes peak at 2415919104: it needs a [0-9]*-byte region" "$G/cells.log"
check "stderr names it in one line" grep -q "qemu cell tlsf x trace:big: error" g.err

finish
