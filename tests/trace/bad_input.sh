#!/usr/bin/env bash
# tests/trace/bad_input.sh — truncated, corrupt and hostile traces and
# mtrace files, bad usage of record and trace: exit status 2 and one line
# on stderr naming the byte offset (the line for mtrace) or the bad value.
. "$(dirname "$0")/../cli/lib.sh"
PROG=${3:?usage: $0 HEAPLAB HEAPLAB_TESTBUILD RECORD_PROG}
cd "$TMP" || exit 1

# usage
expect_usage "missing trace subcommand" "$HL" trace
expect_usage "unknown trace subcommand 'frob'" "$HL" trace frob
expect_usage "missing FILE for trace info" "$HL" trace info
expect_usage "unknown option '--bogus'" "$HL" trace info --bogus x
expect_usage "unexpected argument 'b'" "$HL" trace info a b
expect_usage "needs --mtrace" "$HL" trace import x
expect_usage "missing value for --mtrace" "$HL" trace import --mtrace
expect_usage "cannot read 'nope'" "$HL" trace info nope
expect_usage "'.' is not a regular file" "$HL" trace info .
expect_usage "missing command to record" "$HL" record
expect_usage "missing command to record" "$HL" record -o x.hltrace --
expect_usage "command 'no-such-cmd-xyz' not found" "$HL" record -- no-such-cmd-xyz
expect_usage "unknown option '-x' for record" "$HL" record -x -- true
expect_usage "bad value for -o: '/nonexistent/dir/t'" "$HL" record -o /nonexistent/dir/t -- true
expect_usage "missing value for -o" "$HL" record -o

# a good trace to damage
"$HL" record -o good.hltrace -- "$PROG" single 2>/dev/null || fail "record"
size=$(stat -c %s good.hltrace)
hdr=$(od -An -tu4 -j12 -N4 good.hltrace | tr -d ' ')
poke() { # poke FILE OFFSET BYTE(octal escape)
  printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
: >empty.hltrace
expect_usage "empty.hltrace: byte 0: shorter than the 64-byte header" "$HL" trace info empty.hltrace
head -c 40 good.hltrace >short.hltrace
expect_usage "short.hltrace: byte 40: shorter than the 64-byte header" "$HL" trace info short.hltrace
head -c $((size - 5)) good.hltrace >trunc.hltrace
expect_usage "trunc.hltrace: byte $((size - 5)): file ends before its last op" "$HL" trace info trunc.hltrace
head -c $((hdr - 3)) good.hltrace >meta.hltrace
expect_usage "byte $((hdr - 3)): file ends inside the meta text" "$HL" trace info meta.hltrace
cp good.hltrace magic.hltrace; poke magic.hltrace 0 'X'
expect_usage "magic.hltrace: byte 0: not an op buffer (bad magic)" "$HL" trace info magic.hltrace
cp good.hltrace kind.hltrace; poke kind.hltrace $((hdr + 16 * 2)) '\011'
expect_usage "kind.hltrace: byte $((hdr + 32)): unknown op kind" "$HL" trace ops kind.hltrace
cp good.hltrace sum.hltrace; poke sum.hltrace 33 '\377'
expect_usage "sum.hltrace: byte 32: checksum does not match the ops" "$HL" trace info sum.hltrace
cp good.hltrace nul.hltrace; poke nul.hltrace 66 '\000'
expect_usage "nul.hltrace: byte 66: NUL byte in the meta text" "$HL" trace info nul.hltrace
cp good.hltrace slots.hltrace; poke slots.hltrace 27 '\001'
expect_usage "slots.hltrace: byte 24: slot count above the op count" "$HL" trace info slots.hltrace
# the first free of slot 0 turned into an alloc: into a live slot
cp good.hltrace live.hltrace
for i in $("$HL" trace ops good.hltrace | awk '$2 == "free" && $4 == 0 { print $1; exit }'); do
  poke live.hltrace $((hdr + 16 * i)) '\000'
  expect_usage "live.hltrace: byte $((hdr + 16 * i)): alloc into a live slot" "$HL" trace info live.hltrace
done
# compressed: corrupt data, and a decompression bomb is bounded (4 GiB cap
# not reached here; the corrupt stream is what is tested)
xz -c good.hltrace >good.hltrace.xz
check "xz'd trace reads" "$HL" trace info good.hltrace.xz
head -c 100 good.hltrace.xz >bad.xz
expect_usage "bad.xz: byte" "$HL" trace info bad.xz
printf '\037\213garbage' >bad.gz
expect_usage "corrupt gzip data" "$HL" trace info bad.gz
# arbitrary bytes (deterministic: slices of the heaplab binary), many
# sizes: refused, never a crash
for n in 1 63 64 65 200 4096; do
  tail -c +$((5000 + n)) "$HL" | head -c $n >rand.bin
  expect_usage "rand.bin: byte" "$HL" trace info rand.bin
done

# mtrace
printf '= Start\n+ 0x10 0x5\n- 0x10\nbogus line\n' >m1.txt
expect_usage "m1.txt: line 4: not an mtrace line" "$HL" trace import --mtrace m1.txt -o m1.hltrace
check "no output left behind" [ ! -e m1.hltrace ]
printf '+ 0x10 0x5\n< 0x10\n+ 0x20 0x5\n' >m2.txt
expect_usage "m2.txt: line 3: '<' not followed by '>'" "$HL" trace import --mtrace m2.txt
printf '+ 0x10 0xffffffffffffffff\n' >m3.txt
expect_usage "m3.txt: line 1: size above 2^48 bytes" "$HL" trace import --mtrace m3.txt
tail -c +7777 "$HL" | head -c 3000 >m4.txt
expect_usage "m4.txt: line" "$HL" trace import --mtrace m4.txt
# a trace given to import is not mtrace text
expect_usage "good.hltrace: line 1" "$HL" trace import --mtrace good.hltrace -o x.hltrace

finish
