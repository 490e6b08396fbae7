#!/usr/bin/env bash
# tests/cli/plot_modelled.sh — `heaplab plot` on a real `--clock modelled`
# run in the kernel (docs/plots.md, figures 1c, 1d, 4 -modelled and 7c):
# one QEMU run of the heap and frame suite plus a modelled sweep of
# churn-fixed's live set (the sweep's cells take the run's only clock,
# modelled), plotted; each figure drawn and valid, and the numbers
# gnuplot read (data/NAME.dat) are summary.csv's medians and cells.csv's
# misses per op of the modelled rows; the TSC and instruction figures
# skipped with their reason.  The synthetic fixture (plot.sh) covers the
# host's modelled rows beside the kernel's.
# usage: plot_modelled.sh HEAPLAB   (HEAPLAB_QEMU, HEAPLAB_KERNEL set)
set -u
export LC_ALL=C
HL=${1:?usage: plot_modelled.sh HEAPLAB}
. "$(dirname "$0")/lib.sh" "$HL" "$HL"
. "$(dirname "$0")/plot_data.sh"

if ! command -v gnuplot >/dev/null; then
  echo "plot_modelled: gnuplot is not installed (Debian: gnuplot-nox); nothing to test"
  exit 0
fi

mkdir -p "$TMP/runs"
"$HL" run --env qemu --clock modelled --ops 2000 --out "$TMP/runs" \
  --allocators slab,tlsf,firstfit-seed,buddy,bitmap-fast --workloads churn-fixed,lifo,frames-churn \
  --sweep churn-fixed:live=100,1000 >"$TMP/run.out" 2>"$TMP/run.err"
check_exit $? "the modelled run exits 0 ($(head -c 300 "$TMP/run.err"))"
RUN=$(run_dir "$TMP/runs")
n=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "modelled" && f[14] == "ok") n++ } END { print n + 0 }' "$RUN/summary.csv")
check "14 ok modelled summary rows: 8 suite cells, 6 sweep points (got $n)" [ "$n" -eq 14 ]

"$HL" plot "$RUN" --format pdf,png --baseline slab >"$TMP/p.out" 2>"$TMP/p.err"
check_exit $? "plot exits 0 ($(head -c 300 "$TMP/p.err"))"
check "plot says nothing on stderr" [ ! -s "$TMP/p.err" ]
F="$RUN/figures" D="$RUN/figures/data"
for f in fig1c-cost-modelled-heap fig1c-cost-modelled-frame fig1d-misses-heap fig1d-misses-frame \
         fig4-sweep-churn-fixed-live-modelled fig7c-ratio-modelled-heap; do
  check "$f.pdf is a PDF" bash -c 'head -c 5 "$1" | grep -q "^%PDF-"' _ "$F/$f.pdf"
  check "$f.png is a PNG" bash -c '[ "$(head -c 8 "$1" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]' _ "$F/$f.png"
  check "$f: data and preamble" nonempty "$D/$f.dat" "$D/$f.gp"
done

# the numbers: summary.csv's medians, cells.csv's misses, per series
for fam in heap frame; do
  summary_medians "$RUN" modelled $fam "" >"$TMP/want"
  dat_values "$D/fig1c-cost-modelled-$fam.dat" 1,2,3 5 >"$TMP/got"
  check "fig1c $fam: summary.csv's modelled medians ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
    same_values "$TMP/want" "$TMP/got"
  for col in l1d:5 llc:8; do
    cells_misses "$RUN" $fam "${col%:*}_misses_per_op" >"$TMP/want"
    dat_values "$D/fig1d-misses-$fam.dat" 1,2,3 "${col#*:}" >"$TMP/got"
    check "fig1d $fam: cells.csv's ${col%:*}_misses_per_op ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
      same_values "$TMP/want" "$TMP/got"
  done
done
summary_medians "$RUN" modelled heap live live >"$TMP/want"
check "the sweep: 3 allocators x 2 values of live ($(wc -l <"$TMP/want"))" [ "$(wc -l <"$TMP/want")" -eq 6 ]
dat_values "$D/fig4-sweep-churn-fixed-live-modelled.dat" 1,2,4 5 >"$TMP/got"
check "fig4 -modelled: the sweep's medians against live ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
  same_values "$TMP/want" "$TMP/got"
# the first-fit heap's list walk: its cost grows with the live set
ff=$(awk -F'|' '$1 ~ /^firstfit-seed;qemu;/ { v[$1] = $2 } END { print (v["firstfit-seed;qemu;1000"] > 3 * v["firstfit-seed;qemu;100"]) }' "$TMP/got")
check "fig4 -modelled: firstfit-seed at live=1000 costs over 3x live=100" [ "$ff" = 1 ]

model=$(awk -F, '$1 == "model" { print $2 }' "$RUN/meta.csv")
check "meta.csv names the model ($model)" [ -n "$model" ]
for f in fig1c-cost-modelled-heap fig4-sweep-churn-fixed-live-modelled; do
  check "$f: the cost axis names the model" grep -q "label = .*\"modelled cycles per op ($model)\"\$" "$D/$f.gp"
done
check "fig1d: the title names the model" grep -q "^title = .*\"heap allocators: cache misses, model $model\"\$" "$D/fig1d-misses-heap.gp"
check "fig1c: the key says qemu: modelled" grep -q '"qemu: modelled"' "$D/fig1c-cost-modelled-heap.gp"
check "fig1a skipped, said so" grep -q '^  fig1a-cost-cycles .*skipped: no summary.csv rows with clock=tsc' "$TMP/p.out"
check "fig1b skipped, said so" grep -q '^  fig1b-cost-instructions .*skipped' "$TMP/p.out"
check "no TSC sweep figure, and no line about it (the sweep is modelled)" \
  bash -c '! grep -q "^  fig4-sweep-churn-fixed-live " "$1"' _ "$TMP/p.out"
check "modelled rows are not 'another clock'" bash -c '! grep -q "another clock" "$1"' _ "$TMP/p.out"
check "fig7c divides by --baseline slab" grep -q '^  fig7c-ratio-modelled-heap .*baseline slab' "$TMP/p.out"
finish
