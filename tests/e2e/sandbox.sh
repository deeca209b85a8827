#!/usr/bin/env bash
# sandbox.sh - issue 11 item 4 end to end: qcw-net sandboxes itself after
# start-up by default (seccomp allow-list, no_new_privs, capabilities
# dropped); /proc/<pid>/status shows it; -no-sandbox and "sandbox: false"
# turn it off; -runas changes the identity; the guest's ping works in a
# namespace whose ping_group_range forbids ping sockets ("1 0", the
# default) through the raw ICMP socket opened before the sandbox closed.
# Exit: 0 pass, 1 fail, 77 skipped.

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd busybox curl ping
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"

HOST=192.168.127.254

lab_init sandbox
API=$LAB_DIR/api.sock

qpid() { cat "$LAB_DIR/qcw.pid"; }
status() { # status FIELD: its value in qcw-net's /proc/<pid>/status
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$(qpid)/status"
}
field_is() { [ "$(status "$1")" = "$2" ]; }
sandboxed() { wait_until 5 field_is Seccomp 2; }
api() { lab_net curl -sf --max-time 5 --unix-socket "$API" "http://x$1"; }
icmp_flows() { api /stats | grep -o '"ICMP":{"FlowsOpen":[0-9]*,"FlowsTotal":[0-9]*' | sed 's/.*://'; }
expose() { # expose PORT: a forward on 127.0.0.1:PORT to the guest's :80
	lab_net "$QCW_NET" expose --local "127.0.0.1:$1" \
		--remote 192.168.127.2:80 --socket "unix://$API"
}
restart() { # restart [qcw-net args]
	lab_stop_bridge
	lab_stop_backend
	lab_start_backend qcw -listen "unix://$API" "$@"
	lab_start_bridge
	# the sandbox closes right after the sockets appear
	wait_until 5 grep -q "sandbox: o" "$LAB_DIR/qcw.log"
}
caps_are() { field_is CapEff "$1" && field_is CapPrm "$1" && field_is CapBnd "$1"; }
flows_at_least() { [ "$(icmp_flows)" -ge "$1" ]; }

# ---- the lab's default here: ping sockets forbidden, as in any new netns;
# ports below 1024 privileged ----
lab_net sysctl -qw net.ipv4.ping_group_range="1 0"
lab_net sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
lab_start_backend qcw -listen "unix://$API"
lab_start_bridge
lab_dhcp >/dev/null 2>&1 || lab_die "no DHCP lease"

t_check "sandbox on by default: Seccomp: 2 (filter)" sandboxed
t_check "NoNewPrivs: 1" field_is NoNewPrivs 1
t_check "log says the sandbox is on" grep -q "sandbox: on" "$LAB_DIR/qcw.log"
# root may bind ports < 1024: kept for forwards added later (API)
t_check "CapEff: only CAP_NET_BIND_SERVICE (root, ports < 1024 privileged)" \
	field_is CapEff 0000000000000400
t_check "CapPrm and CapBnd: the same" caps_are 0000000000000400
t_check "CapInh and CapAmb: empty" \
	eval "field_is CapInh 0000000000000000 && field_is CapAmb 0000000000000000"
t_check "the host API answers under the sandbox" api /stats
t_check "a forward on port 81 added later (kept capability)" expose 81

if [ "${QCW_STACK:-}" = slirp ]; then
	t_skip "ping_group_range \"1 0\": the raw ICMP socket is used" \
		"lwIP's NAT only: libslirp opens its own ICMP sockets"
else
	t_check "ping_group_range \"1 0\": the raw ICMP socket is used" \
		grep -q "ICMP echo goes through a raw socket" "$LAB_DIR/qcw.log"
fi
t_check "ping $HOST through the raw socket (3 echoes)" \
	lab_guest ping -c 3 -i 0.2 -W 2 $HOST
t_check "ping with a 4000-byte payload (fragments, checksum fixed)" \
	lab_guest ping -c 1 -W 2 -s 4000 $HOST
t_check "two pings at once, each gets its own replies" \
	sh -c "ip netns exec $LAB_GUEST ping -c 3 -i 0.2 -W 2 $HOST >/dev/null &
	       p=\$!; ip netns exec $LAB_GUEST ping -c 3 -i 0.2 -W 2 $HOST >/dev/null &&
	       wait \$p"
if [ "${QCW_STACK:-}" = slirp ]; then
	t_skip "/stats counts the ICMP flows" \
		"libslirp hides its flows: NAT flow counters stay 0 (README, Stacks)"
else
	t_check "/stats counts the ICMP flows" flows_at_least 3
fi
t_check "the raw socket keeps no capability: CapEff unchanged" \
	field_is CapEff 0000000000000400
t_check "no refused syscall along the way: qcw-net alive" \
	kill -0 "$(qpid)"

# ---- nothing needs a capability: CapEff 0 ----
lab_net sysctl -qw net.ipv4.ip_unprivileged_port_start=0
lab_net sysctl -qw net.ipv4.ping_group_range="0 2147483647"
restart
t_check "ping sockets allowed, ports unprivileged: CapEff 0" \
	caps_are 0000000000000000
t_check "Seccomp: 2" sandboxed
t_check "no raw socket when ping sockets are allowed" \
	sh -c "! grep -q 'through a raw socket' $LAB_DIR/qcw.log"
t_check "ping through ping sockets" lab_guest ping -c 2 -i 0.2 -W 2 $HOST

# ---- -runas: identity changed, the kept capability follows ----
lab_net sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
restart -runas nobody
t_check "-runas nobody: Uid 65534" field_is Uid 65534
t_check "-runas: Seccomp: 2" sandboxed
t_check "-runas: CAP_NET_BIND_SERVICE kept across setuid" \
	field_is CapEff 0000000000000400
t_check "-runas: a forward on port 82 works" expose 82
t_check "-runas: ping works" lab_guest ping -c 2 -i 0.2 -W 2 $HOST
lab_net "$QCW_NET" -runas nobody -no-sandbox -listen-qemu \
	"unix://$LAB_DIR/x.sock" >"$LAB_DIR/both.out" 2>&1
t_check "-runas with -no-sandbox is refused (exit 1)" test $? = 1

# ---- turned off ----
restart -no-sandbox
t_check "-no-sandbox: Seccomp: 0" field_is Seccomp 0
t_check "-no-sandbox: logged" grep -q "sandbox: off" "$LAB_DIR/qcw.log"
cat >"$LAB_DIR/off.yaml" <<YAML
sandbox: false
YAML
restart -config "$LAB_DIR/off.yaml"
t_check "config sandbox: false: Seccomp: 0, NoNewPrivs: 0" \
	eval "field_is Seccomp 0 && field_is NoNewPrivs 0"
t_check "config sandbox: false: the guest still pings" \
	lab_guest ping -c 1 -W 2 $HOST

t_summary
