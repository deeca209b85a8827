# shellcheck shell=bash
# lab.sh - the end-to-end lab every e2e test and benchmark sources.
#
# It builds a throw-away Linux "guest" around a network backend:
#
#   $LAB_GUEST netns                          $LAB_NET netns (only lo)
#   tap0 (5a:94:ef:e4:0c:ee) <- qcw-tapbridge -> $LAB_SOCK  <- backend:
#   udhcpc, ping, curl, iperf3...   QEMU stream framing        qcw-net | passt
#                                                              | QEMU slirp
#
# The backend runs in $LAB_NET, whose only way out is its own loopback (and,
# for passt, a veth stub to a third namespace we also own), so nothing the
# backend does can leave the machine.  Servers the guest should reach "on the
# host" listen on $LAB_NET's 127.0.0.1 and are reached through the gateway
# address $LAB_GW, as a VM reaches its host.
#
# Usage (as root):
#   . tests/lab/lab.sh
#   lab_require_root; lab_require_cmd busybox
#   lab_init mytest                  # namespaces, $LAB_DIR, EXIT trap
#   lab_start_backend qcw [args]     # or passt / slirp
#   lab_start_bridge [MTU]
#   lab_dhcp                         # or lab_static_ip
#   t_check "ping gateway" lab_guest ping -c1 -W2 "$LAB_GW"
#   t_summary                        # last line: "N passed, N failed"
#
# Environment (inputs):
#   QCW_NET         qcw-net binary (default: $QCW_BUILD_DIR/qcw-net)
#   QCW_TAPBRIDGE   qcw-tapbridge (default: $QCW_BUILD_DIR/tests/lab/...)
#   QCW_BUILD_DIR   build directory (default: <source root>/build)
#   QCW_STACK       qcw-net's stack backend (-stack): lwip (default) or slirp
#   LAB_BRIDGE_ARGS extra qcw-tapbridge options (e.g. -1: a write per frame)
#   LAB_IPV6=0      disable IPv6 on the guest's tap0
#   LAB_KEEP=1      keep $LAB_DIR (logs) after the test
#   LAB_DEBUG=1     trace lab commands on stderr
# Set by the lab (outputs): LAB_NET LAB_GUEST LAB_UP LAB_DIR LAB_SOCK
#   LAB_BACKEND LAB_BACKEND_PID LAB_BRIDGE_PID LAB_PID (last lab_spawn)
#   LAB_MTU (pinned guest MTU) LAB_LEASE_FILE LAB_GUEST_ETC LAB_NET_ETC
#   and the fixed plan: LAB_GW LAB_GW_MAC LAB_GUEST_IP LAB_GUEST_MAC
#   LAB_PREFIX LAB_TAP.
# Functions: lab_init lab_cleanup lab_defer lab_spawn lab_start_backend
#   lab_stop_backend lab_start_bridge lab_stop_bridge lab_add_guest
#   lab_guest lab_net
#   lab_dhcp lab_static_ip lab_require_root lab_require_cmd lab_skip lab_die
#   lab_log wait_for_file wait_for_port wait_until
#   t_ok t_fail t_check t_skip t_summary.

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SRC_ROOT=$(cd "$LAB_LIB_DIR/../.." && pwd)
: "${QCW_BUILD_DIR:=$LAB_SRC_ROOT/build}"
: "${QCW_NET:=$QCW_BUILD_DIR/qcw-net}"
: "${QCW_TAPBRIDGE:=$QCW_BUILD_DIR/tests/lab/qcw-tapbridge}"

# The addressing plan qcw-net serves (gvproxy's); passt and slirp are
# configured to match so tests do not depend on the backend.
LAB_GW=192.168.127.1
LAB_GW_MAC=5a:94:ef:e4:0c:dd
LAB_GUEST_IP=192.168.127.2
LAB_GUEST_MAC=5a:94:ef:e4:0c:ee
LAB_PREFIX=24
LAB_TAP=tap0
# passt's stub uplink: RFC 2544 benchmarking range, both ends in our netns.
LAB_UP_ADDR=198.18.0.2
LAB_UP_PEER=198.18.0.1

# shellcheck disable=SC2034 # outputs for the sourcing test
{
	LAB_NET='' LAB_GUEST='' LAB_UP='' LAB_DIR='' LAB_SOCK='' LAB_MTU=''
	LAB_BACKEND='' LAB_BACKEND_PID='' LAB_BRIDGE_PID='' LAB_PID=''
}
LAB_PIDS=()
LAB_NSES=()
LAB_DEFERRED=()
T_PASS=0
T_FAIL=0

lab_log()
{
	echo "# $*" >&2
}

lab_die()
{
	echo "lab: error: $*" >&2
	exit 1
}

# lab_skip REASON: the test cannot run here; meson counts exit 77 as skipped.
lab_skip()
{
	echo "SKIP: $*"
	exit 77
}

lab_require_root()
{
	[ "$(id -u)" = 0 ] || lab_skip "needs root (network namespaces)"
	ip netns list >/dev/null 2>&1 || lab_skip "ip netns does not work here"
	[ -c /dev/net/tun ] || lab_skip "no /dev/net/tun"
}

# lab_require_cmd CMD...: skip unless every command is installed.
lab_require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || lab_skip "$c is not installed"
	done
}

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
wait_until()
{
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# wait_for_file PATH [TIMEOUT_S=10]
wait_for_file()
{
	wait_until "${2:-10}" test -e "$1"
}

lab__port_listening()
{
	local ns=$1 port=$2 proto=$3 flag=-Hltn out
	[ "$proto" = udp ] && flag=-Hlun
	if [ -n "$ns" ]; then
		out=$(ip netns exec "$ns" ss $flag "sport = :$port") || return 1
	else
		out=$(ss $flag "sport = :$port") || return 1
	fi
	[ -n "$out" ]
}

# wait_for_port NETNS PORT [TIMEOUT_S=10] [tcp|udp]: until something listens
# on PORT in NETNS ("" for the current namespace).
wait_for_port()
{
	wait_until "${3:-10}" lab__port_listening "$1" "$2" "${4:-tcp}"
}

# lab_defer CMD...: run CMD (as one eval'd string) at cleanup, last first.
lab_defer()
{
	LAB_DEFERRED+=("$*")
}

# lab_spawn NETNS LOGFILE CMD...: start CMD in the background in NETNS ("" for
# the current one), output to LOGFILE; its pid is in $LAB_PID and it is killed
# at cleanup.  `ip netns exec` execs CMD, so the pid is CMD's own.
lab_spawn()
{
	local ns=$1 log=$2
	shift 2
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	else
		"$@" >"$log" 2>&1 </dev/null &
	fi
	LAB_PID=$!
	LAB_PIDS+=("$LAB_PID")
}

# lab__kill PID: SIGTERM, SIGKILL after 2 s; its exit status in $LAB_KILL_RC
# (127 when the script had already waited for it).
lab__kill()
{
	local pid=$1 i
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		LAB_KILL_RC=$?
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	LAB_KILL_RC=$?
	return 0
}

lab_cleanup()
{
	local rc=$? i ns pid
	set +e
	trap - EXIT INT TERM
	for ((i = ${#LAB_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${LAB_DEFERRED[i]}" >/dev/null 2>&1
	done
	for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
		lab__kill "${LAB_PIDS[i]}"
	done
	# Anything still inside our namespaces was started by this test.
	for ns in "${LAB_NSES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${LAB_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	LAB_NSES=()
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			echo "lab: kept $LAB_DIR" >&2
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	return "$rc"
}

lab__netns_add()
{
	ip netns add "$1" || lab_die "cannot create netns $1"
	LAB_NSES+=("$1")
	ip -n "$1" link set lo up
	mkdir -p "/etc/netns/$1"
}

# lab_init NAME: namespaces "$LAB_NET" (backend; only lo) and "$LAB_GUEST"
# (tap0, up, guest MAC), the scratch directory $LAB_DIR and the EXIT trap.
lab_init()
{
	local name=${1:-lab}
	name=${name//[^A-Za-z0-9_-]/_}
	[ "${LAB_DEBUG:-0}" = 1 ] && set -x
	LAB_NET="qcwn-$name-$$"
	LAB_GUEST="qcwg-$name-$$"
	LAB_NET_ETC=/etc/netns/$LAB_NET
	LAB_GUEST_ETC=/etc/netns/$LAB_GUEST
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	LAB_DIR=$(mktemp -d "/tmp/qcw-lab-$name.XXXXXX") || lab_die "mktemp"
	# others (passt runs as nobody) may traverse but not write
	chmod 755 "$LAB_DIR"
	LAB_SOCK=$LAB_DIR/net.sock
	LAB_LEASE_FILE=$LAB_DIR/lease.env

	lab__netns_add "$LAB_NET"
	# Resolvers the backend sees: only its own loopback, where a test may
	# run a DNS server; the machine's real resolvers are out of reach.
	echo "nameserver 127.0.0.1" >"$LAB_NET_ETC/resolv.conf"
	# Let unprivileged processes (passt as nobody) use ICMP echo sockets.
	ip netns exec "$LAB_NET" sysctl -qw \
		net.ipv4.ping_group_range="0 2147483647"

	lab_add_guest "$LAB_GUEST" "$LAB_GUEST_MAC"
	echo "# no lease yet" >"$LAB_GUEST_ETC/resolv.conf"
}

# lab_add_bridged_guest NETNS MAC: lab_add_guest, and a bridge of its own
# attaching its tap0 to $LAB_SOCK (another VM on the switch); returns once
# the tap has carrier, or fails after 10 s (the caller decides).
lab_add_bridged_guest()
{
	local ns=$1
	lab_add_guest "$ns" "$2"
	lab_spawn "$ns" "$LAB_DIR/bridge-$ns.log" "$QCW_TAPBRIDGE" \
		-i "$LAB_TAP" -s "$LAB_SOCK"
	wait_until 10 sh -c "ip -n $ns link show $LAB_TAP | grep -q LOWER_UP"
}

# lab_add_guest NETNS MAC: a guest namespace with its tap0 (up, MAC, deep
# queue), removed at cleanup.  lab_init makes $LAB_GUEST with it; tests that
# need a second guest call it themselves.
lab_add_guest()
{
	local ns=$1 mac=$2
	lab__netns_add "$ns"
	ip -n "$ns" tuntap add dev "$LAB_TAP" mode tap ||
		lab_die "cannot create $LAB_TAP in $ns"
	ip -n "$ns" link set "$LAB_TAP" address "$mac"
	# A tap drops what its queue cannot hold, while a virtio NIC stops
	# the qdisc: with the default 1000 packets a guest TCP burst (TSQ
	# allows 4 MiB in flight) is dropped and, against peers without SACK,
	# ends in RTOs.  A deep queue makes the tap behave like the NIC.
	ip -n "$ns" link set "$LAB_TAP" txqueuelen 10000
	if [ "${LAB_IPV6:-1}" = 0 ]; then
		ip netns exec "$ns" sysctl -qw \
			"net.ipv6.conf.$LAB_TAP.disable_ipv6=1"
	fi
	ip -n "$ns" link set "$LAB_TAP" up
}

lab_guest()
{
	ip netns exec "$LAB_GUEST" "$@"
}

# lab_stat PATH [DEFAULT]: one counter of the backend's /stats on
# $LAB_DIR/api.sock (the backend started with -listen on it), PATH dotted
# (Stack.HostQueueRefused); DEFAULT (empty unless given) where /stats has
# no such key
lab_stat()
{
	curl -sf --max-time 5 --unix-socket "$LAB_DIR/api.sock" http://qcw/stats |
		python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(sys.argv[2] if v is None else v)' "$1" "${2:-}"
}

# lab_guest_v6_ready ADDR: the guest holds its SLAAC address of the default
# prefix (fd71:6377:6e65::/64) out of DAD (none tentative) and reaches ADDR
# with ping -6; a test that starts while the address is still tentative
# times out at random (use with wait_until)
lab_guest_v6_ready()
{
	lab_guest ip -6 addr show dev "$LAB_TAP" scope global | grep -q 'inet6 fd71' &&
		! lab_guest ip -6 addr show dev "$LAB_TAP" tentative | grep -q inet6 &&
		lab_guest ping -6 -c 1 -W 1 "$1" >/dev/null
}

lab_net()
{
	ip netns exec "$LAB_NET" "$@"
}

# lab__wait_backend NAME LOG: the socket appears while the process lives.
lab__wait_backend()
{
	local name=$1 log=$2 i
	for ((i = 0; i < 100; i++)); do
		[ -S "$LAB_SOCK" ] && return 0
		if ! kill -0 "$LAB_BACKEND_PID" 2>/dev/null; then
			tail -n 20 "$log" >&2
			lab_die "$name exited before creating $LAB_SOCK"
		fi
		sleep 0.1
	done
	tail -n 20 "$log" >&2
	lab_die "$name did not create $LAB_SOCK in 10 s"
}

lab__start_qcw()
{
	[ -x "$QCW_NET" ] || lab_die "qcw-net not found at $QCW_NET (set QCW_NET)"
	# -log-file truncates: keep what the previous run said (t_summary
	# looks for leaked handles in every run's log)
	[ -f "$LAB_DIR/qcw.log" ] && cat "$LAB_DIR/qcw.log" >>"$LAB_DIR/qcw.old.log"
	lab_spawn "$LAB_NET" "$LAB_DIR/qcw.out" "$QCW_NET" \
		-listen-qemu "unix://$LAB_SOCK" \
		-pid-file "$LAB_DIR/qcw.pid" -log-file "$LAB_DIR/qcw.log" \
		${QCW_STACK:+-stack "$QCW_STACK"} "$@"
	LAB_BACKEND_PID=$LAB_PID
	lab__wait_backend qcw-net "$LAB_DIR/qcw.log"
}

# passt copies its addresses from the interface with the default route, so
# it gets a veth stub uplink to a third namespace (nothing listens there).
# We override what it hands out to match qcw-net's plan: guest .2, gateway
# .1 with qcw-net's MAC; connections to the gateway address are mapped to
# $LAB_NET's loopback by passt itself.
lab__start_passt()
{
	local a mtu_given=0 pdir=$LAB_DIR/passt
	local bin=${PASST:-passt}
	command -v "$bin" >/dev/null || lab_die "passt is not installed ($bin)"
	LAB_UP="qcwu-${LAB_NET#qcwn-}"
	lab__netns_add "$LAB_UP"
	ip -n "$LAB_NET" link add up0 type veth peer name up1 netns "$LAB_UP" ||
		lab_die "cannot create the stub uplink"
	ip -n "$LAB_NET" addr add "$LAB_UP_ADDR/24" dev up0
	ip -n "$LAB_NET" link set up0 up
	ip -n "$LAB_UP" addr add "$LAB_UP_PEER/24" dev up1
	ip -n "$LAB_UP" link set up1 up
	ip -n "$LAB_NET" route add default via "$LAB_UP_PEER"
	# passt (2023) sends the guest's ICMP echo to the real gateway
	# address instead of mapping it: make that address local.
	ip -n "$LAB_NET" addr add "$LAB_GW/32" dev lo

	# passt drops to nobody: its socket directory must be writable by it.
	mkdir -p "$pdir" && chmod 1777 "$pdir"
	for a in "$@"; do
		case $a in -m | --mtu | --mtu=*) mtu_given=1 ;; esac
	done
	local extra=()
	# gvproxy's and qcw-net's default; passt's own would be 65520.
	[ $mtu_given = 0 ] && extra+=(-m 1500)
	lab_spawn "$LAB_NET" "$LAB_DIR/passt.out" "$bin" -f -q \
		-s "$pdir/net.sock" -P "$pdir/passt.pid" -l "$pdir/passt.log" \
		-a "$LAB_GUEST_IP" -n "$LAB_PREFIX" -g "$LAB_GW" \
		-M "$LAB_GW_MAC" -D "$LAB_GW" "${extra[@]}" "$@"
	LAB_BACKEND_PID=$LAB_PID
	ln -s passt/net.sock "$LAB_SOCK"
	lab__wait_backend passt "$LAB_DIR/passt.out"
}

# QEMU user networking (libslirp) without a VM: -M none, a hub joins the
# slirp netdev and a stream server netdev the bridge connects to.  QEMU 7.2
# asserts on 64 KiB frames (see lab-notes): MTU 1500 only.
lab__start_slirp()
{
	local qemu=${QEMU:-qemu-system-x86_64}
	command -v "$qemu" >/dev/null || lab_die "$qemu is not installed"
	lab_spawn "$LAB_NET" "$LAB_DIR/slirp.out" "$qemu" -M none -nographic \
		-nodefaults -monitor none -serial none \
		-netdev "user,id=u,net=192.168.127.0/24,host=$LAB_GW,dhcpstart=$LAB_GUEST_IP,dns=192.168.127.3" \
		-netdev "stream,id=s,server=on,addr.type=unix,addr.path=$LAB_SOCK" \
		-netdev hubport,id=p0,hubid=0,netdev=u \
		-netdev hubport,id=p1,hubid=0,netdev=s "$@"
	LAB_BACKEND_PID=$LAB_PID
	lab__wait_backend slirp "$LAB_DIR/slirp.out"
}

# lab_start_backend qcw|passt|slirp [ARGS...]: start it in $LAB_NET with
# its QEMU stream socket at $LAB_SOCK and wait for the socket.
lab_start_backend()
{
	local kind=$1
	shift
	[ -n "$LAB_DIR" ] || lab_die "lab_init first"
	# shellcheck disable=SC2034 # for the sourcing test
	LAB_BACKEND=$kind
	case $kind in
	qcw) lab__start_qcw "$@" ;;
	passt) lab__start_passt "$@" ;;
	slirp) lab__start_slirp "$@" ;;
	*) lab_die "unknown backend $kind (qcw, passt, slirp)" ;;
	esac
}

# lab_stop_backend: SIGTERM it; its exit status is then in $LAB_BACKEND_RC.
lab_stop_backend()
{
	LAB_BACKEND_RC=
	[ -n "$LAB_BACKEND_PID" ] && lab__kill "$LAB_BACKEND_PID" &&
		LAB_BACKEND_RC=$LAB_KILL_RC
	LAB_BACKEND_PID=
}

lab__carrier_up()
{
	ip -n "$LAB_GUEST" link show "$LAB_TAP" | grep -q LOWER_UP
}

# lab_start_bridge [MTU]: attach tap0 to $LAB_SOCK.  An MTU given here is
# pinned: DHCP's MTU option is then ignored (LAB_MTU).  Returns when the
# bridge holds the tap (carrier up), which it opens after connecting.
lab_start_bridge()
{
	local mtu=${1:-}
	[ -x "$QCW_TAPBRIDGE" ] ||
		lab_die "qcw-tapbridge not found at $QCW_TAPBRIDGE (set QCW_TAPBRIDGE)"
	if [ -n "$mtu" ]; then
		ip -n "$LAB_GUEST" link set "$LAB_TAP" mtu "$mtu" ||
			lab_die "cannot set MTU $mtu"
		LAB_MTU=$mtu
	fi
	# shellcheck disable=SC2086 # LAB_BRIDGE_ARGS is a list of options
	lab_spawn "$LAB_GUEST" "$LAB_DIR/bridge.log" "$QCW_TAPBRIDGE" -v \
		-i "$LAB_TAP" -s "$LAB_SOCK" ${LAB_BRIDGE_ARGS:-}
	LAB_BRIDGE_PID=$LAB_PID
	if ! wait_until 12 lab__carrier_up; then
		cat "$LAB_DIR/bridge.log" >&2
		lab_die "bridge did not attach $LAB_TAP"
	fi
}

# lab_start_bridge_tcp HOST:PORT: attach tap0 to a backend that listens
# on TCP in $LAB_NET (e.g. qcw-net.exe under wine, which has no AF_UNIX).
# The bridge must run where it can reach that port, so tap0 goes to
# $LAB_NET, the bridge opens it there, and tap0 moves back to the guest:
# the open descriptor keeps working across namespaces (lab-notes).
lab_start_bridge_tcp()
{
	local hp=$1
	[ -x "$QCW_TAPBRIDGE" ] ||
		lab_die "qcw-tapbridge not found at $QCW_TAPBRIDGE (set QCW_TAPBRIDGE)"
	ip -n "$LAB_GUEST" link set "$LAB_TAP" netns "$LAB_NET" ||
		lab_die "cannot move $LAB_TAP to $LAB_NET"
	ip -n "$LAB_NET" link set "$LAB_TAP" up
	# shellcheck disable=SC2086 # LAB_BRIDGE_ARGS is a list of options
	lab_spawn "$LAB_NET" "$LAB_DIR/bridge.log" "$QCW_TAPBRIDGE" -v \
		-i "$LAB_TAP" -c "$hp" ${LAB_BRIDGE_ARGS:-}
	LAB_BRIDGE_PID=$LAB_PID
	if ! wait_until 30 sh -c "ip -n '$LAB_NET' link show '$LAB_TAP' | grep -q LOWER_UP"; then
		cat "$LAB_DIR/bridge.log" >&2
		lab_die "bridge did not attach $LAB_TAP over tcp://$hp"
	fi
	ip -n "$LAB_NET" link set "$LAB_TAP" netns "$LAB_GUEST" ||
		lab_die "cannot move $LAB_TAP back to $LAB_GUEST"
	ip -n "$LAB_GUEST" link set "$LAB_TAP" address "$LAB_GUEST_MAC"
	if [ "${LAB_IPV6:-1}" = 0 ]; then
		ip netns exec "$LAB_GUEST" sysctl -qw \
			"net.ipv6.conf.$LAB_TAP.disable_ipv6=1"
	fi
	ip -n "$LAB_GUEST" link set "$LAB_TAP" up
	if ! wait_until 12 lab__carrier_up; then
		cat "$LAB_DIR/bridge.log" >&2
		lab_die "$LAB_TAP has no carrier back in $LAB_GUEST"
	fi
}

lab_stop_bridge()
{
	[ -n "$LAB_BRIDGE_PID" ] && lab__kill "$LAB_BRIDGE_PID"
	LAB_BRIDGE_PID=
}

# lab_dhcp [UDHCPC_ARGS...]: get a lease in the guest (address, route, MTU,
# resolv.conf); the lease is also written to $LAB_LEASE_FILE.
lab_dhcp()
{
	rm -f "$LAB_LEASE_FILE"
	env LAB_RESOLV="$LAB_GUEST_ETC/resolv.conf" \
		LAB_LEASE_FILE="$LAB_LEASE_FILE" LAB_MTU="$LAB_MTU" \
		ip netns exec "$LAB_GUEST" busybox udhcpc -i "$LAB_TAP" \
		-f -q -n -t 5 -T 2 -A 1 -O mtu \
		-s "$LAB_LIB_DIR/udhcpc.script" "$@"
}

# lab_static_ip [IP]: configure the guest without DHCP (gateway as router).
lab_static_ip()
{
	local ip=${1:-$LAB_GUEST_IP}
	ip -n "$LAB_GUEST" -4 addr replace "$ip/$LAB_PREFIX" dev "$LAB_TAP" &&
		ip -n "$LAB_GUEST" -4 route replace default via "$LAB_GW" &&
		echo "nameserver $LAB_GW" >"$LAB_GUEST_ETC/resolv.conf"
}

# Test reporting: one line per check; t_summary's line is the last output.
t_ok()
{
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

t_fail()
{
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL - $1${2:+: $2}"
}

t_skip()
{
	echo "skip - $1${2:+: $2}"
}

# t_check NAME CMD...: pass if CMD succeeds; on failure show its output.
t_check()
{
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		t_ok "$name"
	else
		t_fail "$name" "exit $rc: $*"
		[ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
	fi
	return $rc
}

# lab__leaks: the "leak:" lines qcw-net logged at exit in this test (every
# handle must be closed by its owner; cmd/daemon.c), from the logs directly
# in $LAB_DIR. A qcw-net backend still running is stopped first.
lab__leaks()
{
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] || return 0
	[ "$LAB_BACKEND" = qcw ] && lab_stop_backend
	grep -h "leak: a .* handle was not closed by its owner" \
		"$LAB_DIR"/*.log "$LAB_DIR"/*.out 2>/dev/null
}

t_summary()
{
	local leaks
	leaks=$(lab__leaks)
	if [ -n "$leaks" ]; then
		t_fail "qcw-net closed every handle at exit" "$leaks"
	fi
	# a sanitizer build's memory error (at exit too: nobody else looks)
	if [ -n "$LAB_DIR" ] && grep -qs "ERROR: AddressSanitizer" \
		"$LAB_DIR"/*.out; then
		t_fail "no AddressSanitizer error in qcw-net's output" \
			"$(grep -hs -A12 "ERROR: AddressSanitizer" "$LAB_DIR"/*.out | head -n 30)"
	fi
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ]
}
