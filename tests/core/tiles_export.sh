#!/bin/sh
# `kvstep export --tiles` (--attention flash): exact rows of a hand-checkable
# model, CRLF, split rows, usage errors (64), no partial file (73), and no S
# or A rows in the cell export of a tiled run.
# usage: tiles_export.sh KVSTEP TESTDIR
set -u
kvstep=$1
model=$2/data/tiled.ini
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$kvstep" export -m "$model" --attention flash --tiles --step 3 --mode cache > "$tmp/t.csv"; rc=$?
check "exits 0" [ "$rc" -eq 0 ]
check "every line ends in CRLF" [ "$(grep -c "$(printf '\r')\$" "$tmp/t.csv")" -eq "$(wc -l < "$tmp/t.csv")" ]
# query 3 (q = 1) over keys k = 0, 1, 1 with v = 1, 1, 2, tiles of 2:
# tile 1: m = 1, l = e^-1 + 1, o = e^-1 + 1; tile 2: α = 1, l + 1, o + 2
printf '%s\n' \
	'step,mode,layer,head,query,tile,key_lo,key_hi,m,l,alpha,kind,part,beta,o1' \
	'3,cache,1,1,3,1,1,2,1,1.3678794411714423,1,tile,1,1,1.3678794411714423' \
	'3,cache,1,1,3,2,3,3,1,2.3678794411714423,1,tile,1,1,3.3678794411714423' > "$tmp/want"
cut -d, -f1-15 "$tmp/t.csv" | tr -d '\r' > "$tmp/got"
check "query 3 by hand" cmp -s "$tmp/want" "$tmp/got"
check "run column last" [ "$(head -n 1 "$tmp/t.csv" | tr -d '\r' | awk -F, '{print $NF}')" = run ]

"$kvstep" export -m "$model" --attention flash --tiles --step 4 --mode cache --split 2 -n 1 | cut -d, -f6-8,12,13 | tr -d '\r' > "$tmp/s"
printf '%s\n' tile,key_lo,key_hi,kind,part 1,1,2,tile,1 ,1,2,merge,1 2,3,4,tile,2 ,3,4,merge,2 > "$tmp/swant"
check "split 2: a partial per part, merged in order" cmp -s "$tmp/swant" "$tmp/s"

"$kvstep" export -m "$model" --attention flash --tile 1 --tiles --step 3 --mode nocache | tail -n +2 | cut -d, -f5,6 | tr -d '\r' | tr '\n' ' ' > "$tmp/n"
check "no cache at step 3: queries 1..3, tiles of 1" [ "$(cat "$tmp/n")" = "1,1 2,1 2,2 3,1 3,2 3,3 " ]

"$kvstep" export -m "$model" --attention flash | cut -d, -f6 | grep -c -E '^(S|A)$' > "$tmp/sa"
check "no S or A rows under the tiled kernel" [ "$(cat "$tmp/sa")" -eq 0 ]
"$kvstep" export -m "$model" | cut -d, -f6 | grep -c -E '^(S|A)$' > "$tmp/sa"
check "S and A rows under the standard kernel" [ "$(cat "$tmp/sa")" -gt 0 ]

for bad in "--tile 0" "--tile 1025" "--split 0" "--attention fast"; do
	# shellcheck disable=SC2086
	"$kvstep" export --attention flash $bad > /dev/null 2> "$tmp/err"; rc=$?
	check "$bad: exit 64" [ "$rc" -eq 64 ]
done
"$kvstep" export --tiles > /dev/null 2> "$tmp/err"; rc=$?
check "--tiles without flash: 64" [ "$rc" -eq 64 ]
check "--tiles without flash: says why" grep -q "attention flash" "$tmp/err"
"$kvstep" answers --attention flash > /dev/null 2> "$tmp/err"; rc=$?
check "answers refuses --attention: 64" [ "$rc" -eq 64 ]
"$kvstep" export --attention flash --tiles -o "$tmp/no/such/dir.csv" 2> /dev/null; rc=$?
check "unwritable output: 73" [ "$rc" -eq 73 ]
check "no partial file" [ ! -e "$tmp/no/such/dir.csv" ]
"$kvstep" export --attention flash --counters --mode cache --step 1 | head -n 1 | tr -d '\r' | grep -q 'cache_reads,score_cells_written,tile_passes,total_score_cells_written,total_tile_passes,token,run'
check "counters of a tiled run" [ $? -eq 0 ]

[ "$fails" -eq 0 ]
