#!/usr/bin/env bash
# The workload objects the i386 kernel links (hl_workloads_i386): prove
# they are 32-bit x86 ELF, link together (ld -m elf_i386 -r), define the
# hl_workloads registry and reference nothing outside the port seam
# (hl_panic, hl_report, hl_log), the kernel's mem* functions and libgcc's
# arithmetic helpers.
# usage: freestanding_workloads.sh OBJECT...
set -euo pipefail
[ $# -gt 0 ] || { echo "freestanding_workloads.sh: no objects given" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for o in "$@"; do
  fmt=$(objdump -f "$o" | sed -n 's/.*file format //p')
  if [ "$fmt" != "elf32-i386" ]; then
    echo "FAIL: $o is '$fmt', not elf32-i386" >&2
    exit 1
  fi
done

ld -m elf_i386 -r -o "$out/all.o" "$@"
allowed='^(hl_panic|hl_report|hl_log|memset|memcpy|memmove|memcmp|__(u?divdi3|u?moddi3|popcountsi2|ctzdi2|clzdi2|udivmoddi4))$'
bad=$(nm -u "$out/all.o" | awk '{print $2}' | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "FAIL: the i386 workload objects reference symbols outside the port seam:" >&2
  echo "$bad" >&2
  exit 1
fi
nm "$out/all.o" | grep -q ' [DR] hl_workloads$' || { echo "FAIL: no hl_workloads table" >&2; exit 1; }
n=$(nm -u "$out/all.o" | wc -l)
echo "ok: $# i386 objects, elf32-i386, $n undefined symbol(s), all in the port seam:"
nm -u "$out/all.o" | awk '{print "  " $2}'
