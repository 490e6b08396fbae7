#!/usr/bin/env bash
# tests/model/kernel.sh — heaplab-cost.so under qemu-system-i386 with the
# heaplab kernel's test=model (kernel_port/selftest_model.c), for each
# preset:
#   - the kernel passes and exits with 33; three runs give identical
#     region rows;
#   - instructions between the markers exactly as the kernel announces
#     ("@HL model,expect,..."), loads too, no stores, one op per pass;
#   - fits-l1 (16 KiB, warmed): no misses, cycles = instructions + 4 * loads;
#   - fits-l2 (64 KiB, warmed: > L1d, < L2): every load misses L1d and
#     hits L2: cycles = instructions + 12 * loads (L2 latency 12 in both);
#   - region 1 only warms the loop's code (not checked);
#   - per-op regions (hist=FILE; "@HL model,perop,..."): three identical
#     files; fits-l1's 32 ops of 33 instructions all in the bucket of
#     33 + 8 * 4 = 65 cycles; fits-l2's 4 ops of 257 instructions (64
#     loads served by L2) in the bucket of 257 + 64 * 12 = 1025; totals
#     = ops and their sum; none of them in the out= report.
# usage: kernel.sh QEMU_SYSTEM_I386 KERNEL_ELF PLUGIN.so
set -u
QEMU=${1:?usage: kernel.sh QEMU ELF PLUGIN}
ELF=${2:?usage: kernel.sh QEMU ELF PLUGIN}
PLUGIN=${3:?usage: kernel.sh QEMU ELF PLUGIN}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-model-kernel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

. "$(dirname "$0")/report.sh" # field, bucket_of, hist_buckets, hist_total

for model in skylake-client zen3; do
  for run in 1 2 3; do
    # as tests/kernel/qemu_test.sh boots it (TCG: KVM faults i386 paging here)
    timeout 120 "$QEMU" -kernel "$ELF" -append "test=model" \
      -nodefaults -display none -no-reboot -accel tcg -cpu max -m 128M \
      -serial "file:$TMP/serial.$run" \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
      -plugin "$PLUGIN,model=$model,out=$TMP/$model.$run.csv,hist=$TMP/$model.$run.hist" \
      >"$TMP/qemu.out" 2>&1
    status=$?
    [ "$status" = 33 ] || fail "$model run $run: QEMU status $status, not 33: $(cat "$TMP/qemu.out" "$TMP/serial.$run")"
    grep -q '^@HL test,model,pass$' "$TMP/serial.$run" || fail "$model run $run: no '@HL test,model,pass'"
    grep '^region,' "$TMP/$model.$run.csv" >"$TMP/$model.$run.regions"
  done
  cmp -s "$TMP/$model.1.regions" "$TMP/$model.2.regions" &&
    cmp -s "$TMP/$model.1.regions" "$TMP/$model.3.regions" || fail "$model: three runs differ"
  cmp -s "$TMP/$model.1.hist" "$TMP/$model.2.hist" &&
    cmp -s "$TMP/$model.1.hist" "$TMP/$model.3.hist" || fail "$model: three runs' hist files differ"
  R=$TMP/$model.1.csv
  H=$TMP/$model.1.hist
  cat "$R" "$H"
  [ "$(grep -c '^region,' "$R")" = 3 ] || fail "$model: per-op regions among the out= report's regions"
  np=0
  while IFS=, read -r _hl _perop region nops insns loads what; do
    np=$((np + 1))
    [ "$what" = warmup ] && continue
    if [ "$what" = fits-l1 ]; then cyc=$((insns + 4 * loads)); else cyc=$((insns + 12 * loads)); fi
    for m in modelled_cycles:$cyc instructions:$insns; do
      metric=${m%%:*} v=${m#*:}
      got=$(hist_buckets "$H" "$region" "$metric")
      [ "$got" = "$(bucket_of "$v"),$nops" ] ||
        fail "$model per-op $region ($what) $metric: buckets '$got', expected $nops in the bucket of $v ($(bucket_of "$v"))"
      got=$(hist_total "$H" "$region" "$metric")
      [ "$got" = "$nops,$((nops * v))" ] ||
        fail "$model per-op $region ($what) $metric: total '$got', expected $nops,$((nops * v))"
    done
  done < <(grep '^@HL model,perop,' "$TMP/serial.1")
  [ "$np" = 3 ] || fail "$model: $np per-op lines from the kernel, not 3"
  n=0
  while IFS=, read -r _hl _expect region insns loads lines passes what; do
    n=$((n + 1))
    [ "$what" = warmup ] && continue
    want() { # want COLUMN VALUE
      local g; g=$(field region "$region" "$R" "$1")
      [ "$g" = "$2" ] || fail "$model region $region ($what): $1 = $g, expected $2"
    }
    want model "$model"
    want instructions "$insns"
    want loads "$loads"
    want stores 0
    want ops "$passes"
    want l1i_misses 0
    want l2_misses 0
    want llc_misses 0
    want dtlb_misses 0
    if [ "$what" = fits-l1 ]; then
      want l1d_misses 0
      want modelled_cycles $((insns + 4 * loads))
    else
      want l1d_misses "$loads"
      want modelled_cycles $((insns + 12 * loads))
    fi
  done < <(grep '^@HL model,expect,' "$TMP/serial.1")
  [ "$n" = 3 ] || fail "$model: $n expect lines from the kernel, not 3"
done

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS failure(s)" >&2
  exit 1
fi
echo "ok: heaplab-cost.so in the i386 kernel: counts and misses as expected, identical over three runs"
