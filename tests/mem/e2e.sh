#!/bin/sh
# End-to-end checks of `kvstep mem` through the built binary.
#   e2e.sh KVSTEP GOLDEN_DIR
# Prints one line per check and exits 1 if any failed.
kvstep=$1
golden=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# check NAME WANT_STATUS WANT_STDERR_SUBSTRING -- ARGS...
check() {
	name=$1 want=$2 pattern=$3
	shift 4
	"$kvstep" mem "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $name: exit $got, expected $want"; cat "$tmp/err"
		failed=1
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$tmp/err"; then
		echo "FAIL $name: stderr lacks '$pattern':"; cat "$tmp/err"
		failed=1
	else
		echo "ok   $name"
	fi
}

check list 0 '' -- --list
if ! grep -q '^gemma-3-27b ' "$tmp/out" || ! cmp -s "$tmp/out" "$golden/list.txt"; then
	echo "FAIL list: output differs from $golden/list.txt"; failed=1
fi

check report 0 '' -- gemma-3-27b --context 8192,131072
if ! cmp -s "$tmp/out" "$golden/gemma-3-27b.txt"; then
	echo "FAIL report: output differs from $golden/gemma-3-27b.txt"
	diff "$golden/gemma-3-27b.txt" "$tmp/out"; failed=1
fi

check unknown-id 64 "did you mean gemma-3-27b" -- gemma-3-28b
check context-0 64 "the closest valid length is 1" -- llama-3.1-8b --context 0
check context-big 64 "beyond 2^31" -- llama-3.1-8b --context 2147483649
check dtype 64 "did you mean fp8?" -- llama-3.1-8b --dtype fp7
check csv 0 '' -- --csv llama-3.1-8b --context 8192
if ! grep -q '^llama-3.1-8b,fp16,1,8192,32,0,,4096,262144,1073741824,' "$tmp/out"; then
	echo "FAIL csv: no 1 GiB row"; failed=1
fi

exit $failed
