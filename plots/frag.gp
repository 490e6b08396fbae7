# plots/frag.gp — figure 6: fragmentation by allocator and workload
# (cells.csv) at the peak-footprint sample, in percent: internal (left)
# and external (right) side by side, one row of points per workload, one
# point per series (allocator, env): the median over the reps, the bar
# their range (min to max; none when every rep gave the same value).
# Preamble: data (index s-1: y, internal median/min/max, external
# median/min/max), nseries, lbl[], keyed[], nenv, envlbl[], envpt[], ncat,
# catlbl[], title, and the key's keycols, key_in, title_in.

set multiplot
unset key
set tmargin at screen plottop
set bmargin 3.6
set yrange [ncat - 0.5 : -0.5]
set xrange [-5 : 105]
set xtics 0, 25, 100
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
set lmargin at screen left
set rmargin at screen split - gap
set xtics 0, 50, 100
set mxtics 2
set ytics () scale 0
do for [i = 1 : ncat] {
    set ytics add (catlbl[i] i - 1)
}
set xlabel "internal (".pct.")"
plot for [i = 1 : nseries] data index i - 1 using ($3 == $3 ? $2 : NaN):1:3:4 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 2:1 with points ls 100 + i

set lmargin at screen split
set rmargin at screen right
set ytics () scale 0
do for [i = 1 : ncat] {
    set ytics add ("" i - 1)
}
set xlabel "external (".pct.")"
plot for [i = 1 : nseries] data index i - 1 using ($6 == $6 ? $5 : NaN):1:6:7 \
         with xerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 5:1 with points ls 100 + i

keywith = "xerrorbars"
keyls = 100
load plotsdir."/key.gp"
unset multiplot
