#!/usr/bin/env bash
# tests/model/plugin.sh — heaplab-cost.so under qemu-x86_64 on the known
# loops of tests/model/strides.c, for each preset:
#   - three runs give byte-identical reports;
#   - the instructions between the markers are exactly 1 + passes *
#     (4 * lines + 4), the loads passes * lines, no stores, one op per pass;
#   - region 1 warms the loop's code (its L1i misses are not checked);
#   - region 2 (16 KiB, warmed): no misses at any level, cycles =
#     instructions + loads * 4 (L1d latency 4 in both presets);
#   - region 3 (1 MiB, warmed, > L2, < LLC): every load misses L1d and L2
#     and hits the LLC; one dTLB miss per page per pass;
#   - work outside the markers is not counted: `strides extra` does more
#     of it and reports the same regions; the `all` row is larger;
#   - feed=region: the big buffer is cold (LLC misses on the first pass);
#   - the program runs natively too (the markers are plain NOPs);
#   - per-op regions (hist=FILE): three byte-identical files; the 32 ops
#     of 33 instructions and 8 L1d hits all in the bucket of 33 + 8 * 4 =
#     65 cycles; the 4 ops of 257 instructions whose 64 loads hit the LLC
#     (and miss the dTLB once) all in the bucket of 257 + 64 * LLC + dTLB
#     miss cycles (42 and 9, or 46 and 7); totals = ops and their sum;
#     per-op regions are not rows of the out= report;
#   - bad arguments: one line from the plugin naming the value, exit != 0.
# usage: plugin.sh PLUGIN.so STRIDES_PROGRAM
# Skips (77) when qemu-x86_64 is not installed.
set -u
PLUGIN=${1:?usage: plugin.sh PLUGIN.so STRIDES}
PROG=${2:?usage: plugin.sh PLUGIN.so STRIDES}
QEMU=$(command -v qemu-x86_64) || {
  echo "SKIP: qemu-x86_64 not installed (Debian package qemu-user; tools/setup installs it)"
  exit 77
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-model.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

. "$(dirname "$0")/report.sh" # field SCOPE REGION FILE COLUMN

for model in skylake-client zen3; do
  for run in 1 2 3; do
    "$QEMU" -plugin "$PLUGIN,model=$model,out=$TMP/$model.$run.csv,hist=$TMP/$model.$run.hist" \
      "$PROG" >"$TMP/$model.expect" 2>"$TMP/stderr" || fail "$model run $run: exit $? $(cat "$TMP/stderr")"
  done
  cmp -s "$TMP/$model.1.csv" "$TMP/$model.2.csv" && cmp -s "$TMP/$model.1.csv" "$TMP/$model.3.csv" ||
    fail "$model: three runs differ"
  cmp -s "$TMP/$model.1.hist" "$TMP/$model.2.hist" && cmp -s "$TMP/$model.1.hist" "$TMP/$model.3.hist" ||
    fail "$model: three runs' hist files differ"
  R=$TMP/$model.1.csv
  H=$TMP/$model.1.hist
  cat "$R" "$H"
  [ "$(grep -c '^region,' "$R")" = 3 ] || fail "$model: per-op regions among the out= report's regions"
  [ "$(head -1 "$H")" = "scope,region,model,metric,bucket_lo,bucket_hi,count,sum" ] ||
    fail "$model: hist header $(head -1 "$H")"
  case $model in
    skylake-client) llc=42 dtlb=9 ;;
    zen3) llc=46 dtlb=7 ;;
  esac
  nper=0
  while IFS=, read -r tag region nops insns loads what; do
    [ "$tag" = perop ] || continue
    nper=$((nper + 1))
    [ "$what" = warmup ] && continue
    if [ "$what" = fits-l1 ]; then
      cyc=$((insns + 4 * loads))
    else
      cyc=$((insns + llc * loads + dtlb))
    fi
    for m in modelled_cycles:$cyc instructions:$insns; do
      metric=${m%%:*} v=${m#*:}
      got=$(hist_buckets "$H" "$region" "$metric")
      [ "$got" = "$(bucket_of "$v"),$nops" ] ||
        fail "$model per-op $region ($what) $metric: buckets '$got', expected $nops in the bucket of $v ($(bucket_of "$v"))"
      got=$(hist_total "$H" "$region" "$metric")
      [ "$got" = "$nops,$((nops * v))" ] ||
        fail "$model per-op $region ($what) $metric: total '$got', expected $nops,$((nops * v))"
    done
  done <"$TMP/$model.expect"
  [ "$nper" = 3 ] || fail "$model: $nper per-op expectations, not 3"
  [ "$(grep -c '^total,' "$H")" = 6 ] || fail "$model: $(grep -c '^total,' "$H") total rows, not 6"
  while IFS=, read -r tag region insns loads lines passes what; do
    [ "$tag" = expect ] || continue
    got() { field region "$region" "$R" "$1"; }
    want() { # want COLUMN VALUE
      local g; g=$(got "$1")
      [ "$g" = "$2" ] || fail "$model region $region: $1 = $g, expected $2"
    }
    want model "$model"
    want instructions "$insns"
    want loads "$loads"
    want stores 0
    want ops "$passes"
    [ "$what" = warmup ] && continue
    want l1i_misses 0
    want llc_misses 0
    want back_invalidations 0
    if [ "$what" = fits-l1 ]; then
      want l1d_misses 0
      want l2_misses 0
      want dtlb_misses 0
      want modelled_cycles $((insns + loads * 4))
    else
      want l1d_misses "$loads"
      want l2_misses "$loads"
      want dtlb_misses $((passes * lines * 64 / 4096))
    fi
  done <"$TMP/$model.expect"
  grep -q '^expect,3,.*,beyond-l2$' "$TMP/$model.expect" || fail "$model: the program printed no expectations"

  # outside work changes the `all` row, not the regions
  "$QEMU" -plugin "$PLUGIN,model=$model,out=$TMP/extra.csv" "$PROG" extra >/dev/null 2>&1 ||
    fail "$model extra: exit $?"
  diff <(grep '^region,' "$R") <(grep '^region,' "$TMP/extra.csv") >/dev/null ||
    fail "$model: work outside the markers changed the regions"
  all=$(field all 0 "$R" instructions)
  extra=$(field all 0 "$TMP/extra.csv" instructions)
  r=$(awk -F, '$1 == "region" { s += $4 } END { print s }' "$R")
  [ "$all" -gt "$r" ] && [ "$extra" -gt $((all + 200000)) ] ||
    fail "$model: all rows $all / $extra vs regions $r"
done

# feed=region: the model sees only the regions, so the 1 MiB buffer
# (warmed outside) is cold: its first pass misses the LLC on every line.
# The 16 KiB buffer was read by region 1, so region 2 stays miss-free.
"$QEMU" -plugin "$PLUGIN,model=skylake-client,feed=region,out=$TMP/region.csv" "$PROG" >/dev/null 2>&1 ||
  fail "feed=region: exit $?"
lines=$(awk -F, '$1 == "expect" && $7 == "beyond-l2" { print $5 }' "$TMP/skylake-client.expect")
[ "$(field region 3 "$TMP/region.csv" llc_misses)" = "$lines" ] ||
  fail "feed=region: region 3 llc_misses = $(field region 3 "$TMP/region.csv" llc_misses), expected $lines"
[ "$(field region 2 "$TMP/region.csv" l1d_misses)" = 0 ] ||
  fail "feed=region: region 2 l1d_misses = $(field region 2 "$TMP/region.csv" l1d_misses), expected 0"

# the markers are harmless NOPs on real hardware: the program runs
# natively and announces the same regions
"$PROG" >"$TMP/native.expect" 2>&1 || fail "the program fails natively: $(cat "$TMP/native.expect")"
cmp -s "$TMP/native.expect" "$TMP/skylake-client.expect" || fail "native run differs from the emulated one"

# the presets' weights differ: so do the big region's cycles
sky=$(field region 3 "$TMP/skylake-client.1.csv" modelled_cycles)
zen=$(field region 3 "$TMP/zen3.1.csv" modelled_cycles)
[ "$sky" != "$zen" ] || fail "the presets give the same cycles ($sky) for region 3"

# bad arguments: the plugin's one line names the value; qemu exits 1
bad() { # bad NEEDLE ARG
  "$QEMU" -plugin "$PLUGIN,$2" "$PROG" >/dev/null 2>"$TMP/stderr" && { fail "$2 accepted"; return; }
  n=$(grep -c '^heaplab-cost:' "$TMP/stderr")
  [ "$n" = 1 ] && grep -q "^heaplab-cost:.*$1" "$TMP/stderr" ||
    fail "$2: expected one heaplab-cost line naming '$1', got: $(cat "$TMP/stderr")"
}
bad "model=nope" model=nope
bad "size_bytes=3000" l2=3000:8:64:12
bad "sets=96" llc=24576:4:64:40
bad "line_bytes=48" l1d=24576:8:48:4
bad "feed=sometimes" feed=sometimes
bad "entries=96" dtlb=96:4:4096:9
bad "bogus=1" bogus=1
bad "l1d=32768:8:64" l1d=32768:8:64
bad "/nonexistent/x" out=/nonexistent/x
bad "/nonexistent/y" hist=/nonexistent/y
bad "hist=" hist=

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS failure(s)" >&2
  exit 1
fi
echo "ok: heaplab-cost.so counts and misses as expected, identical over three runs"
