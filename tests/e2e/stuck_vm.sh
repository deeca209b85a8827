#!/usr/bin/env bash
# stuck_vm.sh - one VM that reads nothing must not take the network of the
# others (-keep-serving). A second VM on the QEMU socket (stuck_peer.py)
# asks the gateway for large echo replies and never reads them, as a paused
# or hostile VM would: its port's queue fills and stays over its
# high-water mark. Meanwhile the real guest downloads 64 MiB from a host
# service through the NAT (a connection opened before and one after the
# port filled), receives 32 MiB through a port forward from the host, and
# pings the gateway. Before, a congested port stopped every connection's
# host reads, and the guest's downloads stalled for as long as the other
# VM read nothing.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=192.168.127.254
MIB=$((1 << 20))
stats() { lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/stats; }
port_of() { # port_of ID KEY: a switch port's counter
	stats | python3 -c "
import json, sys
p = [p for p in json.load(sys.stdin)['Switch']['Ports'] if p['ID'] == $1]
print(p[0]['$2'] if p else 'gone')"
}
stuck_congested() { [ "$(port_of "$STUCK" Congested)" = True ]; }
download() { # download: bytes of one connection to the host's source
	timeout 40 ip netns exec "$LAB_GUEST" \
		socat -u TCP:$HOST:7778,connect-timeout=5 - | wc -c
}

lab_init stuck_vm
# a host service that sends 64 MiB to whoever connects
lab_spawn "$LAB_NET" "$LAB_DIR/source.log" \
	python3 "$HERE/peers.py" source-server 7778 $((64 << 20))
wait_for_port "$LAB_NET" 7778 10
lab_start_backend qcw -keep-serving -listen "unix://$LAB_DIR/api.sock"
lab_start_bridge
t_check "the VM gets its lease" lab_dhcp
t_check "a download before: 64 MiB" test "$(download)" = $((64 * MIB))

# a connection that is already open when the other VM's port fills: the
# guest reads 1 MiB of it, then nothing until the port is full
ip netns exec "$LAB_GUEST" python3 -c '
import os, socket, sys, time
s = socket.create_connection(("'$HOST'", 7778), 5)
s.settimeout(60)
n = len(s.recv(1 << 20, socket.MSG_WAITALL))
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    n += len(b)
print(n)' "$LAB_DIR/go" >"$LAB_DIR/early.txt" &

# ---- the VM that reads nothing ----
lab_spawn "$LAB_NET" "$LAB_DIR/stuck.log" \
	python3 "$HERE/stuck_peer.py" "$LAB_SOCK" 192.168.127.66 40000 300
STUCK=
wait_until 10 sh -c "grep -q sent '$LAB_DIR/stuck.log'"
STUCK=$(stats | python3 -c "
import json, sys
ps = json.load(sys.stdin)['Switch']['Ports']
print(max(p['ID'] for p in ps))")
t_check "the stuck VM's port ($STUCK) is congested" wait_until 20 stuck_congested
touch "$LAB_DIR/go"

# ---- the other VM's network goes on ----
t_check "the VM pings the gateway" lab_guest ping -c 3 -i 0.2 -W 2 192.168.127.1
t_check "a download opened before the port filled completes (64 MiB)" \
	wait_until 40 grep -qx $((64 * MIB)) "$LAB_DIR/early.txt"
t0=$(date +%s%N)
n=$(download)
t1=$(date +%s%N)
echo "# a new download, 64 MiB beside the stuck VM: $n bytes in $(((t1 - t0) / 1000000)) ms"
t_check "a download opened after the port filled: 64 MiB" test "$n" = $((64 * MIB))

# a port forward from the host into the guest: host data read for the
# guest while the other port is congested
ip netns exec "$LAB_GUEST" socat -u TCP-LISTEN:8090,reuseaddr - \
	>"$LAB_DIR/fwd.bin" &
wait_for_port "$LAB_GUEST" 8090 5
lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://qcw/services/forwarder/expose \
	-d '{"local":"127.0.0.1:18090","remote":"192.168.127.2:8090"}' >/dev/null
lab_net sh -c "head -c $((32 * MIB)) /dev/zero | timeout 40 socat -u - TCP:127.0.0.1:18090"
t_check "32 MiB through a port forward into the VM" \
	wait_until 20 sh -c "[ \$(stat -c %s '$LAB_DIR/fwd.bin') = $((32 * MIB)) ]"

t_check "the stuck VM's port is still congested (all of the above beside it)" \
	stuck_congested
t_check "... and frames for it were dropped, counted (TxDrops $(port_of "$STUCK" TxDrops))" \
	test "$(port_of "$STUCK" TxDrops)" -gt 0
t_check "qcw-net is alive" kill -0 "$LAB_BACKEND_PID"
t_summary
