#!/bin/sh
# End to end: --kv-quant from the real binary.
# usage: kv_quant.sh KVSTEP
set -u
kvstep=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
usage() { # usage NAME ARGS...: exit 64 with a kvstep: message
	name=$1; shift
	"$kvstep" "$@" > "$work/out" 2> "$work/err"; rc=$?
	check "$name: exit 64" [ "$rc" -eq 64 ]
	check "$name: message" grep -q '^kvstep: ' "$work/err"
	check "$name: no output" [ ! -s "$work/out" ]
}
usage "int3" export --kv-quant int3
usage "empty" export --kv-quant ''
usage "group 0" export --kv-quant int8 --kv-group 0
usage "group 65" export --kv-quant int8 --kv-group 65
usage "group word" export --kv-quant int8 --kv-group two
usage "residual < group" export --kv-quant int8 --kv-group 3 --kv-residual 2
usage "residual < default group" export --kv-quant int8 --kv-residual 1
usage "group without quant" export --kv-group 2
usage "residual without quant" export --kv-residual 2
usage "with flash" export --kv-quant int4 --attention flash
usage "not in answers" answers --kv-quant int4
usage "residual past a window" export -m local-global --kv-quant int8 --kv-residual 9
# without --kv-residual the residual is G: the message names --kv-group
usage "default residual past a window" export -m local-global --kv-quant int4 --kv-group 3
check "default residual past a window: names the group" [ "$(cat "$work/err")" = \
	"kvstep: --kv-group 3: the residual (default: the group, 3) is longer than the window 2 of layer 1; give --kv-group 2 or less" ]
usage "given residual past a window" export -m local-global --kv-quant int4 --kv-group 3 --kv-residual 3
check "given residual past a window: names the residual" [ "$(cat "$work/err")" = \
	"kvstep: --kv-residual 3 is longer than the window 2 of layer 1" ]
usage "residual 129" export --kv-quant int8 --kv-residual 129
check "residual 129: the range the docs give" [ "$(cat "$work/err")" = \
	"kvstep: --kv-residual expects a whole number from G (the group) to 128, got '129'" ]

# the no-cache rows are the run without --kv-quant, but for the run column
strip() { sed 's/,kv[0-9a-f]\{8\}\r$//'; }
"$kvstep" export -n 5 | strip | grep '^[0-9]*,nocache,' > "$work/plain"
"$kvstep" export -n 5 --kv-quant int4 --kv-group 3 | strip | grep '^[0-9]*,nocache,' > "$work/quant"
check "nocache rows unchanged" cmp -s "$work/plain" "$work/quant"
check "nocache rows there" [ "$(wc -l < "$work/plain")" -gt 100 ]
"$kvstep" export -n 5 --kv-quant int4 --kv-group 3 > "$work/q.csv"
check "Kq rows for the cache modes" grep -q '^5,cache,5,1,1,Kq,1,1,' "$work/q.csv"
check "no Kq rows in nocache" [ "$(grep -c '^[0-9]*,nocache,[0-9]*,[0-9]*,[0-9]*,[KV]q,' "$work/q.csv")" -eq 0 ]
# the run column changes with the settings
r1=$(sed -n 2p "$work/q.csv" | sed 's/.*,\(kv[0-9a-f]*\)\r$/\1/')
r2=$("$kvstep" export -n 5 --kv-quant int8 --kv-group 3 | sed -n 2p | sed 's/.*,\(kv[0-9a-f]*\)\r$/\1/')
check "fingerprint depends on the bits" [ "$r1" != "$r2" ]
# counters: the drift columns
"$kvstep" export -n 5 --kv-quant int4 --kv-group 3 --counters > "$work/c.csv"
check "counters header" grep -q 'err_K,err_V,err_S,err_A,err_Z,err_logits,token_changes,token,run' "$work/c.csv"
check "nocache drift empty" grep -q '^4,nocache,.*,,,,,,,,' "$work/c.csv"
check "cache drift yes/no" grep -q '^4,cache,.*,\(yes\|no\),[^,]*,kv' "$work/c.csv"
"$kvstep" export -n 5 --counters > "$work/c0.csv"
check "plain counters keep their header" [ "$(head -n 1 "$work/c0.csv")" = "$(printf 'step,mode,pass,macs,macs_proj,macs_scores,macs_av,macs_logits,exps,recomputed_macs,cache_cells,cache_bytes,cache_reads,passes,total_macs,total_exps,total_recomputed_macs,total_cache_reads,token,run\r')" ]
# grading: a quantised key grades itself fully, and refuses a plain run
"$kvstep" export -n 2 --kv-quant int4 --kv-group 3 > "$work/k.csv"
"$kvstep" grade "$work/k.csv" "$work/k.csv" > "$work/g.txt"; rc=$?
check "grade: the key against itself exits 0" [ "$rc" -eq 0 ]
check "grade: Kq and Vq are graded" grep -q 'Kq 132/132, Vq 99/99' "$work/g.txt"
"$kvstep" export -n 2 > "$work/p.csv"
"$kvstep" grade "$work/k.csv" "$work/p.csv" > "$work/g2.txt" 2>&1
check "grade: a plain run is another run" grep -q 'made for another run' "$work/g2.txt"
[ "$fails" -eq 0 ]
