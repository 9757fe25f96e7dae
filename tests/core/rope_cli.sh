#!/bin/sh
# RoPE from the command line: the bundled model's Qr and Kr rows against a
# golden CSV, every Q and K row against the rotation of its Qr/Kr row
# (awk's own cos and sin), the relative-position pair, model-file errors
# (65, file:line), --ctx/--shift usage (64) and export --shift rows.
# usage: rope_cli.sh KVSTEP TESTDIR
set -u
kvstep=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
golden=$(cd "$2" && pwd)/golden/rope-qr-kr.csv
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

"$kvstep" -m rope export --matrix Qr,Kr --mode cache --step 1-3 > qk.csv
check "Qr and Kr rows match the golden CSV" cmp -s qk.csv "$golden"

# Every turned cell from its raw pair: a = (col-1)*100^(-2(i-1)/4).
"$kvstep" -m rope export --mode nocache --step 9 --matrix Q,K,Qr,Kr | tr -d '\r' > all.csv
awk -F, 'NR > 1 { v[$6 "," $7 "," $8] = $9 }
END {
	bad = 0; n = 0
	for (key in v) {
		split(key, f, ","); m = f[1]; r = f[2]; c = f[3]
		if (m != "Q" && m != "K") continue
		i = int((r + 1) / 2); lo = 2 * i - 1
		a = (c - 1) * exp(-2 * (i - 1) / 4 * log(100))
		x = v[m "r," lo "," c]; y = v[m "r," lo + 1 "," c]
		want = (r == lo) ? x * cos(a) - y * sin(a) : x * sin(a) + y * cos(a)
		d = want - v[key]; if (d < 0) d = -d
		if (d > 1e-12) bad++
		n++
	}
	print n, bad
}' all.csv > direct.txt
check "72 Q and K cells are their Qr and Kr pairs turned" [ "$(cat direct.txt)" = "72 0" ]

"$kvstep" -m rope export --mode cache --matrix S | tr -d '\r' | awk -F, '($7 == 3 && $8 == 5) || ($7 == 6 && $8 == 8) { print $9 }' > pair.txt
check "S[3,5] and S[6,8] agree to 12 decimals" awk 'NR == 1 { a = $1 } NR == 2 { d = a - $1; if (d < 0) d = -d; ok = d < 1e-12 } END { exit !(NR == 2 && ok) }' pair.txt

cat > odd.ini <<'INI'
[model]
vocab = a b
d_model = 2
d_k = 3
d_v = 1
rope = 10000
prompt = a b
[embedding]
a = 1 0
b = 0 1
[W_Q]
row = 1 0
row = 0 1
row = 1 1
[W_K]
row = 1 0
row = 0 1
row = 1 1
[W_V]
row = 1 1
[W_out]
a = 1
b = 0
INI
"$kvstep" -m ./odd.ini export > out.csv 2> err.txt; rc=$?
check "odd d_k with rope is 65" [ "$rc" -eq 65 ]
check "... named by file and line" grep -qx "kvstep: ./odd.ini:6: rope rotates pairs of rows, so d_k must be even; d_k = 3" err.txt
check "... and writes nothing" [ ! -s out.csv ]

"$kvstep" -m rope --shift 2 export > /dev/null 2> err.txt; rc=$?
check "--shift without --ctx is 64" [ "$rc" -eq 64 ]
check "... and says so" grep -qx "kvstep: --shift N and --ctx C go together, with 1 <= N < C (got --ctx 0 --shift 2)" err.txt
"$kvstep" -m rope --ctx 3 --shift 3 export > /dev/null 2>&1; rc=$?
check "--shift N >= --ctx C is 64" [ "$rc" -eq 64 ]
"$kvstep" --ctx 4 --shift 1 export > /dev/null 2> err.txt; rc=$?
check "--shift on a model without rope is 64" [ "$rc" -eq 64 ]
"$kvstep" -m rope --ctx 4 --shift 1 answers > /dev/null 2>&1; rc=$?
check "--shift does not go with answers (64)" [ "$rc" -eq 64 ]
"$kvstep" -m rope --ctx 4 --shift 1 export --counters > /dev/null 2>&1; rc=$?
check "export --shift --counters is 64" [ "$rc" -eq 64 ]

"$kvstep" -m rope --ctx 6 --shift 2 export -o shift.csv; rc=$?
check "export --shift exits 0" [ "$rc" -eq 0 ]
check "... CRLF on every line" [ "$(grep -c "$(printf '\r')\$" shift.csv)" -eq "$(wc -l < shift.csv)" ]
tr -d '\r' < shift.csv > s.csv
check "... header" [ "$(head -n 1 s.csv)" = "step,layer,head,matrix,row,col,pos,value,fresh,status,run" ]
# step 7: k1, k2 dropped; k3..k6 turned back to positions 1..4; k7 new at 5
awk -F, '$1 == 7 && $4 == "K" && $5 == 1 { printf "%s:%s:%s ", $6, $7, $10 }' s.csv > k7.txt
check "step 7: statuses and positions of K" [ "$(cat k7.txt)" = "1::evicted 2::evicted 3:1:shifted 4:2:shifted 5:3:shifted 6:4:shifted 7:5:computed " ]
awk -F, '$1 == 8 && $4 == "K" && $5 == 1 && $6 == 7 { print $10 }' s.csv > k8.txt
check "step 8: k7 is reused" [ "$(cat k8.txt)" = reused ]
awk -F, 'NR > 1 && $8 != "" { n++; d = $8 - $9; if (d < 0) d = -d; if (d > m) m = d } END { exit !(n > 100 && m < 1e-12) }' s.csv
check "every shifted value is within 1e-12 of the fresh run" [ $? -eq 0 ]
awk -F, '$1 == 9 && $4 == "S" { printf "%s ", $5 }' s.csv > s9.txt
check "step 9 scores keys 5..9 (3, 4 dropped)" [ "$(cat s9.txt)" = "5 6 7 8 9 " ]

# grade reads Qr and Kr rows back: a key graded against itself is all right
"$kvstep" -m rope export --step 2-3 -o key.csv
"$kvstep" grade key.csv key.csv > grade.txt; rc=$?
check "grade reads a RoPE export back (exit 0)" [ "$rc" -eq 0 ]
check "... 136 Qr and Kr rows are in it" [ "$(grep -c -e ',Qr,' -e ',Kr,' key.csv)" -eq 136 ]
"$kvstep" -m rope export --step 2-3 --blank -o blank.csv
"$kvstep" grade key.csv blank.csv > gblank.txt
check "... and a blank copy counts them missing" grep -q "Qr 0/68, Kr 0/68" gblank.txt

"$kvstep" --help > help.txt
check "--help names --shift and shifted" grep -q "status shifted" help.txt

[ "$fails" -eq 0 ]
