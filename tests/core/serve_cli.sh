#!/bin/sh
# `kvstep serve`: the bundled scenario's schedule to the row (its shape
# depends on prompts and sizes only; each token is checked against the
# request's solo run instead), the hand-written scenario's schedule in
# full (its own model), the blocks and cells exports read back by Python's
# csv module, every cell value equal to the solo cache-mode export's
# (as text, %.17g both), refusals with their exit statuses, atomic -o.
# usage: serve_cli.sh KVSTEP TESTDIR
set -u
kvstep=$1
dir=$2
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cr=$(printf '\r')

"$kvstep" serve --export schedule > "$tmp/s.csv"; rc=$?
check "schedule exits 0" [ "$rc" -eq 0 ]
check "schedule: every line ends in CRLF" [ "$(grep -c "$cr\$" "$tmp/s.csv")" -eq "$(wc -l < "$tmp/s.csv")" ]
# default: A (the cat sat, 3) from 1, B (the cat dog sat, 2) from 2, C
# (dog sat on, 2) from 3; budget 4, blocks of 2. B adopts A's block 1
# ("the cat") and prefills 3-4; in 3 the decodes of A and B go first and
# C gets the 2 positions left; A and B finish in 3, C in 5.
printf '%s\n' \
	'iteration,request,phase,lo,hi,budget,reused,held' \
	'1,A,prefill,1,3,3,0,3' \
	'2,A,decode,4,4,1,0,4' \
	'2,B,prefill,3,4,2,2,4' \
	'3,A,decode,5,5,1,0,5' \
	'3,B,decode,5,5,1,0,5' \
	'3,C,prefill,1,2,2,0,2' \
	'4,C,prefill,3,3,1,0,3' \
	'5,C,decode,4,4,1,0,4' > "$tmp/want"
tr -d '\r' < "$tmp/s.csv" | cut -d, -f1-5,7-9 > "$tmp/got"
check "default schedule, exact" cmp -s "$tmp/want" "$tmp/got"
# each token equals the solo run's prediction at hi (cache mode, --counters)
solo_token() { # solo_token PROMPT N STEP
	"$kvstep" -p "$1" -n "$2" export --counters | tr -d '\r' |
		awk -F, -v s="$3" '$1 == s && $2 == "cache" { print $19 }'
}
tok_ok=1
while IFS=, read -r it req phase lo hi token rest; do
	[ -n "$token" ] || continue
	case $req in
	A) p="the cat sat"; n=3 ;;
	B) p="the cat dog sat"; n=2 ;;
	C) p="dog sat on"; n=2 ;;
	esac
	[ "$(solo_token "$p" "$n" "$hi")" = "$token" ] || { echo "# $it $req $hi: $token"; tok_ok=0; }
done <<EOT
$(tr -d '\r' < "$tmp/s.csv" | tail -n +2)
EOT
check "default schedule: each token is the solo run's" [ "$tok_ok" -eq 1 ]
check "default schedule: 7 tokens in all" [ "$(tr -d '\r' < "$tmp/s.csv" | awk -F, 'NR > 1 && $6 != ""' | wc -l)" -eq 7 ]

"$kvstep" serve "$dir/data/serve-hand.ini" --export schedule | tr -d '\r' > "$tmp/h.csv"
check "hand-written scenario: schedule, exact" cmp -s "$dir/data/serve-hand.schedule.csv" "$tmp/h.csv"
check "hand-written scenario: P4 preempted in 5" grep -qx '5,P4,preempted,,,,0,0,0' "$tmp/h.csv"

"$kvstep" serve --batching static --export schedule | tr -d '\r' | cut -d, -f1-5 > "$tmp/got"
printf '%s\n' 'iteration,request,phase,lo,hi' \
	'1,A,prefill,1,3' '2,A,decode,4,4' '2,B,waiting,,' '3,A,decode,5,5' \
	'3,B,waiting,,' '3,C,waiting,,' '4,B,prefill,3,4' '4,C,prefill,1,2' \
	'5,B,decode,5,5' '5,C,prefill,3,3' '6,C,decode,4,4' > "$tmp/want"
check "--batching static: batch {A}, then {B, C}" cmp -s "$tmp/want" "$tmp/got"

"$kvstep" serve tight --export schedule | tr -d '\r' | cut -d, -f1-5 > "$tmp/got"
printf '%s\n' 'iteration,request,phase,lo,hi' \
	'1,A,prefill,1,3' '2,A,decode,4,4' '2,B,prefill,1,3' '3,A,decode,5,5' \
	'3,B,preempted,,' '4,B,prefill,1,4' '5,B,decode,5,5' > "$tmp/want"
check "tight: B preempted in 3, recomputed in 4" cmp -s "$tmp/want" "$tmp/got"

# blocks: B's logical block 1 is A's physical block 1, shared, in 2 and 3
"$kvstep" serve --export blocks -o "$tmp/b.csv"; rc=$?
check "blocks exits 0" [ "$rc" -eq 0 ]
check "blocks header" [ "$(head -n 1 "$tmp/b.csv")" = "$(printf 'iteration,request,logical,physical,refcount,filled,state,shared\r')" ]
check "blocks: B shares A's block 1" [ "$(tr -d '\r' < "$tmp/b.csv" | grep -c '^[23],[AB],1,1,2,2,used,yes$')" -eq 4 ]
check "blocks: nothing else shared" [ "$(tr -d '\r' < "$tmp/b.csv" | grep -c ',yes$')" -eq 4 ]

# cells, read back with Python's csv module; every value equals the solo
# cache-mode export's cell of the same layer, head, matrix, row and col
"$kvstep" serve --export cells -o "$tmp/c.csv"; rc=$?
check "cells exits 0" [ "$rc" -eq 0 ]
for r in A:"the cat sat":3 B:"the cat dog sat":2 C:"dog sat on":2; do
	name=${r%%:*}; rest=${r#*:}; p=${rest%:*}; n=${rest##*:}
	"$kvstep" -p "$p" -n "$n" export --mode cache -o "$tmp/solo-$name.csv"
done
python3 - "$tmp" > "$tmp/py.out" 2>&1 <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/c.csv", newline="")))
solo = {}
for n in "ABC":
    for r in csv.DictReader(open(d + "/solo-%s.csv" % n, newline="")):
        if r["value"] != "":
            solo[(n, r["layer"], r["head"], r["matrix"], r["row"], r["col"])] = r["value"]
bad = [r for r in rows if solo.get((r["request"], r["layer"], r["head"], r["matrix"], r["row"], r["col"])) != r["value"]]
print("rows", len(rows), "bad", len(bad))
reusedB = [r for r in rows if r["request"] == "B" and r["status"] == "reused"]
print("reusedB", len(reusedB), sorted({(r["matrix"], r["col"], r["block"], r["slot"]) for r in reusedB}))
print("statuses", sorted({r["status"] for r in rows}))
PY
check "cells: every value is the solo run's" grep -q ' bad 0$' "$tmp/py.out"
# B reuses K and V (d_k 4 + d_v 3) of positions 1, 2 in block 1
check "cells: B reuses 14 cells of block 1" grep -qx "reusedB 14 \[('K', '1', '1', '1'), ('K', '2', '1', '2'), ('V', '1', '1', '1'), ('V', '2', '1', '2')\]" "$tmp/py.out"
"$kvstep" serve tight --export cells | tr -d '\r' | awk -F, '$9 == "recomputed"' | cut -d, -f1,2,7 | sort -u > "$tmp/got"
printf '%s\n' '4,B,1' '4,B,2' '4,B,3' > "$tmp/want"
check "tight cells: B's positions 1-3 recomputed in 4" cmp -s "$tmp/want" "$tmp/got"

"$kvstep" serve --summary > "$tmp/sum.txt"; rc=$?
check "summary exits 0" [ "$rc" -eq 0 ]
check "summary: comparison" grep -q '^iterations  *5  *6$' "$tmp/sum.txt"
check "summary: padding" grep -q '^padding  *0  *1$' "$tmp/sum.txt"
check "summary: finish C" grep -q '^finish C  *5  *6$' "$tmp/sum.txt"

# refusals
"$kvstep" serve nosuch --summary 2> "$tmp/err"; rc=$?
check "unknown bundled scenario: 66" [ "$rc" -eq 66 ]
check "unknown bundled scenario: message" grep -qx "kvstep: nosuch: not a bundled scenario (default, tight); to read a file, give a path such as ./nosuch" "$tmp/err"
printf '[serve]\nblock_size = 2\nblocks = 4\nmax_tokens = 0\n[request A]\nprompt = the\ngenerate = 1\n' > "$tmp/bad.ini"
"$kvstep" serve "$tmp/bad.ini" --summary 2> "$tmp/err"; rc=$?
check "zero max_tokens: 65" [ "$rc" -eq 65 ]
check "zero max_tokens: file:line" grep -qx "kvstep: $tmp/bad.ini:4: max_tokens = 0 is outside the limits 1..1024" "$tmp/err"
"$kvstep" serve "$tmp/missing.ini" 2> "$tmp/err"; rc=$?
check "missing file: 66" [ "$rc" -eq 66 ]
"$kvstep" serve --batching dynamic 2> "$tmp/err"; rc=$?
check "--batching dynamic: 64" [ "$rc" -eq 64 ]
check "--batching dynamic: message" grep -qx "kvstep: serve: --batching expects continuous or static, got 'dynamic'" "$tmp/err"
"$kvstep" serve --export rows 2> /dev/null; rc=$?
check "--export rows: 64" [ "$rc" -eq 64 ]
"$kvstep" serve -o "$tmp/x.csv" 2> /dev/null; rc=$?
check "-o without --export: 64" [ "$rc" -eq 64 ]
"$kvstep" serve default tight --summary 2> /dev/null; rc=$?
check "two scenarios: 64" [ "$rc" -eq 64 ]
"$kvstep" serve --export cells -o "$tmp/nodir/c.csv" 2> /dev/null; rc=$?
check "-o in a missing directory: 73" [ "$rc" -eq 73 ]
"$kvstep" serve --export schedule -o /dev/full 2> /dev/null; rc=$?
check "-o /dev/full: 74" [ "$rc" -eq 74 ]
check "no temporary file left" [ "$(ls "$tmp" | grep -c '^\.\|tmp')" -eq 0 ]
"$kvstep" serve --help > "$tmp/help"; rc=$?
check "--help exits 0" [ "$rc" -eq 0 ]
check "--help names the exports" grep -q 'schedule, blocks or cells' "$tmp/help"
"$kvstep" --help | grep -q 'kvstep serve'
check "kvstep --help lists serve" [ $? -eq 0 ]
"$kvstep" -n 2 serve 2> "$tmp/err"; rc=$?
check "serve after options: 64" [ "$rc" -eq 64 ]

echo "1..$(grep -c '^check ' "$0")"
exit "$fails"
