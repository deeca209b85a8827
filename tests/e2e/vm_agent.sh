#!/usr/bin/env bash
# vm_agent.sh - qcw-net-vm, the in-VM agent (gvforwarder's drop-in), against
# qcw-net started without -listen-qemu, as Podman starts gvproxy for Hyper-V
# and WSL. The agent runs in the guest namespace and reaches qcw-net's
# -listen unix socket through the file system: it creates its own tap,
# busybox udhcpc (run by the agent) gets .2, ping, DNS, 50 MB down and up
# intact; qcw-net killed and started again: the agent reconnects, the lease
# comes again, traffic again. Then WSL's exact command line (stdio: spawning
# "gvproxy" -- a wrapper that runs qcw-net in its loopback-only namespace --
# with -listen-stdio=accept -ssh-port=-1), -preexisting on a tap made
# beforehand (Hyper-V's unit, and its exact command line over vsock, which
# cannot connect on this machine: accepted, dialling, retrying), and
# -stop-if-exist lo exiting at once without touching the network.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat sha256sum
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
: "${QCW_NET_VM:=$(dirname "$QCW_NET")/vsock/qcw-net-vm}"
[ -x "$QCW_NET_VM" ] || lab_skip "qcw-net-vm not built ($QCW_NET_VM)"
BIG_MB=${BIG_MB:-50}
HOST=192.168.127.254

lab_init vmagent
stack=(${QCW_STACK:+-stack "$QCW_STACK"})
API=$LAB_DIR/api.sock
# the agent makes its own tap: the lab's pre-made one goes
ip -n "$LAB_GUEST" link del "$LAB_TAP"
DHCP="busybox udhcpc -f -q -n -t 5 -T 2 -A 1 -O mtu -i %i -s $LAB_LIB_DIR/udhcpc.script"

start_qcw()
{
	lab_spawn "$LAB_NET" "$LAB_DIR/qcw.out" "$QCW_NET" -ssh-port -1 \
		"${stack[@]}" -listen "unix://$API" -log-file "$LAB_DIR/qcw.log"
	QPID=$LAB_PID
	wait_for_file "$API"
}

# agent NS LEASEFILE LOG ARGS...: qcw-net-vm in NS with the lab's udhcpc hook
agent()
{
	local ns=$1 lease=$2 log=$3
	shift 3
	lab_spawn "" "$log" ip netns exec "$ns" env LAB_LEASE_FILE="$lease" \
		LAB_RESOLV=/dev/null "$QCW_NET_VM" "$@"
	APID=$LAB_PID
}

# retrying LOG N PID [TEXT]: within 10 s the agent logged N failed dials (and
# TEXT), and is still running
retrying()
{
	local log=$1 n=$2 pid=$3 text=${4:-}
	wait_until 10 sh -c "[ \$(grep -c 'cannot connect to host' '$log') -ge $n ]" &&
		kill -0 "$pid" && { [ -z "$text" ] || grep -q "$text" "$log"; }
}

lease_is() # lease_is FILE IP
{
	grep -q "^ip='$2'" "$1" 2>/dev/null
}

mkdir -p "$LAB_DIR/www"
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/big.bin"
want=$(sha256sum <"$LAB_DIR/www/big.bin" | cut -d' ' -f1)
head -c 1048576 /dev/urandom >"$LAB_DIR/www/small.bin"
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080

start_qcw
L1=$LAB_DIR/lease1.env
agent "$LAB_GUEST" "$L1" "$LAB_DIR/agent1.log" -url "unix://$API" -dhcp-cmd "$DHCP"
A1=$APID
t_check "unix://: the agent's udhcpc gets $LAB_GUEST_IP" \
	wait_until 20 lease_is "$L1" "$LAB_GUEST_IP"
t_check "the agent created tap0 with MAC $LAB_GUEST_MAC, up" sh -c \
	"ip -n $LAB_GUEST link show tap0 | grep -q 'link/ether $LAB_GUEST_MAC' &&
	 ip -n $LAB_GUEST link show tap0 | grep -q ',UP'"
t_check "ping the gateway" lab_guest ping -c 3 -i 0.2 -W 2 $LAB_GW
if command -v dig >/dev/null; then
	t_check "DNS: host.containers.internal is $HOST" sh -c \
		"ip netns exec $LAB_GUEST dig +short +time=3 +tries=1 @$LAB_GW host.containers.internal | grep -qx $HOST"
else
	t_check "DNS: host.containers.internal is $HOST" sh -c \
		"ip netns exec $LAB_GUEST busybox nslookup host.containers.internal $LAB_GW | grep -q $HOST"
fi
t0=$(date +%s.%N)
got=$(lab_guest curl -sf "http://$HOST:8080/big.bin" | sha256sum | cut -d' ' -f1)
t1=$(date +%s.%N)
t_check "download of $BIG_MB MB keeps its sha256 ($(awk -v m="$BIG_MB" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", m / (b - a) }') MB/s)" \
	test "$got" = "$want"
lab_spawn "$LAB_NET" "$LAB_DIR/up.log" socat -u \
	TCP-LISTEN:8081,bind=127.0.0.1,reuseaddr OPEN:"$LAB_DIR/up.bin",creat,trunc
wait_for_port "$LAB_NET" 8081
t_check "upload of $BIG_MB MB" lab_guest socat -u \
	OPEN:"$LAB_DIR/www/big.bin" TCP:$HOST:8081
wait_until 10 sh -c "[ \$(stat -c %s '$LAB_DIR/up.bin' 2>/dev/null || echo 0) -ge $((BIG_MB * 1024 * 1024)) ]"
t_check "upload keeps its sha256" test "$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)" = "$want"
rm -f "$LAB_DIR/up.bin"

# ---- qcw-net goes away (killed, as Podman stops gvproxy) and comes back ----
kill -KILL $QPID
wait $QPID 2>/dev/null
t_check "qcw-net killed: the agent keeps running, retrying" \
	retrying "$LAB_DIR/agent1.log" 1 $A1
rm -f "$L1"
start_qcw
t_check "qcw-net back: the agent reconnects and gets its lease again" \
	wait_until 20 lease_is "$L1" "$LAB_GUEST_IP"
t_check "... ping again" lab_guest ping -c 3 -i 0.2 -W 2 $LAB_GW
got=$(lab_guest curl -sf "http://$HOST:8080/big.bin" | sha256sum | cut -d' ' -f1)
t_check "... and $BIG_MB MB again intact" test "$got" = "$want"

# ---- WSL: stdio: spawning "gvproxy.exe" (here a wrapper running qcw-net
# in its own loopback-only namespace) with -listen-stdio=accept -ssh-port=-1
G2=qcwg-vmagent2-$$
lab__netns_add "$G2"
cat >"$LAB_DIR/gvproxy" <<WRAP
#!/bin/sh
echo "\$@" >"$LAB_DIR/stdio-args"
echo \$\$ >"$LAB_DIR/stdio-pid"
exec ip netns exec $LAB_NET "$QCW_NET" ${QCW_STACK:+-stack $QCW_STACK} "\$@"
WRAP
chmod +x "$LAB_DIR/gvproxy"
L2=$LAB_DIR/lease2.env
agent "$G2" "$L2" "$LAB_DIR/agent2.log" -iface podman-usermode \
	-stop-if-exist ignore -dhcp-cmd "$DHCP" \
	-url "stdio:$LAB_DIR/gvproxy?listen-stdio=accept&ssh-port=-1"
A2=$APID
t_check "stdio: (WSL's command line) gets a lease on podman-usermode" \
	wait_until 20 lease_is "$L2" "$LAB_GUEST_IP"
t_check "stdio: the program got -listen-stdio=accept -ssh-port=-1" \
	grep -qx -- "-listen-stdio=accept -ssh-port=-1" "$LAB_DIR/stdio-args"
t_check "stdio: ping the gateway" ip netns exec "$G2" ping -c 3 -i 0.2 -W 2 $LAB_GW
t_check "stdio: 1 MB from the host intact" bash -c \
	"ip netns exec $G2 curl -sf http://$HOST:8080/small.bin | cmp -s - '$LAB_DIR/www/small.bin'"
lab__kill $A2
t_check "stdio: SIGTERM ends the agent (0) and the spawned qcw-net" sh -c \
	"test $LAB_KILL_RC = 0 && sleep 1 && ! kill -0 \$(cat '$LAB_DIR/stdio-pid') 2>/dev/null"

# ---- -preexisting on a tap made beforehand (Podman's Hyper-V unit) ----
G3=qcwg-vmagent3-$$
lab__netns_add "$G3"
ip -n "$G3" tuntap add dev vsock0 mode tap
ip -n "$G3" link set vsock0 address 5a:94:ef:e4:0c:ef
ip -n "$G3" link set vsock0 up
agent "$G3" "" "$LAB_DIR/agent3.log" -preexisting -iface vsock0 -url "unix://$API"
A3=$APID
sleep 1
t_check "-preexisting: the agent runs no DHCP client" sh -c \
	"! grep -q 'DHCP client started' '$LAB_DIR/agent3.log'"
t_check "-preexisting: the system's own DHCP (udhcpc) gets a lease over it" \
	ip netns exec "$G3" busybox udhcpc -i vsock0 -f -q -n -t 5 -T 2 \
	-s "$LAB_LIB_DIR/udhcpc.script"
t_check "-preexisting: ping the gateway" ip netns exec "$G3" ping -c 3 -i 0.2 -W 2 $LAB_GW
lab__kill $A3
t_check "-preexisting: the tap outlives the agent" ip -n "$G3" link show vsock0

# Hyper-V's exact line: vsock cannot connect here, so: accepted, dialling
G4=qcwg-vmagent4-$$
lab__netns_add "$G4"
ip -n "$G4" tuntap add dev vsock0 mode tap
agent "$G4" "" "$LAB_DIR/agent4.log" -preexisting -iface vsock0 \
	-url vsock://2:1024/connect
A4=$APID
t_check "Hyper-V's command line is accepted (dials vsock://2:1024/connect, retries)" \
	retrying "$LAB_DIR/agent4.log" 2 $A4 'Dialing to vsock://2:1024/connect'
lab__kill $A4

# ---- refusals ----
G5=qcwg-vmagent5-$$
lab__netns_add "$G5"
t_check "-stop-if-exist lo: exit 0 at once" sh -c \
	"timeout 2 ip netns exec $G5 '$QCW_NET_VM' -stop-if-exist lo -url unix://$API 2>'$LAB_DIR/stop.log'"
t_check "... with gvforwarder's message, no tap made" sh -c \
	"grep -q 'interface lo prevented this program to run' '$LAB_DIR/stop.log' &&
	 [ \$(ip -n $G5 -o link | wc -l) = 1 ]"
t_check "a bad -url exits 2" sh -c \
	"ip netns exec $G5 '$QCW_NET_VM' -url tcp://127.0.0.1:1 2>/dev/null; test \$? = 2"
t_check "-preexisting without that tap exits 2" sh -c \
	"ip netns exec $G5 '$QCW_NET_VM' -preexisting -iface nosuch0 -url unix://$API 2>/dev/null; test \$? = 2"
t_check "unix:// agent still alive after all of it" kill -0 $A1
lab__kill $A1
t_check "SIGTERM: the agent exits 0" test "$LAB_KILL_RC" = 0
t_summary
