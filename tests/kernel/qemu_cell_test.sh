#!/usr/bin/env bash
# qemu_run_cell (bench/host/qemu.c) end to end, through the test driver
# tests/qemu_cell_main.c: one cell per QEMU boot, rows in a run folder.
#
# usage: qemu_cell_test.sh MODE QEMU_CELL_MAIN HEAPLAB
#   checksums    a few small cells under TCG + icount: every cells row has
#                CELL_COLUMNS fields, env=qemu, accel=tcg, clock=icount,
#                status ok, reps 0..N-1 with their latency/timeline rows; and
#                workload_checksum, ops, peak_live_bytes (and, when the
#                kernel's region is the host's, placement_checksum) equal
#                the host's rows of `heaplab run` for the same cell
#   determinism  three icount runs of the same cells: identical cells.csv,
#                latency.csv and timeline.csv (cycle columns included)
#   failures     a triple fault, a hang, a guest exception, guest out of
#                memory, and a deadline in the middle of the reps: the
#                right status and reason, the delivered reps kept whole
# QEMU and the kernel come from $HEAPLAB_QEMU and $HEAPLAB_KERNEL.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: qemu_cell_test.sh MODE QEMU_CELL_MAIN HEAPLAB" >&2; exit 2; }
mode=$1 drv=$2 heaplab=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$out"/*.out; do [ -f "$f" ] && { echo "---- $f" >&2; cat "$f" >&2; }; done
  for f in "$out"/*/cells.log; do [ -f "$f" ] && { echo "---- $f" >&2; tail -n 30 "$f" >&2; }; done
  exit 1
}

# select FILE COL...: the named columns of every data row, '|'-joined
# (the driver splits the CSV: params fields hold commas).
select_cols() {
  local file=$1
  shift
  "$drv" columns "$file" | awk -F'|' -v want="$*" '
    NR == 1 { for (i = 2; i <= NF; i++) c[$i] = i; n = split(want, w, " ")
              for (k = 1; k <= n; k++) if (!(w[k] in c)) { print "no column " w[k] > "/dev/stderr"; exit 1 }
              next }
    { line = ""; for (k = 1; k <= n; k++) line = line (k > 1 ? "|" : "") $(c[w[k]]); print line }'
}

# run_cell NAME ALLOCATOR WORKLOAD [driver options]: DIR $out/NAME, the
# driver's key=value answer in $out/NAME.out.
run_cell() {
  local name=$1
  shift
  "$drv" cell "$out/$name" "$@" >"$out/$name.out" || fail "the driver failed for $name"
}
get() { sed -n "s/^$2=//p" "$out/$1.out" | head -n 1; }

expect_end() { # NAME END DELIVERED [WHY-REGEX]
  local end why delivered
  end=$(get "$1" end) why=$(get "$1" why) delivered=$(get "$1" delivered)
  [ "$end" = "$2" ] || fail "$1: end '$end' ($why), expected '$2'"
  [ "$delivered" = "$3" ] || fail "$1: $delivered reps delivered, expected $3"
  if [ $# -ge 4 ]; then
    grep -qE -- "$4" <<<"$why" || fail "$1: reason '$why' does not match '$4'"
  fi
  echo "$1: $end ($why), wall $(get "$1" wall_s) s, first row after $(get "$1" qemu_boot_to_first_row_s) s"
}

# Every cells row: all columns, qemu's env/accel/clock, and the status
# for reps 0..reps-1 in order.
check_rows() { # NAME STATUS REPS
  local name=$1 status=$2 reps=$3 file=$out/$1/cells.csv
  local ncols
  ncols=$(head -n 1 "$file" | "$drv" columns /dev/stdin | cut -d'|' -f1)
  "$drv" columns "$file" | awk -F'|' -v n="$ncols" 'NR > 1 && $1 != n { bad = 1 } END { exit bad }' ||
    fail "$name: a cells row without $ncols columns"
  local got want=""
  got=$(select_cols "$file" env accel clock rep status)
  for ((r = 0; r < reps; r++)); do want+="qemu|tcg|icount|$r|$status"$'\n'; done
  [ "$got" = "${want%$'\n'}" ] || fail "$name: cells rows are
$got
expected
${want%$'\n'}"
}

case $mode in
checksums)
  ops=2000 reps=3
  # host rows only
  "$heaplab" run --env host --allocators buddy,bitmap-seed,bitmap-fast,slab,firstfit-seed,bump \
    --workloads frames-churn,frames-orders,churn-fixed,lifo --ops $ops --reps $reps \
    --clock tsc --sweep churn-fixed:live=16 --out "$out" >"$out/host.txt" ||
    fail "heaplab run failed: $(cat "$out/host.txt")"
  host=$(ls "$out"/*/cells.csv | head -n 1)
  key="allocator workload params seed rep sweep"
  same="workload_checksum ops peak_live_bytes failed_allocs leaks"
  cells=("buddy frames-churn" "bitmap-seed frames-orders" "bitmap-fast frames-churn"
         "slab churn-fixed" "firstfit-seed lifo" "bump churn-fixed"
         "slab churn-fixed --params live=16 --sweep live")
  i=0
  for cell in "${cells[@]}"; do
    name=c$((i++))
    # shellcheck disable=SC2086
    run_cell "$name" $cell --ops $ops --reps $reps
    expect_end "$name" ok $reps
    check_rows "$name" ok $reps
    # the kernel's region is the host's (64 MiB in both in a checked build)
    cols="$key $same placement_checksum"
    alloc=${cell%% *}
    host_region=$(sed -n "s/^cell\.$alloc\.region_bytes,//p" "$(dirname "$host")/meta.csv")
    [ "$(get "$name" region_bytes)" = "$host_region" ] ||
      fail "$name: the kernel's region ($(get "$name" region_bytes) bytes) is not the host's ($host_region)"
    mine=$(select_cols "$out/$name/cells.csv" $cols)
    # the host's rows with the same key (allocator..sweep), in file order
    theirs=$(select_cols "$host" $cols | awk -F'|' '
      NR == FNR { want[$1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6] = 1; next }
      ($1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6) in want' <(echo "$mine") -)
    [ -n "$theirs" ] || fail "$name: no host rows for $(head -n 1 <<<"$mine")"
    [ "$mine" = "$theirs" ] || fail "$name: qemu rows differ from the host's:
qemu: $mine
host: $theirs"
    # detail rows: a suite cell has latency and timeline rows for every
    # rep; a sweep cell none
    lat=$(select_cols "$out/$name/latency.csv" rep | sort -u | tr '\n' ' ')
    tl=$(select_cols "$out/$name/timeline.csv" rep | sort -u | tr '\n' ' ')
    if [[ $cell == *--sweep* ]]; then
      [ -z "$lat$tl" ] || fail "$name: a sweep cell with detail rows (reps '$lat' / '$tl')"
    else
      [ "$lat" = "0 1 2 " ] && [ "$tl" = "0 1 2 " ] ||
        fail "$name: detail rows for reps '$lat' / '$tl', expected 0 1 2"
    fi
    echo "$name: $(head -n 1 <<<"$mine" | cut -d'|' -f1-3): checksums equal to the host's"
  done
  ;;
determinism)
  cells=("buddy frames-churn" "slab churn-fixed" "firstfit-seed lifo" "bitmap-seed frames-orders")
  for run in 1 2 3; do
    i=0
    for cell in "${cells[@]}"; do
      name=r${run}c$((i++))
      # shellcheck disable=SC2086
      run_cell "$name" $cell --ops 2000 --reps 2 --run-id det
      expect_end "$name" ok 2
      if [ $run -gt 1 ]; then
        for f in cells latency timeline; do
          cmp -s "$out/r1c$((i - 1))/$f.csv" "$out/$name/$f.csv" ||
            fail "$name: $f.csv differs from run 1's:
$(diff "$out/r1c$((i - 1))/$f.csv" "$out/$name/$f.csv" | head -n 6)"
        done
      fi
    done
  done
  select_cols "$out/r1c0/cells.csv" allocator cycles_per_op p50 p90 p99 p999 max
  echo "three icount runs: identical cells, latency and timeline rows"
  ;;
failures)
  # A triple fault: QEMU exits 0 under -no-reboot, which is a crash.
  run_cell triple buddy frames-churn --ops 2000 --reps 3 --append test=triple
  expect_end triple crashed 0 'triple fault'
  # A hang: only the deadline ends it.
  run_cell hang buddy frames-churn --ops 2000 --reps 3 --append test=hang --timeout 3
  expect_end hang timeout 0 'no end after 3 s'
  awk -v w="$(get hang wall_s)" 'BEGIN { exit !(w < 3 + 2 + 5) }' || fail "hang: took $(get hang wall_s) s"
  # A guest exception before the cell begins.
  run_cell exception buddy frames-churn --ops 2000 --reps 3 --append test=panic
  expect_end exception crashed 0 '^guest exception #UD vector=6'
  # Out of guest memory in the middle of a pass: first-fit writes a
  # header on each of 8000 pages (32 MB; -m 16).  (Nothing else touches
  # a block: bump would need no memory at all.)
  run_cell oom firstfit-seed lifo --ops 16000 --params n=8000,min=4096,max=4096 --reps 3 --mem 16
  expect_end oom crashed 0 'guest out of memory'
  for name in triple exception oom; do check_rows $name crashed 3; done
  check_rows hang timeout 3
  for name in triple hang exception oom; do
    [ "$(wc -l <"$out/$name/latency.csv")" -eq 1 ] || fail "$name: latency rows of a rep never delivered"
  done
  # The deadline strikes after some reps: those stay whole, the rest are
  # timeout rows, and no detail row of an unfinished rep is written.  Short
  # reps and a 10 s deadline: some reps finish even on a loaded machine
  # (QEMU's boot and the first rep take most of a second when it is quiet),
  # and 400 of them do not (about 20 s of reps when quiet).
  reps=400
  run_cell partial slab churn-fixed --ops 60000 --reps $reps --timeout 10
  end=$(get partial end) delivered=$(get partial delivered)
  [ "$end" = timeout ] || fail "partial: end '$end', expected timeout"
  [ "$delivered" -ge 1 ] && [ "$delivered" -lt $reps ] || fail "partial: $delivered reps delivered"
  status=$(select_cols "$out/partial/cells.csv" rep status | awk -F'|' -v d="$delivered" '
    { want = $1 < d ? "ok" : "timeout"; if ($1 != NR - 1 || $2 != want) bad = 1 } END { print NR, bad + 0 }')
  [ "$status" = "$reps 0" ] || fail "partial: cells rows (count, bad) = $status"
  last_lat=$(select_cols "$out/partial/latency.csv" rep | sort -n | tail -n 1)
  [ "$last_lat" = $((delivered - 1)) ] || fail "partial: latency rows up to rep $last_lat, $delivered delivered"
  echo "partial: $delivered of $reps reps delivered before the deadline, the rest timeout rows"
  ;;
*)
  echo "qemu_cell_test.sh: unknown mode '$mode'" >&2
  exit 2
  ;;
esac
echo ok
