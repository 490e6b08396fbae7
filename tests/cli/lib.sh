# tests/cli/lib.sh — helpers for the CLI tests (sourced).
# Every test script is called as: script.sh HEAPLAB HEAPLAB_TESTBUILD
set -u
HL=${1:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD}
HLT=${2:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
PASSES=0
NAME=$(basename "$0" .sh)

fail() { echo "FAIL [$NAME]: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }
check() { # check DESCRIPTION COMMAND...: pass if the command succeeds
  local what=$1; shift
  if "$@"; then pass; else fail "$what"; fi
}
# check_exit STATUS DESCRIPTION: pass if STATUS is 0.  Write it as
# `check_exit $? "... $(head -c 300 "$TMP/err")"`: $? is expanded before
# the description's command substitution, which would reset it (so
# `check "... $(...)" [ $? -eq 0 ]` tests the substitution, not the run).
check_exit() {
  local st=$1; shift
  if [ "$st" -eq 0 ]; then pass; else fail "$* (exit $st)"; fi
}
# nonempty FILE...: every FILE exists and is not empty.  (Not
# `check "..." [ -s A ] && [ -s B ]`: only the first test is the check's,
# the rest runs after it and its failure is lost.)
nonempty() {
  local f
  for f in "$@"; do [ -s "$f" ] || return 1; done
}

# expect_usage NEEDLE CMD...: exit status 2, exactly one line on stderr
# containing NEEDLE, nothing new in $TMP/out.
expect_usage() {
  local needle=$1; shift
  local before after rc lines
  mkdir -p "$TMP/out"
  before=$(ls -A "$TMP/out" | wc -l)
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  rc=$?
  lines=$(wc -l <"$TMP/stderr")
  after=$(ls -A "$TMP/out" | wc -l)
  if [ "$rc" -ne 2 ]; then
    fail "exit $rc, not 2: $*"
  elif [ "$lines" -ne 1 ]; then
    fail "$lines stderr lines, not 1: $* :: $(head -c 300 "$TMP/stderr")"
  elif ! grep -qF -- "$needle" "$TMP/stderr"; then
    fail "stderr does not name '$needle': $* :: $(cat "$TMP/stderr")"
  elif [ "$before" -ne "$after" ]; then
    fail "a results folder was left behind: $*"
  else
    pass
  fi
}

# The single run folder under DIR.
run_dir() { local d; d=$(ls -d "$1"/*/ 2>/dev/null | head -n 1); echo "${d%/}"; }

# csv_col FILE NAME: the column index (1-based) of NAME in FILE's header.
csv_col() { head -n 1 "$1" | awk -F, -v n="$2" '{for(i=1;i<=NF;i++) if($i==n){print i; exit}}'; }

# An awk program prefix that splits RFC 4180 lines (quoted fields may hold
# commas) into f[1..nf].
. "$(dirname "${BASH_SOURCE[0]}")/awk_csv.sh" # AWK_CSV: split_csv(line) into f[1..nf]

finish() {
  echo "$NAME: $PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
