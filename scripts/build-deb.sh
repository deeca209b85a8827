#!/usr/bin/env bash
# build-deb.sh: build qcw-net's Debian package from this tree without
# touching it: the tree (tracked and untracked files that git does not
# ignore, plus lwIP's tarball from subprojects/packagefiles) is copied to a
# scratch directory and built there with `dpkg-buildpackage -b -us -uc`;
# then lintian checks the result. Offline once scripts/setup-deps.sh ran.
#
# Usage: scripts/build-deb.sh [OUTDIR]   (default: build-deb/)
# Puts qcw-net_<version>_<arch>.deb, the .changes, .buildinfo and
# lintian.txt in OUTDIR. Exits non-zero when the build fails or lintian
# reports an error or a warning (informational tags are printed only).
# Environment: DEB_BUILD_OPTIONS as usual (e.g. "nocheck parallel=2").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/build-deb}" && cd "${1:-$top/build-deb}" && pwd)
work=$(mktemp -d /tmp/qcw-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/qcw-net

mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	tar -C "$top" --exclude='./build*' --exclude=./debian/build -cf - . |
		tar -xf - -C "$src"
fi
mkdir -p "$src/subprojects/packagefiles"
cp "$top"/subprojects/packagefiles/lwip_*.orig.tar.* "$src/subprojects/packagefiles/" 2>/dev/null || {
	echo "build-deb: no lwIP tarball in subprojects/packagefiles: run scripts/setup-deps.sh" >&2
	exit 1
}

echo "build-deb: dpkg-buildpackage -b -us -uc in $src"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1); then
	tail -n 60 "$work/build.log"
	cp "$work/build.log" "$out/build.log"
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
cp "$work/build.log" "$out/build.log"
rm -f "$out"/qcw-net*.deb "$out"/qcw-net_*.changes "$out"/qcw-net_*.buildinfo
cp "$work"/qcw-net*.deb "$work"/qcw-net_*.changes "$work"/qcw-net_*.buildinfo "$out/"
deb=$(ls "$out"/qcw-net_*.deb)
echo "build-deb: $(basename "$deb") in $(($(date +%s) - start)) s"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print "  " $1, $6, $7, $8}'

if command -v lintian >/dev/null; then
	# --info shows the I: tags too; E: and W: fail the build.
	lintian --info --display-info "$out"/qcw-net_*.changes 2>&1 |
		grep -v 'running with root privileges' >"$out/lintian.txt" || true
	sed 's/^/  lintian: /' "$out/lintian.txt"
	if grep -Eq '^[EW]: ' "$out/lintian.txt"; then
		echo "build-deb: lintian reported errors or warnings" >&2
		exit 1
	fi
else
	echo "build-deb: lintian is not installed; not checked"
fi
