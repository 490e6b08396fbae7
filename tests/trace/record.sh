#!/usr/bin/env bash
# tests/trace/record.sh HEAPLAB HEAPLAB_TESTBUILD RECORD_PROG — heaplab
# record on our own test program (every entry point, a signal handler, an
# unknown free, a fork; and 4 threads), /bin/true and sort: the traces'
# ops exactly, their counts, and the exit status passed through.
. "$(dirname "$0")/../cli/lib.sh"
PROG=${3:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD RECORD_PROG}
cd "$TMP" || exit 1

# The ops between the markers malloc(0xDEAD1) and malloc(0xDEAD2), slots
# renamed A, B, ... in order of first use (libc's allocations before main
# shift the numbers, not the pattern).
window() {
  "$HL" trace ops "$1" | awk '
    $2 == "alloc" && $5 == 912081 { on = 1 }
    on { if (!($4 in name)) name[$4] = sprintf("%c", 65 + n++)
         line = $2 " " name[$4]; if ($2 != "free") line = line " " $5
         if ($2 == "aligned") line = line " " $6
         print line }
    on && $5 == 912082 { exit }'
}
meta() { "$HL" trace info "$1" | awk -v k="$2" '$1 ~ "^" k "=" { sub("^[^=]*=", "", $1); print $1 }'; }

# ---- single: every entry point -------------------------------------------
"$HL" record -o single.hltrace -- "$PROG" single 2>rec.err
rc=$?
check "record single exits 0 (got $rc: $(cat rec.err))" [ "$rc" -eq 0 ]
check "one summary line" [ "$(wc -l <rec.err)" -eq 1 ]
check "summary names the file and a child" grep -q '^heaplab record: single.hltrace: .* 1 child process (2 ops) in single.hltrace.<pid>; .* exited 0$' rec.err
want='alloc A 912081
free A
alloc A 100
calloc B 80
realloc A 200
aligned C 50 6
aligned D 70 7
aligned E 512 8
aligned F 10 12
aligned G 4096 12
free B
alloc B 33
realloc H 40
realloc H 60
free H
free H
alloc I 77
free I
free A
free C
free D
free E
free F
free G
free B
alloc B 912082'
got=$(window single.hltrace)
if [ "$got" = "$want" ]; then pass; else
  fail "single: ops differ:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"; fi
check "unknown_frees=1" [ "$(meta single.hltrace unknown_frees)" = 1 ]
check "usable_size_calls=3" [ "$(meta single.hltrace usable_size_calls)" = 3 ]
check "realloc_zero_frees=1" [ "$(meta single.hltrace realloc_zero_frees)" = 1 ]
check "failed_allocs>=1" [ "$(meta single.hltrace failed_allocs)" -ge 1 ]
check "free_null>=2" [ "$(meta single.hltrace free_null)" -ge 2 ]
check "lost_records=0" [ "$(meta single.hltrace lost_records)" = 0 ]
check "exit_status=0" [ "$(meta single.hltrace exit_status)" = 0 ]
check "program named" [ "$(meta single.hltrace program)" = "$(readlink -f "$PROG")" ]
check "arguments" [ "$(meta single.hltrace arguments)" = single ]
check "info counts the unknown free" grep -q '^unknown frees   1$' <("$HL" trace info single.hltrace)
# the fork: the child's own trace, its marker block only, not the parent's ops
kids=(single.hltrace.*)
check "one child trace (${kids[*]})" [ "${#kids[@]}" -eq 1 ] 
if [ -f "${kids[0]}" ]; then
  check "child: alloc 1000 and its free" grep -q '^[0-9]* alloc 0 \([0-9]*\) 1000$' <("$HL" trace ops "${kids[0]}")
  check "child: none of the parent's ops" [ "$("$HL" trace ops "${kids[0]}" | grep -c ' 912081$\| 100$\| 77$')" -eq 0 ]
  check "child: forked=1" [ "$(meta "${kids[0]}" forked)" = 1 ]
fi

# ---- threads: the global order ----------------------------------------------
"$HL" record -o threads.hltrace -- "$PROG" threads 2>rec.err
check "record threads exits 0" [ $? -eq 0 ]
info=$("$HL" trace info threads.hltrace)
check "threads: 5 threads" grep -q '^threads         5$' <<<"$info"
check "threads: 0 unknown frees (cross-thread frees matched)" grep -q '^unknown frees   0$' <<<"$info"
for t in 1 2 3 4; do
  check "thread $t: 2001 ops" grep -q "^  thread $t *2001 ops$" <<<"$info"
done
check "threads: lost_records=0" [ "$(meta threads.hltrace lost_records)" = 0 ]
# main frees each worker's last block (a slot another thread filled)
check "threads: main frees 4 blocks of 48 and allocates 4 again" \
  [ "$("$HL" trace ops threads.hltrace | awk '$3 == 0 && $2 == "alloc" && $5 == 48' | wc -l)" -ge 4 ]

# ---- exit status, /bin/true, sort ---------------------------------------------
"$HL" record -o false.hltrace -- "$PROG" bogus 2>/dev/null
check "exit status passed through (2)" [ $? -eq 2 ]
check "exit_status=2 in meta" [ "$(meta false.hltrace exit_status)" = 2 ]
"$HL" record -- /bin/true 2>rec.err
check "true: exits 0" [ $? -eq 0 ]
check "true: default name true.hltrace" [ -f true.hltrace ]
check "true: a valid trace" "$HL" trace info true.hltrace
seq 1 3000 | awk '{ print ($1 * 7919) % 3001 }' >in.txt
"$HL" record -o sort.hltrace -- sort -n in.txt >sorted.txt 2>rec.err
check "sort: exits 0" [ $? -eq 0 ]
check "sort: output unchanged by recording" cmp -s sorted.txt <(sort -n in.txt)
n=$("$HL" trace info sort.hltrace | awk '$1 == "ops" { print $2 }')
check "sort: some ops ($n)" [ "${n:-0}" -gt 10 ]
check "sort: program" [ "$(meta sort.hltrace program)" = "$(readlink -f "$(command -v sort)")" ]

finish
