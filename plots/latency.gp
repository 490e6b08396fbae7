# plots/latency.gp — figure 2: latency CDF of one workload, one line per
# series (allocator, env): the fraction of calls at or below x, from
# latency.csv's log-linear histogram with every rep pooled.  Marks at the
# p50, p90 and p99 crossings (the title says so).  Log x.
# Preamble: data (index 2s-2: curve of series s, 2s-1: its marks),
# nseries, lbl[], keyed[], nenv, envlbl[], envpt[], title, xlabel,
# logstep, and the key's keycols, key_in, title_in.

set multiplot
set tmargin at screen plottop
unset key
set xlabel xlabel
set ylabel "fraction of calls"
set logscale x
set format x logfmt
set xtics logstep
set grid xtics
set yrange [0 : 1.02]
set ytics 0, 0.25, 1

plot for [i = 1 : nseries] data index 2 * i - 2 using 1:2 \
         with lines ls i, \
     for [i = 1 : nseries] data index 2 * i - 1 using 1:2 \
         with points ls 100 + i

keywith = "linespoints"
keyls = 0
load plotsdir."/key.gp"
unset multiplot
