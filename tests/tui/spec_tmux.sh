#!/bin/bash
# `kvstep spec` in tmux: the default run at 80x24 and 200x60, stepped with
# the main view's keys (Left, Right, Home, End, ?, Esc, q), exact lines of
# the frame. Polls instead of sleeping a fixed time.
# usage: spec_tmux.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SOCK=kvstep-spec-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}
fails=0 checks=0
cleanup() { tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
ok() { checks=$((checks + 1)); echo "ok $checks - $1"; }
bad() {
	checks=$((checks + 1)); fails=$((fails + 1))
	echo "not ok $checks - $1"
	[ -f "$TMP/screen" ] && sed 's/^/#   /' "$TMP/screen"
}
capture() { tmux -L "$SOCK" capture-pane -p -t ui > "$TMP/screen" 2>/dev/null; }
wait_for() { # wait_for TEXT DESCRIPTION
	local end=$((SECONDS + TIMEOUT))
	while [ $SECONDS -le $end ]; do
		capture
		if grep -qF -- "$1" "$TMP/screen"; then ok "$2"; return 0; fi
		sleep 0.1
	done
	bad "$2 (no \"$1\" within ${TIMEOUT}s)"
}
line_is() { # line_is N TEXT DESCRIPTION: row N (1-based) exactly, trailing blanks cut
	capture
	if [ "$(sed -n "${1}p" "$TMP/screen" | sed 's/ *$//')" = "$2" ]; then ok "$3"; else bad "$3"; fi
}
start() { # start W H ARGS...
	local w=$1 h=$2; shift 2
	tmux -L "$SOCK" kill-server 2>/dev/null
	tmux -L "$SOCK" new-session -d -s ui -x "$w" -y "$h" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $KVSTEP spec $*; sleep 5"
}
keys() { tmux -L "$SOCK" send-keys -t ui "$@"; }

echo "1..21"
start 80 24
wait_for "iteration 1/1" "80x24 starts at iteration 1"
line_is 4 "iteration 1: x1..x4 known; draft proposes 3; target checks 4..7 in 1 pass" "what the iteration does"
line_is 6 "draft d_i   the     on      the" "the draft's proposals"
line_is 7 "target max  the     mat     the     mat" "the target's argmax at 4..7"
line_is 8 "check       ✓       ✗       ·" "accepted, rejected, not checked"
line_is 9 "emitted     the mat  (a = 1 accepted + the target's own)" "emitted"
# K of the default model: keys 1..3 reused, 4..5 kept, 6..7 rolled back
line_is 16 "K      1       2       3       4       5       6       7" "K columns 1..7"
line_is 17 "   -2.00=  -1.00=  -2.00=  -2.00*  -2.00*  -2.00~  -2.00~" "K row 1: reused, computed, rolled back"
line_is 21 "so far      target passes: speculative 2, plain cache decoding 3" "passes in lockstep"
line_is 22 "            tokens per target pass 1.50   acceptance 1/3" "tokens per pass and acceptance"
line_is 23 "            draft MACs 399   target MACs wasted on rejected positions 243" "MACs"
keys Left
wait_for "iteration 0/1" "Left steps back to the prefill"
line_is 4 "prefill: both models run 1..3, one pass each; target argmax at 3: x4 = on" "the prefill line"
keys End
wait_for "iteration 1/1" "End goes to the last iteration"
keys '?'
wait_for "keys (Esc or ? closes)" "? opens the keys"
keys Escape
sleep 0.3
capture
if grep -qF "keys (Esc or ? closes)" "$TMP/screen"; then bad "Esc closes the keys"; else ok "Esc closes the keys"; fi
keys q
wait_for "" "q quits"
capture
if grep -qF "iteration" "$TMP/screen"; then bad "the view is gone after q"; else ok "the view is gone after q"; fi

start 200 60 -n 10
wait_for "iteration 1/5" "200x60, -n 10: five iterations"
keys Right
wait_for "iteration 2/5" "Right steps"
capture
if grep -qE "^Q .* K .* V " "$TMP/screen" && grep -qE "^S  " "$TMP/screen"; then
	ok "Q, K and V side by side, S below"
else
	bad "Q, K and V side by side, S below"
fi
[ "$fails" -eq 0 ]
