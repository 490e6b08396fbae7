#!/usr/bin/env bash
# The whole default suite, planned by the kernel from its command line and
# by `heaplab run` on the host: the same cells in the same order (the
# suite, then the default sweeps), the same canonical params, and for
# every cell the same workload_checksum — and, for frame allocators, the
# same placement_checksum (the kernel's region is the host's: 1 GiB, or
# 64 MiB in both worlds in a checked build, see docs/kernel.md).  One rep
# each: the checksums do not depend on reps.
#
# usage: suite_checksums.sh QEMU ELF HEAPLAB QEMU_CELL_MAIN OPS
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: suite_checksums.sh QEMU ELF HEAPLAB QEMU_CELL_MAIN OPS" >&2; exit 2; }
qemu=$1 elf=$2 heaplab=$3 drv=$4 ops=$5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The kernel's allocators are the registry's (no baselines).
allocs=bitmap-seed,bitmap-fast,buddy,firstfit-seed,slab,bump

t0=$(date +%s)
# host rows only
"$heaplab" run --env host --allocators $allocs --clock tsc --ops "$ops" --reps 1 --launches 1 --min-time 0 --out "$out" >"$out/host.txt" ||
  fail "heaplab run failed: $(tail -n 5 "$out/host.txt")"
host=$(ls "$out"/*/cells.csv | head -n 1)
t1=$(date +%s)

set +e
timeout 1800 "$qemu" -kernel "$elf" \
  -append "vga=off allocators=$allocs ops=$ops reps=1 run_id=suite accel=tcg clock=tsc-tcg" \
  -nodefaults -display none -no-reboot -accel tcg -cpu max -m 512 -serial "file:$out/serial.log" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$out/qemu.out" 2>&1
status=$?
set -e
t2=$(date +%s)
[ "$status" -eq 33 ] || fail "QEMU exited with $status: $(grep -E '^@HL error' "$out/serial.log" | head -n 3)"
region=$(sed -n 's/^@HL meta,region_bytes,//p' "$out/serial.log")

# The kernel's rows as a cells.csv (the host's header first).
{ head -n 1 "$host"; sed -n 's/^@HL cell,//p' "$out/serial.log"; } >"$out/kernel.csv"

# allocator|family|workload|params|sweep|ops|workload_checksum|placement_checksum
cols() {
  "$drv" columns "$1" | awk -F'|' -v place="$2" '
    NR == 1 { for (i = 2; i <= NF; i++) c[$i] = i; next }
    { p = $(c["family"]) == "frame" && place ? $(c["placement_checksum"]) : "-"
      print $(c["allocator"]) "|" $(c["workload"]) "|" $(c["params"]) "|" $(c["sweep"]) "|" \
            $(c["ops"]) "|" $(c["workload_checksum"]) "|" p }'
}
# the host's region: what its first frame allocator's cell got (meta.csv)
host_region=$(sed -n 's/^cell\.bitmap-seed\.region_bytes,//p' "$(dirname "$host")/meta.csv")
[ -n "$region" ] && [ "$region" = "$host_region" ] ||
  fail "the kernel's region ($region bytes) is not the host's ($host_region bytes)"
place=1
# The host ran its launches in a shuffled order: its rows sorted into plan
# order (meta.csv's plan.cell.N), the kernel's as they came.
plan_order() { # allocator|workload|params|sweep, in plan order
  sed -n 's/^plan\.cell\.[0-9]*,"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$(dirname "$host")/meta.csv" |
    awk '{ s = ($6 ~ /^sweep=/) ? substr($6, 7) : ""; print $3 "|" $4 "|" $5 "|" s }'
}
cols "$host" $place >"$out/host.unordered"
plan_order >"$out/plan.keys"
# host.unordered: allocator|workload|params|sweep|ops|wl|place
awk -F'|' 'NR == FNR { k[$1 "|" $2 "|" $3 "|" $4] = $0; next } { print k[$0] }' \
  "$out/host.unordered" "$out/plan.keys" >"$out/host.keys"
cols "$out/kernel.csv" $place >"$out/kernel.keys"
n=$(wc -l <"$out/host.keys")
[ "$n" -gt 0 ] || fail "no host cells"
diff "$out/host.keys" "$out/kernel.keys" >"$out/diff" ||
  fail "the kernel's suite differs from the host's ($n host cells):
$(head -n 20 "$out/diff")"
frames=$(grep -c '|[0-9a-f]\{16\}$' "$out/kernel.keys" || true)
echo "ok: $n cells (ops $ops), identical plan and workload checksums; $frames frame cells with identical placement checksums"
echo "host run $((t1 - t0)) s, kernel boot $((t2 - t1)) s (TCG, one boot, reps 1)"
