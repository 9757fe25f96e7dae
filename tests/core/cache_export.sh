#!/bin/sh
# `kvstep export --cache`: exact rows, CRLF, filters, and no rows for the
# no-cache mode. The run column is cut off (it fingerprints the weights).
# usage: cache_export.sh KVSTEP
set -u
kvstep=$1
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$kvstep" export --cache --step 4 > "$tmp/d.csv"; rc=$?
check "exits 0" [ "$rc" -eq 0 ]
check "header" [ "$(head -n 1 "$tmp/d.csv")" = "$(printf 'step,mode,layer,kv_head,pos,block,slot,status,run\r')" ]
check "every line ends in CRLF" [ "$(grep -c "$(printf '\r')\$" "$tmp/d.csv")" -eq "$(wc -l < "$tmp/d.csv")" ]
printf '%s\n' \
	'step,mode,layer,kv_head,pos,block,slot,status' \
	'4,cache,1,1,1,1,1,reused' '4,cache,1,1,2,1,2,reused' \
	'4,cache,1,1,3,1,3,reused' '4,cache,1,1,4,1,4,computed' \
	'4,prefill,1,1,1,1,1,reused' '4,prefill,1,1,2,1,2,reused' \
	'4,prefill,1,1,3,1,3,reused' '4,prefill,1,1,4,1,4,computed' > "$tmp/want"
cut -d, -f1-8 "$tmp/d.csv" | tr -d '\r' > "$tmp/got"
check "default model at step 4" cmp -s "$tmp/want" "$tmp/got"

"$kvstep" export --cache --mode nocache > "$tmp/n.csv"
check "no cache mode: header only" [ "$(wc -l < "$tmp/n.csv")" -eq 1 ]

# prefill shows its pass 1 at steps 1..P (P = 3): all computed
"$kvstep" export --cache --mode prefill --step 2 | cut -d, -f1-8 | tr -d '\r' > "$tmp/got"
printf '%s\n' 'step,mode,layer,kv_head,pos,block,slot,status' \
	'2,prefill,1,1,1,1,1,computed' '2,prefill,1,1,2,1,2,computed' \
	'2,prefill,1,1,3,1,3,computed' > "$tmp/want"
check "prefill at step 2 is its pass 1" cmp -s "$tmp/want" "$tmp/got"

# local-global: layers 1-2 are rings of W = 2, layer 3 is global
"$kvstep" export --cache -m local-global --mode cache --step 5 | cut -d, -f1-8 | tr -d '\r' | grep ',1,[0-9]*,[0-9,]*[a-z]*$' > "$tmp/got"
printf '%s\n' \
	'5,cache,1,1,1,,,evicted' '5,cache,1,1,2,,,evicted' '5,cache,1,1,3,,,evicted' \
	'5,cache,1,1,4,1,2,reused' '5,cache,1,1,5,1,1,computed' \
	'5,cache,2,1,1,,,evicted' '5,cache,2,1,2,,,evicted' '5,cache,2,1,3,,,evicted' \
	'5,cache,2,1,4,1,2,reused' '5,cache,2,1,5,1,1,computed' \
	'5,cache,3,1,1,1,1,reused' '5,cache,3,1,2,1,2,reused' '5,cache,3,1,3,1,3,reused' \
	'5,cache,3,1,4,1,4,reused' '5,cache,3,1,5,1,5,computed' > "$tmp/want"
check "local-global ring slots at step 5" cmp -s "$tmp/want" "$tmp/got"

# streaming: layers 1-2 pin position 1 (slot 1) next to a ring of W = 2
# (slots 2-3); the pinned column is never evicted
"$kvstep" export --cache -m streaming --mode cache --step 8 | cut -d, -f1-8 | tr -d '\r' | grep '^8,cache,[12],' > "$tmp/got"
printf '%s\n' \
	'8,cache,1,1,1,1,1,pinned' '8,cache,1,1,2,,,evicted' '8,cache,1,1,3,,,evicted' \
	'8,cache,1,1,4,,,evicted' '8,cache,1,1,5,,,evicted' '8,cache,1,1,6,,,evicted' \
	'8,cache,1,1,7,1,3,reused' '8,cache,1,1,8,1,2,computed' \
	'8,cache,2,1,1,1,1,pinned' '8,cache,2,1,2,,,evicted' '8,cache,2,1,3,,,evicted' \
	'8,cache,2,1,4,,,evicted' '8,cache,2,1,5,,,evicted' '8,cache,2,1,6,,,evicted' \
	'8,cache,2,1,7,1,3,reused' '8,cache,2,1,8,1,2,computed' > "$tmp/want"
check "streaming: pinned position 1 at step 8" cmp -s "$tmp/want" "$tmp/got"
# at step 1 the pinned column is new: computed; prefill's pass 1 at step 5
"$kvstep" export --cache -m streaming --mode cache --step 1 | cut -d, -f1-8 | tr -d '\r' | grep '^1,cache,1,' > "$tmp/got"
printf '%s\n' '1,cache,1,1,1,1,1,computed' > "$tmp/want"
check "streaming: pinned column computed at step 1" cmp -s "$tmp/want" "$tmp/got"
"$kvstep" export --cache -m streaming --mode prefill --step 6 | cut -d, -f1-8 | tr -d '\r' | grep '^6,prefill,1,' > "$tmp/got"
printf '%s\n' '6,prefill,1,1,1,1,1,pinned' '6,prefill,1,1,2,,,evicted' \
	'6,prefill,1,1,3,,,evicted' '6,prefill,1,1,4,,,evicted' \
	'6,prefill,1,1,5,1,3,reused' '6,prefill,1,1,6,1,2,computed' > "$tmp/want"
check "streaming: prefill at step 6" cmp -s "$tmp/want" "$tmp/got"

# its S column 8 in layer 1: key 1 pinned, keys 2-6 masked (the gap), 7-8
"$kvstep" export -m streaming --mode cache --step 8 | cut -d, -f1-10 | tr -d '\r' | grep '^8,cache,8,1,1,S,' > "$tmp/got"
printf '%s\n' '8,cache,8,1,1,S,1,8,1.414213562373095,computed' \
	'8,cache,8,1,1,S,2,8,,masked' '8,cache,8,1,1,S,3,8,,masked' \
	'8,cache,8,1,1,S,4,8,,masked' '8,cache,8,1,1,S,5,8,,masked' \
	'8,cache,8,1,1,S,6,8,,masked' '8,cache,8,1,1,S,7,8,-2.82842712474619,computed' \
	'8,cache,8,1,1,S,8,8,2.82842712474619,computed' > "$tmp/want"
check "streaming: S column 8 has the masked gap" cmp -s "$tmp/want" "$tmp/got"

# a bad sink_tokens: file:line and exit 65, no output
printf '[model]\nvocab = a\nd_model = 1\nd_k = 1\nd_v = 1\nprompt = a\nsink_tokens = 2\n[embedding]\na = 1\n' > "$tmp/bad.ini"
"$kvstep" export --cache -m "$tmp/bad.ini" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "sink_tokens without a window is 65" [ "$rc" -eq 65 ]
check "and names file:line" grep -q "^kvstep: $tmp/bad.ini:7: sink_tokens pins positions of a sliding-window cache" "$tmp/err"
check "and writes nothing" [ ! -s "$tmp/out" ]
printf '[model]\nvocab = a\nd_model = 1\nd_k = 1\nd_v = 1\nprompt = a\nwindow = 2\nsink_tokens = -3\n[embedding]\na = 1\n' > "$tmp/bad.ini"
"$kvstep" export --cache -m "$tmp/bad.ini" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "negative sink_tokens is 65" [ "$rc" -eq 65 ]
check "and names file:line" grep -q "^kvstep: $tmp/bad.ini:8: sink_tokens: '-3' (value 1 of the list) is not a whole number 0..1024 of pinned first positions" "$tmp/err"

"$kvstep" export --cache --counters > /dev/null 2> "$tmp/err"; rc=$?
check "--cache with --counters is 64" [ "$rc" -eq 64 ]
check "and says why" grep -q "^kvstep: --cache goes with --mode and --step" "$tmp/err"

if [ "$fails" -ne 0 ]; then echo "$fails failed"; exit 1; fi
exit 0
