#!/usr/bin/env bash
# iperf_matrix.sh - TCP throughput through the lab: guest -> host and
# host -> guest, for one backend and some MTUs, each cell repeated.  The
# iperf3 server listens on the backend namespace's 127.0.0.1 and the guest
# reaches it through the gateway address, the way a VM reaches its host.
#
#   tests/lab/iperf_matrix.sh [qcw|passt|slirp] [MTU...]   (as root)
#   env: DURATION (s, default 3), REPEAT (default 1), BACKEND_ARGS (default:
#        the backend's MTU option set to the largest MTU asked for, since
#        the backend's MTU caps the MSS it offers and so guest->host segment
#        size), LAB_BRIDGE_ARGS (e.g. -1), QCW_NET, QCW_TAPBRIDGE,
#        TARGET (the address the guest connects to; default the gateway),
#        IPV6=1 (qcw only: the server on ::1, the guest on a static address
#        of fd71:6377:6e65::/64 reaching it through the host alias ::fe)
# Prints one line per run: backend mtu direction Gbit/s retransmits.
# A measuring tool, not a test: the machine is shared and numbers vary; only
# compare cells from the same run.

. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

backend=${1:-passt}
shift
mtus=("$@")
[ ${#mtus[@]} = 0 ] && mtus=(1500 65520)
: "${DURATION:=3}" "${REPEAT:=1}"

maxmtu=0
for m in "${mtus[@]}"; do ((m > maxmtu)) && maxmtu=$m; done
if [ -z "${BACKEND_ARGS+set}" ]; then
	case $backend in
	qcw) BACKEND_ARGS="-mtu $maxmtu" ;;
	passt) BACKEND_ARGS="-m $maxmtu" ;;
	*) BACKEND_ARGS= ;;
	esac
fi

lab_require_root
lab_require_cmd iperf3 python3
lab_init "iperf-$backend"
# shellcheck disable=SC2086 # BACKEND_ARGS is a list of arguments
lab_start_backend "$backend" ${BACKEND_ARGS:-}
lab_start_bridge "${mtus[0]}"
lab_static_ip
lab_guest ping -c 1 -W 5 "$LAB_GW" >/dev/null || lab_die "no ping to gateway"
SERVER_BIND=127.0.0.1
: "${TARGET:=$LAB_GW}"
if [ "${IPV6:-0}" = 1 ]; then
	ip -n "$LAB_GUEST" -6 addr add fd71:6377:6e65::2/64 dev "$LAB_TAP" nodad
	ip -n "$LAB_GUEST" -6 route replace default via fd71:6377:6e65::1
	ip -n "$LAB_GUEST" -6 neigh replace fd71:6377:6e65::fe \
		lladdr "$LAB_GW_MAC" dev "$LAB_TAP" nud permanent
	SERVER_BIND=::1
	TARGET=fd71:6377:6e65::fe
	wait_until 5 lab_guest ping -6 -c 1 -W 1 "$TARGET" ||
		lab_die "no ping -6 to $TARGET"
fi

# run_one MTU DIR: one iperf3 run, prints "Gbit/s retransmits"
run_one()
{
	local mtu=$1 dir=$2 rflag='' spid
	[ "$dir" = host-\>guest ] && rflag=-R
	lab_net timeout $((DURATION + 30)) iperf3 -s -1 -B "$SERVER_BIND" \
		-p 5201 >/dev/null 2>&1 &
	spid=$!
	wait_for_port "$LAB_NET" 5201 || return 1
	lab_guest timeout $((DURATION + 30)) iperf3 -J -c "$TARGET" -p 5201 \
		-t "$DURATION" $rflag >"$LAB_DIR/iperf.json" 2>&1
	wait "$spid"
	python3 -c '
import json, sys
try:
    e = json.load(open(sys.argv[1]))["end"]
    print("%.2f %d" % (e["sum_received"]["bits_per_second"] / 1e9,
                       e["sum_sent"].get("retransmits", 0)))
except Exception:
    print("failed -")
' "$LAB_DIR/iperf.json"
}

printf '%-6s %6s %-12s %7s %s\n' backend mtu direction Gbit/s retrans
for mtu in "${mtus[@]}"; do
	ip -n "$LAB_GUEST" link set "$LAB_TAP" mtu "$mtu"
	for ((r = 0; r < REPEAT; r++)); do
		for dir in "guest->host" "host->guest"; do
			# shellcheck disable=SC2046,SC2183 # two words: rate, retrans
			printf '%-6s %6s %-12s %7s %s\n' "$backend" "$mtu" \
				"$dir" $(run_one "$mtu" "$dir")
			if ! kill -0 "$LAB_BRIDGE_PID" 2>/dev/null ||
				! kill -0 "$LAB_BACKEND_PID" 2>/dev/null; then
				cat "$LAB_DIR/bridge.log" >&2
				lab_die "the bridge or the backend died"
			fi
		done
	done
done
