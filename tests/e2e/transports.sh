#!/usr/bin/env bash
# transports.sh - gvproxy's message transports: vfkit/krunkit's unixgram
# socket (-listen-vfkit unixgram://, the "VFKT" handshake, peer learnt from
# its first datagram) and User-Mode Linux's BESS seqpacket socket
# (-listen-bess unixpacket://): frames in and out, bad messages dropped,
# exit when the BESS peer leaves; and WSL's -listen-stdio.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd python3
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
t_summary
