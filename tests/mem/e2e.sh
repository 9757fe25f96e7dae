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

# Issue 18: a config.json and the bundled .ini give the same CSV, byte for
# byte, under every engine and with quantised K and V.
hf=$(dirname "$golden")/hf
for m in llama-3.1-8b gemma-3-27b gpt-oss-20b deepseek-v3; do
	for opts in "" "--engine vllm --k-dtype q8_0" "--engine llama.cpp --batch 3" \
		"--engine hf --dtype q4_0" "--budget 80GB --weights 0"; do
		# shellcheck disable=SC2086
		"$kvstep" mem --csv $opts "$m" >"$tmp/ini.csv" 2>&1
		# shellcheck disable=SC2086
		"$kvstep" mem --csv $opts "$hf/$m/config.json" >"$tmp/json.csv" 2>&1
		if ! cmp -s "$tmp/ini.csv" "$tmp/json.csv"; then
			echo "FAIL json-vs-ini $m $opts"; diff "$tmp/ini.csv" "$tmp/json.csv"; failed=1
		else
			echo "ok   json-vs-ini $m $opts"
		fi
	done
done
printf '{"num_hidden_layers": 2, "num_attention_heads": 3, "num_key_value_heads": 2, "head_dim": 8}' >"$tmp/bad.json"
check json-bad-key 65 "bad.json: num_key_value_heads: expected a divisor of num_attention_heads" -- "$tmp/bad.json"
printf '{"num_hidden_layers": 2,\n "head_dim": 8,}' >"$tmp/comma.json"
check json-syntax 65 "comma.json:2:16: JSON: unexpected character" -- "$tmp/comma.json"

# Every repository file a bundled model cites must exist.
top=$(cd "$(dirname "$golden")/../.." && pwd)
for f in "$top"/data/models/*.ini; do
	for ref in $(grep -oE '(src|docs|tests|data)/[A-Za-z0-9_./-]+\.[a-z]+' "$f"); do
		if [ ! -e "$top/$ref" ]; then
			echo "FAIL cite: $(basename "$f") cites $ref, which does not exist"; failed=1
		fi
	done
done
echo "ok   cites"

exit $failed
