#!/bin/sh
# Worksheet 5 (paging and batching) writes the bundled default scenario's
# schedules and block tables out as text, and its answers as `say` text.
# This test reads them back from `kvstep serve --export schedule|blocks`
# (continuous and --batching static) and `--summary`, so the page fails
# here the day the scheduler or the scenario changes. Also: golden key
# and blank, the same lines in both, one page (60 x 80).
# Usage: sheet5.sh KVSTEP GOLDEN_DIR
set -u
kvstep=$1
golden=$2
case $kvstep in /*) ;; *) kvstep=$PWD/$kvstep ;; esac
case $golden in /*) ;; *) golden=$PWD/$golden ;; esac
fails=0 n=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
LC_ALL=C.UTF-8
export LC_ALL

check() { # description, then a command that must succeed
	d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fails=$((fails + 1)); fi
}
has() { grep -qxF -- "$1" key.txt; } # a whole line of the key

"$kvstep" answers 5 > key.txt; rc=$?
check "answers 5 exits 0" [ "$rc" -eq 0 ]
"$kvstep" answers --blank 5-serving > blank.txt; rc=$?
check "answers --blank 5-serving exits 0" [ "$rc" -eq 0 ]
check "key matches golden" cmp -s key.txt "$golden/5-serving.key.txt"
check "blank matches golden" cmp -s blank.txt "$golden/5-serving.blank.txt"
check "key and blank have the same lines" [ "$(wc -l < key.txt)" -eq "$(wc -l < blank.txt)" ]
check "at most 60 lines" [ "$(wc -l < key.txt)" -le 60 ]
check "key at most 80 columns" [ "$(wc -L < key.txt)" -le 80 ]
check "blank at most 80 columns" [ "$(wc -L < blank.txt)" -le 80 ]
check "the blank gives no answer" sh -c '! grep -q "continuous 5 " blank.txt'
"$kvstep" -m gqa -p "dog" -n 1 answers 5 > key_gqa.txt
check "the page ignores -m, -p, -n" cmp -s key.txt key_gqa.txt

"$kvstep" serve --export schedule | tr -d '\r' > cont.csv
"$kvstep" serve --export schedule --batching static | tr -d '\r' > stat.csv
"$kvstep" serve --export blocks | tr -d '\r' > blocks.csv
"$kvstep" serve --summary > summary.txt
check "the serve exports ran" [ -s cont.csv ] && [ -s stat.csv ] && [ -s blocks.csv ]

# A schedule row of the page: "  B   <tab>3-4*   5" from the CSV, each
# iteration's positions in a 7-wide column, * where blocks were reused.
row() { # csv request iterations
	awk -F, -v r="$2" -v n="$3" '
		NR > 1 && $2 == r && ($3 == "prefill" || $3 == "decode") {
			p[$1] = ($4 == $5 ? $4 : $4 "-" $5) ($8 > 0 ? "*" : "")
		}
		END {
			s = "  " r "           "
			for (i = 1; i <= n; i++) s = s sprintf("%-7s", p[i])
			sub(/ +$/, "", s); print s
		}' "$1"
}
for r in A B C; do
	check "continuous schedule row $r is the run's" has "$(row cont.csv $r 5)"
	check "static schedule row $r is the run's" has "$(row stat.csv $r 6)"
done

# Block tables after iteration 3, "A  1:1  2:2  3:4" three to a line.
tables=$(awk -F, 'NR > 1 && $1 == 3 {
		t[$2] = t[$2] "  " $3 ":" $4
	}
	END { printf "  A%s       B%s       C%s\n", t["A"], t["B"], t["C"] }' blocks.csv)
check "block tables after iteration 3 are the run's" has "$tables"

phys() { # request logical, at iteration 3
	awk -F, -v r="$1" -v l="$2" 'NR > 1 && $1 == 3 && $2 == r && $3 == l { print $4 }' blocks.csv
}
check "1: B's position 4 is in logical block 2, slot 2" \
	has "1. B's position 4 (\"sat\") is in block $(phys B 2)      slot 2"
check "1: B's position 1 is in logical block 1, slot 1" \
	has "   B's first position is in block $(phys B 1)      slot 1"
shared=$(awk -F, 'NR > 1 && $1 == 3 && $8 == "yes" { print $4 }' blocks.csv | sort -u)
ref=$(awk -F, -v b="$shared" 'NR > 1 && $1 == 3 && $4 == b { print $5; exit }' blocks.csv)
check "2: the one shared block and its count" \
	has "2. Which block is in two tables?  $shared       Its reference count:  $ref"
most() { awk -F, -v r="$1" 'NR > 1 && $2 == r && $3 > m { m = $3 } END { print m }' blocks.csv; }
check "3: blocks per request at its end" \
	has "3. Blocks each request holds at its end:  A $(most A)       B $(most B)       C $(most C)"
together=$(awk -F, 'NR > 1 && $1 == 3 && ($2 == "A" || $2 == "B") { print $4 }' blocks.csv | sort -u | wc -l)
check "3: A and B together, and without sharing" \
	has "   Blocks A and B hold together: $together        without sharing: $(( $(most A) + $(most B) ))"
empty=$(awk -F, 'NR > 1 && $1 == 3 && !seen[$4]++ { e += 2 - $6 } END { print e }' blocks.csv)
where=$(awk -F, 'NR > 1 && $1 == 3 && $6 < 2 && !seen[$4]++ { printf "%s%s", (n++ ? " and " : ""), $4 }' blocks.csv)
check "4: empty slots after iteration 3" \
	has "4. Slots allocated but empty after iteration 3 (fragmentation):  $empty"
check "4: in which blocks" has "   Which blocks are they in?  $where"
check "4: the run's own count agrees" \
	sh -c "awk '\$1 == 3 { print \$(NF-2) }' summary.txt | grep -qx $empty"
reused=$(awk -F, 'NR > 1 && $2 == "B" && $8 > 0 { print $8 }' cont.csv)
check "5: positions B did not compute" \
	has "5. What the shared block saved B: positions not computed  $reused"
kv=$(sed -n 's/^   K and V cells per position: d_k + d_v = \([0-9]*\) + \([0-9]*\) = \([0-9]*\)$/\1 \2 \3/p' key.txt)
check "5: d_k + d_v adds up" sh -c "set -- $kv; [ \$((\$1 + \$2)) -eq \$3 ]"
check "5: cells not computed" \
	has "   K and V cells B did not compute:  $(( reused * $(echo "$kv" | cut -d' ' -f3) ))"
budget=$(awk -F, 'NR > 1 { u[$1] += $7; if ($1 > m) m = $1 }
	END { for (i = 1; i <= m; i++) printf "%s%d", (i > 1 ? ", " : ""), u[i] }' cont.csv)
check "6: positions per iteration" has "6. Positions processed in iterations 1..5:  $budget"
full=$(awk -F, 'NR > 1 { u[$1] += $7 } END { for (i in u) if (u[i] == 4) print i }' cont.csv)
check "6: the full iteration" has "   Which iteration used the whole budget?  $full"
val() { awk -v k="$1" -v c="$2" '$0 ~ "^" k { print $c }' summary.txt; }
check "7: static padding" \
	has "   Batch 2's padding:  $(val padding 3): B, finished, waits in iteration 6"
check "8: iterations" \
	has "8. Iterations to finish all:   continuous $(val iterations 2)        static $(val iterations 3)"
check "8: C's finish" \
	has "   C finishes at iteration:    continuous $(val "finish C" 3)        static $(val "finish C" 4)"
echo "1..$n"
[ "$fails" -eq 0 ]
