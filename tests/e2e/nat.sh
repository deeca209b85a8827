#!/usr/bin/env bash
# nat.sh - issue 3 end to end: the guest's TCP, UDP and ping reach servers
# on the host (qcw-net's namespace loopback, through 192.168.127.254):
# pages, 200 MB both ways with sha256, refused ports, half-close, 2000
# concurrent connections with bounded memory, UDP echo up to 60000 bytes,
# TCP segments longer than the MTU in fragments (a raw client), ICMP echo,
# and the link-local block.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox ping python3 curl socat sha256sum
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS="python3 $HERE/peers.py"
HOST=192.168.127.254
BIG_MB=${QCW_E2E_BIG_MB:-200}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$LAB_BACKEND_PID/status"; }

lab_init nat
lab_start_backend qcw
lab_start_bridge
lab_dhcp >/dev/null || lab_die "no DHCP lease"

# ---- TCP: a page, big files both ways ----
mkdir -p "$LAB_DIR/www"
echo "hello from the host" >"$LAB_DIR/www/index.html"
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/big.bin"
want=$(sha256sum <"$LAB_DIR/www/big.bin" | cut -d' ' -f1)
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080
t_check "curl http://$HOST:8080/ from the guest" \
	sh -c "ip netns exec $LAB_GUEST curl -sf http://$HOST:8080/ | grep -q 'hello from the host'"
got=$(lab_guest curl -sf "http://$HOST:8080/big.bin" | sha256sum | cut -d' ' -f1)
t_check "download of $BIG_MB MB keeps its sha256" test "$got" = "$want"
lab_spawn "$LAB_NET" "$LAB_DIR/up.log" socat -u \
	TCP-LISTEN:8081,bind=127.0.0.1,reuseaddr OPEN:"$LAB_DIR/up.bin",creat,trunc
wait_for_port "$LAB_NET" 8081
t_check "upload of $BIG_MB MB" lab_guest socat -u \
	OPEN:"$LAB_DIR/www/big.bin" TCP:$HOST:8081
wait_until 10 sh -c "[ \$(stat -c %s '$LAB_DIR/up.bin' 2>/dev/null || echo 0) -ge $((BIG_MB * 1024 * 1024)) ]"
got=$(sha256sum <"$LAB_DIR/up.bin" | cut -d' ' -f1)
t_check "upload keeps its sha256" test "$got" = "$want"
rm -f "$LAB_DIR/up.bin"

# ---- refused, half-close ----
start=$(date +%s%N)
lab_guest curl -s --max-time 5 "http://$HOST:8099/" >/dev/null 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_check "closed host port: curl says connection refused (exit 7)" test $rc = 7
t_check "... in under a second (${ms} ms)" test $ms -lt 1000
lab_spawn "$LAB_NET" "$LAB_DIR/echo.log" $PEERS echo-server 8082
wait_for_port "$LAB_NET" 8082
t_check "half-close: the reply after our FIN arrives whole" \
	sh -c "ip netns exec $LAB_GUEST $PEERS halfclose-client $HOST 8082 3000000 | grep -q 'got 3000000 bytes'"
# The host closes first, so lwIP holds each connection in TIME_WAIT; a
# guest that reuses its source port at once (Linux does) must connect.
lab_spawn "$LAB_NET" "$LAB_DIR/close.log" $PEERS close-server 8085
wait_for_port "$LAB_NET" 8085
t_check "a source port reused while lwIP holds it in TIME_WAIT connects (5 in a row)" \
	lab_guest $PEERS reuse-client $HOST 8085 40123 5

# ---- many concurrent connections, memory bounded ----
lab_spawn "$LAB_NET" "$LAB_DIR/hold.log" sh -c "ulimit -n 65536; exec $PEERS hold-server 8083"
wait_for_port "$LAB_NET" 8083
rss0=$(rss_kb)
HOLD_FILE=$LAB_DIR/held HOLD_SECONDS=3 lab_guest sh -c \
	"ulimit -n 65536; exec $PEERS concurrent $HOST 8083 2000" >"$LAB_DIR/conc.out" 2>&1 &
conc=$!
wait_until 60 test -e "$LAB_DIR/held"
rss1=$(rss_kb)
wait $conc
t_check "2000 concurrent connections all complete" grep -q "2000 ok" "$LAB_DIR/conc.out"
sleep 3
rss2=$(rss_kb)
echo "# RSS: start ${rss0} kB, 2000 open ${rss1} kB, after close ${rss2} kB"
if [ "$QCW_STACK" = slirp ] && grep -q __asan_init "$QCW_NET" 2>/dev/null; then
	# libslirp reallocs each connection's two 128 KiB buffers once the
	# MSS is known; ASan's realloc copies them whole (glibc's mremaps
	# them), so every byte is resident, and its quarantine keeps the old
	echo "# skip on slirp under ASan: the RSS bounds (ASan's realloc copies libslirp's 2x128 KiB per connection)"
else
	t_check "RSS with 2000 open connections stays under start + 64 MB" \
		test "$rss1" -lt $((rss0 + 65536))
	if grep -q __asan_init "$QCW_NET" 2>/dev/null; then
		# ASan's quarantine holds freed memory back (a CI run: 52 kB
		# over the bound, and still growing after the close)
		echo "# skip under ASan: RSS returns near its start value (ASan's quarantine keeps freed memory)"
	else
		t_check "RSS returns near its start value after they close" \
			test "$rss2" -lt $((rss0 + 16384))
	fi
fi

# ---- UDP ----
lab_spawn "$LAB_NET" "$LAB_DIR/udp.log" $PEERS udp-echo 8084
wait_for_port "$LAB_NET" 8084 10 udp
t_check "UDP echo round trip (100 bytes)" lab_guest $PEERS udp-ping $HOST 8084 100
t_check "UDP echo of a 60000-byte datagram (fragmented both ways)" \
	lab_guest $PEERS udp-ping $HOST 8084 60000
# a closed port: the host's ICMP port unreachable becomes the guest's
t_check "UDP to a closed host port is refused at once (ICMP port unreachable)" \
	lab_guest $PEERS udp-refused $HOST 8099

# ---- TCP segments longer than the MTU, in IPv4 fragments ----
# from a raw client (a guest's kernel keeps TCP to the MSS) at an address
# of the subnet its kernel does not hold: the stack reassembles them
lab_spawn "$LAB_NET" "$LAB_DIR/tcpsum.log" $PEERS sum-server 8086
wait_for_port "$LAB_NET" 8086 10
t_check "TCP segments of 6000 and 9000 bytes in IPv4 fragments, data intact" \
	lab_guest python3 "$HERE/tcpfrag.py" "$LAB_TAP" 02:00:00:00:c0:de \
	"$LAB_GW_MAC" 192.168.127.222 $HOST 8086 6000 9000

# ---- ICMP ----
t_check "ping 192.168.127.254 (the host's 127.0.0.1)" \
	lab_guest ping -c 2 -i 0.2 -W 2 $HOST
t_check "ping with a 4000-byte payload" \
	lab_guest ping -c 1 -W 2 -s 4000 $HOST

# ---- link-local is blocked by default ----
lab_guest curl -s --max-time 3 http://169.254.169.254/ >/dev/null 2>&1
t_check "169.254.169.254 refused without -ec2-metadata-access" test $? = 7

t_check "qcw-net still running" kill -0 "$LAB_BACKEND_PID"
t_summary
