#!/usr/bin/env bash
# install_layout.sh - "meson install --destdir" into a scratch directory
# lays out exactly: qcw-net (and on Linux the in-VM agent qcw-net-vm) in
# <bindir>, qcw-net.1 in <mandir>/man1 (when
# the page is built), and with -Dgvproxy=true the name gvproxy in
# <libexecdir>/podman, a link that resolves to the installed qcw-net and
# behaves as gvproxy: the same -version and -help, and a first argument
# that is a word starts the daemon instead of a client command.
#
# Usage: install_layout.sh MESON BUILD_ROOT VERSION GVPROXY(true|false)
#        MAN(true|false) BINDIR MANDIR LIBEXECDIR   (absolute paths)
# Exit: 0 pass, 1 fail.
set -uo pipefail
meson=$1 build=$2 version=$3 gvproxy=$4 man=$5 bindir=$6 mandir=$7 libexecdir=$8
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

dest=$(mktemp -d /tmp/qcw-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
if ! "$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1; then
	cat "$dest.log"
	rm -f "$dest.log"
	echo "FAIL: meson install --destdir failed"
	exit 1
fi
rm -f "$dest.log"

want=("$bindir/qcw-net")
# the in-VM agent (vsock/), Linux only
if [ "$(uname -s)" = Linux ]; then
	want+=("$bindir/qcw-net-vm")
	[ "$man" = true ] && want+=("$mandir/man1/qcw-net-vm.1")
fi
[ "$man" = true ] && want+=("$mandir/man1/qcw-net.1")
[ "$gvproxy" = true ] && want+=("$libexecdir/podman/gvproxy")

# exactly the expected files and links, nothing else
got=$(cd "$dest" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort)
expect=$(printf '%s\n' "${want[@]}" | sort)
while read -r f; do
	[ -n "$f" ] || continue
	grep -qxF -- "$f" <<<"$expect" ||
		fail "unexpected file installed: $f (if intended, list it in tests/install_layout.sh)"
done <<<"$got"
for f in "${want[@]}"; do
	if [ -e "$dest$f" ] || [ -L "$dest$f" ]; then ok "installed $f"; else fail "missing $f"; fi
done

qcw=$dest$bindir/qcw-net
[ -x "$qcw" ] || fail "$bindir/qcw-net is not executable"
v=$("$qcw" -version 2>&1)
[ "$v" = "qcw-net version v$version (gvproxy compatible)" ] && ok "qcw-net -version: $v" ||
	fail "installed qcw-net -version printed \"$v\""

if [ "$(uname -s)" = Linux ]; then
	vmv=$("$dest$bindir/qcw-net-vm" -version 2>&1)
	[ "$vmv" = "qcw-net-vm version v$version" ] && ok "qcw-net-vm -version: $vmv" ||
		fail "installed qcw-net-vm -version printed \"$vmv\""
fi

if [ "$man" = true ] && command -v man >/dev/null; then
	# (outputs are captured before grep: with pipefail, a grep -q that
	# stops reading early would fail the pipeline through SIGPIPE)
	page=$(MANWIDTH=80 man -l "$dest$mandir/man1/qcw-net.1" 2>/dev/null)
	grep -q '^NAME' <<<"$page" &&
		ok "the installed page renders" || fail "man -l cannot render the installed page"
fi

if [ "$gvproxy" = true ]; then
	gv=$dest$libexecdir/podman/gvproxy
	link=$(readlink "$gv")
	case $link in
	/*) # absolute (bindir or libexecdir outside the prefix): check the name
		[ "$link" = "$bindir/qcw-net" ] || fail "gvproxy -> $link, not $bindir/qcw-net" ;;
	*) # relative: it must resolve inside the destdir to the same file
		[ "$(readlink -f "$gv")" = "$(readlink -f "$qcw")" ] &&
			ok "gvproxy -> $link resolves to $bindir/qcw-net" ||
			fail "gvproxy -> $link does not resolve to $bindir/qcw-net" ;;
	esac
	if [ "${link#/}" = "$link" ]; then
		[ "$("$gv" -version 2>&1)" = "$v" ] && ok "gvproxy -version is qcw-net's" ||
			fail "gvproxy -version printed \"$("$gv" -version 2>&1)\""
		# -help: the same list; only the program name in "Usage of" differs
		qh=$("$qcw" -help 2>&1)
		gh=$("$gv" -help 2>&1)
		if [ "$(tail -n +2 <<<"$qh")" = "$(tail -n +2 <<<"$gh")" ] &&
			[ "$(wc -l <<<"$gh")" -gt 10 ] &&
			grep -q "^Usage of .*/gvproxy:\$" <<<"$(head -n 1 <<<"$gh")"; then
			ok "gvproxy -help lists qcw-net's flags"
		else
			fail "gvproxy -help differs from qcw-net -help"
		fi
		# A word first: qcw-net runs a client command, gvproxy the daemon
		# (Podman never passes one, but it must not become a client).
		# The daemon runs for a second in a network namespace of its own.
		grep -q '^commands:' <<<"$("$qcw" help)" && ok "qcw-net help is the client" ||
			fail "qcw-net help did not list the commands"
		if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
			out=$(unshare -n sh -c 'ip link set lo up; exec timeout -s TERM 1 "$0" help' "$gv" 2>&1)
			if grep -q 'msg="qcw-net version' <<<"$out" && ! grep -q '^commands:' <<<"$out"; then
				ok "gvproxy help starts the daemon"
			else
				fail "gvproxy help did not start the daemon: $out"
			fi
		else
			echo "skip: gvproxy help as the daemon (needs root for a network namespace)"
		fi
	fi
fi

echo "install_layout: $fails failed"
[ "$fails" = 0 ]
