# plots/ratio.gp — figure 7: each allocator's cost per op relative to a
# baseline allocator (jemalloc, else glibc, else the first; or plot
# --baseline) for each workload, a dot plot like figure 1: one row of
# points per workload, one point per series (allocator, env): the ratio
# median over launches / the baseline's over the rounds both ran in, the
# bar its 95% CI from a bootstrap over those rounds (as heaplab compare
# --baseline; no bar for a zero-width CI).  The dashed line at 1 is the
# baseline: left of it faster, right of it slower.  Log axis: 2x faster
# and 2x slower lie equally far from 1.  fig7a: TSC cycles; fig7b:
# instructions.
# Preamble: data (index s-1: y = category + dodge, ratio, ci_lo, ci_hi),
# nseries, lbl[], keyed[], nenv, envlbl[], envpt[], ncat, catlbl[], xmin,
# xmax, xtics_spec (a gnuplot tic list "(0.25, 0.5, 1, 2)"), title, xlabel, and the key's layout; styles i (line) and 100+i
# (solid).

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
set logscale x
set xrange [xmin : xmax]
set format x "%g"
eval "set xtics " . xtics_spec
set arrow from first 1, graph 0 to first 1, graph 1 nohead back \
    lw LW lc rgb "#000000" dt 2

plot for [i = 1 : nseries] data index i - 1 using ($3 == $3 ? $2 : NaN):1:3:4 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 2:1 with points ls 100 + i

keywith = "xerrorbars"
keyls = 100
load plotsdir."/key.gp"
unset multiplot
