# plots/sweep.gp — figures 4 and 5: cost per op against the parameter a
# `heaplab run --sweep W:K=...` varied (summary.csv medians, 95% CI).
# fig4: heap workloads (e.g. churn-fixed against live, log-log: first
# fit grows linearly, the others stay flat); fig5: frame workloads (e.g.
# frames-churn against occupancy in %, linear x).
# Preamble: data (index s-1: K, median, ci_lo, ci_hi), nseries, lbl[],
# keyed[], nenv, envlbl[], envpt[], logx, logy, logstepx, logstepy, kmin,
# kmax, title, xlabel, ylabel, and the key's keycols, key_in, title_in.

set multiplot
set tmargin at screen plottop
unset key
set xlabel xlabel
set ylabel ylabel
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
if (logy) {
    set logscale y
    set format y logfmt
    set ytics logstepy
} else {
    set yrange [* < 0 : 0 < *]  # from 0, or below it (a cost net of the floor)
}

plot for [i = 1 : nseries] data index i - 1 using 1:2 with lines ls i, \
     for [i = 1 : nseries] data index i - 1 using 1:($3 == $3 ? $2 : NaN):3:4 \
         with yerrorbars ls 100 + i pt -1, \
     for [i = 1 : nseries] data index i - 1 using 1:2 with points ls 100 + i

keywith = "linespoints"
keyls = 0
load plotsdir."/key.gp"
unset multiplot
