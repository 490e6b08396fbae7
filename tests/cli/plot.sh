#!/usr/bin/env bash
# tests/cli/plot.sh — `heaplab plot` on a small real run and on the
# synthetic fixture (tests/cli/plot_fixture/make_fixture.sh: invented
# numbers, for what no run here produces yet — kernel rows, figure 1b,
# the host's modelled rows beside the kernel's (figures 1c, 1d, 7c and a
# modelled sweep), read back from the .dat files gnuplot drew —
# and for the schema without summary.csv's accel/clock/sweep): the
# expected figures in every format, each a valid PDF/SVG/PNG/TeX file;
# plotting again gives the same bytes (PDF CreationDate pinned to the
# run's date, or SOURCE_DATE_EPOCH); one style per allocator across all
# figures; skipped figures said on stdout.  Bad input: plot_bad_input.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plot_data.sh"
FIXTURE="$(dirname "$0")/plot_fixture/make_fixture.sh"

if ! command -v gnuplot >/dev/null; then
  echo "plot: gnuplot is not installed (Debian: gnuplot-nox); nothing to test"
  exit 0
fi

# every figure NAME (from "  NAME  <source>: ..." lines) in formats FMTS
# under DIR: present, non-empty, and of its kind
figures_ok() { # figures_ok DIR STDOUT FMT...
  local dir=$1 out=$2; shift 2
  local names n=0 bad=0 f fmt
  names=$(awk '$1 ~ /^fig[0-9]/ && $2 ~ /\.csv:$/ { print $1 }' "$out")
  for f in $names; do
    n=$((n + 1))
    [ -s "$dir/data/$f.dat" ] && [ -s "$dir/data/$f.gp" ] || { echo "no data for $f"; bad=1; }
    for fmt in "$@"; do
      case $fmt in
        pdf) head -c 5 "$dir/$f.pdf" 2>/dev/null | grep -q '^%PDF-' || { echo "$f.pdf"; bad=1; } ;;
        png) [ "$(head -c 8 "$dir/$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "$f.png"; bad=1; } ;;
        svg) { head -n 1 "$dir/$f.svg" | grep -q '^<?xml' && grep -q '</svg>' "$dir/$f.svg" &&
               { ! command -v xmllint >/dev/null || xmllint --noout "$dir/$f.svg"; }; } 2>/dev/null || { echo "$f.svg"; bad=1; } ;;
        tex) { grep -q 'includegraphics' "$dir/tex/$f.tex" && head -c 5 "$dir/tex/$f.pdf" | grep -q '^%PDF-'; } 2>/dev/null || { echo "tex/$f"; bad=1; } ;;
      esac
    done
  done
  [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
}

# no file of an unasked format
only_formats() { # only_formats DIR EXT...
  local dir=$1 e; shift
  for e in pdf svg png; do
    case " $* " in *" $e "*) ;; *) [ -z "$(ls "$dir" | grep "\.$e\$")" ] || return 1 ;; esac
  done
}

# every allocator has one colour and one dash in every preamble
one_style_per_allocator() { # DIR...
  awk '
    FNR == 1 { delete col; delete dash }
    /^set style line [0-9]+ lc rgb/ && $4 < 100 { col[$4] = $7; dash[$4] = $9 }
    /^lbl\[[0-9]+\] = tex/ { i = substr($1, 5, length($1) - 5); name = $NF
      s = col[i] " " dash[i]
      if (name in style && style[name] != s) { print name ": " style[name] " and " s; bad++ }
      style[name] = s }
    END { exit bad > 0 || length(style) == 0 }' $(for d in "$@"; do ls "$d"/*.gp; done)
}

# ---- a small real run -------------------------------------------------------
mkdir -p "$TMP/runs"
"$HL" run --env host --clock tsc --out "$TMP/runs" --allocators slab,bump,glibc,bitmap-fast,buddy \
  --workloads churn-fixed,lifo,frames-churn --ops 400 --reps 3 --sweep churn-fixed:live=4,16,64 \
  >"$TMP/run.out" 2>"$TMP/run.err"
check "the run exits 0" [ $? -eq 0 ]
RUN=$(run_dir "$TMP/runs")

"$HL" plot "$RUN" >"$TMP/p1.out" 2>"$TMP/p1.err"
check "plot exits 0" [ $? -eq 0 ]
check "plot says nothing on stderr" [ ! -s "$TMP/p1.err" ]
F="$RUN/figures"
check "figures in RUN/figures, pdf svg png" figures_ok "$F" "$TMP/p1.out" pdf svg png
for f in fig1a-cost-cycles-heap fig1a-cost-cycles-frame fig2-latency-churn-fixed \
         fig2-latency-lifo fig2-latency-frames-churn fig3-space-churn-fixed \
         fig3-space-lifo fig3-space-frames-churn fig6-frag-heap fig6-frag-frame; do
  check "real run: $f.pdf" [ -s "$F/$f.pdf" ]
done
check "real run: fig4 from the sweep" [ -s "$F/fig4-sweep-churn-fixed-live.png" ]
# fig7a divides by glibc (no jemalloc in the run).  A ratio needs the
# baseline's net cost > 0 in every bootstrap resample: with 400 ops on a
# loaded machine glibc's can be as cheap as the harness floor, and then
# the figure is skipped with that reason (the fixture below always draws
# one).
if grep -q '^  fig7a-ratio-cycles-heap ' "$TMP/p1.out"; then
  check "real run: fig7a ratios to glibc (no jemalloc in the run)" \
    grep -q '^  fig7a-ratio-cycles-heap .*baseline glibc' "$TMP/p1.out"
  check "real run: fig7a drawn" [ -s "$F/fig7a-ratio-cycles-heap.pdf" ]
else
  check "real run: fig7a skipped, and why (glibc's net cost not positive)" \
    grep -q '^  fig7-ratio .*skipped: no ratio to the baseline glibc is defined: its net cost' "$TMP/p1.out"
  check "real run: no fig7a file" [ ! -e "$F/fig7a-ratio-cycles-heap.pdf" ]
fi
check "real run: the sweep's cells are not in figure 1" bash -c '! grep -q "live=4\b" "$1"' _ "$F/data/fig1a-cost-cycles-heap.gp"
check "real run: fig5 skipped, said so" grep -q '^  fig5-sweep .*skipped: no sweep of a frame workload' "$TMP/p1.out"
check "real run (tsc only): fig1b skipped, said so" grep -q '^  fig1b-cost-instructions .*skipped' "$TMP/p1.out"
check "real run (tsc only): fig1c skipped, said so" grep -q '^  fig1c-cost-modelled .*skipped: no summary.csv rows with clock=modelled' "$TMP/p1.out"
check "real run (tsc only): fig1d skipped, said so" grep -q '^  fig1d-misses .*skipped: no cells.csv rows with clock=modelled' "$TMP/p1.out"
check "real run (tsc only): no -modelled sweep figure" bash -c '! ls "$1" | grep -q modelled' _ "$F"
check "one style per allocator (real run)" one_style_per_allocator "$F/data"

# a relative run folder (gnuplot runs inside the output folder)
(cd "$(dirname "$RUN")" && "$HL" plot "$(basename "$RUN")" --out rel-figures --format png >"$TMP/rel.out" 2>&1)
check "a relative RUN and --out: exit 0" [ $? -eq 0 ]
check "a relative RUN and --out: figures drawn" [ -s "$(dirname "$RUN")/rel-figures/fig1a-cost-cycles-heap.png" ]

# the same bytes again, in the same folder and in another
cp -r "$F" "$TMP/first"
sleep 1 # a second later: a clock in the files would show
"$HL" plot "$RUN" >"$TMP/p2.out" 2>&1
check "plot again exits 0" [ $? -eq 0 ]
check "plot again: byte-identical files" diff -r "$TMP/first" "$F"
"$HL" plot "$RUN" --out "$TMP/elsewhere" >/dev/null 2>&1
check "plot --out elsewhere: the same bytes" diff -r "$TMP/first" "$TMP/elsewhere"
d=$(awk -F, '$1 == "date" { print $2 }' "$RUN/meta.csv")
want=$(TZ=UTC date -d "$d" +%Y%m%d%H%M%S 2>/dev/null)
check "PDF CreationDate is the run's date ($want)" grep -aq "/CreationDate (D:${want}Z)" "$F/fig1a-cost-cycles-heap.pdf"
SOURCE_DATE_EPOCH=86400 "$HL" plot "$RUN" --out "$TMP/sde" --format pdf >/dev/null 2>&1
check "SOURCE_DATE_EPOCH sets the CreationDate" grep -aq '/CreationDate (D:19700102000000Z)' "$TMP/sde/fig1a-cost-cycles-heap.pdf"
check "--format pdf: only PDFs" only_formats "$TMP/sde" pdf
"$HL" plot "$RUN" --out "$TMP/pngonly" --format png >/dev/null 2>&1
check "--format png: only PNGs" only_formats "$TMP/pngonly" png
check "--format png: the same PNG bytes" cmp "$TMP/first/fig1a-cost-cycles-heap.png" "$TMP/pngonly/fig1a-cost-cycles-heap.png"

# ---- the fixture (SYNTHETIC: invented numbers) -----------------------------
mkdir -p "$TMP/fx" "$TMP/fxold"
bash "$FIXTURE" "$TMP/fx" && bash "$FIXTURE" "$TMP/fxold" old
check "the fixture is labelled as one" grep -q '^note,"SYNTHETIC FIXTURE' "$TMP/fx/fixture-plot/meta.csv"
FX="$TMP/fx/fixture-plot"
"$HL" plot "$FX" --format pdf,svg,png,tex >"$TMP/fx.out" 2>"$TMP/fx.err"
check "fixture: plot exits 0" [ $? -eq 0 ]
check "fixture: nothing on stderr" [ ! -s "$TMP/fx.err" ]
check "fixture: every figure in pdf svg png tex" figures_ok "$FX/figures" "$TMP/fx.out" pdf svg png tex
for f in fig1b-cost-instructions-heap fig1b-cost-instructions-frame \
         fig4-sweep-churn-fixed-live fig5-sweep-frames-churn-occupancy; do
  check "fixture: $f" nonempty "$FX/figures/$f.pdf" "$FX/figures/tex/$f.tex"
done
check "fixture: nothing skipped" bash -c '! grep -q skipped "$1"' _ "$TMP/fx.out"
# the modelled clock (figures 1c, 1d, 7c, 4 -modelled): host and kernel
# rows, the numbers of summary.csv and cells.csv in the .dat files
D="$FX/figures/data"
for f in fig1c-cost-modelled-heap fig1c-cost-modelled-frame fig1d-misses-heap fig1d-misses-frame \
         fig4-sweep-churn-fixed-live-modelled fig7c-ratio-modelled-heap; do
  check "fixture: $f" nonempty "$FX/figures/$f.pdf" "$FX/figures/tex/$f.tex"
done
for fam in heap frame; do
  summary_medians "$FX" modelled $fam "" >"$TMP/want"
  dat_values "$D/fig1c-cost-modelled-$fam.dat" 1,2,3 5 >"$TMP/got"
  check "fixture: fig1c $fam holds summary.csv's modelled medians, host and qemu ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
    same_values "$TMP/want" "$TMP/got"
  check "fixture: fig1c $fam has host and qemu series" \
    bash -c 'grep -q "^# series .* host$" "$1" && grep -q "^# series .* qemu$" "$1"' _ "$D/fig1c-cost-modelled-$fam.dat"
  check "fixture: fig1c $fam's axis names the model" grep -q '^xlabel = .*"modelled cycles per op (skylake-client)"$' "$D/fig1c-cost-modelled-$fam.gp"
  check "fixture: fig1c $fam's key says which env is which" grep -q '"host: modelled"' "$D/fig1c-cost-modelled-$fam.gp"
  cells_misses "$FX" $fam l1d_misses_per_op >"$TMP/want"
  dat_values "$D/fig1d-misses-$fam.dat" 1,2,3 5 >"$TMP/got"
  check "fixture: fig1d $fam's L1d panel holds cells.csv's l1d_misses_per_op ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
    same_values "$TMP/want" "$TMP/got"
  cells_misses "$FX" $fam llc_misses_per_op >"$TMP/want"
  dat_values "$D/fig1d-misses-$fam.dat" 1,2,3 8 >"$TMP/got"
  check "fixture: fig1d $fam's LLC panel holds cells.csv's llc_misses_per_op ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
    same_values "$TMP/want" "$TMP/got"
done
summary_medians "$FX" modelled heap live live >"$TMP/want"
dat_values "$D/fig4-sweep-churn-fixed-live-modelled.dat" 1,2,4 5 >"$TMP/got"
check "fixture: fig4 -modelled holds the modelled sweep's medians ($(same_values "$TMP/want" "$TMP/got" | head -n 3))" \
  same_values "$TMP/want" "$TMP/got"
summary_medians "$FX" tsc heap live live >"$TMP/want"
dat_values "$D/fig4-sweep-churn-fixed-live.dat" 1,2,4 5 >"$TMP/got"
check "fixture: fig4 (TSC) holds the TSC sweep's medians only" same_values "$TMP/want" "$TMP/got"
check "fixture: fig4 -modelled's axis names the model" grep -q '^ylabel = .*"modelled cycles per op (skylake-client)"$' "$D/fig4-sweep-churn-fixed-live-modelled.gp"
check "fixture: fig7c divides by jemalloc" grep -q '^  fig7c-ratio-modelled-heap .*baseline jemalloc' "$TMP/fx.out"
check "fixture: modelled rows are not 'another clock'" bash -c '! grep -q "another clock" "$1"' _ "$TMP/fx.out"
check "fixture: host against qemu in one unit" grep -q 'qemu: icount' "$FX/figures/data/fig1b-cost-instructions-heap.gp"
check "fixture: the crashed cell is noted" grep -q 'no figures (n = 0)' "$TMP/fx.out"
check "fixture: my_alloc escaped for TeX" grep -q 'my\\_alloc' "$FX/figures/tex/fig1a-cost-cycles-heap.tex"
check "fixture: 95% escaped for TeX" grep -q '95\\% CI' "$FX/figures/tex/fig1a-cost-cycles-heap.tex"
check "fixture: one style per allocator" one_style_per_allocator "$FX/figures/data" "$F/data"
check "fixture: fig7a ratios to jemalloc, in tex too" \
  nonempty "$FX/figures/fig7a-ratio-cycles-heap.pdf" "$FX/figures/tex/fig7a-ratio-cycles-heap.tex"
check "fixture: fig7a's title names the baseline" grep -q '^title = .*/ jemalloc: ratio, 95' "$FX/figures/data/fig7a-ratio-cycles-heap.gp"
check "fixture: fig7a has no jemalloc series" bash -c '! grep -q "^# series .*: jemalloc " "$1"' _ "$FX/figures/data/fig7a-ratio-cycles-heap.dat"
"$HL" plot "$FX" --format png --baseline glibc --out "$TMP/fxglibc" >"$TMP/fxg.out" 2>&1
check "fixture: --baseline glibc" grep -q '^  fig7a-ratio-cycles-heap .*baseline glibc' "$TMP/fxg.out"
check "fixture: --baseline glibc, jemalloc is a series" grep -q "^# series .*: jemalloc " "$TMP/fxglibc/data/fig7a-ratio-cycles-heap.dat"
cp -r "$FX/figures" "$TMP/fxfirst"
"$HL" plot "$FX" --format pdf,svg,png,tex >/dev/null 2>&1
check "fixture: plot again, byte-identical (tex too)" diff -r "$TMP/fxfirst" "$FX/figures"
check "fixture: CreationDate from meta.csv's date (+0100)" grep -aq '/CreationDate (D:20260102020405Z)' "$FX/figures/fig1a-cost-cycles-heap.pdf"

# a baseline whose net cost is not positive (as cheap as the harness
# floor): no ratio is defined, fig7 is skipped with that reason
cp -r "$FX" "$TMP/fxneg"
rm -rf "$TMP/fxneg/figures"
col=$(csv_col "$FX/cells.csv" cycles_per_op) acol=$(csv_col "$FX/cells.csv" allocator)
awk "$AWK_CSV"'NR == 1 { print; next } { split_csv($0); if (f[a] == "jemalloc") f[c] = "-0.5"
    line = ""; for (i = 1; i <= nf; i++) line = line (i > 1 ? "," : "") (f[i] ~ /,/ ? "\"" f[i] "\"" : f[i]); print line }' \
  a="$acol" c="$col" "$FX/cells.csv" >"$TMP/fxneg/cells.csv"
"$HL" plot "$TMP/fxneg" --format png >"$TMP/fxneg.out" 2>"$TMP/fxneg.err"
check "fixture, baseline at the floor: plot exits 0" [ $? -eq 0 ]
check "fixture, baseline at the floor: fig7 skipped, and why" \
  grep -q '^  fig7-ratio .*skipped: no ratio to the baseline jemalloc is defined: its net cost per op is not positive' "$TMP/fxneg.out"
check "fixture, baseline at the floor: no fig7a" [ ! -e "$TMP/fxneg/figures/fig7a-ratio-cycles-heap.png" ]

# every cost below the harness floor (as a loaded machine can give the
# TSC cells of a cheap allocator, net of the floor): figures 1, 4 and 5
# are drawn on a linear axis that reaches below 0, not refused by gnuplot
# ("x range is invalid")
cp -r "$FX" "$TMP/fxbelow"
rm -rf "$TMP/fxbelow/figures"
m=$(csv_col "$FX/summary.csv" cycles_per_op_median)
awk "$AWK_CSV"'NR == 1 { print; next } { split_csv($0)
    for (i = m; i <= m + 2; i++) if (f[i] != "") f[i] = sprintf("%.3f", -1 - f[i])
    t = f[m + 1]; f[m + 1] = f[m + 2]; f[m + 2] = t   # -1 - hi is the new lo
    line = ""; for (i = 1; i <= nf; i++) line = line (i > 1 ? "," : "") (f[i] ~ /,/ ? "\"" f[i] "\"" : f[i]); print line }' \
  m="$m" "$FX/summary.csv" >"$TMP/fxbelow/summary.csv"
"$HL" plot "$TMP/fxbelow" --format png >"$TMP/fxbelow.out" 2>"$TMP/fxbelow.err"
check_exit $? "fixture, every cost below the floor: plot exits 0 ($(head -c 200 "$TMP/fxbelow.err"))"
for f in fig1a-cost-cycles-heap fig1a-cost-cycles-frame fig4-sweep-churn-fixed-live fig5-sweep-frames-churn-occupancy; do
  check "fixture, every cost below the floor: $f drawn" [ -s "$TMP/fxbelow/figures/$f.png" ]
done
check "fixture, every cost below the floor: fig1a on a linear axis" \
  grep -qx 'logx = 0' "$TMP/fxbelow/figures/data/fig1a-cost-cycles-heap.gp"
check "fixture, every cost below the floor: fig1a's medians are negative" \
  bash -c '[ "$(awk "!/^#/ && NF >= 2 && \$2 >= 0" "$1" | wc -l)" -eq 0 ] && grep -q "^[0-9.]* -" "$1"' _ "$TMP/fxbelow/figures/data/fig1a-cost-cycles-heap.dat"

"$HL" plot "$TMP/fxold/fixture-plot" >"$TMP/fxold.out" 2>"$TMP/fxold.err"
check "old schema (no accel/clock/sweep): plot exits 0" [ $? -eq 0 ]
check "old schema: nothing on stderr" [ ! -s "$TMP/fxold.err" ]
check "old schema: figures" figures_ok "$TMP/fxold/fixture-plot/figures" "$TMP/fxold.out" pdf svg png
check "old schema: fig1b skipped, said so" grep -q '^  fig1b-cost-instructions .*skipped' "$TMP/fxold.out"
check "old schema: fig4 and fig5 from meta.csv's sweep rows" \
  [ -s "$TMP/fxold/fixture-plot/figures/fig4-sweep-churn-fixed-live.png" ] && \
  [ -s "$TMP/fxold/fixture-plot/figures/fig5-sweep-frames-churn-occupancy.png" ]
check "old schema: swept cells labelled by their value" grep -q '"churn-fixed live=64"' "$TMP/fxold/fixture-plot/figures/data/fig1a-cost-cycles-heap.gp"

# ---- help ----------------------------------------------------------------------
check "heaplab --help lists plot" bash -c '"$1" --help | grep -q "^  plot RUN"' _ "$HL"
"$HL" plot --help >"$TMP/help" 2>&1
check "plot --help exits 0" [ $? -eq 0 ]
check "plot --help shows usage" grep -q '^usage: heaplab plot RUN' "$TMP/help"
check "plot --help says the exit statuses" grep -q 'Exit 0 when' "$TMP/help"
finish
