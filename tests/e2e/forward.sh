#!/usr/bin/env bash
# forward.sh - issue 5 end to end: Podman's gvproxy command line starts
# qcw-net; `qcw-net expose/unexpose/list` over the API socket forward host
# ports (TCP, UDP, unix) into the guest; the in-VM API at 192.168.127.1
# exposes a guest port the way Podman's libpod does; bad API input gets the
# right status and the daemon keeps serving.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox curl python3 dig dnsmasq socat
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

GUEST=192.168.127.2
api() { # api PATH [curl args]: the host API socket, in qcw-net's namespace
	local path=$1
	shift
	lab_net curl -s --unix-socket "$LAB_DIR/api.sock" "$@" "http://qcw$path"
}
cli() { lab_net "$QCW_NET" "$@" --socket "unix://$LAB_DIR/api.sock"; }
code() { # code PATH [curl args]: HTTP status of an API request
	api "$1" -o /dev/null -w '%{http_code}' "${@:2}"
}

lab_init forward

# ---- Podman's command line (QEMU provider), paths aside ----
ssh-keygen -q -t ed25519 -N '' -f "$LAB_DIR/machine" >/dev/null
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock" -mtu 1500 \
	-ssh-port 30022 -forward-sock "$LAB_DIR/podman-api.sock" \
	-forward-dest /run/podman/podman.sock -forward-user root \
	-forward-identity "$LAB_DIR/machine"
t_check "socket files appear (readiness signal)" \
	wait_until 5 test -S "$LAB_DIR/api.sock"
t_check "pid file written" wait_until 5 test -s "$LAB_DIR/qcw.pid"
t_check "log file written" test -s "$LAB_DIR/qcw.log"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

# servers in the guest: HTTP on 80 and 8080, DNS (dnsmasq) on 53
mkdir -p "$LAB_DIR/www"
echo "hello from the guest" >"$LAB_DIR/www/index.html"
lab_spawn "$LAB_GUEST" "$LAB_DIR/web80.log" python3 -m http.server 80 \
	--bind $GUEST --directory "$LAB_DIR/www"
lab_spawn "$LAB_GUEST" "$LAB_DIR/web8080.log" python3 -m http.server 8080 \
	--bind $GUEST --directory "$LAB_DIR/www"
lab_spawn "$LAB_GUEST" "$LAB_DIR/dns.log" dnsmasq --no-daemon --no-resolv \
	--no-hosts --listen-address=$GUEST --bind-interfaces \
	--address=/guest.test/1.2.3.4
wait_for_port "$LAB_GUEST" 80
wait_for_port "$LAB_GUEST" 8080
wait_for_port "$LAB_GUEST" 53 10 udp

api /services/forwarder/all >"$LAB_DIR/all.json"
t_check "the default ssh forward is listed" \
	grep -q '"local":"127.0.0.1:30022"' "$LAB_DIR/all.json"

# ---- TCP expose / unexpose with the CLI ----
t_check "qcw-net expose tcp" cli expose --local 127.0.0.1:18080 --remote $GUEST:80
t_check "curl 127.0.0.1:18080 reaches the guest's web server" \
	sh -c "ip netns exec $LAB_NET curl -sf http://127.0.0.1:18080/ | grep -q 'hello from the guest'"
t_check "qcw-net list shows the rule" \
	sh -c "ip netns exec $LAB_NET $QCW_NET list --socket unix://$LAB_DIR/api.sock | grep 127.0.0.1:18080 | grep -q $GUEST:80"
t_check "qcw-net list --json" \
	sh -c "ip netns exec $LAB_NET $QCW_NET list --json --socket unix://$LAB_DIR/api.sock | grep -q '\"remote\":\"$GUEST:80\"'"
t_check "exposing the same port again fails" \
	sh -c "! ip netns exec $LAB_NET $QCW_NET expose --local 127.0.0.1:18080 --remote $GUEST:80 --socket unix://$LAB_DIR/api.sock"
t_check "qcw-net unexpose" cli unexpose --local 127.0.0.1:18080
lab_net curl -s --max-time 3 http://127.0.0.1:18080/ >/dev/null 2>&1
t_check "after unexpose the port is refused" test $? = 7
t_check "a closed guest port: the host connection is closed" \
	sh -c "ip netns exec $LAB_NET $QCW_NET expose --local 127.0.0.1:18081 --remote $GUEST:9 --socket unix://$LAB_DIR/api.sock &&
	       ! ip netns exec $LAB_NET curl -sf --max-time 5 http://127.0.0.1:18081/"
lab_net curl -s --max-time 5 http://127.0.0.1:18081/ >/dev/null 2>&1
rc=$?
# reset (56) or closed before curl's request was read (52), never a hang;
# once the guest refused the port the dial fails at once and the accepted
# connection is reset before a loaded curl looks at it: "could not
# connect" (7)
t_check "... at once, with no reply (curl exit $rc: 7, 52 or 56)" \
	test $rc = 7 -o $rc = 52 -o $rc = 56
PEERS="python3 $(dirname "${BASH_SOURCE[0]}")/peers.py"
# a guest server that answers after the client's FIN: the byte count
lab_spawn "$LAB_GUEST" "$LAB_DIR/count8082.log" socat -t 5 \
	TCP-LISTEN:8082,bind=$GUEST,fork,reuseaddr SYSTEM:'wc -c'
wait_for_port "$LAB_GUEST" 8082
t_check "expose tcp to the guest's counting server" \
	cli expose --local 127.0.0.1:18082 --remote $GUEST:8082
t_check "half-close through a forward: 3 MB, our FIN, then the reply" \
	sh -c "ip netns exec $LAB_NET $PEERS halfclose-client 127.0.0.1 18082 3000000 | grep -q '^ *3000000$'"

# ---- UDP and unix ----
t_check "expose udp" cli expose --protocol udp --local 127.0.0.1:10053 --remote $GUEST:53
t_check "dig through the UDP forward gets the guest's answer" \
	sh -c "[ \"\$(ip netns exec $LAB_NET dig +short +time=3 +tries=2 -p 10053 @127.0.0.1 guest.test)\" = 1.2.3.4 ]"
t_check "expose unix -> tcp" cli expose --protocol unix \
	--local "$LAB_DIR/web.sock" --remote tcp://$GUEST:80
t_check "the unix socket is mode 0600" \
	test "$(stat -c %a "$LAB_DIR/web.sock")" = 600
t_check "curl --unix-socket reaches the guest" \
	sh -c "curl -sf --unix-socket $LAB_DIR/web.sock http://x/ | grep -q 'hello from the guest'"

# ---- the in-VM API, as Podman's libpod uses it ----
t_check "expose from inside the guest (empty remote host = caller)" \
	lab_guest curl -sf -X POST http://192.168.127.1/services/forwarder/expose \
	-d '{"local":":18090","remote":":8080"}'
t_check "the guest's port 8080 is reachable on the host" \
	sh -c "ip netns exec $LAB_NET curl -sf http://127.0.0.1:18090/ | grep -q 'hello from the guest'"
t_check "the in-VM API lists it with the guest's address" \
	sh -c "ip netns exec $LAB_GUEST curl -sf http://192.168.127.1/services/forwarder/all | grep -q '\"remote\":\"$GUEST:8080\"'"
t_check "the in-VM API does not serve /stats" \
	test "$(lab_guest curl -s -o /dev/null -w '%{http_code}' http://192.168.127.1/stats)" = 404
t_check "unexpose from inside the guest" \
	lab_guest curl -sf -X POST http://192.168.127.1/services/forwarder/unexpose \
	-d '{"local":":18090"}'

# ---- bad API input ----
t_check "invalid JSON: 400" test "$(code /services/forwarder/expose -d '{nope')" = 400
t_check "unknown protocol: 400" test "$(code /services/forwarder/expose \
	-d '{"local":"127.0.0.1:18099","remote":"192.168.127.2:80","protocol":"sctp"}')" = 400
head -c 3000000 /dev/zero | tr '\0' 'a' >"$LAB_DIR/huge.json"
t_check "huge body: 413" test "$(code /services/forwarder/expose --data-binary @"$LAB_DIR/huge.json")" = 413
t_check "unknown path: 404" test "$(code /no/such/path)" = 404
t_check "GET on a POST route: 400" test "$(code /services/forwarder/expose)" = 400
lab_spawn "$LAB_NET" "$LAB_DIR/busy.log" python3 -c \
	'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",18097)); s.listen(); time.sleep(60)'
wait_for_port "$LAB_NET" 18097
t_check "port in use: 500" test "$(code /services/forwarder/expose \
	-d '{"local":"127.0.0.1:18097","remote":"192.168.127.2:80"}')" = 500
t_check "unexpose of a missing rule: 500 proxy not found" \
	sh -c "ip netns exec $LAB_NET curl -s --unix-socket $LAB_DIR/api.sock -d '{\"local\":\"127.0.0.1:1\"}' http://qcw/services/forwarder/unexpose | grep -q 'proxy not found'"
t_check "leases list the guest" sh -c "ip netns exec $LAB_NET $QCW_NET leases --socket unix://$LAB_DIR/api.sock | grep -q $GUEST"
t_check "stats answer" sh -c "ip netns exec $LAB_NET $QCW_NET stats --socket unix://$LAB_DIR/api.sock | grep -q BytesSent"
# the forwards above carried requests in (curl) and 3 MB out (half-close)
bin=$(lab_stat Forwarder.BytesIn)
bout=$(lab_stat Forwarder.BytesOut)
t_check "forward byte counters moved both ways (/stats Forwarder.BytesIn $bin >= 300, BytesOut $bout >= 3000000)" \
	test "${bin:-0}" -ge 300 -a "${bout:-0}" -ge 3000000
t_check "the daemon still serves" test "$(code /services/forwarder/all)" = 200
t_check "qcw-net still running" kill -0 "$LAB_BACKEND_PID"

# ---- SIGKILL leaves nothing that blocks the next start ----
# (-stack slirp: the private directory of the forwards' sockets, named
# after the daemon's pid, is swept by the next start)
sdir=
if [ "${QCW_STACK:-}" = slirp ]; then
	sdir=$(ls -d "${XDG_RUNTIME_DIR:-/tmp}/qcw-slirp.$LAB_BACKEND_PID".* /tmp/qcw-slirp."$LAB_BACKEND_PID".* 2>/dev/null | head -n 1)
	t_check "the slirp backend's directory holds the forwards' sockets ($sdir)" \
		sh -c "[ -n '$sdir' ] && ls '$sdir' | grep -q ."
fi
kill -KILL "$LAB_BACKEND_PID"
wait "$LAB_BACKEND_PID" 2>/dev/null
[ -n "$sdir" ] && t_check "... left behind by SIGKILL" test -d "$sdir"
lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock" -ssh-port 30022
t_check "restart after SIGKILL with the same sockets" \
	wait_until 5 sh -c "[ \"\$(ip netns exec $LAB_NET curl -s -o /dev/null -w '%{http_code}' --unix-socket $LAB_DIR/api.sock http://qcw/services/forwarder/all)\" = 200 ]"
[ -n "$sdir" ] && t_check "... and the killed daemon's directory is gone" \
	test ! -e "$sdir"

t_summary
