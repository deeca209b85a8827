#!/usr/bin/env bash
# ssh.sh - issue 6 end to end: SSH tunnels from host unix sockets to unix
# sockets in the guest (-forward-sock/-dest/-user/-identity, Podman's flag
# layout) through a real OpenSSH sshd in the guest namespace, reached over
# the virtual network: 140 clients queued while sshd is absent (more than
# the 128 accepted, the rest wait in the backlog) are served once
# it appears; _ping through a unix-socket HTTP server; 50 parallel clients
# each get their own answer; 100 MB both ways keep their sha256; stalled
# readers hold little memory in qcw-net; half-close
# both ways; sshd killed and restarted: new connections work again; the
# API's ssh-tunnel:// expose and unexpose, with secure=true against a
# known_hosts file; a wrong key, a bad identity and an npipe socket end
# qcw-net with status 1 and a clear message.
# Exit: 0 pass, 1 fail, 77 skipped.
#
# QCW_NET_SSH_ATTEMPTS shortens the retry schedule (60 attempts, about a
# minute) for the wrong-key case; QCW_E2E_BIG_MB sets the transfer size.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox curl socat sha256sum ssh-keygen /usr/sbin/sshd
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

BIG_MB=${QCW_E2E_BIG_MB:-100}
GIP=192.168.127.2

lab_init ssh
H=$LAB_DIR/host   # host-side sockets
G=$LAB_DIR/guest  # guest-side sockets and files
mkdir -p "$H" "$G"
KEY=$LAB_DIR/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C qcw-e2e -f "$KEY"
ssh-keygen -q -t ed25519 -N '' -C qcw-e2e-wrong -f "$LAB_DIR/wrong_ed25519"
ssh-keygen -q -t ed25519 -N '' -C qcw-e2e-host -f "$LAB_DIR/host_ed25519"
mkdir -p /run/sshd # Debian's sshd wants its privilege separation dir
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
SSHD_PID=
start_sshd() {
	lab_spawn "$LAB_GUEST" "$LAB_DIR/sshd.log" /usr/sbin/sshd -D -e \
		-f "$LAB_DIR/sshd_config" -h "$LAB_DIR/host_ed25519"
	SSHD_PID=$LAB_PID
	wait_for_port "$LAB_GUEST" 22
}
# kill_sshd: the listener and the per-connection processes it forked (all
# in the guest namespace this test created)
kill_sshd() {
	local pid
	for pid in $(ip netns pids "$LAB_GUEST"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill "$pid"
	done
	wait "$SSHD_PID" 2>/dev/null
	wait_until 5 sh -c "! ip netns exec $LAB_GUEST ss -Hltn 'sport = :22' | grep -q ."
}

# ---- the guest's unix-socket servers ----
cat >"$LAB_DIR/http.sh" <<'EOF'
#!/bin/sh
# one HTTP/1.1 exchange on stdin/stdout: /_ping answers OK (as Podman's),
# any other path answers "OK <path>"
read -r method path proto
while read -r line; do
	[ -z "$(printf '%s' "$line" | tr -d '\r')" ] && break
done
[ "$path" = /_ping ] && body=OK || body="OK $path"
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#body}" "$body"
EOF
chmod +x "$LAB_DIR/http.sh"
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/big.bin"
WANT=$(sha256sum <"$LAB_DIR/big.bin" | cut -d' ' -f1)
lab_spawn "$LAB_GUEST" "$LAB_DIR/http.log" socat \
	UNIX-LISTEN:"$G/podman.sock",fork,mode=666,backlog=128 EXEC:"$LAB_DIR/http.sh"
lab_spawn "$LAB_GUEST" "$LAB_DIR/big.log" socat -U \
	UNIX-LISTEN:"$G/big.sock",fork,mode=666,backlog=128 OPEN:"$LAB_DIR/big.bin"
lab_spawn "$LAB_GUEST" "$LAB_DIR/up.log" socat -u \
	UNIX-LISTEN:"$G/up.sock",mode=666,backlog=128 OPEN:"$LAB_DIR/up.bin",creat,trunc
lab_spawn "$LAB_GUEST" "$LAB_DIR/echo.log" socat \
	UNIX-LISTEN:"$G/echo.sock",fork,mode=666,backlog=128 EXEC:cat
wait_for_file "$G/echo.sock"

# ---- qcw-net with Podman's flag layout, four tuples ----
names=(podman big up echo)
fwd=()
for n in "${names[@]}"; do fwd+=(-forward-dest "$G/$n.sock"); done
for n in "${names[@]}"; do fwd+=(-forward-user root); done
for n in "${names[@]}"; do fwd+=(-forward-identity "$KEY"); done
for n in "${names[@]}"; do fwd+=(-forward-sock "$H/$n.sock"); done
# secure=true reads $HOME/.ssh/known_hosts: a home of our own
mkdir -p "$LAB_DIR/home/.ssh"
start_qcw() { # start_qcw EXTRA_ARGS...: Podman's order, as lab_start_backend
	lab_spawn "$LAB_NET" "$LAB_DIR/qcw.out" env HOME="$LAB_DIR/home" "$QCW_NET" \
		-listen "unix://$LAB_DIR/ctl.sock" -mtu 1500 -ssh-port 2222 \
		-listen-qemu "unix://$LAB_SOCK" "$@" \
		${QCW_STACK:+-stack "$QCW_STACK"} \
		-pid-file "$LAB_DIR/qcw.pid" -log-file "$LAB_DIR/qcw.log"
	LAB_BACKEND_PID=$LAB_PID
	wait_for_file "$LAB_SOCK" || lab_die "qcw-net did not start"
}
ping_ok() { # ping_ok SOCK: Podman's readiness probe through the tunnel
	curl -sf --max-time "${2:-20}" --unix-socket "$1" http://d/_ping | grep -qx OK
}
alive() { kill -0 "$LAB_BACKEND_PID" 2>/dev/null; }

start_qcw "${fwd[@]}"
lab_start_bridge
lab_static_ip
t_check "host sockets exist at once (before any VM or sshd)" \
	test -S "$H/podman.sock" -a -S "$H/echo.sock"
t_check "host socket mode is 0600" test "$(stat -c %a "$H/podman.sock")" = 600

# clients while sshd is absent: queued (128 accepted, the rest in the
# kernel's backlog), all served once sshd appears
early=()
for i in $(seq 1 140); do
	curl -sf --max-time 40 --unix-socket "$H/podman.sock" \
		"http://d/early/$i" >"$LAB_DIR/early.$i" 2>&1 &
	early+=($!)
done
sleep 3
t_check "qcw-net retries while sshd is absent" \
	grep -q "retrying" "$LAB_DIR/qcw.log"
t_check "qcw-net still running while it retries" alive
start_sshd
for i in "${early[@]}"; do wait "$i"; done
early_ok() {
	local i bad=0
	for i in $(seq 1 140); do
		[ "$(cat "$LAB_DIR/early.$i")" = "OK /early/$i" ] || bad=$((bad + 1))
	done
	echo "$bad bad"
	[ $bad = 0 ]
}
t_check "140 clients queued while sshd was absent all got their answer" early_ok
t_check "curl --unix-socket $H/podman.sock http://d/_ping says OK" \
	ping_ok "$H/podman.sock"
t_check "log: session up" grep -q "session up" "$LAB_DIR/qcw.log"
metric() { # metric NAME: its value in GET /metrics (issue 18)
	curl -s --max-time 5 --unix-socket "$LAB_DIR/ctl.sock" http://d/metrics |
		awk -v n="$1" '$1 == n { print $2 }'
}
ssh_up_is() { [ "$(metric qcw_net_ssh_tunnel_sessions_up)" = "$1" ]; }
metrics_ssh() { # metrics_ssh TOTAL_MIN LOST_MIN FAILED_MIN
	[ "$(metric qcw_net_ssh_tunnel_sessions_total)" -ge "$1" ] &&
		[ "$(metric qcw_net_ssh_tunnel_sessions_lost_total)" -ge "$2" ] &&
		[ "$(metric qcw_net_ssh_tunnel_attempts_failed_total)" -ge "$3" ]
}
t_check "/metrics: the 4 tunnels' sessions up" wait_until 10 ssh_up_is 4
t_check "... 4 established, none lost, failed attempts while sshd was absent" \
	sh -c "[ $(metric qcw_net_ssh_tunnel_sessions_total) = 4 ] &&
		[ $(metric qcw_net_ssh_tunnel_sessions_lost_total) = 0 ]"
t_check "... failed attempts counted" metrics_ssh 4 0 4

# ---- 50 parallel clients, each its own answer ----
par() {
	local i pids=() bad=0
	for i in $(seq 1 50); do
		curl -sf --max-time 30 --unix-socket "$H/podman.sock" \
			"http://d/client/$i" >"$LAB_DIR/par.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
	for i in $(seq 1 50); do
		[ "$(cat "$LAB_DIR/par.$i")" = "OK /client/$i" ] || bad=$((bad + 1))
	done
	echo "$bad bad"
	[ $bad = 0 ]
}
t_check "50 parallel clients each get their own answer" par

# ---- 100 MB both ways, half-close ----
t0=$(date +%s%N)
got=$(socat -u UNIX-CONNECT:"$H/big.sock" - | sha256sum | cut -d' ' -f1)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# download: $BIG_MB MB in $ms ms"
t_check "download of $BIG_MB MB through the tunnel keeps its sha256" \
	test "$got" = "$WANT"
t_check "upload of $BIG_MB MB through the tunnel" \
	socat -u OPEN:"$LAB_DIR/big.bin" UNIX-CONNECT:"$H/up.sock"
wait_until 20 sh -c "[ \$(stat -c %s '$LAB_DIR/up.bin' 2>/dev/null || echo 0) -ge $((BIG_MB * 1024 * 1024)) ]"
got=$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)
t_check "upload keeps its sha256" test "$got" = "$WANT"
rm -f "$LAB_DIR/up.bin"
# slow readers: the guest's data waits in the SSH window, not in qcw-net
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$LAB_BACKEND_PID/status"; }
rss0=$(rss_kb)
slow=()
for i in 1 2 3 4; do
	(socat -u UNIX-CONNECT:"$H/big.sock" - | (sleep 4; sha256sum) |
		cut -d' ' -f1 >"$LAB_DIR/slow.$i") &
	slow+=($!)
done
sleep 3
rss1=$(rss_kb)
for i in "${slow[@]}"; do wait "$i"; done
echo "# RSS: ${rss0} kB before, ${rss1} kB with 4 stalled $BIG_MB MB downloads"
t_check "4 stalled downloads hold less than 32 MB in qcw-net" \
	test "$rss1" -lt $((rss0 + 32768))
t_check "... and then arrive whole" sh -c \
	"for i in 1 2 3 4; do [ \"\$(cat $LAB_DIR/slow.\$i)\" = $WANT ] || exit 1; done"
head -c 3000000 /dev/urandom >"$LAB_DIR/echo.in"
want_echo=$(sha256sum <"$LAB_DIR/echo.in" | cut -d' ' -f1)
got=$(timeout 30 socat -t 20 UNIX-CONNECT:"$H/echo.sock" - <"$LAB_DIR/echo.in" |
	sha256sum | cut -d' ' -f1)
t_check "half-close: our EOF reaches the guest, its reply after it arrives whole" \
	test "$got" = "$want_echo"

# ---- sshd killed and restarted ----
kill_sshd
t_check "qcw-net notices the lost session" \
	wait_until 5 grep -q "lost" "$LAB_DIR/qcw.log"
curl -sf --max-time 20 --unix-socket "$H/podman.sock" http://d/_ping \
	>"$LAB_DIR/restart.out" 2>&1 &
during=$!
sleep 1
start_sshd
wait $during
t_check "a client during the restart is served by the new sshd" \
	grep -qx OK "$LAB_DIR/restart.out"
t_check "new connections work after the restart" ping_ok "$H/podman.sock"
t_check "/metrics: sessions lost with sshd, new ones established" \
	metrics_ssh 5 1 4
t_check "50 parallel clients after the restart" par
t_check "a download after the restart keeps its sha256" sh -c \
	"[ \"\$(socat -u UNIX-CONNECT:$H/big.sock - | sha256sum | cut -d' ' -f1)\" = $WANT ]"

# ---- the API: expose unix -> ssh-tunnel:// ----
api() { # api PATH JSON
	curl -s -o "$LAB_DIR/api.out" -w '%{http_code}' --max-time 10 \
		--unix-socket "$LAB_DIR/ctl.sock" -X POST -d "$2" "http://d$1"
}
remote="ssh-tunnel://root@$GIP:22$G/podman.sock?key=$KEY"
t_check "expose unix -> $remote: 200" test "$(api /services/forwarder/expose \
	"{\"local\":\"$H/expo.sock\",\"remote\":\"$remote\",\"protocol\":\"unix\"}")" = 200
t_check "the exposed socket answers _ping" ping_ok "$H/expo.sock"
t_check "it is listed" sh -c "curl -s --unix-socket $LAB_DIR/ctl.sock http://d/services/forwarder/all | grep -q ssh-tunnel"
t_check "a bad ssh-tunnel remote is refused" test "$(api /services/forwarder/expose \
	"{\"local\":\"$H/bad.sock\",\"remote\":\"ssh-tunnel://root@$GIP/x\",\"protocol\":\"unix\"}")" != 200
t_check "unexpose: 200" test "$(api /services/forwarder/unexpose \
	"{\"local\":\"$H/expo.sock\",\"protocol\":\"unix\"}")" = 200
t_check "unexpose removed the socket" test ! -e "$H/expo.sock"
# secure=true: a known_hosts with another key for the guest is refused
echo "$GIP $(cut -d' ' -f1,2 "$LAB_DIR/wrong_ed25519.pub")" \
	>"$LAB_DIR/home/.ssh/known_hosts"
api /services/forwarder/expose "{\"local\":\"$H/sec.sock\",\"remote\":\"$remote&secure=true\",\"protocol\":\"unix\"}" >/dev/null
t_check "secure=true with a changed host key: no answer" \
	sh -c "! curl -sf --max-time 3 --unix-socket $H/sec.sock http://d/_ping"
t_check "... and the log says why" grep -q "host key changed" "$LAB_DIR/qcw.log"
api /services/forwarder/unexpose "{\"local\":\"$H/sec.sock\",\"protocol\":\"unix\"}" >/dev/null
echo "$GIP $(cut -d' ' -f1,2 "$LAB_DIR/host_ed25519.pub")" \
	>"$LAB_DIR/home/.ssh/known_hosts"
api /services/forwarder/expose "{\"local\":\"$H/sec.sock\",\"remote\":\"$remote&secure=true\",\"protocol\":\"unix\"}" >/dev/null
t_check "secure=true with the guest's key in known_hosts: OK" ping_ok "$H/sec.sock"
# a FIFO as known_hosts fails the check; it never blocks the loop
api /services/forwarder/unexpose "{\"local\":\"$H/sec.sock\",\"protocol\":\"unix\"}" >/dev/null
mv "$LAB_DIR/home/.ssh/known_hosts" "$LAB_DIR/home/.ssh/known_hosts.keep"
mkfifo "$LAB_DIR/home/.ssh/known_hosts"
api /services/forwarder/expose "{\"local\":\"$H/sec.sock\",\"remote\":\"$remote&secure=true\",\"protocol\":\"unix\"}" >/dev/null
curl -s --max-time 3 --unix-socket "$H/sec.sock" http://d/_ping >/dev/null 2>&1
t_check "secure=true with a FIFO as known_hosts: the API still answers" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
		--unix-socket "$LAB_DIR/ctl.sock" http://d/stats)" = 200
t_check "... and the log says known_hosts is not a regular file" \
	grep -q "known_hosts is not a regular file" "$LAB_DIR/qcw.log"
rm -f "$LAB_DIR/home/.ssh/known_hosts"
mv "$LAB_DIR/home/.ssh/known_hosts.keep" "$LAB_DIR/home/.ssh/known_hosts"

# ---- shutdown ----
t_check "qcw-net still running" alive
lab_stop_backend
t_check "SIGTERM with the tunnels up: exit status 0 (no handle left open)" \
	test "$LAB_BACKEND_RC" = 0
t_check "SIGTERM removed the host sockets" \
	test ! -e "$H/podman.sock" -a ! -e "$H/echo.sock"
lab_stop_bridge

# ---- a wrong key: exit 1 with a clear message after the retries ----
QCW_NET_SSH_ATTEMPTS=5 start_qcw -forward-sock "$H/w.sock" \
	-forward-dest "$G/podman.sock" -forward-user root \
	-forward-identity "$LAB_DIR/wrong_ed25519"
lab_start_bridge
t0=$(date +%s)
wait "$LAB_BACKEND_PID"
rc=$?
echo "# wrong key: exit $rc after $(($(date +%s) - t0)) s"
t_check "a wrong key ends qcw-net with status 1" test $rc = 1
t_check "... saying setupProxy failed, denied, for root@$GIP" sh -c \
	"grep 'setupProxy failed' '$LAB_DIR/qcw.log' | grep 'denied' | grep -q 'root.*$GIP'"
grep 'setupProxy failed' "$LAB_DIR/qcw.log" | sed 's/^/#   /'
t_check "... and removing its socket" test ! -e "$H/w.sock"
lab_stop_bridge

# ---- start-up errors ----
# startup_err PATTERN ARGS...: exit 1 and PATTERN logged. Leak checks are
# off here: the early-exit paths do not free the parsed flags (cmd/main.c),
# which an ASan build with abort_on_error would turn into an abort.
startup_err() {
	local pat=$1 out rc
	shift
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		ip netns exec "$LAB_NET" timeout 10 "$QCW_NET" -ssh-port -1 \
		-listen-qemu "unix://$LAB_DIR/x.sock" "$@" 2>&1)
	rc=$?
	[ $rc = 1 ] && printf '%s\n' "$out" | grep -q -- "$pat"
}
t_check "a missing identity file is a start-up error naming it" \
	startup_err "$LAB_DIR/nokey" -forward-sock "$H/e.sock" \
	-forward-dest /x -forward-user root -forward-identity "$LAB_DIR/nokey"
t_check "an identity that is not a key is a start-up error naming it" \
	startup_err "$LAB_DIR/http.sh" -forward-sock "$H/e.sock" \
	-forward-dest /x -forward-user root -forward-identity "$LAB_DIR/http.sh"
t_check "npipe:// is refused off Windows" \
	startup_err "named pipes" -forward-sock "npipe:////./pipe/podman-x" \
	-forward-dest /x -forward-user root -forward-identity "$KEY"
touch "$H/plain"
t_check "a regular file at the socket path is not replaced" \
	startup_err "not a socket" -forward-sock "$H/plain" \
	-forward-dest /x -forward-user root -forward-identity "$KEY"
t_check "... and is still there" test -f "$H/plain"
t_summary
