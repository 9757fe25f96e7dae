#!/bin/sh
# Terminal faults for the UI, driven in tmux: 50 resizes while stepping, a
# 1x1 window, SIGINT/SIGQUIT/SIGTERM/SIGHUP mid-render, and the terminal's modes
# (stty -a) the same before and after every run.
# usage: faults.sh KVSTEP
set -u
abspath() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
kvstep=$(abspath "$1")
work=$(mktemp -d)
sock_base="kvstep-faults-$$"
runs=0
sock="$sock_base-0"
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
n=0; fails=0
check() {
	name=$1; shift; n=$((n + 1))
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fails=$((fails + 1)); fi
}
wait_for() { # wait_for FILE-or-TEXT: poll up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		case $1 in
		file:*) [ -s "${1#file:}" ] && return 0 ;;
		*) tm capture-pane -p -t s 2>/dev/null | grep -q -- "$1" && return 0 ;;
		esac
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# start: a shell in an 80x24 window records stty, runs kvstep, records again
start() { # start TAG
	rm -f "$1".before "$1".after "$1".rc "$1".pid
	runs=$((runs + 1))
	sock="$sock_base-$runs" # a fresh server: never race one shutting down
	tm new-session -d -s s -x 80 -y 24 "env TERM=screen sh" 2>/dev/null ||
		{ echo "tmux did not start"; exit 1; }
	tm send-keys -t s "stty -a > $1.before; sh -c 'echo \$\$ > $1.pid; exec $kvstep'; echo \$? > $1.rc; stty -a > $1.after" Enter
	wait_for "step 1/6"
}
stop() { tm kill-server 2>/dev/null; sleep 0.2; }
# stty -a without the window size, which the resizes change on purpose
same_modes() { [ "$(sed 's/rows [0-9]*; columns [0-9]*;//' "$1")" = "$(sed 's/rows [0-9]*; columns [0-9]*;//' "$2")" ]; }

echo "1..15"
# 50 resizes in a row while stepping, including 1x1, then quit with q
start resize
sizes="1x1 20x6 200x60 80x24 81x25 30x10 250x70 60x18 1x1 120x40"
i=0
while [ $i -lt 50 ]; do
	for wh in $sizes; do
		[ $i -ge 50 ] && break
		tm resize-window -t s -x "${wh%x*}" -y "${wh#*x}"
		tm send-keys -t s Right
		i=$((i + 1))
	done
done
tm resize-window -t s -x 80 -y 24
tm send-keys -t s Home
check "after 50 resizes kvstep still draws step 1" wait_for "step 1/6"
tm send-keys -t s q
check "q after resizes ends kvstep" wait_for file:resize.rc
check "exit status 0" [ "$(cat resize.rc 2>/dev/null)" = 0 ]
check "terminal modes restored" same_modes resize.before resize.after
stop

# signals arriving while the screen is being redrawn
for sig in INT QUIT TERM HUP; do
	start "$sig"
	pid=$(cat "$sig.pid")
	j=0
	while [ $j -lt 10 ]; do
		tm resize-window -t s -x $((60 + j * 7)) -y $((18 + j)); j=$((j + 1))
	done
	kill -"$sig" "$pid"
	wait_for "file:$sig.rc"
	case $sig in INT) want=130 ;; QUIT) want=131 ;; TERM) want=143 ;; HUP) want=129 ;; esac
	check "SIG$sig mid-render exits $want" [ "$(cat "$sig.rc" 2>/dev/null)" = "$want" ]
	check "SIG$sig leaves the terminal modes as they were" same_modes "$sig.before" "$sig.after"
	stop
done

# refusals, never a hang
TERM=no-such-terminal "$kvstep" < /dev/null > out.txt 2> err.txt; rc=$?
check "no terminal: exit 64" [ "$rc" -eq 64 ]
check "names the text commands" grep -q "kvstep answers" err.txt
script -qec "env TERM=no-such-terminal $kvstep" /dev/null > out.txt 2>&1; rc=$?
check "unknown TERM on a tty: exit 64" [ "$rc" -eq 64 ]
[ "$fails" -eq 0 ]
