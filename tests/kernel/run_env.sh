#!/usr/bin/env bash
# tests/kernel/run_env.sh — `heaplab run` with QEMU cells, read back:
# --env both gives host rows and qemu rows (env=qemu, accel=tcg,
# clock=icount, the project's allocators only, --det-reps reps) of the
# same op streams, checked equal by the run itself (meta checksums) and
# here; three --env qemu --clock icount runs give identical cycle columns;
# a QEMU that is not there is a one-line usage error.
# usage: run_env.sh HEAPLAB
set -u
export LC_ALL=C
HL=${1:?usage: run_env.sh HEAPLAB}
. "$(dirname "$0")/../cli/lib.sh" "$HL" "$HL"

# What this build can do: valgrind cannot run a sanitized build (no
# instructions rows).  (A checked build gives a smaller region in both
# worlds alike: placements are compared in every build.)
INFO=$("$HL" info 2>/dev/null | grep '^build')
SANITIZED=0; case "$INFO" in *sanitize=none,*) ;; *) SANITIZED=1 ;; esac

mkdir -p "$TMP/b"
"$HL" run --env both --out "$TMP/b" --allocators buddy,bitmap-seed,slab,glibc \
  --workloads frames-churn,lifo --ops 2000 --reps 3 --launches 1 --det-reps 2 >"$TMP/b.out" 2>"$TMP/b.err"
check "--env both exits 0" [ $? -eq 0 ]
B=$(run_dir "$TMP/b")
envs() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[2], f[3], f[4], f[5], f[11] }' "$B/cells.csv" | sort | uniq -c | awk '{ $1 = $1; print }'; }
# host: 4 cells x (tsc 3 reps + instructions 2 reps); qemu: glibc stays on the host
want='2 host none instructions bitmap-seed ok
2 host none instructions buddy ok
2 host none instructions glibc ok
2 host none instructions slab ok
3 host none tsc bitmap-seed ok
3 host none tsc buddy ok
3 host none tsc glibc ok
3 host none tsc slab ok
2 qemu tcg icount bitmap-seed ok
2 qemu tcg icount buddy ok
2 qemu tcg icount slab ok'
[ $SANITIZED -eq 1 ] && want=$(echo "$want" | grep -v instructions)
check "rows by env, accel, clock, allocator: $(envs | tr '\n' ';')" [ "$(envs)" = "$want" ]
same() { # one workload checksum per stream, one placement per frame allocator and stream, across envs
  awk "$AWK_CSV"'NR > 1 { split_csv($0); k = f[7] "|" f[8]; if (k in w && w[k] != f[13]) bad++; w[k] = f[13]
      if (f[6] == "frame") { p = f[5] "|" k; if (p in pl && pl[p] != f[14]) bad++; pl[p] = f[14]; if (f[2] == "qemu") q++ } }
    END { exit !(bad == 0 && q == 4) }' "$B/cells.csv"
}
check "host and qemu ran the same streams and placed the same frames" same
check "meta: checksums ok, 2 streams and 2 placements in both envs" grep -q '^checksums,"\?ok: 2 op streams identical in all their cells (2 run both on the host and in QEMU); 2 frame placements identical (2 in both)' "$B/meta.csv"
check "no checksum WARNING on stderr" bash -c '! grep -Eq "differs for|MISMATCH" "$1"' _ "$TMP/b.err"
check "meta: envs host,qemu" grep -qx 'envs,"host,qemu"' "$B/meta.csv"
check "meta: qemu_accel tcg and why" grep -q '^qemu_accel_reason,' "$B/meta.csv"
check "meta: qemu_version" grep -q '^qemu_version,QEMU emulator version' "$B/meta.csv"
check "meta: boot to first row" grep -q '^cell\.buddy\.qemu_boot_to_first_row_s,[0-9.]*$' "$B/meta.csv"
SR=$(csv_col "$B/summary.csv" reps); SS=$(csv_col "$B/summary.csv" status)
check "summary: qemu rows with accel tcg, clock icount, reps 2" [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); if (f[2] == "qemu" && f[3] == "tcg" && f[4] == "icount" && f[R] == 2 && f[S] == "ok") n++ } END { print n + 0 }' R="$SR" S="$SS" "$B/summary.csv")" -eq 3 ]
check "qemu latency rows (icount per call)" grep -q ',qemu,buddy,frames-churn,' "$B/latency.csv"
check "stdout's table has the qemu rows" grep -Eq '^slab +lifo +qemu +icount ' "$TMP/b.out"
"$HL" plot "$B" >"$TMP/plot.out" 2>&1
check "plot of a host+qemu run exits 0" [ $? -eq 0 ]
check "plot draws figure 1b (instructions per op: host and/or qemu)" [ -s "$B/figures/fig1b-cost-instructions-heap.png" ]

# determinism: three icount runs, identical cycle columns (cycles_per_op, p50..max)
for i in 1 2 3; do
  mkdir -p "$TMP/d$i"
  "$HL" run --env qemu --clock icount --out "$TMP/d$i" --allocators firstfit-seed,buddy \
    --workloads churn-uniform,frames-orders --ops 1500 --reps 2 --det-reps 2 >/dev/null 2>&1
  check "icount run $i exits 0" [ $? -eq 0 ]
done
# (sorted: --jobs runs the counting cells side by side, in either order)
cyc() { awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[5], f[7], f[10], f[11], f[15], f[16], f[17], f[18], f[19], f[20] }' "$(run_dir "$TMP/$1")/cells.csv" | sort; }
check "icount runs have rows" [ "$(cyc d1 | wc -l)" -eq 4 ]
check "icount runs 1 and 2: identical cycle columns" [ "$(cyc d1)" = "$(cyc d2)" ]
check "icount runs 1 and 3: identical cycle columns" [ "$(cyc d1)" = "$(cyc d3)" ]
check "icount figures are not zero" [ -z "$(cyc d1 | awk '$5 + 0 <= 0')" ]

# QEMU missing: --env qemu is refused (one line naming it); the default falls back to the host
HEAPLAB_QEMU=/nonexistent/qemu expect_usage "/nonexistent/qemu" "$HL" run --env qemu --out "$TMP/out"
mkdir -p "$TMP/h"
HEAPLAB_QEMU=/nonexistent/qemu "$HL" run --out "$TMP/h" --allocators bump --workloads lifo --ops 200 --reps 1 --clock tsc >/dev/null 2>"$TMP/h.err"
check "no QEMU: the default run still exits 0" [ $? -eq 0 ]
check "no QEMU: a note on stderr" grep -q 'no QEMU cells' "$TMP/h.err"
check "no QEMU: meta says why" grep -q '^qemu,.*nonexistent' "$(run_dir "$TMP/h")/meta.csv"
finish
