# plots/space.gp — figure 3: live bytes and footprint over time for one
# workload (timeline.csv, rep 0): one line per series (allocator, env) for
# held_bytes (the footprint), and the live (requested) bytes in grey —
# one line when every allocator saw the same live bytes, else one thin
# dotted line per series.
# Preamble: data (index s-1: op_index, live_bytes, held_bytes), nseries,
# lbl[], keyed[], nenv, envlbl[], envpt[], live_same, yscale, pi_[] (a
# mark every pi_[i] samples), title, ylabel, and the key's keycols,
# keycolw_in, key_in, title_in.

set multiplot
set tmargin at screen plottop
unset key
set xlabel "operations executed"
set ylabel ylabel
set format x "%.0s%c"
set yrange [0 : *]
nextra = 1
extralbl[1] = live_same ? "live (requested)" : "live (requested), dotted"
extrac[1] = live_same ? LIVE : "#000000"
extralw[1] = live_same ? 3 : 0.8
extradt[1] = live_same ? 1 : 3

# marks every pi_[i] samples, staggered between series so that lines on
# top of each other still show each mark
mark0(i) = int((i - 1) * pi_[i] / nseries)

if (live_same) {
    plot data index 0 using 1:($2 / yscale) with lines lw 3 lc rgb LIVE, \
         for [i = 1 : nseries] data index i - 1 using 1:($3 / yscale) \
             with lines ls i, \
         for [i = 1 : nseries] data index i - 1 using 1:($3 / yscale) \
             every pi_[i]::mark0(i) with points ls 100 + i
} else {
    plot for [i = 1 : nseries] data index i - 1 using 1:($2 / yscale) \
             with lines ls i dt 3 lw 0.8, \
         for [i = 1 : nseries] data index i - 1 using 1:($3 / yscale) \
             with lines ls i, \
         for [i = 1 : nseries] data index i - 1 using 1:($3 / yscale) \
             every pi_[i]::mark0(i) with points ls 100 + i
}

keywith = "linespoints"
keyls = 0
load plotsdir."/key.gp"
unset multiplot
