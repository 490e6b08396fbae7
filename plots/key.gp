# plots/key.gp — a figure's title and key, across the whole width above
# its plot, laid out here (not by gnuplot's `set key`, whose column
# choice cannot be relied on at this size): every allocator once, any
# extra entries (plots/style.gp), and, when the figure has another env
# than host, what filled and open points mean.  Loaded last, inside
# the figure's multiplot, with
#   keywith  how a series' sample is drawn: "points", "linespoints",
#            "xerrorbars"
#   keyls    0: the series' dashed styles i, 100: their solid twins 100+i
# and the preamble's nseries, lbl[], keyed[], nenv, envlbl[], envpt[],
# keycols, keycolw_in, key_in, title, title_in.

unset border
unset tics
unset grid
unset arrow
unset label
unset xlabel
unset ylabel
unset title
unset logscale
unset key
set lmargin at screen 0.0
set rmargin at screen 1.0
set tmargin at screen 1.0 - title_in / height_in
set bmargin at screen keybot
set xrange [0 : 1]
set yrange [0 : 1]
set clip points
if (title_in > 0) {
    set label 1 title at screen 0.5, screen 1.0 - 0.5 * title_in / height_in \
        center front
}

# two groups of rows: the series and extra entries (keyrows rows of
# keycols columns, keycolw_in wide), then the env legend (envrows of
# envcols, envcolw_in); each group centred
nkeyed = 0
do for [i = 1 : nseries] {
    nkeyed = nkeyed + keyed[i]
}
allrows = keyrows + envrows > 0 ? keyrows + envrows : 1
samplew = 0.24 / width_in
textdx = 0.05 / width_in
# entry e (0-based) of a group of cols columns w inches wide, first row r0:
# where its sample starts, and its row's centre
gx(e, cols, w) = (1.0 - cols * w / width_in) / 2.0 + 0.06 / width_in \
    + (e % cols) * w / width_in
gy(e, cols, r0) = 1.0 - (r0 + int(e / cols) + 0.5) / allrows

array px[nkeyed + nenv + 1]
array py[nkeyed + nenv + 1]
array pls[nkeyed + nenv + 1]
e = 0
do for [i = 1 : nseries] {
    if (keyed[i]) {
        x0 = gx(e, keycols, keycolw_in)
        y0 = gy(e, keycols, 0)
        if (keywith ne "points") {
            set arrow 100 + e from first x0, first y0 \
                to first x0 + samplew, first y0 nohead ls keyls + i
        }
        set label 100 + e lbl[i] at first x0 + samplew + textdx, first y0 left
        px[e + 1] = x0 + samplew / 2
        py[e + 1] = y0
        pls[e + 1] = 100 + i
        e = e + 1
    }
}
do for [k = 1 : nextra] {
    x0 = gx(e, keycols, keycolw_in)
    y0 = gy(e, keycols, 0)
    set arrow 100 + e from first x0, first y0 to first x0 + samplew, first y0 \
        nohead lc rgb extrac[k] lw extralw[k] dt extradt[k]
    set label 100 + e extralbl[k] at first x0 + samplew + textdx, first y0 left
    e = e + 1
}
do for [j = 1 : nenv] {
    x0 = gx(j - 1, envcols, envcolw_in)
    y0 = gy(j - 1, envcols, keyrows)
    set label 200 + j envlbl[j] at first x0 + samplew + textdx, first y0 left
    px[nkeyed + j] = x0 + samplew / 2
    py[nkeyed + j] = y0
}
# the points of the samples (series, then env legend); `2` keeps the
# plot command valid when there are none
plot for [q = 1 : nkeyed] '+' using (px[q]):(py[q]) every ::0::0 \
         with points ls pls[q], \
     for [q = 1 : (keywith eq "xerrorbars" ? nkeyed : 0)] '+' \
         using (px[q]):(py[q]):(px[q] - samplew / 2):(px[q] + samplew / 2) \
         every ::0::0 with xerrorbars ls pls[q] pt -1, \
     for [j = 1 : nenv] '+' using (px[nkeyed + j]):(py[nkeyed + j]) \
         every ::0::0 with points pt envpt[j] lc rgb "#000000" ps PS, \
     2 with lines lc rgb "#ffffff"
