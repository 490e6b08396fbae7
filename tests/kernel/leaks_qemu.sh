#!/usr/bin/env bash
# tests/kernel/leaks_qemu.sh HEAPLAB TRACES — the leak detector in the i386
# kernel (bench/core/leak.h, docs/leaks.md): `--env both` on traces whose
# programs never free some blocks gives, from the kernel's serial output
# ("@HL leak" rows, read into leaks.csv), exactly the host's report for the
# same stream: the same totals, sites, threads, sizes and classes.
#  - a trace built here (two leaks: sites 2 and 4, 32 and 5000 bytes);
#  - the shipped sort trace (5 blocks never freed) and the two-thread
#    python3-threads trace (24 blocks never freed).
set -u
export LC_ALL=C
HL=${1:?usage: leaks_qemu.sh HEAPLAB TRACES}
TRACES=${2:?usage: leaks_qemu.sh HEAPLAB TRACES}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"
cd "$TMP" || exit 1

printf '= Start
@ ./p:[0x401000] + 0x1000 0x64
@ ./p:[0x401000] + 0x2000 0x3e8
@ ./p:[0x401000] + 0x3000 0x20
@ ./p:[0x401000] - 0x2000
@ ./p:[0x401000] + 0x4000 0x1388
@ ./p:[0x401000] - 0x1000
= End
' >leaky.txt
"$HL" trace import --mtrace leaky.txt -o leaky.hltrace 2>/dev/null
check "the leaky trace imported" [ -s leaky.hltrace ]

"$HL" run --env both --clock tsc,icount --reps 1 --det-reps 1 --launches 1 --min-time 0 \
  --workloads "trace:$TMP/leaky.hltrace,trace:$TRACES/sort.hltrace.xz,trace:$TRACES/python3-threads.hltrace.xz" \
  --allocators tlsf,firstfit-seed --out "$TMP/b" >b.out 2>b.err
check_exit $? "--env both exits 0 ($(head -c 300 b.err))"
B=$(run_dir "$TMP/b")

# env's rows without run_id, env and clock: allocator,...,bytes
side() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[2] != "'"$1"'") next
    o = f[4]; for (i = 5; i <= nf; i++) o = o "," f[i]; print o }' "$B/leaks.csv"
}
# (cells run in a shuffled order: compare each side sorted)
side host | sort >host.rows
side qemu | sort >qemu.rows
check "host rows ($(wc -l <host.rows))" [ "$(wc -l <host.rows)" -gt 20 ]
check "the kernel's rows are the host's :: $(diff host.rows qemu.rows | head -c 600)" \
  cmp -s host.rows qemu.rows

# The totals are each trace's own count of blocks never freed.
for t in leaky sort python3-threads; do
  [ "$t" = leaky ] && f=leaky.hltrace || f=$TRACES/$t.hltrace.xz
  want=$("$HL" trace info "$f" | awk '/^never freed/ { print $5 "," $3 }')
  for env in host qemu; do
    got=$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
      if (f[2] == "'"$env"'" && f[4] == "tlsf" && f[6] == "trace:'"$t"'" && f[11] == "total" &&
          f[12] == "program") print f[16] "," f[17] }' "$B/leaks.csv")
    check "$env $t: program total = trace info's never freed ($want) :: $got" [ "$got" = "$want" ]
  done
done
check "the leaky trace's leaks in the kernel: sites 2 and 4" [ "$(awk "$AWK_CSV"'NR > 1 {
  split_csv($0); if (f[2] == "qemu" && f[4] == "tlsf" && f[6] == "trace:leaky" &&
  f[11] == "first") print f[13] ":" f[15] }' "$B/leaks.csv" | tr '\n' ' ')" = "2:32 4:5000 " ]
check "every listed leak has a site and a thread" [ -z "$(awk "$AWK_CSV"'NR > 1 {
  split_csv($0); if ((f[11] == "first" || f[11] == "largest") && (f[13] !~ /^[0-9]+$/ ||
  f[14] !~ /^[0-9]+$/)) print }' "$B/leaks.csv")" ]
check "no allocator leaks" [ -z "$(awk "$AWK_CSV"'NR > 1 { split_csv($0)
  if (f[12] == "allocator" && f[16] != "0") print }' "$B/leaks.csv")" ]
check "cells.log: the kernel's report in words" \
  grep -qF "leaks qemu tlsf x trace:leaky launch 0: program largest: site 4 thread 0, 5000 bytes" \
  "$B/cells.log"

finish
