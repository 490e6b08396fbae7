#!/usr/bin/env bash
# tests/trace/mtrace.sh HEAPLAB HEAPLAB_TESTBUILD RECORD_PROG MTRACE_PROG —
# heaplab trace import --mtrace on a file glibc's own mtrace() wrote: the
# ops exactly; the same file gzip'd and xz'd imports the same.
. "$(dirname "$0")/../cli/lib.sh"
MPROG=${4:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD RECORD_PROG MTRACE_PROG}
cd "$TMP" || exit 1

# glibc >= 2.34 keeps mtrace in libc_malloc_debug.so (preloaded).
dbg=$(gcc -print-file-name=libc_malloc_debug.so.0 2>/dev/null)
[ -f "$dbg" ] || dbg=$(ldconfig -p 2>/dev/null | awk '/libc_malloc_debug.so.0 .*x86-64/ { print $NF; exit }')
MALLOC_TRACE=$TMP/m.txt LD_PRELOAD=${dbg:-} "$MPROG"
if [ ! -s m.txt ]; then
  echo "glibc wrote no mtrace file (no libc_malloc_debug.so?): skipped"
  exit 77
fi
check "glibc's file starts with '= Start'" [ "$(head -n 1 m.txt)" = "= Start" ]

"$HL" trace import --mtrace m.txt -o m.hltrace 2>imp.err
check_exit $? "import exits 0 ($(cat imp.err))"
check "one summary line" [ "$(wc -l <imp.err)" -eq 1 ]
got=$("$HL" trace ops m.hltrace | awk '
  { if (!($4 in name)) name[$4] = sprintf("%c", 65 + n++)
    line = $2 " " name[$4]; if ($2 != "free") line = line " " $5; print line }')
want='alloc A 10
alloc B 15
realloc A 100
alloc C 30
alloc D 7
free B
free C
free D
free A'
if [ "$got" = "$want" ]; then pass; else
  fail "mtrace ops differ:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"; fi
info=$("$HL" trace info m.hltrace)
check "failed_allocs=1" grep -q '^  failed_allocs=1$' <<<"$info"
check "source=mtrace" grep -q '^  source=mtrace$' <<<"$info"
check "program from the caller field" grep -q '^  program=.*mtrace_prog$' <<<"$info"
check "peak live 145 bytes (10+15 -> 100, +30, +7 ... )" grep -q '^peak live       152 bytes, 4 blocks$' <<<"$info"

# compressed input reads the same
gzip -c m.txt >m.txt.gz
xz -c m.txt >m.txt.xz
for c in gz xz; do
  "$HL" trace import --mtrace m.txt.$c -o m.$c.hltrace 2>/dev/null
  check "$c: imports" [ $? -eq 0 ]
  check "$c: same ops" cmp -s <("$HL" trace ops m.hltrace) <("$HL" trace ops m.$c.hltrace)
done
# and a compressed trace reads like the plain one
xz -c m.hltrace >m.hltrace.xz
check "trace info of an xz'd trace" cmp -s <("$HL" trace ops m.hltrace) <("$HL" trace ops m.hltrace.xz)

finish
