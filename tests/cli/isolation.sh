#!/usr/bin/env bash
# tests/cli/isolation.sh — a glibc cell's child has no jemalloc mapped and
# its malloc is not jemalloc's; a jemalloc cell's child has malloc from
# libjemalloc (LD_PRELOAD), as each child reports in meta.csv.
. "$(dirname "$0")/lib.sh"

# jemalloc runs where it is installed and the build is not sanitized
# (heaplab list says which); the glibc half is checked everywhere.
JE=,jemalloc
if "$HL" list allocators | grep -Eq '^  jemalloc .*\[(not installed|unavailable)'; then
  echo "isolation: jemalloc cannot run in this build: its half is skipped"
  JE=
fi
mkdir -p "$TMP/r"
check "run exits 0" "$HL" run --env host --out "$TMP/r" --allocators glibc,slab$JE \
  --workloads churn-fixed --ops 200 --reps 1 >/dev/null 2>"$TMP/stderr"
R=$(run_dir "$TMP/r")
meta() { awk -F, -v k="$1" '$1 == k { print $2 }' "$R/meta.csv"; }
check "glibc cell: no libjemalloc mapped" [ "$(meta cell.glibc.jemalloc_mapped)" = no ]
# libc (or the sanitizer runtime that intercepts malloc in asan builds)
check "glibc cell: malloc from libc ($(meta cell.glibc.malloc_object))" \
  bash -c '[[ "$1" == *libc.so* || "$1" == *libasan* ]]' _ "$(meta cell.glibc.malloc_object)"
check "slab cell: no libjemalloc mapped" [ "$(meta cell.slab.jemalloc_mapped)" = no ]
if [ -n "$JE" ]; then
check "jemalloc cell: libjemalloc mapped" [ "$(meta cell.jemalloc.jemalloc_mapped)" = yes ]
check "jemalloc cell: malloc from libjemalloc ($(meta cell.jemalloc.malloc_object))" \
  bash -c '[[ "$1" == *libjemalloc* ]]' _ "$(meta cell.jemalloc.malloc_object)"
check "jemalloc cell ran ok" grep -q ',jemalloc,heap,churn-fixed,.*,0,ok,' "$R/cells.csv"
fi
check "heaplab itself is not linked against jemalloc" bash -c '! ldd "$1" | grep -q jemalloc' _ "$HL"
finish
