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
check "unknown bundled model names them" grep -q "gqb: not a bundled model (default, gqa, mqa, local-global, streaming, rope); to read a file, give a path such as ./gqb" err.txt
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
# --help names every bundled model -m takes (default-draft is spec's draft)
for f in "$src"/../../data/*.ini; do
	name=$(basename "$f" .ini)
	[ "$name" = default-draft ] && continue
	check "help names -m $name" grep -q "[ ,]$name[,) ]" h.txt
done
check "help: --sheet takes 1-3 and 7" grep -q -- "--sheet N .*(1-3 or 7)" h.txt
# every matrix --matrix accepts is in --help (the list is the refusal's)
"$kvstep" export --matrix Foo > out.txt 2> err.txt; rc=$?
check "--matrix Foo is 64" [ "$rc" -eq 64 ]
check "--matrix Foo lists the names" [ "$(cat err.txt)" = \
	"kvstep: --matrix: unknown name 'Foo'; expected X, Q, K, V, S, A, Z, logits, H, Qr, Kr, Kq or Vq" ]
for m in Qr Kr Kq Vq H; do
	check "help names --matrix $m" grep -q "[ ,]$m[, ]" h.txt
done
# a matrix the run never holds is refused with its reason, not a bare header
nothing() { # nothing NAME MESSAGE ARGS...: exit 64, MESSAGE, no output
	name=$1; msg=$2; shift 2
	"$kvstep" "$@" > out.txt 2> err.txt; rc=$?
	check "$name: exit 64" [ "$rc" -eq 64 ]
	check "$name: no output" [ ! -s out.txt ]
	check "$name: says why" [ "$(cat err.txt)" = "kvstep: $msg" ]
}
nothing "Kq without --kv-quant" "--matrix Kq and Vq are K and V as a quantised cache reads them back; they need --kv-quant int8 or int4" export --matrix Q,Kq
nothing "Qr without rope" "--matrix Qr and Kr are q and k before the rotation of a model with rope (e.g. -m rope); default.ini has none" export --matrix Qr
nothing "H of one layer" "--matrix H is a stacked model's layer output; default.ini has one layer and head" export --matrix H
nothing "S under flash" "--matrix S and A are never held by --attention flash (export --tiles gives its tile states)" export --attention flash --matrix S
"$kvstep" export --kv-quant int4 --matrix Kq > out.txt; rc=$?
check "Kq with --kv-quant: rows" [ "$rc" -eq 0 ] && [ "$(grep -c ',Kq,' out.txt)" -gt 0 ]
"$kvstep" -m rope export --matrix Qr,Kr > out.txt; rc=$?
check "Qr,Kr with rope: rows" [ "$rc" -eq 0 ] && [ "$(grep -c ',Qr,' out.txt)" -gt 0 ] && [ "$(grep -c ',Kr,' out.txt)" -gt 0 ]
# sheets with models of their own: what exports, and where their cells are
pre="this sheet runs models of its own, so its cells are not cells of this run; export --sheet takes sheets 1 to 3 and 7"
nothing "--sheet 8" "8-rope.txt: $pre; its cells are in kvstep -m rope export --matrix Qr,Kr,Q,K,S" export --sheet 8
nothing "--sheet 9" "9-quantised.txt: $pre; its cells are in kvstep export --kv-quant int4 --kv-group 4 --matrix K,Kq,S" export --sheet 9
nothing "--sheet 4" "4-windows-gqa.txt: $pre" export --sheet 4
"$kvstep" -m rope export --matrix Qr,Kr,Q,K,S > out.txt; check "sheet 8's export command works" [ $? -eq 0 ] && [ -s out.txt ]
"$kvstep" export --kv-quant int4 --kv-group 4 --matrix K,Kq,S > out.txt; check "sheet 9's export command works" [ $? -eq 0 ] && [ -s out.txt ]
"$kvstep" export --sheet 7 > out.txt; check "sheet 7 exports" [ $? -eq 0 ] && [ -s out.txt ]

# --- bounded work (issue 13 item 1) ---
# 16 layers of 16 heads, every dimension 1, 1024 positions: refused at once
timeout 10 "$kvstep" -m "$src/data/huge.ini" export --counters > out.txt 2> err.txt; rc=$?
check "small-but-huge model is 65, not hours" [ "$rc" -eq 65 ]
check "small-but-huge message gives estimate and limits" grep -q "huge.ini: this run needs about 9.3e+10 multiply-adds, 4.6e+10 attention scores and 4.5 GiB of trace; the limits are 2.0e+10, 1.0e+09 and 1.0 GiB" err.txt
check "small-but-huge writes nothing" [ ! -s out.txt ]
"$kvstep" -m "$src/data/huge.ini" -n 40 export --counters > out.txt; rc=$?
check "the same model over 41 positions runs" [ "$rc" -eq 0 -a "$(wc -l < out.txt)" -eq 124 ]
"$kvstep" -n 1020 export --counters > out.txt; rc=$?
check "the default model at 1021 positions is within the limits" [ "$rc" -eq 0 ]

# signal number of NAME, for 128+N
signum() { kill -l "$1" 2>/dev/null || case $1 in INT) echo 2;; HUP) echo 1;; PIPE) echo 13;; TERM) echo 15;; esac; }
# waits (at most ~20 s) until a file matching the glob exists and is not empty
wait_for() { i=0; while [ $i -lt 400 ]; do for f in $1; do [ -s "$f" ] && return 0; done; sleep 0.05; i=$((i + 1)); done; return 1; }

# Ctrl-C while the run is computed: stops, nothing written
"$kvstep" -m "$src/data/huge.ini" -n 250 export --counters > out.txt 2> err.txt &
pid=$!
sleep 1
kill -s INT $pid; wait $pid; rc=$?
check "SIGINT during the run exits 130" [ "$rc" -eq 130 ]
check "SIGINT during the run writes nothing" [ ! -s out.txt ]

# on a terminal a long run shows its progress on stderr, and Ctrl-C stops it
if command -v tmux > /dev/null 2>&1; then
	sock="kvstep-cli-$$"
	tmux -L "$sock" new-session -d -x 100 -y 10 "sh -c 'trap \"\" INT; \"$kvstep\" -m \"$src/data/huge.ini\" -n 200 export --counters > \"$work/p.csv\"; echo \$? > \"$work/p.rc\"; sleep 30'"
	i=0; while [ $i -lt 100 ] && ! tmux -L "$sock" capture-pane -p | grep -q "computing the run"; do sleep 0.1; i=$((i + 1)); done
	check "progress line on a terminal" sh -c "tmux -L $sock capture-pane -p | grep -q '^kvstep: computing the run: *[0-9]*% of 7.4e+08 multiply-adds (Ctrl-C stops)'"
	tmux -L "$sock" send-keys C-c
	i=0; while [ $i -lt 100 ] && [ ! -s p.rc ]; do sleep 0.1; i=$((i + 1)); done
	check "Ctrl-C (tmux C-c) stops the run with 130" [ "$(cat p.rc 2>/dev/null)" = 130 ]
	check "... writing nothing" [ ! -s p.csv ]
	check "... and erasing the progress line" sh -c "! tmux -L $sock capture-pane -p | grep -q computing"
	tmux -L "$sock" kill-server
fi
"$kvstep" -m "$src/data/huge.ini" -n 200 export --counters 2> err.txt > /dev/null &
pid=$!; sleep 0.5; kill $pid; wait $pid
check "no progress line when stderr is not a terminal" [ ! -s err.txt ]

# --- big exports: a notice first; every signal leaves no file (13.6, 12.25) ---
for sig in INT TERM HUP PIPE; do
	mkdir "sig-$sig"
	"$kvstep" -n 400 export -o "sig-$sig/out.csv" 2> "sig-$sig.err" &
	pid=$!
	if wait_for "sig-$sig/out.csv.tmp-*"; then
		kill -s $sig $pid; wait $pid; rc=$?
		check "SIG$sig during export -o exits 128+$(signum $sig)" [ "$rc" -eq $((128 + $(signum $sig))) ]
		check "SIG$sig during export -o leaves no file" [ -z "$(ls "sig-$sig")" ]
	else
		kill $pid; wait $pid
		check "SIG$sig: the export started writing" false
	fi
done
check "a big export says its size first" grep -q "^kvstep: this export writes 46826720 rows, about 2.2 GB; Ctrl-C stops it and leaves no file" sig-INT.err
"$kvstep" export -o small.csv 2> err.txt
check "a small export says nothing" [ ! -s err.txt ]

# --- exit paths (13.7, 13.8) ---
# a dangling symlink is written through by temporary file and rename
mkdir dang && ln -s dang/none.csv dl.csv
( ulimit -f 20; trap '' XFSZ; "$kvstep" export -o dl.csv 2> err.txt ); rc=$?
check "a failing write through a dangling link is 74" [ "$rc" -eq 74 ]
check "... and leaves no partial file at the target" [ -z "$(ls dang)" ]
"$kvstep" export -o dl.csv; rc=$?
check "a dangling link gets its target written" [ "$rc" -eq 0 -a -L dl.csv ] && check "... whole" cmp -s dang/none.csv trace.csv
"$kvstep" export -o "" 2> err.txt; rc=$?
check "-o '' is 64" [ "$rc" -eq 64 ]
check "-o '' leaves nothing" [ -z "$(ls -A | grep '^\.tmp')" ]
if [ -w /dev/full ]; then
	"$kvstep" --help > /dev/full 2> /dev/null; rc=$?
	check "--help to a full disk is 74" [ "$rc" -eq 74 ]
	"$kvstep" --version > /dev/full 2> /dev/null; rc=$?
	check "--version to a full disk is 74" [ "$rc" -eq 74 ]
fi

# --- names and inputs (13.10, 13.11) ---
"$kvstep" -m gqa export --matrix X > a.csv
sed 's/^the = .*/the = 9 9 9 9 9 9/' "$src/../../data/gqa.ini" > gqa
"$kvstep" -m gqa export --matrix X > b.csv
"$kvstep" -m ./gqa export --matrix X > c.csv
check "a file ./gqa does not spoof -m gqa" cmp -s a.csv b.csv
check "./gqa reads the file" grep -q "^1,nocache,1,1,1,X,1,1,9," c.csv
echo "spoofed" > 1-no-cache
"$kvstep" answers 1-no-cache > out.txt 2> /dev/null
check "a file ./1-no-cache does not spoof the bundled sheet" [ "$(head -c 7 out.txt)" != spoofed ]
"$kvstep" answers myplain > /dev/null 2> err.txt; rc=$?
check "a bare unknown sheet name is 66, like -m, with the ./ hint" [ "$rc" -eq 66 ] && check "... hint" grep -qx "kvstep: myplain: not a bundled worksheet (1-no-cache, 2-kv-cache, 3-prefill, 4-windows-gqa, 5-serving, 6-speculative, 7-online-softmax, 8-rope, 9-quantised); to read a file, give a path such as ./myplain" err.txt
mkfifo in.fifo
timeout 10 "$kvstep" -m ./in.fifo export > /dev/null 2> err.txt; rc=$?
check "-m FIFO is 66 at once" [ "$rc" -eq 66 ]
check "-m FIFO says why" grep -q "in.fifo: not a regular file (a FIFO)" err.txt
timeout 10 "$kvstep" answers ./in.fifo > /dev/null 2> err.txt; rc=$?
check "answers FIFO is 66 at once" [ "$rc" -eq 66 ]
timeout 20 "$kvstep" export -o in.fifo 2> err.txt; rc=$?
check "-o FIFO with no reader is 73 after 10 s" [ "$rc" -eq 73 ]
check "-o FIFO with no reader says so" grep -q "in.fifo: a FIFO with no reader for 10 s; start the reader first" err.txt
printf '\357\273\277' > bom.ini && cat "$src/../../data/default.ini" >> bom.ini
"$kvstep" -m bom.ini export > out.txt; rc=$?
check "a BOM before [model] loads" [ "$rc" -eq 0 ] && check "... the same run" cmp -s out.txt trace.csv
sed "s/^name .*/name = $(printf '\033')]0;PWNED$(printf '\007')/" "$src/../../data/default.ini" > esc.ini
"$kvstep" -m esc.ini export > /dev/null 2> err.txt; rc=$?
check "an escape in the model name is 65" [ "$rc" -eq 65 ]
check "... named by file:line" grep -q "^kvstep: esc.ini:[0-9]*: control character (byte 0x1b" err.txt
check "... and never echoed raw" [ "$(tr -d '\033\007' < err.txt)" = "$(cat err.txt)" ]
: > empty.ini
"$kvstep" mem ./empty.ini 2> err.txt; rc=$?
check "an empty mem config names line 1" grep -q "empty.ini:1: expected key" err.txt
"$kvstep" mem ./nothere.ini 2> err.txt
check "mem: a missing file says why" grep -q "cannot open the model file: No such file or directory" err.txt

# Command-line text quoted in a message keeps its control bytes visible:
# a prompt word, a model path, a worksheet name, a mem model.
esc=$(printf '\033]0;PWN\007x\033[2J')
"$kvstep" -p "the $esc" answers 1 > /dev/null 2> err.txt
"$kvstep" -m "./a$esc.ini" export > /dev/null 2>> err.txt
"$kvstep" answers "x$esc" > /dev/null 2>> err.txt
"$kvstep" mem "x$esc" > /dev/null 2>> err.txt
check "no raw ESC or BEL from command-line text" [ "$(tr -cd '\033\007' < err.txt | wc -c)" -eq 0 ]
check "a prompt word is quoted visibly" grep -qF "prompt word '\x1b]0;PWN\x07x\x1b[2J' is not in the vocab" err.txt
check "four messages" [ "$(grep -c '\\x1b' err.txt)" -eq 4 ]

if [ "$fails" -ne 0 ]; then echo "$fails failed"; exit 1; fi
exit 0
