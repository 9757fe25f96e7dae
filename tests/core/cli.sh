#!/bin/sh
# End to end: the real binary, run from an empty directory, as a user would.
# usage: cli.sh KVSTEP SRCDIR
set -u
abspath() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
kvstep=$(abspath "$1")
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}

# export works with no files around; header, CRLF, row count
"$kvstep" export > trace.csv; rc=$?
check "export exits 0" [ "$rc" -eq 0 ]
check "header" [ "$(head -n 1 trace.csv)" = "$(printf 'step,mode,pass,layer,head,matrix,row,col,value,status,run\r')" ]
check "every line ends in CRLF" [ "$(grep -c "$(printf '\r')\$" trace.csv)" -eq "$(wc -l < trace.csv)" ]
# rows: X Q K V S A Z logits held per step and mode (worked out in the
# test comment of tests/core/test_engine.c): 1364 cells + the header
check "row count" [ "$(wc -l < trace.csv)" -eq 1365 ]
check "S[2,3] at step 3 is -1" grep -q "^3,nocache,3,1,1,S,2,3,-1,computed" trace.csv
check "masked cell has an empty value" grep -q "^3,nocache,3,1,1,S,3,2,,masked" trace.csv
check "reused K in the cache" grep -q "^4,cache,4,1,1,K,1,1,-2,reused" trace.csv

# counters
"$kvstep" export --counters > c.csv
check "counters row" grep -q "^6,nocache,6,498,330,84,63,21,21,380,0,0,0,6,1673,56,1070,0,\\.,kv[0-9a-f]\{8\}$(printf '\r')\$" c.csv

# -o writes the same bytes atomically
"$kvstep" export -o out.csv
check "export -o" cmp -s out.csv trace.csv
check "no temporary left" [ "$(ls | grep -c tmp)" -eq 0 ]

# -p and -n
"$kvstep" -p "the dog sat" -n 1 export --counters --mode cache > d.csv
check "prompt override" [ "$(wc -l < d.csv)" -eq 5 ]

# errors: usage 64, bad data 65, missing input 66, cannot create 73, I/O 74
"$kvstep" --frobnicate 2> err.txt; rc=$?
check "unknown option is 64" [ "$rc" -eq 64 ]
check "unknown option message" grep -q "^kvstep: unknown option '--frobnicate'" err.txt
"$kvstep" -p "the bird" export > /dev/null 2> err.txt; rc=$?
check "unknown prompt word is 64" [ "$rc" -eq 64 ]
check "unknown prompt word message" grep -q "prompt word 'bird' is not in the vocab" err.txt
sed 's/^row =  0  0  2  2  0$/row = 0 0 2 2/' "$src/../../data/default.ini" > bad.ini
"$kvstep" -m bad.ini export > /dev/null 2> err.txt; rc=$?
check "short row is 65" [ "$rc" -eq 65 ]
check "short row names file:line" grep -q "^kvstep: bad.ini:43: \[W_V\] row 1 has 4 values, expected 5 (d_model)" err.txt
"$kvstep" -m nothere.ini export > /dev/null 2> err.txt; rc=$?
check "missing model is 66" [ "$rc" -eq 66 ]
"$kvstep" export -o no/such/dir/t.csv 2> err.txt; rc=$?
check "missing directory is 73" [ "$rc" -eq 73 ]
echo keep > keep.csv
"$kvstep" -m bad.ini export -o keep.csv 2> /dev/null
check "failed export leaves the old file" [ "$(cat keep.csv)" = keep ]
if [ -w /dev/full ]; then
	"$kvstep" export > /dev/full 2> err.txt; rc=$?
	check "/dev/full is an I/O error" [ "$rc" -eq 74 ]
fi
"$kvstep" export --step 7 > /dev/null 2> err.txt; rc=$?
check "step past the run is 64" [ "$rc" -eq 64 ]
check "step past the run message" grep -q "^kvstep: --step 7 is past the last step of this run (6)" err.txt
"$kvstep" export --blank --mode cache --step 2 --matrix S > b.csv
run=$(sed -n 2p b.csv | cut -d, -f11 | tr -d '\r')
check "run fingerprint is 8 hex digits" expr "$run" : 'kv[0-9a-f]\{8\}$'
check "blank copy drops masked cells, keeps rows" [ "$(cat b.csv | tr -d '\r')" = "$(printf 'step,mode,pass,layer,head,matrix,row,col,value,status,run\n2,cache,2,1,1,S,1,2,,computed,%s\n2,cache,2,1,1,S,2,2,,computed,%s' "$run" "$run")" ]
"$kvstep" -m local-global export --counters --mode cache --step 6 > lg.csv
check "bundled model by name" grep -q "^6,cache,6,252,144,40,40,28,20,0,40,160,28,6,1376,86,0,100,dog" lg.csv
"$kvstep" -m gqb export > /dev/null 2> err.txt; rc=$?
check "unknown bundled model is 66" [ "$rc" -eq 66 ]
check "unknown bundled model names them" grep -q "gqb: no such file, nor a bundled model (default, gqa, mqa, local-global)" err.txt
# a read-only directory: root ignores permissions, so drop to nobody
chmod 755 "$work"
mkdir ro && echo keep > ro/keep.csv && chmod 555 ro
as_user=""
[ "$(id -u)" -eq 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
if $as_user "$kvstep" --version > /dev/null 2>&1; then
	$as_user "$kvstep" export -o ro/keep.csv 2> err.txt; rc=$?
	check "read-only directory is 73" [ "$rc" -eq 73 ]
	check "read-only directory message" grep -q "^kvstep: ro/keep.csv: cannot create: Permission denied" err.txt
	check "read-only directory: old file intact" [ "$(cat ro/keep.csv)" = keep ]
	check "read-only directory: nothing left behind" [ "$(ls ro)" = keep.csv ]
else
	echo "# read-only directory checks not run: cannot run kvstep as nobody here"
fi
# -o onto things that are not plain files
if [ -w /dev/full ]; then
	"$kvstep" export -o /dev/full 2> err.txt; rc=$?
	check "-o /dev/full is 74" [ "$rc" -eq 74 ]
	check "-o /dev/full says why" grep -q "No space left on device" err.txt
	check "-o /dev/full is still a device" [ -c /dev/full ]
fi
echo old > target.csv && chmod 640 target.csv && ln -s target.csv link.csv
"$kvstep" export -o link.csv; rc=$?
check "-o through a symlink keeps the link" [ "$rc" -eq 0 -a -L link.csv ]
check "-o symlink writes the target" cmp -s target.csv trace.csv
check "-o keeps the file's permissions" [ "$(stat -c %a target.csv)" = 640 ]
mkfifo fifo && { cat fifo > from-fifo.csv & }
"$kvstep" export -o fifo; rc=$?
wait
check "-o fifo is still a fifo" [ "$rc" -eq 0 -a -p fifo ]
check "-o fifo writes into the pipe" cmp -s from-fifo.csv trace.csv
mkdir adir
"$kvstep" export -o adir 2> err.txt; rc=$?
check "-o a directory is 73" [ "$rc" -eq 73 ]
check "-o a directory says so" grep -q "adir: is a directory" err.txt
# options that mean nothing to a command are refused, not ignored
"$kvstep" export --counters --matrix S > /dev/null 2> err.txt; rc=$?
check "--counters with --matrix is 64" [ "$rc" -eq 64 ]
"$kvstep" --tol 1 2> err.txt; rc=$?
check "--tol outside grade is 64" [ "$rc" -eq 64 ]
check "--tol outside grade says so" grep -q "^kvstep: --tol does not go with the terminal UI" err.txt
"$kvstep" -m gqa mem 2> err.txt; rc=$?
check "mem after options is 64" [ "$rc" -eq 64 ]
check "mem after options says it comes first" grep -q "'mem' takes its own options and must come first" err.txt
"$kvstep" --version > v.txt
check "version" grep -q "^kvstep [0-9]" v.txt
"$kvstep" --help > h.txt
check "help names export" grep -q "kvstep export" h.txt

if [ "$fails" -ne 0 ]; then echo "$fails failed"; exit 1; fi
exit 0
