#!/usr/bin/env bash
# tests/cli/resident.sh — cells.csv's resident_bytes (docs/measurement.md
# "Resident pages"), read back from real host runs:
#   - every TSC row has it: an integer > 0, a multiple of 4096;
#   - heaplab's heap allocators (the runner writes every page of every
#     block it is granted, PEROP) have at least their peak live bytes
#     resident, and RssAnon's figure agrees with mincore of the region
#     (meta's resident_end probe: region pages + the state, 4 pages of
#     slack) — so it is not absurd either;
#   - the baselines never touch the region (mincore 0) and have at least
#     most of their live bytes resident (a sampled peak may fall just
#     beside the exact one);
#   - bump with a large live set: resident >= live, and at most one page
#     per block beyond it;
#   - callgrind rows leave it empty (valgrind's RSS is not the
#     allocator's).
# No timings are compared.
# usage: resident.sh HEAPLAB HEAPLAB_TESTBUILD
. "$(dirname "$0")/lib.sh" "$@"
export LC_ALL=C

PAGE=4096
BASELINES=glibc
"$HL" list 2>/dev/null | grep -Eq '^  jemalloc .*\[/' && BASELINES="$BASELINES,jemalloc"
# What this build can do: a checked build's firstfit-seed and tlsf poison
# their whole free region at init (all of it resident, and slow), so a
# checked build tests bump and slab only; a sanitizer's shadow pages are
# anonymous too, so RssAnon is not the region's under ASan (no
# cross-check with mincore, glibc the only baseline).
INFO=$("$HL" info 2>/dev/null | grep '^build')
HEAPS="firstfit-seed slab tlsf bump"
case "$INFO" in *HL_CHECK_LEVEL=0,*) ;; *) HEAPS="slab bump" ;; esac
SANITIZED=0; case "$INFO" in *sanitize=none,*) ;; *) SANITIZED=1; BASELINES=glibc ;; esac

# One workload per run, so that meta's per-allocator probe is this cell's.
# lifo with blocks of up to two pages and more: touching spans pages.
run() { # run NAME ALLOCATORS PARAMS
  mkdir -p "$TMP/$1"
  "$HL" run --env host --clock tsc --allocators "$2" --workloads lifo \
    --params "lifo:$3" --launches 1 --reps 2 --out "$TMP/$1" >"$TMP/$1.out" 2>"$TMP/$1.err"
  check_exit $? "run $1 exits 0 ($(head -c 300 "$TMP/$1.err"))"
}
run mixed "${HEAPS// /,},$BASELINES" "n=3000,min=16,max=9000"
M=$(run_dir "$TMP/mixed")
C=$M/cells.csv
R=$(csv_col "$C" resident_bytes)
check "cells.csv has a resident_bytes column" [ -n "$R" ]
check "resident_bytes follows disturbed" [ "$R" = "$(( $(csv_col "$C" disturbed) + 1 ))" ]
L=$(csv_col "$C" peak_live_bytes)
FAM=$(csv_col "$C" family)

# per row: allocator resident live
rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[5], f[R], f[L] }' R="$R" L="$L" "$C"; }
check "6+ rows (3+ allocators x 2 reps)" [ "$(rows | wc -l)" -ge 6 ]
bad=$(rows | awk -v p=$PAGE '$2 !~ /^[0-9]+$/ || $2 <= 0 || $2 % p != 0 { print }')
check "every row: resident_bytes an integer > 0, a multiple of $PAGE: $bad" [ -z "$bad" ]

# the probe: "RssAnon-rss0 X bytes, region by mincore Y bytes, state Z bytes"
probe() { # probe ALLOCATOR FIELD(1: rss, 2: region, 3: state)
  grep "^cell\.$1\.resident_end," "$M/meta.csv" |
    sed -E 's/.*RssAnon-rss0 ([0-9]+) bytes, region by mincore ([0-9]+) bytes, state ([0-9]+) bytes.*/\1 \2 \3/' |
    awk -v i="$2" '{ print $i }'
}
for a in $HEAPS; do
  bad=$(rows | awk -v a=$a '$1 == a && $2 < $3 { print }')
  check "$a: resident >= peak live (blocks written): $bad" [ -z "$bad" ]
  [ $SANITIZED -eq 0 ] || continue
  region=$(probe $a 2); state=$(probe $a 3)
  check "$a: meta has the resident_end probe" [ -n "$region" ]
  [ -n "$region" ] || continue
  lo=$region
  hi=$((region + (state + PAGE - 1) / PAGE * PAGE + 4 * PAGE))
  bad=$(rows | awk -v a=$a -v lo=$lo -v hi=$hi '$1 == a && ($2 < lo || $2 > hi) { print }')
  check "$a: RssAnon's resident within [mincore region $lo, + state + 4 pages $hi]: $bad" [ -z "$bad" ]
done
for b in ${BASELINES//,/ }; do
  [ $SANITIZED -eq 1 ] || check "$b: the region untouched (mincore 0)" [ "$(probe "$b" 2)" = 0 ]
  bad=$(rows | awk -v a="$b" '$1 == a && $2 * 10 < $3 * 9 { print }')
  check "$b: resident >= 0.9 x peak live: $bad" [ -z "$bad" ]
done
check "meta: rss0 per cell" grep -q '^cell\.bump\.rss0_bytes,[0-9][0-9]*$' "$M/meta.csv"

# a trace on the baselines: the cell child loads and decodes the trace
# before rss0; were that memory the baseline's (malloc'd, then freed), the
# baseline would hand it out again already resident (tcmalloc's resident
# figure for sqlite3 was 0, jemalloc's 0.39 x live, before it was mapped)
TR=$(dirname "$0")/../../workloads/traces/sqlite3.hltrace.xz
mkdir -p "$TMP/tr"
"$HL" run --env host --clock tsc --allocators "$BASELINES" --workloads "trace:$TR" \
  --launches 1 --reps 1 --out "$TMP/tr" >"$TMP/tr.out" 2>"$TMP/tr.err"
check_exit $? "trace run exits 0 ($(head -c 300 "$TMP/tr.err"))"
T=$(run_dir "$TMP/tr")/cells.csv
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[R] * 10 < f[L] * 9) print f[A], f[R], f[L] }' \
      A="$(csv_col "$T" allocator)" R="$(csv_col "$T" resident_bytes)" L="$(csv_col "$T" peak_live_bytes)" "$T")
check "trace sqlite3 on $BASELINES: resident >= 0.9 x peak live: $bad" [ -z "$bad" -a "$(($(wc -l <"$T") - 1))" -ge 1 ]

# bump, a large live set (about 40 MB): every block resident, nothing more
# than the pages the blocks span
run big bump "n=20000,min=1000,max=3000"
B=$(run_dir "$TMP/big")/cells.csv
bad=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); f[L] += 0; f[R] += 0
        if (f[L] < 30000000 || f[R] < f[L] || f[R] > f[L] + 20001 * p + 64 * p) print f[L], f[R] }' \
      R="$(csv_col "$B" resident_bytes)" L="$(csv_col "$B" peak_live_bytes)" p=$PAGE "$B")
check "bump, 20000 live blocks: live <= resident <= live + a page per block: $bad" [ -z "$bad" ]

# callgrind's rows: empty (when valgrind can run this build)
case "$INFO" in
*sanitize=none,*)
  if command -v valgrind >/dev/null; then
    mkdir -p "$TMP/cg"
    "$HL" run --env host --clock instructions --allocators bump --workloads lifo --ops 500 \
      --det-reps 1 --out "$TMP/cg" >/dev/null 2>&1
    check "instructions run exits 0" [ $? -eq 0 ]
    G=$(run_dir "$TMP/cg")/cells.csv
    check "instructions rows: resident_bytes empty" \
      [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[R] != "") n++ } END { print n + 0 }' R="$(csv_col "$G" resident_bytes)" "$G")" = 0 ]
  fi ;;
esac
finish
