#!/usr/bin/env bash
# tests/model/kernel_perop.sh — the kernel's clock=modelled cells under
# qemu-system-i386 with heaplab-cost.so's hist=FILE (docs/model.md,
# "Per-op histograms"):
#   - three runs: byte-identical hist files and out= region rows;
#   - one per-op region per cell and rep; the ops in its histogram (its
#     total rows, cycles and instructions) = the cell row's ops;
#   - the out= report holds only the BATCH pass's regions (main, floor),
#     two per cell and rep: per-op regions are not among them;
#   - the cell rows say clock icount, p50..max 0 and no latency rows;
#     every other column equals a clock=icount boot's (the flag changes
#     only PEROP's clock pairs into markers);
#   - clock=modelled without the plugin runs too (the markers are NOPs).
# usage: kernel_perop.sh QEMU_SYSTEM_I386 KERNEL_ELF PLUGIN.so
set -u
QEMU=${1:?usage: kernel_perop.sh QEMU ELF PLUGIN}
ELF=${2:?usage: kernel_perop.sh QEMU ELF PLUGIN}
PLUGIN=${3:?usage: kernel_perop.sh QEMU ELF PLUGIN}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-model-perop.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

. "$(dirname "$0")/report.sh" # hist_total FILE REGION METRIC

REPS=2
CELLS=3 # slab x lifo, firstfit-seed x lifo, buddy x frames-churn
ARGS="vga=off allocators=slab,firstfit-seed,buddy workloads=lifo,frames-churn sweep=none ops=2000 reps=$REPS accel=tcg"

boot() { # boot NAME CLOCK [PLUGIN_ARGS]
  local plugin=()
  [ -n "${3:-}" ] && plugin=(-plugin "$PLUGIN,$3")
  # as bench/host/qemu.c boots a counting cell (TCG, -icount shift=0)
  timeout 300 "$QEMU" -kernel "$ELF" -append "$ARGS clock=$2" \
    -nodefaults -display none -no-reboot -accel tcg -icount shift=0 -cpu max -m 512 \
    -serial "file:$TMP/$1.serial" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    "${plugin[@]}" >"$TMP/$1.qemu" 2>&1
  local status=$?
  [ "$status" = 33 ] || fail "$1: QEMU status $status, not 33: $(cat "$TMP/$1.qemu")"
  [ "$(grep -c '^@HL end,[0-9]*,ok' "$TMP/$1.serial")" = "$CELLS" ] ||
    fail "$1: not $CELLS cells ended ok: $(grep '^@HL end' "$TMP/$1.serial")"
}

# The cell rows with quoted fields (params) made one word: plain comma
# fields.  cols FILE: the rows; columns as cells.csv's header.
cells() { grep '^@HL cell,' "$1" | sed 's/^@HL cell,//; s/"[^"]*"/Q/g'; }

boot icount icount
for run in 1 2 3; do
  boot "m$run" modelled "model=skylake-client,out=$TMP/m$run.csv,hist=$TMP/m$run.hist"
done
boot plain modelled

cmp -s "$TMP/m1.hist" "$TMP/m2.hist" && cmp -s "$TMP/m1.hist" "$TMP/m3.hist" ||
  fail "three runs' hist files differ"
for run in 2 3; do
  cmp -s <(grep '^region,' "$TMP/m1.csv") <(grep '^region,' "$TMP/m$run.csv") ||
    fail "run $run's region rows differ from run 1's"
done
H=$TMP/m1.hist
grep -v '^bucket,' "$H"

# one per-op region per cell and rep, in order; its ops = the row's
nreg=$(grep -c '^total,[0-9]*,[^,]*,modelled_cycles,' "$H")
[ "$nreg" = $((CELLS * REPS)) ] || fail "$nreg per-op regions, not $((CELLS * REPS))"
region=0
while IFS=, read -r _run _env _accel clock alloc _fam wl _params _seed rep _status ops _wck _pck \
  _cpo p50 p90 p99 p999 max _rest; do
  region=$((region + 1))
  [ "$clock" = icount ] || fail "$alloc x $wl rep $rep: clock $clock, not icount"
  [ "$p50,$p90,$p99,$p999,$max" = 0,0,0,0,0 ] ||
    fail "$alloc x $wl rep $rep: p50..max $p50,$p90,$p99,$p999,$max, not 0"
  for metric in modelled_cycles instructions; do
    t=$(hist_total "$H" "$region" "$metric")
    [ "${t%%,*}" = "$ops" ] ||
      fail "$alloc x $wl rep $rep: per-op region $region has ${t%%,*} ops of $metric, the stream $ops"
  done
  echo "per-op region $region: $alloc x $wl rep $rep: $ops ops, $(hist_total "$H" "$region" modelled_cycles | cut -d, -f2) modelled cycles"
done < <(cells "$TMP/m1.serial")
[ "$region" = $((CELLS * REPS)) ] || fail "$region cell rows, not $((CELLS * REPS))"

# the out= report: the BATCH regions only
labels=$(awk -F, '$1 == "region" { print $NF }' "$TMP/m1.csv" | sort | uniq -c | tr -s ' ')
[ "$labels" = " $((CELLS * REPS)) floor
 $((CELLS * REPS)) main" ] || fail "out= regions by label: $labels"
grep -q ',perop$' "$TMP/m1.csv" && fail "a per-op region in the out= report"

# no latency rows; the rest of each row as clock=icount's
grep -q '^@HL lat,' "$TMP/m1.serial" && fail "latency rows in a clock=modelled boot"
# drop p50..max (columns 16-20) and compare
strip() { cells "$1" | cut -d, -f1-15,21-; }
diff <(strip "$TMP/icount.serial") <(strip "$TMP/m1.serial") >"$TMP/rows.diff" ||
  fail "clock=modelled rows differ from clock=icount's beyond p50..max: $(cat "$TMP/rows.diff")"
diff <(strip "$TMP/plain.serial") <(strip "$TMP/m1.serial") >"$TMP/rows.diff" ||
  fail "clock=modelled rows differ with and without the plugin: $(cat "$TMP/rows.diff")"

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS failure(s)" >&2
  exit 1
fi
echo "ok: the kernel's clock=modelled cells: one per-op histogram per rep holding every op, identical over three runs"
