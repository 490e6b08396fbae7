#!/usr/bin/env bash
# tests/exec/exec.sh HEAPLAB HEAPLAB_TESTBUILD EXEC_PROG — heaplab exec:
# our test program (every entry point, 4 threads, a fork, contents and
# alignment checked) under every project heap allocator and every
# installed baseline, read back from programs.csv, cells.csv and
# summary.csv; a parameter variant; sort on generated text through
# --stdin; a crash, a non-zero exit, a timeout, a full region; the shim
# refusing a bad environment; bad usage.
. "$(dirname "$0")/../cli/lib.sh"
PROG=${3:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD EXEC_PROG}
cd "$TMP" || exit 1
SHIM=$(dirname "$HL")/libheaplab-exec.so
# A checked build poisons the whole region at init: keep it small.
REGION=256

# field FILE ROW COLUMN: the value (RFC 4180 aware) in data row ROW (1 = first).
field() {
  awk -v want="$2" -v col="$(csv_col "$1" "$3")" "$AWK_CSV"'
    NR == 1 { next } { split_csv($0) } NR - 1 == want { print f[col]; exit }' "$1"
}
rows() { echo $(( $(wc -l <"$1") - 1 )); }

heap=$("$HL" list allocators | awk '$2 == "heap" && $3 == "project" { print $1 }' | paste -sd, -)
base=$("$HL" list allocators | awk '$2 == "heap" && $3 == "baseline" && !/not installed/ { print $1 }' | paste -sd, -)
all=$heap${base:+,$base}
n=$(tr ',' '\n' <<<"$all" | wc -l)
check "heap allocators listed ($heap)" [ "$(tr ',' '\n' <<<"$heap" | wc -l)" -ge 7 ]

# ---- every allocator: the program checks itself -------------------------------
# (the baselines in a second run: `portable` leaves out pvalloc, which
# Debian's jemalloc does not define; both runs' rows are read below)
"$HL" exec --allocators "$heap" --reps 1 --region-mib $REGION --out out \
  -- "$PROG" >exec.out 2>exec.err
rc=$?
check "exec over $heap exits 0 (got $rc: $(head -c 300 exec.err))" [ "$rc" -eq 0 ]
if [ -n "$base" ]; then
  "$HL" exec --allocators "$base" --reps 1 --out outb -- "$PROG" portable >>exec.out 2>exec.err
  rc=$?
  check "exec over $base exits 0 (got $rc: $(head -c 300 exec.err))" [ "$rc" -eq 0 ]
  db=$(run_dir outb)
  # one folder's files of both runs, for the loop below
  for f in programs.csv cells.csv summary.csv; do tail -n +2 "$db/$f" >>"$(run_dir out)/$f"; done
  cat "$db/cells.log" >>"$(run_dir out)/cells.log"
  cp "$db/meta.csv" "$(run_dir out)/meta-baselines.csv"
fi
d=$(run_dir out)
P=$d/programs.csv
for f in meta.csv programs.csv cells.csv cells.log summary.csv; do
  check "$f written" [ -s "$d/$f" ]
done
check "programs.csv: one row per allocator ($n)" [ "$(rows "$P")" -eq "$n" ]
check "cells.csv: one row per allocator" [ "$(rows "$d/cells.csv")" -eq "$n" ]
check "summary.csv: one row per allocator" [ "$(rows "$d/summary.csv")" -eq "$n" ]
for ((r = 1; r <= n; r++)); do
  a=$(field "$P" $r allocator)
  kind=$(field "$P" $r kind)
  st=$(field "$P" $r status)
  check "$a: status ok (got '$st': $(grep " $a" "$d/cells.log" | head -n 1))" [ "$st" = ok ]
  check "$a: exit_code 0" [ "$(field "$P" $r exit_code)" = 0 ]
  check "$a: wall_s > 0" awk -v v="$(field "$P" $r wall_s)" 'BEGIN { exit !(v > 0) }'
  check "$a: user_s + sys_s > 0" awk -v u="$(field "$P" $r user_s)" -v s="$(field "$P" $r sys_s)" 'BEGIN { exit !(u + s > 0) }'
  check "$a: maxrss_bytes > 1 MiB" awk -v v="$(field "$P" $r maxrss_bytes)" 'BEGIN { exit !(v > 1048576) }'
  if [ "$kind" = project ]; then
    allocs=$(field "$P" $r allocs)
    check "$a: the shim counted allocs (${allocs:-none})" awk -v v="$allocs" 'BEGIN { exit !(v > 20000) }'
    check "$a: the shim counted frees" awk -v v="$(field "$P" $r frees)" 'BEGIN { exit !(v > 20000) }'
    check "$a: capacity is the region" [ "$(field "$P" $r capacity_bytes)" = $((REGION << 20)) ]
    check "$a: aligned allocs counted" awk -v v="$(field "$P" $r aligned_allocs)" 'BEGIN { exit !(v > 0) }'
    check "$a: realloc copies counted" awk -v v="$(field "$P" $r realloc_copies)" 'BEGIN { exit !(v > 0) }'
    check "$a: no failed allocs" [ "$(field "$P" $r failed_allocs)" = 0 ]
    check "$a: peak live > 1 MiB" awk -v v="$(field "$P" $r program_peak_live_bytes)" 'BEGIN { exit !(v > 1048576) }'
  else
    check "$a: kind baseline" [ "$kind" = baseline ]
    check "$a: no shim stats for a baseline" [ -z "$(field "$P" $r allocs)" ]
  fi
  check "$a: cells.csv row clock=wall_ns family=program" \
    [ "$(field "$d/cells.csv" $r clock),$(field "$d/cells.csv" $r family)" = wall_ns,program ]
  check "$a: cells.csv wall in ns" awk -v ns="$(field "$d/cells.csv" $r cycles_per_op)" -v s="$(field "$P" $r wall_s)" \
    'BEGIN { exit !(ns > 0 && ns / 1e9 - s < 1e-5 && s - ns / 1e9 < 1e-5) }'
done
check "every baseline got its library preloaded (meta.csv)" \
  bash -c "for b in ${base//,/ }; do [ \$b = glibc ] && continue; grep -q \"^exec.preload.\$b,/.*\\.so\" '$d/meta-baselines.csv' || exit 1; done"
[[ ,$base, == *,glibc,* ]] &&
  check "glibc runs with nothing preloaded" grep -q '^exec.preload.glibc,none (glibc)$' "$d/meta-baselines.csv"
check "the tables name every allocator" [ "$(grep -c ' ok ' exec.out)" -eq "$n" ]
check "heaplab summary reads the run" bash -c "'$HL' summary '$d' >/dev/null"
if [[ ,$base, == *,glibc,* ]]; then
  check "heaplab compare --baseline glibc reads the run" bash -c "'$HL' compare '$d' --baseline glibc >/dev/null"
fi

# ---- a parameter variant, reps, round-robin order -----------------------------
"$HL" exec --allocators slab:keep_empty=0,tlsf --reps 2 --region-mib $REGION \
  --out out2 -- "$PROG" hog 8 >/dev/null 2>&1
d=$(run_dir out2)
P=$d/programs.csv
check "variant: 4 rows" [ "$(rows "$P")" -eq 4 ]
check "variant: slab's alloc_params" bash -c "[[ '$(field "$P" 1 alloc_params)' == keep_empty=0,* ]]"
check "round-robin: slab tlsf slab tlsf" [ "$(for r in 1 2 3 4; do field "$P" $r allocator; done | paste -sd' ' -)" = "slab tlsf slab tlsf" ]
check "reps 0 0 1 1" [ "$(for r in 1 2 3 4; do field "$P" $r rep; done | paste -sd' ' -)" = "0 0 1 1" ]
check "hog 8: max RSS over 8 MiB" awk -v v="$(field "$P" 2 maxrss_bytes)" 'BEGIN { exit !(v > 8 * 1048576) }'
check "hog 8: peak live over 8 MiB" awk -v v="$(field "$P" 2 program_peak_live_bytes)" 'BEGIN { exit !(v >= 8 * 1048576) }'

# ---- a real program: sort over generated text through --stdin -----------------
awk 'BEGIN { srand(3); for (i = 0; i < 20000; i++) printf "%d w%d\n", int(rand() * 1e6), i }' >words.txt
"$HL" exec --allocators tlsf,slab,glibc --reps 1 --region-mib $REGION --stdin words.txt \
  --out out3 -- sort -k2 >/dev/null 2>&1
d=$(run_dir out3)
check "sort: 3 rows ok" [ "$(for r in 1 2 3; do field "$d/programs.csv" $r status; done | grep -c '^ok$')" -eq 3 ]
check "sort: program name" [ "$(field "$d/programs.csv" 1 program)" = sort ]
check "sort under tlsf allocated" awk -v v="$(field "$d/programs.csv" 1 allocs)" 'BEGIN { exit !(v > 10) }'

# ---- crash, exit status, timeout, a full region ----------------------------------
"$HL" exec --allocators tlsf,glibc --reps 1 --region-mib $REGION --out out4 -- "$PROG" crash >/dev/null 2>&1
rc=$?
d=$(run_dir out4)
check "crash: heaplab exits 0" [ "$rc" -eq 0 ]
check "crash: status crashed, signal 11" [ "$(field "$d/programs.csv" 1 status),$(field "$d/programs.csv" 1 signal)" = crashed,11 ]
check "crash: glibc too" [ "$(field "$d/programs.csv" 2 status)" = crashed ]
check "crash: one cells.log line each" [ "$(grep -c 'crashed, .*signal 11' "$d/cells.log")" -eq 2 ]
check "crash: summary status crashed" [ "$(field "$d/summary.csv" 1 status)" = crashed ]

"$HL" exec --allocators tlsf --reps 2 --region-mib $REGION --out out5 -- "$PROG" exit 3 >/dev/null 2>&1
d=$(run_dir out5)
check "exit 3: status failed, exit_code 3" [ "$(field "$d/programs.csv" 2 status),$(field "$d/programs.csv" 2 exit_code)" = failed,3 ]
check "exit 3: cells.log says so" grep -q 'tlsf rep 1: failed, .*exit status 3' "$d/cells.log"

t0=$(date +%s)
"$HL" exec --allocators glibc,tlsf --reps 1 --timeout 1 --out out6 -- "$PROG" sleep 60 >/dev/null 2>&1
t1=$(date +%s)
d=$(run_dir out6)
check "timeout: both rows timeout" [ "$(field "$d/programs.csv" 1 status),$(field "$d/programs.csv" 2 status)" = timeout,timeout ]
check "timeout: killed in time ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 20 ]
check "timeout: cells.log" [ "$(grep -c 'timeout, .*--timeout' "$d/cells.log")" -eq 2 ]

"$HL" exec --allocators tlsf --reps 1 --region-mib 4 --out out7 -- "$PROG" hog 16 >/dev/null 2>&1
d=$(run_dir out7)
check "full region: status failed" [ "$(field "$d/programs.csv" 1 status)" = failed ]
check "full region: failed_allocs counted" awk -v v="$(field "$d/programs.csv" 1 failed_allocs)" 'BEGIN { exit !(v >= 1) }'
check "full region: the program's message in cells.log" grep -q 'stderr: exec_prog: hog: malloc failed' "$d/cells.log"

# ---- the shim on its own: a bad environment stops the program before main -------
HEAPLAB_EXEC_ALLOCATOR=nosuch HEAPLAB_EXEC_REGION_BYTES=1048576 HEAPLAB_EXEC_STATS_DIR=$TMP \
  LD_PRELOAD=$SHIM "$PROG" >shim.out 2>shim.err
rc=$?
check "shim: unknown allocator exits 127 (got $rc)" [ "$rc" -eq 127 ]
check "shim: names it" grep -q "heaplab-exec: cannot start: no heap allocator 'nosuch'" shim.err
check "shim: the stats file says init_error" grep -q '^init_error=no heap allocator' "$TMP"/*.stats
HEAPLAB_EXEC_ALLOCATOR=tlsf HEAPLAB_EXEC_REGION_BYTES=12x LD_PRELOAD=$SHIM "$PROG" exit 0 2>shim.err
check "shim: bad region exits 127" [ $? -eq 127 ]
check "shim: names the region" grep -q "HEAPLAB_EXEC_REGION_BYTES '12x'" shim.err

# ---- bad usage: one line naming the value, exit 2, no run folder ----------------
mkdir -p out
O=(--out "$TMP/out")
expect_usage "unknown allocator 'nosuch'" "$HL" exec "${O[@]}" --allocators nosuch -- "$PROG"
expect_usage "'buddy' is a frame allocator" "$HL" exec "${O[@]}" --allocators buddy -- "$PROG"
expect_usage "slab:nope=1" "$HL" exec "${O[@]}" --allocators slab:nope=1 -- "$PROG"
expect_usage "glibc:x=1" "$HL" exec "${O[@]}" --allocators glibc:x=1 -- "$PROG"
expect_usage "unknown allocator 'test-crash'" "$HLT" exec "${O[@]}" --allocators test-crash -- "$PROG"
expect_usage "'tlsf' is named twice" "$HL" exec "${O[@]}" --allocators tlsf,glibc,tlsf -- "$PROG"
expect_usage "'0'" "$HL" exec "${O[@]}" --allocators tlsf --reps 0 -- "$PROG"
expect_usage "'x'" "$HL" exec "${O[@]}" --allocators tlsf --reps x -- "$PROG"
expect_usage "'0'" "$HL" exec "${O[@]}" --allocators tlsf --region-mib 0 -- "$PROG"
expect_usage "'abc'" "$HL" exec "${O[@]}" --allocators tlsf --timeout abc -- "$PROG"
expect_usage "missing command" "$HL" exec "${O[@]}" --allocators tlsf --
expect_usage "missing --allocators" "$HL" exec "${O[@]}" -- "$PROG"
expect_usage "command 'no-such-program-x' not found" "$HL" exec "${O[@]}" --allocators tlsf -- no-such-program-x
expect_usage "unknown option '--bogus'" "$HL" exec "${O[@]}" --bogus -- "$PROG"
expect_usage "--stdin: '/no/such/file'" "$HL" exec "${O[@]}" --allocators tlsf --stdin /no/such/file -- "$PROG"
expect_usage "'bad,name'" "$HL" exec "${O[@]}" --allocators tlsf --name bad,name -- "$PROG"
check "exec --help names every option" bash -c "'$HL' exec --help | grep -q -- --region-mib"
check "heaplab --help lists exec" bash -c "'$HL' --help | grep -q '^  exec '"

finish
