#!/usr/bin/env bash
# tests/cli/merge.sh — `heaplab run --shard I/N` and `heaplab merge`: one
# small plan run whole and as shards 1/4..4/4; the shards' launches
# partition the plan (every cell:launch in exactly one shard.launches, and
# each shard's rows are of its launches only); the merge of the shards
# has the whole run's plan lines and plan_hash and exactly its (env,
# allocator, workload, params, clock, rep) keys in cells.csv, latency.csv
# timeline.csv and leaks.csv, whatever order the shards are named in; and what
# merge refuses (another plan, a missing or duplicate shard, an
# incomplete run, another build or machine, a header not of today's
# column table, a run that is no shard) and bad --shard values, each one
# line and exit 2 with nothing written.
. "$(dirname "$0")/lib.sh"

PLAN=(--env host --clock tsc --allocators bump,slab,glibc --workloads lifo,fifo
      --ops 2000 --launches 3 --reps 1 --min-time 0)
run() { # run DIR [extra...]
  local d=$1; shift
  "$HL" run "${PLAN[@]}" --out "$TMP/$d" "$@" >"$TMP/$d.out" 2>"$TMP/$d.err"
}
check "direct run exits 0" run direct
D=$(run_dir "$TMP/direct")
for i in 1 2 3 4; do
  check "shard $i/4 exits 0" run "s$i" --shard "$i/4"
done
S1=$(run_dir "$TMP/s1"); S2=$(run_dir "$TMP/s2"); S3=$(run_dir "$TMP/s3"); S4=$(run_dir "$TMP/s4")

meta() { awk -F, -v k="$2" '$1 == k { sub(/^[^,]*,/, ""); print; exit }' "$1/meta.csv"; }
# Every cell:launch of the plan, from plan.cell lines ("... launches=L ...").
all_launches() {
  awk -F, '/^plan\.cell\./ { split($1, k, "."); match($0, /launches=[0-9]+/)
                             n = substr($0, RSTART + 9, RLENGTH - 9)
                             for (l = 0; l < n; l++) print k[3] ":" l }' "$1/meta.csv" | sort
}
shard_launches() { for s in "$@"; do meta "$s" shard.launches | tr ' ' '\n'; done | sort; }
check "direct: 18 launches in the plan" [ "$(meta "$D" plan.launches)" = 18 ]
check "each shard names itself" [ "$(meta "$S3" shard)" = 3/4 ]
check "the shards' launches partition the plan (no launch twice, none missing)" \
  [ "$(shard_launches "$S1" "$S2" "$S3" "$S4")" = "$(all_launches "$D")" ]
for s in "$S1" "$S2" "$S3" "$S4"; do
  check "shard $(meta "$s" shard) runs some launch" [ -n "$(meta "$s" shard.launches)" ]
done
for s in "$S1" "$S2" "$S3" "$S4"; do
  check "plan_hash of $(basename "$(dirname "$s")") = the direct run's" \
    [ "$(meta "$s" plan_hash)" = "$(meta "$D" plan_hash)" ]
done
check "plan_hash is 16 hex digits" bash -c '[[ $1 =~ ^[0-9a-f]{16}$ ]]' _ "$(meta "$D" plan_hash)"

# A shard's cells.csv rows are of its own launches (cell index from the
# plan.cell lines, launch from the launch column).
row_launches() { # RUN: the cell:launch of every row
  awk "$AWK_CSV"'FNR == NR { if ($0 ~ /^"?plan\.cell\./) { split_csv($0); split(f[1], k, ".")
                                 n = split(f[2], w, " "); cell[w[1] " " w[2] " " w[3] " " w[4] " " w[5]] = k[3] }
                             next }
                 FNR > 1 { split_csv($0); print cell[f[2] " " f[4] " " f[5] " " f[7] " " f[8]] ":" f[L] }' \
      L="$(csv_col "$1/cells.csv" launch)" "$1/meta.csv" "$1/cells.csv" | sort -u
}
for s in "$S1" "$S2" "$S3" "$S4"; do
  check "$(basename "$(dirname "$s")"): its rows are exactly its shard.launches" \
    [ "$(row_launches "$s")" = "$(shard_launches "$s")" ]
done

# ---- the merge ------------------------------------------------------------
merge() { "$HL" merge "$@" >"$TMP/merge.out" 2>"$TMP/merge.err"; }
check "merge of the 4 shards exits 0" merge "$S1" "$S2" "$S3" "$S4" --out "$TMP/merged"
M=$(run_dir "$TMP/merged")
check "merge prints the merged folder's path last" \
  [ "$(tail -n 1 "$TMP/merge.out" | sed 's/.*results in //')" = "$M" ]
plan_lines() { grep -E '^"?(plan\.|plan_hash|order\.)' "$1/meta.csv"; }
check "merged meta: plan lines and plan_hash = the direct run's" \
  [ "$(plan_lines "$M")" = "$(plan_lines "$D")" -a -n "$(plan_lines "$D")" ]
check "merged meta: merged_from.1..4" [ "$(grep -c '^merged_from\.[1-4],' "$M/meta.csv")" -eq 4 ]
check "merged meta: complete, 18 launches" \
  [ "$(meta "$M" run_status)" = complete -a "$(meta "$M" launches_run)" = 18 ]
check "merged meta: its own run_id" [ "$(meta "$M" run_id)" = "$(basename "$M")" ]
check "merged meta: no shard key" [ -z "$(meta "$M" shard)" ]
check "merged meta: checksums cross-checked" bash -c 'grep -q "^checksums,\"\?ok" "$1/meta.csv"' _ "$M"

# keys of a row file: env allocator workload params [clock] rep, by name
keys() { # RUN FILE
  local f=$1/$2
  awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[E], f[A], f[W], f[P], (C ? f[C] : "-"), f[R] }' \
    E="$(csv_col "$f" env)" A="$(csv_col "$f" allocator)" W="$(csv_col "$f" workload)" \
    P="$(csv_col "$f" params)" C="$(csv_col "$f" clock)" R="$(csv_col "$f" rep)" "$f" | sort
}
check "merged cells.csv: the direct run's (env, allocator, workload, params, clock, rep) keys" \
  [ "$(keys "$M" cells.csv)" = "$(keys "$D" cells.csv)" -a "$(keys "$D" cells.csv | wc -l)" -eq 18 ]
# (a rep's latency buckets depend on its timings: its keys, once each)
check "merged latency.csv: the direct run's keys" [ "$(keys "$M" latency.csv | uniq)" = "$(keys "$D" latency.csv | uniq)" ]
check "merged timeline.csv: the direct run's keys" [ "$(keys "$M" timeline.csv)" = "$(keys "$D" timeline.csv)" ]
# (leak reports are exact: the direct run's rows, run_id aside)
check "merged leaks.csv: the direct run's rows ($(($(wc -l <"$D/leaks.csv") - 1)))" \
  [ "$(cut -d, -f2- "$M/leaks.csv" | sort)" = "$(cut -d, -f2- "$D/leaks.csv" | sort)" -a "$(wc -l <"$D/leaks.csv")" -gt 1 ]
check "merged rows all carry the merged run_id" \
  [ "$(cut -d, -f1 "$M/cells.csv" "$M/latency.csv" "$M/timeline.csv" "$M/leaks.csv" | grep -v '^run_id$' | sort -u)" = "$(basename "$M")" ]
check "merged cells.csv: every status ok" \
  [ "$(awk "$AWK_CSV"'NR > 1 { split_csv($0); print f[S] }' S="$(csv_col "$M/cells.csv" status)" "$M/cells.csv" | sort -u)" = ok ]
check "merged summary.csv: one row per cell" [ "$(($(wc -l <"$M/summary.csv") - 1))" -eq 6 ]
check "merged cells.log: a line per shard" [ "$(grep -c '^shard [1-4]/4: ' "$M/cells.log")" -eq 4 ]
# rows ordered by plan cell, then rep: the same bytes (but run_id) for any
# order of the shards on the command line
check "merge in another order exits 0" merge "$S3/" "$S1" "$S4" "$S2" --out "$TMP/merged2"
M2=$(run_dir "$TMP/merged2")
for f in cells.csv latency.csv timeline.csv leaks.csv summary.csv; do
  check "$f is the same whatever the shards' order" \
    [ "$(cut -d, -f2- "$M/$f")" = "$(cut -d, -f2- "$M2/$f")" ]
done

# ---- refusals: one line, exit 2, nothing in $TMP/out ----------------------
check "a shard of another plan runs" run other --ops 1000 --shard 1/4
O1=$(run_dir "$TMP/other")
expect_usage "plan_hash" "$HL" merge "$O1" "$S2" "$S3" "$S4" --out "$TMP/out"
expect_usage "shard 3/4 is missing" "$HL" merge "$S1" "$S2" "$S4" --out "$TMP/out"
expect_usage "are both shard 2/4" "$HL" merge "$S1" "$S2" "$S2" "$S3" "$S4" --out "$TMP/out"
cp -r "$S2" "$TMP/s2copy"
expect_usage "are both shard 2/4" "$HL" merge "$S1" "$S2" "$TMP/s2copy" "$S3" "$S4" --out "$TMP/out"
expect_usage "no shard" "$HL" merge "$D" "$S2" "$S3" "$S4" --out "$TMP/out"
expect_usage "not a run folder" "$HL" merge "$TMP/nowhere" "$S2" --out "$TMP/out"
expect_usage "--out" "$HL" merge "$S1" "$S2" "$S3" "$S4"
expect_usage "--bogus" "$HL" merge "$S1" --bogus --out "$TMP/out"
# doctored copies of shard 1
doctor() { # NAME SED-EXPR [FILE]: a copy of S1 with FILE (meta.csv) edited
  rm -rf "$TMP/$1"; cp -r "$S1" "$TMP/$1"; sed -i "$2" "$TMP/$1/${3:-meta.csv}"
}
doctor interrupted 's/^run_status,complete$/run_status,interrupted/'
expect_usage "run_status interrupted" "$HL" merge "$TMP/interrupted" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor nostatus '/^run_status,/d'
expect_usage "did not complete" "$HL" merge "$TMP/nostatus" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor compiler 's/^compiler,.*/compiler,Clang 99.0.0/'
expect_usage "compiler" "$HL" merge "$TMP/compiler" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor commit 's/^git_commit,.*/git_commit,0000000000000000000000000000000000000000/'
expect_usage "git_commit" "$HL" merge "$S2" "$S3" "$TMP/commit" "$S4" --out "$TMP/out"
doctor tsc 's/^tsc_hz,.*/tsc_hz,3000000000/'
expect_usage "tsc_hz" "$HL" merge "$TMP/tsc" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor topo 's/^hwloc_topology,.*/hwloc_topology,"2 packages, 64 cores"/'
expect_usage "hwloc_topology" "$HL" merge "$TMP/topo" "$S2" "$S3" "$S4" --out "$TMP/out"
check "--allow-mixed merges another compiler" merge "$TMP/compiler" "$S2" "$S3" "$S4" --allow-mixed --out "$TMP/mixed"
MX=$(run_dir "$TMP/mixed")
check "--allow-mixed is recorded, with each shard's compiler" \
  bash -c 'grep -q "^allow_mixed," "$1/meta.csv" && grep -q "^shard\.1\.compiler,Clang 99.0.0" "$1/meta.csv" && ! grep -q "^compiler," "$1/meta.csv"' _ "$MX"
doctor header '1s/,rep,/,repetition,/' cells.csv
expect_usage "header differs" "$HL" merge "$TMP/header" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor tlheader '1s/$/,extra/' timeline.csv
expect_usage "timeline.csv': header differs" "$HL" merge "$TMP/tlheader" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor empty 'd' leaks.csv # no header either: an empty file is no row file
expect_usage "leaks.csv': header differs from this heaplab's column table: the file is empty" "$HL" merge "$TMP/empty" "$S2" "$S3" "$S4" --out "$TMP/out"
doctor overlap "s/^shard.launches,/shard.launches,$(meta "$S2" shard.launches | cut -d' ' -f1) /"
expect_usage "both ran launch" "$HL" merge "$TMP/overlap" "$S2" "$S3" "$S4" --out "$TMP/out"

# ---- bad --shard values (heaplab run) -------------------------------------
for v in 0/4 5/4 1/0 1/ x/4 /4 1/1025 1/4/4 -1/4; do
  expect_usage "--shard" "$HL" run "${PLAN[@]}" --shard "$v" --out "$TMP/out"
done
expect_usage "--shard" "$HL" run "${PLAN[@]}" --shard 1/2 --target-ci 5 --out "$TMP/out"
finish
