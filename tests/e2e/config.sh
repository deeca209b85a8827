#!/usr/bin/env bash
# config.sh - issue 5 end to end: gvproxy's YAML configuration (-config):
# addresses, static leases, MTU, search domains, DNS zones, forwards, NAT
# and virtual IPs come from the file; the command line overrides the keys
# gvproxy lets it override; no ssh forward and no default zones; qcw-net's
# stack.backend (a name the build lacks exits 2, -stack wins over it).
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox curl python3 dig
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

lease() { (. "$LAB_LEASE_FILE" 2>/dev/null && eval "echo \${$1:-}"); }

lab_init config
cat >"$LAB_DIR/gvproxy.yaml" <<YAML
listen:
  - unix://$LAB_DIR/api.sock
interfaces:
  qemu: unix://$LAB_SOCK
stack:
  mtu: 9000
  gatewayMacAddress: 5a:94:ef:e4:0c:dd
  dns:
    - name: cfg.internal.
      records:
        - name: box
          ip: 10.9.9.9
        - name: box
          ip: fd00::9
  dnsSearchDomains:
    - lab.example
  forwards:
    "127.0.0.1:18100": 192.168.127.50:80
  nat:
    192.168.127.253: 127.0.0.1
  gatewayVirtualIPs:
    - 192.168.127.253
  dhcpStaticLeases:
    192.168.127.50: 5a:94:ef:e4:0c:ee
YAML

lab_start_backend qcw -config "$LAB_DIR/gvproxy.yaml"
lab_start_bridge
t_check "DHCP lease" lab_dhcp -O search
t_check "the static lease from the file (.50)" test "$(lease ip)" = 192.168.127.50
t_check "the MTU from the file (9000)" test "$(lease mtu)" = 9000
t_check "the search domain from the file (option 119)" \
	test "$(lease search)" = lab.example
t_check "... written to the guest's resolv.conf" \
	grep -q "search lab.example" "$LAB_GUEST_ETC/resolv.conf"
t_check "a zone from the file answers" \
	test "$(lab_guest dig +short +time=2 +tries=1 @192.168.127.1 box.cfg.internal)" = 10.9.9.9
t_check "an IPv6 record of the same name answers AAAA" \
	test "$(lab_guest dig +short +time=2 +tries=1 @192.168.127.1 box.cfg.internal AAAA)" = fd00::9
if command -v rdisc6 >/dev/null; then
	# rdisc6 needs the guest's link-local address (after its DAD)
	ra=
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ra=$(ip netns exec "$LAB_GUEST" rdisc6 -1 -w 1000 "$LAB_TAP" 2>&1) && break
		sleep 0.5
	done
	t_check "the search domain from the file in the router advertisement (DNSSL)" \
		sh -c "printf '%s' '$ra' | grep -q 'DNS search list *: lab.example'"
	t_check "the MTU from the file in the router advertisement" \
		sh -c "printf '%s' '$ra' | grep -q 'MTU *: *9000'"
else
	t_skip "the router advertisement from the file" "rdisc6 (ndisc6) not installed"
fi
t_check "no default zones with a config file" \
	test "$(lab_guest dig +short +time=2 +tries=1 @192.168.127.1 host.containers.internal)" != 192.168.127.254

mkdir -p "$LAB_DIR/www" && echo "configured" >"$LAB_DIR/www/index.html"
lab_spawn "$LAB_GUEST" "$LAB_DIR/web.log" python3 -m http.server 80 \
	--bind 192.168.127.50 --directory "$LAB_DIR/www"
lab_spawn "$LAB_NET" "$LAB_DIR/host.log" python3 -m http.server 8088 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_GUEST" 80
wait_for_port "$LAB_NET" 8088
t_check "a forward from the file" \
	sh -c "ip netns exec $LAB_NET curl -sf http://127.0.0.1:18100/ | grep -q configured"
if [ "$QCW_STACK" = slirp ]; then
	echo "# skip on slirp: NAT entries other than .254 -> 127.0.0.1 (libslirp has no NAT table; a start-up warning says so)"
	t_check "... libslirp's warning names the NAT entry" \
		grep -q "NAT 192.168.127.253 -> 127.0.0.1 is not carried out" "$LAB_DIR/qcw.log"
else
	t_check "a NAT entry and virtual IP from the file (.253 -> 127.0.0.1)" \
		sh -c "ip netns exec $LAB_GUEST curl -sf http://192.168.127.253:8088/ | grep -q configured"
fi
lab_net curl -sf --unix-socket "$LAB_DIR/api.sock" http://x/services/forwarder/all >"$LAB_DIR/all.json"
t_check "the listen endpoint from the file serves the API" grep -q 18100 "$LAB_DIR/all.json"
t_check "no ssh-port forward with a config file" sh -c "! grep -q 2222 '$LAB_DIR/all.json'"

# the command line overrides mtu
lab_stop_bridge
lab_stop_backend
lab_start_backend qcw -config "$LAB_DIR/gvproxy.yaml" -mtu 1500
lab_start_bridge
lab_dhcp >/dev/null
t_check "-mtu on the command line overrides the file" test "$(lease mtu)" = 1500

# a broken file is a clear start-up error
echo "stack: [" >"$LAB_DIR/bad.yaml"
"$QCW_NET" -config "$LAB_DIR/bad.yaml" >"$LAB_DIR/bad.out" 2>&1
t_check "a broken config file exits 1" test $? = 1
t_check "... naming the YAML error" grep -q "YAML error" "$LAB_DIR/bad.out"

# stack.backend: the backend as -stack, which wins over it
printf 'stack:\n  backend: nope\n' >"$LAB_DIR/backend.yaml"
"$QCW_NET" -config "$LAB_DIR/backend.yaml" >"$LAB_DIR/backend.out" 2>&1
t_check "stack.backend a build does not have exits 2" test $? = 2
t_check "... with -stack's message" grep -q \
	"stack nope is not available in this build (it has: lwip" "$LAB_DIR/backend.out"
lab_stop_bridge
lab_stop_backend
lab_start_backend qcw -config "$LAB_DIR/backend.yaml" -stack lwip
t_check "-stack lwip wins over stack.backend" grep -q "stack: lwIP" "$LAB_DIR/qcw.log"

t_summary
