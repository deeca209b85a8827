#!/usr/bin/env bash
# gw_limits.sh - issue 11 findings 3b, 4 and 5 end to end, with a hostile
# guest (tests/e2e/hostile_peer.py: raw frames from made-up hosts on the
# guest's tap): connections to the gateway's DNS are capped and time out
# when idle; DNS answers a guest never reads, 1-byte segments to a host
# service that does not read and out-of-order segments on many connections,
# host data for many connections that acknowledge nothing
# leave qcw-net's RSS bounded; a SYN flood at the gateway leaves DNS over
# TCP and the in-VM API answering, also when the SYNs come from made-up
# addresses of the guest's subnet (ARP for each). Prints what it measured
# (RSS growth, CPU) for the record.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox dig curl python3
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

# ASan's quarantine and shadow memory grow RSS on their own: looser bounds
K=1
grep -q __asan_init "$QCW_NET" 2>/dev/null && K=3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER="python3 $HERE/hostile_peer.py"
GW=192.168.127.1

lab_init gw_limits
# a host service that accepts and never reads
lab_spawn "$LAB_NET" "$LAB_DIR/sink.log" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 7777)); s.listen(256)
keep = []
while True:
    c, _ = s.accept(); keep.append(c)
'
wait_for_port "$LAB_NET" 7777 10
# a host service that sends 4 MiB to whoever connects
lab_spawn "$LAB_NET" "$LAB_DIR/source.log" \
	python3 "$HERE/peers.py" source-server 7778 $((4 << 20))
wait_for_port "$LAB_NET" 7778 10
# small host socket buffers: data for a host that does not read stays in
# qcw-net instead of the kernel's buffers
lab_net sysctl -qw net.ipv4.tcp_wmem="4096 4096 4096"
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"
PID=$(cat "$LAB_DIR/qcw.pid")

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }     # kB
nfd() { ls "/proc/$PID/fd" | wc -l; }
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }          # ticks
stat() { lab_stat "$1.$2" -1; } # stat SECTION KEY
dig_tcp() { lab_guest dig +tcp +short +time=1 +tries=1 @$GW host.containers.internal 2>/dev/null | grep -q 192.168.127.254; }
api_ok() { lab_guest curl -sf --max-time 1 http://$GW/services/forwarder/all >/dev/null; }

t_check "DNS over TCP answers" dig_tcp
fd0=$(nfd)

# --- 3b: connections to the gateway's DNS are capped, and idle ones close
idle=$(lab_guest timeout 40 $PEER idle 53)
echo "# an idle DNS connection was closed after ${idle} s"
t_check "an idle DNS-over-TCP connection is closed after ~10 s (${idle} s)" \
	awk "BEGIN{exit !($idle >= 8 && $idle <= 14)}"
lab_guest timeout 60 $PEER hold 53 200 16 >"$LAB_DIR/hold.out" 2>&1 &
holder=$!
sleep 3
fd1=$(nfd)
echo "# fds: $fd0 before, $fd1 with 200 connections to :53 held; $(cat "$LAB_DIR/hold.out")"
if [ "$QCW_STACK" = slirp ]; then
	# libslirp holds its end of each connection until the guest closes it
	echo "# skip on slirp: fds of held connections past the cap (libslirp keeps its socket until the guest closes)"
else
	t_check "200 held DNS connections cost at most 64 x 2 fds ($fd0 -> $fd1)" \
		test $((fd1 - fd0)) -le 140
fi
t_check "connections past the cap are refused (GatewayRefused $(stat Forwarder GatewayRefused))" \
	test "$(stat Forwarder GatewayRefused)" -gt 0
sleep 10
fd2=$(nfd)
if [ "$QCW_STACK" = slirp ]; then
	echo "# skip on slirp: fds given back while the guest holds its end (libslirp's socket stays until the guest closes)"
else
	t_check "the idle ones were closed and gave their fds back ($fd2, baseline $fd0)" \
		test $((fd2 - fd0)) -le 6
fi
t_check "DNS over TCP answers after the idle ones closed" dig_tcp
t_check "DNS idle closes counted (TcpIdleClosed $(stat DNS TcpIdleClosed))" \
	test "$(stat DNS TcpIdleClosed)" -ge 64
wait $holder

# --- 4a: DNS answers the guest never reads
r0=$(rss)
HOLD=6 lab_guest timeout 60 $PEER dnsflood 400000 >"$LAB_DIR/dnsflood.out" 2>&1
sleep 2
r1=$(rss)
echo "# dnsflood: $(cat "$LAB_DIR/dnsflood.out"); RSS $r0 -> $r1 kB"
# what the server did with the flood (CI once saw every query taken and
# no pause: these lines tell which way it went)
curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats |
	python3 -c "import json,sys; d=json.load(sys.stdin); print('# DNS', d.get('DNS')); print('# Forwarder', d.get('Forwarder'))"
t_check "unread DNS answers: RSS grows < $((10 * K)) MB ($(((r1 - r0) / 1024)) MB)" \
	test $((r1 - r0)) -lt $((10240 * K))
# Under ASan the server may not get 64 KiB of answers ahead within the
# flood's 6 s (it paused in some sanitizer runs, not in others); the
# bound on RSS above is the property, the pause the mechanism.
if [ "$K" = 1 ]; then
	t_check "the connection stopped reading queries (TcpPaused $(stat DNS TcpPaused))" \
		test "$(stat DNS TcpPaused)" -gt 0
else
	echo "# ASan build: TcpPaused $(stat DNS TcpPaused) (not required)"
fi

# --- 4a': connections that do not read their answers hold the bound over
# all connections (1 MiB: 16 x 64 KiB); a connection whose answers are
# all written still gets its own (before, every other connection - another
# VM's, with -keep-serving - paused until those closed)
p0=$(stat DNS TcpPaused)
HOLD=8 CONNS=24 lab_guest timeout 90 $PEER dnsflood 1000000 >"$LAB_DIR/dnsflood2.out" 2>&1 &
flood=$!
wait_until 60 sh -c "grep -q sent '$LAB_DIR/dnsflood2.out'"
echo "# dnsflood over 24 connections: $(cat "$LAB_DIR/dnsflood2.out"); TcpPaused $p0 -> $(stat DNS TcpPaused)"
if [ "$K" = 1 ]; then
	t_check "24 connections that do not read stopped reading queries (TcpPaused +$(($(stat DNS TcpPaused) - p0)))" \
		test $(($(stat DNS TcpPaused) - p0)) -ge 16
fi
# (three tries of a second: the flood holds its connections 8 s)
dig_tcp3() { dig_tcp || dig_tcp || dig_tcp; }
t_check "meanwhile a new DNS-over-TCP connection is answered" dig_tcp3
wait $flood
sleep 2 # the flood's connections close

# --- 4b: 1-byte segments to a host service that does not read
# (a frame lent in place costs its bytes and its pbuf, about 115 bytes:
# 8 MiB take some 73 000 of them; under ASan frames of the flood may be
# lost on the way, and the peer sends again from what was acknowledged)
r0=$(rss)
lab_guest timeout 120 $PEER onebyte 192.168.127.254 7777 200000 >"$LAB_DIR/onebyte.out" 2>&1
sleep 2
r1=$(rss)
echo "# onebyte: $(tr '\n' ' ' <"$LAB_DIR/onebyte.out"); RSS $r0 -> $r1 kB"
t_check "1-byte segments to a host that does not read: RSS grows < $((32 * K)) MB ($(((r1 - r0) / 1024)) MB)" \
	test $((r1 - r0)) -lt $((32768 * K))
if [ "$QCW_STACK" = slirp ]; then
	echo "# skip on slirp: HostQueueRefused is lwIP's host-queue budget (libslirp bounds each socket's buffer to 128 KiB)"
else
	t_check "data past the budget was refused to lwIP (HostQueueRefused $(stat Stack HostQueueRefused))" \
		test "$(stat Stack HostQueueRefused)" -gt 0
fi

# --- 4c: out-of-order segments on many connections
r0=$(rss)
lab_guest timeout 120 $PEER ooseq 192.168.127.254 7777 24 3000 >"$LAB_DIR/ooseq.out" 2>&1
sleep 2
r1=$(rss)
echo "# ooseq: $(tr '\n' ' ' <"$LAB_DIR/ooseq.out"); RSS $r0 -> $r1 kB"
# (slirp: libslirp keeps each one in an MTU-sized buffer with no bound of
# its own; the backend counts them, net/slirp/slirp_ooo.h)
t_check "out-of-order segments on 24 connections: RSS grows < $((48 * K)) MB ($(((r1 - r0) / 1024)) MB)" \
	test $((r1 - r0)) -lt $((49152 * K))
# frames lent in place (rxchunk.h) pin chunks bounded on their own and do
# not always reach the budget: the count is for the record
echo "# out-of-order queues dropped over the global budget: $(stat Stack OoseqDumps)"

# --- 4d: host data for connections that acknowledge nothing
# 250 connections to a host sender, each offering an MSS of 64 (lwIP would
# queue 8192 segments of 64 bytes each, 1.8 MB) and acknowledging nothing:
# each connection's bound times 250 is no bound; all of them together are
# held to one (net/lwip/splice.h: SPLICE_TO_GUEST_MAX)
r0=$(rss) rmax=$r0
HOLD=6 lab_guest timeout 120 $PEER tinymss 192.168.127.254 7778 250 64 >"$LAB_DIR/tinymss.out" 2>&1 &
peer=$!
ping_ok=0
for _ in 1 2 3 4 5 6 7; do
	sleep 1
	r=$(rss)
	[ "$r" -gt "$rmax" ] && rmax=$r
	lab_guest ping -c 1 -W 1 "$GW" >/dev/null 2>&1 && ping_ok=$((ping_ok + 1))
done
wait $peer
echo "# tinymss: $(tr '\n' ' ' <"$LAB_DIR/tinymss.out"); RSS $r0 -> at most $rmax kB; ping $ping_ok of 7"
# (128 MiB counted, a floor of 64 KiB each: the previous binary grew past
# 450 MB within the 7 s, and on)
t_check "250 connections with an MSS of 64 that acknowledge nothing: RSS grows < $((256 * K)) MB ($(((rmax - r0) / 1024)) MB)" \
	test $((rmax - r0)) -lt $((262144 * K))
t_check "... ping of the gateway answers meanwhile ($ping_ok of 7)" \
	test "$ping_ok" -ge 5

# --- 5: a SYN flood at the gateway's ports
c0=$(cpu)
lab_guest $PEER synflood 53 100000 >"$LAB_DIR/synflood.out" 2>&1 &
flood=$!
sleep 1
ok_dns=0 ok_api=0
for i in 1 2 3; do
	dig_tcp && ok_dns=$((ok_dns + 1))
	api_ok && ok_api=$((ok_api + 1))
done
wait $flood
sleep 1
c1=$(cpu)
echo "# synflood: $(cat "$LAB_DIR/synflood.out"); qcw-net CPU $(((c1 - c0) * 10)) ms; DNS $ok_dns/3, API $ok_api/3 within 1 s during it"
t_check "during a SYN flood DNS over TCP answers within 1 s ($ok_dns of 3)" test $ok_dns -ge 2
t_check "during a SYN flood the in-VM API answers within 1 s ($ok_api of 3)" test $ok_api -ge 2
if [ "$QCW_STACK" = slirp ]; then
	echo "# skip on slirp: SynEvicted after SYNs from 10/8 (the filter drops sources outside the subnet before any listener)"
else
	t_check "half-open connections were evicted (SynEvicted $(stat Stack SynEvicted))" \
		test "$(stat Stack SynEvicted)" -gt 0
fi
t_check "after the flood: DNS over TCP answers" dig_tcp
t_check "after the flood: the in-VM API answers" api_ok

# --- 5b: the flood from made-up addresses of the guest's own subnet: every
# SYN-ACK needs ARP, and lwIP recycles its oldest resolved ARP entry first,
# so the guest's was pushed out and its fresh connections waited for ARP
# behind the flood (7 or 8 of 10 within 1 s). Its DHCP lease is pinned in
# the ARP table now: every one is answered at once. A second address of
# the guest, configured without DHCP (.251, which the flood never uses),
# has a plain ARP entry: the flood may not push it out either (without the
# bound on ARP queries, 13 of 16 answered within 1 s). A flood faster
# than the guest's tap drains delays the guest's own ACKs behind it, for
# longer than the oldest half-open connection of a full backlog lived
# (a DNS attempt reset after 30-50 ms in 1 of 5 rounds, at some 130000
# SYNs a second): with the backlog full, SYNs get cookies instead.
STATIC=192.168.127.251
lab_guest ip addr add $STATIC/24 dev "$LAB_TAP"
dig_static() { lab_guest dig +tcp +short +time=1 +tries=1 -b $STATIC @$GW host.containers.internal 2>/dev/null | grep -q 192.168.127.254; }
api_static() { lab_guest curl -sf --interface $STATIC --max-time 1 http://$GW/services/forwarder/all >/dev/null; }
t_check "DNS over TCP answers a source without a lease" dig_static
c0=$(cpu)
g0=$(stat Forwarder GatewayRefused)
# an ASan build cannot keep up with the full rate: a slower flood, still
# hundreds of made-up addresses per ARP entry a second
rate=0
[ "$K" -gt 1 ] && rate=8000
# The flood runs until the five rounds of attempts are done (SYN_STOP),
# at most 60 s: on a loaded machine the rounds' own processes take longer
# than the 12 s the flood once lasted (CI saw 3 of 5 rounds inside it).
rm -f "$LAB_DIR/synstop"
SYN_SUBNET=1 SYN_SECS=60 SYN_STOP="$LAB_DIR/synstop" SYN_RATE=$rate \
	lab_guest $PEER synflood 53 100000000 >"$LAB_DIR/synflood2.out" 2>&1 &
flood=$!
sleep 1
# timed ROUND CHECK: run CHECK; a failure says which and after how long
timed() {
	local t0 t1
	t0=$(date +%s%N)
	"$2" && return 0
	t1=$(date +%s%N)
	echo "# round $1: $2 failed after $(((t1 - t0) / 1000000)) ms (SynEvicted $(stat Stack SynEvicted), ArpQueryRefused $(stat Stack ArpQueryRefused), the guest's tap dropped $(lab_guest cat /sys/class/net/"$LAB_TAP"/statistics/tx_dropped) frames)"
	return 1
}
# flood_rounds PID CHECK...: five rounds of the CHECKs while the flood PID
# runs: how many of each passed in ok[CHECK], rounds during the flood in
# $during
declare -A ok
flood_rounds() {
	local pid=$1 c i
	shift
	ok=()
	during=0
	for c in "$@"; do ok[$c]=0; done
	for i in 1 2 3 4 5; do
		for c in "$@"; do
			timed $i "$c" && ok[$c]=$((ok[$c] + 1))
		done
		kill -0 "$pid" 2>/dev/null && during=$((during + 1))
	done
}
flood_rounds $flood dig_tcp api_ok dig_static api_static
ok_dns=${ok[dig_tcp]} ok_api=${ok[api_ok]}
ok_static=$((ok[dig_static] + ok[api_static]))
touch "$LAB_DIR/synstop"
wait $flood
c1=$(cpu)
echo "# in-subnet synflood: $(cat "$LAB_DIR/synflood2.out"); qcw-net CPU $(((c1 - c0) * 10)) ms; DNS $ok_dns/5, API $ok_api/5, DNS and API from the address without a lease $ok_static/10 within 1 s, $during of 5 rounds during the flood"
# On slirp the flood's SYNs from addresses that answer ARP (the earlier
# checks' made-up hosts) would each cost libslirp a socket and two 128 KiB
# buffers, mapped and unmapped again when evicted (11 s of CPU in the
# 12 s flood, 1-3 of 5 answered): the backend passes at most 16 at once
# and 4 a second of a source's SYNs that never complete (GatewayRefused),
# so both stacks answer every attempt.
g1=$(stat Forwarder GatewayRefused)
if [ "${QCW_STACK:-}" = slirp ]; then
	t_check "slirp: the flood's SYNs that never complete were dropped before libslirp (GatewayRefused $g0 -> $g1)" \
		test "$g1" -gt "$g0"
fi
t_check "the flood lasted through the attempts ($during of 5)" test $during -eq 5
t_check "during a SYN flood from the guest's subnet DNS over TCP answers within 1 s ($ok_dns of 5)" \
	test $ok_dns -eq 5
t_check "during a SYN flood from the guest's subnet the in-VM API answers within 1 s ($ok_api of 5)" \
	test $ok_api -eq 5
t_check "... and DNS and API from the guest's address without a lease ($ok_static of 10)" \
	test $ok_static -eq 10
if [ "${QCW_STACK:-}" != slirp ]; then
	# with the backlog full of the flood's half-open connections from
	# addresses that answer ARP, new SYNs got a cookie (syncookie.h)
	t_check "SYN cookies were sent (SynCookies $(stat Stack SynCookies))" \
		test "$(stat Stack SynCookies)" -gt 0
	# at full rate the backlog stays full: the attempts' SYNs get cookies
	# (an ASan build's slower flood leaves room at times, 1 of 10 there)
	if [ "$K" = 1 ]; then
		t_check "... and the attempts completed connections from them (SynCookieConns $(stat Stack SynCookieConns))" \
			test "$(stat Stack SynCookieConns)" -gt 0
	else
		echo "# connections from SYN cookies: $(stat Stack SynCookieConns)"
	fi
fi
# --- 5c: the flood over IPv6, from made-up addresses of the prefix to the
# gateway's address in it. Each SYN's source is learned as a neighbour and
# answers nothing: the backlog fills and stays full, and the oldest
# half-open connection lived shorter than a flooding guest's own ACK
# waits behind the flood in its tap queue. With the backlog full, SYNs
# over IPv6 get cookies too (on lwIP).
GW6=fd71:6377:6e65::1
dig6_tcp() { lab_guest dig +tcp +short +time=1 +tries=1 @$GW6 host.containers.internal AAAA 2>/dev/null | grep -q 'fd71:6377:6e65::fe'; }
api6_ok() { lab_guest curl -sf -6 --max-time 1 "http://[$GW6]/services/forwarder/all" >/dev/null; }
if [ "${LAB_IPV6:-1}" = 0 ]; then
	echo "# skip 5c: LAB_IPV6=0"
elif wait_until 15 lab_guest_v6_ready $GW6; then
	t_check "DNS over TCP over IPv6 answers before the flood" dig6_tcp
	k0=$(stat Stack SynCookies)
	kc0=$(stat Stack SynCookieConns)
	c0=$(cpu)
	rm -f "$LAB_DIR/synstop"
	SYN_V6=1 SYN_SECS=60 SYN_STOP="$LAB_DIR/synstop" SYN_RATE=$rate \
		lab_guest $PEER synflood 53 100000000 >"$LAB_DIR/synflood6.out" 2>&1 &
	flood=$!
	sleep 1
	flood_rounds $flood dig6_tcp api6_ok
	ok_dns=${ok[dig6_tcp]} ok_api=${ok[api6_ok]}
	touch "$LAB_DIR/synstop"
	wait $flood
	c1=$(cpu)
	k1=$(stat Stack SynCookies)
	kc1=$(stat Stack SynCookieConns)
	echo "# IPv6 synflood: $(cat "$LAB_DIR/synflood6.out"); qcw-net CPU $(((c1 - c0) * 10)) ms; DNS $ok_dns/5, API $ok_api/5 within 1 s, $during of 5 rounds during the flood; SynCookies $k0 -> $k1, SynCookieConns $kc0 -> $kc1"
	t_check "the IPv6 flood lasted through the attempts ($during of 5)" test $during -eq 5
	t_check "during an IPv6 SYN flood DNS over TCP over IPv6 answers within 1 s ($ok_dns of 5)" \
		test $ok_dns -eq 5
	t_check "during an IPv6 SYN flood the in-VM API over IPv6 answers within 1 s ($ok_api of 5)" \
		test $ok_api -eq 5
	if [ "${QCW_STACK:-}" != slirp ]; then
		t_check "SYN cookies were sent over IPv6 (SynCookies $k0 -> $k1)" \
			test "$k1" -gt "$k0"
		if [ "$K" = 1 ]; then
			t_check "... and the attempts completed connections from them (SynCookieConns $kc0 -> $kc1)" \
				test "$kc1" -gt "$kc0"
		fi
	fi
	t_check "after the IPv6 flood: DNS over TCP over IPv6 answers" dig6_tcp
else
	t_fail "the guest has no IPv6 address out of DAD (ping -6 of the gateway)"
fi
t_check "the guest's lease is pinned in the ARP table (ArpPinned $(stat Stack ArpPinned))" \
	test "$(stat Stack ArpPinned)" -ge 1
t_check "ARP queries for the flood's addresses were bounded (ArpQueryRefused $(stat Stack ArpQueryRefused))" \
	test "$(stat Stack ArpQueryRefused)" -gt 0
t_check "qcw-net is alive" kill -0 "$PID"
echo "# final RSS $(rss) kB, fds $(nfd)"

t_summary
