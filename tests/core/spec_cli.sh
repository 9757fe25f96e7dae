#!/bin/sh
# `kvstep spec`: the default run's schedule to the value (closed forms in
# the comments), the cells' statuses, CRLF, the refusals and their exit
# statuses, atomic -o, the sampled mode's text.
# usage: spec_cli.sh KVSTEP TESTDIR
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

"$kvstep" spec --export schedule > "$tmp/s.csv"; rc=$?
check "schedule exits 0" [ "$rc" -eq 0 ]
check "schedule: every line ends in CRLF" [ "$(grep -c "$cr\$" "$tmp/s.csv")" -eq "$(wc -l < "$tmp/s.csv")" ]
# The default run (P = 3, N = 3, k = 3): x4 = on from the prefill; the draft
# proposes "the on the" for positions 5..7; the target's argmax at 4..7 is
# "the mat the mat": d1 accepted, d2 rejected, so "the mat" is emitted and
# the caches keep 1..5.
# draft MACs: columns 4, 5, 6 at 5·(2+2+3) + (2+3)·j + 7·3 = 76 + 81 + 86
# target MACs: columns 4..7 at 5·(4+4+3) + (4+3)·j + 7·3 = 4·55 + 7·22 + 4·21
# wasted: columns 6 and 7 = 2·55 + 7·13 + 2·21
printf '%s\n' \
	'iteration,pos,proposed,accepted,emitted,verified,target_keep,draft_keep,draft_macs,target_macs,wasted_macs' \
	'1,4,the on the,1,the mat,the mat the mat,5,5,243,458,243' > "$tmp/want"
cut -d, -f1-11 "$tmp/s.csv" | tr -d '\r' > "$tmp/got"
check "default schedule, exact" cmp -s "$tmp/want" "$tmp/got"
check "run column last" grep -q ",run$cr\$" "$tmp/s.csv"
run=$(sed -n 2p "$tmp/s.csv" | tr -d '\r' | cut -d, -f12)
check "run is kv + 8 hex digits" sh -c "echo '$run' | grep -Eq '^kv[0-9a-f]{8}\$'"

"$kvstep" spec --export schedule -k 2 -n 8 | tr -d '\r' | cut -d, -f1-8 > "$tmp/got"
printf '%s\n' \
	'iteration,pos,proposed,accepted,emitted,verified,target_keep,draft_keep' \
	'1,4,the on,1,the mat,the mat the,5,5' \
	'2,6,on .,0,.,. the .,6,6' \
	'3,7,. .,2,. . .,. . .,9,8' \
	'4,10,. .,1,.,. on on,11,11' > "$tmp/want"
check "k = 2, n = 8: the last iteration cut to N" cmp -s "$tmp/want" "$tmp/got"

"$kvstep" spec --export cells -o "$tmp/c.csv"; rc=$?
check "cells exits 0" [ "$rc" -eq 0 ]
check "cells header" [ "$(head -n 1 "$tmp/c.csv")" = "$(printf 'iteration,model,layer,head,matrix,row,col,value,status,run\r')" ]
count() { tr -d '\r' < "$tmp/c.csv" | awk -F, "$1" | wc -l; }
# target, iteration 1: K and V of keys 1..3 reused, 3·(4+3) cells
check "target reused 21" [ "$(count '$1==1 && $2=="target" && $9=="reused"')" -eq 21 ]
# draft, iteration 1: passes at 4, 5, 6 read keys 1..3, 1..4, 1..5: 12·(2+3)
check "draft reused 60" [ "$(count '$1==1 && $2=="draft" && $9=="reused"')" -eq 60 ]
check "target rolled back only at 6 and 7" [ "$(count '$1==1 && $2=="target" && $9=="rolled_back" && $7!=6 && $7!=7')" -eq 0 ]
# columns 6 and 7: X 5, Q 4, K 4, V 4, Z 3, logits 7 each, S and A 6+7 each
check "target rolled back cells" [ "$(count '$1==1 && $2=="target" && $9=="rolled_back"')" -eq $((2 * (5 + 4 + 4 + 3 + 3 + 7) + 2 * (6 + 7))) ]
# the draft computed 4, 5, 6 and keeps 1..5: column 6 is rolled back
check "draft rolled back only at 6" [ "$(count '$1==1 && $2=="draft" && $9=="rolled_back" && $7!=6')" -eq 0 ]
check "draft rolled back some" [ "$(count '$1==1 && $2=="draft" && $9=="rolled_back"')" -gt 0 ]

"$kvstep" spec --draft "$dir/data/spec-letters.ini" --export schedule > /dev/null 2> "$tmp/err"; rc=$?
check "another vocabulary: exit 65" [ "$rc" -eq 65 ]
check "names both models" grep -q "spec-letters.ini.*default.ini" "$tmp/err"
for bad in "-k 0" "-k 9" "--export rows" "-o x.csv" "--trials 5" "extra"; do
	# shellcheck disable=SC2086
	"$kvstep" spec $bad > /dev/null 2>&1; rc=$?
	check "'spec $bad' is a usage error" [ "$rc" -eq 64 ]
done
"$kvstep" spec --export schedule -o "$tmp/no/such/dir/s.csv" 2> /dev/null; rc=$?
check "missing directory: exit 73" [ "$rc" -eq 73 ]
check "no file left" [ ! -e "$tmp/no/such/dir/s.csv" ]
"$kvstep" spec < /dev/null > "$tmp/o" 2> "$tmp/err"; rc=$?
check "no terminal: exit 64 naming the export" sh -c "[ $rc -eq 64 ] && grep -q 'spec --export schedule' '$tmp/err'"

"$kvstep" spec --sample --seed 3 -n 8 > "$tmp/a"
"$kvstep" spec --sample --seed 3 -n 8 > "$tmp/b"
check "sampled: the same seed, the same text" cmp -s "$tmp/a" "$tmp/b"
check "sampled: 11 words from the vocab" sh -c "head -n 1 '$tmp/a' | awk '{ exit NF != 11 }'"
"$kvstep" spec --sample --trials 2000 --seed 1 > "$tmp/t"
check "trials: a histogram of 7 tokens" [ "$(grep -cE '^(the|cat|dog|sat|on|mat|\.) ' "$tmp/t")" -eq 7 ]
"$kvstep" spec --help | grep -q -- '--draft MODEL'
check "help names --draft" [ $? -eq 0 ]
# Worksheet 6 writes the draft's proposals and some answers out as text;
# they must be what `kvstep spec` computes for the same run.
sheet="$dir/../../worksheets/6-speculative.txt"
"$kvstep" answers "$sheet" > "$tmp/key"; rc=$?
check "sheet 6 key exits 0" [ "$rc" -eq 0 ]
"$kvstep" answers "$sheet" --blank > "$tmp/blank"; rc=$?
check "sheet 6 blank exits 0" [ "$rc" -eq 0 ]
for f in key blank; do
	check "sheet 6 $f: at most 60 lines" [ "$(wc -l < "$tmp/$f")" -le 60 ]
	check "sheet 6 $f: at most 80 columns" [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$tmp/$f")" -le 80 ]
done
row=$(sed -n 2p "$tmp/s.csv" | tr -d '\r')
proposed=$(echo "$row" | cut -d, -f3)
check "sheet 6 proposals are the run's" grep -q "d1 = $(echo "$proposed" | cut -d' ' -f1)     d2 = $(echo "$proposed" | cut -d' ' -f2)     d3 = $(echo "$proposed" | cut -d' ' -f3)\$" "$tmp/key"
check "sheet 6 emitted tokens are the run's" grep -Eq "emits, in order:  $(echo "$row" | cut -d, -f5 | sed 's/ / +/')\$" "$tmp/key"
check "sheet 6 target keeps the run's" grep -q "it keeps 1..$(echo "$row" | cut -d, -f7) *; rolled back:  6, 7" "$tmp/key"
check "sheet 6 wasted MACs are the run's" grep -q "columns 6 and 7:  $(echo "$row" | cut -d, -f11)\$" "$tmp/key"
[ "$fails" -eq 0 ]
