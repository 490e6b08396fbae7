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
