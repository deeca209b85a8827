#!/usr/bin/env bash
# dns.sh - issue 4 end to end: the guest resolves through qcw-net at
# 192.168.127.1 with dig and its system resolver: local zones, names of a
# test DNS server (dnsmasq on qcw-net's namespace loopback, that
# namespace's resolver) for A/AAAA/MX/TXT/SRV, an answer over 512 bytes
# after truncation, SERVFAIL from a dead upstream within the timeout, and a
# zone added through the API answering at once; AAAA for the local names
# (and none with -ipv6=false).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox dig dnsmasq curl getent
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

GW=192.168.127.1
q() { # q NAME [TYPE] [dig options]: short answer from qcw-net
	lab_guest dig +short +time=3 +tries=1 @$GW "$@" 2>&1
}
status() {
	lab_guest dig +time=3 +tries=1 @$GW "$@" 2>&1 | grep -o 'status: [A-Z]*' | cut -d' ' -f2
}

lab_init dns
# the test upstream: dnsmasq on the backend namespace's 127.0.0.1, which
# is that namespace's resolver (lab_init wrote its resolv.conf)
big=()
for i in $(seq 1 40); do
	big+=(--txt-record=big.example.test,"record number $i with some padding text")
done
lab_spawn "$LAB_NET" "$LAB_DIR/dnsmasq.log" dnsmasq --no-daemon --no-resolv \
	--no-hosts --listen-address=127.0.0.1 --bind-interfaces --port=53 \
	--address=/example.test/10.99.0.1 \
	--host-record=v6.example.test,10.99.0.6,fd00::6 \
	--mx-host=example.test,mail.example.test,10 \
	--txt-record=example.test,"hello world" \
	--srv-host=_sip._tcp.example.test,sip.example.test,5060 "${big[@]}"
wait_for_port "$LAB_NET" 53 10 udp
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

t_check "guest resolv.conf points at the gateway" \
	lab_guest grep -q "nameserver $GW" /etc/resolv.conf
t_check "host.containers.internal -> .254" test "$(q host.containers.internal)" = 192.168.127.254
t_check "gateway.containers.internal -> .1" test "$(q gateway.containers.internal)" = 192.168.127.1
t_check "host.docker.internal -> .254" test "$(q host.docker.internal)" = 192.168.127.254
t_check "unknown name in a local zone: NXDOMAIN" \
	test "$(status nope.containers.internal)" = NXDOMAIN
t_check "AAAA of a local name: the host alias' IPv6 address" \
	test "$(q host.containers.internal AAAA)" = fd71:6377:6e65::fe
t_check "system resolver (getent) finds host.containers.internal" \
	sh -c "ip netns exec $LAB_GUEST getent ahostsv4 host.containers.internal | grep -q 192.168.127.254"
t_check "... and its IPv6 address (getent ahostsv6)" \
	sh -c "ip netns exec $LAB_GUEST getent ahostsv6 host.containers.internal | grep -q fd71:6377:6e65::fe"

t_check "upstream A" test "$(q example.test)" = 10.99.0.1
t_check "upstream AAAA" test "$(q v6.example.test AAAA)" = fd00::6
t_check "upstream MX" test "$(q example.test MX)" = "10 mail.example.test."
t_check "upstream TXT" test "$(q example.test TXT)" = '"hello world"'
t_check "upstream SRV" test "$(q _sip._tcp.example.test SRV)" = "0 0 5060 sip.example.test."
t_check "system resolver finds an upstream name" \
	sh -c "ip netns exec $LAB_GUEST getent hosts example.test | grep -q 10.99.0.1"

t_check "a large answer over UDP is truncated (TC)" \
	sh -c "ip netns exec $LAB_GUEST dig +ignore +noedns +time=3 +tries=1 @$GW big.example.test TXT | grep -q 'flags:.* tc'"
n=$(lab_guest dig +noedns +time=3 +tries=1 @$GW big.example.test TXT | grep -c 'record number')
t_check "dig retries over TCP and gets all 40 records ($n)" test "$n" = 40
n=$(lab_guest dig +tcp +short +time=3 +tries=1 @$GW big.example.test TXT | grep -c 'record number')
t_check "DNS over TCP directly ($n records)" test "$n" = 40
t_check "several queries on one TCP connection" \
	sh -c "[ \$(ip netns exec $LAB_GUEST dig +tcp +keepopen +short +time=3 @$GW example.test host.containers.internal example.test MX | wc -l) = 3 ]"

# a zone added through the API answers at once
t_check "add a zone through the API" curl -sf --unix-socket "$LAB_DIR/api.sock" \
	-d '{"Name":"lab.internal.","Records":[{"Name":"box","IP":"10.1.2.3"},{"Regexp":"^web-[0-9]+$","IP":"10.1.2.4"}]}' \
	http://qcw/services/dns/add
t_check "the new exact record answers" test "$(q box.lab.internal)" = 10.1.2.3
t_check "the new regexp record answers" test "$(q web-42.lab.internal)" = 10.1.2.4
t_check "/services/dns/all lists it" sh -c \
	"curl -sf --unix-socket '$LAB_DIR/api.sock' http://qcw/services/dns/all | grep -q lab.internal."

# dead upstream: SERVFAIL within the timeout
lab_stop_bridge
lab_stop_backend
LAB_SOCK=$LAB_DIR/dead.sock
QCW_NET_DNS_UPSTREAM=127.0.0.1:5399 lab_start_backend qcw -ssh-port -1 -ipv6=false
lab_start_bridge
lab_dhcp >/dev/null
start=$(date +%s%N)
st=$(status example.test +time=10)
ms=$((($(date +%s%N) - start) / 1000000))
t_check "dead upstream gives SERVFAIL ($st)" test "$st" = SERVFAIL
t_check "... within the timeout (${ms} ms < 10000)" test $ms -lt 10000
t_check "local names still answer without an upstream" \
	test "$(q host.containers.internal)" = 192.168.127.254
t_check "-ipv6=false: AAAA of a local name is NOERROR, no data" \
	sh -c "[ '$(status host.containers.internal AAAA)' = NOERROR ] && [ -z '$(q host.containers.internal AAAA)' ]"

# an upstream reached over IPv6: the host's only name server is on ::1
lab_stop_bridge
lab_stop_backend
LAB_SOCK=$LAB_DIR/up6.sock
echo "nameserver ::1" >"$LAB_NET_ETC/resolv.conf"
lab_spawn "$LAB_NET" "$LAB_DIR/dnsmasq6.log" dnsmasq --no-daemon --no-resolv \
	--no-hosts --listen-address=::1 --bind-interfaces --port=53 \
	--host-record=up6.example.test,10.99.0.16,fd00::16
wait_for_port "$LAB_NET" 53 10 udp
lab_start_backend qcw -ssh-port -1
lab_start_bridge
lab_dhcp >/dev/null
t_check "upstream on the host's ::1 only: AAAA" \
	test "$(q up6.example.test AAAA)" = fd00::16
t_check "... A over TCP" test "$(q +tcp up6.example.test)" = 10.99.0.16
# the guest's SLAAC address must have passed DAD: ping -6 of the gateway
# alone let the query start while it could still be tentative, and dig
# then timed out (4 of 11 runs on a loaded machine, with this session's
# binary and the one before it alike, on both stacks; 11 of 11 pass with
# the wait)
if wait_until 10 lab_guest_v6_ready fd71:6377:6e65::1; then
	t_check "... AAAA asked over IPv6 of the gateway" test "$(lab_guest dig \
		+short +time=3 +tries=1 @fd71:6377:6e65::1 up6.example.test AAAA)" = fd00::16
else
	t_fail "the guest has no IPv6 (ping -6 of the gateway)"
fi

t_summary
