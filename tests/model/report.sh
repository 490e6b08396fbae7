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
