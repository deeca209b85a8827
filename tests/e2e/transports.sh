#!/usr/bin/env bash
# transports.sh - gvproxy's message transports: vfkit/krunkit's unixgram
# socket (-listen-vfkit unixgram://, the "VFKT" handshake, peer learnt from
# its first datagram) and User-Mode Linux's BESS seqpacket socket
# (-listen-bess unixpacket://): frames in and out, bad messages dropped,
# exit when the BESS peer leaves; and WSL's -listen-stdio. Then every
# handle closed by its owner: with transports and services up (QEMU and
# vfkit sockets, -listen, -services, the ssh-port forward, an SSH tunnel
# retrying, a VM with a lease) SIGTERM exits 0 without a "leak:" line,
# and a handle left open on purpose (QCW_TEST_LEAK_HANDLE=1) is named
# and makes the exit status 70.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd python3 curl
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
PEER="python3 $(dirname "${BASH_SOURCE[0]}")/dgram_peer.py"

lab_init transports
lab_spawn "$LAB_NET" "$LAB_DIR/vfkit.log" "$QCW_NET" -ssh-port -1 \
	-listen-vfkit "unixgram://$LAB_DIR/vfkit.sock"
VPID=$LAB_PID
wait_for_file "$LAB_DIR/vfkit.sock"
t_check "vfkit: the socket is mode 0600" test "$(stat -c %a "$LAB_DIR/vfkit.sock")" = 600
t_check "vfkit: handshake, ARP answered, short message dropped" \
	$PEER vfkit "$LAB_DIR/vfkit.sock" "$LAB_DIR/vm.sock"
t_check "vfkit: peer learnt and logged" grep -q "vfkit: peer" "$LAB_DIR/vfkit.log"
t_check "vfkit: still running" kill -0 $VPID
lab__kill $VPID
t_check "vfkit: socket removed at exit" test ! -e "$LAB_DIR/vfkit.sock"

lab_spawn "$LAB_NET" "$LAB_DIR/bess.log" "$QCW_NET" -ssh-port -1 \
	-listen-bess "unixpacket://$LAB_DIR/bess.sock"
BPID=$LAB_PID
wait_for_file "$LAB_DIR/bess.sock"
t_check "bess: ARP answered, short message dropped" \
	$PEER bess "$LAB_DIR/bess.sock"
t_check "bess: qcw-net exits when the peer leaves" \
	wait_until 5 sh -c "! kill -0 $BPID 2>/dev/null"
t_check "-listen-bess with a wrong scheme is refused" \
	sh -c "! '$QCW_NET' -ssh-port -1 -listen-bess unix://$LAB_DIR/x.sock"
t_check "stdio: ARP over stdin/stdout (2-byte LE), exit 0 at EOF" \
	lab_net python3 "$(dirname "${BASH_SOURCE[0]}")/stdio_peer.py" "$QCW_NET"
t_check "stdio: stdin closed before any frame: exit 0 (no waiting)" \
	lab_net sh -c "true | timeout 10 '$QCW_NET' -listen-stdio accept -ssh-port -1 >/dev/null 2>&1"

# ---- every handle closed by its owner ----
all_args=(-listen "unix://$LAB_DIR/api.sock" -services "unix://$LAB_DIR/svc.sock"
	-listen-vfkit "unixgram://$LAB_DIR/vfkit2.sock")
if command -v ssh-keygen >/dev/null; then
	ssh-keygen -q -t ed25519 -N '' -f "$LAB_DIR/id_ed25519"
	# no sshd in the guest: the tunnel keeps retrying until the end
	all_args+=(-forward-sock "$LAB_DIR/tunnel.sock" -forward-dest /x.sock
		-forward-user root -forward-identity "$LAB_DIR/id_ed25519")
fi
lab_start_backend qcw "${all_args[@]}"
lab_start_bridge
t_check "all transports and services: the VM gets a lease" lab_dhcp
t_check "... and the API answers on -listen" lab_net curl -sf -o /dev/null \
	--unix-socket "$LAB_DIR/api.sock" http://qcw/stats
t_check "... and on -services" lab_net curl -sf -o /dev/null \
	--unix-socket "$LAB_DIR/svc.sock" http://qcw/services/forwarder/all
lab_stop_backend
t_check "SIGTERM with every transport and service up: exit status 0" \
	test "$LAB_BACKEND_RC" = 0
t_check "... and no handle left open (no leak: line)" sh -c \
	"! grep -q 'leak:' '$LAB_DIR/qcw.log'"
lab_stop_bridge

QCW_TEST_LEAK_HANDLE=1 lab_start_backend qcw "${all_args[@]}"
lab_stop_backend
t_check "a handle left open on purpose is logged as a leak" sh -c \
	"grep 'leak: a timer handle was not closed by its owner' '$LAB_DIR/qcw.log'"
t_check "... and the exit status is 70" test "$LAB_BACKEND_RC" = 70
# that leak was the test's own: keep it out of t_summary's check
mv "$LAB_DIR/qcw.log" "$LAB_DIR/leak-test.txt"
t_summary
