#!/usr/bin/env bash
# tests/cli/bad_input.sh — every kind of bad input to every option: exit
# status 2, exactly one line on stderr naming the bad value, and no
# results folder left behind.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/out" "$TMP/cwd"
cd "$TMP/cwd" || exit 1
O=(--out "$TMP/out")
R=("$HL" run "${O[@]}" --ops 100 --reps 1)

expect_usage "missing command" "$HL"
expect_usage "unknown command 'frob'" "$HL" frob
# names
expect_usage "unknown allocator 'foo'" "${R[@]}" --allocators foo
expect_usage "unknown allocator 'foo'" "${R[@]}" --allocators slab,foo
expect_usage "empty item" "${R[@]}" --allocators slab,
expect_usage "allocator 'slab' named twice" "${R[@]}" --allocators slab,slab
expect_usage "unknown workload 'bar'" "${R[@]}" --workloads bar
expect_usage "workload 'lifo' named twice" "${R[@]}" --workloads lifo,lifo
expect_usage "share no family" "${R[@]}" --allocators slab --workloads frames-churn
if "$HL" list allocators | grep -q '^  mimalloc .*not installed'; then
  expect_usage "baseline 'mimalloc' is not installed" "${R[@]}" --allocators mimalloc
fi
# numbers: zero, negative, trailing junk, overflow, beyond the range, empty
for opt in --reps --ops; do
  for v in 0 -1 12abc 99999999999999999999999 '' ' 5' 1e3; do
    expect_usage "bad value for $opt: '$v'" "${R[@]}" "$opt" "$v"
  done
done
expect_usage "bad value for --reps: '1001'" "${R[@]}" --reps 1001
for v in -1 abc 18446744073709551616 0x10; do
  expect_usage "bad value for --seed: '$v'" "${R[@]}" --seed "$v"
done
for v in 0 -3 abc 86401; do
  expect_usage "bad value for --timeout: '$v'" "${R[@]}" --timeout "$v"
done
for v in -1 x 4096 99999999999; do
  expect_usage "bad value for --cpu: '$v'" "${R[@]}" --cpu "$v"
done
expect_usage "bad value for --cpu: '4095'" "${R[@]}" --cpu 4095
# missing values
for opt in --allocators --workloads --reps --ops --seed --out --cpu --params --timeout; do
  expect_usage "missing value for $opt" "${R[@]}" "$opt"
done
# --params
expect_usage "bad value for --params: 'lifo'" "${R[@]}" --workloads lifo --params lifo
expect_usage "no workload 'fifo' in this run" "${R[@]}" --workloads lifo --params fifo:n=5
expect_usage "bad value for --params: 'lifo:bogus=1'" "${R[@]}" --workloads lifo --params lifo:bogus=1
expect_usage "bad value for --params: 'lifo:n=0'" "${R[@]}" --workloads lifo --params lifo:n=0
expect_usage "bad value for --params: 'lifo:n=12abc'" "${R[@]}" --workloads lifo --params lifo:n=12abc
# the experiment design's options
expect_usage "bad value for --launches: '0'" "${R[@]}" --launches 0
expect_usage "bad value for --min-time: '-1'" "${R[@]}" --min-time -1
expect_usage "bad value for --min-time: '1s'" "${R[@]}" --min-time 1s
expect_usage "bad value for --min-time: 'nan'" "${R[@]}" --min-time nan
expect_usage "bad value for --retries: '100'" "${R[@]}" --retries 100
expect_usage "bad value for --target-ci: '0'" "${R[@]}" --target-ci 0
expect_usage "bad value for --budget: '0.5'" "${R[@]}" --budget 0.5
expect_usage "bad value for --order-seed: '-3'" "${R[@]}" --order-seed -3
# output folders: one that cannot be created, a file, unwritable (a
# missing one is created: tests/cli/launches.sh)
touch "$TMP/afile"
expect_usage "output folder '$TMP/afile/sub' cannot be created" "$HL" run --out "$TMP/afile/sub" --ops 10 --reps 1
expect_usage "output folder '$TMP/afile' is not a folder" "$HL" run --out "$TMP/afile" --ops 10 --reps 1
if [ "$(id -u)" -eq 0 ]; then ro=/proc; else ro="$TMP/ro"; mkdir -p "$ro"; chmod 555 "$ro"; fi
expect_usage "output folder '$ro' is not writable" "$HL" run --out "$ro" --ops 10 --reps 1 --allocators bump --workloads lifo
# options and arguments that do not exist
expect_usage "unknown option '--frob' for run" "${R[@]}" --frob
expect_usage "unexpected argument 'extra' for run" "${R[@]}" extra
expect_usage "unknown list 'things'" "$HL" list things
expect_usage "unknown option '--x' for list" "$HL" list --x
expect_usage "unexpected argument 'x' for info" "$HL" info x
# compare: arguments, and folders that are not runs
expect_usage "compare needs two run folders" "$HL" compare "$TMP"
expect_usage "unexpected argument" "$HL" compare "$TMP" "$TMP" "$TMP"
expect_usage "'$TMP/none' is not a run folder" "$HL" compare "$TMP/none" "$TMP/none"
mkdir -p "$TMP/empty"
expect_usage "'$TMP/empty' is not a run folder (no meta.csv)" "$HL" compare "$TMP/empty" "$TMP/empty"
mkdir -p "$TMP/nocells"; echo 'key,value' >"$TMP/nocells/meta.csv"
expect_usage "'$TMP/nocells' is not a run folder (no cells.csv)" "$HL" compare "$TMP/nocells" "$TMP/nocells"
mkdir -p "$TMP/badhdr"; echo 'key,value' >"$TMP/badhdr/meta.csv"; echo 'run_id,allocator,oops' >"$TMP/badhdr/cells.csv"
expect_usage "cells.csv' has a malformed header: unknown column 'oops'" "$HL" compare "$TMP/badhdr" "$TMP/badhdr"
mkdir -p "$TMP/badmeta"; echo 'k,v' >"$TMP/badmeta/meta.csv"; cp "$TMP/badhdr/cells.csv" "$TMP/badmeta/"
expect_usage "meta.csv' has a malformed header: unknown column 'k'" "$HL" compare "$TMP/badmeta" "$TMP/badmeta"
check "nothing created in the working folder" [ -z "$(ls -A "$TMP/cwd")" ]
finish
