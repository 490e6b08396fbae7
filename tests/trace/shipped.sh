#!/usr/bin/env bash
# tests/trace/shipped.sh HEAPLAB HEAPLAB_TESTBUILD TRACES_DIR — every
# shipped trace (xz, read through `xz -dc`) is a valid trace whose ops,
# peak live bytes, threads and unknown frees are what PROVENANCE.md says;
# the set is under 10 MB.
. "$(dirname "$0")/../cli/lib.sh"
DIR=${3:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD TRACES_DIR}
n=0
for f in "$DIR"/*.hltrace.xz; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  name=$(basename "$f")
  info=$("$HL" trace info "$f" 2>&1)
  check_exit $? "$name: reads ($(head -c 200 <<<"$info"))"
  ops=$(awk '$1 == "ops" { print $2; exit }' <<<"$info")
  peak=$(awk '$1 == "peak" { print $3; exit }' <<<"$info")
  thr=$(awk '$1 == "threads" { print $2; exit }' <<<"$info")
  unk=$(awk '$1 == "unknown" && $2 == "frees" { print $3; exit }' <<<"$info")
  row=$(grep -F "| $name |" "$DIR/PROVENANCE.md")
  check "$name: in PROVENANCE.md" [ -n "$row" ]
  want=$(awk -F' [|] ' '{ print $4, $5, $6, $7 }' <<<"$row" | tr -d '|' | xargs)
  check "$name: ops, peak, threads, unknown frees = provenance ($ops $peak $thr $unk vs $want)" \
    [ "$ops $peak $thr $unk" = "$want" ]
done
check "at least 5 shipped traces ($n)" [ "$n" -ge 5 ]
total=$(cat "$DIR"/*.hltrace.xz | wc -c)
check "under 10 MB in all ($total)" [ "$total" -lt 10000000 ]
finish
