# plots/asweep.gp — figures 4 and 5 for an allocator's sweep (`heaplab run
# --sweep A:K=...`): three stacked panels against the allocator's
# parameter K: cost per op (summary.csv median, 95% CI), p99 (summary.csv
# p99_median) and peak footprint (cells.csv peak_footprint_bytes, median
# over reps, KiB).  One series per workload in each env (host filled,
# qemu open points).
# Preamble: data (index s-1: K, median, ci_lo, ci_hi, p99, footprint_kib),
# nseries, lbl[], keyed[], nenv, envlbl[], envpt[], logx, logy, logstepx,
# kmin, kmax, title, xlabel, ylabel, ylabel2, ylabel3, and the key's
# keycols, key_in, title_in.

set multiplot
unset key
# the same margins for the three panels, so their x axes line up
set lmargin 9
set rmargin 2
if (logx) {
    set logscale x
    set format x logfmt
    # from the decade below the range: gnuplot's own start, with an
    # explicit range less than two decades wide, is not a power of ten
    set xtics 10 ** floor(log10(kmin / 1.4)), logstepx
    set xrange [kmin / 1.4 : kmax * 1.4]
} else {
    pad = (kmax > kmin ? kmax - kmin : 1) * 0.05
    set xrange [kmin - pad : kmax + pad]
}
# three panels share the height below the key; the x label on the last
panel = (plottop - 0.02) / 3.0
gap = 0.35 / height_in

# 1: cost per op
set tmargin at screen plottop
set bmargin at screen plottop - panel + gap
set format x ""
unset xlabel
set ylabel ylabel
if (logy) {
    set logscale y
    set format y logfmt
} else {
    set yrange [* < 0 : 0 < *]  # from 0, or below it (a cost net of the floor)
}
plot for [i = 1 : nseries] data index i - 1 using 1:2 with lines ls i, \
     for [i = 1 : nseries] data index i - 1 using 1:($3 == $3 ? $2 : NaN):3:4 \
         with yerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 1:2 with points ls 100 + i

# 2: p99
unset logscale y
set format y "%g"
set yrange [0 : *]
set tmargin at screen plottop - panel
set bmargin at screen plottop - 2 * panel + gap
set ylabel ylabel2
plot for [i = 1 : nseries] data index i - 1 using 1:5 with linespoints ls i

# 3: peak footprint
set tmargin at screen plottop - 2 * panel
set bmargin at screen plottop - 3 * panel + gap
if (logx) { set format x logfmt } else { set format x "%g" }
set xlabel xlabel
set ylabel ylabel3
plot for [i = 1 : nseries] data index i - 1 using 1:6 with linespoints ls i

keywith = "linespoints"
keyls = 0
load plotsdir."/key.gp"
unset multiplot
