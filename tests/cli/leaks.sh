#!/usr/bin/env bash
# tests/cli/leaks.sh HEAPLAB HEAPLAB_TESTBUILD — the leak detector
# (bench/core/leak.h, docs/leaks.md) end to end on the host:
#  - a trace whose program never frees two of its blocks (built here with
#    `heaplab trace import --mtrace`): leaks.csv names them as the
#    program's, with their sites (op indexes) and sizes, the first by site,
#    the largest, by size class; cells.log says the same in words; the
#    cells row stays ok (the program's blocks are not the allocator's);
#  - test-leaky (heaplab-testbuild only), which drops every 4th free: the
#    allocator's leak, exact count and bytes, no sites; status failed and
#    the leaks column unchanged in meaning (2);
#  - a clean synthetic cell: zero totals, no leak lines in cells.log.
. "$(dirname "$0")/lib.sh" "$@"
cd "$TMP" || exit 1

# leaks.csv without run_id: env,clock,allocator,...,bytes
leak_rows() { cut -d, -f2- "$1"; }

# ---- a program leak: two blocks its trace never frees --------------------------------
# op 0: + 100  op 1: + 1000  op 2: + 32  op 3: - op1  op 4: + 5000  op 5: - op0
printf '= Start
@ ./p:[0x401000] + 0x1000 0x64
@ ./p:[0x401000] + 0x2000 0x3e8
@ ./p:[0x401000] + 0x3000 0x20
@ ./p:[0x401000] - 0x2000
@ ./p:[0x401000] + 0x4000 0x1388
@ ./p:[0x401000] - 0x1000
= End
' >leaky.txt
"$HL" trace import --mtrace leaky.txt -o leaky.hltrace 2>/dev/null
check "the leaky trace imported" [ -s leaky.hltrace ]
"$HL" trace info leaky.hltrace >info.txt
check "trace info: never freed 5032 bytes, 2 blocks" grep -q "^never freed *5032 bytes, 2 blocks" info.txt

"$HL" run --env host --clock tsc --reps 2 --launches 1 --min-time 0 \
  --workloads "trace:$TMP/leaky.hltrace" --allocators tlsf --out "$TMP/p" >p.out 2>p.err
check_exit $? "a run on the leaky trace exits 0 ($(head -c 300 p.err))"
P=$(run_dir "$TMP/p")
check "leaks.csv exists" [ -s "$P/leaks.csv" ]
check "leaks.csv's header" [ "$(head -n 1 "$P/leaks.csv")" = \
  "run_id,env,clock,allocator,alloc_params,workload,params,sweep,seed,launch,kind,owner,site,thread,size_bytes,count,bytes" ]
params=$(awk "$AWK_CSV"'NR == 2 { split_csv($0); print f[7] }' "$P/leaks.csv")
key="host,tsc,tlsf,,trace:leaky,\"$params\",,1,0"
want="$key,total,program,,,,2,5032
$key,total,allocator,,,,0,0
$key,first,program,2,0,32,1,32
$key,first,program,4,0,5000,1,5000
$key,largest,program,4,0,5000,1,5000
$key,largest,program,2,0,32,1,32
$key,class,program,,,32,1,32
$key,class,program,,,8192,1,5000"
got=$(tail -n +2 "$P/leaks.csv" | leak_rows /dev/stdin)
check "leaks.csv: the program's two leaks, sites 2 and 4, 32 and 5000 bytes, once per launch :: $got" \
  [ "$got" = "$want" ]
check "cells.log: the program's total" \
  grep -qF "leaks host tlsf x trace:leaky launch 0: program total: 2 blocks, 5032 bytes" "$P/cells.log"
check "cells.log: the first leak by site" \
  grep -qF "leaks host tlsf x trace:leaky launch 0: program first: site 2 thread 0, 32 bytes" "$P/cells.log"
check "cells.log: the largest leak" \
  grep -qF "leaks host tlsf x trace:leaky launch 0: program largest: site 4 thread 0, 5000 bytes" "$P/cells.log"
check "cells.log: a size class" \
  grep -qF "program class: <= 8192 bytes: 1 blocks, 5000 bytes" "$P/cells.log"
check "cells.log: no allocator leak line" [ -z "$(grep 'allocator total' "$P/cells.log")" ]
st=$(csv_col "$P/cells.csv" status); lk=$(csv_col "$P/cells.csv" leaks)
cells=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); print f['"$st"'], f['"$lk"'] }' "$P/cells.csv" | sort -u)
check "cells.csv: status ok, the leaks column still counts the program's 2 :: $cells" \
  [ "$cells" = "ok 2" ]

# ---- an allocator leak: test-leaky drops frees 4 and 8 of lifo's 10 ---------------------
"$HLT" run --env host --clock tsc --reps 1 --launches 2 --min-time 0 --workloads lifo \
  --params lifo:n=10,min=64,max=64 --allocators test-leaky --out "$TMP/a" >a.out 2>a.err
check_exit $? "a run of test-leaky exits 0 ($(head -c 300 a.err))"
A=$(run_dir "$TMP/a")
got=$(tail -n +2 "$A/leaks.csv" | leak_rows /dev/stdin | sort)
want='host,tsc,test-leaky,,lifo,"n=10,min=64,max=64",,1,0,total,allocator,,,,2,128
host,tsc,test-leaky,,lifo,"n=10,min=64,max=64",,1,0,total,harness,,,,0,0
host,tsc,test-leaky,,lifo,"n=10,min=64,max=64",,1,1,total,allocator,,,,2,128
host,tsc,test-leaky,,lifo,"n=10,min=64,max=64",,1,1,total,harness,,,,0,0'
check "leaks.csv: the allocator's 2 blocks, 128 bytes, per launch; the harness's none :: $got" \
  [ "$got" = "$want" ]
check "cells.log: the allocator's leak in words" grep -qF \
  "leaks host test-leaky x lifo launch 1: allocator total: 2 blocks, 128 bytes (still live in the allocator's own count" \
  "$A/cells.log"
st=$(csv_col "$A/cells.csv" status); lk=$(csv_col "$A/cells.csv" leaks)
cells=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); print f['"$st"'], f['"$lk"'] }' "$A/cells.csv" | sort -u)
check "cells.csv: status failed, leaks 2 :: $cells" [ "$cells" = "failed 2" ]

# ---- a clean cell -------------------------------------------------------------------------
"$HL" run --env host --clock tsc --reps 1 --launches 1 --min-time 0 --workloads fifo \
  --params fifo:n=50 --allocators tlsf --out "$TMP/c" >c.out 2>c.err
check_exit $? "a clean run exits 0 ($(head -c 300 c.err))"
C=$(run_dir "$TMP/c")
got=$(awk "$AWK_CSV"'NR > 1 { split_csv($0); o = f[11]; for (i = 12; i <= nf; i++) o = o "," f[i]; print o }' "$C/leaks.csv" | sort)
check "leaks.csv: zero totals only :: $got" \
  [ "$got" = "$(printf 'total,allocator,,,,0,0\ntotal,harness,,,,0,0')" ]
check "cells.log: no leak lines" [ -z "$(grep '  leaks ' "$C/cells.log")" ]

finish
