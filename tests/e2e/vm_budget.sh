#!/usr/bin/env bash
# vm_budget.sh - VMs on one qcw-net (-keep-serving) share the budget of
# host data that lwIP holds for guests until they acknowledge it
# (net/lwip/splice.h: SPLICE_TO_GUEST_MAX, 128 MiB at real cost): one VM
# whose connections acknowledge nothing holds at most its share, not the
# whole budget. A second VM (hostile_peer.py tinymss) opens 250
# connections to a host sender, each offering an MSS of 64 and
# acknowledging nothing, which alone takes all of the budget; the real
# guest downloads 64 MiB from the same host service, three times alone
# first, then three times beside it: each download completes, and the
# fastest beside it takes at most 1.5 times the fastest alone (+ 20 ms).
# Before, the real guest's connection had only the floor (64 KiB in
# flight) while the other VM held the rest: 1.7-2.9 times as long.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd python3 socat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=192.168.127.254
MIB=$((1 << 20))
stats() { lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats; }
# download: "bytes ms" of one 64 MiB download from the host's source
download() {
	local t0 t1 n
	t0=$(date +%s%N)
	n=$(timeout 60 ip netns exec "$LAB_GUEST" \
		socat -u TCP:$HOST:7778,connect-timeout=5 - | wc -c)
	t1=$(date +%s%N)
	echo "$n $(((t1 - t0) / 1000000))"
}

lab_init vm_budget
lab_spawn "$LAB_NET" "$LAB_DIR/source.log" \
	python3 "$HERE/peers.py" source-server 7778 $((64 * MIB))
wait_for_port "$LAB_NET" 7778 10
lab_start_backend qcw -keep-serving -listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
lab_static_ip "$LAB_GUEST_IP"
wait_until 10 lab_guest ping -c 1 -W 1 "$HOST" >/dev/null ||
	lab_die "the guest cannot reach the host alias"

# best3 NAME: three downloads, each checked; the fastest in $best
best3() {
	local i n ms
	best=
	for i in 1 2 3; do
		read -r n ms < <(download)
		t_check "$1: the guest downloads 64 MiB ($n bytes in $ms ms)" \
			test "$n" = $((64 * MIB))
		[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	done
}
best3 alone
ms_alone=$best

# ---- a second VM whose 250 connections acknowledge nothing ----
G2="qcwg2-budget-$$"
lab_add_bridged_guest "$G2" 5a:94:ef:00:00:68
HOLD=25 ip netns exec "$G2" timeout 120 python3 "$HERE/hostile_peer.py" \
	tinymss $HOST 7778 250 64 >"$LAB_DIR/tinymss.out" 2>&1 &
peer=$!
wait_until 30 grep -q connected "$LAB_DIR/tinymss.out"
echo "# the other VM: $(cat "$LAB_DIR/tinymss.out")"
sleep 3 # its connections fill what they may hold
echo "# qcw-net RSS $(awk "/VmRSS/{print \$2}" /proc/$LAB_BACKEND_PID/status) kB"
best3 "beside the other VM"
ms_beside=$best
echo "# 64 MiB alone in $ms_alone ms, beside the other VM in $ms_beside ms (the fastest of 3)"
bound=$((ms_alone * 3 / 2 + 20))
t_check "... the fastest beside it within 1.5 times the fastest alone + 20 ms ($ms_beside ms, bound $bound)" \
	test "$ms_beside" -le "$bound"
t_check "qcw-net is alive" kill -0 "$LAB_BACKEND_PID"
kill "$peer" 2>/dev/null
wait "$peer" 2>/dev/null
t_summary
