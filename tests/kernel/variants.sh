#!/usr/bin/env bash
# tests/kernel/variants.sh — allocator variants end to end (issue 16):
# `heaplab run --env both` sweeping slab's keep_empty over two workloads
# (and buddy's max_order over a frame workload) runs every sweep point on
# the host and in the kernel; every row records its allocator parameters;
# host and kernel rows of one stream have the same workload_checksum, and
# a frame variant places the same frames in both; `heaplab plot` draws the
# sweep against the allocator's parameter.
# usage: variants.sh HEAPLAB
set -u
export LC_ALL=C
HL=${1:?usage: variants.sh HEAPLAB}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"

INFO=$("$HL" info 2>/dev/null | grep '^build')
CHECKED=0; case "$INFO" in *HL_CHECK_LEVEL=0,*) ;; *) CHECKED=1 ;; esac

mkdir -p "$TMP/v"
"$HL" run --env both --clock tsc,icount --out "$TMP/v" \
  --allocators slab:magazine=8,buddy --workloads lifo,churn-fixed,frames-churn \
  --sweep slab:keep_empty=0,1,4,16 --sweep buddy:max_order=4,18 \
  --ops 2000 --reps 1 --launches 1 --det-reps 1 >"$TMP/v.out" 2>"$TMP/v.err"
check_exit $? "run exits 0 ($(head -c 300 "$TMP/v.err"))"
V=$(run_dir "$TMP/v")
C=$V/cells.csv
AP=$(csv_col "$C" alloc_params); SW=$(csv_col "$C" sweep)
WC=$(csv_col "$C" workload_checksum); PC=$(csv_col "$C" placement_checksum)
check "cells.csv has alloc_params" [ -n "$AP" ]
rows() { # env allocator workload sweep alloc_params, counted
  awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[2], f[5], f[7], f[S], f[A] }' S="$SW" A="$AP" "$C" | sort | uniq -c | awk '{ $1 = $1; print }'
}
R=$(rows)
for env in host qemu; do
  for k in 0 1 4 16; do
    for w in lifo churn-fixed; do
      check "$env slab $w keep_empty=$k" grep -qx "1 $env slab $w keep_empty keep_empty=$k,magazine=8,max_slab_order=6,lg_classes=1" <<<"$R"
    done
  done
  check "$env slab suite cells at magazine=8" [ "$(grep -Ec "^1 $env slab (lifo|churn-fixed) keep_empty=1,magazine=8,max_slab_order=6,lg_classes=1$" <<<"$R")" -eq 2 ]
  for k in 4 18; do
    check "$env buddy frames-churn max_order=$k" grep -qx "1 $env buddy frames-churn max_order max_order=$k,pcp=32" <<<"$R"
  done
done
check "every row has alloc_params" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[A] == "") n++ } END { print n + 0 }' A="$AP" "$C")" -eq 0 ]
# one workload checksum per stream whatever the env and the variant; one
# placement per (buddy variant, stream) across envs
same() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[7] "|" f[8]; if (k in w && w[k] != f[W]) bad++; w[k] = f[W]
      if (f[6] == "frame" && !checked) { p = f[5] "|" f[A] "|" k; if (p in pl && pl[p] != f[P]) bad++; pl[p] = f[P]; e[p "|" f[2]] = 1 } }
    END { for (p in pl) if (!((p "|host") in e) || !((p "|qemu") in e)) bad++; exit bad != 0 }' W="$WC" P="$PC" A="$AP" checked=$CHECKED "$C"
}
check "host and kernel: same streams, same frames per variant" same
check "meta: checksums ok" grep -q '^checksums,"\?ok: ' "$V/meta.csv"
check "meta: sweep.slab,keep_empty" grep -qx 'sweep.slab,keep_empty' "$V/meta.csv"
check "meta: sweep.buddy,max_order" grep -qx 'sweep.buddy,max_order' "$V/meta.csv"
check "no checksum WARNING on stderr" bash -c '! grep -Eq "differs for|MISMATCH" "$1"' _ "$TMP/v.err"
# two max_order variants place frames differently; counted per env, since
# a checked kernel's smaller region moves its frames (docs/kernel.md)
for env in host qemu; do
  check "the variants differ: 2 $env placements for buddy's 2 max_order values" \
    [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[2] == E && f[5] == "buddy" && f[S] == "max_order") print f[P] }' E="$env" S="$SW" P="$PC" "$C" | sort -u | wc -l)" -eq 2 ]
done
SA=$(csv_col "$V/summary.csv" alloc_params)
check "summary.csv keys by alloc_params: 8 slab sweep cells per env" \
  [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[5] == "slab" && f[A] ~ /^keep_empty=/ && f[9] == "keep_empty") n++ } END { print n + 0 }' A="$SA" "$V/summary.csv")" -eq 16 ]

if command -v gnuplot >/dev/null; then
  "$HL" plot "$V" --format png >"$TMP/p.out" 2>&1
  check "plot exits 0" [ $? -eq 0 ]
  check "fig4 for slab's keep_empty (host tsc)" test -s "$V/figures/fig4-sweep-slab-keep-empty.png"
  check "fig4 for slab's keep_empty (qemu icount)" test -s "$V/figures/fig4-sweep-slab-keep-empty-instructions.png"
  check "fig5 for buddy's max_order" test -s "$V/figures/fig5-sweep-buddy-max-order.png"
  check "the data: 4 points per series, footprint column" \
    [ "$(grep -cE '^(0|1|4|16) [-0-9.]+ ' "$V/figures/data/fig4-sweep-slab-keep-empty.dat")" -eq 8 ]
else
  echo "variants: gnuplot is not installed; the figure is not checked"
fi

# bad allocator parameters: one line naming the value, exit 2, nothing left
expect_usage "'slab:keep_emty=0' (unknown parameter at 'keep_emty=0'" \
  "$HL" run --env host --out "$TMP/out" --allocators slab:keep_emty=0 --workloads lifo
expect_usage "'slab:keep_empty=99999' (value out of range at '99999'" \
  "$HL" run --env host --out "$TMP/out" --allocators slab:keep_empty=99999 --workloads lifo
expect_usage "(5000: value out of range)" \
  "$HL" run --env host --out "$TMP/out" --workloads lifo --sweep slab:keep_empty=1,5000
expect_usage "(allocator 'slab' has no parameter 'nosuch'" \
  "$HL" run --env host --out "$TMP/out" --workloads lifo --sweep slab:nosuch=1,2
expect_usage "allocator 'glibc' has no parameters" \
  "$HL" run --env host --out "$TMP/out" --allocators glibc:x=1 --workloads lifo
expect_usage "'magazine=8' (expected allocator:key=value,...)" \
  "$HL" run --env host --out "$TMP/out" --allocators magazine=8,slab --workloads lifo

echo "variants: $PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
