# tests/cli/awk_csv.sh — AWK_CSV, an awk function split_csv(line) that
# splits one RFC 4180 line into f[1..nf] (quoted fields, doubled quotes);
# sourced by tests/cli/lib.sh and by the tests that do not use lib.sh.
# usage: awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[3] }' FILE
AWK_CSV='function split_csv(line,   i, c, q, field) {
  nf = 0; field = ""; q = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { field = field "\""; i++ } else q = 0 } else field = field c }
    else if (c == "\"") q = 1
    else if (c == ",") { f[++nf] = field; field = "" }
    else field = field c
  }
  f[++nf] = field
}'
