# plots/terminal.gp — the terminal for fmt at the figure's size
# (width_in x height_in inches, from the generated preamble), and the
# settings every figure starts from.  See plots/style.gp.
#
# Units.  Pango lays text out at 96 dpi, and pdfcairo's default fontscale
# is 0.5: `font ",8" fontscale 0.75` is a true 8 pt in the PDF (measured
# with pdftotext -bbox).  pdfcairo's `lw 1` is 0.5 pt; the others are
# scaled to match, so every format is the PDF's twin:
# pdf  pdfcairo at the real size: 8 pt text at 3.3 in is one column.
# svg  1 SVG unit = 1 pt (svg writes font sizes in units: 8 pt).
# png  pngcairo at 300 dpi: text by 300/96 (pango), lines and points by
#      300/72 (lines halved, as in the PDF).
# tex  cairolatex pdf+tex: OUT/tex/NAME.tex (\input it; the text is set by
#      LaTeX in the document's font, the layout assumes 8 pt) and
#      OUT/tex/NAME.pdf (the drawing).

DPI = 300.0
if (fmt ne "pdf" && fmt ne "svg" && fmt ne "png" && fmt ne "tex") {
    print "plots/terminal.gp: unknown fmt '".fmt."'"
    exit status 1
}
if (fmt eq "pdf") {
    set terminal pdfcairo noenhanced color rounded \
        size width_in, height_in font FONT.",".FONTPT fontscale 0.75 \
        linewidth 1
}
if (fmt eq "svg") {
    set terminal svg noenhanced fixed rounded background "#ffffff" \
        size width_in * 72, height_in * 72 font FONT.",".FONTPT \
        linewidth 0.5
}
if (fmt eq "png") {
    set terminal pngcairo noenhanced color rounded background "#ffffff" \
        size int(width_in * DPI), int(height_in * DPI) \
        font FONT.",".FONTPT fontscale DPI / 96 linewidth DPI / 72 / 2 \
        pointscale DPI / 72
}
if (fmt eq "tex") {
    set terminal cairolatex pdf input colortext rounded \
        size width_in, height_in font ",".FONTPT fontscale 0.75 linewidth 1
}
set output out

set border 3 lw 0.8
set tics out nomirror scale 0.6
set grid ytics lw 0.5 lc rgb GRID back
set key noautotitle samplen 2 spacing 1.1
set errorbars 0.6
set style data lines

# The key strip: every figure's key spans the page above its plot (title
# on top), in keycols columns; plots/key.gp draws it, the plot ends at
# screen keybot.
keybot = 1.0 - (title_in + key_in) / height_in
# the plot's top: room for its top tic label under the key
plottop = keybot - 0.12 / height_in
