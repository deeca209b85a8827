#!/usr/bin/env bash
# lab_selftest.sh - proves the e2e lab itself works, using passt as the
# backend (qcw-net is not involved): the guest gets a lease over DHCP through
# qcw-tapbridge, pings the gateway, reaches a TCP server on the backend
# namespace's loopback through the gateway address, and moves bulk TCP data
# both ways at MTU 1500 and 65520.  If this fails, e2e failures of qcw-net
# say nothing about qcw-net.
# Exit: 0 pass, 1 fail, 77 skipped (not root, or passt/busybox missing).

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd passt busybox socat ping
[ -x "$QCW_TAPBRIDGE" ] || lab_skip "qcw-tapbridge not built ($QCW_TAPBRIDGE)"

lab_init selftest
# passt's maximum MTU, handed out by DHCP: exercises the option 26 path and
# lets both directions use 64 KiB segments (the backend's MTU caps the MSS
# it offers the guest).
lab_start_backend passt -m 65520
lab_start_bridge

t_check "dhcp lease from passt" lab_dhcp
# shellcheck disable=SC1090
. "$LAB_LEASE_FILE" 2>/dev/null
t_check "leased address is $LAB_GUEST_IP" test "${ip:-}" = "$LAB_GUEST_IP"
t_check "router is the gateway" test "${router:-}" = "$LAB_GW"
t_check "address configured on $LAB_TAP" \
	sh -c "ip -n '$LAB_GUEST' -4 addr show dev '$LAB_TAP' | grep -q 'inet $LAB_GUEST_IP/$LAB_PREFIX'"
t_check "default route via gateway" \
	sh -c "ip -n '$LAB_GUEST' -4 route show default | grep -q 'via $LAB_GW'"
t_check "DHCP MTU applied (65520)" \
	sh -c "ip -n '$LAB_GUEST' link show '$LAB_TAP' | grep -q 'mtu 65520 '"
t_check "guest resolv.conf from the lease" \
	lab_guest grep -q "^nameserver $LAB_GW" /etc/resolv.conf

t_check "ping gateway" lab_guest ping -c 3 -i 0.2 -W 2 "$LAB_GW"

# A server on the backend namespace's loopback, reached via the gateway.
lab_spawn "$LAB_NET" "$LAB_DIR/echo.log" socat \
	TCP-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo lab-hello-$$'
wait_for_port "$LAB_NET" 8080
t_check "tcp to host loopback via gateway (socat)" \
	sh -c "ip netns exec '$LAB_GUEST' socat -T 5 - TCP:$LAB_GW:8080 </dev/null | grep -q '^lab-hello-'"
if command -v curl >/dev/null; then
	mkdir -p "$LAB_DIR/www" && echo lab-ok >"$LAB_DIR/www/index.html"
	lab_spawn "$LAB_NET" "$LAB_DIR/httpd.log" busybox httpd -f \
		-p 127.0.0.1:8081 -h "$LAB_DIR/www"
	wait_for_port "$LAB_NET" 8081
	t_check "http via gateway (curl)" \
		sh -c "ip netns exec '$LAB_GUEST' curl -sS --max-time 5 http://$LAB_GW:8081/ | grep -qx lab-ok"
fi

# Bulk data both ways, at the default MTU and at passt's 64 KiB maximum:
# short runs, checked for "data flowed", not for speed.
iperf_run()
{
	local mtu=$1
	shift
	ip -n "$LAB_GUEST" link set "$LAB_TAP" mtu "$mtu" || return 1
	lab_net timeout 30 iperf3 -s -1 -B 127.0.0.1 -p 5201 >"$LAB_DIR/iperf-s.log" 2>&1 &
	local spid=$!
	wait_for_port "$LAB_NET" 5201 || return 1
	lab_guest iperf3 -c "$LAB_GW" -p 5201 -t 2 -f m "$@" \
		>"$LAB_DIR/iperf-c.log" 2>&1
	local rc=$?
	wait "$spid"
	return $rc
}
iperf_rate()
{
	grep -E 'receiver' "$LAB_DIR/iperf-c.log" | tail -n 1 |
		grep -oE '[0-9.]+ Mbits/sec'
}
if command -v iperf3 >/dev/null; then
	for mtu in 1500 65520; do
		t_check "iperf3 guest->host MTU $mtu" iperf_run "$mtu" &&
			echo "#   $(iperf_rate)"
		t_check "iperf3 host->guest MTU $mtu" iperf_run "$mtu" -R &&
			echo "#   $(iperf_rate)"
	done
else
	t_skip "iperf3" "not installed"
fi

t_check "bridge still running" kill -0 "$LAB_BRIDGE_PID"
t_check "passt still running" kill -0 "$LAB_BACKEND_PID"

# The bridge alone, without passt: two guests whose bridges are joined by a
# byte relay (socat), Linux TCP (with SACK) on both ends.  Zero
# retransmissions here means the bridge neither loses nor corrupts frames.
# ($LAB_GUEST's tap0 is reused, so its passt bridge goes first.)
lab_stop_bridge
G2="qcwg2-selftest-$$"
lab_add_guest "$G2" 5a:94:ef:e4:0c:ef
lab_spawn "$LAB_NET" "$LAB_DIR/relay.log" socat -b 262144 \
	"UNIX-LISTEN:$LAB_DIR/a.sock" "UNIX-LISTEN:$LAB_DIR/b.sock"
wait_for_file "$LAB_DIR/a.sock"
lab_spawn "$LAB_GUEST" "$LAB_DIR/br-a.log" "$QCW_TAPBRIDGE" -v -i "$LAB_TAP" \
	-s "$LAB_DIR/a.sock"
wait_for_file "$LAB_DIR/b.sock"
lab_spawn "$G2" "$LAB_DIR/br-b.log" "$QCW_TAPBRIDGE" -v -i "$LAB_TAP" \
	-s "$LAB_DIR/b.sock"
ip -n "$LAB_GUEST" -4 addr flush dev "$LAB_TAP"
ip -n "$LAB_GUEST" -4 addr add 198.19.0.1/24 dev "$LAB_TAP"
ip -n "$G2" -4 addr add 198.19.0.2/24 dev "$LAB_TAP"
b2b_run()
{
	local mtu=$1 spid
	ip -n "$LAB_GUEST" link set "$LAB_TAP" mtu "$mtu" &&
		ip -n "$G2" link set "$LAB_TAP" mtu "$mtu" || return 1
	ip netns exec "$G2" timeout 30 iperf3 -s -1 -B 198.19.0.2 \
		>/dev/null 2>&1 &
	spid=$!
	wait_for_port "$G2" 5201 || return 1
	lab_guest iperf3 -c 198.19.0.2 -t 2 -f m >"$LAB_DIR/iperf-c.log" 2>&1
	wait "$spid"
	grep -q receiver "$LAB_DIR/iperf-c.log"
}
t_check "bridge back to back: ping" \
	lab_guest ping -c 2 -i 0.2 -W 2 198.19.0.2
if command -v iperf3 >/dev/null; then
	for mtu in 1500 65520; do
		t_check "bridge back to back: iperf3 MTU $mtu" b2b_run "$mtu" &&
			echo "#   $(iperf_rate), $(grep sender \
				"$LAB_DIR/iperf-c.log" | awk '{print $(NF-1)}') retransmits"
	done
fi
t_summary
