#!/usr/bin/env bash
# connect.sh - /connect exactly as gvproxy speaks it, and -listen-vpnkit.
# A VM of the tests' own (connect_peer.py) POSTs /connect on qcw-net's
# -listen socket and sends an ARP request for the gateway: 2-byte LE
# framing when no other transport is given, QEMU's 4-byte BE with
# -listen-qemu, no prefix with -listen-bess / -listen-vfkit (gvproxy's
# stack protocol rule); -services has no /connect. vpnkit: the handshake
# (init echoed, UUID -> MAC 5a:94:ef:e4:0c:ee, the -mtu offered), then
# 2-byte LE frames; several VMs one after another; a peer that stops
# halfway or sends an unknown command is dropped while qcw-net lives on,
# and at most 16 unfinished handshakes are held;
# qemu+vpnkit is refused with gvproxy's message. vsock endpoints: the
# AF_VSOCK port held, the macOS null form served, a foreign CID refused.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd python3 curl
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
PEER="python3 $(dirname "${BASH_SOURCE[0]}")/connect_peer.py"

lab_init connect
stack=(${QCW_STACK:+-stack "$QCW_STACK"})

# run_qcw NAME ARGS...: qcw-net in the loopback-only namespace, its API on
# $LAB_DIR/NAME.sock; sets QPID
run_qcw()
{
	local name=$1
	shift
	rm -f "$LAB_DIR/$name.sock"
	lab_spawn "$LAB_NET" "$LAB_DIR/$name.log" "$QCW_NET" -ssh-port -1 \
		"${stack[@]}" -listen "unix://$LAB_DIR/$name.sock" "$@"
	QPID=$LAB_PID
	wait_for_file "$LAB_DIR/$name.sock"
}

run_qcw le16 -services "unix://$LAB_DIR/le16-svc.sock"
t_check "/connect without another transport: 2-byte LE framing" \
	$PEER le16 "$LAB_DIR/le16.sock"
t_check "... twice (a VM reconnecting)" $PEER le16 "$LAB_DIR/le16.sock"
t_check "... the framing is logged" grep -q "/connect framing: 2-byte little-endian" "$LAB_DIR/le16.log"
t_check "-services has no /connect (404)" test "$(curl -s -o /dev/null \
	-w '%{http_code}' -X POST --unix-socket "$LAB_DIR/le16-svc.sock" \
	http://qcw/connect)" = 404
t_check "qcw-net still running" kill -0 $QPID
lab__kill $QPID

run_qcw be32 -listen-qemu "unix://$LAB_DIR/qemu.sock"
t_check "/connect with -listen-qemu: QEMU's 4-byte BE framing" \
	$PEER be32 "$LAB_DIR/be32.sock"
lab__kill $QPID

run_qcw raw -listen-bess "unixpacket://$LAB_DIR/bess.sock"
t_check "/connect with -listen-bess: no length prefix" \
	$PEER raw "$LAB_DIR/raw.sock"
lab__kill $QPID
run_qcw rawv -listen-vfkit "unixgram://$LAB_DIR/vfkit.sock"
t_check "/connect with -listen-vfkit: no length prefix" \
	$PEER raw "$LAB_DIR/rawv.sock"
lab__kill $QPID

# ---- vsock endpoints (no vsock connection can be made on this machine:
# no vsock_loopback, no vhost_vsock; see README) ----
VPORT=$((20000 + $$ % 20000))
mkdir -p "$LAB_DIR/vmdir"
run_qcw vs -listen "vsock://:$VPORT" -listen "vsock://null:$VPORT/$LAB_DIR/vmdir"
t_check "-listen vsock://:$VPORT: qcw-net holds the AF_VSOCK port" python3 -c "
import errno, socket, sys
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
try:
    s.bind((socket.VMADDR_CID_ANY, $VPORT))
except OSError as e:
    sys.exit(0 if e.errno == errno.EADDRINUSE else 1)
sys.exit(1)"
t_check "-listen vsock://null:PORT/DIR is the unix socket DIR/00000002.%08x" \
	test -S "$LAB_DIR/vmdir/$(printf '00000002.%08x' $VPORT)"
t_check "... serving /connect (2-byte LE)" \
	$PEER le16 "$LAB_DIR/vmdir/$(printf '00000002.%08x' $VPORT)"
lab__kill $QPID
t_check "-listen vsock://2:PORT (not this machine's CID) is refused with the reason" sh -c \
	"'$QCW_NET' -ssh-port -1 -listen vsock://2:$VPORT 2>&1 | grep -q \"that CID is not this machine's\"; test \$? = 0"

# ---- vpnkit ----
run_qcw vk -mtu 4000 -listen-vpnkit "unix://$LAB_DIR/vpnkit.sock"
wait_for_file "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: handshake (MTU 4000, the UUID's MAC), then ARP in 2-byte LE" \
	$PEER vpnkit "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: a second VM after the first left" \
	$PEER vpnkit "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: a peer that leaves halfway is forgotten" \
	$PEER vpnkit-short "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: an unknown command closes the connection" \
	$PEER vpnkit-badcmd "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: the handshake is logged" \
	grep -q "vpnkit handshake done: VM c3d68012-0208-11ea-9fd7-f2189899ab08 gets MAC 5a:94:ef:e4:0c:ee, MTU 4000" "$LAB_DIR/vk.log"
t_check "vpnkit: a third VM still served" $PEER vpnkit "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: 16 stalled handshakes: the 17th is refused, then served once they go" \
	$PEER vpnkit-stall "$LAB_DIR/vpnkit.sock"
t_check "vpnkit: qcw-net still running" kill -0 $QPID
lab__kill $QPID
t_check "vpnkit: SIGTERM exit 0" test "$LAB_KILL_RC" = 0
t_check "vpnkit: socket removed at exit" test ! -e "$LAB_DIR/vpnkit.sock"
t_check "-listen-qemu with -listen-vpnkit is refused as gvproxy does (exit 1)" sh -c \
	"'$QCW_NET' -ssh-port -1 -listen-qemu unix://$LAB_DIR/q2.sock -listen-vpnkit unix://$LAB_DIR/v2.sock 2>&1 | grep -q 'cannot use qemu and vpnkit protocol at the same time'; test \$? = 0"
t_summary
