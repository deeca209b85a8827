#!/usr/bin/env bash
# setup-deps.sh: install qcw-net's build and test dependencies from Debian
# packages and fetch the pristine sources (apt-get source) that meson builds
# offline as subprojects into subprojects/packagefiles: lwIP (with our
# lwipopts.h) on every platform, and for the Windows cross build
# (scripts/build-windows.sh) libuv, c-ares, jansson, libyaml, http-parser,
# pcre2 and cmocka, whose Linux build uses the -dev packages instead.
# Idempotent: does nothing that is already done. Run as root.
# --build-only: skip the packages only the tests need (and the Debian
# packaging tools, debhelper and lintian, which scripts/test.sh uses).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

BUILD_PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format
 libuv1-dev libcmocka-dev libjansson-dev libc-ares-dev
 libssh-dev libyaml-dev libhttp-parser-dev libslirp-dev libglib2.0-dev libpcap-dev libseccomp-dev dpkg-dev xz-utils
 libpcre2-dev
 scdoc"
TEST_PKGS="iproute2 busybox iputils-ping curl socat dnsutils iperf3 procps
 netcat-openbsd python3 passt qemu-system-x86 cpio dnsmasq-base openssh-server openssh-client
 man-db bsdextrautils debhelper lintian python3-prometheus-client tmux tcpdump"
# the Windows cross build (scripts/build-windows.sh, which test.sh runs):
# mingw-w64, wine64 for its tests, python3 for its zip; not with
# --build-only (scripts/run.sh builds for Linux only)
TEST_PKGS="$TEST_PKGS gcc-mingw-w64-x86-64 wine64 python3"
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

# Debian source package of each subproject (subprojects/<name>.wrap): the
# wrap's source_filename is the pristine .orig tarball apt-get source
# fetches; its diff_files (if any) are Debian's patches from the package's
# .debian.tar.xz (debian/patches/series, in order), put in
# packagefiles/debian-patches/<name>/ for meson to apply.
SRC_PKGS="lwip:lwip libuv:libuv1 c-ares:c-ares jansson:jansson libyaml:libyaml
 http-parser:http-parser cmocka:cmocka pcre2:pcre2"
# the Windows build's SSH tunnels: libssh with Mbed TLS (issue 14)
SRC_PKGS="$SRC_PKGS libssh:libssh mbedtls:mbedtls"
pkgdir="$top/subprojects/packagefiles"
wrap_key() { # wrap_key NAME KEY: a value of subprojects/NAME.wrap
	sed -n "s/^$2 *= *//p" "$top/subprojects/$1.wrap"
}
wrap_files() { # wrap_files NAME: the files the wrap needs in packagefiles/
	wrap_key "$1" source_filename
	wrap_key "$1" diff_files | tr ',' '\n' | sed 's/^ *//; /^$/d'
}
missing=""
for sp in $SRC_PKGS; do
	for f in $(wrap_files "${sp%%:*}"); do
		if [ ! -f "$pkgdir/$f" ]; then
			missing="$missing $sp"
			break
		fi
	done
done
need_update=0
[ -n "$want" ] && need_update=1
if [ -n "$missing" ]; then
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
# fetch_src NAME SRCPKG: the .orig tarball and Debian's patches of SRCPKG
fetch_src() {
	local name=$1 src=$2 tmp file p listed
	tmp=$(mktemp -d)
	file=$(wrap_key "$name" source_filename)
	if ! (cd "$tmp" && apt-get source --download-only "$src" >/dev/null 2>&1); then
		# The newest version's files can be missing from the mirror (a
		# security update's source not there yet: seen with pcre2 and
		# libssh here): the other versions apt knows, newest first. The
		# wrap pins the .orig tarball's hash, and the patch check below
		# names any Debian patch the wrap does not apply.
		for v in $(apt-cache showsrc "$src" | sed -n 's/^Version: //p' | sort -rV); do
			rm -f "$tmp"/*
			if (cd "$tmp" && apt-get source --download-only "$src=$v" >/dev/null 2>&1) &&
				[ -f "$tmp/$file" ]; then
				echo "setup: $src: the newest source is not available; took $v's $file" >&2
				break
			fi
		done
	fi
	if [ ! -f "$tmp/$file" ]; then
		echo "setup: Debian's $src source is not $file (subprojects/$name.wrap):" \
			"$(cd "$tmp" && ls "${src}"_*.orig.tar.* 2>/dev/null | tr '\n' ' ')" >&2
		rm -rf "$tmp"
		return 1
	fi
	cp "$tmp/$file" "$pkgdir/"
	listed=$(wrap_key "$name" diff_files)
	if [ -n "$listed" ]; then
		mkdir -p "$tmp/deb" "$pkgdir/debian-patches/$name"
		tar -xf "$tmp"/"${src}"_*.debian.tar.* -C "$tmp/deb"
		for p in $(grep -v '^#' "$tmp/deb/debian/patches/series"); do
			if ! printf '%s\n' "$listed" | grep -q "debian-patches/$name/$p\b"; then
				echo "setup: WARNING: Debian's $src has a patch subprojects/$name.wrap does not apply: $p" >&2
			fi
			cp "$tmp/deb/debian/patches/$p" "$pkgdir/debian-patches/$name/"
		done
	fi
	rm -rf "$tmp"
	for p in $(wrap_files "$name"); do
		if [ ! -f "$pkgdir/$p" ]; then
			echo "setup: Debian's $src source has no $p (subprojects/$name.wrap)" >&2
			return 1
		fi
	done
}
if [ -n "$missing" ]; then
	mkdir -p "$pkgdir"
	for sp in $missing; do
		fetch_src "${sp%%:*}" "${sp#*:}" || exit 1
	done
fi
for sp in $SRC_PKGS; do
	name=${sp%%:*}
	n=$(wrap_files "$name" | wc -l)
	echo "setup: $name source $(wrap_key "$name" source_filename)$([ "$n" -gt 1 ] && echo " + $((n - 1)) Debian patches")"
done
