#!/usr/bin/env bash
# ipv6_nat.sh - issue 16 end to end, the stack side: the guest's IPv6
# reaches servers on the host's ::1 through the host alias
# [fd71:6377:6e65::fe] (ping -6, curl -6, 50 MB both ways with sha256, a
# refused port refused at once, UDP echo), the gateway answers ping -6,
# link-local and loopback destinations are not forwarded, TCP segments in
# fragments arrive intact, DNS goes over IPv6 both ways (to the gateway,
# and from qcw-net to an upstream on ::1), IPv6 forwards from the host
# ([::1]:PORT through the API, [::]:PORT through the CLI, and -config)
# reach the guest's IPv6 address, an IPv4 forward the same dual-stack
# guest, and IPv4 is unchanged. The guest takes its address by SLAAC when
# the gateway sends router advertisements, else a static address of the
# prefix.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat sha256sum
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

PFX=fd71:6377:6e65
GW6=$PFX::1
HOST6=$PFX::fe
GUEST6_STATIC=$PFX::2
BIG_MB=${QCW_E2E_BIG_MB6:-50}
HOST4=192.168.127.254
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS="python3 $HERE/peers.py"

lab_init ipv6nat
# the upstream resolver at the host's ::1 only: qcw-net asks it over IPv6
if command -v dnsmasq >/dev/null; then
	echo "nameserver ::1" >"$LAB_NET_ETC/resolv.conf"
	lab_spawn "$LAB_NET" "$LAB_DIR/dnsmasq.log" dnsmasq --no-daemon \
		--no-resolv --no-hosts --listen-address=::1 --bind-interfaces \
		--port=53 --host-record=v6.example.test,10.99.0.6,fd00::6
	wait_for_port "$LAB_NET" 53 10 udp
fi
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

# ---- the guest's IPv6 address: SLAAC, or static when no RA comes ----
guest6()
{
	ip -n "$LAB_GUEST" -6 -o addr show dev "$LAB_TAP" scope global |
		awk '{print $4}' | cut -d/ -f1 | grep "^$PFX:" | head -n1
}
if wait_until 5 sh -c "ip -n $LAB_GUEST -6 -o addr show dev $LAB_TAP scope global | grep -q $PFX:"; then
	GUEST6=$(guest6)
	t_ok "the guest took $GUEST6 by SLAAC"
else
	t_skip "SLAAC" "no router advertisement: static $GUEST6_STATIC"
	ip -n "$LAB_GUEST" -6 addr add "$GUEST6_STATIC/64" dev "$LAB_TAP" nodad
	ip -n "$LAB_GUEST" -6 route replace default via "$GW6" dev "$LAB_TAP"
	GUEST6=$GUEST6_STATIC
	# without the gateway's neighbour answers the on-link alias needs one
	ip -n "$LAB_GUEST" -6 neigh replace "$HOST6" lladdr "$LAB_GW_MAC" \
		dev "$LAB_TAP" nud permanent
fi
wait_until 5 lab_guest ping -6 -c1 -W1 "$GW6" >/dev/null

# ---- ICMPv6 echo: the gateway's own, the host's ::1 through the alias ----
t_check "ping -6 the gateway $GW6" lab_guest ping -6 -c 2 -i 0.2 -W 2 "$GW6"
t_check "ping -6 the host alias $HOST6 (the host's ::1)" \
	lab_guest ping -6 -c 2 -i 0.2 -W 2 "$HOST6"
# an address of the host beyond the alias (on the backend namespace's own
# lo, nothing leaves it): lwIP's NAT and the slirp backend's ping sockets
lab_net ip -6 addr add fd00:7::7/128 dev lo
t_check "ping -6 an address of the host beyond the alias (fd00:7::7)" \
	lab_guest ping -6 -c 2 -i 0.2 -W 2 fd00:7::7
# fragments both ways. libslirp 4.7 neither reassembles nor fragments
# IPv6 and takes no IPv6 datagram longer than its MTU: the slirp backend
# reassembles, fragments what it and libslirp send, and carries what is
# too long for libslirp itself (long pings of the alias, long UDP, TCP
# segments cut to fit)
# (on libslirp the backend answers the host alias's long pings itself)
t_check "ping -6 with a 4000-byte payload (fragments both ways)" \
	lab_guest ping -6 -c 1 -W 2 -s 4000 "$HOST6"
t_check "ping -6 fd00:7::7 with a 4000-byte payload (fragments both ways)" \
	lab_guest ping -6 -c 1 -W 2 -s 4000 fd00:7::7

# ---- TCP: a page, 50 MB both ways ----
mkdir -p "$LAB_DIR/www"
echo "hello over IPv6" >"$LAB_DIR/www/index.html"
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/big.bin"
want=$(sha256sum <"$LAB_DIR/www/big.bin" | cut -d' ' -f1)
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind ::1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080
t_check "curl -6 http://[$HOST6]:8080/ (the host's [::1]:8080)" \
	sh -c "ip netns exec $LAB_GUEST curl -6 -sf --max-time 10 'http://[$HOST6]:8080/' | grep -q 'hello over IPv6'"
got=$(lab_guest curl -6 -sf --max-time 120 "http://[$HOST6]:8080/big.bin" | sha256sum | cut -d' ' -f1)
t_check "download of $BIG_MB MB over IPv6 keeps its sha256" test "$got" = "$want"
t_check "TCP over IPv6 with destination options on every segment" \
	sh -c "ip netns exec $LAB_GUEST $PEERS tcp-get $HOST6 8080 dst | grep -q 'hello over IPv6'"
lab_spawn "$LAB_NET" "$LAB_DIR/up.log" socat -u \
	"TCP6-LISTEN:8081,bind=[::1],reuseaddr" OPEN:"$LAB_DIR/up.bin",creat,trunc
wait_for_port "$LAB_NET" 8081
t_check "upload of $BIG_MB MB over IPv6" lab_guest timeout 120 socat -u \
	OPEN:"$LAB_DIR/www/big.bin" "TCP6:[$HOST6]:8081"
wait_until 10 sh -c "[ \$(stat -c %s '$LAB_DIR/up.bin' 2>/dev/null || echo 0) -ge $((BIG_MB * 1024 * 1024)) ]"
got=$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)
t_check "upload over IPv6 keeps its sha256" test "$got" = "$want"
rm -f "$LAB_DIR/up.bin" "$LAB_DIR/www/big.bin"

# ---- refused at once; no route on the host: at once too ----
refused_fast()
{
	local url=$1 start rc ms
	start=$(date +%s%N)
	lab_guest curl -6 -s --max-time 5 "$url" >/dev/null 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "curl exit $rc in $ms ms"
	[ $rc = 7 ] && [ $ms -lt 1000 ]
}
t_check "closed host port [::1]:8099: refused (curl exit 7) in under a second" \
	refused_fast "http://[$HOST6]:8099/"
t_check "an address the host has no route to: refused at once, no hang" \
	refused_fast "http://[2001:db8::1]:80/"
# a link-local address is on-link: the guest only sends to it once told
# the gateway's MAC is its neighbour's; the gateway must not forward it
ip -n "$LAB_GUEST" -6 neigh replace fe80::1234 lladdr "$LAB_GW_MAC" \
	dev "$LAB_TAP" nud permanent
t_check "a link-local destination is not forwarded (refused at once)" \
	refused_fast "http://[fe80::1234%$LAB_TAP]:80/"

# ---- UDP echo ----
lab_spawn "$LAB_NET" "$LAB_DIR/udp.log" $PEERS udp-echo 8084 ::1
wait_for_port "$LAB_NET" 8084 10 udp
t_check "UDP echo over IPv6 (100 bytes)" \
	lab_guest $PEERS udp-ping "$HOST6" 8084 100
# (on libslirp, as all its UDP, through the backend's own socket: slirp_udp.c)
t_check "UDP echo of 20000 bytes over IPv6 (fragments both ways)" \
	lab_guest $PEERS udp-ping "$HOST6" 8084 20000
t_check "UDP over IPv6 to a closed host port is refused at once (ICMPv6 port unreachable)" \
	lab_guest $PEERS udp-refused "$HOST6" 8099
# extension headers a guest may send (libslirp takes none: the backend
# takes them off, net/slirp/slirp_ext6.c; lwIP passes over them)
for ext in hbh alert dst; do
	t_check "UDP echo over IPv6 with an extension header ($ext)" \
		lab_guest $PEERS udp-ping "$HOST6" 8084 100 $ext
done
t_check "... one with an option that must be understood is dropped" \
	sh -c "! ip netns exec $LAB_GUEST $PEERS udp-ping $HOST6 8084 100 must"
# a hop-by-hop header comes before the Fragment header (RFC 8200 4.5):
# the fragments of a big datagram carry it in each
for ext in hbh alert; do
	t_check "UDP echo of 20000 bytes over IPv6, fragments after a $ext header" \
		lab_guest $PEERS udp-ping "$HOST6" 8084 20000 $ext
done
# a host service answering a small datagram with 4000 bytes: fragments
# to the guest (on slirp in fragments of the backend's own)
lab_spawn "$LAB_NET" "$LAB_DIR/big.log" python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 8085))
while True:
    d, a = s.recvfrom(100)
    s.sendto(bytes(range(250)) * 16, a)
'
wait_for_port "$LAB_NET" 8085 10 udp
big_reply()
{
	lab_guest python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(b"q", (sys.argv[1], 8085))
    try:
        d = s.recv(8192)
    except socket.timeout:
        continue
    sys.exit(0 if d == bytes(range(250)) * 16 else "wrong bytes")
sys.exit("no answer")' "$HOST6"
}
t_check "a 4000-byte UDP answer from the host in fragments" big_reply

# TCP segments longer than the MTU, in IPv6 fragments, from a raw client
# (a guest's kernel keeps TCP to the MSS): lwIP reassembles them, the
# slirp backend reassembles and cuts them to fit libslirp (slirp_seg6.c)
lab_spawn "$LAB_NET" "$LAB_DIR/tcpsum.log" $PEERS sum-server 8086 ::
wait_for_port "$LAB_NET" 8086 10
t_check "TCP segments of 6000 and 9000 bytes in IPv6 fragments, data intact" \
	lab_guest python3 "$HERE/tcpfrag.py" "$LAB_TAP" 02:00:00:00:c0:de \
	"$LAB_GW_MAC" "$PFX::c0de" "$HOST6" 8086 6000 9000
t_check "a TCP segment of 3000 bytes in IPv6 fragments to fd00:7::7" \
	lab_guest python3 "$HERE/tcpfrag.py" "$LAB_TAP" 02:00:00:00:c0:df \
	"$LAB_GW_MAC" "$PFX::c0df" fd00:7::7 8086 3000

# UDP to an address the host cannot reach: an ICMPv6 unreachable at once
# (administratively prohibited: EACCES on the guest's connected socket)
udp_unreach()
{
	lab_guest python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("2001:db8::1", 9))
s.send(b"x")
try:
    s.recv(100)
except socket.timeout:
    sys.exit("no answer in 2 s")
except OSError as e:
    print("error:", e)
    sys.exit(0)
sys.exit("an answer?")'
}
# on libslirp, which drops such a datagram silently, the backend's own
# route check answers (net/slirp/slirp_route6.c)
t_check "UDP to an address the host has no route to: ICMPv6 unreachable at once" \
	udp_unreach

# ---- DNS over IPv6 transport: the gateway's sockets take IPv6 ----
if command -v dig >/dev/null; then
	t_check "DNS over IPv6 to [$GW6]:53 (UDP)" sh -c \
		"ip netns exec $LAB_GUEST dig +short +time=2 +tries=1 @$GW6 host.containers.internal A | grep -qx $HOST4"
	t_check "DNS over IPv6 to [$GW6]:53 (TCP)" sh -c \
		"ip netns exec $LAB_GUEST dig +tcp +short +time=2 +tries=1 @$GW6 host.containers.internal A | grep -qx $HOST4"
	command -v dnsmasq >/dev/null &&
		t_check "an upstream AAAA over IPv6 both ways (guest -> [$GW6], qcw-net -> upstream [::1])" sh -c \
			"ip netns exec $LAB_GUEST dig +short +time=3 +tries=1 @$GW6 v6.example.test AAAA | grep -qx fd00::6"
fi

# ---- an IPv6 forward: the host's [::1]:PORT into the guest's IPv6 ----
lab_spawn "$LAB_GUEST" "$LAB_DIR/gsrv.log" socat \
	"TCP6-LISTEN:9090,bind=[$GUEST6],reuseaddr,fork" SYSTEM:"echo hello-from-guest6"
wait_for_port "$LAB_GUEST" 9090
expose()
{
	lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" \
		-X POST -d "$1" http://qcw/services/forwarder/expose
}
if expose "{\"local\":\"[::1]:9091\",\"remote\":\"[$GUEST6]:9090\"}"; then
	wait_for_port "$LAB_NET" 9091
	t_check "expose [::1]:9091 -> [$GUEST6]:9090: the host reaches the guest" \
		sh -c "ip netns exec $LAB_NET socat -t 2 - 'TCP6:[::1]:9091' </dev/null | grep -q hello-from-guest6"
else
	t_fail "expose [::1]:9091 -> [$GUEST6]:9090 through the API"
fi
# a UDP forward over IPv6: the guest's echo on its IPv6 address
lab_spawn "$LAB_GUEST" "$LAB_DIR/gudp6.log" python3 "$HERE/peers.py" \
	udp-echo 9093 "$GUEST6"
wait_for_port "$LAB_GUEST" 9093 10 udp
if expose "{\"local\":\"[::1]:9093\",\"remote\":\"[$GUEST6]:9093\",\"protocol\":\"udp\"}"; then
	t_check "expose udp [::1]:9093 -> [$GUEST6]:9093: a datagram and its echo" \
		lab_net python3 "$HERE/peers.py" udp-ping ::1 9093 1000
	t_check "... from a second client as well" \
		lab_net python3 "$HERE/peers.py" udp-ping ::1 9093 1
else
	t_fail "expose udp [::1]:9093 -> [$GUEST6]:9093 through the API"
fi
# the CLI, a listener on every IPv6 address of the host
cli() { lab_net "$QCW_NET" "$@" --socket "unix://$LAB_DIR/api.sock"; }
if cli expose --local "[::]:9092" --remote "[$GUEST6]:9090" >/dev/null; then
	wait_for_port "$LAB_NET" 9092
	t_check "qcw-net expose [::]:9092 -> [$GUEST6]:9090: reached at [::1]:9092" \
		sh -c "ip netns exec $LAB_NET socat -t 2 - 'TCP6:[::1]:9092' </dev/null | grep -q hello-from-guest6"
	t_check "qcw-net list shows the IPv6 forward" \
		sh -c "ip netns exec $LAB_NET $QCW_NET list --socket unix://$LAB_DIR/api.sock | grep -F '[::]:9092' | grep -qF '[$GUEST6]:9090'"
else
	t_fail "qcw-net expose [::]:9092 -> [$GUEST6]:9090"
fi
# an IPv4 forward to the same dual-stack guest
GUEST4=$(lab_guest ip -4 -o addr show dev "$LAB_TAP" | awk '{print $4}' | cut -d/ -f1)
lab_spawn "$LAB_GUEST" "$LAB_DIR/gsrv4.log" socat \
	"TCP4-LISTEN:9096,bind=$GUEST4,reuseaddr,fork" SYSTEM:"echo hello-from-guest4"
wait_for_port "$LAB_GUEST" 9096
if cli expose --local 127.0.0.1:9096 --remote "$GUEST4:9096" >/dev/null; then
	wait_for_port "$LAB_NET" 9096
	t_check "an IPv4 forward to the dual-stack guest ($GUEST4:9096)" \
		sh -c "ip netns exec $LAB_NET socat -t 2 - TCP4:127.0.0.1:9096 </dev/null | grep -q hello-from-guest4"
else
	t_fail "qcw-net expose 127.0.0.1:9096 -> $GUEST4:9096"
fi

# ---- IPv4 unchanged ----
lab_spawn "$LAB_NET" "$LAB_DIR/http4.log" python3 -m http.server 8088 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8088
t_check "IPv4: curl http://$HOST4:8088/ still works" \
	sh -c "ip netns exec $LAB_GUEST curl -4 -sf --max-time 10 http://$HOST4:8088/ | grep -q 'hello over IPv6'"
t_check "IPv4: ping $HOST4" lab_guest ping -c 1 -W 2 "$HOST4"

# ---- a forward to a guest the gateway has not heard from over IPv6 ----
# (a fresh qcw-net: lwIP, and the libslirp backend for its stand-in,
# resolve the guest by neighbour discovery)
# the restart takes an IPv6 forward from -config too
lab_stop_backend
lab_stop_bridge
cat >"$LAB_DIR/v6.yaml" <<YAML
stack:
  forwards:
    "[::1]:9095": "[$GUEST6]:9090"
YAML
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock" -config "$LAB_DIR/v6.yaml"
lab_start_bridge
if wait_for_port "$LAB_NET" 9095; then
	t_check "-config forward [::1]:9095 -> [$GUEST6]:9090" \
		sh -c "ip netns exec $LAB_NET socat -t 3 - 'TCP6:[::1]:9095' </dev/null | grep -q hello-from-guest6"
else
	t_fail "-config forward [::1]:9095: no listener"
fi
if expose "{\"local\":\"[::1]:9093\",\"remote\":\"[$GUEST6]:9090\"}"; then
	wait_for_port "$LAB_NET" 9093
	t_check "a forward to a guest not heard from over IPv6 yet (neighbour discovery)" \
		sh -c "ip netns exec $LAB_NET socat -t 3 - 'TCP6:[::1]:9093' </dev/null | grep -q hello-from-guest6"
else
	t_fail "expose [::1]:9093 after a restart"
fi

# ---- -ipv6=false: no IPv6 at all, IPv4 as before ----
lab_stop_backend
lab_stop_bridge
lab_start_backend qcw -ipv6=false
lab_start_bridge
t_check "-ipv6=false: ping -6 of the gateway gets no answer" \
	sh -c "! ip netns exec $LAB_GUEST ping -6 -c 1 -W 1 $GW6"
t_check "-ipv6=false: curl -6 through the host alias fails" \
	sh -c "! ip netns exec $LAB_GUEST curl -6 -s --max-time 2 http://[$HOST6]:8080/"
t_check "-ipv6=false: IPv4 still works" \
	sh -c "ip netns exec $LAB_GUEST curl -4 -sf --max-time 10 http://$HOST4:8088/ | grep -q 'hello over IPv6'"

t_summary
