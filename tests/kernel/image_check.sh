#!/usr/bin/env bash
# Static checks of the kernel image: a fully linked elf32-i386 executable
# whose multiboot v1 header (magic, flags, checksum) lies 4-aligned in the
# file's first 8 KiB, whose page-rights boundaries are page-aligned, and
# which carries the allocator registry it will benchmark.
# usage: image_check.sh ELF
set -euo pipefail
elf=${1:?usage: image_check.sh ELF}
fail() { echo "FAIL: $*" >&2; exit 1; }

syms=$(nm "$elf")  # once: `nm | grep -q` would SIGPIPE under pipefail
fmt=$(objdump -f "$elf" | sed -n 's/.*file format //p')
[ "$fmt" = "elf32-i386" ] || fail "$elf is '$fmt', not elf32-i386"
readelf -h "$elf" | grep -q 'Type:[[:space:]]*EXEC' || fail "not an executable"
undef=$(nm -u "$elf" | wc -l)
[ "$undef" -eq 0 ] || fail "undefined symbols: $(nm -u "$elf" | awk '{print $2}' | tr '\n' ' ')"

# The multiboot header: 0x1BADB002, flags, checksum with sum 0 mod 2^32.
hdr=$(od -A d -t u4 -v -N 8192 "$elf" | awk '
  { for (i = 2; i <= NF; i++) w[($1 / 4) + i - 2] = $i }
  END {
    for (k = 0; k < 2048; k++)
      if (w[k] == 464367618 && (w[k] + w[k + 1] + w[k + 2]) % 4294967296 == 0) {
        printf "%d %d\n", k * 4, w[k + 1]; exit
      }
  }')
[ -n "$hdr" ] || fail "no valid multiboot header in the first 8 KiB"
read -r off flags <<<"$hdr"
echo "multiboot header at file offset $off, flags 0x$(printf %x "$flags")"

for sym in kernel_image_start kernel_ro_end user_text_start user_text_end kernel_rw_start kernel_image_end; do
  addr=$(awk -v s="$sym" '$3 == s { print $1 }' <<<"$syms")
  [ -n "$addr" ] || fail "no symbol $sym"
  [ $(( 0x$addr % 4096 )) -eq 0 ] || fail "$sym = 0x$addr is not page-aligned"
done
[ "$(awk '$3 == "kernel_image_start" { print $1 }' <<<"$syms")" = "00100000" ] || fail "image not at 1 MiB"
grep -qE ' [DRdr] hl_allocators$' <<<"$syms" || echo "note: no allocator registry linked (fallback build)"
grep -qE ' T bmp_seed_alloc_pfn$' <<<"$syms" || fail "bitmap-seed is not linked"
echo "ok: $elf"
