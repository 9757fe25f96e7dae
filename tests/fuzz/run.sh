#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for SECONDS on a
# scratch copy of its seed corpus. Any crash, leak, timeout or sanitizer
# report fails the run; the input that caused it is kept in fuzz-out/.
# usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]
set -u
secs=${1:-60}
build=${2:-build-fuzz}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dtests=disabled > "$build.log" 2>&1 ||
		{ cat "$build.log"; exit 1; }
fi
targets="model grade mem mem_json sheet serve"
for t in $targets; do
	ninja -C "$build" "tests/fuzz/fuzz-$t" > /dev/null || exit 1
done
mkdir -p fuzz-out
fails=0
for t in $targets; do
	work=$(mktemp -d)
	cp "tests/fuzz/corpus-$t"/* "$work"/
	[ -d "tests/fuzz/regress-$t" ] && cp "tests/fuzz/regress-$t"/* "$work"/ 2>/dev/null
	"$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=16384 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="fuzz-out/$t-" "$work" > "fuzz-out/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-out/$t.log")
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz-$t: ${runs:-?} executions in ${secs}s, no crash"
	else
		echo "not ok - fuzz-$t: exit $rc after ${runs:-?} executions"
		tail -n 30 "fuzz-out/$t.log"
		fails=$((fails + 1))
	fi
	rm -rf "$work"
done
exit "$fails"
