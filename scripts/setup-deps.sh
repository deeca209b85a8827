#!/usr/bin/env bash
# setup-deps.sh: install qcw-net's build and test dependencies from Debian
# packages and fetch the pristine lwIP source (apt-get source) into
# subprojects/packagefiles so meson can build it offline with our lwipopts.h.
# Idempotent: does nothing that is already done. Run as root.
# --build-only: skip the packages only the tests need (and the Debian
# packaging tools, debhelper and lintian, which scripts/test.sh uses).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

BUILD_PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format
 libuv1-dev libcmocka-dev libjansson-dev libc-ares-dev
 libssh-dev libyaml-dev libhttp-parser-dev libslirp-dev libglib2.0-dev libpcap-dev libseccomp-dev dpkg-dev xz-utils
 scdoc"
TEST_PKGS="iproute2 busybox iputils-ping curl socat dnsutils iperf3 procps
 netcat-openbsd python3 passt qemu-system-x86 cpio dnsmasq-base openssh-server openssh-client
 man-db bsdextrautils debhelper lintian python3-prometheus-client tmux tcpdump"
# the IPv6 gateway's e2e test: rdisc6/ndisc6 and dhclient -6
TEST_PKGS="$TEST_PKGS ndisc6 isc-dhcp-client"
pkgs="$BUILD_PKGS"
[ "${1:-}" = "--build-only" ] || pkgs="$pkgs $TEST_PKGS"
want=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || want="$want $p"
done

# deb-src: derive it from the machine's own apt sources, naming no host.
enable_deb_src() {
	local changed=0 f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		if grep -q '^Types: deb$' "$f"; then
			sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
			changed=1
		fi
	done
	if [ -f /etc/apt/sources.list ] && ! grep -q '^deb-src' /etc/apt/sources.list; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/qcw-deb-src.list || true
		[ -s /etc/apt/sources.list.d/qcw-deb-src.list ] && changed=1
	fi
	return $changed
}

pkgdir="$top/subprojects/packagefiles"
tarball=$(ls "$pkgdir"/lwip_*.orig.tar.* 2>/dev/null | head -n1 || true)
need_update=0
[ -n "$want" ] && need_update=1
if [ -z "$tarball" ]; then
	enable_deb_src || need_update=1
	need_update=1
fi
if [ "$need_update" = 1 ]; then
	apt-get update -qq
fi
if [ -n "$want" ]; then
	echo "setup: installing$want"
	apt-get install -y -qq --no-install-recommends $want >/dev/null
fi
if [ -z "$tarball" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get source --download-only lwip >/dev/null)
	mkdir -p "$pkgdir"
	cp "$tmp"/lwip_*.orig.tar.* "$pkgdir/"
	rm -rf "$tmp"
	tarball=$(ls "$pkgdir"/lwip_*.orig.tar.* | head -n1)
fi
echo "setup: lwIP source $(basename "$tarball")"
