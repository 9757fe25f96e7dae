#!/bin/bash
# End-to-end test of the terminal UI: runs the real binary in a private tmux
# server at 200x60 and 80x24, sends keys, and checks what capture-pane shows
# against values from the trace (`kvstep export`). Polls with a timeout
# instead of sleeping a fixed time, so a loaded CI machine only runs slower.
#
# usage: tmux_e2e.sh path/to/kvstep
set -u
KVSTEP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SOCK_BASE=kvstep-test-$$
TMP=$(mktemp -d)
TIMEOUT=${KVSTEP_TUI_TIMEOUT:-15}   # seconds per wait

. "$(dirname "$0")/tmux_lib.sh"

# SGR parameters of every escape in the last `capture -e`, one per line
sgr_params() {
	grep -o $'\e\\[[0-9;]*m' "$TMP/screen" | tr -d $'\e[m' | tr ';' '\n'
}

# values the screens must show, straight from the trace
"$KVSTEP" export > "$TMP/trace.csv"
s33=$(grep -m1 '^3,nocache,3,1,1,S,3,3,' "$TMP/trace.csv" | cut -d, -f9)
s66=$(grep -m1 '^6,nocache,6,1,1,S,6,6,' "$TMP/trace.csv" | cut -d, -f9)
"$KVSTEP" export --counters > "$TMP/counters.csv"
macs6=$(awk -F, '$1==6 && $2=="nocache" {print $15}' "$TMP/counters.csv")
[ "$s33" = -0.5 ] && [ "$s66" = 0.5 ] && [ "$macs6" = 1673 ] &&
	ok "trace values: S[3,3]=$s33 S[6,6]=$s66 no-cache MACs $macs6" ||
	bad "trace values: S[3,3]=$s33 S[6,6]=$s66 MACs $macs6"

# ---- 200x60: three panes side by side ----
start 200 60
wait_for "step 1/6" "200x60 starts at step 1"
grep -q " no cache .*│ KV cache .*│ prefill " "$TMP/screen" &&
	ok "200x60 shows the three modes side by side" || bad "three panes"
keys Right Right
wait_for "step 3/6" "Right Right goes to step 3"
wait_for "$s33*" "step 3 shows S[3,3] = $s33 from the trace"
grep -qF '3:sat predicts "on" (next token)' "$TMP/screen" && ok "step 3 predicts \"on\"" ||
	bad "step 3 next token"
keys Left
wait_for "step 2/6" "Left goes back to step 2"
keys End
wait_for "step 6/6" "End goes to the last step"
wait_for "$s66*" "step 6 shows S[6,6] = $s66"
grep -qE "^k6 .* $s66\*" "$TMP/screen" &&
	ok "S[6,6] = $s66 ends row k6" || bad "S[6,6] not on row k6"
grep -q "no cache █*[▏▎▍▌▋▊▉]* *$macs6 MACs" "$TMP/screen" &&
	ok "comparison strip shows $macs6 no-cache MACs" || bad "strip MACs"
tmux -L "$SOCK" resize-window -t ui -x 20 -y 6
wait_for "terminal too small" "20x6 shows the too-small screen"
wait_for "need 80x24" "too-small screen names the minimum"
tmux -L "$SOCK" resize-window -t ui -x 200 -y 60
wait_for "step 6/6" "back at 200x60 the step is kept"
capture
grep -q " no cache .*│ KV cache .*│ prefill " "$TMP/screen" &&
	ok "back at 200x60 the three panes return" || bad "relayout after resize"
keys '?'
wait_for "this help" "? opens the help"
grep -qF "keys          in inspector" "$TMP/screen" &&
	ok "the help has an \"in inspector\" column" || bad "help columns"
keys x
wait_gone "this help" "any key closes the help"
# "any key closes this": Esc and q close the help, they do not quit
keys '?'
wait_for "this help" "? opens the help again"
keys Escape
wait_gone "this help" "Esc closes the help"
still_running "Esc on the help does not quit"
keys '?'
wait_for "this help" "? opens the help a third time"
keys q
wait_gone "this help" "q closes the help"
still_running "q on the help does not quit"
wait_for "step 6/6" "the step is kept after closing the help"
keys q
wait_rc 0 "q exits with status 0 (200x60)"

# ---- 80x24: one pane at a time ----
start 80 24
wait_for "step 1/6" "80x24 starts"
grep -qF " 1 no cache   2 KV cache   3 prefill " "$TMP/screen" &&
	ok "80x24 shows tabs" || bad "80x24 tabs"
head -1 "$TMP/screen" | grep -qF '1:the predicts "cat" (prompt: "cat")' &&
	head -1 "$TMP/screen" | grep -qF '?:help' &&
	ok "80x24 step 1: prediction, prompt continues, help hint" ||
	bad "80x24 step 1 header"
keys 0
wait_for "all three panes need 146 columns" "0 on 80 columns says why nothing changed"
keys Right Right 2
wait_gone "all three panes need" "the message goes with the next key"
wait_for "pass 3: columns 3-3" "80x24: step 3, KV cache pane computes column 3 only"
wait_for "logits top 1 of 7" "80x24: the logit that fits is the top one, labelled"
grep -qF '    on   1.76* ◀ next' "$TMP/screen" &&
	ok "the chosen logit is among them" || bad "chosen logit hidden"
wait_for "k1 reused from cache" "the inspector says k1 came from the cache"
keys p
wait_for "step 3/6" "p stays at the end of the prompt"
keys G 1
wait_for "pass 6: columns 1-6" "G and 1: no cache at step 6 recomputes 1-6"
keys q
wait_rc 0 "q exits with status 0 (80x24)"

# ---- local/global layers: layer and head keys, eviction, cache panel ----
# two decimals, as the UI shows a value that is not a short fraction
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
"$KVSTEP" -m local-global export --mode cache --step 4 > "$TMP/lg.csv"
lg_s() { grep -m1 "^4,cache,4,$1,$2,S,$3,4," "$TMP/lg.csv" | cut -d, -f9; }
s1_11=$(fmt2 "$(lg_s 1 1 3)")    # layer 1 head 1 S[3,4]
s3_24=$(fmt2 "$(lg_s 3 2 4)")    # layer 3 head 2 S[4,4]
k1_ev=$(grep -c '^4,cache,4,1,1,K,[12],[12],,evicted' "$TMP/lg.csv")
lg_cells=$("$KVSTEP" -m local-global export --counters |
	awk -F, '$1==4 && $2=="cache" {print $11 " cells " $12 " B"}')
[ "$s1_11" = 1.41 ] && [ "$s3_24" = 3.76 ] && [ "$k1_ev" = 4 ] &&
	[ "$lg_cells" = "32 cells 128 B" ] &&
	ok "local-global trace: S values $s1_11 $s3_24, 4 evicted K cells, $lg_cells" ||
	bad "local-global trace: $s1_11 $s3_24 $k1_ev $lg_cells"

start 80 30 -- -m local-global
wait_for "layer 1/3 (local, window 2)  head 1/2 → KV head 1" "80x30 local-global: layer and head row"
keys Right Right Right 2
wait_for "step 4/6" "local-global: step 4, past the window"
wait_for "$s1_11*" "layer 1 head 1 shows S[3,4] = $s1_11 from the trace"
capture
grep -qE '^1 +x +x +0= +-1\*' "$TMP/screen" &&
	ok "K columns 1-2 of layer 1 are evicted (x), 3 reused, 4 computed" ||
	bad "evicted K cells"
grep -qF "cache $lg_cells" "$TMP/screen" &&
	ok "cache panel total equals the counters ($lg_cells)" || bad "cache panel total"
grep -qE '^L1 local W=2 │ 3= 4\*│ 2x out' "$TMP/screen" &&
	grep -qE '^L3 global +│ 1= 2= 3= 4\*│' "$TMP/screen" &&
	ok "local layer flat at 2 slots, global layer at 4 columns" || bad "cache panel rows"
keys Right
wait_for "L1 local W=2 │ 5* 4=│ 3x out" "step 5: column 5 takes slot 1 from column 3"
keys Home 3 Right
wait_for "pass 1: columns 1-3" "local-global prefill at step 2 shows pass 1"
grep -qE '^1 +0x +0\* +0\*' "$TMP/screen" &&
	ok "prefill: v1, used then evicted, keeps its value with x" ||
	bad "evicted values in prefill"
wait_for "used by this pass, then evicted (window 2)" "the inspector says k1 was used by the pass, then evicted"
keys 2 End Left Left '>' '>'
wait_for "layer 3/3 (global)  head 1/2" "> > selects layer 3"
keys .
wait_for "layer 3/3 (global)  head 2/2 → KV head 1" ". selects head 2, still KV head 1"
wait_for "$s3_24*" "layer 3 head 2 shows S[4,4] = $s3_24 from the trace"
keys '<' ,
wait_for "layer 2/3 (local, window 2)  head 1/2" "< and , go back to layer 2 head 1"
keys q
wait_rc 0 "q exits with status 0 (local-global)"

start 200 60 -- -m local-global
wait_for "step 1/6" "200x60 local-global starts"
keys End
wait_for "step 6/6" "local-global End"
wait_for "L3 global    │ 1= 2= 3= 4= 5= 6*│" "200x60: the global layer holds all 6 columns"
capture
[ "$(grep -o 'L1 local W=2 │ 5= 6\*│ 4x out' "$TMP/screen" | wc -l)" = 2 ] &&
	ok "200x60: KV cache and prefill panes both show layer 1's ring" ||
	bad "200x60 ring in two panes"
keys q
wait_rc 0 "q exits with status 0 (local-global 200x60)"

# ---- streaming: sink_tokens pins position 1 next to a ring of W = 2 ----
start 80 24 TERM=vt100 -- -m streaming
wait_for "layer 1/3 (local, window 2, 1 pinned)" "80x24 streaming: the layer row names the pinned position"
# the whole row, in words short enough for 80 columns (no silent cut)
capture
sed -n 2p "$TMP/screen" | sed 's/ *$//' |
	grep -qxF "layer 1/3 (local, window 2, 1 pinned)  head 1/2 → KV head 1 (K, V of heads 1-2)" &&
	ok "80x24 streaming: the layer row fits whole" || bad "80x24 streaming layer row"
keys 2 End
wait_for "step 8/8" "streaming: End goes to step 8"
wait_for "L1 W=2 pin 1 │ 1^┊8* 7=│ 6x out" "80x24: pinned slot 1 (^), then the ring: 8 new, 7 reused, 6 out"
capture
grep -qF "(2+2); ^ pinned" "$TMP/screen" &&
	ok "80x24: the cache title explains ^" || bad "80x24 cache title"
grep -qE '^k1 +▶1\.41\*$' "$TMP/screen" && grep -qE '^k2 +·$' "$TMP/screen" &&
	grep -qE '^k6. +·$' "$TMP/screen" &&
	ok "80x24: S column 8 has key 1 computed, keys 2-6 masked" ||
	bad "80x24 S gap"
keys q
wait_rc 0 "q exits with status 0 (streaming 80x24)"

start 120 40 -- -m streaming
wait_for "step 1/8" "120x40 streaming starts"
capture
sed -n 2p "$TMP/screen" | grep -qxF "layer 1/3 (local, window 2, 1 pinned)  head 1/2 → KV head 1 (K, V: shared by heads 1-2)              < > layer  , . head" &&
	ok "120x40 streaming: the layer row in full, with its keys" || bad "120x40 streaming layer row"
keys 1 End i ']' j
wait_for "A[2,8] is masked: key 2 is outside query 8's window of 2 (keys 7-8) and not pinned (sink_tokens = 1)" "120x40: the inspector says the gap is masked, not pinned"
wait_for "x evicted  ▶ cursor  ^ pinned" "120x40: the legend has ^ pinned"
keys 2
sleep 0.3
keys '[' '[' '['
sleep 0.3
keys h h h h h h h
wait_for "k1 reused from cache; pinned in" "120x40: the inspector on k1 says it is pinned"
grep -qF "slot 1 (sink_tokens = 1), never evicted" "$TMP/screen" &&
	ok "120x40: in slot 1, never evicted" || bad "120x40 pinned note"
wait_for "L1 W=2 pin 1 │ 1:the^  ┊8:sat*   7:on=   │ 6x out, column 8 took its slot 2" "120x40: the cache row with words"
keys q
wait_rc 0 "q exits with status 0 (streaming 120x40)"

start 200 60 -- -m streaming
wait_for "step 1/8" "200x60 streaming starts"
keys End
wait_for "step 8/8" "200x60 streaming End"
capture
[ "$(grep -oE 'L1 W=2 pin 1 │ 1(:the)?\^ *┊8(:sat)?\* +7(:on)?= *│ 6x out' "$TMP/screen" | wc -l)" = 2 ] &&
	ok "200x60: KV cache and prefill panes both pin column 1 in layer 1" ||
	bad "200x60 pinned rows in two panes"
[ "$(grep -oF "(2+2); ^ pinned" "$TMP/screen" | wc -l)" = 2 ] &&
	ok "200x60: both cache titles explain ^" || bad "200x60 cache title"
keys q
wait_rc 0 "q exits with status 0 (streaming 200x60)"

# ---- gqa: which KV head a query head reads ----
start 80 24 -- -m gqa
wait_for "head 1/4 → KV head 1 (K, V: shared by heads 1-2)" "gqa: head 1 reads KV head 1"
keys . .
wait_for "head 3/4 → KV head 2 (K, V: shared by heads 3-4)" "gqa: head 3 reads KV head 2"
keys q
wait_rc 0 "q exits with status 0 (gqa)"

# ---- colour and no colour ----
start 80 24
wait_for "step 1/6" "colour run starts"
capture -e
sgr_params | grep -qE '^(3[0-7]|4[0-7])$' &&
	ok "with colour, colour escapes are sent" || bad "no colour escapes in colour mode"
keys q
wait_rc 0 "colour run quits"

for how in "NO_COLOR=1" "-- --no-color"; do
	if [ "$how" = "NO_COLOR=1" ]; then start 80 24 NO_COLOR=1; else start 80 24 -- --no-color; fi
	wait_for "step 1/6" "$how starts"
	capture -e
	if sgr_params | grep -qE '^(3[0-7]|4[0-7]|9[0-7]|10[0-7]|38|48)$'; then
		bad "$how: colour escapes sent"
	else
		ok "$how: no colour escapes"
	fi
	sgr_params | grep -qx 1 && ok "$how: bold is used" || bad "$how: no bold"
	sgr_params | grep -qx 7 && ok "$how: reverse is used" || bad "$how: no reverse"
	capture
	grep -qF "1* computed  1= reused (cache)  1! recomputed" "$TMP/screen" &&
		ok "$how: the legend shows the glyphs" || bad "$how: legend"
	keys q
	wait_rc 0 "$how: q exits 0"
done

# ---- layout: nothing cut at any width (issue 12, items 3-10, 14) ----
# every number of the panes' and strip's counters, read from the trace
"$KVSTEP" export --counters > "$TMP/c.csv"
for w in 80 100 119 120 145 146 149 150 200; do
	h=40; [ $w = 80 ] && h=24; [ $w = 200 ] && h=60
	start $w $h
	wait_for "step 1/6" "${w}x$h starts"
	keys End
	wait_for "step 6/6" "${w}x$h: End"
	capture
	panes=$(grep -c "pass 6: columns 1-6" "$TMP/screen")
	if [ $w -ge 146 ]; then want="three panes"; else want="one pane, tabs"; fi
	if [ $w -ge 146 ]; then
		grep -q " no cache .*│ KV cache .*│ prefill " "$TMP/screen" &&
			ok "${w}x$h: $want" || bad "${w}x$h: $want"
	else
		grep -qF " 1 no cache   2 KV cache   3 prefill " "$TMP/screen" &&
			ok "${w}x$h: $want" || bad "${w}x$h: $want"
	fi
	# no counter row ends in a cut word: each total row ends in " B"
	tot=$(grep -o 'total [^│]*' "$TMP/screen" | sed 's/ *$//')
	echo "$tot" | grep -vq ' B$' && bad "${w}x$h: a total row is cut: $tot" ||
		ok "${w}x$h: every total row ends in its unit B"
	grep -q '1 passes' "$TMP/screen" && bad "${w}x$h: 1 passes" ||
		ok "${w}x$h: no \"1 passes\""
	grep -qF "KV cache − prefill = 42 MACs" "$TMP/screen" &&
		ok "${w}x$h: the strip says cache − prefill = 42 MACs" ||
		bad "${w}x$h: strip note"
	keys q
	wait_rc 0 "${w}x$h: q exits 0"
done
macs_c6=$(awk -F, '$1==6 && $2=="cache" {print $15}' "$TMP/c.csv")
macs_p6=$(awk -F, '$1==6 && $2=="prefill" {print $15}' "$TMP/c.csv")
lg_c6=$(awk -F, '$1==6 && $2=="cache" {print $8}' "$TMP/c.csv")
[ $((macs_c6 - macs_p6)) = 42 ] && [ "$lg_c6" = 21 ] &&
	ok "trace: cache $macs_c6 - prefill $macs_p6 = 42 = 2 prompt logits x 21" ||
	bad "trace: cache $macs_c6 prefill $macs_p6 logits $lg_c6"

# -p the -n 0 at 80x24: one pane, nothing hidden without a marker
start 80 24 -- -p the -n 0
wait_for "step 1/1" "-p the -n 0 starts"
grep -qF " 1 no cache   2 KV cache   3 prefill " "$TMP/screen" &&
	ok "-p the -n 0 at 80x24: one pane with tabs" || bad "-p the -n 0 panes"
grep -q "  Z  z1$" "$TMP/screen" && grep -q "^logits top 5 of 7$" "$TMP/screen" &&
	ok "-p the -n 0: Z and logits show" || bad "-p the -n 0: Z or logits hidden"
keys q
wait_rc 0 "-p the -n 0 quits"

# the token strip follows the current token
start 80 24 -- -p "'the cat sat on the mat'" -n 20
wait_for "step 1/26" "-n 20 run starts"
for i in $(seq 1 14); do keys Right; done
wait_for "step 15/26" "step 15"
grep -q '^tokens … .*\[15:on\] .* …$' "$TMP/screen" &&
	ok "strip scrolled: [15:on] shows, … on both sides" || bad "strip scroll"
keys End
wait_for "step 26/26" "last step"
grep -q '^tokens … .*\[26:[^]]*\]$' "$TMP/screen" &&
	ok "strip at the end: the last token shows" || bad "strip at the end"
# the inspector never cuts: elided sum, result shown
keys ']'
wait_for "A[1,26] = softmax" "] moves to A"
grep -qE '… \+ .*\) = [0-9.]+ ' "$TMP/screen" &&
	ok "A[1,26]: the sum is elided with … and the result shows" ||
	bad "inspector elision"
keys q
wait_rc 0 "-n 20 quits"

# 100x30 after G: no block is missing between S and Z
start 100 30
wait_for "step 1/6" "100x30 starts"
keys G
wait_for "step 6/6" "100x30 G"
if grep -q "^ *Z  *z1" "$TMP/screen" || grep -q "  Z  *z1" "$TMP/screen"; then
	grep -q " A  *q1\|^A  *q1" "$TMP/screen" && ok "100x30: A shows with Z" ||
		bad "100x30: Z shows but A does not"
else
	grep -qF "▼ ] A Z logits" "$TMP/screen" &&
		ok "100x30: A, Z and logits are listed below, in order" ||
		bad "100x30: marks"
fi
keys q
wait_rc 0 "100x30 quits"

# help under --ascii and LANG=C at 80x24: nothing cut
for how in "-- --ascii" "LANG=C LC_ALL=C"; do
	if [ "$how" = "-- --ascii" ]; then start 80 24 -- --ascii; else
		tmux -L "$SOCK" kill-server 2>/dev/null
		RUNS=$((RUNS + 1)); SOCK="$SOCK_BASE-$RUNS"; rm -f "$TMP/rc"
		tmux -L "$SOCK" -f /dev/null new-session -d -s ui -x 80 -y 24 \
			"env LANG=C LC_ALL=C '$KVSTEP'; echo \$? > '$TMP/rc'; sleep 60"
	fi
	wait_for "step 1/6" "$how starts"
	keys '?'
	wait_for "any key closes this help" "$how: help opens"
	bad_rows=$(grep '^|' "$TMP/screen" | grep -vc '|$')
	[ "$bad_rows" = 0 ] && ok "$how: every help row ends at its border" ||
		bad "$how: $bad_rows help rows cut"
	grep -qF "| Shift-Down       Down j cursor down" "$TMP/screen" &&
		ok "$how: cursor down is whole" || bad "$how: cursor down cut"
	keys x q
	wait_rc 0 "$how quits"
done

# NO_COLOR: the cursor cell keeps its status attribute under reverse
start 80 24 NO_COLOR=1 -- -n 0
wait_for "step 1/3" "NO_COLOR cursor run starts"
keys Right Right 2
wait_for "step 3/3" "NO_COLOR: step 3, KV cache"
capture -e
# the cursor S[1,3] is computed: bold and reverse, never reverse alone
line=$(grep -a '^k1' "$TMP/screen" | head -1)
echo "$line" | grep -qa $'\e\\[7m[^\e]*\e\\[1m[^\e]*-2\\*' &&
	ok "NO_COLOR: the computed cursor cell is bold and reverse" ||
	bad "NO_COLOR: cursor attributes: $(echo "$line" | cat -v)"
# reused K cells are underlined, not reversed
kline=$(grep -a '^1 ' "$TMP/screen" | head -1)
echo "$kline" | grep -qa $'\e\[4m' &&
	ok "NO_COLOR: reused cells are underlined" || bad "NO_COLOR: reused attrs: $(echo "$kline" | cat -v)"
keys q
wait_rc 0 "NO_COLOR cursor run quits"

# ---- signals restore the terminal ----
start 80 24
wait_for "step 1/6" "signal run starts"
pane_pid=$(tmux -L "$SOCK" display -p -t ui '#{pane_pid}')
ui_pid=""
end=$((SECONDS + TIMEOUT))
while [ -z "$ui_pid" ] && [ $SECONDS -le $end ]; do
	ui_pid=$(pgrep -P "$pane_pid" -x kvstep || true)
	[ -z "$ui_pid" ] && { env_pid=$(pgrep -P "$pane_pid" || true); [ -n "$env_pid" ] && ui_pid=$(pgrep -P "$env_pid" || echo "$env_pid"); }
	sleep 0.1
done
kill -TERM $ui_pid
wait_rc 143 "SIGTERM exits with 128+15"
capture
grep -q "step 1/6" "$TMP/screen" && bad "screen not restored after SIGTERM" ||
	ok "SIGTERM leaves the alternate screen"
grep -qF "kvstep: interrupted by SIGTERM" "$TMP/screen" &&
	ok "SIGTERM is reported" || bad "SIGTERM message"

# ---- no terminal: refuse at once ----
timeout 10 "$KVSTEP" < /dev/null > "$TMP/out" 2> "$TMP/err"; rc=$?
[ $rc = 64 ] && ok "no tty: exit 64" || bad "no tty: exit $rc"
grep -q "kvstep answers" "$TMP/err" && grep -q "kvstep export" "$TMP/err" &&
	ok "no tty: the message names kvstep answers and kvstep export" ||
	bad "no tty message: $(cat "$TMP/err")"
for term in dumb no-such-terminal; do
	start 80 24 TERM=$term
	wait_rc 64 "TERM=$term: exit 64"
	wait_for "kvstep export" "TERM=$term: names the text commands"
done

echo "1..$checks"
echo "# $((checks - fails)) passed, $fails failed"
[ $fails = 0 ]
