# Shared by the tmux scripts (sourced, not run): a private tmux server per
# run, TAP output, and polling waits on the captured screen. The sourcing
# script sets KVSTEP, SOCK_BASE, TMP and TIMEOUT first.
RUNS=0
SOCK=$SOCK_BASE-0
fails=0 checks=0

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); echo "ok $checks - $1"; }
bad() {
	checks=$((checks + 1)); fails=$((fails + 1))
	echo "not ok $checks - $1"
	[ -f "$TMP/screen" ] && sed 's/^/#   /' "$TMP/screen"
}

capture() { tmux -L "$SOCK" capture-pane -p -t ui "$@" > "$TMP/screen" 2>/dev/null; }
keys() { tmux -L "$SOCK" send-keys -t ui "$@"; }

# wait_for TEXT DESCRIPTION: polls the screen until TEXT (fixed string) shows
wait_for() {
	local end=$((SECONDS + TIMEOUT))
	while [ $SECONDS -le $end ]; do
		capture
		if grep -qF -- "$1" "$TMP/screen"; then ok "$2"; return 0; fi
		sleep 0.1
	done
	bad "$2 (no \"$1\" within ${TIMEOUT}s)"
	return 1
}

# wait_gone TEXT DESCRIPTION: polls the screen until TEXT no longer shows
wait_gone() {
	local end=$((SECONDS + TIMEOUT))
	while [ $SECONDS -le $end ]; do
		capture
		if ! grep -qF -- "$1" "$TMP/screen"; then ok "$2"; return 0; fi
		sleep 0.1
	done
	bad "$2 (\"$1\" still there after ${TIMEOUT}s)"
	return 1
}

# still_running DESCRIPTION: the UI has not exited
still_running() {
	sleep 0.3
	if [ -s "$TMP/rc" ]; then bad "$1 (exited $(cat "$TMP/rc"))"; else ok "$1"; fi
}

# wait_rc WANT DESCRIPTION: waits for the UI's exit status file
wait_rc() {
	local end=$((SECONDS + TIMEOUT))
	while [ $SECONDS -le $end ]; do
		if [ -s "$TMP/rc" ]; then
			local rc; rc=$(cat "$TMP/rc")
			if [ "$rc" = "$1" ]; then ok "$2"; else bad "$2 (exit $rc, want $1)"; fi
			return
		fi
		sleep 0.1
	done
	bad "$2 (never exited)"
}

# start W H [ENV...] [-- ARGS...]: a new server running kvstep in window "ui"
start() {
	local w=$1 h=$2; shift 2
	local envs="" args=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	[ $# -gt 0 ] && shift && args="$*"
	tmux -L "$SOCK" kill-server 2>/dev/null
	# a fresh server per run: a new client racing a server that is still
	# shutting down gets "server exited unexpectedly"
	RUNS=$((RUNS + 1))
	SOCK="$SOCK_BASE-$RUNS"
	rm -f "$TMP/rc"
	tmux -L "$SOCK" -f /dev/null new-session -d -s ui -x "$w" -y "$h" \
		"env LC_ALL=C.UTF-8 $envs '$KVSTEP' $args; echo \$? > '$TMP/rc'; sleep 60"
}
