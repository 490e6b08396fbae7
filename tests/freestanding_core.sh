#!/usr/bin/env bash
# The bench/core objects the i386 kernel links (hl_core_i386): prove they
# are 32-bit x86 ELF, link together (ld -m elf_i386 -r), define the runner's
# entry points, and reference nothing but hl_* symbols (allocators/,
# workloads/, the port), the kernel's mem* functions and libgcc's
# arithmetic helpers.  With the i386 allocator and workload objects after
# `--`, link everything and prove only the port seam, mem* and libgcc
# remain: the kernel can link the whole measuring stack as it is.
# usage: freestanding_core.sh CORE_OBJECT... [-- OTHER_OBJECT...]
set -euo pipefail
core=() others=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do core+=("$1"); shift; done
[ $# -gt 0 ] && shift
others=("$@")
[ ${#core[@]} -gt 0 ] || { echo "freestanding_core.sh: no objects given" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for o in "${core[@]}" "${others[@]}"; do
  fmt=$(objdump -f "$o" | sed -n 's/.*file format //p')
  if [ "$fmt" != "elf32-i386" ]; then
    echo "FAIL: $o is '$fmt', not elf32-i386" >&2
    exit 1
  fi
done

libgcc='__(u?divdi3|u?moddi3|udivmoddi4|popcountsi2|popcountdi2|ctzdi2|clzdi2)'
ld -m elf_i386 -r -o "$out/core.o" "${core[@]}"
bad=$(nm -u "$out/core.o" | awk '{print $2}' |
      grep -Ev "^(hl_[a-z0-9_]+|memset|memcpy|memmove|memcmp|$libgcc)$" || true)
if [ -n "$bad" ]; then
  echo "FAIL: the i386 core objects reference symbols outside heaplab and the port seam:" >&2
  echo "$bad" >&2
  exit 1
fi
# (nm's whole output first: `nm | grep -q` under pipefail fails when grep
# quits before nm has written everything)
syms=$(nm "$out/core.o")
for sym in hl_cell_pass hl_clock_calibrate hl_format_cells_row hl_hist_quantile; do
  grep -q " T $sym\$" <<<"$syms" || { echo "FAIL: $sym not defined" >&2; exit 1; }
done
grep -q ' [DR] hl_cells_header$' <<<"$syms" || { echo "FAIL: no hl_cells_header" >&2; exit 1; }
echo "ok: ${#core[@]} i386 core objects; undefined:"
nm -u "$out/core.o" | awk '{print "  " $2}'

if [ ${#others[@]} -gt 0 ]; then
  ld -m elf_i386 -r -o "$out/all.o" "${core[@]}" "${others[@]}"
  bad=$(nm -u "$out/all.o" | awk '{print $2}' |
        grep -Ev "^(hl_panic|hl_report|hl_log|memset|memcpy|memmove|memcmp|$libgcc)$" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: core + allocators + workloads leave symbols outside the port seam:" >&2
    echo "$bad" >&2
    exit 1
  fi
  echo "ok: with ${#others[@]} allocator/workload objects, undefined:"
  nm -u "$out/all.o" | awk '{print "  " $2}'
fi
