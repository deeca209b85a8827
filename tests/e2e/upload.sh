#!/usr/bin/env bash
# upload.sh - over a link that loses nothing, a guest's upload to a host
# service is never refused and never retransmitted, at MTUs from 1500 to
# 65520 (every size class of the stack's receive buffers), over IPv4 and
# IPv6: a 3 s iperf3 upload through the host alias, with the guest's
# TcpRetransSegs and
# qcw-net's Stack.HostQueueRefused (lwIP stack only) counted around it.
# Frames between 2 KiB and 64 KiB used to be copied into 64 KiB buffers
# when the transport could lend none; guest data waiting for the host
# socket is budgeted at its buffers' real size, so at MTU 9000 a 4 MiB
# window went over the budget: lwIP refused the data, dropped the guest's
# next segments, and the upload fell to 3-6 Gbit/s in retransmissions
# (10 with buffers sized to the frame). Prints the rates for the record
# (not checked: bench/ measures speed).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd iperf3 nstat curl python3
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HOST4=192.168.127.254
HOST6=fd71:6377:6e65::fe
retrans() { lab_guest nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}'; }
# Stack.HostQueueRefused, or 0 where the stack has none (libslirp)
refused() { lab_stat Stack.HostQueueRefused 0; }

for mtu in 1500 4000 9000 16000 65520; do
	lab_init "upload$mtu"
	lab_spawn "$LAB_NET" "$LAB_DIR/iperf.log" iperf3 -s -p 5201
	wait_for_port "$LAB_NET" 5201 10
	lab_start_backend qcw -mtu $mtu -listen "unix://$LAB_DIR/api.sock"
	lab_start_bridge
	lab_dhcp >/dev/null || lab_die "no DHCP lease"
	hosts=$HOST4
	if [ "${LAB_IPV6:-1}" != 0 ]; then
		wait_until 15 lab_guest_v6_ready $HOST6 ||
			t_fail "MTU $mtu: the guest has no IPv6 address out of DAD"
		hosts="$HOST4 $HOST6"
	fi
	for host in $hosts; do
		r0=$(retrans)
		q0=$(refused)
		rate=$(lab_guest timeout 30 iperf3 -c $host -p 5201 -t 3 -J |
			python3 -c "import json,sys; print('%.2f' % (json.load(sys.stdin)['end']['sum_received']['bits_per_second'] / 1e9))" 2>/dev/null)
		r1=$(retrans)
		q1=$(refused)
		echo "# MTU $mtu, $host: ${rate:-?} Gbit/s, the guest retransmitted $((r1 - r0)) segments, qcw-net refused data $((q1 - q0)) times"
		t_check "MTU $mtu, upload to $host: it ran" test -n "$rate"
		t_check "MTU $mtu, upload to $host: no data refused (HostQueueRefused +$((q1 - q0)))" \
			test "$((q1 - q0))" -eq 0
		t_check "MTU $mtu, upload to $host: no segment retransmitted (TcpRetransSegs +$((r1 - r0)))" \
			test "$((r1 - r0))" -le 2
	done
	lab_cleanup
done

t_summary
