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

echo "1..32"
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
has_line "shift replay --ctx 6 --shift 2: at step 7 k1-k2 dropped, k3-k6 turned back 2; the panes above have no --ctx limit" "the shift at step 7"
capture
if grep -q "^cache k3↺ k4↺ k5↺ k6↺ k7\*  as positions 1-5  |shifted-fresh| [0-9.]*e-1[0-9]" "$TMP/screen"; then
	ok "the shifted cache, within rounding of a fresh run"
else
	bad "the shifted cache, within rounding of a fresh run"
fi
wait_for "k↺ shifted" "the legend names shifted"

# 80x24, TERM=vt100: a K note too long for two rows is cut with "…" and
# keeps the status (computed / recomputed)
start 80 24 TERM=vt100 -- -m rope --ctx 6 --shift 2
wait_for "step 1/9" "80x24 --shift starts"
has_line "shift replay --ctx 6 --shift 2: cache holds 1 of 6 positions; panes: no --ctx" "step 1: the replay, not the panes, holds at most 6"
keys Right Right Right Right Right
wait_for "step 6/9" "80x24 step 6"
has_line "shift replay --ctx 6 --shift 2: cache full (6 of 6); the next token shifts it" "step 6: 6 of 6 is full"
keys Right Right Right 2 i "[" "["
wait_for "INSPECT K[1,9]" "the cursor on K[1,9] at step 9"
has_line "INSPECT K[1,9] = Kr1·cos a − Kr2·sin a = 0·(-0.1455) − 0·0.9894 = 0  a = (9-1)·1" "K[1,9]: first row"
has_line "  = 8 rad; the cache holds k turned, written once, never …   computed in pass 9" "K[1,9]: the note cut with …, the status whole"
keys 1 h h h h
wait_for "INSPECT K[1,5]" "no cache, the cursor on K[1,5]"
has_line "INSPECT K[1,5] = Kr1·cos a − Kr2·sin a = 2·(-0.6536) − (-1)·(-0.7568) = -2.06  a" "K[1,5]: first row"
has_line "  = (5-1)·1 = 4 rad; the cache …   recomputed: an earlier pass already had it" "K[1,5]: the status kept"
keys q
wait_rc 0 "q quits (80x24 vt100)"
[ "$checks" -eq 32 ] || bad "ran $checks checks, planned 32"
exit $((fails > 0))
