#!/usr/bin/env bash
# vm_shares.sh - VMs on one qcw-net (-keep-serving) share its NAT's flow
# bounds, and one VM cannot take them all from the others.
# lwIP, -max-flows 64 (TCP at most 54: what UDP's and ICMP's minimums, 8
# and 2, leave): the real guest alone opens 60 connections to a host
# service and holds them (54 open, the rest refused: the bound); a second
# VM comes and still connects, up to its share (27 of the 54), each time
# in place of one of the first VM's (VMShareEvicted); the first VM, now
# over its share, is refused a new one (VMShareRefused) and keeps the 27
# of its share. Before, the second VM got a RST for as long as the first
# held them all.
# libslirp, -max-flows 64 (its fd budget: libslirp's sockets and the UDP
# flows): the first VM alone opens 40; a second VM opens 16; the first,
# over its share (32), is refused another although the budget has room
# (VMShareRefused), while the second, under its share, still connects.
# Before, the first could take the whole budget. libslirp's sockets close
# only through libslirp, so no VM takes the place of another's connection.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd python3 curl ping
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HOST=192.168.127.254
stats() { lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats; }
stat_nat() {
	stats | python3 -c "import json,sys; print(json.load(sys.stdin)['NAT']['$1'])"
}
# holder NETNS N OUT [dns]: open N connections one by one to the host
# service (an echo) or, with dns, to the gateway's DNS; write how many
# opened to OUT, hold them until killed, and write how many still answer
# every second to OUT.alive. Each connection is checked with a byte echoed
# back (a DNS query answered: DNS also closes idle ones), so a RST
# (refused) counts as not opened.
HOLDER='
import socket, struct, sys, time
n, out, dns = int(sys.argv[1]), sys.argv[2], len(sys.argv) > 3
q = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04host\x0acontainers\x08internal\x00\x00\x01\x00\x01"
def read(s, k):
    b = b""
    while len(b) < k:
        d = s.recv(k - len(b))
        if not d:
            raise OSError("closed")
        b += d
    return b
def ask(s):
    if dns:
        s.sendall(struct.pack("!H", len(q)) + q)
        read(s, struct.unpack("!H", read(s, 2))[0])
        return
    s.sendall(b"a")
    if read(s, 1) != b"a":
        raise OSError("no echo")
held, ok = [], 0
for i in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("192.168.127.1", 53) if dns else ("'$HOST'", 8085))
        ask(s)
        ok += 1
        held.append(s)
    except OSError:
        pass
with open(out, "w") as f:
    f.write("%d\n" % ok)
while True:
    time.sleep(1)
    alive = 0
    for s in held:
        try:
            ask(s)
            alive += 1
        except OSError:
            pass
    with open(out + ".alive", "w") as f:
        f.write("%d\n" % alive)
'
holder() { lab_spawn "$1" "$3.log" python3 -c "$HOLDER" "$2" "$3" $4; }
dns_holder() { holder "$1" "$2" "$3" dns; }
count_is() { wait_until "$1" sh -c "[ \"\$(cat $2 2>/dev/null)\" = $3 ]"; }
stat_fwd() {
	stats | python3 -c "import json,sys; print(json.load(sys.stdin)['Forwarder']['$1'])"
}

# dns_shares: connections to the gateway's DNS (-gateway-dns-conns 8) are
# shared the same way: the first VM holds 5, the second 1; the first, at
# its share (4), is refused another while the cap has room, the second
# still opens 2 (the cap); on lwIP a third of the second's, under its
# share with the cap full, takes the place of one of the first VM's
# (GatewayVMEvicted). Before, the first VM could hold all 8.
dns_shares()
{
	dns_holder "$LAB_GUEST" 5 "$LAB_DIR/da"
	t_check "DNS: the first VM opens 5 connections to the gateway's DNS" \
		count_is 30 "$LAB_DIR/da" 5
	dns_holder "$G2" 1 "$LAB_DIR/db"
	t_check "DNS: the second VM opens 1" count_is 30 "$LAB_DIR/db" 1
	dns_holder "$LAB_GUEST" 1 "$LAB_DIR/da2"
	t_check "DNS: the first VM, at its share (4 of 8), is refused a 6th" \
		count_is 30 "$LAB_DIR/da2" 0
	dns_holder "$G2" 2 "$LAB_DIR/db2"
	t_check "DNS: the second VM opens 2 more (the cap of 8)" \
		count_is 30 "$LAB_DIR/db2" 2
	[ $SLIRP = 1 ] && return
	dns_holder "$G2" 1 "$LAB_DIR/db3"
	t_check "DNS: at the cap, the second VM (3 of its 4) still opens one" \
		count_is 30 "$LAB_DIR/db3" 1
	t_check "... in place of one of the first VM's (GatewayVMEvicted $(stat_fwd GatewayVMEvicted))" \
		test "$(stat_fwd GatewayVMEvicted)" = 1
	t_check "... which keeps the other 4" count_is 10 "$LAB_DIR/da.alive" 4
}

lab_init vm_shares
lab_start_backend qcw -keep-serving -max-flows 64 -gateway-dns-conns 8 \
	-listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
lab_static_ip "$LAB_GUEST_IP"
lab_spawn "$LAB_NET" "$LAB_DIR/echo.log" python3 -c "
import socket, threading
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', 8085)); ls.listen(256)
def serve(c):
    while True:
        d = c.recv(64)
        if not d:
            return
        c.sendall(d)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()"
wait_for_port "$LAB_NET" 8085 10
SLIRP=0
[ "${QCW_STACK:-}" = slirp ] && SLIRP=1
if [ $SLIRP = 0 ]; then
	tcp=$(stats | python3 -c "import json,sys; print(json.load(sys.stdin)['NAT']['Limits']['TCP'])")
	t_check "-max-flows 64 gives TCP up to 54 flows ($tcp)" test "$tcp" = 54
fi

# ---- the first VM alone: all of the bound (libslirp: 40 of its 64) ----
if [ $SLIRP = 1 ]; then
	holder "$LAB_GUEST" 40 "$LAB_DIR/a"
	first=40 tried=40
else
	holder "$LAB_GUEST" 60 "$LAB_DIR/a"
	first=54 tried=60
fi
t_check "the first VM alone opens $first of $tried connections" \
	wait_until 60 sh -c "[ \"\$(cat $LAB_DIR/a 2>/dev/null)\" = $first ]"

# ---- a second VM on the same switch ----
G2="qcwg2-shares-$$"
lab_add_bridged_guest "$G2" 5a:94:ef:00:00:67
ip -n "$G2" addr add 192.168.127.3/24 dev tap0
ip -n "$G2" route add default via 192.168.127.1
t_check "the second VM pings the gateway" \
	ip netns exec "$G2" ping -c 2 -i 0.2 -W 2 192.168.127.1
if [ $SLIRP = 1 ]; then
	holder "$G2" 16 "$LAB_DIR/b"
	t_check "the second VM opens 16 connections" \
		wait_until 60 sh -c "[ \"\$(cat $LAB_DIR/b 2>/dev/null)\" = 16 ]"
	holder "$LAB_GUEST" 1 "$LAB_DIR/a2"
	t_check "the first VM, over its share (32 of 64), is refused another" \
		wait_until 20 sh -c "[ \"\$(cat $LAB_DIR/a2 2>/dev/null)\" = 0 ]"
	t_check "... counted (VMShareRefused > 0)" \
		test "$(stat_nat VMShareRefused)" -gt 0
	holder "$G2" 4 "$LAB_DIR/b2"
	t_check "the second VM, under its share, still connects (4 more)" \
		wait_until 30 sh -c "[ \"\$(cat $LAB_DIR/b2 2>/dev/null)\" = 4 ]"
	t_check "the first VM's 40 stay open" \
		wait_until 10 sh -c "[ \"\$(cat $LAB_DIR/a.alive 2>/dev/null)\" = 40 ]"
	dns_shares
	t_check "qcw-net is alive" kill -0 "$LAB_BACKEND_PID"
	t_summary
	exit
fi
holder "$G2" 30 "$LAB_DIR/b"
t_check "the second VM opens 27 of 30 connections (its share of 54)" \
	wait_until 60 sh -c "[ \"\$(cat $LAB_DIR/b 2>/dev/null)\" = 27 ]"
ev=$(stat_nat VMShareEvicted)
t_check "... each in place of one of the first VM's (VMShareEvicted $ev)" \
	test "$ev" = 27
t_check "the first VM keeps the 27 of its share open" \
	wait_until 10 sh -c "[ \"\$(cat $LAB_DIR/a.alive 2>/dev/null)\" = 27 ]"
t_check "the second VM's 27 stay open" \
	wait_until 10 sh -c "[ \"\$(cat $LAB_DIR/b.alive 2>/dev/null)\" = 27 ]"
holder "$LAB_GUEST" 1 "$LAB_DIR/a2"
t_check "the first VM, at its share, is refused another" \
	wait_until 20 sh -c "[ \"\$(cat $LAB_DIR/a2 2>/dev/null)\" = 0 ]"
t_check "... counted (VMShareRefused > 0)" test "$(stat_nat VMShareRefused)" -gt 0
dns_shares
t_check "qcw-net is alive" kill -0 "$LAB_BACKEND_PID"
t_summary
