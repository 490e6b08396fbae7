# tests/cli/plot_data.sh — reading back what `heaplab plot` gave gnuplot
# (sourced by plot.sh and plot_modelled.sh): a figure's data/NAME.dat as
# keyed rows, and a comparison with the numbers the run's CSV files hold.

# dat_rows FILE: every data line of a figure's NAME.dat as
# "allocator|env|label|col1|col2|...": the series from its "# series N:
# ALLOC ENV" comment, the label from the line's "# label[, N reps]"
# comment (empty when the line has none, as in the sweep figures).
dat_rows() {
  awk '/^# series [0-9]+: / { a = $4; e = $5; next }
       /^#/ || NF == 0 { next }
       { lbl = ""; line = $0; at = index(line, " # ")
         if (at) { lbl = substr(line, at + 3); line = substr(line, 1, at - 1)
                   sub(/, [0-9]+ reps$/, "", lbl) }
         n = split(line, v, " "); out = a "|" e "|" lbl
         for (i = 1; i <= n; i++) out = out "|" v[i]
         print out }' "$1"
}

# same_values WANT GOT: files of "key|number" lines; every key of WANT
# once in GOT with the same number (to 1e-5 relative: the .dat files have
# six significant digits), no key of GOT missing from WANT, and WANT not
# empty.  Prints what differs.
same_values() {
  awk -F'|' 'NR == FNR { want[$1] = $2; n++; next }
    { if (!($1 in want)) { print "unexpected " $0; bad++; next }
      d = $2 - want[$1]; if (d < 0) d = -d
      m = want[$1] < 0 ? -want[$1] : want[$1]
      if (d > 1e-5 * (m > 1 ? m : 1)) { print $1 ": " $2 ", not " want[$1]; bad++ }
      seen[$1]++ }
    END { for (k in want) if (seen[k] != 1) { print k ": " seen[k] + 0 " times"; bad++ }
          exit bad > 0 || n == 0 }' "$1" "$2"
}

# summary_medians RUN CLOCK FAMILY SWEEP [K]: "allocator;env;X|median" of
# summary.csv's rows with figures of that clock, family and sweep column
# (empty: the suite), X the workload, or with K the value of parameter K.
summary_medians() {
  local f=$1/summary.csv
  awk "$AWK_CSV"'NR == 1 { split_csv($0); for (i = 1; i <= nf; i++) c[f[i]] = i; next }
    { split_csv($0)
      if (f[c["clock"]] != clock || f[c["family"]] != fam || f[c["sweep"]] != sweep || f[c["n"]] == 0) next
      x = f[c["workload"]]
      if (k != "") { np = split(f[c["params"]], p, ","); x = ""
        for (i = 1; i <= np; i++) if (index(p[i], k "=") == 1) x = substr(p[i], length(k) + 2) }
      print f[c["allocator"]] ";" f[c["env"]] ";" x "|" f[c["cycles_per_op_median"]] }' \
    clock="$2" fam="$3" sweep="$4" k="${5:-}" "$f"
}

# cells_misses RUN FAMILY COLUMN: "allocator;env;workload|value" of
# cells.csv's modelled suite rows with figures (one value per cell: the
# model repeats exactly, so every rep has it).
cells_misses() {
  awk "$AWK_CSV"'NR == 1 { split_csv($0); for (i = 1; i <= nf; i++) c[f[i]] = i; next }
    { split_csv($0)
      if (f[c["clock"]] != "modelled" || f[c["family"]] != fam || f[c["sweep"]] != "" ||
          (f[c["status"]] != "ok" && f[c["status"]] != "failed")) next
      key = f[c["allocator"]] ";" f[c["env"]] ";" f[c["workload"]]
      if (!(key in done)) print key "|" f[c[col]]
      done[key] = 1 }' fam="$2" col="$3" "$1/cells.csv"
}

# dat_values FILE KEYFIELDS VALUEFIELD: dat_rows re-keyed, "f1;f2;f3|v"
# (fields of dat_rows' "|" list, 1-based: allocator 1, env 2, label 3,
# the first data column 4).
dat_values() {
  dat_rows "$1" | awk -F'|' -v kf="$2" -v vf="$3" '{ n = split(kf, k, ","); key = ""
    for (i = 1; i <= n; i++) key = key (i > 1 ? ";" : "") $(k[i]); print key "|" $(vf) }'
}
