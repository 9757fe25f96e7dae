#!/bin/sh
# Benchmark (meson test --benchmark): worksheet wrapping on hostile lines.
# Both inputs took minutes while wrapping rescanned each line per piece;
# linear wrapping renders each in well under a second.
# Usage: bench_wrap.sh KVSTEP
set -eu
kvstep=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 80000 answers of width 60 on one line (about 1 MB of template).
awk 'BEGIN { for (i = 0; i < 80000; i++) printf "{{? P w=60}} "; print "" }' \
	> "$work/answers.txt"
# A line of 'a a a ...' just under the 1 MiB template limit.
awk 'BEGIN { for (i = 0; i < 524287; i++) printf "a "; print "" }' \
	> "$work/words.txt"
for f in answers words; do
	start=$(date +%s.%N)
	"$kvstep" answers "$work/$f.txt" > "$work/$f.out"
	end=$(date +%s.%N)
	echo "$f: $(wc -l < "$work/$f.out") lines in $(echo "$end - $start" | bc) s"
done
