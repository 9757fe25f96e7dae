#!/bin/sh
# End to end with the real binary: blank copies match their keys, the
# teacher's loop grades, and exit statuses follow sysexits.
# usage: grade_cli.sh KVSTEP FIXTURES_DIR
set -u
# meson passes the binary relative to the build directory; we cd away.
case $1 in /*) kvstep=$1 ;; *) kvstep=$PWD/$1 ;; esac
case $2 in /*) fix=$2 ;; *) fix=$PWD/$2 ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvstep-grade-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failed=0

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# expect STATUS COMMAND...: runs COMMAND, output to out.txt, checks status.
expect() {
	want=$1
	shift
	"$@" >out.txt 2>err.txt
	got=$?
	[ "$got" -eq "$want" ] || fail "$* exited $got, expected $want: $(cat err.txt)"
}

# has FILE TEXT: FILE contains the line TEXT exactly.
has() {
	grep -qxF -- "$2" "$1" || fail "$1 lacks the line '$2'"
}

# The blank copy is the key with values emptied and masked rows dropped
# (kept with --masked). Fields hold no commas, so awk can split them.
check_blank() {
	expect 0 "$kvstep" export "$@" -o key.csv
	expect 0 "$kvstep" export --blank "$@" -o blank.csv
	expect 0 "$kvstep" export --blank --masked "$@" -o blank_m.csv
	awk -F, -v OFS=, '$10 != "masked" { if (NR > 1) $9 = ""; print }' \
		key.csv >want.csv
	cmp -s want.csv blank.csv || fail "blank copy for '$*' differs from its key"
	awk -F, -v OFS=, '{ if (NR > 1) $9 = ""; print }' key.csv >want.csv
	cmp -s want.csv blank_m.csv || fail "--masked blank for '$*' differs"
	[ "$(wc -l <blank.csv)" -gt 1 ] || fail "blank copy for '$*' is empty"
}

check_blank --mode cache --step 4
check_blank --mode nocache,prefill --step 2-3 --matrix S,A
check_blank --matrix logits
# The masked S cells of step 4, no cache: 6 of 16, out unless --masked.
check_blank --mode nocache --step 4 --matrix S
[ "$(grep -c ',masked' key.csv)" -eq 6 ] || fail "expected 6 masked S cells"
[ "$(grep -c ',masked' blank.csv)" -eq 0 ] || fail "masked cells in blank"
[ "$(grep -c ',masked' blank_m.csv)" -eq 6 ] || fail "--masked lost cells"

# Filters keep exactly what they name.
expect 0 "$kvstep" export --mode nocache,prefill --step 2-3 --matrix S,A
awk -F, 'NR > 1 && ($1 < 2 || $1 > 3 || $2 == "cache" ||
	($6 != "S" && $6 != "A")) { bad = 1 } END { exit bad }' out.txt ||
	fail "--step 2-3 --mode --matrix kept other rows"

# The teacher's loop: a blank, one student rounding to 2 decimals, one
# with mistakes, graded together with a summary.
expect 0 "$kvstep" export --mode cache --step 4 -o key.csv
expect 0 "$kvstep" export --blank --mode cache --step 4 -o blank.csv
awk -F, -v OFS=, 'NR == FNR { if (FNR > 1) v[FNR] = $9; next }
	FNR > 1 { $9 = sprintf("%.2f", v[FNR]) } { print }' \
	key.csv blank.csv >ada.csv
sed -e 's/^\(4,cache,4,1,1,Q,2,4\),[^,]*,/\1,7,/' \
    -e '/^4,cache,4,1,1,Z,3,4,/d' ada.csv >ben.csv
expect 0 "$kvstep" grade key.csv ada.csv ben.csv --summary summary.csv
has out.txt "ada.csv: 55/55 correct (100.0%)"
has out.txt "ben.csv: 53/55 correct (96.4%), 1 wrong, 1 missing"
has out.txt "    step 4 cache Q[2,4]: expected 0, given 7 (line 8)"
has out.txt "    step 4 cache Z[3,4]: expected 2.198, no row in the file"
has summary.csv "$(printf 'ada.csv,graded,55,55,100.0,0,0,,5,5,4,4,16,16,12,12,4,4,4,4,3,3,7,7\r')"
has summary.csv "$(printf 'ben.csv,graded,53,55,96.4,1,1,,5,5,3,4,16,16,12,12,4,4,4,4,2,3,7,7\r')"

# A saved spreadsheet fixture grades the same through the binary.
expect 0 "$kvstep" grade "$fix/key.csv" "$fix/lo_de_semicolon.csv"
has out.txt "$fix/lo_de_semicolon.csv: 55/55 correct (100.0%)"

# Masked key cells are not graded.
expect 0 "$kvstep" export --mode nocache --step 4 --matrix S -o skey.csv
expect 0 "$kvstep" grade skey.csv skey.csv
has out.txt "key skey.csv: 10 cells to grade, tolerance 0.005 (6 masked cells not graded)"
has out.txt "skey.csv: 10/10 correct (100.0%)"

# --tol changes what counts.
expect 0 "$kvstep" grade --tol 0 key.csv ada.csv
has out.txt "ada.csv: 41/55 correct (74.5%), 14 wrong, 0 missing"

# Exit statuses: grading ran = 0, even for a missing student file.
expect 0 "$kvstep" grade key.csv nobody.csv
has out.txt "nobody.csv: not graded: cannot open: No such file or directory"
expect 64 "$kvstep" grade key.csv
expect 64 "$kvstep" grade --tol x key.csv ada.csv
expect 66 "$kvstep" grade missing.csv ada.csv
has err.txt "kvstep: missing.csv: cannot open: No such file or directory"
expect 65 "$kvstep" grade "$fix/not_a_trace.csv" ada.csv
expect 65 "$kvstep" grade blank.csv ada.csv
has err.txt "kvstep: blank.csv: every cell is empty; export the key without --blank"
expect 73 "$kvstep" grade key.csv ada.csv --summary no/such/dir/s.csv
[ -s out.txt ] && fail "a report was printed although the summary failed"

# The run column: a blank of another run is refused by name, exit 65,
# while the others are still graded and the summary is written.
expect 0 "$kvstep" export --blank --mode cache --step 4 -p "the dog sat" -o dog.csv
expect 65 "$kvstep" grade key.csv dog.csv ada.csv --summary s2.csv
has err.txt "kvstep: dog.csv: made for another run than the key; not graded (see the report)"
grep -q "^dog.csv: not graded: made for another run: line 2 says run 'kv[0-9a-f]*', the key is run 'kv[0-9a-f]*'" out.txt ||
	fail "no another-run line in the report"
has out.txt "ada.csv: 55/55 correct (100.0%)"
grep -q '^dog.csv,not graded,' s2.csv || fail "summary lacks dog.csv"
# A file a spreadsheet saved without the run column still grades, noted.
cut -d, -f1-10 ada.csv | sed 's/$/\r/; s/\r\r$/\r/' >norun.csv
expect 0 "$kvstep" grade key.csv norun.csv
has out.txt "norun.csv: 55/55 correct (100.0%)"
has out.txt "    no run column: could not check that the file is of the key's run"

# No raw control byte from a student's file reaches the report, stderr or
# the summary.
esc=$(printf '\033]0;PWNED\007\033[2J')
sed "s/^\(4,cache,4,1,1,Q,2,4\),[^,]*,/\1,\"$esc\",/" ada.csv >evil.csv
cp ada.csv "$(printf 'name\033[2J.csv')"
expect 0 "$kvstep" grade key.csv evil.csv "$(printf 'name\033[2J.csv')" --summary s3.csv
has out.txt '    step 4 cache Q[2,4]: expected 0, given '"'"'\x1b]0;PWNED\x07\x1b[2J'"'"', unreadable (line 8; see notes)'
has out.txt 'name\x1b[2J.csv: 55/55 correct (100.0%)'
if LC_ALL=C grep -q "$(printf '[\033\007]')" out.txt err.txt s3.csv; then
	fail "a raw ESC or BEL byte was printed"
fi

# A 64 MiB student file of "1" rows is refused at a bounded memory cost,
# and the student beside it is graded.
head -n 1 key.csv >huge.csv
yes 1 | head -c 67108864 >>huge.csv
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$kvstep" grade key.csv huge.csv ada.csv >out.txt 2>err.txt
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' err.txt)
	[ -n "$rss" ] && [ "$rss" -lt 65536 ] || fail "grading a 64 MiB file took $rss KiB"
else
	expect 0 "$kvstep" grade key.csv huge.csv ada.csv
fi
has out.txt "huge.csv: not graded: line 286: more than 284 rows; the key has 55 rows, so a student's file has at most 4 x 55 + 64; not read further"
has out.txt "ada.csv: 55/55 correct (100.0%)"
rm -f huge.csv

# Excel's sep= line, status glyphs, --rel-tol and --bom through the binary.
{ printf 'sep=;\r\n'; sed 's/,/;/g; s/^\(4;cache;4;1;1;K;1;1\);\([^;]*\);/\1;\2!;/' ada.csv; } >excel.csv
expect 0 "$kvstep" grade key.csv excel.csv --rel-tol 0.03 --bom --summary s4.csv
has out.txt "key key.csv: 55 cells to grade, tolerance 0.005 or 3% of the key value, whichever is larger"
has out.txt "excel.csv: 55/55 correct (100.0%)"
has out.txt "    read 1 value with a status glyph (! or =) after the number (first on line 12) as the number alone"
[ "$(head -c 3 s4.csv | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "--bom wrote no BOM"
expect 64 "$kvstep" grade key.csv ada.csv --rel-tol 2
has err.txt "kvstep: --rel-tol expects a number from 0 to 1, got '2'"
expect 73 "$kvstep" grade key.csv ada.csv --summary no/such/dir/s.csv
has err.txt "kvstep: no/such/dir/s.csv: cannot create: No such file or directory"

# The class table aligns names by display width (UTF-8 locale).
cp ada.csv "$(printf 'Zo\303\253.csv')"
cp ada.csv "$(printf '\345\261\261\347\224\260.csv')"
LC_ALL=C.UTF-8 "$kvstep" grade key.csv "$(printf 'Zo\303\253.csv')" \
	"$(printf '\345\261\261\347\224\260.csv')" ada.csv >out.txt 2>err.txt
has out.txt "$(printf '  Zo\303\253.csv         55/55   100.0%%')"
has out.txt "$(printf '  \345\261\261\347\224\260.csv        55/55   100.0%%')"
has out.txt "  ada.csv         55/55   100.0%"

if [ "$failed" -ne 0 ]; then
	echo "$failed check(s) failed"
	exit 1
fi
echo "all grade CLI checks passed"
