#!/usr/bin/env bash
# in_order.sh - over a link that loses nothing, the stack's segments to the
# guest arrive in order, over IPv4 and over IPv6, at MTU 1500 and 65520:
# a 3 s download (iperf3 -R) from a host service through the host alias,
# with the guest's TcpExtTCPOFOQueue (segments it had to queue out of
# order) counted around it. With TCP timestamps agreed over IPv6, lwIP's
# segments to the guest arrived out of order (OFOQueue 650-1700 in 3 s)
# and the download fell from 17 Gbit/s to 0.03-6 at MTU 65520: their
# headers (86 bytes) were longer than a port's queue slot kept in front of
# a referenced payload, so every frame was copied into the port's byte
# ring, which overflowed and dropped some; lwIP sent them again after the
# guest's duplicate ACKs. Prints the rates for the record (they are not
# checked: bench/ measures speed).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd iperf3 nstat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
[ "${LAB_IPV6:-1}" = 0 ] && lab_skip "LAB_IPV6=0"

HOST4=192.168.127.254
HOST6=fd71:6377:6e65::fe
ofo() { lab_guest nstat -az TcpExtTCPOFOQueue | awk '/TcpExtTCPOFOQueue/ {print $2}'; }

for mtu in 1500 65520; do
	lab_init "inorder$mtu"
	lab_spawn "$LAB_NET" "$LAB_DIR/iperf.log" iperf3 -s -p 5201
	wait_for_port "$LAB_NET" 5201 10
	lab_start_backend qcw -mtu $mtu
	lab_start_bridge
	lab_dhcp >/dev/null || lab_die "no DHCP lease"
	wait_until 15 lab_guest_v6_ready $HOST6 || t_fail "MTU $mtu: the guest has no IPv6 address out of DAD"
	for host in $HOST4 $HOST6; do
		o0=$(ofo)
		rate=$(lab_guest timeout 30 iperf3 -c $host -p 5201 -R -t 3 -J |
			python3 -c "import json,sys; print('%.2f' % (json.load(sys.stdin)['end']['sum_received']['bits_per_second'] / 1e9))" 2>/dev/null)
		o1=$(ofo)
		echo "# MTU $mtu, $host: ${rate:-?} Gbit/s, the guest queued $((o1 - o0)) segments out of order"
		t_check "MTU $mtu, download from $host: it ran" test -n "$rate"
		t_check "MTU $mtu, download from $host: segments in order (OFOQueue +$((o1 - o0)))" \
			test $((o1 - o0)) -le 20
	done
	lab_cleanup
done

t_summary
