#!/usr/bin/env bash
# metrics.sh - issue 18 item 4 end to end: GET /metrics on the host API
# socket, with the sandbox on (the default), parsed by Prometheus' own text
# parser (python3-prometheus-client): names, types and labels as Prometheus
# expects them; after a download and DNS queries from the lab guest the
# port and NAT byte counters grew by at least the download, the DNS
# counters and the upstream latency histogram moved; process RSS and open
# fds are read under seccomp; /stats and /metrics agree (one table); the
# in-VM API at 192.168.127.1:80 answers 404.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd curl dig dnsmasq python3
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
PY=/usr/bin/python3
$PY -c 'import prometheus_client.parser' 2>/dev/null ||
	lab_skip "python3-prometheus-client not installed"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GW=192.168.127.1
HOST=192.168.127.254
MB=20

prom() { "$PY" "$HERE/prom_check.py" "$@"; }

lab_init metrics
API=$LAB_DIR/api.sock
scrape() { # scrape FILE: GET /metrics over the host API socket
	lab_net curl -sf --max-time 5 --unix-socket "$API" \
		-D "$1.head" -o "$1" http://qcw/metrics
}

# an upstream for the forwarded queries: dnsmasq on the backend's loopback
lab_spawn "$LAB_NET" "$LAB_DIR/dnsmasq.log" dnsmasq --no-daemon --no-resolv \
	--no-hosts --listen-address=127.0.0.1 --bind-interfaces --port=53 \
	--address=/example.test/10.99.0.1
wait_for_port "$LAB_NET" 53 10 udp
lab_start_backend qcw -listen "unix://$API"
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"
t_check "the sandbox is on (seccomp filter mode)" \
	wait_until 5 grep -q "^Seccomp:[[:space:]]*2" "/proc/$LAB_BACKEND_PID/status"

mkdir -p "$LAB_DIR/www"
head -c $((MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/big.bin"
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080

M0=$LAB_DIR/m0.txt
M1=$LAB_DIR/m1.txt
t_check "GET /metrics on the host API: 200" scrape "$M0"
t_check "... Content-Type text/plain; version=0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$M0.head"
t_check "... Prometheus' parser reads it: names, types, labels" prom check "$M0"

# traffic from the guest: a download through the NAT, forwarded and local
# DNS queries
got=$(lab_guest curl -sf --max-time 30 "http://$HOST:8080/big.bin" | wc -c)
t_check "the guest downloads $MB MB" test "$got" = $((MB * 1024 * 1024))
dns_ok=0
for i in 1 2 3 4 5; do
	[ "$(lab_guest dig +short +time=3 +tries=1 @$GW "n$i.example.test")" = 10.99.0.1 ] &&
		dns_ok=$((dns_ok + 1))
done
t_check "5 forwarded DNS queries answered" test "$dns_ok" = 5
t_check "a local DNS answer" test -n \
	"$(lab_guest dig +short +time=3 +tries=1 @$GW host.containers.internal)"

t_check "GET /metrics after the traffic" scrape "$M1"
t_check "... still well-formed" prom check "$M1"
out=$(prom grew "$M0" "$M1" $((MB * 1024 * 1024)))
rc=$?
echo "$out"
t_check "... byte counters grew by the download, DNS counters and latency moved" \
	test "$rc" = 0

# process_open_fds under seccomp against the kernel's view (the API
# connection of the scrape is open during it, the listing's fd is not)
fds=$(prom value "$M1" process_open_fds)
now=$(find "/proc/$LAB_BACKEND_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
echo "# process_open_fds $fds, /proc/<pid>/fd now $now"
t_check "process_open_fds matches /proc/<pid>/fd (+-2)" \
	test "$fds" -ge $((now - 2)) -a "$fds" -le $((now + 2))
rss=$(prom value "$M1" process_resident_memory_bytes)
kb=$(awk '/^VmRSS/ {print $2}' "/proc/$LAB_BACKEND_PID/status")
echo "# process_resident_memory_bytes $rss, VmRSS $kb kB"
t_check "process_resident_memory_bytes within 25% of VmRSS" \
	test "$rss" -ge $((kb * 1024 * 3 / 4)) -a "$rss" -le $((kb * 1024 * 5 / 4))

# /stats and /metrics come from one table: quiet now, they agree
lab_net curl -sf --max-time 5 --unix-socket "$API" -o "$LAB_DIR/s.json" http://qcw/stats
scrape "$M1"
st=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['NAT']['TCP']['BytesToGuest'])" "$LAB_DIR/s.json")
me=$(prom value "$M1" qcw_net_nat_bytes proto=tcp direction=to_guest)
t_check "/stats NAT.TCP.BytesToGuest ($st) = /metrics' ($me)" test "$st" = "$me"

# never inside the VM
code=$(lab_guest curl -s --max-time 5 -o "$LAB_DIR/g.out" -w '%{http_code}' "http://$GW/metrics")
t_check "in-VM GET http://$GW/metrics: 404 ($code)" test "$code" = 404
t_check "... with 404 page not found" grep -qx "404 page not found" "$LAB_DIR/g.out"
t_check "... the in-VM API still serves the forwarder routes" test \
	"$(lab_guest curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$GW/services/forwarder/all")" = 200

t_summary
