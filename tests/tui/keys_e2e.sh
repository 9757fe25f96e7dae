#!/bin/bash
# Keys as terminals send them, driven in tmux against the real binary:
# Enter (CR), Esc once and twice, Alt-b (ESC b), PuTTY's Home and End as raw
# bytes, vt100's Home/End/PgUp/PgDn/Shift-Up/Backspace, the jump prompt,
# auto-play, the cache-memory view, an SGR mouse click on a cell, and
# Ctrl-\ (SIGQUIT) restoring the terminal. Expected numbers come from
# `kvstep export --counters`, never typed in.
#
# usage: keys_e2e.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SOCK_BASE=kvstep-keys-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}

. "$(dirname "$0")/tmux_lib.sh"
# start_term W H TERM [ENV...]: kvstep under that TERM
start_term() { local w=$1 h=$2 term=$3; shift 3; start "$w" "$h" "TERM=$term" "$@"; }

# the screen row and column (0-based) where TEXT first starts after a
# line matching ANCHOR; prints "row col"
find_text() { # ANCHOR-REGEX TEXT
	awk -v a="$1" -v t="$2" '
		found == 0 && $0 ~ a { found = 1 }
		found == 1 && index($0, t) { print NR - 1, index($0, t) - 1; exit }
	' "$TMP/screen"
}

"$KVSTEP" export --counters > "$TMP/counters.csv"
col() { head -1 "$TMP/counters.csv" | tr -d '\r' | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
cb=$(col cache_bytes)
bytes6() { awk -F, -v m="$1" -v c="$cb" '$1==6 && $2==m {print $c}' "$TMP/counters.csv"; }
kv6=$(bytes6 cache); pf6=$(bytes6 prefill); nc6=$(bytes6 nocache)
[ -n "$kv6" ] && [ "$nc6" = 0 ] && [ "$kv6" -gt 0 ] &&
	ok "counters: cache bytes at step 6: no cache $nc6, KV cache $kv6, prefill $pf6" ||
	bad "counters: $nc6 $kv6 $pf6"

for size in "80 24" "120 40" "200 60"; do
	set -- $size; W=$1 H=$2
	for colour in "" "NO_COLOR=1"; do
		tag="xterm-256color ${W}x$H${colour:+ $colour}"
		start_term "$W" "$H" xterm-256color $colour
		wait_for "step 1/6" "$tag: starts"
		keys Right Enter
		wait_for "k1·q2" "$tag: Enter (CR) opens the inspector on S[1,2]"
		keys Escape
		wait_for "step 2/6" "$tag: Esc leaves the inspector"
		still_running "$tag: Esc does not quit"
		keys Escape
		wait_for "nothing to close (q quits)" "$tag: Esc with nothing open says so"
		keys Escape Escape
		still_running "$tag: Esc twice does not quit"
		keys M-b
		wait_for "step 1/6" "$tag: M-b steps back"
		keys M-x
		wait_for "unknown key: M-x (? lists the keys)" "$tag: M-x is named, not acted on"
		still_running "$tag: M-x does not quit"
		keys -H 1b 5b 34 7e
		wait_for "step 6/6" "$tag: PuTTY End (ESC [ 4 ~) goes to the last step"
		keys -H 1b 5b 31 7e
		wait_for "step 1/6" "$tag: PuTTY Home (ESC [ 1 ~) goes to the first step"
		keys -H 1b 5b 39 39 3b 35 7e
		wait_for "unknown key: escape sequence" "$tag: ESC [ 99;5 ~ is swallowed whole"
		capture
		grep -q "step 1/6" "$TMP/screen" && ok "$tag: no part of it acted" || bad "$tag: part of a sequence acted"
		keys : 4 Enter
		wait_for "step 4/6" "$tag: : 4 Enter jumps to step 4"
		keys BSpace
		wait_for "step 3/6" "$tag: Backspace steps back"
		keys : 9 Enter
		wait_for "no step 9: the steps are 1-6" "$tag: a step out of range is refused"
		keys End Right
		wait_for "already at the last step" "$tag: a key at the limit says so"
		keys m
		wait_for "cache memory: K and V bytes held after each step" "$tag: m opens the cache-memory view"
		capture
		grep -qE "│ +6 [^ ]+ +$nc6 B +$kv6 B +$pf6 B" "$TMP/screen" &&
			ok "$tag: step 6 holds $kv6 B in the KV cache, as the counters say" ||
			bad "$tag: memory view row for step 6"
		keys Escape
		wait_gone "cache memory:" "$tag: Esc closes the memory view"
		keys q
		wait_rc 0 "$tag: q quits with status 0"
	done
done

# ---- auto-play: fastest pace from step 1 to the end, then it stops ----
start_term 80 24 xterm-256color
wait_for "step 1/6" "auto-play run starts"
keys f f f f f
wait_for "already the fastest pace: a step every 0.25 s" "f sets the pace, up to the fastest"
keys a
wait_for "step 2/6" "a plays: step 2 comes by itself"
wait_for "auto-play stopped at the last step" "auto-play stops at the last step and says so"
capture
grep -q "step 6/6" "$TMP/screen" && ok "auto-play ended at step 6" || bad "auto-play end"
keys a
wait_for "step 1/6" "a again plays from step 1"
keys a
wait_for "auto-play paused at step" "a pauses"
keys q
wait_rc 0 "auto-play run quits with status 0"

# ---- a mouse click (SGR report) on S[2,3] selects and inspects it ----
start_term 80 24 xterm-256color
wait_for "step 1/6" "mouse run starts"
keys Right Right
wait_for "step 3/6" "mouse run at step 3"
capture
pos=$(find_text '^S +q1' 'q3'); qx=${pos#* }
pos=$(find_text '^S +q1' 'k2'); ky=${pos% *}
if [ -n "$qx" ] && [ -n "$ky" ]; then
	x=$((qx + 2)); y=$((ky + 1))  # SGR coordinates are 1-based
	hex() { printf '%s' "$1" | od -An -tx1 | tr -s ' \n' '  '; }
	keys -H 1b 5b 3c 30 3b $(hex "$x") 3b $(hex "$y") 4d
	keys -H 1b 5b 3c 30 3b $(hex "$x") 3b $(hex "$y") 6d
	wait_for "S[2,3] = k2·q3" "a click on S[2,3] inspects it"
else
	bad "mouse: S block not found"
fi
still_running "a click does not quit"
keys q
wait_rc 0 "mouse run quits with status 0"

# ---- TERM=vt100: keys its terminfo does not know ----
for size in "80 24" "120 40" "200 60"; do
	set -- $size
	for colour in "" "NO_COLOR=1"; do
		tag="vt100 $1x$2${colour:+ $colour}"
		start_term "$1" "$2" vt100 $colour
		wait_for "step 1/6" "$tag: starts"
		keys End
		wait_for "step 6/6" "$tag: End goes to the last step"
		keys Home
		wait_for "step 1/6" "$tag: Home goes to the first step"
		keys Right Right NPage
		still_running "$tag: PgDn does not quit"
		keys PPage S-Up
		still_running "$tag: PgUp and Shift-Up do not quit"
		keys BSpace
		wait_for "step 2/6" "$tag: Backspace (^?) steps back"
		keys C-h
		wait_for "step 1/6" "$tag: Backspace (^H) steps back"
		keys -H 1b 5b 4d 20 4b 26
		sleep 0.3
		capture
		grep -q "step 1/6" "$TMP/screen" &&
			ok "$tag: an X10 mouse report is swallowed, not a step" ||
			bad "$tag: an X10 mouse report moved the step"
		keys Enter
		wait_for "k1·q1" "$tag: Enter opens the inspector"
		keys Escape Escape
		still_running "$tag: Esc twice does not quit"
		keys q
		wait_rc 0 "$tag: q quits with status 0"
	done
done

# ---- Ctrl-\ (SIGQUIT) restores the terminal ----
# An interactive sh runs kvstep as a job: Ctrl-\ reaches kvstep only, and
# the shell then records the exit status and the terminal's modes.
tmux -L "$SOCK" kill-server 2>/dev/null
RUNS=$((RUNS + 1)); SOCK="$SOCK_BASE-$RUNS"
rm -f "$TMP/rc" "$TMP/stty"
tmux -L "$SOCK" -f /dev/null new-session -d -s ui -x 80 -y 24 \
	"env LC_ALL=C.UTF-8 TERM=xterm-256color sh"
keys "'$KVSTEP'; echo \$? > '$TMP/rc'; stty -a > '$TMP/stty'" Enter
wait_for "step 1/6" "SIGQUIT run starts"
keys 'C-\'
wait_rc 131 "Ctrl-\\ exits with 128+3"
end=$((SECONDS + TIMEOUT))
while [ ! -s "$TMP/stty" ] && [ $SECONDS -le $end ]; do sleep 0.1; done
for mode in icanon echo icrnl onlcr; do
	grep -qw -- "$mode" "$TMP/stty" && ! grep -qw -- "-$mode" "$TMP/stty" &&
		ok "after Ctrl-\\ the terminal has $mode" || bad "after Ctrl-\\: $mode ($(cat "$TMP/stty" 2>/dev/null | tr '\n' ' '))"
done

echo "1..$checks"
echo "# $((checks - fails)) passed, $fails failed"
[ $fails = 0 ]
