# tests/gbench/lib.sh — helpers for the heaplab-micro tests (sourced).
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-gbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
PASSES=0
NAME=$(basename "$0" .sh)
HERE=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAIL [$NAME]: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }

# expect_rc RC DESCRIPTION CMD...: the command exits with RC (its output
# goes to $TMP/stdout and $TMP/stderr).
expect_rc() {
  local want=$1 what=$2 rc
  shift 2
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  rc=$?
  if [ "$rc" -eq "$want" ]; then
    pass
  else
    fail "$what: exit $rc, not $want: $* :: $(tail -c 600 "$TMP/stderr")"
  fi
}

# find_python MODULE...: the first python3 (PATH, then the system's) that
# imports every MODULE; empty if none.
find_python() {
  local py mods
  mods=$(IFS=,; echo "$*")
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c "import $mods" >/dev/null 2>&1; then
      command -v "$py"
      return
    fi
  done
}

finish() {
  echo "$NAME: $PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
