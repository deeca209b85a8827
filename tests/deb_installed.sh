#!/usr/bin/env bash
# deb_installed.sh - the Debian package as a user gets it: dpkg -i the
# .deb on this machine, check what it installed (program, the gvproxy name
# Podman starts, the manual page, checked by tests/man_flags.sh against the
# installed program), serve the lab guest once through the INSTALLED
# /usr/libexec/podman/gvproxy (a DHCP lease and a download from the host),
# then dpkg --purge it and check that nothing is left.
#
# Usage (as root): tests/deb_installed.sh path/to/qcw-net_<version>_<arch>.deb
# Needs qcw-tapbridge from a build (QCW_BUILD_DIR or QCW_TAPBRIDGE).
# Exit: 0 pass, 1 fail, 77 skipped (not root, tools missing, or qcw-net or
# a gvproxy already installed: the machine is never changed for good).

. "$(dirname "${BASH_SOURCE[0]}")/lab/lab.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deb=${1:-}
[ -f "$deb" ] || lab_die "usage: $0 QCW_NET_DEB"

lab_require_root
lab_require_cmd dpkg busybox curl python3 sha256sum man
[ -x "$QCW_TAPBRIDGE" ] || lab_skip "qcw-tapbridge not built ($QCW_TAPBRIDGE)"
if [[ $(dpkg-query -W -f='${Status}' qcw-net 2>/dev/null) == *" installed" ]]; then
	lab_skip "qcw-net is installed on this machine already; not replacing it"
fi
[ -e /usr/libexec/podman/gvproxy ] && lab_skip "/usr/libexec/podman/gvproxy exists; not replacing it"
podman_dir_existed=0
[ -d /usr/libexec/podman ] && podman_dir_existed=1

purge() { dpkg --purge qcw-net >/dev/null 2>&1; }
lab_init deb
lab_defer purge # also when the test dies half-way

# ---- install ----
if ! out=$(dpkg -i "$deb" 2>&1); then
	echo "$out"
	purge
	lab_die "dpkg -i $deb failed"
fi
t_ok "dpkg -i $(basename "$deb")"
files=$(dpkg -L qcw-net)
for f in /usr/bin/qcw-net /usr/libexec/podman/gvproxy \
	/usr/share/man/man1/qcw-net.1.gz /usr/share/doc/qcw-net/copyright \
	/usr/bin/qcw-net-vm /usr/share/man/man1/qcw-net-vm.1.gz; do
	t_check "the package has $f" grep -qxF "$f" <<<"$files"
done
t_check "gvproxy is a link to qcw-net" \
	test "$(readlink -f /usr/libexec/podman/gvproxy)" = /usr/bin/qcw-net
t_check "the in-VM agent runs: qcw-net-vm -version" sh -c \
	"/usr/bin/qcw-net-vm -version | grep -q '^qcw-net-vm version v'"
ver=$(/usr/bin/qcw-net -version)
t_check "qcw-net -version: $ver" grep -q '^qcw-net version v' <<<"$ver"
t_check "gvproxy -version is the same" \
	test "$(/usr/libexec/podman/gvproxy -version)" = "$ver"
t_check "man finds qcw-net(1)" \
	test "$(man -w qcw-net 2>/dev/null)" = /usr/share/man/man1/qcw-net.1.gz
t_check "man --warnings qcw-net prints no warning" \
	test -z "$(MANWIDTH=80 man --warnings qcw-net 2>&1 >/dev/null)"
t_check "the installed page documents the installed program" \
	bash "$HERE/man_flags.sh" /usr/bin/qcw-net /usr/share/man/man1/qcw-net.1.gz \
	"$LAB_SRC_ROOT"

# ---- a guest served by the installed gvproxy name, as Podman runs it ----
QCW_NET=/usr/libexec/podman/gvproxy
lab_start_backend qcw
t_check "the daemon runs /usr/bin/qcw-net" \
	test "$(readlink "/proc/$LAB_BACKEND_PID/exe")" = /usr/bin/qcw-net
t_check "its log starts with the version line" \
	sh -c "head -n1 '$LAB_DIR/qcw.log' | grep -q 'msg=\"qcw-net version v'"
lab_start_bridge
t_check "udhcpc gets a lease" lab_dhcp
t_check "the lease is 192.168.127.2" \
	sh -c ". '$LAB_LEASE_FILE' && test \"\$ip\" = 192.168.127.2"
mkdir -p "$LAB_DIR/www"
head -c $((32 * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/file.bin"
want=$(sha256sum <"$LAB_DIR/www/file.bin" | cut -d' ' -f1)
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
wait_for_port "$LAB_NET" 8080
got=$(lab_guest curl -sf --max-time 60 http://192.168.127.254:8080/file.bin |
	sha256sum | cut -d' ' -f1)
t_check "a 32 MiB download from the host keeps its sha256" test "$got" = "$want"
lab_stop_bridge
lab_stop_backend

# ---- remove: the machine as it was ----
t_check "dpkg --purge qcw-net" dpkg --purge qcw-net
t_check "the package is gone" \
	sh -c "! dpkg-query -W -f='\${Status}' qcw-net 2>/dev/null | grep -q ' installed'"
for f in /usr/bin/qcw-net /usr/libexec/podman/gvproxy /usr/share/man/man1/qcw-net.1.gz \
	/usr/share/doc/qcw-net; do
	t_check "$f is gone" test ! -e "$f" -a ! -L "$f"
done
[ "$podman_dir_existed" = 0 ] &&
	t_check "/usr/libexec/podman is gone (dpkg made it)" test ! -e /usr/libexec/podman
t_summary
