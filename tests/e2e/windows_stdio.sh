#!/usr/bin/env bash
# windows_stdio.sh - issue 14 under wine: the Windows build's WSL mode and
# its Hyper-V listener. WSL's gvforwarder starts gvproxy.exe through WSL
# interop as `gvproxy.exe -listen-stdio=accept -ssh-port=-1` and speaks
# 2-byte LE frames over its stdin/stdout, which are pipes on Windows. Here
# a wrapper stands in for the interop: it runs qcw-net.exe under wine64 in
# the loopback-only namespace with the caller's stdin/stdout (pipes from
# Linux, which wine hands the program as its std handles). Checked:
#  - tests/e2e/stdio_peer.py (the Linux stdio peer of transports.sh): an
#    ARP request in, the gateway's reply out on stdout, exit 0 at EOF;
#  - stdin closing before any frame also ends it (status 0);
#  - qcw-net-vm, the in-VM agent, in the guest namespace with WSL's exact
#    -url "stdio:<exe>?listen-stdio=accept&ssh-port=-1": it spawns the
#    wrapper, its tap gets a DHCP lease from busybox udhcpc, ping, DNS, a
#    download and an upload through NAT to a loopback server, intact; the
#    log on stderr, never on stdout; the agent stopped, the program exits 0;
#  - -listen vsock://GUID and vsock://PORT under wine (no AF_HYPERV): a
#    clear error naming AF_HYPERV and the service GUID, status 1;
#  - /connect (what a Hyper-V connection does after its accept) on a
#    tcp:// -listen under wine, 2-byte LE, and 4-byte BE with -listen-qemu.
# Exit: 0 pass, 1 fail, 77 skipped (no Windows build, no wine, not root).
#
# QCW_WIN_EXE, QCW_WIN_BUILD_DIR, QCW_WINE: as in windows_wine.sh.
# BIG_MB: the download and upload size (default 20).

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat sha256sum dig
: "${QCW_WIN_BUILD_DIR:=$LAB_SRC_ROOT/build-win}"
: "${QCW_WIN_EXE:=$QCW_WIN_BUILD_DIR/qcw-net.exe}"
QCW_WINE=${QCW_WINE-/usr/lib/wine/wine64}
[ -f "$QCW_WIN_EXE" ] || lab_skip "no Windows build ($QCW_WIN_EXE; scripts/build-windows.sh makes it)"
[ -x "$QCW_WINE" ] || lab_skip "wine64 not installed ($QCW_WINE)"
: "${QCW_NET_VM:=$(dirname "$QCW_NET")/vsock/qcw-net-vm}"
[ -x "$QCW_NET_VM" ] || lab_skip "qcw-net-vm not built ($QCW_NET_VM)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=192.168.127.254
BIG_MB=${BIG_MB:-20}
GUID=00000400-FACB-11E6-BD58-64006A7986D3

lab_init winstdio
export WINEPREFIX=$LAB_DIR/wineprefix WINEDEBUG=-all
wine_stop() {
	lab_net env WINEPREFIX="$WINEPREFIX" \
		"$(dirname "$QCW_WINE")/wineserver" -k 2>/dev/null
	return 0
}
lab_defer wine_stop

# ---- the wrapper: "gvproxy.exe" as WSL interop runs it ----
# stderr (the log) goes to a file of its own: stdout carries frames only
EXE=$LAB_DIR/gvproxy.exe
cat >"$EXE" <<WRAP
#!/bin/sh
echo "\$@" >"$LAB_DIR/exe-args"
exec ip netns exec $LAB_NET env WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all \
	"$QCW_WINE" "$QCW_WIN_EXE" "\$@" 2>>"$LAB_DIR/exe.err"
WRAP
chmod +x "$EXE"

# the first start makes the wine prefix (and must not see the stdio pipes)
has_version() { lab_net "$QCW_WINE" "$QCW_WIN_EXE" -version 2>&1 | grep -q version; }
t_check "qcw-net.exe -version (wine prefix made)" has_version

# ---- Hyper-V listener: wine has no AF_HYPERV ----
for url in "vsock://$GUID" vsock://1024; do
	lab_net timeout 60 "$QCW_WINE" "$QCW_WIN_EXE" -ssh-port -1 \
		-listen "$url" >"$LAB_DIR/hv.out" 2>&1
	rc=$?
	t_check "-listen $url under wine: exit status 1 (got $rc)" test $rc = 1
	t_check "... naming AF_HYPERV and the service $GUID" sh -c \
		"grep 'AF_HYPERV' '$LAB_DIR/hv.out' | grep -q '$GUID'"
done

# ---- /connect on Windows: the path a Hyper-V connection takes after its
# accept (the hijacked SOCKET opened by uv_tcp_open), here over tcp:// ----
APORT=${QCW_WINE_API_PORT:-25642}
QPORT=${QCW_WINE_QEMU_PORT:-25641}
connect_check() { # connect_check FRAMING [ARGS...]: qcw-net.exe, one peer
	local mode=$1
	shift
	lab_spawn "$LAB_NET" "$LAB_DIR/connect.out" "$QCW_WINE" "$QCW_WIN_EXE" \
		-ssh-port -1 -listen "tcp://127.0.0.1:$APORT" "$@"
	local pid=$LAB_PID
	wait_for_port "$LAB_NET" "$APORT" 60 &&
		lab_net python3 "$HERE/connect_peer.py" "$mode" "tcp:127.0.0.1:$APORT"
	local rc=$?
	lab__kill $pid
	return $rc
}
t_check "/connect under wine: ARP with 2-byte LE frames (no -listen-qemu)" \
	connect_check le16
t_check "/connect under wine: 4-byte BE frames with -listen-qemu" \
	connect_check be32 -listen-qemu "tcp://127.0.0.1:$QPORT"

# ---- the Linux stdio peer through wine's stdin/stdout ----
t_check "stdio_peer.py: ARP over wine's stdin/stdout (2-byte LE), exit 0 at EOF" \
	python3 "$HERE/stdio_peer.py" "$EXE"
t_check "... the arguments were WSL's" \
	grep -qx -- "-listen-stdio accept -ssh-port -1" "$LAB_DIR/exe-args"
: >"$LAB_DIR/exe.err"
rc=0
true | timeout 60 "$EXE" -listen-stdio=accept -ssh-port=-1 >"$LAB_DIR/empty.out" || rc=$?
t_check "stdin closed before any frame: exit status 0 (got $rc)" test $rc = 0
t_check "... nothing on stdout" test ! -s "$LAB_DIR/empty.out"
t_check "... the log (stderr) says why" grep -q 'stdin closed, exiting' "$LAB_DIR/exe.err"

# ---- WSL's gvforwarder command line: qcw-net-vm spawning the program ----
mkdir -p "$LAB_DIR/www"
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/big.bin"
want=$(sha256sum <"$LAB_DIR/www/big.bin" | cut -d' ' -f1)
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080
lab_spawn "$LAB_NET" "$LAB_DIR/up.log" socat -u \
	TCP-LISTEN:8081,bind=127.0.0.1,reuseaddr OPEN:"$LAB_DIR/up.bin",creat,trunc
wait_for_port "$LAB_NET" 8081

# the agent makes its own tap: the lab's pre-made one goes
ip -n "$LAB_GUEST" link del "$LAB_TAP"
LEASE=$LAB_DIR/lease.env
DHCP="busybox udhcpc -f -q -n -t 10 -T 3 -A 1 -O mtu -i %i -s $LAB_LIB_DIR/udhcpc.script"
: >"$LAB_DIR/exe.err"
lab_spawn "" "$LAB_DIR/agent.log" ip netns exec "$LAB_GUEST" env \
	LAB_LEASE_FILE="$LEASE" LAB_RESOLV=/dev/null "$QCW_NET_VM" \
	-iface podman-usermode -stop-if-exist ignore -dhcp-cmd "$DHCP" \
	-url "stdio:$EXE?listen-stdio=accept&ssh-port=-1"
APID=$LAB_PID
lease_is() { grep -q "^ip='$LAB_GUEST_IP'" "$LEASE" 2>/dev/null; }
if ! t_check "stdio: busybox udhcpc on the agent's tap gets $LAB_GUEST_IP" \
	wait_until 90 lease_is; then
	cat "$LAB_DIR/agent.log" "$LAB_DIR/exe.err" >&2
fi
t_check "... the program got -listen-stdio=accept -ssh-port=-1" \
	grep -qx -- "-listen-stdio=accept -ssh-port=-1" "$LAB_DIR/exe-args"
t_check "... it logged to stderr that frames are on stdin/stdout" \
	grep -q 'stdio: frames on stdin/stdout' "$LAB_DIR/exe.err"
t_check "ping the gateway" lab_guest ping -c 3 -i 0.2 -W 2 $LAB_GW
t_check "DNS: host.containers.internal is $HOST" sh -c \
	"ip netns exec $LAB_GUEST dig +short +time=3 +tries=2 @$LAB_GW host.containers.internal | grep -qx $HOST"
t0=$(date +%s.%N)
got=$(lab_guest curl -sf --max-time 300 "http://$HOST:8080/big.bin" | sha256sum | cut -d' ' -f1)
t1=$(date +%s.%N)
t_check "download of $BIG_MB MB through NAT keeps its sha256 ($(awk -v m="$BIG_MB" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }') MB/s)" \
	test "$got" = "$want"
t_check "upload of $BIG_MB MB" lab_guest timeout 300 socat -u \
	OPEN:"$LAB_DIR/www/big.bin" TCP:$HOST:8081
wait_until 20 sh -c "[ \$(stat -c %s '$LAB_DIR/up.bin' 2>/dev/null || echo 0) -ge $((BIG_MB * 1024 * 1024)) ]"
t_check "upload keeps its sha256" \
	test "$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)" = "$want"

# ---- the agent goes away: stdin closes, the program exits 0 ----
lab__kill $APID
t_check "agent stopped: qcw-net.exe sees stdin close and exits 0" \
	wait_until 30 grep -q 'qcw-net exiting (status 0)' "$LAB_DIR/exe.err"
t_summary
