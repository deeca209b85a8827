#!/bin/sh
# wine-run.sh: the Windows cross build's wine runner (the cross file's
# exe_wrapper is the same few lines, written out there): runs a
# Windows program under Debian's wine64 in a scratch prefix
# (QCW_WINEPREFIX, default /tmp/qcw-wine-<uid>; created on first use, which
# takes a few seconds), with wine's debug channels off so the program's own
# output is all that is printed. The exit status is the program's.
set -eu
wine=${QCW_WINE:-}
if [ -z "$wine" ]; then
	for w in /usr/lib/wine/wine64 wine64 wine; do
		if command -v "$w" >/dev/null 2>&1; then
			wine=$w
			break
		fi
	done
fi
if [ -z "$wine" ]; then
	echo "wine-run.sh: wine64 not found (apt-get install wine64)" >&2
	exit 127
fi
WINEPREFIX=${QCW_WINEPREFIX:-${TMPDIR:-/tmp}/qcw-wine-$(id -u)}
WINEDEBUG=-all
export WINEPREFIX WINEDEBUG
mkdir -p "$WINEPREFIX"
exec "$wine" "$@"
