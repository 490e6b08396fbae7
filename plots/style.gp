# plots/style.gp — the look every heaplab figure shares: fonts, line
# widths, tic formats.  `heaplab plot` runs, in one gnuplot session:
#
#   gnuplot -e 'fmt = "pdf"; out = "NAME.pdf"; datadir = "data"' \
#       plots/style.gp OUT/data/NAME.gp plots/terminal.gp plots/FIGURE.gp
#
# fmt is pdf, svg, png or tex (cairolatex); OUT/data/NAME.gp is generated
# (series styles and labels, categories, units) and uses LW, PS and tex.
# Nothing here depends on the data.

tex = (fmt eq "tex")

FONT = "DejaVu Sans"  # any sans-serif fontconfig finds; tex: the document's
FONTPT = 8            # points, at the figure's real size (3.3 in: one column)
LW = 1.6              # series lines: 0.8 pt (lw 1 is 0.5 pt)
PS = 0.55             # point size
GRID = "#dddddd"      # grid and category separators
LIVE = "#999999"      # the live-bytes line (grey is no allocator's colour)

# log axes: 1, 10, 100, 1k, 10k ... (tex: 10^n)
logfmt = tex ? "$10^{%L}$" : "%.0s%c"
pct = tex ? "\\%" : "%"

# Extra key entries a figure may add (plots/key.gp draws them after the
# series): nextra lines of colour extrac[k], width extralw[k], dash
# extradt[k], titled extralbl[k].
nextra = 0
array extralbl[2] = ["", ""]
array extrac[2] = ["#000000", "#000000"]
array extralw[2] = [1, 1]
array extradt[2] = [1, 1]
