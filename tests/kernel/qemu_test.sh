#!/usr/bin/env bash
# Boot the heaplab i386 kernel in QEMU (TCG) and check how it ended.
#
# usage: qemu_test.sh QEMU ELF APPEND EXPECTED_STATUS [--vga]
#                     [--want REGEX]... [--reject REGEX]...
#   EXPECTED_STATUS  33 (kernel success, isa-debug-exit 0x10),
#                    35 (kernel failure, 0x11) or
#                    0 (a triple fault under -no-reboot: no done line)
#   --want REGEX     a serial line (grep -E) that must appear
#   --reject REGEX   a serial line that must not appear
# Always checked: the exit status; "@HL done,ok" (33) or "@HL done,fail"
# (35) as the last protocol line; no "@HL test,<name>,fail" when 33.
# Prints the serial log on failure and the boot-to-exit wall time always.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: qemu_test.sh QEMU ELF APPEND EXPECTED_STATUS [options]" >&2; exit 2; }
qemu=$1 elf=$2 append=$3 expected=$4
shift 4
vga=() wants=() rejects=()
while [ $# -gt 0 ]; do
  case $1 in
    --vga) vga=(-device VGA); shift ;;
    --want) wants+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    *) echo "qemu_test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ -f "$elf" ] || { echo "FAIL: no kernel image at $elf (build target heaplab_kernel)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
log=$out/serial.log

start_ns=$(date +%s%N)
set +e
# -accel tcg always: this VM's KVM faults an i386 guest once it enables
# paging.  -cpu max: SMEP and PSE, for the I/D and RSVD fault cases.
timeout 60 "$qemu" -kernel "$elf" -append "$append" \
  -nodefaults -display none -no-reboot -accel tcg -cpu max -m 128M \
  -serial "file:$log" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${vga[@]}" \
  >"$out/qemu.out" 2>&1
status=$?
set -e
end_ns=$(date +%s%N)
echo "boot-to-exit: $(( (end_ns - start_ns) / 1000000 )) ms, QEMU status $status"

fail() {
  echo "FAIL: $*" >&2
  echo "---- QEMU output ----" >&2; cat "$out/qemu.out" >&2 || true
  echo "---- serial log ----" >&2; cat "$log" >&2 || true
  exit 1
}

[ "$status" -eq "$expected" ] || fail "QEMU exited with $status, expected $expected (124: timeout)"
[ -s "$log" ] || fail "no serial output"
last=$(grep -E '^@HL done,' "$log" | tail -n 1 || true)
if [ "$expected" -eq 33 ]; then
  [ "$last" = "@HL done,ok" ] || fail "last done line is '$last', not '@HL done,ok'"
  if grep -qE '^@HL test,[^,]*,fail' "$log"; then fail "a self-test failed"; fi
elif [ "$expected" -eq 0 ]; then
  # a triple fault: QEMU shuts down (-no-reboot) before the kernel can say
  [ -z "$last" ] || fail "a done line ('$last') although the guest triple-faulted"
else
  [ "$last" = "@HL done,fail" ] || fail "last done line is '$last', not '@HL done,fail'"
fi
for re in "${wants[@]}"; do
  grep -qE -- "$re" "$log" || fail "no serial line matches '$re'"
done
for re in "${rejects[@]}"; do
  if grep -qE -- "$re" "$log"; then fail "a serial line matches '$re'"; fi
done
grep -E '^@HL (test|done),' "$log" || true
echo "ok"
