#!/usr/bin/env bash
# The copy-on-write experiment (kernel self-test `cowbench`) under
# QEMU -icount shift=0, booted twice: three rows (10 %, 50 %, 100 % of the
# pages written by the clone), the fault counts the fractions call for,
# every fault a copy, and guest-instruction figures identical in both
# boots (a counting clock repeats exactly).
#
# usage: cow_bench.sh QEMU ELF PAGES
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: cow_bench.sh QEMU ELF PAGES" >&2; exit 2; }
qemu=$1 elf=$2 pages=$3
[ -f "$elf" ] || { echo "FAIL: no kernel image at $elf" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

boot() { # $1: log file
  local status=0
  timeout 120 "$qemu" -kernel "$elf" -append "vga=off test=cowbench cow_pages=$pages" \
    -nodefaults -display none -no-reboot -accel tcg -icount shift=0 -cpu max -m 128M \
    -serial "file:$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$out/qemu.out" 2>&1 ||
    status=$?
  if [ "$status" -ne 33 ] || ! grep -qx '@HL done,ok' "$1"; then
    echo "FAIL: QEMU status $status (want 33)" >&2
    cat "$out/qemu.out" "$1" >&2 || true
    exit 1
  fi
}

boot "$out/a.log"
boot "$out/b.log"
grep '^@HL vm,cow,' "$out/a.log" >"$out/a.rows" || true
grep '^@HL vm,cow,' "$out/b.log" >"$out/b.rows" || true
cat "$out/a.rows"
[ "$(wc -l <"$out/a.rows")" -eq 3 ] || { echo "FAIL: want 3 cow rows" >&2; exit 1; }
for pct in 10 50 100; do
  want=$((pages * pct / 100))
  grep -qE "^@HL vm,cow,pages=$pages,written_pct=$pct,faults=$want,copies=$want,ticks=[0-9]+,ticks_faultless=[0-9]+,ticks_per_fault=[1-9][0-9]*," "$out/a.rows" ||
    { echo "FAIL: no row for $pct % with $want faults, all copies" >&2; exit 1; }
done
cmp -s "$out/a.rows" "$out/b.rows" ||
  { echo "FAIL: two icount boots differ:" >&2; diff "$out/a.rows" "$out/b.rows" >&2; exit 1; }
echo "ok: identical in two icount boots"
