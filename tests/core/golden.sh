#!/bin/sh
# Golden outputs: every output that existed before the cache object,
# chunked passes and producer-keyed trace (issue 14) must stay the same
# byte for byte for the bundled models. The file keeps one line per
# command: exit status, sha256 of stdout, sha256 of stderr, and the
# kvstep arguments (tab-separated), so a refusal's message and status
# count too.
#
# usage: golden.sh KVSTEP GOLDEN_FILE            compare (the test)
#        golden.sh --update KVSTEP GOLDEN_FILE   rewrite GOLDEN_FILE after a
#                                                deliberate, documented change
# Exit: 0 all equal, 1 some output changed (each one named), 77 no sha256sum.
set -u
update=0
if [ "${1-}" = "--update" ]; then update=1; shift; fi
if [ $# -ne 2 ]; then
	echo "usage: golden.sh [--update] KVSTEP GOLDEN_FILE" >&2
	exit 64
fi
kvstep=$1
golden=$2
command -v sha256sum >/dev/null 2>&1 || { echo "skip: no sha256sum"; exit 77; }

# The same bytes whatever the caller's terminal or locale.
unset COLUMNS LINES NO_COLOR
LC_ALL=C.UTF-8
export LC_ALL

# The commands, one per line: arguments to kvstep.
commands() {
	for m in default gqa mqa local-global; do
		echo "-m $m export"
		echo "-m $m export --counters"
		echo "-m $m export --counters --dtype fp16"
		echo "-m $m answers"
		echo "-m $m answers --blank"
		for n in 1 2 3 4; do
			echo "-m $m answers $n"
			echo "-m $m answers --blank $n"
		done
	done
	echo "mem --csv llama-3.1-8b"
	echo "mem --csv gemma-3-4b"
}

tmp=$(mktemp -d) || exit 71
trap 'rm -rf "$tmp"' EXIT

# One line per command: rc, sha of stdout, sha of stderr, arguments.
commands | while IFS= read -r args; do
	# shellcheck disable=SC2086 # the arguments are words, split on purpose
	"$kvstep" $args > "$tmp/out" 2> "$tmp/err" < /dev/null
	rc=$?
	o=$(sha256sum < "$tmp/out" | cut -d' ' -f1)
	e=$(sha256sum < "$tmp/err" | cut -d' ' -f1)
	printf '%s\t%s\t%s\t%s\n' "$rc" "$o" "$e" "$args"
done > "$tmp/now"

if [ "$update" -eq 1 ]; then
	{
		echo "# kvstep golden outputs: exit<TAB>sha256 stdout<TAB>sha256 stderr<TAB>arguments"
		echo "# regenerate after a deliberate change: tests/core/golden.sh --update KVSTEP $golden"
		cat "$tmp/now"
	} > "$golden.tmp" && mv "$golden.tmp" "$golden" || exit 73
	echo "wrote $(wc -l < "$tmp/now") outputs to $golden"
	exit 0
fi

[ -r "$golden" ] || { echo "golden.sh: cannot read $golden" >&2; exit 66; }
grep -v '^#' "$golden" > "$tmp/want"

# Name every output that changed, and what about it changed.
awk -F '\t' '
	NR == FNR { rc[$4] = $1; out[$4] = $2; err[$4] = $3; next }
	{
		seen[$4] = 1
		if (!($4 in rc)) { print "new output (not in the golden file): kvstep " $4; bad++; next }
		what = ""
		if (rc[$4] != $1) what = what " exit status was " rc[$4] ", now " $1 ";"
		if (out[$4] != $2) what = what " stdout differs;"
		if (err[$4] != $3) what = what " stderr differs;"
		if (what != "") { print "changed: kvstep " $4 ":" what; bad++ }
		else print "ok - kvstep " $4
	}
	END {
		for (a in rc) if (!(a in seen)) { print "missing output (in the golden file only): kvstep " a; bad++ }
		if (bad) {
			print bad " output(s) differ from the golden file."
			print "If the change is deliberate and documented, run:"
			print "  tests/core/golden.sh --update build/src/kvstep tests/core/golden/outputs.sha256"
			exit 1
		}
	}' "$tmp/want" "$tmp/now"
