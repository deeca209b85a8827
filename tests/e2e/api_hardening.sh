#!/usr/bin/env bash
# api_hardening.sh - issue 11 (findings 2, 6, 8) end to end with a real
# guest: the in-VM API cannot touch host files (unix/npipe/ssh-tunnel are
# refused with one fixed 403, whatever the path), the host API follows the
# one path rule (only a stale socket is replaced, too long paths refused), a
# key= naming a FIFO never blocks the loop, a guest slowloris on
# 192.168.127.1:80 cannot lock the host API out, expose paths cannot forge
# log lines, and a failed second start leaves the running daemon's pid file.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd curl python3
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

GW=192.168.127.1
host() { # host PATH [curl args]: the host API, in qcw-net's namespace
	local path=$1
	shift
	lab_net curl -s --max-time 5 --unix-socket "$LAB_DIR/api.sock" "$@" \
		"http://qcw$path"
}
hcode() { host "$1" -o "$LAB_DIR/h.out" -w '%{http_code}' "${@:2}"; }
gpost() { # gpost PATH JSON: POST from inside the guest; prints the status
	lab_guest curl -s --max-time 5 -o "$LAB_DIR/g.out" -w '%{http_code}' \
		-X POST "http://$GW$1" -d "$2"
}
stat_api() { # stat_api KEY: a counter of /stats' "API" object
	host /stats | python3 -c "import json,sys; print(json.load(sys.stdin)['API']['$1'])"
}
# guest_refused: in-VM connections refused, by the API's budget or,
# before it, by the gateway listener's cap (-gateway-api-conns, a RST)
guest_refused() {
	host /stats | python3 -c "import json,sys
s = json.load(sys.stdin)
print(s['API']['GuestConnsRefused'] + s['Forwarder']['GatewayRefused'])"
}
alive() { kill -0 "$LAB_BACKEND_PID"; }

lab_init apihard

lab_start_backend qcw -listen "unix://$LAB_DIR/api.sock" -ssh-port -1
t_check "pid file written once the sockets are up" \
	wait_until 5 test -s "$LAB_DIR/qcw.pid"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

# ---- host files the guest names ----
H=$LAB_DIR/host
mkdir -p "$H/dir"
echo precious >"$H/file"
ln -s file "$H/link"
mkfifo "$H/fifo" "$H/keyfifo"
first=
same=0
for k in file link fifo dir missing; do
	c=$(gpost /services/forwarder/expose \
		"{\"local\":\"$H/$k\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}")
	[ "$c" = 403 ] || echo "# unix $k: $c $(cat "$LAB_DIR/g.out")"
	body=$(cat "$LAB_DIR/g.out")
	[ -z "$first" ] && first=$body
	[ "$c" = 403 ] && [ "$body" = "$first" ] && same=$((same + 1))
	c=$(gpost /services/forwarder/expose \
		"{\"local\":\"$H/t.sock\",\"remote\":\"ssh-tunnel://root@192.168.127.2/run/x.sock?key=$H/$k\",\"protocol\":\"unix\"}")
	body=$(cat "$LAB_DIR/g.out")
	[ "$c" = 403 ] && [ "$body" = "$first" ] && same=$((same + 1))
done
echo "# in-VM answer: $first"
t_check "in-VM unix and ssh-tunnel exposes: 403, one text for any path (10/10)" \
	test "$same" = 10
t_check "... the regular file is intact" \
	test "$(cat "$H/file")" = precious -a -f "$H/file" -a ! -S "$H/file"
t_check "... the symlink and the FIFO are intact" test -L "$H/link" -a -p "$H/fifo"
t_check "... no socket was created" test ! -e "$H/t.sock"
t_check "in-VM unexpose of a unix rule: 403" test "$(gpost \
	/services/forwarder/unexpose "{\"local\":\"$H/file\",\"protocol\":\"unix\"}")" = 403
t_check "in-VM tcp expose (Podman's use) still works" test "$(gpost \
	/services/forwarder/expose '{"local":"127.0.0.1:18090","remote":":8080"}')" = 200
t_check "in-VM udp expose still works" test "$(gpost \
	/services/forwarder/expose '{"local":"127.0.0.1:18091","remote":":53","protocol":"udp"}')" = 200
t_check "the refusals are counted (GuestRequestsRefused >= 11)" \
	test "$(stat_api GuestRequestsRefused)" -ge 11

# ---- the host API: one path rule ----
t_check "host unix expose over a regular file: refused" test "$(hcode \
	/services/forwarder/expose -d "{\"local\":\"$H/file\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}")" = 500
t_check "... saying it is not a socket" grep -q "not a socket" "$LAB_DIR/h.out"
t_check "... and the file is intact" test "$(cat "$H/file")" = precious
t_check "host unix expose over a symlink: refused, symlink kept" sh -c \
	"[ \"\$(ip netns exec $LAB_NET curl -s -o /dev/null -w '%{http_code}' --unix-socket $LAB_DIR/api.sock -d '{\"local\":\"$H/link\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}' http://qcw/services/forwarder/expose)\" = 500 ] && test -L $H/link"
long=$H/$(printf 'x%.0s' $(seq 1 120)).sock
short=$(printf '%s' "$long" | head -c 107)
t_check "host unix expose of a path over 107 bytes: refused" test "$(hcode \
	/services/forwarder/expose -d "{\"local\":\"$long\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}")" = 500
t_check "... as too long" grep -qi "too long" "$LAB_DIR/h.out"
t_check "... and no truncated socket was bound" test ! -e "$short"
python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$H/stale.sock')"
t_check "a stale socket is replaced" test "$(hcode /services/forwarder/expose \
	-d "{\"local\":\"$H/stale.sock\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}")" = 200

# ---- a key= FIFO through the host API never blocks the loop ----
t0=$(date +%s%N)
c=$(hcode /services/forwarder/expose -d "{\"local\":\"$H/fifo.sock\",\"remote\":\"ssh-tunnel://root@192.168.127.2/run/x.sock?key=$H/keyfifo\",\"protocol\":\"unix\"}")
ms=$((($(date +%s%N) - t0) / 1000000))
# a loop stuck in open() would stay stuck: release it for the rest
[ "$ms" -ge 3000 ] && timeout 2 sh -c "echo >'$H/keyfifo'"
echo "# ssh-tunnel with key=FIFO: $c in $ms ms"
t_check "ssh-tunnel expose with key= a FIFO answers at once" test "$ms" -lt 3000
t_check "the loop still serves (/stats)" test "$(hcode /stats)" = 200
lab_net curl -s --max-time 3 --unix-socket "$H/fifo.sock" http://x/ >/dev/null 2>&1
t_check "... and the FIFO is refused as not a regular file" \
	wait_until 5 grep -q "not a regular file" "$LAB_DIR/qcw.log"
t_check "the loop still serves after a client of that socket" \
	test "$(hcode /stats)" = 200

# ---- no forged log lines from expose paths ----
t_check "host unix expose with a newline in the path" test "$(hcode \
	/services/forwarder/expose -d "{\"local\":\"$H/a\\nFORGED level=error msg=pwned.sock\",\"remote\":\"tcp://192.168.127.2:22\",\"protocol\":\"unix\"}")" = 200
t_check "... is logged escaped, on one line" grep -q 'a\\nFORGED' "$LAB_DIR/qcw.log"
t_check "... and no log line starts with the forged text" \
	sh -c "! grep -q '^FORGED' '$LAB_DIR/qcw.log'"

# ---- slowloris from the guest: the host API keeps answering ----
cat >"$LAB_DIR/slow.py" <<'EOF'
# 300 connections to gateway:80 trickling header bytes, reopened as soon as
# the server closes one, for 20 s. Every connection starts with the request
# line once its handshake is done (a reopened one too), so each is a slow
# request, never a malformed one the server may close at once.
import socket, time, selectors
N, END = 300, time.time() + 20
sel = selectors.DefaultSelector()
started = {}
def opened():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("192.168.127.1", 80))
    except BlockingIOError:
        pass
    sel.register(s, selectors.EVENT_READ)
    started[s] = False
    return s
socks = [opened() for _ in range(N)]
while time.time() < END:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if not d:
            sel.unregister(s)
            del started[s]
            s.close()
            socks[socks.index(s)] = opened()
    for s in socks:
        try:
            s.send(b"X: y\r\n" if started[s] else b"GET / HTTP/1.1\r\n")
            started[s] = True
        except OSError:
            pass
    time.sleep(0.5)
EOF
lab_spawn "$LAB_GUEST" "$LAB_DIR/slow.log" python3 "$LAB_DIR/slow.py"
SLOW=$LAB_PID
sleep 3
ok=0
for i in $(seq 1 15); do
	[ "$(hcode /stats)" = 200 ] && ok=$((ok + 1))
	sleep 1
done
echo "# host /stats during the slowloris: $ok/15"
t_check "the host API answered throughout (15/15)" test "$ok" = 15
t_check "the guest's surplus was refused (GuestConnsRefused + GatewayRefused > 0)" \
	test "$(guest_refused)" -gt 0
echo "# slow guest requests cut off: $(stat_api GuestTimeouts)"
if [ "${QCW_STACK:-}" = slirp ] && grep -q __asan_init "$QCW_NET" 2>/dev/null; then
	# libslirp under ASan opens each guest forward so slowly that in 20 s
	# no slow request lives long enough to time out (the plain build
	# cuts them off); the bounds above held either way
	echo "# slirp under ASan: the count above is reported, not required"
else
	t_check "slow guest requests were cut off (GuestTimeouts > 0)" \
		test "$(stat_api GuestTimeouts)" -gt 0
fi
t_check "no host connection was refused" test "$(stat_api HostConnsRefused)" = 0
kill "$SLOW" 2>/dev/null
wait "$SLOW" 2>/dev/null
t_check "the in-VM API serves again afterwards" wait_until 10 sh -c \
	"[ \"\$(ip netns exec $LAB_GUEST curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$GW/services/forwarder/all)\" = 200 ]"

# ---- a failed second start leaves the running daemon's pid file ----
pid1=$(cat "$LAB_DIR/qcw.pid")
lab_net timeout 10 "$QCW_NET" -listen-qemu "unix://$LAB_DIR/other.sock" \
	-listen "unix://$LAB_DIR/api.sock" -pid-file "$LAB_DIR/qcw.pid" \
	-ssh-port -1 >"$LAB_DIR/second.log" 2>&1
rc=$?
t_check "a second start on the same API socket fails" test "$rc" != 0
t_check "... and leaves the pid file naming the running daemon" \
	test "$(cat "$LAB_DIR/qcw.pid" 2>/dev/null)" = "$pid1"
t_check "qcw-net still running" alive
t_check "the host API still answers" test "$(hcode /stats)" = 200

# ---- the VM's forwards are bounded (each is a host listener) ----
stat_fwd() { host /stats | jq -r ".Forwarder.$1"; }
g0=$(stat_fwd GuestRules)
lab_guest python3 - "$GW" >"$LAB_DIR/gflood.out" <<'PY'
import http.client, json, sys
codes, text = {}, ""
for port in range(21000, 22100):
    c = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
    c.request("POST", "/services/forwarder/expose",
              json.dumps({"local": "127.0.0.1:%d" % port, "remote": ":%d" % port}))
    r = c.getresponse()
    body = r.read().decode()
    codes[r.status] = codes.get(r.status, 0) + 1
    if r.status != 200:
        text = body.strip()
    c.close()
print(codes.get(200, 0), codes.get(500, 0), len(codes), text)
PY
read -r n200 n500 nkinds gtext <"$LAB_DIR/gflood.out"
echo "# 1100 in-VM exposes: $n200 made, $n500 refused ($gtext)"
cap=$(printf '%s' "$gtext" | sed -n 's/.*(\([0-9]*\)).*/\1/p')
t_check "1100 in-VM exposes: refused past the VM's cap ($n200 made, $n500 refused: $gtext)" \
	sh -c "[ '$nkinds' = 2 ] && [ -n '$cap' ] && [ $((g0 + n200)) = '$cap' ] && [ $((n200 + n500)) = 1100 ]"
t_check "... counted (GuestRules $(stat_fwd GuestRules), GuestRulesRefused $(stat_fwd GuestRulesRefused))" \
	sh -c "[ \"\$(curl -s --unix-socket $LAB_DIR/api.sock http://qcw/stats | jq -c '[.Forwarder.GuestRules, .Forwarder.GuestRulesRefused]')\" = '[$cap,$n500]' ]"
t_check "... the in-VM API still serves (list)" \
	sh -c "[ \"\$(ip netns exec $LAB_GUEST curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://$GW/services/forwarder/all)\" = 200 ]"
t_check "... the host may still expose" test "$(hcode /services/forwarder/expose \
	-d '{"local":"127.0.0.1:22200","remote":"192.168.127.2:22"}')" = 200
t_check "... one unexposed from the VM makes room for one" sh -c \
	"[ \"\$(ip netns exec $LAB_GUEST curl -s -o /dev/null -w '%{http_code}' -X POST http://$GW/services/forwarder/unexpose -d '{\"local\":\"127.0.0.1:21000\"}')\" = 200 ] &&
	 [ \"\$(ip netns exec $LAB_GUEST curl -s -o /dev/null -w '%{http_code}' -X POST http://$GW/services/forwarder/expose -d '{\"local\":\"127.0.0.1:22300\",\"remote\":\":22300\"}')\" = 200 ] &&
	 [ \"\$(ip netns exec $LAB_GUEST curl -s -o /dev/null -w '%{http_code}' -X POST http://$GW/services/forwarder/expose -d '{\"local\":\"127.0.0.1:22301\",\"remote\":\":22301\"}')\" = 500 ]"
lab_stop_backend
t_check "SIGTERM: exit status 0 (no handle left open)" \
	test "$LAB_BACKEND_RC" = 0
t_check "at exit the daemon removes its own pid file" \
	wait_until 5 test ! -e "$LAB_DIR/qcw.pid"
t_summary
