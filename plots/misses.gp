# plots/misses.gp — figure 1d: cache misses per op of the modelled clock
# (cells.csv, clock=modelled rows), beside figure 1c: L1d misses (left)
# and LLC misses (right) per op, net of the harness floor, one row of
# points per workload, one point per series (allocator, env): the median
# over the reps, the bar their range (none when every rep gave the same
# value, as the model's counts do).
# Preamble: data (index s-1: y, L1d median/min/max, LLC median/min/max),
# nseries, lbl[], keyed[], nenv, envlbl[], envpt[], ncat, catlbl[],
# catw_in, per panel p = 1 (L1d), 2 (LLC): logxp, logstepp, xminp, xmaxp,
# linstepp, xlabelp; title, and the key's keycols, key_in, title_in.

set multiplot
unset key
set tmargin at screen plottop
set bmargin 3.6
set yrange [ncat - 0.5 : -0.5]
unset grid
set grid xtics lw 0.5 lc rgb GRID back
do for [i = 1 : ncat - 1] {
    set arrow from graph 0, first i - 0.5 to graph 1, first i - 0.5 \
        nohead back lw 0.5 lc rgb GRID
}
# left panel (after the workload names) and right panel, equal widths
left = (catw_in + 0.15) / width_in
right = 0.96
gap = 0.09
split = left + (right - left + gap) / 2.0

# panel p's x axis: log (autoscaled to decades) or linear on its range
xaxis(p) = p == 1 ? xaxis_(logx1, logstep1, xmin1, xmax1, linstep1) \
                  : xaxis_(logx2, logstep2, xmin2, xmax2, linstep2)
xaxis_(lg, step, lo, hi, lin) = lg ? \
    sprintf("set logscale x; set format x logfmt; set xtics %d; set autoscale x", step) : \
    sprintf("unset logscale x; set format x \"%% h\"; set xtics %.10g; set xrange [%.10g : %.10g]", lin, lo, hi)

set lmargin at screen left
set rmargin at screen split - gap
set ytics () scale 0
do for [i = 1 : ncat] {
    set ytics add (catlbl[i] i - 1)
}
eval xaxis(1)
set xlabel xlabel1
plot for [i = 1 : nseries] data index i - 1 using ($3 == $3 ? $2 : NaN):1:3:4 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 2:1 with points ls 100 + i

set lmargin at screen split
set rmargin at screen right
set ytics () scale 0
do for [i = 1 : ncat] {
    set ytics add ("" i - 1)
}
eval xaxis(2)
set xlabel xlabel2
plot for [i = 1 : nseries] data index i - 1 using ($6 == $6 ? $5 : NaN):1:6:7 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 5:1 with points ls 100 + i

keywith = "xerrorbars"
keyls = 100
load plotsdir."/key.gp"
unset multiplot
