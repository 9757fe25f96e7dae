#!/bin/bash
# The RoPE model in tmux (TERM=xterm-256color, LC_ALL=C.UTF-8): the RoPE
# panel and the inspector's text at 80x24 and 120x40, exact lines: the
# rotation of a Q and a K cell with its numbers, what the cache holds, the
# relative-position pair (S[3,5] = S[6,8]), and with --ctx 6 --shift 2 the
# shifted cache (k↺) and its legend entry. Polls instead of sleeping.
# usage: rope_tmux.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SOCK_BASE=kvstep-rope-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}

. "$(dirname "$0")/tmux_lib.sh"

has_line() { # has_line TEXT DESCRIPTION: a whole row is TEXT, trailing blanks cut
	capture
	if sed 's/ *$//' "$TMP/screen" | grep -qxF -- "$1"; then ok "$2"; else bad "$2"; fi
}

echo "1..21"
start 80 24 TERM=xterm-256color -- -m rope
wait_for "step 1/9" "80x24 starts at step 1"
has_line "RoPE 100, interleaved pairs: (1,2) 1 rad a position, (3,4) 0.1; cache: k turned" "the rotation row"
has_line "same tokens 2 apart: S[3,5] \"do\"→\"mi\" = ? at step 5, S[6,8] = ? at step 8" "the pair before it is computed"
keys Right Right Right Right Right Right Right
wait_for "step 8/9" "Right x7 goes to step 8"
has_line "same tokens 2 apart: S[3,5] \"do\"→\"mi\" = -2.41, S[6,8] = -2.41: equal ±4.4e-16" "both scores, equal up to one rounding"
keys i j j j j j
wait_for "INSPECT S[6,8]" "the cursor on S[6,8]"
has_line "  computed in pass 8; same tokens 2 apart: S[3,5] = -2.41" "the inspector names S[3,5]"
keys '[' '[' '['
wait_for "INSPECT Q[3,8]" "[ x3 goes to Q"
has_line "INSPECT Q[3,8] = Qr3·cos a − Qr4·sin a = (-1)·0.7648 − (-2)·0.6442 = 0.52  a =" "Q[3,8]: the rotation with its numbers"
has_line "  (8-1)·0.1 = 0.7 rad   computed in pass 8" "Q[3,8]: the angle"
keys q
wait_rc 0 "q quits"

start 120 40 TERM=xterm-256color -- -m rope
wait_for "step 1/9" "120x40 starts at step 1"
keys 2 Right Right Right Right i "[" "[" h h
wait_for "INSPECT K[1,3]" "the cursor on K[1,3] at step 5"
has_line "INSPECT K[1,3] = Kr1·cos a − Kr2·sin a = (-2)·(-0.4161) − 2·0.9093 = -0.99  a = (3-1)·1 = 2 rad; the cache holds k" "K[1,3]: the rotation"
has_line "  turned, written once, never turned again   k3 reused from cache" "K[1,3]: the cache never turns it again"
keys q
wait_rc 0 "q quits"

start 120 40 TERM=xterm-256color -- -m rope --ctx 6 --shift 2
wait_for "step 1/9" "--shift starts"
keys Right Right Right Right Right Right
wait_for "step 7/9" "step 7"
has_line "shift --ctx 6 --shift 2: at step 7 k1-k2 dropped, k3-k6 turned back 2" "the shift at step 7"
capture
if grep -q "^cache k3↺ k4↺ k5↺ k6↺ k7\*  as positions 1-5  |shifted-fresh| [0-9.]*e-1[0-9]" "$TMP/screen"; then
	ok "the shifted cache, within rounding of a fresh run"
else
	bad "the shifted cache, within rounding of a fresh run"
fi
wait_for "k↺ shifted" "the legend names shifted"
[ "$checks" -eq 21 ] || bad "ran $checks checks, planned 21"
exit $((fails > 0))
