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
has out.txt "    step 4 cache Q[2,4]: expected 2, given 7 (line 8)"
has out.txt "    step 4 cache Z[3,4]: expected 1.878, no row in the file"
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

if [ "$failed" -ne 0 ]; then
	echo "$failed check(s) failed"
	exit 1
fi
echo "all grade CLI checks passed"
