#!/usr/bin/env bash
# Objects the i386 kernel links (allocators/, or workloads/): prove they
# are 32-bit x86 ELF, link together (ld -m elf_i386 -r), define their
# registry table (hl_allocators, or hl_workloads) and reference nothing
# outside the port seam (hl_panic, hl_report, hl_log), the mem* functions
# the kernel provides, and libgcc's arithmetic helpers.
# usage: freestanding_i386.sh REGISTRY OBJECT...
set -euo pipefail
[ $# -gt 1 ] || { echo "usage: freestanding_i386.sh REGISTRY OBJECT..." >&2; exit 2; }
registry=$1
shift
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
  echo "FAIL: the i386 objects of $registry reference symbols outside the port seam:" >&2
  echo "$bad" >&2
  exit 1
fi
# The registry must be there, with everything behind it.
# (nm's whole output first: `nm | grep -q` under pipefail fails when grep
# quits before nm has written everything, as a bigger object makes likely)
syms=$(nm "$out/all.o")
grep -q " [DR] $registry\$" <<<"$syms" || { echo "FAIL: no $registry table" >&2; exit 1; }
n=$(nm -u "$out/all.o" | wc -l)
echo "ok: $# i386 objects, elf32-i386, $n undefined symbol(s), all in the port seam:"
nm -u "$out/all.o" | awk '{print "  " $2}'
