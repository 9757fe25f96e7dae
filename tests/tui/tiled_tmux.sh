#!/bin/bash
# kvstep --attention flash in tmux: the tiles panel, the t key between the
# tiled and the standard view of the same step, and the inspector opened
# with Enter (CR) on a Z cell, at 80x24, 100x30, 120x40 (TERM=vt100), 185
# columns (three panes) and 200x60; exact rows of the frame. The model is
# tests/core/data/tiled.ini (checked by hand in docs/tiled-attention.md);
# the three-pane check uses the default model's shape only.
# usage: tiled_tmux.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MODEL=$(cd "$(dirname "$0")/../core/data" && pwd)/tiled.ini
SOCK_BASE=kvstep-tiled-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}

. "$(dirname "$0")/tmux_lib.sh"

line_is() { # line_is N TEXT DESCRIPTION: row N (1-based) exactly, trailing blanks cut
	capture
	if [ "$(sed -n "${1}p" "$TMP/screen" | sed 's/ *$//')" = "$2" ]; then ok "$3"; else bad "$3"; fi
}
# rows_are N DESCRIPTION: the screen has exactly N rows (nothing below)
rows_are() {
	capture
	if [ "$(wc -l < "$TMP/screen")" -eq "$1" ]; then ok "$2"; else bad "$2"; fi
}

echo "1..58"

# ---- 80x24: the tiled view, Enter on z3, t, t ----
start 80 24 TERM=xterm-256color -- --attention flash -m "$MODEL"
wait_for "step 1/3" "80x24 starts"
keys End
wait_for "step 3/3" "End goes to step 3"
line_is 3 " 1 no cache   2 KV cache   3 prefill   pass 3: columns 1-3  tiled" "the title names the tiled view"
line_is 12 "tiles of q3, B=2 (no S, no A held)  z vs standard: max |d| 0, 0 ULP" "tiles panel title"
line_is 16 "this pass 33 MACs  18 recomputed  0 cache reads  0 score cells  4 tile passes" "80x24: the pass writes no score cell, visits ceil(1/2)+ceil(2/2)+ceil(3/2) = 4 tiles"
line_is 17 "total 65 MACs 26 recomp 3 passes 0 cells 0 B  0 S cells  7 tiles" "80x24: total tiles 1 + 2 + 4 = 7, brief form"
line_is 14 "1     k1-k2              1       1    1.37    1.37" "tile 1: keys 1-2, m 1, l = o = 1 + 1/e"
line_is 15 "2     k3-k3              1       1    2.37    3.37" "tile 2: the partial tile of one key"
keys Enter
wait_for "INSPECT Z[1,3]" "Enter (CR) on z3 opens the inspector"
line_is 22 "INSPECT Z[1,3] = o1 / l = 3.3679 / 2.3679 = 1.42 after tile 2 (k3-k3) of q3: m =" "the inspector starts with z = o/l"
line_is 23 "  max(1, 1) = 1, α = exp(1 − 1) = 1, l = 1·1.3679 + exp(1 − 1) = 2.3679, o1 = …" "its second row: the tile's real score s3 = 1, then an ellipsis"
line_is 24 "legend 1* computed  1= reused (cache)  1! recomputed   · masked  ▶ cursor" "the legend below it, nothing hidden"
keys t
wait_for "standard view: S and A as the standard kernel writes them (t: tiled view)" "t says the standard view is on"
line_is 3 " 1 no cache   2 KV cache   3 prefill   pass 3: columns 1-3  standard" "the title names the standard view"
line_is 7 "S   q1  q2  q3    A     q1    q2    q3    Z    z1    z2    z3" "S and A come back"
line_is 8 "k1   0!  0!  0*   k1     1!  0.5! 0.16*   1     1!    1!▶1.42*" "A column 3 = 1, e, e over 1 + 2e"
line_is 10 "k3    ·   ·  1*   k3      ·     · 0.42*" "masked cells of the standard kernel"
line_is 22 "INSPECT Z[1,3] = V row 1 · A column 3 = (1·0.1554 + 1·0.4223 + 2·0.4223) = 1.42" "the inspector explains z with A"
keys t
wait_for "tiled view: S and A never held, the tile states instead (t: standard view)" "t again: back to the tiled view"
line_is 12 "tiles of q3, B=2 (no S, no A held)  z vs standard: max |d| 0, 0 ULP" "the tiles panel is back"
keys q
wait_rc 0 "q quits"

# ---- 100x30 ----
start 100 30 TERM=xterm-256color -- --attention flash -m "$MODEL"
wait_for "step 1/3" "100x30 starts"
keys End Enter
wait_for "INSPECT Z[1,3]" "100x30: Enter opens the inspector"
line_is 28 "INSPECT Z[1,3] = o1 / l = 3.3679 / 2.3679 = 1.42 after tile 2 (k3-k3) of q3: m = max(1, 1) = 1, α =" "100x30: inspector row 1"
line_is 29 "  exp(1 − 1) = 1, l = 1·1.3679 + exp(1 − 1) = 2.3679, o1 = 1·1.3679 + exp(1 − 1)·2 = 3.3679   (S …" "100x30: inspector row 2, v3 = 2, the notes cut with an ellipsis"
line_is 30 "legend 1* computed  1= reused (cache)  1! recomputed   · masked  ▶ cursor" "100x30: the legend last"

# ---- 120x40, TERM=vt100 ----
start 120 40 TERM=vt100 -- --attention flash -m "$MODEL"
wait_for "step 1/3" "120x40 vt100 starts"
keys End Enter
wait_for "INSPECT Z[1,3]" "vt100: Enter (CR) opens the inspector"
line_is 31 "2     k3-k3              1       1    2.37    3.37" "120x40: tile 2"
line_is 33 "total     65 MACs  26 recomputed  3 passes  cache 0 cells 0 B  0 score cells  7 tile passes" "120x40: the tile counters in words"
line_is 39 "  1·1.3679 + exp(1 − 1) = 2.3679, o1 = 1·1.3679 + exp(1 − 1)·2 = 3.3679   (S and A never held)   computed in pass 3" "120x40: the whole derivation in two rows"
keys t
wait_for "pass 3: columns 1-3  standard" "vt100: t switches to the standard view"

# ---- 185 columns: three panes (the narrowest for the default model's
# tiled run, whose counters carry the tile counts), each names its view ----
start 185 30 TERM=xterm-256color -- --attention flash
wait_for "step 1/6" "185x30 starts"
keys End
wait_for "step 6/6" "185x30 at the last step"
capture
if grep -q "^ no cache  pass 6: columns 1-6  tiled .*│ KV cache  pass 6: columns 6-6  tiled .*│ prefill  pass 4: columns 6-6  tiled" "$TMP/screen"; then ok "185: three panes, each titled tiled"; else bad "185: three panes, each titled tiled"; fi
if grep -q "^3     k5-k6 .*…│3     k5-k6 .*…│3     k5-k6 .*…$" "$TMP/screen"; then ok "185: tile rows cut at the pane end with an ellipsis"; else bad "185: tile rows cut at the pane end with an ellipsis"; fi

# ---- 200x60: three panes in the standard view ----
start 200 60 TERM=xterm-256color -- --attention flash -m "$MODEL"
wait_for "step 1/3" "200x60 starts"
keys End t
wait_for "pass 3: columns 3-3  standard" "200x60: t, standard view"
line_is 3 " no cache  pass 3: columns 1-3  standard                          │ KV cache  pass 3: columns 3-3  standard                          │ prefill  pass 1: columns 1-3  standard" "200x60: the three titles"
line_is 9 "k1   0!  0!  0*   k1     1!  0.5! 0.16*   1     1!    1!▶1.42*    │k1           0*   k1              0.16*   1             ▶1.42*    │k1   0*  0*  0*   k1     1*  0.5* 0.16*   1     1*    1*▶1.42*" "200x60: each mode's statuses"
line_is 53 "total 65 MACs 26 recomp 3 passes 0 cells 0 B  0 S cells  7 tiles  │total 39 MACs 0 recomp 3 passes 6 cells 24 B  0 S cells  4 tiles  │total 33 MACs 0 recomp 1 pass 6 cells 24 B  0 S cells  4 tiles" "200x60: each mode's total tiles (no cache 7, KV cache 1+1+2, prefill 4)"

# ---- 80x24, the default model split in 2: no tile row dropped unmarked,
# the logits ranked with the winner first (shape only: the default
# model's values are not pinned) ----
start 80 24 TERM=xterm-256color -- --attention flash --split 2
wait_for "step 1/6" "split 2 starts"
keys End
wait_for "step 6/6" "split 2: End goes to step 6"
line_is 11 "⋮ 2 earlier rows (taller window)" "split 2: the hidden tile rows are counted"
capture
if sed -n 12p "$TMP/screen" | grep -q "^mrg1  k1-k3 " && sed -n 15p "$TMP/screen" | grep -q "^mrg2  k4-k6 "; then ok "split 2: the last rows show, up to merge 2"; else bad "split 2: the last rows show, up to merge 2"; fi
if sed -n 4p "$TMP/screen" | grep -q "logits top 4 of 7\$"; then ok "split 2: the tiled view ranks the logits"; else bad "split 2: the tiled view ranks the logits"; fi
if sed -n 5p "$TMP/screen" | grep -q "◀ next\$"; then ok "split 2: the chosen token first"; else bad "split 2: the chosen token first"; fi

# ---- a sink logit: the state starts from it ----
start 80 24 TERM=xterm-256color -- --attention flash -m "$(dirname "$MODEL")/sink.ini"
wait_for "step 1/3" "sink model starts"
keys End
wait_for "step 3/3" "sink: End goes to step 3"
line_is 13 "sink  start            0.5               1       0" "sink: the start row, m = sink, l = 1, o = 0"
line_is 14 "1     k1-k2              1    0.61    1.97    1.37" "sink: tile 1, α = exp(0.5 - 1)"
keys Home Enter
wait_for "INSPECT Z[1,1]" "sink: Home (step 1), Enter on z1"
line_is 22 "INSPECT Z[1,1] = o1 / l = 0.6065 / 1.6065 = 0.38 after tile 1 (k1-k1) of q1: m =" "sink: z1 = o1 / l"
line_is 23 "  max(0.5, 0) = 0.5, α = exp(0.5 − 0.5) = 1, l = 1·1 + exp(0 − 0.5) = 1.6065, …" "sink: tile 1 starts from the sink (m 0.5, l 1), s1 = 0"

# ---- a standard run: t says why it does nothing ----
start 80 24 TERM=xterm-256color -- -m "$MODEL"
wait_for "step 1/3" "a standard run starts"
keys t
wait_for "t switches to the tiled view only under --attention flash; this run is standard" "t without flash says so"
line_is 3 " 1 no cache   2 KV cache   3 prefill   pass 1: columns 1-1" "a standard run's title names no kernel"
still_running "t did not quit"
echo "# $checks checks, $fails failed"
[ "$fails" -eq 0 ]
