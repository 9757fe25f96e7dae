#!/bin/bash
# --kv-quant in tmux: Kq/Vq blocks with the quantised mark, the drift line
# in the strip and the inspector on a Kq cell, at 80x24, 120x40 and 200x60,
# with exact text. Runs tests/tui/kvquant.ini, a copy of the classroom model,
# so that the screens stay put when data/default.ini changes.
# usage: kv_quant_tmux.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MODEL=$(cd "$(dirname "$0")" && pwd)/kvquant.ini
SOCK_BASE=kvstep-kvq-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}

. "$(dirname "$0")/tmux_lib.sh"

has_line() { # has_line TEXT DESCRIPTION: some row is exactly TEXT (trailing blanks cut)
	capture
	if sed 's/ *$//' "$TMP/screen" | grep -qxF -- "$1"; then ok "$2"; else bad "$2"; fi
}
step_to() { # step_to N: Right until the header says step N/
	local i
	for ((i = 1; i < $1; i++)); do keys Right; done
	wait_for "step $1/" "stepped to $1"
}
# the KV cache pane (Tab lands on S), then PgUp twice: Vq, Kq
to_kq() {
	keys Tab; wait_for "S[1," "Tab: the KV cache pane, on S"
	keys PPage; wait_for "Vq[" "PgUp: Vq"
	keys PPage; wait_for "Kq[" "PgUp: Kq"
}
# Shift-Left to column 1 (from 6), Shift-Down to row 2
to_kq21() {
	local i
	for i in 1 2 3 4 5; do keys S-Left; done
	keys S-Down
	wait_for "Kq[2,1]" "the cursor on Kq[2,1]"
}

echo "1..32"
# 80x24, int4, G 3: at step 6 both groups (1-3, 4-6) are quantised
start 80 24 TERM=xterm-256color -- -m "$MODEL" --kv-quant int4 --kv-group 3 -n 6
wait_for "step 1/9" "80x24 starts"
step_to 6
to_kq
to_kq21
has_line " 2 ▶≈1.07=    ≈2=    ≈0=   ≈-1=    ≈1= ≈0.07*" "Kq row 2: ≈ marks every quantised value"
has_line "int4 |err| K 0.0667 V 0 S 0.0333 A 0.00911 Z 0.0112 logits 0.0475; next same" "80 columns: the drift line"
# K row 2 over 1-3 is 1 2 0: scale 2/15, (1 - 0)/scale = 7.5 rounds to 8
has_line "Kq[2,1] = min + code · scale = 0 + 8·0.1333 = 1.07; exact K 1, error 0.0667;" "inspector: min + code·scale, exact, error"
has_line "prefill  ██▌                561 MACs     0 recomputed  cache   133 B    4 passes" "cache bytes: codes, scales and mins"
keys q; wait_rc 0 "q quits"

# 120x40, int4, G 3, R 4: at step 6 group 1-3 is quantised, 4-6 is not
start 120 40 TERM=xterm-256color -- -m "$MODEL" --kv-quant int4 --kv-group 3 --kv-residual 4 -n 6
wait_for "step 1/9" "120x40 starts"
step_to 6
to_kq
has_line " 2  ≈1.07=    ≈2=    ≈0=    -1=     1=     0*    2   ≈1=  ≈3= ≈-2=   0=   1=  -1*" "residual columns 4-6: no mark"
has_line "int4 max |error|: K 0.0667 V 0 S 0.0333 A 0.000941 Z 0.00177 logits 0.00612; next token same: ." "120 columns: the drift line"
keys S-Left
wait_for "Kq[1,5]" "the cursor on Kq[1,5]"
has_line "Kq[1,5] = K[1,5] = -2: full precision (the residual) until group 4-6 is quantised at position 7   k5 reused from cache" "inspector: a residual cell"
keys q; wait_rc 0 "q quits"

# 200x60 in ASCII, G 5: at step 10 the next token changes
start 200 60 TERM=xterm-256color -- -m "$MODEL" --kv-quant int4 --kv-group 5 -n 10 --ascii
wait_for "step 1/13" "200x60 starts"
step_to 10
has_line "int4 cache (G 5, R 5) vs exact, max |error|: K 0.0667 V 0.0667 S 0.0667 A 0.00248 Z 0.00656 logits 0.0158; next token changes: . -> on" "200 columns: the next token changes"
keys Tab
wait_for "(k, v as the int4 cache reads them back: Kq, Vq)" "the S inspector says it reads Kq"
keys PPage; wait_for "Vq[" "PgUp: Vq"
keys PPage; wait_for "Kq[" "PgUp: Kq"
keys S-Down
wait_for "Kq[2,10]" "the cursor on Kq[2,10]"
# row 2 over positions 6-10 is 0 0 0 0 0: a constant group reads back exact
has_line "KV cache: Kq[2,10] = min + code x scale = 0 + 0 x 0 = 0; exact K 0, error 0; int4, K row 2 over positions 6-10: scale = (max - min)/15, code = round((K - min)/scale)   computed in pass 10" "inspector: a constant group, scale 0"
capture
if grep -q "Kq" "$TMP/screen" && ! grep -q "≈" "$TMP/screen"; then ok "--ascii marks with ~"; else bad "--ascii marks with ~"; fi
has_line "legend 1* computed  1= reused (cache)  1! recomputed   . masked  > cursor  ~1 quantised  Tab pane  [ ] matrix  i inspect" "the legend names the quantised mark"
keys q; wait_rc 0 "q quits"
echo "# $checks checks, $fails failed"
[ "$fails" -eq 0 ]
