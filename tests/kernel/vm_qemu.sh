#!/usr/bin/env bash
# tests/kernel/vm_qemu.sh — the vm family in both worlds (workloads/vm.h,
# kernel_port/vmcell.c, bench/host/vmcell.c), from short `heaplab run`s:
# vm-touch with pages-4k and pages-4m runs on the host and in the kernel
# (TCG, icount), every row ok and all four with ONE workload_checksum (the
# same page indexes, in the same order, in both worlds); the kernel's
# region really is of 4 KiB pages for pages-4k and of 4 MiB PSE pages
# (huge demand faults) for pages-4m; vm-remap runs in the kernel with
# invlpg and with CR3, and pages-4m x vm-remap is refused with why.
# usage: vm_qemu.sh HEAPLAB
set -u
export LC_ALL=C
HL=${1:?usage: vm_qemu.sh HEAPLAB}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"

mkdir -p "$TMP/q"
"$HL" run --env both --clock tsc,icount --allocators pages-4k,pages-4m --workloads vm-touch \
  --params vm-touch:pages=2048,order=1,passes=2 --reps 1 --launches 1 --det-reps 1 \
  --sweep none --out "$TMP/q" >"$TMP/q.out" 2>"$TMP/q.err"
check_exit $? "vm-touch run exits 0 ($(head -c 300 "$TMP/q.err"))"
Q=$(run_dir "$TMP/q")
C=$Q/cells.csv
rows() {
  awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[E], f[A], f[S], f[K], f[O] }' \
    E="$(csv_col "$C" env)" A="$(csv_col "$C" allocator)" S="$(csv_col "$C" status)" \
    K="$(csv_col "$C" workload_checksum)" O="$(csv_col "$C" ops)" "$C"
}
check "4 rows (host and qemu x 2 kinds): $(rows | tr '\n' ';')" [ "$(rows | wc -l)" -eq 4 ]
check "qemu rows for both kinds" [ "$(rows | awk '$1 == "qemu"' | wc -l)" -eq 2 ]
bad=$(rows | awk '$3 != "ok" || $5 != 4096')
check "every row ok, 4096 ops: $bad" [ -z "$bad" ]
check "one workload_checksum in both worlds: $(rows | awk '{print $4}' | sort -u | tr '\n' ' ')" \
  [ "$(rows | awk '{print $4}' | sort -u | wc -l)" -eq 1 ]
meta() { grep "^cell\.$1\.$2," "$Q/meta.csv" | cut -d, -f2; }
check "pages-4k in the kernel: 4 KiB pages" [ "$(meta pages-4k qemu_page_bytes)" = 4096 ]
check "pages-4m in the kernel: 4 MiB pages" [ "$(meta pages-4m qemu_page_bytes)" = 4194304 ]
check "pages-4k: 2048 demand faults, none huge" \
  [ "$(meta pages-4k qemu_demand_faults)/$(meta pages-4k qemu_demand_huge_faults)" = 2048/0 ]
check "pages-4m: 2 huge demand faults" [ "$(meta pages-4m qemu_demand_huge_faults)" = 2 ]

mkdir -p "$TMP/r"
"$HL" run --env qemu --clock icount --allocators pages-4k,pages-4m --workloads vm-remap \
  --params vm-remap:pages=128,rounds=4 --sweep vm-remap:flush=0,1 --det-reps 1 \
  --out "$TMP/r" >"$TMP/r.out" 2>"$TMP/r.err"
R=$(run_dir "$TMP/r")
C=$R/cells.csv
check "vm-remap with pages-4k: 3 ok rows (suite, flush=0, flush=1): $(rows | tr '\n' ';')" \
  [ "$(rows | awk '$2 == "pages-4k" && $3 == "ok"' | wc -l)" -eq 3 ]
check "invlpg: 4 x 4 x 128 ops; cr3: 4 x (3 x 128 + 1)" \
  [ "$(rows | awk '$2 == "pages-4k" {print $5}' | sort -n | uniq | tr '\n' ' ')" = "1540 2048 " ]
check "pages-4m x vm-remap refused with why" \
  grep -q "pages-4m x vm-remap.*vm-remap edits 4 KiB PTEs" "$R/cells.log"
finish
