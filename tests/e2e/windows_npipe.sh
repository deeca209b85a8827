#!/usr/bin/env bash
# windows_npipe.sh - issue 14, item 1: named-pipe forwards of the Windows
# build (qcw-net.exe under wine64, serving the Linux lab guest over
# -listen-qemu tcp://, as windows_wine.sh). A real OpenSSH sshd runs in the
# guest namespace (as ssh.sh), a socat echo listens on a unix socket there.
# Checked, with the tests' own Windows client (build-win/tests/
# npipe_client.exe, run under wine too): -forward-sock npipe:////./pipe/X
# with -forward-dest/-user/-identity carries a pipe client to the guest's
# unix socket over SSH (direct-streamlocal); 20 clients in parallel; 20 MB
# both ways intact (every byte compared); the pipe's DACL is SYSTEM,
# Administrators and the current user only; sshd killed and restarted:
# the session reconnects for new clients; `qcw-net expose --protocol
# npipe` (the Linux CLI against the Windows daemon's tcp:// API) forwards
# a pipe to a guest TCP port, `list` shows it, `unexpose` removes it; a
# pipe name another program serves is a clear error and exit status 1,
# except \\.\pipe\docker_engine, which is skipped with a warning (gvproxy's
# rule). wine and everything it starts run inside the loopback-only
# namespace.
# Exit: 0 pass, 1 fail, 77 skipped (no Windows build, no wine, not root).
#
# QCW_WIN_BUILD_DIR (default build-win in the source tree), QCW_WINE (the
# wine loader, default /usr/lib/wine/wine64), QCW_E2E_BIG_MB (20).

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox socat ssh-keygen /usr/sbin/sshd
: "${QCW_WIN_BUILD_DIR:=$LAB_SRC_ROOT/build-win}"
EXE=$QCW_WIN_BUILD_DIR/qcw-net.exe
CLIENT=$QCW_WIN_BUILD_DIR/tests/npipe_client.exe
QCW_WINE=${QCW_WINE-/usr/lib/wine/wine64}
[ -f "$EXE" ] || lab_skip "no Windows build ($EXE; scripts/build-windows.sh makes it)"
[ -f "$CLIENT" ] || lab_skip "no npipe_client.exe in $QCW_WIN_BUILD_DIR/tests"
[ -x "$QCW_WINE" ] || lab_skip "wine64 not installed ($QCW_WINE)"
[ -x "$QCW_NET" ] || lab_skip "the Linux qcw-net (the CLI) is not built ($QCW_NET)"
grep -q 'QCW_HAVE_SSH 1' "$QCW_WIN_BUILD_DIR/qcw_config.h" 2>/dev/null ||
	lab_skip "the Windows build has no libssh"

BIG_MB=${QCW_E2E_BIG_MB:-20}
GIP=192.168.127.2
QPORT=${QCW_WINE_QEMU_PORT:-25641}
APORT=${QCW_WINE_API_PORT:-25642}
P=qcw-e2e-$$ # pipe names of this run

lab_init npipe
export WINEPREFIX=$LAB_DIR/wineprefix WINEDEBUG=-all
winpath() { printf 'Z:%s' "${1//\//\\}"; }
win() { lab_net "$QCW_WINE" "$EXE" "$@"; }
client() { lab_net timeout 300 "$QCW_WINE" "$CLIENT" "$@"; }
cli() { lab_net "$QCW_NET" "$@" --socket "tcp://127.0.0.1:$APORT"; }
# timed_echo LABEL ARGS...: a client run whose wall time is written to
# $LAB_DIR/times (printed at the end; wine's start-up included)
timed_echo() {
	local label=$1 t0 rc
	shift
	t0=$(date +%s%N)
	client echo "$@"
	rc=$?
	echo "# $label: $(((($(date +%s%N) - t0) / 1000000))) ms (rc $rc)" >>"$LAB_DIR/times"
	return $rc
}
wine_stop() {
	lab_net env WINEPREFIX="$WINEPREFIX" \
		"$(dirname "$QCW_WINE")/wineserver" -k 2>/dev/null
	return 0
}
lab_defer wine_stop

G=$LAB_DIR/guest
mkdir -p "$G"
KEY=$LAB_DIR/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C qcw-e2e -f "$KEY"
ssh-keygen -q -t ed25519 -N '' -C qcw-e2e-host -f "$LAB_DIR/host_ed25519"
mkdir -p /run/sshd
cat >"$LAB_DIR/sshd_config" <<EOF
ListenAddress $GIP:22
HostKey $LAB_DIR/host_ed25519
AuthorizedKeysFile $KEY.pub
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowStreamLocalForwarding yes
PidFile none
LogLevel VERBOSE
EOF

# the first start makes the wine prefix (several seconds)
has_version() { win -version 2>&1 | grep -q 'version'; }
t_check "qcw-net.exe -version" has_version

# ---- a taken pipe name: a clear error, status 1 ----
lab_spawn "$LAB_NET" "$LAB_DIR/hold.out" "$QCW_WINE" "$CLIENT" hold "\\\\.\\pipe\\$P-held" 120
wait_until 30 grep -q holding "$LAB_DIR/hold.out" || lab_die "the pipe holder did not start"
lab_spawn "$LAB_NET" "$LAB_DIR/hold2.out" "$QCW_WINE" "$CLIENT" hold '\\.\pipe\docker_engine' 600
wait_until 30 grep -q holding "$LAB_DIR/hold2.out" || lab_die "the docker_engine holder did not start"
lab_net timeout 60 "$QCW_WINE" "$EXE" -listen-qemu "tcp://127.0.0.1:$((QPORT + 2))" \
	-ssh-port -1 -forward-sock "npipe:////./pipe/$P-held" -forward-dest "$G/echo.sock" \
	-forward-user root -forward-identity "$(winpath "$KEY")" >"$LAB_DIR/taken.out" 2>&1
rc=$?
t_check "a taken pipe name: exit status 1 (got $rc)" test $rc = 1
t_check "... saying the name is taken" grep -q "pipe.*taken" "$LAB_DIR/taken.out"
# the same tuple from -config's forwards (gvproxy's socket/dest/user/identity)
cat >"$LAB_DIR/taken.yaml" <<EOF
interfaces:
  qemu: tcp://127.0.0.1:$((QPORT + 3))
forwards:
  - socket: npipe:////./pipe/$P-held
    dest: $G/echo.sock
    user: root
    identity: $(winpath "$KEY")
EOF
lab_net timeout 60 "$QCW_WINE" "$EXE" -config "$(winpath "$LAB_DIR/taken.yaml")" \
	>"$LAB_DIR/taken-config.out" 2>&1
rc=$?
t_check "-config forwards: the same taken pipe, exit status 1 (got $rc)" test $rc = 1
t_check "... saying the name is taken" grep -q "pipe.*taken" "$LAB_DIR/taken-config.out"

# ---- the guest: sshd and a unix-socket echo server ----
lab_spawn "$LAB_GUEST" "$LAB_DIR/echo.log" socat \
	UNIX-LISTEN:"$G/echo.sock",fork,mode=666,backlog=128 EXEC:cat
wait_for_file "$G/echo.sock"

# ---- qcw-net.exe: Podman's WSL/QEMU layout, an npipe forward socket ----
# (and \\.\pipe\docker_engine, held above: skipped, as gvproxy does)
lab_spawn "$LAB_NET" "$LAB_DIR/qcw.out" "$QCW_WINE" "$EXE" \
	-listen-qemu "tcp://127.0.0.1:$QPORT" -listen "tcp://127.0.0.1:$APORT" \
	-ssh-port -1 -mtu 1500 -log-file "$(winpath "$LAB_DIR/qcw.log")" \
	-forward-sock "npipe:////./pipe/$P" -forward-dest "$G/echo.sock" \
	-forward-user root -forward-identity "$(winpath "$KEY")" \
	-forward-sock "npipe:////./pipe/docker_engine" -forward-dest "$G/echo.sock" \
	-forward-user root -forward-identity "$(winpath "$KEY")"
LAB_BACKEND_PID=$LAB_PID
wait_for_port "$LAB_NET" "$QPORT" 60 ||
	{ cat "$LAB_DIR/qcw.out" "$LAB_DIR/qcw.log" >&2; lab_die "qcw-net.exe did not listen on $QPORT"; }
lab_start_bridge_tcp "127.0.0.1:$QPORT"
lab_static_ip
start_sshd() {
	lab_spawn "$LAB_GUEST" "$LAB_DIR/sshd.log" /usr/sbin/sshd -D -e \
		-f "$LAB_DIR/sshd_config" -h "$LAB_DIR/host_ed25519"
	SSHD_PID=$LAB_PID
	wait_for_port "$LAB_GUEST" 22
}
# kill_sshd: the listener and the per-connection processes it forked (all
# in the guest namespace this test created), as ssh.sh
kill_sshd() {
	local pid
	for pid in $(ip netns pids "$LAB_GUEST"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill "$pid"
	done
	wait "$SSHD_PID" 2>/dev/null
	wait_until 5 sh -c "! ip netns exec $LAB_GUEST ss -Hltn 'sport = :22' | grep -q ."
}
start_sshd

t_check "docker_engine taken: skipped with a warning, qcw-net.exe runs on" \
	sh -c "grep -q 'docker_engine.*skipped' '$LAB_DIR/qcw.log' && kill -0 $LAB_BACKEND_PID"
t_check "one pipe client reaches the guest's unix socket over SSH (64 KiB echoed)" \
	client echo "\\\\.\\pipe\\$P" 1 65536
t_check "log: session up" wait_until 10 grep -q "session up" "$LAB_DIR/qcw.log"
t_check "20 pipe clients in parallel, 1 MB each echoed intact" \
	timed_echo "ssh: 20 clients x 1 MB both ways" "\\\\.\\pipe\\$P" 20 1048576
t_check "$BIG_MB MB through the pipe and back, every byte intact" \
	timed_echo "ssh: $BIG_MB MB both ways" "\\\\.\\pipe\\$P" 1 $((BIG_MB * 1024 * 1024))
sddl=$(client sddl "\\\\.\\pipe\\$P" | tr -d '\r')
echo "# the pipe's DACL: $sddl"
dacl_ok() {
	[[ $sddl == D:* && $sddl == *"(A;;"*";;;SY)"* && $sddl == *"(A;;"*";;;BA)"* &&
		$sddl == *"(A;;"*";;;S-1-5-21-"* && $sddl != *";;;WD)"* && $sddl != *";;;AN)"* ]]
}
t_check "the pipe's DACL: SYSTEM, Administrators and the user only" dacl_ok

# ---- the session lost (sshd killed) and reconnected (sshd back) ----
kill_sshd
start_sshd
t_check "after sshd restarted, a new pipe client works (the session reconnects)" \
	client echo "\\\\.\\pipe\\$P" 2 65536
t_check "log: the session was lost and came up again" \
	sh -c "grep -q 'session to .* lost' '$LAB_DIR/qcw.log' && [ \$(grep -c 'session up' '$LAB_DIR/qcw.log') -ge 2 ]"

# ---- expose --protocol npipe -> a guest TCP port ----
lab_spawn "$LAB_GUEST" "$LAB_DIR/techo.log" socat \
	TCP-LISTEN:7777,bind=$GIP,fork,reuseaddr,backlog=128 EXEC:cat
wait_for_port "$LAB_GUEST" 7777
t_check "qcw-net expose --protocol npipe (Linux CLI, Windows daemon)" \
	cli expose --protocol npipe --local "npipe:////./pipe/$P-tcp" --remote "tcp://$GIP:7777"
listed() { cli list | grep -F "npipe:////./pipe/$P-tcp" | grep -q "tcp://$GIP:7777"; }
t_check "qcw-net list shows it" listed
t_check "the exposed pipe reaches the guest's TCP port: 20 clients, 1 MB each intact" \
	timed_echo "tcp: 20 clients x 1 MB both ways" "\\\\.\\pipe\\$P-tcp" 20 1048576
t_check "... and $BIG_MB MB intact" \
	timed_echo "tcp: $BIG_MB MB both ways" "\\\\.\\pipe\\$P-tcp" 1 $((BIG_MB * 1024 * 1024))
t_check "an exposed pipe name that is taken: a clear error" \
	sh -c "ip netns exec $LAB_NET $QCW_NET expose --socket tcp://127.0.0.1:$APORT --protocol npipe --local 'npipe:////./pipe/$P-held' --remote tcp://$GIP:7777 2>&1 | grep -q 'taken'"
t_check "qcw-net unexpose --protocol npipe" \
	cli unexpose --protocol npipe --local "npipe:////./pipe/$P-tcp"
gone() { ! cli list | grep -qF "$P-tcp"; }
t_check "... gone from the list" gone
pipe_gone() { ! client echo "\\\\.\\pipe\\$P-tcp" 1 10 >/dev/null 2>&1; }
t_check "... and the pipe is gone (the client cannot open it)" pipe_gone
t_check "qcw-net.exe still running" kill -0 "$LAB_BACKEND_PID"

kill -INT "$LAB_BACKEND_PID" 2>/dev/null
for ((i = 0; i < 200; i++)); do
	kill -0 "$LAB_BACKEND_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$LAB_BACKEND_PID" 2>/dev/null
rc=$?
LAB_BACKEND_PID=
t_check "clean shutdown: exit status 0 (got $rc)" test $rc = 0
cat "$LAB_DIR/times" 2>/dev/null
t_summary
