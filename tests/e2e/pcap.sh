#!/usr/bin/env bash
# pcap.sh - issue 12 item 6 end to end: -pcap FILE (and the config's
# stack.capture-file) with the sandbox on. The guest takes a DHCP lease
# and opens a TCP connection to a host server through the NAT; tcpdump -r
# reads the capture while qcw-net runs (flushed once per loop iteration)
# and after qcw-net was killed with SIGKILL, and shows the DHCP exchange
# (DISCOVER/OFFER/REQUEST/ACK) and the TCP handshake in both directions,
# with the MACs of both sides, and a second VM's ping to the first (frames
# from port to port). A file that cannot be created is a clear
# error with exit status 1; a write error (file size limit) stops the
# capture and not the network, leaving whole records; the config's
# capture-file is used and the flag wins over it. Runs on the stack QCW_STACK names (the capture sits
# in the switch, under either backend).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox curl python3 tcpdump prlimit md5sum
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HOST=192.168.127.254

lab_init pcap
CAP=$LAB_DIR/cap.pcap
AUDIT=$LAB_DIR/audit.txt

# read CAPFILE OUT: tcpdump's decoding of the capture (exit status kept)
read_cap() {
	tcpdump -r "$1" -nn -e -v >"$2" 2>"$2.err"
}
# shows OUT: the DHCP exchange and the TCP handshake both ways
dhcp_shown() {
	local t
	for t in Discover Offer Request ACK; do
		grep -q "DHCP-Message (53), length 1: $t" "$1" || {
			echo "no DHCP $t"
			return 1
		}
	done
}
offer_from_gw() { # the packet line before the Offer names the gateway
	awk -v gw="$LAB_GW_MAC" '/^[0-9]/ { last = $0 }
		/length 1: Offer/ { if (index(last, gw " > ") > 0) ok = 1 }
		END { exit !ok }' "$1"
}
# stop_clean WHAT: SIGTERM, exit status 0 and no sanitizer report (with an
# ASan build, QCW_BUILD_DIR=build-asan)
stop_clean() {
	local pid=$LAB_BACKEND_PID rc
	LAB_BACKEND_PID=
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	t_check "$1: qcw-net exits with status 0 on SIGTERM ($rc)" test "$rc" = 0
	t_check "... no sanitizer report" \
		sh -c "! grep -E 'Sanitizer|runtime error' '$LAB_DIR/qcw.out'"
}
syn_shown() { # guest -> host server, from the guest's MAC
	grep -A1 "^.*$LAB_GUEST_MAC > $LAB_GW_MAC" "$1" |
		grep -q "192.168.127.2\.[0-9]* > $HOST.8080: Flags \[S\]"
}
synack_shown() { # host server -> guest, from the gateway's MAC
	grep -A1 "^.*$LAB_GW_MAC > $LAB_GUEST_MAC" "$1" |
		grep -q "$HOST.8080 > 192.168.127.2\.[0-9]*: Flags \[S\.\]"
}

mkdir -p "$LAB_DIR/www"
echo "captured" >"$LAB_DIR/www/index.html"
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080

# a file that cannot be created: a clear error, exit status 1
out=$(ip netns exec "$LAB_NET" "$QCW_NET" -pcap "$LAB_DIR/no/such/dir/x.pcap" \
	-listen-qemu "unix://$LAB_DIR/nope.sock" 2>&1)
rc=$?
if grep -q "built without libpcap" <<<"$out"; then
	# a build without libpcap (-Dpcap=disabled) refuses the flag
	t_check "no libpcap: -pcap is refused with exit status 1 ($rc)" test "$rc" = 1
	t_summary
	exit
fi
t_check "-pcap into a missing directory: exit status 1 ($rc)" test "$rc" = 1
t_check "... saying which file and why" \
	grep -q "cannot create the capture file $LAB_DIR/no/such/dir/x.pcap: No such file or directory" <<<"$out"

export QCW_SANDBOX_AUDIT=$AUDIT
lab_start_backend qcw -pcap "$CAP" -keep-serving
unset QCW_SANDBOX_AUDIT
lab_start_bridge
t_check "the sandbox is on (seccomp filter mode)" \
	wait_until 5 grep -q "^Seccomp:[[:space:]]*2" "/proc/$LAB_BACKEND_PID/status"
t_check "the capture file is created 0600" \
	test "$(stat -c %a "$CAP")" = 600
t_check "DHCP lease" lab_dhcp
got=$(lab_guest curl -sf --max-time 10 "http://$HOST:8080/index.html")
t_check "the guest fetches a page from the host through the NAT" \
	test "$got" = captured

# a second VM on its own port pings the first: VM-to-VM frames, both VMs
G2="qcwg2-pcap-$$"
G2_MAC=5a:94:ef:00:00:66
lab_add_bridged_guest "$G2" $G2_MAC
ip -n "$G2" addr add 192.168.127.3/24 dev tap0
t_check "a second VM pings the first through the switch" \
	ip netns exec "$G2" ping -c 2 -i 0.2 -W 2 192.168.127.2
vm_to_vm() { # the echo request and reply between the two VMs' MACs
	grep -A1 "^.*$G2_MAC > $LAB_GUEST_MAC" "$1" |
		grep -q "192.168.127.3 > 192.168.127.2: ICMP echo request" &&
		grep -A1 "^.*$LAB_GUEST_MAC > $G2_MAC" "$1" |
		grep -q "192.168.127.2 > 192.168.127.3: ICMP echo reply"
}

# while qcw-net runs: flushed by the end of the loop iteration
T1=$LAB_DIR/running.txt
t_check "tcpdump -r reads the capture while qcw-net runs" \
	wait_until 5 sh -c "tcpdump -r '$CAP' -nn -e -v >'$T1' 2>/dev/null && grep -q 'Flags \[S\.\]' '$T1'"
read_cap "$CAP" "$T1"
t_check "... without an error (whole records)" test ! -s "$T1.err" -o \
	"$(grep -vc '^reading from file' "$T1.err")" = 0
t_check "... link type Ethernet" grep -q "link-type EN10MB" "$T1.err"
t_check "... the DHCP exchange DISCOVER/OFFER/REQUEST/ACK" dhcp_shown "$T1"
t_check "... the DHCP offer comes from the gateway's MAC" offer_from_gw "$T1"
t_check "... the guest's SYN to the host server" syn_shown "$T1"
t_check "... the server's SYN-ACK to the guest" synack_shown "$T1"
t_check "... the two VMs' echo request and reply (VM to VM)" vm_to_vm "$T1"
t_check "... the page itself, to the guest" grep -q "HTTP/1.0 200 OK" \
	<(tcpdump -r "$CAP" -nn -A 2>/dev/null)

# after SIGKILL: what was flushed is a readable capture
lab_guest curl -sf --max-time 10 -o /dev/null "http://$HOST:8080/index.html"
sleep 0.5
kill -KILL "$LAB_BACKEND_PID"
{ wait "$LAB_BACKEND_PID"; } 2>/dev/null
LAB_BACKEND_PID=
T2=$LAB_DIR/killed.txt
t_check "tcpdump -r reads the capture after kill -9" read_cap "$CAP" "$T2"
t_check "... without an error (whole records)" \
	test "$(grep -vc '^reading from file' "$T2.err")" = 0
t_check "... the DHCP exchange" dhcp_shown "$T2"
t_check "... the SYN and SYN-ACK of both connections" test \
	"$(grep -c "Flags \[S\]," "$T2")" -ge 2 -a "$(grep -c "Flags \[S\.\]," "$T2")" -ge 2
t_check "... at least as much as while running" \
	test "$(wc -l <"$T2")" -gt "$(wc -l <"$T1")"
t_check "the sandbox refused no syscall (audit)" test ! -s "$AUDIT"
lab_stop_bridge

# a write error (the file size limit, as a full disk would be): the
# capture stops with one log line, the network goes on, the file is cut
# back to whole records (ftruncate under the sandbox)
CAP4=$LAB_DIR/limited.pcap
T4=$LAB_DIR/limited.txt
LIMIT=200000
head -c 2000000 /dev/urandom >"$LAB_DIR/www/big.bin"
want=$(md5sum <"$LAB_DIR/www/big.bin")
rm -f "$LAB_SOCK" "$AUDIT"
export QCW_SANDBOX_AUDIT=$AUDIT
lab_start_backend qcw -pcap "$CAP4"
unset QCW_SANDBOX_AUDIT
prlimit --pid "$LAB_BACKEND_PID" --fsize=$LIMIT
lab_start_bridge
t_check "DHCP lease (size-limited run)" lab_dhcp
got=$(lab_guest curl -sf --max-time 30 "http://$HOST:8080/big.bin" | md5sum)
t_check "a 2 MB download past the capture's size limit arrives intact" \
	test "$got" = "$want"
t_check "... the capture stopped, with one log line" test \
	"$(grep -c "capture: writing the pcap file failed (File too large)" "$LAB_DIR/qcw.log")" = 1
t_check "... qcw-net still runs" kill -0 "$LAB_BACKEND_PID"
t_check "... tcpdump -r reads the file to its end" read_cap "$CAP4" "$T4"
t_check "... without an error (cut back to whole records)" \
	test "$(grep -vc '^reading from file' "$T4.err")" = 0
t_check "... its size is within the limit" \
	test "$(stat -c %s "$CAP4")" -le $LIMIT
t_check "... the DHCP exchange is in it" dhcp_shown "$T4"
t_check "the sandbox refused no syscall (audit)" test ! -s "$AUDIT"
stop_clean "capture stopped"
lab_stop_bridge

# stack.capture-file in -config; -pcap wins over it
CAP2=$LAB_DIR/cfg.pcap
CAP3=$LAB_DIR/flag.pcap
cat >"$LAB_DIR/cfg.yaml" <<YAML
stack:
  capture-file: $CAP2
YAML
rm -f "$LAB_SOCK"
lab_start_backend qcw -config "$LAB_DIR/cfg.yaml"
lab_start_bridge
t_check "DHCP lease (config run)" lab_dhcp
t_check "stack.capture-file: the config's file has the DHCP exchange" \
	wait_until 5 sh -c "tcpdump -r '$CAP2' -nn -v 2>/dev/null | grep -q 'DHCP-Message (53), length 1: ACK'"
lab_stop_bridge
lab_stop_backend
rm -f "$LAB_SOCK" "$CAP2"
lab_start_backend qcw -config "$LAB_DIR/cfg.yaml" -pcap "$CAP3"
lab_start_bridge
t_check "DHCP lease (config + flag run)" lab_dhcp
t_check "-pcap with -config: the flag's file has the DHCP exchange" \
	wait_until 5 sh -c "tcpdump -r '$CAP3' -nn -v 2>/dev/null | grep -q 'DHCP-Message (53), length 1: ACK'"
t_check "... and the config's file is not created" test ! -e "$CAP2"
stop_clean "capture on"
t_check "... the capture is complete after the exit" read_cap "$CAP3" "$LAB_DIR/flag.txt"

t_summary
