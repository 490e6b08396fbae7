#!/usr/bin/env bash
# tests/kernel/resident_qemu.sh — the kernel's resident_bytes (demand
# faults of the region and the allocator's state, the rest of the
# workspace prefaulted; docs/measurement.md "Resident pages"), from one
# short `heaplab run --env qemu` (TCG, icount): every qemu row has it, a
# multiple of 4096, at least the peak live bytes (the runner writes every
# page of every block), and not absurd: for bump, whose blocks are
# contiguous, at most a page per block and the state beyond them; and it
# agrees with the kernel's own count of the region's touched pages
# (meta's qemu_region_pages_touched) within the state's pages.
# usage: resident_qemu.sh HEAPLAB
set -u
export LC_ALL=C
HL=${1:?usage: resident_qemu.sh HEAPLAB}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"
PAGE=4096
N=1000
# A checked kernel's firstfit-seed and tlsf poison their whole free region
# at init (slow under TCG, and all of it resident): bump and slab only.
HEAPS="bump firstfit-seed tlsf slab"
"$HL" info 2>/dev/null | grep '^build' | grep -q 'HL_CHECK_LEVEL=0,' || HEAPS="bump slab"
NH=$(echo $HEAPS | wc -w)

mkdir -p "$TMP/q"
"$HL" run --env qemu --clock icount --out "$TMP/q" --allocators "${HEAPS// /,}" \
  --workloads lifo --params "lifo:n=$N,min=16,max=9000" --det-reps 1 >"$TMP/q.out" 2>"$TMP/q.err"
check_exit $? "qemu run exits 0 ($(head -c 300 "$TMP/q.err"))"
Q=$(run_dir "$TMP/q")
C=$Q/cells.csv
R=$(csv_col "$C" resident_bytes); L=$(csv_col "$C" peak_live_bytes)
check "cells.csv has resident_bytes" [ -n "$R" ]
rows() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[2], f[5], f[R], f[L] }' R="$R" L="$L" "$C"; }
check "$NH qemu rows: $(rows | tr '\n' ';')" [ "$(rows | awk '$1 == "qemu"' | wc -l)" -eq $NH ]
bad=$(rows | awk -v p=$PAGE '$3 !~ /^[0-9]+$/ || $3 < $4 || $3 % p != 0 { print }')
check "every row: resident a multiple of $PAGE, >= peak live: $bad" [ -z "$bad" ]
bad=$(rows | awk -v p=$PAGE -v n=$N '$2 == "bump" && $3 > $4 + (n + 2) * p { print }')
check "bump: resident <= live + a page per block + state: $bad" [ -z "$bad" ]
for a in $HEAPS; do
  touched=$(grep "^cell\.$a\.qemu_region_pages_touched," "$Q/meta.csv" | cut -d, -f2)
  check "$a: meta has qemu_region_pages_touched" [ -n "$touched" ]
  [ -n "$touched" ] || continue
  bad=$(rows | awk -v a=$a -v t=$((touched * PAGE)) -v p=$PAGE '$2 == a && ($3 < t || $3 > t + 8 * p) { print $0, "region", t }')
  check "$a: resident = region pages touched + the state's: $bad" [ -z "$bad" ]
done
finish
