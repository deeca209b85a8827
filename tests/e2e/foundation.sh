#!/usr/bin/env bash
# foundation.sh - issue 2 end to end: qcw-net serves a real Linux guest
# (a namespace's tap bridged to qcw-net's QEMU socket) with real busybox
# udhcpc and ping; hostile peers on the QEMU socket close only their own
# connection; stale sockets, live owners, pid file, signals and the
# "exit when the VM leaves" rule.
# Exit: 0 pass, 1 fail, 77 skipped (not root or tools missing).

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 socat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HERE=$(dirname "${BASH_SOURCE[0]}")
lease() { # lease VAR: value from the last DHCP lease
	(. "$LAB_LEASE_FILE" 2>/dev/null && eval "echo \${$1:-}")
}
alive() { kill -0 "$LAB_BACKEND_PID" 2>/dev/null; }

lab_init foundation

# ---- a guest on the default configuration ----
lab_start_backend qcw -keep-serving
lab_start_bridge
t_check "udhcpc gets a lease" lab_dhcp
t_check "guest address is 192.168.127.2" test "$(lease ip)" = 192.168.127.2
t_check "router is 192.168.127.1" test "$(lease router)" = 192.168.127.1
t_check "DNS is 192.168.127.1" test "$(lease dns)" = 192.168.127.1
t_check "MTU option is 1500" test "$(lease mtu)" = 1500
t_check "lease time is 3600 s" test "$(lease lease)" = 3600
t_check "ping the gateway" lab_guest ping -c 3 -i 0.2 -W 2 192.168.127.1
t_check "ARP answered for the host alias .254" \
	lab_guest ping -c 1 -W 2 192.168.127.254 -q -w 2
lab_guest ping -c 1 -W 1 192.168.127.77 >/dev/null 2>&1
t_check "no ARP answer for an unused address (.77)" \
	sh -c "ip -n $LAB_GUEST neigh show 192.168.127.77 | grep -Eq 'INCOMPLETE|FAILED'"

# ---- a second VM (another MAC, its own namespace and bridge) gets .3 ----
G2="qcwg2-foundation-$$"
lab__netns_add "$G2"
ip -n "$G2" tuntap add dev tap0 mode tap
ip -n "$G2" link set tap0 address 5a:94:ef:00:00:02 up
lab_spawn "$G2" "$LAB_DIR/bridge2.log" "$QCW_TAPBRIDGE" -i tap0 -s "$LAB_SOCK"
wait_until 10 sh -c "ip -n $G2 link show tap0 | grep -q LOWER_UP"
t_check "a second MAC gets 192.168.127.3" sh -c "
	ip netns exec $G2 busybox udhcpc -i tap0 -f -q -n -t 5 -T 2 \
		-s /bin/true 2>&1 | grep -q 'lease of 192.168.127.3 obtained'"
ip -n "$G2" addr add 192.168.127.3/24 dev tap0
t_check "the two VMs talk through the switch" \
	ip netns exec "$G2" ping -c 2 -i 0.2 -W 2 192.168.127.2

# ---- hostile input on the QEMU socket ----
hostile() { # hostile NAME PYTHON-BYTES: send, expect qcw-net to close
	python3 "$HERE/qemu_peer.py" "$LAB_SOCK" "$2"
}
t_check "random bytes: connection closed by qcw-net" hostile random random
t_check "zero length: connection closed" hostile zero zero
t_check "length 0xFFFFFFFF: connection closed" hostile huge huge
t_check "length 13 (below an Ethernet header): connection closed" hostile short short
t_check "truncated frame then EOF: handled" hostile truncated truncated
t_check "qcw-net still running" alive
t_check "a clear log line for a bad length" \
	grep -q "invalid frame length 4294967295" "$LAB_DIR/qcw.log"
t_check "the guest still pings the gateway" \
	lab_guest ping -c 2 -i 0.2 -W 2 192.168.127.1
t_check "the guest still gets DHCP answers" lab_dhcp

# ---- MTU 65520 ----
lab_stop_bridge
lab_stop_backend
t_check "SIGTERM: exit status 0 (no handle left open)" \
	test "$LAB_BACKEND_RC" = 0
t_check "SIGTERM removed the socket file" test ! -e "$LAB_SOCK"
t_check "SIGTERM removed the pid file" test ! -e "$LAB_DIR/qcw.pid"
lab_start_backend qcw -mtu 65520
t_check "pid file holds the pid, no newline" wait_until 5 \
	sh -c "[ \"\$(cat '$LAB_DIR/qcw.pid' 2>/dev/null)\" = '$LAB_BACKEND_PID' ]"
lab_start_bridge
t_check "lease with -mtu 65520" lab_dhcp
t_check "MTU option is 65520" test "$(lease mtu)" = 65520
t_check "jumbo ping (60000 bytes) to the gateway" \
	lab_guest ping -c 2 -i 0.2 -W 2 -s 60000 192.168.127.1

# ---- the VM leaves: qcw-net exits 0 ----
lab_stop_bridge
t_check "qcw-net exits when its QEMU peer disconnects" \
	wait_until 5 sh -c "! kill -0 $LAB_BACKEND_PID 2>/dev/null"
wait "$LAB_BACKEND_PID" 2>/dev/null
t_check "... with status 0" test $? = 0

# ---- stale socket from a killed qcw-net; a live owner is refused ----
lab_start_backend qcw
kill -KILL "$LAB_BACKEND_PID"
wait "$LAB_BACKEND_PID" 2>/dev/null
t_check "SIGKILL leaves the socket file behind" test -S "$LAB_SOCK"
lab_start_backend qcw # returns at once: the stale file is there already
t_check "stale socket replaced and logged" \
	wait_until 5 grep -q "removed stale socket" "$LAB_DIR/qcw.log"
t_check "the next start is running" alive
lab_net "$QCW_NET" -listen-qemu "unix://$LAB_SOCK" >"$LAB_DIR/second.out" 2>&1
t_check "a second qcw-net on a live socket exits 1" test $? = 1
t_check "... saying the socket is in use" \
	grep -q "in use by a running process" "$LAB_DIR/second.out"
t_check "the first one is unharmed" alive

# ---- -listen-qemu tcp://host:port (QEMU's -netdev stream addr.type=inet) ----
lab_stop_backend
lab_spawn "$LAB_NET" "$LAB_DIR/tcp.log" "$QCW_NET" -listen-qemu tcp://127.0.0.1:15555 -ssh-port -1
LAB_BACKEND_PID=$LAB_PID
wait_for_port "$LAB_NET" 15555
# the guest's namespace cannot reach qcw-net's loopback: socat relays a
# unix socket to the TCP port, and the bridge uses the unix socket
lab_spawn "$LAB_NET" "$LAB_DIR/relay.log" socat \
	UNIX-LISTEN:"$LAB_DIR/relay.sock" TCP:127.0.0.1:15555
wait_for_file "$LAB_DIR/relay.sock"
lab_spawn "$LAB_GUEST" "$LAB_DIR/bridge-tcp.log" "$QCW_TAPBRIDGE" \
	-i "$LAB_TAP" -s "$LAB_DIR/relay.sock"
wait_until 10 sh -c "ip -n $LAB_GUEST link show $LAB_TAP | grep -q LOWER_UP"
t_check "the tcp:// QEMU transport serves DHCP" \
	sh -c "ip netns exec $LAB_GUEST busybox udhcpc -i $LAB_TAP -f -q -n -t 5 -T 2 -s /bin/true 2>&1 | grep -q 'lease of 192.168.127.2'"

# ---- flags ----
"$QCW_NET" -nosuchflag >"$LAB_DIR/flag.out" 2>&1
t_check "unknown flag exits 2" test $? = 2
t_check "... with Go's message" \
	grep -q "flag provided but not defined: -nosuchflag" "$LAB_DIR/flag.out"
t_check "-version" sh -c "'$QCW_NET' -version | grep -q 'version v'"
"$QCW_NET" -ssh-port 80 >"$LAB_DIR/ssh.out" 2>&1
t_check "-ssh-port out of range exits 1" test $? = 1
t_check "... with gvproxy's message" \
	grep -q "ssh-port value must be between 1024 and 65535" "$LAB_DIR/ssh.out"

t_summary
