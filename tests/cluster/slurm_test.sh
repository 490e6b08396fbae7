#!/usr/bin/env bash
# tests/cluster/slurm_test.sh HEAPLAB SOURCE_DIR — tools/cluster on a real
# (one-node, localhost) Slurm cluster.
#
# First tools/cluster's own refusals (no Slurm needed).  Then: start munged
# and a one-node Slurm cluster (slurmctld + slurmd) from a minimal
# slurm.conf written into a temp dir (own key, socket, state dirs, free
# ports; SlurmUser root; no cgroup plugins), run a small plan directly,
# submit the same plan through tools/cluster as an array of 4 shards with
# --wait, and check the merged run against the direct one: the same
# plan_hash and plan lines, the same (env, allocator, workload, params,
# clock, rep) keys in cells.csv, every status ok, 4 shards merged.  Every
# daemon started here is stopped on exit (trap), by its pid, and the temp
# dir removed, so a rerun starts clean; a lock keeps two runs of this test
# (two presets) from overlapping.
#
# Exit 77 (ctest SKIP_RETURN_CODE) only where Slurm cannot start here: not
# root (slurmd must be root to run jobs), or Slurm/munge not installed
# (tools/setup installs them).  A cluster that is installed but does not
# come up is a failure, with the daemons' logs.
set -u
HL=${1:?usage: $0 HEAPLAB SOURCE_DIR}
SRC=${2:?usage: $0 HEAPLAB SOURCE_DIR}
CLUSTER=$SRC/tools/cluster
. "$SRC/tests/cli/awk_csv.sh" # AWK_CSV
FAILS=0 PASSES=0
fail() { echo "FAIL [slurm]: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok   [slurm]: $1"; PASSES=$((PASSES + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
say() { echo "slurm_test: $*"; }

T=$(mktemp -d /tmp/heaplab-slurm.XXXXXX)
chmod 711 "$T"
STARTED=() # pid files of the daemons started here
cleanup() {
  local f pid
  if [ -f "$T/slurm.conf" ] && [ ${#STARTED[@]} -gt 0 ]; then
    SLURM_CONF=$T/slurm.conf scancel --quiet --partition=heaplab 2>/dev/null || true
  fi
  for f in "${STARTED[@]}"; do
    pid=$(cat "$f" 2>/dev/null) || continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "${STARTED[@]}"; do
    pid=$(cat "$f" 2>/dev/null) || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools/cluster's refusals (before any Slurm) ---------------------------
usage_case() { # NEEDLE PATH-OVERRIDE ARGS...: exit 2, one line naming NEEDLE
  local needle=$1 path=$2; shift 2
  local rc lines
  PATH=$path HEAPLAB=$HL bash "$CLUSTER" "$@" >"$T/u.out" 2>"$T/u.err"
  rc=$?
  lines=$(wc -l <"$T/u.err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$needle" "$T/u.err"; then
    pass "tools/cluster $*: refused ($needle)"
  else
    fail "tools/cluster $*: exit $rc, $lines lines: $(cat "$T/u.err")"
  fi
}
# a PATH with the tools the script needs but no sbatch
mkdir -p "$T/nobin"
for t in bash dirname basename date mkdir sed cat chmod printf seq; do
  p=$(command -v "$t") && ln -sf "$p" "$T/nobin/$t"
done
usage_case "sbatch not found" "$T/nobin" --shards 2 --out "$T/x" -- --ops 100
usage_case "--shards" "$PATH" --shards 0 -- --ops 100
usage_case "--shards" "$PATH" --shards x -- --ops 100
usage_case "sets heaplab run's --out" "$PATH" --shards 2 -- --out "$T/y"
usage_case "cannot be sharded" "$PATH" --shards 2 -- --target-ci 5
check "no folder was made by a refusal" [ ! -e "$T/x" -a ! -e "$T/y" ]

# ---- can Slurm start here? ----------------------------------------------------
skip() { echo "SKIP: slurm_test: $* — the Slurm test did not run" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] ||
  skip "not root: this one-node cluster runs slurmd and its jobs as root"
for b in munged munge slurmctld slurmd sbatch scontrol sinfo scancel; do
  command -v "$b" >/dev/null ||
    skip "'$b' is not installed (tools/setup installs slurmctld, slurmd, slurm-client, munge)"
done
[ "$FAILS" -eq 0 ] || { echo "slurm_test: $PASSES passed, $FAILS failed" >&2; exit 1; }

# one Slurm test at a time on this machine (presets, reruns)
exec 9>/tmp/heaplab-slurm-test.lock
flock -w 240 9 || { echo "FAIL [slurm]: another Slurm test holds /tmp/heaplab-slurm-test.lock" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # a port with nothing listening, from a range by pid
  local p
  for k in $(seq 0 200); do
    p=$((20000 + ($$ * 7 + k * 13) % 30000))
    port_free "$p" && port_free $((p + 1)) && { echo "$p"; return 0; }
  done
  return 1
}
PORT=$(pick_port) || { echo "FAIL [slurm]: no free port pair" >&2; exit 1; }
NODE=$(hostname -s)
CPUS=$(nproc)
mkdir -p "$T/state" "$T/spool" "$T/runs"

# munge: its own key and socket (the system's munged, if any, is not used)
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge.key"
STARTED+=("$T/munged.pid")
munged --force --socket="$T/munge.sock" --key-file="$T/munge.key" \
  --pid-file="$T/munged.pid" --log-file="$T/munged.log" \
  --seed-file="$T/munged.seed" 2>"$T/munged.err" ||
  { fail "munged did not start: $(tail -n 3 "$T/munged.err" "$T/munged.log" 2>/dev/null | tr '\n' ' ')"; exit 1; }

cat >"$T/slurm.conf" <<EOF
# a one-node Slurm cluster for tests/cluster/slurm_test.sh (temporary)
ClusterName=heaplabtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.sock
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=heaplab Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/slurm.conf
logs() { tail -n 5 "$T/slurmctld.log" "$T/slurmd.log" 2>/dev/null | tr '\n' ' '; }
STARTED+=("$T/slurmctld.pid" "$T/slurmd.pid")
slurmctld -f "$SLURM_CONF" -i 2>"$T/slurmctld.err" ||
  { fail "slurmctld did not start: $(cat "$T/slurmctld.err") $(logs)"; exit 1; }
slurmd -f "$SLURM_CONF" 2>"$T/slurmd.err" ||
  { fail "slurmd did not start: $(cat "$T/slurmd.err") $(logs)"; exit 1; }
up=0
for _ in $(seq 60); do
  if [ "$(sinfo -h -n "$NODE" -o %t 2>/dev/null)" = idle ]; then up=1; break; fi
  sleep 0.5
done
[ "$up" -eq 1 ] || { fail "the node did not become idle in 30 s: $(sinfo 2>&1 | tr '\n' ' ') $(logs)"; exit 1; }
say "one-node Slurm cluster up: node $NODE, $CPUS CPUs, ports $PORT-$((PORT + 1)), $(sinfo -V)"

# ---- a small plan, directly and through the cluster ----------------------------
PLAN=(--env host --clock tsc --allocators bump,slab,glibc --workloads lifo,fifo
      --ops 2000 --launches 3 --reps 1 --min-time 0)
"$HL" run "${PLAN[@]}" --out "$T/runs/direct" >"$T/direct.out" 2>&1
check "direct run exits 0" [ $? -eq 0 ]
D=$(ls -d "$T"/runs/direct/*/ | head -n 1); D=${D%/}
t0=$(date +%s)
HEAPLAB=$HL bash "$CLUSTER" --shards 4 --partition heaplab --out "$T/runs/cluster" --wait \
  -- "${PLAN[@]}" >"$T/cluster.out" 2>"$T/cluster.err"
rc=$?
say "tools/cluster --shards 4 --wait: exit $rc in $(($(date +%s) - t0)) s; $(tr '\n' ' ' <"$T/cluster.err")"
check "tools/cluster --wait exits 0" [ "$rc" -eq 0 ]
M=$(tail -n 1 "$T/cluster.out")
check "tools/cluster printed the merged run's path ($M)" [ -n "$M" -a -f "$M/meta.csv" ]
if [ "$rc" -ne 0 ] || [ ! -f "$M/meta.csv" ]; then
  for f in "$T"/runs/cluster/logs/*.out; do echo "--- $f"; tail -n 5 "$f"; done >&2
  echo "--- daemons: $(logs)" >&2
  echo "slurm_test: $PASSES passed, $FAILS failed" >&2
  exit 1
fi
check "4 shard run folders" [ "$(ls -d "$T"/runs/cluster/shards/[1-4]/*/ | wc -l)" -eq 4 ]
check "each array task ran under Slurm (its log)" [ "$(ls "$T"/runs/cluster/logs/shard-*.out | wc -l)" -eq 4 ]
meta() { awk -F, -v k="$2" '$1 == k { sub(/^[^,]*,/, ""); print; exit }' "$1/meta.csv"; }
plan_lines() { grep -E '^"?(plan\.|plan_hash|order\.)' "$1/meta.csv"; }
check "merged plan_hash = the direct run's ($(meta "$D" plan_hash))" \
  [ "$(meta "$M" plan_hash)" = "$(meta "$D" plan_hash)" -a -n "$(meta "$D" plan_hash)" ]
check "merged plan lines = the direct run's ($(plan_lines "$D" | wc -l) lines)" \
  [ "$(plan_lines "$M")" = "$(plan_lines "$D")" ]
check "merged from 4 shards" [ "$(grep -c '^merged_from\.[1-4],' "$M/meta.csv")" -eq 4 ]
col() { head -n 1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
keys() { # env allocator workload params clock rep status of every row
  local f=$1/cells.csv
  awk -v E="$(col "$f" env)" -v A="$(col "$f" allocator)" -v W="$(col "$f" workload)" \
      -v P="$(col "$f" params)" -v C="$(col "$f" clock)" -v R="$(col "$f" rep)" -v S="$(col "$f" status)" "$AWK_CSV"'
    NR > 1 { split_csv($0); print f[E], f[A], f[W], f[P], f[C], f[R], f[S] }' "$f" | sort
}
check "merged cells.csv: the direct run's (env, allocator, workload, params, clock, rep) keys, 18 rows" \
  [ "$(keys "$M")" = "$(keys "$D")" -a "$(keys "$D" | wc -l)" -eq 18 ]
check "merged cells.csv: every status ok" [ "$(keys "$M" | awk '{print $NF}' | sort -u)" = ok ]
check "merged summary.csv: 6 cells" [ "$(($(wc -l <"$M/summary.csv") - 1))" -eq 6 ]
echo "slurm_test: $PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
