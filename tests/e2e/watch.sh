#!/usr/bin/env bash
# watch.sh - issue 18 items 5 and 6 end to end, as a person would use them:
# "qcw-net stats --watch" runs in a tmux window against qcw-net's -listen
# socket; the screen (read with tmux capture-pane) shows the guest's port
# near 0 Mbit/s when idle, clearly above during a rate-limited download in
# the guest, and near 0 again after it; NAT and DNS lines move; Ctrl-C
# exits 0 and gives the shell's screen back. Piped to a file it writes one
# plain line per interval. And qcw-net runs with -debug=dns: its log has
# the DNS debug lines of the guest's queries and no NAT (or other) debug
# line although the guest opened NAT flows.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox python3 curl dig tmux awk
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HOST=192.168.127.254 # the host alias: 127.0.0.1 in qcw-net's namespace
RATE=4000000         # bytes/s the download is held to (32 Mbit/s)
TMUX_SOCK=qcw-watch-$$

# usage errors need no daemon
"$QCW_NET" stats --interval 1 >/dev/null 2>&1
t_check "--interval without --watch: usage error (2)" test $? = 2
"$QCW_NET" stats --watch --interval 0 >/dev/null 2>&1
t_check "--interval 0: usage error (2)" test $? = 2
"$QCW_NET" stats --watch --json >/dev/null 2>&1
t_check "--watch --json: usage error (2)" test $? = 2
"$QCW_NET" stats --watch --socket "unix:///nonexistent/api.sock" >/dev/null 2>&1
t_check "--watch on a dead socket fails at once (1)" test $? = 1

lab_init watch
API="unix://$LAB_DIR/api.sock"
lab_start_backend qcw -listen "$API" -debug=dns
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

mkdir -p "$LAB_DIR/www"
truncate -s 200M "$LAB_DIR/www/big.bin"
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080

# screen: the pane as the person sees it; out_mbps: the OUT Mbit/s column
# of the guest's (qemu) port on it
screen() { tmux -L "$TMUX_SOCK" capture-pane -p -t watch; }
out_mbps() { awk '$2 == "qemu" { print $4; exit }' <<<"$1"; }
tcp_open() { awk '$1 == "TCP" { print $2; exit }' <<<"$1"; }
title_time() { grep -o '[0-9T:-]*Z' <<<"$1" | head -n1; }
lacks() { ! grep -q "$1" <<<"$2"; }
# lacks_line ERE FILE: every line of FILE matches ERE
lacks_line() { ! grep -Evq "$1" "$2"; }

lab_defer "tmux -L $TMUX_SOCK kill-server"
tmux -L "$TMUX_SOCK" new-session -d -s watch -x 120 -y 40 \
	"'$QCW_NET' stats --watch --socket '$API'; echo \"exit status \$?\"; sleep 60"
wait_until 10 sh -c "tmux -L $TMUX_SOCK capture-pane -p -t watch | grep -q '^ *1 qemu'"
s0=$(screen)
t_check "the screen shows the port table" grep -q 'PORT KIND *IN Mbit/s *OUT Mbit/s' <<<"$s0"
t_check "idle: the guest's port under 1 Mbit/s out ($(out_mbps "$s0"))" \
	awk -v v="$(out_mbps "$s0")" 'BEGIN { exit !(v != "" && v < 1) }'

# a download in the guest, held to $RATE bytes/s, and the line mode
# ip netns exec execs curl: $! is curl itself, so the kill below ends it
ip netns exec "$LAB_GUEST" curl -s --max-time 30 --limit-rate $RATE -o /dev/null \
	"http://$HOST:8080/big.bin" &
curl_pid=$!
"$QCW_NET" stats --watch --interval 0.5 --socket "$API" >"$LAB_DIR/lines.txt" 2>"$LAB_DIR/lines.err" &
lines_pid=$!
sleep 3
for _ in 1 2 3 4 5 6; do
	lab_guest dig +short +time=2 +tries=1 @"$LAB_GW" host.containers.internal >/dev/null
done
s1=$(screen)
sleep 1.2
s2=$(screen)
v1=$(out_mbps "$s1") v2=$(out_mbps "$s2")
t_check "during the download: out above 10 Mbit/s ($v1, then $v2)" \
	awk -v a="$v1" -v b="$v2" 'BEGIN { exit !(a > 10 && b > 10 && a < 200 && b < 200) }'
t_check "the screen was redrawn ($(title_time "$s1") then $(title_time "$s2"))" \
	test "$(title_time "$s1")" != "$(title_time "$s2")"
if [ "${QCW_STACK:-}" = slirp ]; then
	t_skip "NAT: the download's TCP flow is open" \
		"libslirp hides its flows: NAT flow counters stay 0 (README, Stacks)"
else
	t_check "NAT: the download's TCP flow is open ($(tcp_open "$s1"))" \
		awk -v v="$(tcp_open "$s1")" 'BEGIN { exit !(v >= 1) }'
fi
t_check "DNS line present" grep -q '^DNS .* queries/s' <<<"$s2"
kill -INT $lines_pid
wait $lines_pid
t_check "line mode: Ctrl-C exits 0" test $? = 0
kill $curl_pid 2>/dev/null
wait $curl_pid 2>/dev/null

n=$(wc -l <"$LAB_DIR/lines.txt")
t_check "line mode: one line per 0.5 s ($n lines in ~5.5 s)" test "$n" -ge 8 -a "$n" -le 13
t_check "line mode: every line is timestamp + key=value rates" lacks_line \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z in=[0-9.]+Mbit/s out=[0-9.]+Mbit/s in_fps=[0-9]+ out_fps=[0-9]+ tcp=[0-9]+ udp=[0-9]+ icmp=[0-9]+ new_flows=[0-9.]+/s dns=[0-9.]+qps drops=[0-9.]+/s' \
	"$LAB_DIR/lines.txt"
t_check "line mode: no terminal escapes" sh -c "! grep -q \$(printf '\\033') '$LAB_DIR/lines.txt'"
t_check "line mode: the download shows (a line with out above 10 Mbit/s)" \
	awk -F'out=' '{ split($2, a, "M"); if (a[1] > 10) ok = 1 } END { exit !ok }' "$LAB_DIR/lines.txt"
t_check "line mode: the guest's 6 local DNS queries show (dns above 0)" \
	awk -F'dns=' '{ split($2, a, "q"); if (a[1] > 0) ok = 1 } END { exit !ok }' "$LAB_DIR/lines.txt"

# after the download the rate falls back
wait_until 10 sh -c "tmux -L $TMUX_SOCK capture-pane -p -t watch | awk '\$2 == \"qemu\" { exit !(\$4 < 1) }'"
s3=$(screen)
t_check "after the download: under 1 Mbit/s again ($(out_mbps "$s3"))" \
	awk -v v="$(out_mbps "$s3")" 'BEGIN { exit !(v != "" && v < 1) }'

tmux -L "$TMUX_SOCK" send-keys -t watch C-c
wait_until 5 sh -c "tmux -L $TMUX_SOCK capture-pane -p -t watch | grep -q 'exit status'"
s4=$(screen)
t_check "Ctrl-C in the terminal: exit status 0" grep -q '^exit status 0$' <<<"$s4"
t_check "the shell's screen is back (no table left)" lacks 'PORT KIND' "$s4"

# -debug=dns: DNS debug lines only
log=$LAB_DIR/qcw.log
t_check "-debug=dns: the guest's DNS queries are logged" \
	grep -q 'level=debug msg="dns: query host.containers.internal. type 1 over udp: local"' "$log"
t_check "-debug=dns: no NAT debug line (the download's flow was opened)" \
	sh -c "! grep -q 'level=debug msg=\"nat:' '$log'"
t_check "-debug=dns: no debug line of any other subsystem" \
	sh -c "! grep 'level=debug' '$log' | grep -vq 'msg=\"dns:'"
t_check "-debug=dns: info lines still there" grep -q 'level=info' "$log"

# the other way round: -debug=nat logs the guest's NAT flows and no query
lab_stop_bridge
lab_stop_backend
rm -f "$LAB_SOCK"
lab_start_backend qcw -debug=nat
lab_start_bridge
lab_guest curl -s -o /dev/null --max-time 5 -r 0-999 "http://$HOST:8080/big.bin"
lab_guest dig +short +time=2 +tries=1 @$LAB_GW host.containers.internal >/dev/null
if [ "${QCW_STACK:-}" = slirp ]; then
	t_skip "-debug=nat: the guest's TCP flow is logged" \
		"lwIP's NAT logs its flows; libslirp's connections are its own"
else
	t_check "-debug=nat: the guest's TCP flow is logged" \
		grep -q "level=debug msg=\"nat: tcp flow $LAB_GUEST_IP:[0-9]* -> $HOST:8080\"" "$log"
fi
t_check "-debug=nat: no DNS debug line" lacks 'level=debug msg="dns:' "$(cat "$log")"

t_summary
