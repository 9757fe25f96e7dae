#!/bin/sh
# Worksheet 9 (a quantised KV cache): one page, its own run whatever -m, -p
# and -n say, and its answers recomputed here from the CSV of the same run
# (kvstep export --kv-quant int4 --kv-group 4), apart from the sheet code.
# usage: kv_quant_sheet.sh KVSTEP
set -u
kvstep=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
width() { awk '{ n = length($0); if (n > w) w = n } END { print w + 0 }' "$1"; }

"$kvstep" answers 9 > key.txt; check "answers 9 exits 0" [ $? -eq 0 ]
"$kvstep" answers --blank 9 > blank.txt; check "--blank 9 exits 0" [ $? -eq 0 ]
"$kvstep" answers --ascii 9 > ascii.txt; check "--ascii 9 exits 0" [ $? -eq 0 ]
for f in key blank ascii; do
	check "$f: at most 60 lines" [ "$(wc -l < $f.txt)" -le 60 ]
	check "$f: at most 80 columns" [ "$(LC_ALL=C.UTF-8 width $f.txt)" -le 80 ]
done
"$kvstep" -m gqa -p "dog sat" -n 1 answers 9 > other.txt
check "the sheet runs its own model, whatever -m -p -n" cmp -s other.txt key.txt
check "blank: no digits in the answers of question 1" sh -c "! sed -n '/^1\\./,/^2\\./p' blank.txt | grep -q '[0-9]\\{2\\}\\|k[1-4] [0-9-]'"

# the same run as CSV: K and Kq of the cache mode at step 4 (P + 1)
"$kvstep" export --kv-quant int4 --kv-group 4 --step 4 --matrix K,Kq,S > q.csv
"$kvstep" export --kv-quant int4 --kv-group 4 --step 4 --mode cache --counters > c.csv
val() { # val MODE MATRIX ROW COL
	awk -F, -v m="$1" -v x="$2" -v r="$3" -v c="$4" \
		'$2 == m && $6 == x && $7 == r && $8 == c { print $9 }' q.csv
}
k1=$(val cache K 3 1) k2=$(val cache K 3 2) k3=$(val cache K 3 3) k4=$(val cache K 3 4)
# min, max, scale = (max - min)/15, codes = round((x - min)/scale), read back
want=$(echo "$k1 $k2 $k3 $k4" | awk '{
	mn = $1; mx = $1
	for (i = 2; i <= 4; i++) { if ($i < mn) mn = $i; if ($i > mx) mx = $i }
	s = (mx - mn) / 15
	printf "%g %g %.4f", mn, mx, s
	for (i = 1; i <= 4; i++) { c = s > 0 ? int(($i - mn) / s + 0.5) : 0; printf " %d", c }
	for (i = 1; i <= 4; i++) { c = s > 0 ? int(($i - mn) / s + 0.5) : 0; printf " %.4f", mn + c * s }
	c = s > 0 ? int(($1 - mn) / s + 0.5) : 0; printf " %.4f\n", mn + c * s - $1
}')
got=$(awk '
	/^   min / { mn = $2; mx = $4; s = $6 }
	/^   codes / { c1 = $3; c2 = $5; c3 = $7; c4 = $9 }
	/^   read back / { r1 = $4; r2 = $6; r3 = $8; r4 = $10 }
	/^   Error of k1/ { e = $NF }
	END { print mn, mx, s, c1, c2, c3, c4, r1, r2, r3, r4, e }' key.txt)
same=$(echo "$want $got" | awk '{
	ok = 1
	for (i = 1; i <= 12; i++) { d = $i - $(i + 12); if (d < 0) d = -d; if (d > 0.0051) ok = 0 }
	print ok }')
check "K row 3 read from the CSV: $k1 $k2 $k3 $k4" [ -n "$k1" ] && [ -n "$k4" ]
check "question 1 recomputed from the CSV: $got" [ "$same" = 1 ] && [ "$(echo $got | wc -w)" -eq 12 ]
# the read-back values are the CSV's Kq
for c in 1 2 3 4; do
	kq=$(val cache Kq 3 $c)
	r=$(awk -v c=$c '/^   read back / { print $(2 + 2 * c) }' key.txt)
	check "Kq[3,$c] = $kq" [ -n "$kq" ] && [ -n "$r" ] && check "... on the key" awk -v a="$kq" -v b="$r" 'BEGIN { d = a - b; exit !(d < 0.0051 && d > -0.0051) }'
done
# a student works from the printed numbers only: min + code x the printed
# scale, rounded to the key's 2 decimals, is the printed read-back value
# (with a scale printed as 0.13, k1 would read back as -0.96, not -0.93)
derived=$(awk '
	/^   min / { mn = $2; s = $6 }
	/^   codes / { c[1] = $3; c[2] = $5; c[3] = $7; c[4] = $9 }
	/^   read back / { r[1] = $4; r[2] = $6; r[3] = $8; r[4] = $10 }
	END { ok = 1
	      for (i = 1; i <= 4; i++) { d = mn + c[i] * s - r[i]; if (d < 0) d = -d; if (d > 0.005) ok = 0 }
	      print ok, s }' key.txt)
check "read-back values derivable from the printed scale ($derived)" [ "$derived" = "1 0.1333" ]
sc=$(val cache S 1 4) sn=$(val nocache S 1 4)
gc=$(awk '/with the read-back k1/ { print $NF }' key.txt)
gn=$(awk '/with the exact k1/ { print $NF }' key.txt)
check "S[1,4] cache $sc and no cache $sn" [ -n "$sc$gc" ] && [ -n "$sn$gn" ] && check "... on the key" awk -v a="$sc" -v b="$gc" -v x="$sn" -v y="$gn" \
	'BEGIN { d = a - b; e = x - y; exit !(d < 0.0051 && d > -0.0051 && e < 0.0051 && e > -0.0051) }'
bytes=$(awk -F, '$1 == 4 && $2 == "cache" { print $12 }' c.csv)
check "cache_bytes $bytes" grep -q "^   The quantised cache in bytes:  $bytes\$" key.txt
# K 4 x 4 group + 4 V columns, 4 bits a code, fp32 mins and scales:
# 4 x 7 x 4 bits = 14 bytes, (2 x 4 + 2 x 4) x 4 = 64 bytes
check "cache_bytes is the closed form 78" [ "$bytes" = 78 ]

# the directive's errors name the line
printf '{{model default kv-quant=int3}}\nx\n' > bad1.txt
"$kvstep" answers ./bad1.txt > out.txt 2> err.txt; rc=$?
check "bad kv-quant: exit 65" [ $rc -eq 65 ]
check "bad kv-quant: message" grep -q "^kvstep: ./bad1.txt:1: bad model option 'kv-quant=int3'" err.txt
printf '{{model default kv-group=2}}\nx\n' > bad2.txt
"$kvstep" answers ./bad2.txt > out.txt 2> err.txt; rc=$?
check "kv-group alone: exit 65" [ $rc -eq 65 ]
printf '{{model default kv-quant=int8}}\n{{? Kq[1,1] min cache step=1}}\n' > bad3.txt
"$kvstep" answers ./bad3.txt > out.txt 2> err.txt; rc=$?
check "a residual cell has no min: exit 65" [ $rc -eq 65 ] && check "... nothing on stdout" [ ! -s out.txt ]
check "... message" grep -q "is not quantised here" err.txt
[ "$fails" -eq 0 ]
