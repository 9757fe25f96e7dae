#!/bin/sh
# End-to-end: `kvstep answers` run from an unrelated directory, as an
# installed binary would be. Usage: e2e.sh KVSTEP GOLDEN_DIR
set -u
kvstep=$1
golden=$2
case $kvstep in /*) ;; *) kvstep=$PWD/$kvstep ;; esac
case $golden in /*) ;; *) golden=$PWD/$golden ;; esac
fails=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

check() { # name, condition result
	if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi
}

# Every bundled key and blank, byte for byte.
for s in 1-no-cache 2-kv-cache 3-prefill 4-windows-gqa; do
	"$kvstep" answers "$s" > key.txt
	check "$s key exit 0" $?
	cmp -s key.txt "$golden/$s.key.txt"
	check "$s key matches golden" $?
	"$kvstep" answers "$s" --blank > blank.txt
	check "$s blank exit 0" $?
	cmp -s blank.txt "$golden/$s.blank.txt"
	check "$s blank matches golden" $?
	[ "$(wc -l < key.txt)" -eq "$(wc -l < blank.txt)" ]
	check "$s key and blank have the same lines" $?
done

# All four, form feeds between them.
"$kvstep" answers > all.txt
check "answers exit 0" $?
{ cat "$golden/1-no-cache.key.txt"; printf '\f'; cat "$golden/2-kv-cache.key.txt"
  printf '\f'; cat "$golden/3-prefill.key.txt"
  printf '\f'; cat "$golden/4-windows-gqa.key.txt"
  printf '\f'; cat "$golden/5-serving.key.txt"
  printf '\f'; cat "$golden/6-speculative.key.txt"
  printf '\f'; cat "$golden/7-online-softmax.key.txt"
  printf '\f'; cat "$golden/8-rope.key.txt"
  printf '\f'; cat "$golden/9-quantised.key.txt"; } > want.txt
cmp -s all.txt want.txt
check "answers prints the nine keys" $?
[ "$(tr -cd '\f' < all.txt | wc -c)" -eq 8 ]
check "eight form feeds" $?

# Sheet 4 runs its own models, whatever -m, -p and -n say.
"$kvstep" -m gqa -p "dog sat" -n 1 answers 4-windows-gqa > key4.txt
cmp -s key4.txt "$golden/4-windows-gqa.key.txt"
check "sheet 4 ignores -m, -p, -n" $?
# Sheet 8 runs the bundled RoPE model the same way; key and blank golden,
# 60 lines and 80 columns at most.
"$kvstep" -m gqa -p "dog sat" answers 8 > key8.txt
cmp -s key8.txt "$golden/8-rope.key.txt"
check "sheet 8 ignores -m and -p" $?
"$kvstep" answers --blank 8-rope > blank8.txt
cmp -s blank8.txt "$golden/8-rope.blank.txt"
check "sheet 8 blank matches golden" $?
[ "$(wc -l < key8.txt)" -le 60 ] && [ "$(wc -l < key8.txt)" -eq "$(wc -l < blank8.txt)" ]
check "sheet 8: at most 60 lines, key and blank alike" $?
[ "$(LC_ALL=C.UTF-8 wc -L < key8.txt)" -le 80 ] && [ "$(LC_ALL=C.UTF-8 wc -L < blank8.txt)" -le 80 ]
check "sheet 8: at most 80 columns" $?
# Widest line of a file, in characters (UTF-8 aware).
width() { LC_ALL=C.UTF-8 wc -L < "$1"; }

# Every bundled page of the default run fits 60 lines and 80 columns.
for s in 1-no-cache 2-kv-cache 3-prefill 4-windows-gqa; do
	for c in key blank; do
		f="$golden/$s.$c.txt"
		[ "$(wc -l < "$f")" -le 60 ]; check "$s $c: at most 60 lines" $?
		[ "$(width "$f")" -le 80 ]; check "$s $c: at most 80 columns" $?
	done
done
"$kvstep" answers 4-windows-gqa --ascii --blank > a4.txt
[ "$(width a4.txt)" -le 80 ]; check "sheet 4 --ascii fits 80 columns" $?

# Any run fits 80 columns: wide grids split into bands, long lines wrap.
# Key and blank keep the same lines. fits NAME KVSTEP-OPTIONS...
fits() {
	name=$1
	shift
	"$kvstep" "$@" answers > wk.txt; check "$name: exit 0" $?
	"$kvstep" "$@" answers --blank > wb.txt; check "$name --blank: exit 0" $?
	[ "$(width wk.txt)" -le 80 ] && [ "$(width wb.txt)" -le 80 ]
	check "$name: key and blank fit 80 columns" $?
	[ "$(wc -l < wk.txt)" -eq "$(wc -l < wb.txt)" ]
	check "$name: key and blank have the same lines" $?
}
# Sheets 1-3 work one head: a stacked model's answers would need W_O, the
# other heads and layers, which those pages do not show. Refused, exit 64,
# nothing on stdout, pointing to sheet 4.
for m in gqa mqa local-global; do
	for s in 1-no-cache 2-kv-cache 3-prefill ""; do
		"$kvstep" -m "$m" answers $s > out.txt 2> err.txt
		rc=$?
		[ "$rc" -eq 64 ] && [ ! -s out.txt ] &&
			grep -q "one layer of one head; model '.*' has .* and W_O.*use 'kvstep answers 4-windows-gqa'" err.txt
		check "-m $m answers $s: refused, exit 64 (got $rc)" $?
	done
	"$kvstep" -m "$m" answers 4-windows-gqa > out.txt
	check "-m $m answers 4-windows-gqa: exit 0" $?
done
fits "one token" -p the -n 0
fits "--ascii, P = 5" --ascii -p "the cat sat on the" -n 2
fits "--digits 6" --digits 6

# One printed page: every sheet, key and blank, at most 60 lines of at most
# 80 columns, for every bundled model (sheets 1-3 refuse the stacked ones,
# above; sheet 4 runs its own models) and for every prompt up to the
# longest the sheet accepts. Past it: exit 64, a message, nothing on stdout.
words="the cat sat on the mat . the cat sat"
page() { # name: checks key.txt and blank.txt
	for c in key blank; do
		[ "$(wc -l < $c.txt)" -le 60 ] && [ "$(width $c.txt)" -le 80 ] ||
			{ echo "# $1 $c: $(wc -l < $c.txt) lines, $(width $c.txt) columns"; return 1; }
	done
}
for m in default gqa mqa local-global; do
	"$kvstep" -m $m answers 4-windows-gqa > key.txt &&
		"$kvstep" -m $m answers 4-windows-gqa --blank > blank.txt &&
		page "-m $m 4"
	check "-m $m sheet 4: one page, key and blank" $?
done
# sheet, then the option that grows it: -p (P) for 1 and 3, -n (T) for 2
for s in 1-no-cache:p 2-kv-cache:n 3-prefill:p; do
	sheet=${s%:*} grow=${s#*:}
	longest=0 refused=0 bad=0
	for k in 1 2 3 4 5 6 7 8 9 10; do
		if [ "$grow" = p ]; then
			set -- -p "$(echo $words | cut -d' ' -f1-$k)" -n 1
		else
			set -- -n $((k - 1))
		fi
		"$kvstep" "$@" answers $sheet > key.txt 2> err.txt
		rc=$?
		if [ $rc -eq 0 ]; then
			[ $refused -eq 0 ] || bad=1 # accepted after a refusal
			"$kvstep" "$@" answers $sheet --blank > blank.txt &&
				page "$sheet $*" || bad=1
			longest=$k last="$*"
		elif [ $rc -eq 64 ] && [ ! -s key.txt ] &&
			grep -q "^kvstep: $sheet.txt: this run makes the sheet [0-9]* lines, more than its page of 60; use a shorter prompt or fewer generated tokens" err.txt; then
			refused=1
		else
			bad=1
		fi
	done
	echo "# $sheet: the longest run accepted: $last"
	[ $bad -eq 0 ] && [ $longest -ge 3 ] && [ $refused -eq 1 ]
	check "$sheet: one page up to the longest run it accepts, refused past it" $?
done

# ---- sheet 7: online softmax, the tiled kernel with tiles of 2 ----
# The hand-checked model (docs/tiled-attention.md, "A worked tile").
tiles_model=$golden/../../core/data/tiled.ini
for c in key blank; do
	flag=; [ $c = blank ] && flag=--blank
	"$kvstep" -m "$tiles_model" --digits 4 answers 7 $flag > s7.txt
	check "sheet 7 $c of tiled.ini: exit 0" $?
	cmp -s s7.txt "$golden/7-online-softmax.tiles.$c.txt"
	check "sheet 7 $c of tiled.ini matches golden" $?
	"$kvstep" answers 7 $flag > s7.txt
	cmp -s s7.txt "$golden/7-online-softmax.$c.txt"
	check "sheet 7 $c of the default run matches golden" $?
done
# it runs the tiled kernel itself; --attention stays refused by answers
"$kvstep" --attention flash answers 7 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ]; check "answers --attention flash: refused, exit 64" $?
"$kvstep" -m gqa answers 7 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ] && grep -q "one layer of one head" err.txt
check "sheet 7 refuses a stacked model, exit 64" $?
# One page (60 lines, 80 columns, key and blank the same lines) for every
# run length and both spellings; a run past the page: exit 64, a message.
bad=0
for n in 0 1 2 3 4 5 6 7 8 9; do
	for a in "" --ascii; do
		"$kvstep" -n $n $a answers 7 > key.txt 2> err.txt
		rc=$?
		if [ $rc -eq 0 ]; then
			"$kvstep" -n $n $a answers 7 --blank > blank.txt &&
				page "7 -n $n $a" &&
				[ "$(wc -l < key.txt)" -eq "$(wc -l < blank.txt)" ] || bad=1
		elif [ $rc -ne 64 ] || [ -s key.txt ] ||
			! grep -q "this run makes the sheet [0-9]* lines, more than its page of 60" err.txt; then
			bad=1
		fi
	done
done
check "sheet 7: one page of 80 columns for -n 0..9, key and blank alike" $bad
# export --sheet 7 and grade: the blank filled with the key's values
# scores full marks; one wrong value loses exactly its point.
fill() { # fill KEY BLANK OUT [WRONG-MATRIX WRONG-ROW WRONG-COL]: values from KEY
	awk -F, -v OFS=, -v wm="${4-}" -v wr="${5-}" -v wc="${6-}" '
		{ sub(/\r$/, "") }
		NR == FNR { k = $1 FS $2 FS $4 FS $5 FS $6 FS $7 FS $8; v[k] = $9; next }
		FNR == 1 { printf "%s\r\n", $0; next }
		{ k = $1 FS $2 FS $4 FS $5 FS $6 FS $7 FS $8; $9 = v[k]
		  if ($6 == wm && $7 == wr && $8 == wc) $9 = $9 + 1
		  printf "%s\r\n", $0 }' "$1" "$2" > "$3"
}
for m in "$tiles_model" default; do
	"$kvstep" -m "$m" export --sheet 7 -o key7.csv
	check "export --sheet 7 (-m $(basename "$m")): exit 0" $?
	"$kvstep" -m "$m" export --sheet 7 --blank -o blank7.csv
	check "export --sheet 7 --blank: exit 0" $?
	asked=$(grep -c ',computed,' key7.csv)
	tiles=$(grep -c ',tile_[^s]' key7.csv)
	[ "$tiles" -gt 0 ] && [ -z "$(grep ',tile_[^s]' blank7.csv | cut -d, -f9 | tr -d '\n')" ]
	check "the tile states are asked: rows in the key, empty in the blank" $?
	# the scores s_i the page gives: one given row per key of query T,
	# the same in the blank as in the key, and S's column of a standard run
	T=$(sed -n 2p key7.csv | cut -d, -f1)
	grep ',tile_s,' key7.csv > s_key.txt; grep ',tile_s,' blank7.csv > s_blank.txt
	[ "$(wc -l < s_key.txt)" -eq "$T" ] && cmp -s s_key.txt s_blank.txt &&
		[ "$(grep -c ',given,' s_key.txt)" -eq "$T" ]
	check "the scores are given rows: $T in the key and the blank alike" $?
	"$kvstep" -m "$m" export --matrix S --mode cache --step "$T" |
		awk -F, -v T="$T" '$8 == T { print $7 "," $9 }' > s_std.txt
	cut -d, -f7,9 s_key.txt | cmp -s - s_std.txt
	check "the given scores are S[i,T] of the standard run" $?
	fill key7.csv blank7.csv full7.csv
	"$kvstep" grade key7.csv full7.csv > grade.txt
	grep -q "full7.csv: $asked/$asked correct (100.0%)" grade.txt
	check "blank filled with the key's values: $asked/$asked" $?
	fill key7.csv blank7.csv one7.csv tile_alpha 1 2
	"$kvstep" grade key7.csv one7.csv > grade.txt
	grep -q "one7.csv: $((asked - 1))/$asked correct" grade.txt &&
		grep -q "tile_alpha\[1,2\]: expected" grade.txt
	check "one wrong tile value loses exactly its point" $?
done
[ "$(grep -c ',tile_[^s]' "$golden/7-online-softmax.tiles.csv")" -eq 8 ] &&
	"$kvstep" -m "$tiles_model" export --sheet 7 | cmp -s - "$golden/7-online-softmax.tiles.csv"
check "export --sheet 7 of tiled.ini matches golden (2 tiles: 8 tile rows)" $?
"$kvstep" --attention flash --tile 3 export --sheet 7 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ] && grep -q "works tiles of 2" err.txt
check "export --sheet 7 with another --tile: refused, exit 64" $?
"$kvstep" --attention flash export --sheet 2 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ] &&
	grep -q "^kvstep: 2-kv-cache.txt: this sheet reads the standard kernel (S and A, which --attention flash never holds); export it without --attention flash" err.txt
check "export --sheet 2 --attention flash: refused, exit 64" $?

# A layer or head the model lacks: file:line, exit 65, nothing on stdout.
printf '{{model local-global}}\n\n{{K cache step=T layer=4}}\n' > layer.txt
"$kvstep" answers layer.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ] && [ ! -s out.txt ] &&
	grep -q "^kvstep: layer.txt:3: layer 4 is out of range (the model has layers 1..3)" err.txt
check "layer out of range exit 65" $?
printf '{{model gqa}}\n{{S[1,T] cache step=T head=5}}\n' > head.txt
"$kvstep" answers head.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ] && [ ! -s out.txt ] &&
	grep -q "^kvstep: head.txt:2: head 5 is out of range (S has heads 1..4)" err.txt
check "head out of range exit 65" $?

# A template file in this directory; a bad one: exit 65, nothing on stdout.
printf 'macs {{macs nocache step=2}}\n' > good.txt
[ "$("$kvstep" answers good.txt)" = "macs 152" ]
check "template file" $?
printf 'line one\n{{nosuch}}\n' > bad.txt
"$kvstep" answers 1-no-cache bad.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ]; check "bad template exit 65 (got $rc)" $?
[ ! -s out.txt ]; check "bad template prints nothing on stdout" $?
grep -q "^kvstep: bad.txt:2: unknown placeholder 'nosuch'" err.txt
check "bad template names file:line" $?
printf '{{Q[1,1] nocache step=9}}\n' > step.txt
"$kvstep" answers step.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ] && [ ! -s out.txt ] && grep -q "step.txt:1: step 9 is out of range" err.txt
check "step out of range" $?
printf 'x\n{{Y[1,1]}}\n' > mat.txt
"$kvstep" answers mat.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ] && [ ! -s out.txt ] && grep -q "mat.txt:2: unknown matrix 'Y'" err.txt
check "unknown matrix" $?
"$kvstep" answers no-such-sheet > out.txt 2> err.txt
[ $? -eq 66 ] && [ ! -s out.txt ]; check "unknown worksheet exit 66 (as -m)" $?
"$kvstep" answers missing.txt > out.txt 2> err.txt
[ $? -eq 66 ] && [ ! -s out.txt ]; check "missing file exit 66" $?

# A NUL byte: refused with file:line, nothing on stdout (it used to cut
# the rest of the line silently).
printf 'line one\nkeep \000 this {{P}}\n' > nul.txt
"$kvstep" answers nul.txt > out.txt 2> err.txt
rc=$?
[ "$rc" -eq 65 ] && [ ! -s out.txt ] &&
	grep -q "^kvstep: nul.txt:2: a NUL byte at column 6" err.txt
check "NUL in a template exit 65 with file:line" $?

# Other runs still resolve the bundled sheets (steps are written as P and T).
"$kvstep" answers -p "the" -n 0 > one.txt; check "one-token prompt, nothing generated" $?
! grep -q '1\.\.0' one.txt; check "one-token prompt: no empty range 1..0" $?
"$kvstep" answers -p "dog sat" -n 4 --digits 3 --ascii --blank > a.txt
check "other prompt, --digits, --ascii, --blank" $?
! LC_ALL=C grep -q '[^ -~]' a.txt 2>/dev/null || [ "$(LC_ALL=C tr -d '\n\f -~' < a.txt | wc -c)" -eq 0 ]
check "--ascii output is ASCII" $?

# A value within 1e-9 of an integer prints as that integer: the logit of
# "the" here is -1.9999999999999996 (W_out row -2 -2 2 times z3).
"$kvstep" -p "dog . on" -n 0 answers 1-no-cache > near.txt
grep -q ' the        -2    the ' near.txt &&
	! grep -q -- '-2\.00' near.txt
check "near-integer value prints as an integer" $?

# export --sheet N: the cells worksheet N shows, the given ones pre-filled
# with status `given`; a blank filled in with the key's values grades 100%.
for n in 1 2 3; do
	"$kvstep" export --sheet $n -o key$n.csv
	check "export --sheet $n: exit 0" $?
	"$kvstep" export --sheet $n --blank -o blank$n.csv
	check "export --sheet $n --blank: exit 0" $?
	# every given row keeps its value in the blank; no other row has one
	awk -F, 'FNR > 1 && ($10 ~ /^given/) != ($9 != "") { bad = 1 }
		END { exit bad }' blank$n.csv
	check "export --sheet $n --blank: values exactly on given rows" $?
	awk -F, -v OFS=, 'NR == FNR { v[FNR] = $9; next }
		FNR > 1 && $9 == "" { $9 = v[FNR] } { print }' \
		key$n.csv blank$n.csv > filled$n.csv
	"$kvstep" grade key$n.csv filled$n.csv > grade.txt
	rc=$?
	[ $rc -eq 0 ] && grep -q "filled$n.csv: \([0-9]*\)/\1 correct (100.0%)" grade.txt
	check "export --sheet $n: the blank filled with the key grades 100%" $?
done
# The blank as handed out: its 40 given cells are printed on the sheet, so
# they are not graded; the 33 cells, 16 counters and 1 token are missing.
"$kvstep" grade key2.csv blank2.csv > grade.txt
grep -q "^key key2.csv: 50 cells to grade, tolerance 0.005 (of them 16 counters and 1 token, graded exactly) (40 given cells, printed on the sheet, not graded)$" grade.txt &&
	grep -q "^blank2.csv: 0/50 correct (0.0%), 0 wrong, 50 missing$" grade.txt
check "export --sheet 2: given cells are not graded" $?
# Sheet 2 of the default run: x6 (5 given), q6 (4), K (20 given + 4),
# V (15 given + 3), S and A (6 each), z6 (3), logits (7): 73 cells; then
# the 17 counters and tokens it asks.
[ "$(($(wc -l < key2.csv) - 1))" -eq 90 ] &&
	[ "$(grep -c ',[XQKVSAZ],\|,logits,' key2.csv)" -eq 73 ] &&
	[ "$(grep -c ',given' key2.csv)" -eq 40 ] &&
	[ "$(grep -c '^6,cache,6,1,1,K,.*,given' key2.csv)" -eq 20 ]
check "export --sheet 2: 73 cells, 40 of them given, then 17 answers" $?
# The 17 counters and tokens sheet 2 asks, after its 73 cells, in the
# order the sheet asks them: matrix = the counter's name or `token`,
# row 1, col = the step.
printf '%s\r\n' \
	'6,cache,6,1,1,token,1,6,.,computed,kvd964e9e2' \
	'6,cache,6,1,1,cache_reads,1,6,35,computed,kvd964e9e2' \
	'6,nocache,6,1,1,macs,1,6,498,computed,kvd964e9e2' \
	'6,cache,6,1,1,macs,1,6,118,computed,kvd964e9e2' \
	'6,prefill,4,1,1,macs,1,6,118,computed,kvd964e9e2' \
	'6,nocache,6,1,1,recomputed_macs,1,6,380,computed,kvd964e9e2' \
	'6,cache,6,1,1,recomputed_macs,1,6,0,computed,kvd964e9e2' \
	'6,prefill,4,1,1,recomputed_macs,1,6,0,computed,kvd964e9e2' \
	'6,nocache,6,1,1,total_macs,1,6,1673,computed,kvd964e9e2' \
	'6,cache,6,1,1,total_macs,1,6,603,computed,kvd964e9e2' \
	'6,nocache,6,1,1,total_recomputed_macs,1,6,1070,computed,kvd964e9e2' \
	'6,cache,6,1,1,total_recomputed_macs,1,6,0,computed,kvd964e9e2' \
	'6,cache,6,1,1,cache_cells,1,6,42,computed,kvd964e9e2' \
	'6,cache,6,1,1,cache_bytes,1,6,168,computed,kvd964e9e2' \
	'6,nocache,6,1,1,cache_cells,1,6,0,computed,kvd964e9e2' \
	'6,nocache,6,1,1,cache_bytes,1,6,0,computed,kvd964e9e2' \
	'1,cache,1,1,1,cache_cells,1,1,7,computed,kvd964e9e2' > want.csv
tail -n 17 key2.csv > got.csv
cmp -s want.csv got.csv; check "export --sheet 2: its counters and token, exact rows" $?
# The same figures as export --counters writes, column by column.
"$kvstep" export --counters > counters.csv
awk -F, 'NR == FNR { if (FNR == 1) for (i = 1; i <= NF; i++) col[$i] = i
		else for (n in col) v[$1 "," $2 "," n] = $(col[n]); next }
	FNR > 1 && $6 !~ /^([XQKVSAZ]|logits)$/ {
		n = $6 == "token" ? "token" : $6; seen++
		if (v[$1 "," $2 "," n] != $9) { print "differs: " $0; bad = 1 } }
	END { exit bad || seen != 17 }' counters.csv key2.csv
check "export --sheet 2: counters and token agree with export --counters" $?
# Sheet 3 asks the passes to read the prompt: 1 for prefill, P for the others.
grep -q '^3,prefill,1,1,1,passes,1,3,1,computed,' key3.csv &&
	grep -q '^3,cache,3,1,1,passes,1,3,3,computed,' key3.csv &&
	grep -q '^3,nocache,3,1,1,passes,1,3,3,computed,' key3.csv &&
	grep -q '^3,prefill,1,1,1,token,1,3,on,computed,' key3.csv
check "export --sheet 3: passes 1, 3, 3 and the token 'on'" $?
# The blank: counter and token values empty, every other field as in the key.
tail -n 17 blank2.csv | sed 's/,1,6,[^,]*,computed,/,1,6,,computed,/; s/,1,1,[^,]*,computed,/,1,1,,computed,/' > want.csv
tail -n 17 blank2.csv > got.csv
cmp -s want.csv got.csv && ! grep -q ',1,[16],[0-9.][0-9]*,computed,' got.csv &&
	[ "$(grep -c ',computed,' got.csv)" -eq 17 ]
check "export --sheet 2 --blank: counters and token left empty" $?
"$kvstep" grade key2.csv filled2.csv > grade.txt
grep -qx "filled2.csv: 50/50 correct (100.0%)" grade.txt &&
	grep -q "^  by matrix: Q 4/4, K 4/4, V 3/3, S 6/6, A 6/6, Z 3/3, logits 7/7, macs 3/3, recomputed_macs 3/3, cache_cells 3/3, cache_bytes 2/2, cache_reads 1/1, total_macs 2/2, total_recomputed_macs 2/2, token 1/1$" grade.txt
check "export --sheet 2: the filled blank grades every counter and the token" $?
# One wrong counter and one wrong token: exact report lines.
sed 's/^6,cache,6,1,1,macs,1,6,118,/6,cache,6,1,1,macs,1,6,120,/; s/^6,cache,6,1,1,token,1,6,\.,/6,cache,6,1,1,token,1,6,the,/' filled2.csv > slip.csv
"$kvstep" grade key2.csv slip.csv > slip.txt
grep -qx "slip.csv: 48/50 correct (96.0%), 2 wrong, 0 missing" slip.txt &&
	grep -qx '    step 6 cache token: expected ".", given "the" (line 75)' slip.txt &&
	grep -qx '    step 6 cache macs: expected 118, given 120 (line 78)' slip.txt &&
	grep -q "token 0/1$" slip.txt && grep -q ", macs 2/3," slip.txt
check "grade: one wrong counter, one wrong token" $?
# Sheet 1's CSV against sheet 2's key (same run): a clear note.
"$kvstep" grade key2.csv key1.csv > wrong.txt
grep -qx "key1.csv: 0/50 correct (0.0%), 0 wrong, 50 missing" wrong.txt &&
	grep -qx "    none of its rows are cells of this key: a CSV of another sheet or another --step/--mode?" wrong.txt
check "grade: a CSV of another sheet is named as such" $?
# A full export against a sheet's key: the refusal says the key is a sheet's.
"$kvstep" export -o full.csv
"$kvstep" grade key2.csv full.csv > full.txt
grep -qx "full.csv: not graded: line 426: more than 424 rows; the key is a worksheet's (export --sheet) with 90 rows, so a student's file has at most 4 x 90 + 64: is this a full export instead of the sheet's CSV? not read further" full.txt
check "grade: a full export against a sheet key says the key is a sheet's" $?
# export --sheet refuses what answers refuses, with the same message and
# exit status, and writes nothing.
for args in '-p "the cat sat on the mat"|1' '-p "the cat sat on the mat"|3' \
	'-n 5|2' '-m gqa|1' '-m local-global|2' '-m mqa|3'; do
	opts=${args%|*}; n=${args#*|}
	eval "\"\$kvstep\" $opts answers $n" > /dev/null 2> a_err.txt; a_rc=$?
	eval "\"\$kvstep\" $opts export --sheet $n -o refused.csv" 2> e_err.txt; e_rc=$?
	[ "$a_rc" -eq 64 ] && [ "$e_rc" -eq 64 ] && cmp -s a_err.txt e_err.txt &&
		[ ! -e refused.csv ]
	check "export --sheet $n refuses $opts as answers does (64, same message)" $?
done
"$kvstep" export --sheet 4 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ] && grep -q "runs models of its own" err.txt
check "export --sheet 4: refused, exit 64" $?
"$kvstep" -m gqa export --sheet 1 > out.txt 2> err.txt
[ $? -eq 64 ] && [ ! -s out.txt ]
check "-m gqa export --sheet 1: refused, exit 64" $?
"$kvstep" export --sheet 1 --counters > out.txt 2> err.txt
[ $? -eq 64 ]; check "export --sheet with --counters: exit 64" $?

echo "$fails failed"
[ "$fails" -eq 0 ]
