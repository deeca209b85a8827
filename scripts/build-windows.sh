#!/usr/bin/env bash
# build-windows.sh: cross-build qcw-net for x86_64 Windows on Debian with
# mingw-w64 (meson/x86_64-w64-mingw32.ini) -> BUILDDIR/qcw-net.exe, one
# self-contained program: libuv, c-ares, jansson, libyaml, http-parser, PCRE2 (and
# cmocka for the tests) are Debian's source packages built as static
# subprojects; scripts/setup-deps.sh (as root) installs the compiler and
# wine and fetches the sources.
#
# usage: scripts/build-windows.sh [--werror] [--test] [--zip] [BUILDDIR]
#   --werror  warnings are errors (as CI builds)
#   --test    run the unit tests and corpus replays (.exe) under wine64
#             (meson/wine-run.sh: scratch WINEPREFIX, WINEDEBUG=-all)
#   --zip     also BUILDDIR/packaging/qcw-net-<version>-windows-amd64.zip
# BUILDDIR defaults to build-win (set up again when the options change).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

werror=false
run_tests=0
zip=0
bdir=build-win
for a in "$@"; do
	case $a in
	--werror) werror=true ;;
	--test) run_tests=1 ;;
	--zip) zip=1 ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "build-windows.sh: unknown option $a" >&2
		exit 2
		;;
	*) bdir=$a ;;
	esac
done

if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
	echo "build-windows.sh: no x86_64-w64-mingw32-gcc; run scripts/setup-deps.sh as root" >&2
	exit 1
fi
# the pristine tarballs and Debian's patches the wraps name
for w in subprojects/*.wrap; do
	for f in $(sed -n 's/^source_filename *= *//p; s/^diff_files *= *//p' "$w" | tr ',' ' '); do
		if [ ! -f "subprojects/packagefiles/$f" ]; then
			echo "build-windows.sh: subprojects/packagefiles/$f missing; run scripts/setup-deps.sh as root" >&2
			exit 1
		fi
	done
done

# A subproject unpacked before its overlay changed keeps the old meson.build
# (meson copies the overlay only when it unpacks): unpack it again.
stale=0
for w in subprojects/*.wrap; do
	d=$(sed -n 's/^directory *= *//p' "$w")
	o=$(sed -n 's/^patch_directory *= *//p' "$w")
	[ -n "$d" ] && [ -n "$o" ] && [ -d "subprojects/$d" ] || continue
	if ! cmp -s "subprojects/packagefiles/$o/meson.build" "subprojects/$d/meson.build"; then
		echo "build-windows.sh: subprojects/$d predates its overlay: unpacking it again"
		rm -rf "subprojects/$d"
		stale=1
	fi
done

# the e2e lab is Linux-only; the Windows build's own e2e runs its .exe
opts=(-Dwerror=$werror -Dtests=enabled -De2e=false -Dman=disabled)
if [ -f "$bdir/build.ninja" ] && [ "$stale" = 1 ]; then
	meson setup --reconfigure "$bdir" "${opts[@]}" >/dev/null
elif [ -f "$bdir/build.ninja" ]; then
	meson configure "$bdir" "${opts[@]}" >/dev/null
else
	meson setup "$bdir" --cross-file meson/x86_64-w64-mingw32.ini "${opts[@]}" >/dev/null
fi
ninja -C "$bdir"
echo "build-windows.sh: $bdir/qcw-net.exe"

if [ "$zip" = 1 ]; then
	ninja -C "$bdir" zip
	ls "$bdir"/packaging/qcw-net-*-windows-amd64.zip
fi

if [ "$run_tests" = 1 ]; then
	# One wineserver for the whole run, so that no test starts while the
	# previous one's server is exiting (wine's own default: 3 s after its
	# last client) or races another test to start one. It goes first: a
	# server already running (wineboot's) would refuse -p. -p60: it still
	# goes away a minute after the last test if this script is killed; its
	# stdio must not hold a caller's pipe open.
	prefix=${QCW_WINEPREFIX:-${TMPDIR:-/tmp}/qcw-wine-$(id -u)}
	ws=$(dirname "$(command -v "${QCW_WINE:-/usr/lib/wine/wine64}" ||
		command -v wine64)")/wineserver
	wsrv() { [ ! -x "$ws" ] || WINEPREFIX=$prefix "$ws" "$@" </dev/null >/dev/null 2>&1; }
	mkdir -p "$prefix"
	wsrv -k || true
	wsrv -p60 || echo "build-windows.sh: wineserver -p60 failed; each test starts its own"
	# create the wine prefix once before the tests run in parallel
	meson/wine-run.sh wineboot --init >/dev/null 2>&1 || true
	rc=0
	meson test -C "$bdir" --suite unit --suite fuzz-replay --print-errorlogs \
		--num-processes 2 || rc=$?
	wsrv -k || true
	exit $rc
fi
