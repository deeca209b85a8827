#!/usr/bin/env bash
# tables.sh - issue 11 finding 7 end to end: the switch's MAC table and the
# DHCP pool cannot be filled for good by a guest. 300 made-up MACs take the
# whole DHCP pool, and storms of 10 000 source MACs fill the MAC table, from
# the real guest's own tap and from a hostile second VM; then the guest
# still pings the gateway and reaches a host TCP service, also after it
# reconnects (its MAC learnt anew), a third VM that was never seen before
# is learnt and gets a lease once the 300 are quiet (-dhcp-quiet 3) and
# the gateway's traffic (its address was pinned in the ARP table to one of
# the 300 MACs), and the real VM's static address stays its own.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLOOD=(python3 "$HERE/mac_flood.py")
HOST=192.168.127.254
QUIET=3
alive() { kill -0 "$LAB_BACKEND_PID" 2>/dev/null; }
stats() { lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats; }
stat_of() { # stat_of SECTION KEY
	stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['$2'])"
}

lab_init tables
# QCW_E2E_TABLES_FLAGS="" runs it against a build without these flags.
# shellcheck disable=SC2086
lab_start_backend qcw -keep-serving -listen "unix://$LAB_DIR/api.sock" \
	${QCW_E2E_TABLES_FLAGS--dhcp-quiet $QUIET -mac-age 4}
lab_start_bridge
t_check "the VM gets its lease" lab_dhcp
lab_spawn "$LAB_NET" "$LAB_DIR/host.log" socat \
	TCP-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo hello-host'
wait_for_port "$LAB_NET" 8080

# ---- a hostile VM storms from its port while the VM is disconnected (its
# MAC forgotten with its port); the VM comes back and must be learnt ----
G2="qcwg2-tables-$$"
lab_add_bridged_guest "$G2" 5a:94:ef:00:00:66
lab_stop_bridge
out=$(ip netns exec "$G2" "${FLOOD[@]}" tap0 storm 10000)
echo "# storm from another VM while the VM is away: $out"
lab_start_bridge
t_check "the reconnected VM pings the gateway" \
	lab_guest ping -c 3 -i 0.2 -W 2 192.168.127.1
t_check "the reconnected VM reaches a host TCP service" \
	sh -c "ip netns exec $LAB_GUEST socat -T 5 - TCP:$HOST:8080,connect-timeout=5 </dev/null | grep -q hello-host"

# ---- 300 MACs bind the whole pool (.3 to .253: 251 addresses) ----
out=$(lab_guest "${FLOOD[@]}" "$LAB_TAP" dhcp 300)
echo "# dhcp from 300 MACs: $out"
t_check "300 MACs bound the whole pool" \
	test "$(echo "$out" | awk '{print $4}')" -ge 240
t_check "the VM still gets its own address with the pool full" lab_dhcp
pinned=$(stat_of Stack ArpPinned) refused=$(stat_of Stack ArpPinRefused)
echo "# leases pinned in the ARP table: $pinned, left to normal ARP: $refused"
if [ "${QCW_STACK:-}" = slirp ]; then
	t_skip "the leases pinned in the ARP table are capped at half of it ($pinned)" \
		"lwIP's ARP table only: the slirp backend answers libslirp's ARP from its own table of leased guests"
else
	t_check "the leases pinned in the ARP table are capped at half of it ($pinned)" \
		test "$pinned" -le 32 -a "$refused" -gt 0
fi
t_check "... 192.168.127.2" grep -q "ip='192.168.127.2'" "$LAB_LEASE_FILE"
dhcp_done=$(date +%s)

# ---- a storm of 10 000 source MACs on the VM's own port ----
out=$(lab_guest "${FLOOD[@]}" "$LAB_TAP" storm 10000)
echo "# storm from the VM: $out"
t_check "qcw-net survives the storm" alive
t_check "after the storm the VM pings the gateway" \
	lab_guest ping -c 3 -i 0.2 -W 2 192.168.127.1
t_check "after the storm the VM reaches a host TCP service" \
	sh -c "ip netns exec $LAB_GUEST socat -T 5 - TCP:$HOST:8080,connect-timeout=5 </dev/null | grep -q hello-host"

# ---- a third VM, never seen before, on a new port ----
G3="qcwg3-tables-$$"
lab_add_bridged_guest "$G3" 5a:94:ef:00:00:42
# the 300 must have been quiet for the quiet time
while [ $(($(date +%s) - dhcp_done)) -le $QUIET ]; do sleep 0.5; done
out=$(ip netns exec "$G3" busybox udhcpc -i tap0 -f -q -n -t 4 -T 2 \
	-s /bin/true 2>&1)
ip2=$(echo "$out" | sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p')
echo "# second VM: ${ip2:-no lease}"
t_check "a new client gets a lease from the full pool" test -n "$ip2"
if [ -n "$ip2" ]; then
	ip -n "$G3" addr add "$ip2/24" dev tap0
	# its address was pinned in the ARP table to a quiet MAC of the 300:
	# the pin now names the new VM's MAC, or the gateway answers nobody
	t_check "the new VM pings the gateway" \
		ip netns exec "$G3" ping -c 2 -i 0.2 -W 2 192.168.127.1
	t_check "the new VM reaches the in-VM API" \
		ip netns exec "$G3" curl -sf --max-time 3 http://192.168.127.1/services/forwarder/all -o /dev/null
	t_check "the new VM and the VM talk through the switch" \
		ip netns exec "$G3" ping -c 2 -i 0.2 -W 2 192.168.127.2
fi
t_check "the VM renews its own address" lab_dhcp
t_check "... still 192.168.127.2" grep -q "ip='192.168.127.2'" "$LAB_LEASE_FILE"
t_check "the host API answers" stats
t_check "/stats counts reclaimed leases" test "$(stat_of DHCP Reclaimed)" -ge 1
t_check "/stats counts replaced MACs" test "$(stat_of Switch MacEvicted)" -ge 19000
t_check "the MAC table stays bounded" test "$(stat_of Switch MacEntries)" -le 1024
aged_at_least() { test "$(stat_of Switch MacAged 2>/dev/null)" -ge "$1"; }
t_check "unseen MACs age out (-mac-age 4)" wait_until 10 aged_at_least 200
t_check "qcw-net still running" alive
t_summary
