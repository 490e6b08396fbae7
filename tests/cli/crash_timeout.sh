#!/usr/bin/env bash
# tests/cli/crash_timeout.sh — a crashing and a hanging cell (test-only
# allocators of heaplab-testbuild) become status=crashed / status=timeout
# rows, reps delivered before the crash are kept, and the other cells of
# the run complete with status=ok.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/r"
"$HLT" run --env host --out "$TMP/r" --allocators test-crash,test-hang,bump \
  --workloads lifo --ops 1000 --reps 3 --launches 1 --min-time 0 --retries 0 --timeout 3 --clock tsc >"$TMP/stdout" 2>"$TMP/stderr"
check "the run exits 0" [ $? -eq 0 ]
R=$(run_dir "$TMP/r")
statuses() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[5], f[10], f[11] }' "$R/cells.csv" | sort; }
# lifo with --ops 1000: 500 allocs a pass, 1000 a rep after the 500 of the
# warm-up: test-crash (SIGSEGV on alloc 2000) delivers rep 0, dies in rep 1.
# --retries 0: a pass re-run because the machine disturbed it would spend
# rep 0's allocs twice (a loaded CI machine did, and rep 0 crashed).
want='bump 0 ok
bump 1 ok
bump 2 ok
test-crash 0 ok
test-crash 1 crashed
test-crash 2 crashed
test-hang 0 timeout
test-hang 1 timeout
test-hang 2 timeout'
check "statuses: $(statuses | tr '\n' ';')" [ "$(statuses)" = "$want" ]
# (a sanitizer's SEGV handler turns the signal into exit status 1)
check "one stderr line names the signal" grep -Eq "test-crash x lifo: crashed \((signal SIGSEGV|exit status 1)\)" "$TMP/stderr"
check "one stderr line names the timeout" grep -q "test-hang x lifo: timeout" "$TMP/stderr"
check "cells.log names the signal" grep -Eq "test-crash x lifo: crashed \((signal SIGSEGV|exit status 1)" "$R/cells.log"
check "cells.log names the kill" grep -q "test-hang x lifo: timeout" "$R/cells.log"
check "summary says crashed" grep -q ',test-crash,heap,lifo,.*,crashed,' "$R/summary.csv"
check "summary says timeout" grep -q ',test-hang,heap,lifo,.*,timeout,' "$R/summary.csv"
check "summary says ok for bump" grep -q ',bump,heap,lifo,.*,3,ok,' "$R/summary.csv"
check "meta says complete" grep -qx 'run_status,complete' "$R/meta.csv"
# the delivered rep of test-crash kept its latency rows
check "latency rows of the delivered rep" grep -q ',test-crash,lifo,.*,0,[0-9]*,[0-9]*,[0-9]*$' "$R/latency.csv"
check "no latency rows of a crashed rep" [ -z "$(grep ',test-crash,lifo,.*,[12],[0-9]*,[0-9]*,[0-9]*$' "$R/latency.csv")" ]

# an interrupted run keeps whole rows only, and says so
mkdir -p "$TMP/i"
"$HLT" run --env host --out "$TMP/i" --allocators test-hang --workloads lifo --ops 100 \
  --reps 2 --timeout 60 --clock tsc >/dev/null 2>"$TMP/istderr" &
pid=$!
for _ in $(seq 50); do [ -n "$(run_dir "$TMP/i")" ] && grep -q 'start' "$(run_dir "$TMP/i")/cells.log" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
check "interrupted run exits 130" [ $? -eq 130 ]
I=$(run_dir "$TMP/i")
check "interrupted run says so in meta" grep -qx 'run_status,interrupted' "$I/meta.csv"
check "interrupted run: header only in cells.csv" [ "$(wc -l <"$I/cells.csv")" -eq 1 ]
check "every file ends with a newline" bash -c 'for f in "$1"/*.csv; do [ "$(tail -c 1 "$f" | od -An -c | tr -d " ")" = "\n" ] || exit 1; done' _ "$I"
finish
