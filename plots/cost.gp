# plots/cost.gp — figure 1: cost per op by allocator for each workload, a
# dot plot: one row of points per workload, one point per series
# (allocator, env): the median over the reps, the bar its 95% confidence
# interval (summary.csv; no bar when n < 6: the CI columns are NaN).
# fig1a: TSC cycles (clock tsc); fig1b: instructions (host callgrind
# against QEMU icount).
# Preamble: data (index s-1: y = category + dodge, median, ci_lo, ci_hi),
# nseries, lbl[], keyed[], nenv, envlbl[], envpt[], ncat, catlbl[], logx,
# logstep, linstep, title, xlabel, and the key's layout; styles i (line)
# and 100+i (solid).

set multiplot
set tmargin at screen plottop
unset key
set xlabel xlabel
set yrange [ncat - 0.5 : -0.5]
set ytics () scale 0
do for [i = 1 : ncat] {
    set ytics add (catlbl[i] i - 1)
}
do for [i = 1 : ncat - 1] {
    set arrow from graph 0, first i - 0.5 to graph 1, first i - 0.5 \
        nohead back lw 0.5 lc rgb GRID
}
unset grid
set grid xtics lw 0.5 lc rgb GRID back
if (logx) {
    set logscale x
    set format x logfmt
    set xtics logstep
} else {
    set xrange [* < 0 : 0 < *]  # from 0, or below it: a median net of the floor may be negative
    set xtics linstep
}

plot for [i = 1 : nseries] data index i - 1 using ($3 == $3 ? $2 : NaN):1:3:4 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 2:1 with points ls 100 + i

keywith = "xerrorbars"
keyls = 100
load plotsdir."/key.gp"
unset multiplot
