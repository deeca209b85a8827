#!/usr/bin/env bash
# ipv6_gw.sh - issue 16, the gateway's IPv6 side, end to end: the guest's
# own kernel configures tap0 by SLAAC from qcw-net's router advertisement
# (address in the prefix, default route via the gateway's link-local),
# rdisc6 (Debian's ndisc6) shows the prefix, MTU, RDNSS and DNSSL, ndisc6
# resolves the gateway's addresses and the host alias and gets no answer
# for any other address, ISC dhclient -6 -S (stateless) gets the DNS server
# and search list by DHCPv6, a SOLICIT gets NoAddrsAvail with SOL_MAX_RT,
# AAAA answers for the local names, ping -6 to the gateway, and hostile or
# flooding NDP/DHCPv6 frames are counted drops that leave qcw-net serving;
# three unsolicited RAs in the first seconds; the MTU option follows -mtu
# (65520); -ipv6=false answers none of it.
# With the stacks' IPv6: ping -6 the gateway, AAAA through DNS over IPv6
# (UDP and TCP; on libslirp the TCP goes through its IPv4 guest forward as
# a stand-in address, net/slirp/slirp_xl6.c).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox dig rdisc6 ndisc6 dhclient python3 curl
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
[ "${LAB_IPV6:-1}" = 0 ] && lab_skip "LAB_IPV6=0"

PREFIX=fd71:6377:6e65:
GW6=${PREFIX}:1
HOST6=${PREFIX}:fe
GW_LL=fe80::5894:efff:fee4:cdd
PEER="python3 $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ndp_peer.py"

ra_get() { # rdisc6's output; it needs the link-local address (after DAD)
	local out i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		out=$(lab_guest rdisc6 -1 -w 2000 "$LAB_TAP" 2>&1) && break
		sleep 0.5
	done
	printf '%s' "$out"
}
stats() { # stats KEY: a counter of /stats' Stack section
	curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats |
		python3 -c "import json,sys; print(json.load(sys.stdin)['Stack'].get('$1', 'missing'))"
}

lab_init ipv6_gw
# a search domain for DNSSL and the DHCPv6 domain list (the backend's
# resolv.conf is the one qcw-net reads the host's search list from)
echo "search lab.example" >>"$LAB_NET_ETC/resolv.conf"
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock"
# unsolicited RAs from the guest's first frame: one at once, two 4 s apart
lab_guest timeout 30 $PEER count-ra 11 >"$LAB_DIR/count-ra.out" 2>"$LAB_DIR/count-ra.err" &
count_ra=$!
wait_until 10 grep -q listening "$LAB_DIR/count-ra.err"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

slaac() {
	lab_guest ip -6 addr show dev "$LAB_TAP" scope global | grep -v tentative | grep -q "inet6 $PREFIX"
}
t_check "SLAAC: tap0 gets an address in $PREFIX:/64 from the RA" wait_until 15 slaac
addr6=$(lab_guest ip -6 addr show dev "$LAB_TAP" scope global | awk '/inet6/ {print $2; exit}')
lab_log "guest address: $addr6"
t_check "... a /64 derived from the guest's MAC (EUI-64) ($addr6)" \
	test "$addr6" = "${PREFIX}0:5894:efff:fee4:cee/64"
t_check "default route via the gateway's link-local" \
	sh -c "ip -n $LAB_GUEST -6 route show default | grep -q 'via $GW_LL dev $LAB_TAP'"

ra=$(ra_get)
printf '%s\n' "$ra" | sed 's/^/#   /'
t_check "rdisc6: prefix $PREFIX:/64" sh -c "printf '%s' '$ra' | grep -q 'Prefix *: $PREFIX:/64'"
t_check "rdisc6: MTU 1500" sh -c "printf '%s' '$ra' | grep -q 'MTU *: *1500'"
t_check "rdisc6: RDNSS $GW6" sh -c "printf '%s' '$ra' | grep -q 'Recursive DNS server *: $GW6'"
t_check "rdisc6: DNSSL lab.example" sh -c "printf '%s' '$ra' | grep -q 'DNS search list *: lab.example'"
t_check "rdisc6: stateless (M no, O yes)" sh -c \
	"printf '%s' '$ra' | grep -q 'Stateful address conf.*No' && printf '%s' '$ra' | grep -q 'Stateful other conf.*Yes'"
t_check "rdisc6: from the gateway's link-local" sh -c "printf '%s' '$ra' | grep -q 'from $GW_LL'"

for a in "$GW6" "$GW_LL" "$HOST6"; do
	t_check "ndisc6 $a -> the gateway's MAC" sh -c \
		"ip netns exec $LAB_GUEST ndisc6 -1 -r 2 $a $LAB_TAP | grep -qi '5A:94:EF:E4:0C:DD'"
done
t_check "no answer for an address that is not the gateway's" \
	sh -c "! ip netns exec $LAB_GUEST ndisc6 -1 -r 2 -w 500 ${PREFIX}:1234 $LAB_TAP"
t_check "raw NS for gateway6: NA with router, solicited, override set" \
	sh -c "lab_out=\$(ip netns exec $LAB_GUEST $PEER ns $GW6); echo \$lab_out; [ \"\$lab_out\" = 'na 5a:94:ef:e4:0c:dd e0' ]"

# stateless DHCPv6 with ISC dhclient: DNS server and search list
cat >"$LAB_DIR/dh6.sh" <<EOS
#!/bin/sh
env | grep -E '^(reason|new_dhcp6_)' >>"$LAB_DIR/dh6.env"
EOS
chmod +x "$LAB_DIR/dh6.sh"
lab_guest timeout 20 dhclient -6 -S -1 -v -d -lf "$LAB_DIR/dh6.leases" -pf "$LAB_DIR/dh6.pid" \
	-sf "$LAB_DIR/dh6.sh" "$LAB_TAP" >"$LAB_DIR/dhclient6.out" 2>&1 &
dh=$!
got_info() { grep -q "new_dhcp6_name_servers=$GW6" "$LAB_DIR/dh6.env" 2>/dev/null; }
t_check "dhclient -6 -S: DNS server $GW6 by INFORMATION-REQUEST" wait_until 15 got_info
t_check "dhclient -6 -S: search list lab.example" grep -q "new_dhcp6_domain_search=lab.example" "$LAB_DIR/dh6.env"
kill "$dh" 2>/dev/null
wait "$dh" 2>/dev/null
sed 's/^/#   /' "$LAB_DIR/dh6.env" 2>/dev/null
sol=$(lab_guest $PEER solicit)
t_check "SOLICIT: ADVERTISE with NoAddrsAvail and SOL_MAX_RT 3600 ($sol)" \
	test "$sol" = "status 2 sol_max_rt 3600"

wait "$count_ra"
ras=$(cat "$LAB_DIR/count-ra.out")
lab_log "RAs to all nodes $(tail -n1 "$LAB_DIR/count-ra.err") s after start"
t_check "3 unsolicited RAs to all nodes in the first 11 s ($ras)" test "$ras" = "ras 3"

# DNS: AAAA for the local names (over IPv4 transport here)
q() { lab_guest dig +short +time=3 +tries=1 "$@" 2>&1; }
t_check "AAAA host.containers.internal -> $HOST6" test "$(q @$LAB_GW host.containers.internal AAAA)" = "$HOST6"
t_check "AAAA gateway.docker.internal -> $GW6" test "$(q @$LAB_GW gateway.docker.internal AAAA)" = "$GW6"
t_check "A host.containers.internal unchanged" test "$(q @$LAB_GW host.containers.internal)" = 192.168.127.254
t_check "an API zone with an IPv6 record" curl -sf --unix-socket "$LAB_DIR/api.sock" \
	-d '{"Name":"v6.internal.","Records":[{"Name":"box","IP":"fd00::42"}]}' \
	http://qcw/services/dns/add
t_check "... answers AAAA fd00::42" test "$(q @$LAB_GW box.v6.internal AAAA)" = fd00::42

# the stack's IPv6 (both backends): echo replies and DNS over IPv6 transport
t_check "ping -6 gateway6" lab_guest ping -6 -c2 -W2 "$GW6"
t_check "ping -6 the gateway's link-local" lab_guest ping -6 -c2 -W2 "$GW_LL%$LAB_TAP"
t_check "dig AAAA host.containers.internal @$GW6 (UDP over IPv6)" \
	test "$(q @$GW6 host.containers.internal AAAA)" = "$HOST6"
t_check "dig +tcp AAAA @$GW6 (TCP over IPv6)" \
	test "$(q +tcp @$GW6 host.containers.internal AAAA)" = "$HOST6"

# hostile and flooding frames: counted drops, qcw-net keeps serving
before=$(stats NdpDrops)
lab_guest $PEER hostile 200 >/dev/null
ndrops=$(stats NdpDrops)
d6drops=$(stats Dhcp6Drops)
t_check "invalid solicitations counted as drops ($before -> $ndrops)" test "$ndrops" -ge 800
t_check "malformed DHCPv6 counted as drops ($d6drops)" test "$d6drops" -ge 400
lab_guest $PEER flood rs 3000 >/dev/null
lab_guest $PEER flood ns 3000 >/dev/null
lab_guest $PEER flood dhcp6 3000 >/dev/null
nlim=$(stats NdpRateLimited)
dlim=$(stats Dhcp6RateLimited)
ras=$(stats NdpRouterAdverts)
t_check "RS/NS floods are rate-limited ($nlim not answered)" test "$nlim" -ge 2000
t_check "the DHCPv6 flood is rate-limited ($dlim not answered)" test "$dlim" -ge 2000
t_check "... and far fewer RAs were sent than asked for ($ras)" test "$ras" -lt 1000
t_check "qcw-net is alive" kill -0 "$LAB_BACKEND_PID"
sleep 1
t_check "the gateway still answers NS after the floods" \
	sh -c "ip netns exec $LAB_GUEST ndisc6 -1 -r 3 $GW6 $LAB_TAP | grep -qi '5A:94:EF:E4:0C:DD'"
t_check "/metrics has the NDP drop reasons" sh -c \
	"curl -sf --unix-socket '$LAB_DIR/api.sock' http://qcw/metrics | grep -q 'qcw_net_drops_total{reason=\"stack_ndp\"}'"
t_check "IPv4 unchanged: ping the gateway" lab_guest ping -c1 -W2 "$LAB_GW"

# -mtu 65520: the RA's MTU option follows it
lab_stop_bridge
lab_stop_backend
LAB_SOCK=$LAB_DIR/big.sock
lab_start_backend qcw -ssh-port -1 -mtu 65520
lab_start_bridge 65520
ra=$(ra_get)
t_check "-mtu 65520: rdisc6 shows MTU 65520" sh -c "printf '%s' '$ra' | grep -q 'MTU *: *65520'"

# -ipv6=false: no NDP, RA or DHCPv6 from the gateway; IPv4 as before
lab_stop_bridge
lab_stop_backend
LAB_SOCK=$LAB_DIR/off.sock
lab_start_backend qcw -ssh-port -1 -ipv6=false
lab_start_bridge 1500
lab_dhcp >/dev/null
t_check "-ipv6=false: DHCPv4 and ping still work" lab_guest ping -c1 -W2 "$LAB_GW"
t_check "-ipv6=false: no answer to a router solicitation" test "$(lab_guest $PEER rs)" = none
t_check "-ipv6=false: no neighbour advertisement for $GW6" test "$(lab_guest $PEER ns $GW6)" = none
t_check "-ipv6=false: no DHCPv6" test "$(lab_guest $PEER solicit)" = none

t_summary
