# tests/cli/vm.sh — the vm family on the host (workloads/vm.h, bench/host/vmcell.c):
# vm-touch cells of both mapping kinds run and their rows read back from
# cells.csv (family vm, the same workload_checksum for both kinds, ops =
# pages x passes, empty per-op columns), meta.csv names the host's huge
# page mechanism and each cell's mapping; vm-remap is left out of the
# host with the reason said (a note, or the one-line refusal when nothing
# else is left).  (That the default suite has no vm cell: test_vm.)
. "$(dirname "$0")/lib.sh"

OUT="$TMP/run"
mkdir -p "$OUT"
"$HL" run --env host --clock tsc --workloads vm-touch \
  --params vm-touch:pages=512,order=1,passes=8 --reps 2 --launches 1 --sweep none \
  --out "$OUT" >"$TMP/stdout" 2>"$TMP/stderr"
check_exit $? "vm-touch run exits 0 ($(head -c 300 "$TMP/stderr"))"
D=$(run_dir "$OUT")
C="$D/cells.csv"
check "cells.csv written" [ -s "$C" ]
rows() { # rows ALLOCATOR: "status ops checksum family p50" per row of that allocator
  awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[A] == al) print f[S], f[O], f[K], f[F], "[" f[P] "]" }' \
    A="$(csv_col "$C" allocator)" S="$(csv_col "$C" status)" O="$(csv_col "$C" ops)" \
    K="$(csv_col "$C" workload_checksum)" F="$(csv_col "$C" family)" P="$(csv_col "$C" p50)" \
    al="$1" "$C"
}
R4K=$(rows pages-4k)
R4M=$(rows pages-4m)
check "two pages-4k rows: $R4K" [ "$(echo "$R4K" | wc -l)" = 2 ]
check "two pages-4m rows: $R4M" [ "$(echo "$R4M" | wc -l)" = 2 ]
check "pages-4k rows ok, 4096 ops, family vm, no per-op figures" \
  [ "$(echo "$R4K" | awk '$1 == "ok" && $2 == 4096 && $4 == "vm" && $5 == "[]"' | wc -l)" = 2 ]
SUMS=$(printf '%s\n%s\n' "$R4K" "$R4M" | awk '{print $3}' | sort -u)
check "one workload_checksum for both kinds: $SUMS" [ "$(echo "$SUMS" | wc -l)" = 1 ]
# the stream's checksum is the generator's (wl_checksums prints it at the defaults;
# here: the same params give the same checksum in a second run)
OUT2="$TMP/run2"
mkdir -p "$OUT2"
"$HL" run --env host --clock tsc --allocators pages-4k --workloads vm-touch \
  --params vm-touch:pages=512,order=1,passes=8 --reps 1 --launches 1 --sweep none \
  --out "$OUT2" >/dev/null 2>&1
C2="$(run_dir "$OUT2")/cells.csv"
SUM2=$(awk "$AWK_CSV"'NR == 2 { split_csv($0); print f[K] }' K="$(csv_col "$C2" workload_checksum)" "$C2")
check "a second run, the same checksum ($SUM2)" [ "$SUM2" = "$SUMS" ]
# how the pages were had, recorded
M="$D/meta.csv"
check "meta.csv: vm.host_huge_pages" grep -qE '^vm\.host_huge_pages,"?(hugetlb|thp|none) ' "$M"
check "meta.csv: the 4k cell's mapping" grep -q '^cell\.pages-4k\.vm_pages,.*MADV_NOHUGEPAGE' "$M"
check "meta.csv: the 4m cell's mapping" grep -qE '^cell\.pages-4m\.vm_pages,"?(hugetlb|thp|none)' "$M"
# a pages-4m cell that got no huge page says failed, never ok
if grep -q '^vm\.host_huge_pages,"\?none' "$M"; then
  check "no huge pages: pages-4m rows failed" [ "$(echo "$R4M" | awk '$1 == "failed"' | wc -l)" = 2 ]
else
  check "pages-4m rows ok" [ "$(echo "$R4M" | awk '$1 == "ok"' | wc -l)" = 2 ]
fi

# vm-remap is kernel-only: the host leaves it out and says why
expect_usage "vm-remap has no host cells (kernel only" \
  "$HL" run --env host --workloads vm-remap --out "$TMP/out"
OUT3="$TMP/run3"
mkdir -p "$OUT3"
"$HL" run --env host --clock tsc --allocators pages-4k --workloads vm-touch,vm-remap \
  --params vm-touch:pages=16,passes=2 --reps 1 --launches 1 --sweep none \
  --out "$OUT3" >/dev/null 2>"$TMP/stderr3"
check "vm-touch + vm-remap on the host exits 0" [ $? -eq 0 ]
check "the note names vm-remap" grep -q "note: vm-remap has no host cells" "$TMP/stderr3"
check "meta.csv: host_skipped" grep -q '^host_skipped,.*vm-remap' "$(run_dir "$OUT3")/meta.csv"
check "no vm-remap row" [ "$(grep -c vm-remap "$(run_dir "$OUT3")/cells.csv")" = 0 ]

# bad input: one line naming the value
expect_usage "order" "$HL" run --env host --workloads vm-touch --params vm-touch:order=2 --out "$TMP/out"
finish
