# tests/model/report.sh — sourced by the model tests: read heaplab-cost.so's
# CSV report (docs/model.md, "Output") by column name.
# field SCOPE REGION FILE COLUMN: the value in the row of that scope and
# region, or "missing".
field() {
  awk -F, -v s="$1" -v r="$2" -v c="$4" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == s && $2 == r { print $col[c]; found = 1 }
    END { if (!found) print "missing" }' "$3"
}

# region_minus_raw RUN CLOCK ENV: for each CLOCK row of RUN/cells.csv
# (--ops 1000, one run of each stream), the instructions of the cell's
# main regions in its report RUN/model/ENV.<allocator>.<workload>.*.csv
# minus the counting clock's raw ticks (raw_cycles_per_op x 1000), and
# the same for the floor: "COUNT MAIN FLOOR" lines (uniq -c), one per
# distinct pair; "BAD ..." for a row that is not one run of 1000 ops.
# Needs $AWK_CSV (tests/cli/lib.sh).
region_minus_raw() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[4] == "'"$2"'") print f[5], f[7], f[12], f[31], f[32], f[33] }' "$1/cells.csv" |
    while read -r a w ops raw flo reps; do
      [ "$ops" = 1000 ] && [ "$reps" = 1 ] || { echo "BAD $a $w ops=$ops repeats=$reps"; continue; }
      rep=$(ls "$1"/model/"$3.$a.$w".*.csv | grep -v '\.perop\.csv$')
      m=$(awk -F, '$1 == "region" && $15 == "main" { s += $4 } END { print s }' "$rep")
      fl=$(awk -F, '$1 == "region" && $15 == "floor" { s += $4 } END { print s }' "$rep")
      echo "$((m - 10#${raw/./})) $((fl - 10#${flo/./}))"
    done | sort | uniq -c
}

# reports_repeat NAME RUN_A RUN_B...: `check` that every plugin report of
# RUN_A has the same region rows in each other run, and every per-op
# histogram file (*.perop.csv) the same rows (needs tests/cli/lib.sh).
reports_repeat() {
  local what=$1 a=$2 f b R
  shift 2
  for f in "$a"/model/*.csv; do
    b=$(basename "$f")
    for R in "$@"; do
      case $b in
        *.perop.csv)
          check "$what $b: per-op histograms repeat" \
            [ -s "$f" -a "$(grep -v '^#' "$f")" = "$(grep -v '^#' "$R/model/$b")" ] ;;
        *)
          check "$what $b: region rows repeat" [ "$(grep '^region,' "$f")" = "$(grep '^region,' "$R/model/$b")" ] ;;
      esac
    done
  done
}

# The plugin's hist=FILE (docs/model.md, "Per-op histograms").
# bucket_of V: "lo,hi" of the hist.h bucket holding V (exact below 128,
# then 64 sub-buckets per power of two), computed here independently.
bucket_of() {
  awk -v v="$1" 'BEGIN {
    if (v < 128) { print v "," v; exit }
    k = 0; while (2 ^ (k + 1) <= v) k++
    w = 2 ^ (k - 6); lo = int(v / w) * w
    printf "%d,%d\n", lo, lo + w - 1 }'
}
# hist_buckets FILE REGION METRIC: its "lo,hi,count" bucket rows, one a line.
hist_buckets() {
  awk -F, -v r="$2" -v m="$3" '$1 == "bucket" && $2 == r && $4 == m { print $5 "," $6 "," $7 }' "$1"
}
# hist_total FILE REGION METRIC: "count,sum" of its total row.
hist_total() {
  awk -F, -v r="$2" -v m="$3" '$1 == "total" && $2 == r && $4 == m { print $7 "," $8 }' "$1"
}
