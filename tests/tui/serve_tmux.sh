#!/bin/bash
# `kvstep serve` in tmux: the serving view driven as terminals send keys
# (CR Enter, M-b, raw escape bytes, TERM=vt100, NO_COLOR) at 80x24,
# 120x40 and 200x60, with exact lines of the frame. The hand-written
# scenario tests/tui/data/serve.ini has its own model, so its numbers do
# not move with the bundled default; the bundled scenarios are checked
# where their lines do not depend on the default model's weights (the
# blocks depend only on the prompts and the budget). Polls instead of
# sleeping a fixed time.
# usage: serve_tmux.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$(cd "$(dirname "$0")/data" && pwd)
SOCK_BASE=kvstep-serve-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}

. "$(dirname "$0")/tmux_lib.sh"

line_is() { # line_is N TEXT DESCRIPTION: row N (1-based) exactly, trailing blanks cut
	local end=$((SECONDS + TIMEOUT)) got
	while :; do
		capture
		got=$(sed -n "${1}p" "$TMP/screen" | sed 's/ *$//')
		[ "$got" = "$2" ] && { ok "$3"; return; }
		[ $SECONDS -gt $end ] && break
		sleep 0.1
	done
	bad "$3 (row $1 is \"$got\")"
}

echo "1..98"
# --- 80x24, xterm-256color, the hand-written scenario -----------------
start 80 24 TERM=xterm-256color -- serve "$DATA/serve.ini"
wait_for "iteration 1/5" "80x24 starts at iteration 1"
line_is 1 "serve serve  continuous  iteration 1/5  bs=2  pool 12  budget 4   ?:help  q:quit" "the header fits 80 columns"
line_is 3 "▶ A   prefill   1-3          → on             1→1 2→2" "A prefills 1-3 into blocks 1 and 2"
line_is 4 "  B   pending   arrives at 2                  -" "B has not arrived"
keys Right
wait_for "iteration 2/5" "Right steps"
line_is 3 "B shares 1 cached block (positions 1-2): not computed." "the prefix hit is said"
line_is 5 "  B   prefill   3-4          → on             1→1= 2→3" "B's table starts with the shared block"
line_is 10 "owner AB  A   B   ·   ·   ·   ·   ·   ·   ·   ·   ·" "block 1 has two owners"
line_is 11 "ref   2=  1   1" "ref count 2, marked ="
keys M-b
wait_for "iteration 1/5" "M-b steps back"
tmux -L "$SOCK" send-keys -t ui -H 1b 5b 43   # ESC [ C: Right as raw bytes
wait_for "iteration 2/5" "raw ESC [ C steps"
tmux -L "$SOCK" send-keys -t ui -H 1b 5b 4d 20 4b 26   # a stray X10 mouse report
still_running "an X10 mouse report does not quit"
line_is 1 "serve serve  continuous  iteration 2/5  bs=2  pool 12  budget 4   ?:help  q:quit" "... nor step"
keys : 4 Enter
wait_for "iteration 4/5" ":4 Enter (CR) jumps"
line_is 9 "owner c   c   c   C   ·   C   ·   ·   ·   ·   ·   ·" "finished requests leave cached-free blocks"
keys Home
wait_for "iteration 1/5" "Home goes to the first iteration"
keys End
wait_for "iteration 5/5" "End goes to the last"
keys Right
wait_for "already at the last iteration" "a step past the end is said"
keys : 2 Enter Tab v
wait_for "[attention]" "v shows the attention panel"
line_is 8 "attention of B, iteration 2: prefill of 3-4; K, V read at block:slot (b:s)" "Tab selected B"
line_is 10 "b:s  1:1  1:2  3:1  3:2   b:s  1:1  1:2  3:1  3:2   k1    -3*   -2*" "K and V through B's block table"
line_is 11 "1   -2=  -1=  -2*  -2*    1    0=   2=   2*   2*    k2    -3*   -1*" "shared keys reused, its own computed"
keys Enter
wait_for "INSPECT S[1,4] = k1·q4/√4" "Enter (CR) opens the inspector"
keys PPage PPage
wait_for "INSPECT K[" "PgUp moves the cursor to K"
keys S-Left S-Left S-Left
wait_for "adopted from the prefix cache" "the shared key is explained"
keys Escape
wait_gone "INSPECT" "Esc closes the inspector"
still_running "Esc does not quit"
keys c
wait_for "continuous (shown)" "c shows the comparison"
line_is 10 "continuous (shown)           5          0          0             3   3   5" "continuous: 5 iterations"
line_is 11 "static                       6          1          0             3   5   6" "static: 6 iterations, 1 padding"
line_is 12 "static pads 1 slot-iteration: finished or idle members wait for the batch's las…" "the lesson is cut with … at 80 columns"
keys '?'
wait_for "keys (any key closes)" "? opens the help"
keys Escape
wait_gone "keys (any key closes)" "Esc closes the help"
keys x
wait_for "unknown key: x (? lists the keys)" "an unbound key is named"
keys a
wait_for "auto-play: one iteration every" "a starts auto-play"
keys f f f f f
wait_for "iteration 5/5" "auto-play reaches the last iteration"
wait_for "auto-play stopped at the last iteration" "and stops there"
keys q
wait_rc 0 "q exits 0"

# --- SGR mouse clicks: a request row selects it, a value inspects it ---
hex() { printf '%s' "$1" | od -An -tx1 | tr -s ' \n' '  '; }
click() { # click X Y, 1-based as SGR reports them
	keys -H 1b 5b 3c 30 3b $(hex "$1") 3b $(hex "$2") 4d
	keys -H 1b 5b 3c 30 3b $(hex "$1") 3b $(hex "$2") 6d
}
start 80 24 TERM=xterm-256color -- serve "$DATA/serve.ini"
wait_for "iteration 1/5" "mouse run starts"
keys Right v
wait_for "[attention]" "mouse run at iteration 2, attention"
click 11 5
line_is 5 "▶ B   prefill   3-4          → on             1→1= 2→3" "a click on B's row selects B"
click 22 11
wait_for "INSPECT K[1,4] = -2" "a click on K[1,4] of B inspects it"
still_running "clicks do not quit"
keys q
wait_rc 0 "mouse run: q exits 0"

# --- TERM=vt100, 80x24: no colour, Home and End as vt100 sends them ---
start 80 24 TERM=vt100 -- serve "$DATA/serve.ini"
wait_for "iteration 1/5" "vt100 starts"
keys Right Right
wait_for "iteration 3/5" "Right steps under vt100"
keys BSpace
wait_for "iteration 2/5" "Backspace (^?) steps back under vt100"
tmux -L "$SOCK" send-keys -t ui -H 08   # ^H
wait_for "iteration 1/5" "^H steps back"
keys Home End PPage NPage S-Up
still_running "vt100: Home, End, PgUp, PgDn, Shift-Up do not quit"
keys q
wait_rc 0 "vt100: q exits 0"

# --- NO_COLOR at 120x40: every panel at once; text marks carry the state -
start 120 40 TERM=xterm-256color NO_COLOR=1 -- serve "$DATA/serve.ini"
wait_for "kvstep serve serve  continuous batching  iteration 1/5" "120x40: the long header"
keys Right
wait_for "iteration 2/5" "120x40 steps"
line_is 10 "ref   2=  1   1" "NO_COLOR: the shared block's text mark"
line_is 35 "continuous (shown)           5          0          0             3   3   5" "the comparison is on at 120x40"
line_is 37 "static pads 1 slot-iteration: finished or idle members wait for the batch's last member to finish" "the lesson is whole at 120 columns"
capture
if grep -q "^K    k1   k2   k3   k4 " "$TMP/screen" && grep -q "^block pool after iteration 2" "$TMP/screen"; then
	ok "pool and attention on one screen"
else
	bad "pool and attention on one screen"
fi
keys Right
wait_for "iteration 3/5" "120x40 steps to 3"
line_is 38 "iteration 3: 4/4 tokens  blocks used 6, cached 0, free 6  empty slots 2  prefix hits 1  preemptions 0" "120x40: the counters' first row ends between items"
line_is 39 "TTFT A 1, B 1, C -  finish A 3, B 3, C -" "120x40: the TTFT list is not broken"
keys c
wait_gone "continuous (shown)" "c hides the comparison at 120x40"
keys q
wait_rc 0 "120x40: q exits 0"

# --- 200x60, --ascii -------------------------------------------------
start 200 60 TERM=xterm-256color -- serve "$DATA/serve.ini" --ascii
wait_for "iteration 1/5" "200x60 starts"
keys : 3 Enter
wait_for "iteration 3/5" "200x60 jumps"
line_is 57 "static                       6          1          0             3   5   6" "200x60: the comparison above the counters"
line_is 58 "static pads 1 slot-iteration: finished or idle members wait for the batch's last member to finish" "200x60: the lesson whole"
line_is 3 "> A   decode    5            -> mat (last)    1>1= 2>2 3>4" "--ascii: the table as 1>1"
keys Enter ] ]
wait_for "INSPECT Z[1,5] = V[1,:].A[:,5] = 0 x 0.1395 + 2 x 0.6250 + 2 x 0.0846 + 0 x 0.0114 + 0 x 0.1395 = 1.42" "200x60: Z's terms add up by hand"
keys q
wait_rc 0 "200x60: q exits 0"

# --- static batching: the batch, its padding and why requests wait ---
start 80 24 TERM=xterm-256color -- serve "$DATA/serve.ini" --batching static
wait_for "iteration 1/6" "static run starts"
keys Right
wait_for "iteration 2/6" "static steps"
line_is 2 "iteration 2: 1 of 4 tokens  static batch 1, padding 0  table (logical→physical)" "80x24: the batch and the table header both show"
line_is 4 "  B   waiting   next batch                    -" "B waits for the next batch"
keys End
wait_for "iteration 6/6" "static: End"
line_is 4 "  B   finished  done at 5 (pads the batch)    -" "a finished member pads the batch"
keys q
wait_rc 0 "static: q exits 0"
start 120 40 TERM=xterm-256color -- serve "$DATA/serve.ini" --batching static
wait_for "iteration 1/6" "static 120x40 starts"
line_is 2 "batch of iteration 1: 3 of 4 tokens  static batch 1, padding 0 slots  block table (logical→physical)" "120x40: the long batch line and the header"
keys q
wait_rc 0 "static 120x40: q exits 0"
start 80 24 TERM=xterm-256color -- serve "$DATA/serve-wait.ini"
wait_for "iteration 1/4" "the waiting scenario starts"
line_is 5 "  C   waiting   budget used                   -" "C waits: budget used"
keys Right
wait_for "iteration 2/4" "waiting: Right"
line_is 4 "  B   waiting   no free block                 -" "B waits: no free block"
keys q
wait_rc 0 "waiting: q exits 0"

# --- a pool of 40 blocks: whole bands, the rest named ---------------
start 80 24 TERM=xterm-256color -- serve "$DATA/serve-pool.ini"
wait_for "iteration 1/5" "the 40-block pool starts"
line_is 16 "fill" "80x24: the second band keeps its fill row"
line_is 17 "… blocks 37-40 not shown: a taller terminal shows them" "80x24: the third band is named, not cut"
keys q
wait_rc 0 "40 blocks: q exits 0"
start 120 40 TERM=xterm-256color -- serve "$DATA/serve-pool.ini"
wait_for "iteration 1/5" "the 40-block pool at 120x40"
line_is 12 "block 29  30  31  32  33  34  35  36  37  38  39  40" "120x40: both bands whole"
line_is 15 "fill" "120x40: the last band's fill row"
keys q
wait_rc 0 "40 blocks 120x40: q exits 0"

# --- the bundled scenarios ------------------------------------------
start 80 24 TERM=xterm-256color -- serve
wait_for "default  continuous  iteration 1/5  bs=2" "kvstep serve opens the bundled default"
keys Right
line_is 10 "owner AB  A   B   ·   ·   ·   ·   ·   ·   ·   ·   ·" "default: B shares A's first block"
keys q
wait_rc 0 "default: q exits 0"
start 80 24 TERM=xterm-256color -- serve tight
wait_for "serve tight  continuous  iteration 1/5" "the bundled tight scenario"
keys Right Right
line_is 3 "B preempted: pool full; its blocks are freed, it restarts from 1." "the preemption is said on screen"
line_is 5 "  B   PREEMPTED blocks freed recompute later  -" "B's row says it"
keys q
wait_rc 0 "tight: q exits 0"
[ "$fails" -eq 0 ]
