#!/usr/bin/env bash
# man_flags.sh - checks the manual page qcw-net(1) against the program:
# man renders it without a warning (MANWIDTH=80, in the C and a UTF-8
# locale), every flag "qcw-net -help" prints has an entry under OPTIONS
# and every entry there is a flag, every command "qcw-net help" prints is
# under COMMANDS, every route of api/api.c is under CONTROL API and
# every key cmd/config.c reads is in the page. A miss is named on its own
# line, e.g. "FAIL: -max-flows (printed by qcw-net -help) has no entry".
#
# Usage: man_flags.sh QCW_NET PAGE.1 [SOURCE_ROOT]
# Exit: 0 pass, 1 fail, 77 skipped (man is not installed).
set -uo pipefail
qcw=$1
page=$2
src=${3:-$(cd "$(dirname "$0")/.." && pwd)}
fails=0
checks=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

command -v man >/dev/null || {
	echo "SKIP: man is not installed"
	exit 77
}
[ -x "$qcw" ] && [ -f "$page" ] || {
	echo "usage: $0 QCW_NET PAGE.1 [SOURCE_ROOT]" >&2
	exit 1
}

# 1. man renders it without warnings (the check is exactly this command).
for loc in C C.UTF-8; do
	checks=$((checks + 1))
	warn=$(LC_ALL=$loc MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || fail "man --warnings -l ($loc) printed:"$'\n'"$warn"
done

text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | col -bx)
[ -n "$text" ] || {
	echo "FAIL: man -l $page rendered nothing"
	exit 1
}

# section NAME: the rendered lines of one top-level section.
section() {
	awk -v want="$1" '
		/^[A-Z][A-Z ]*$/ { on = ($0 == want); next }
		on { print }' <<<"$text"
}
# terms NAME: the entries of a section's definition lists: a run of lines
# indented by exactly 7 spaces (a term, wrapped or not) right after a blank
# line and right before a line indented further (its description); runs
# of paragraph text end at a blank line instead and are left out.
terms() {
	section "$1" | awk '
		BEGIN { ok = 1 }
		/^ *$/ || /^   [^ ]/ { run = ""; ok = 1; next }
		/^       [^ ]/ { if (ok) { sub(/^ +/, ""); run = run (run ? " " : "") $0 }; next }
		/^        / { if (ok && run != "") print run; run = ""; ok = 0 }'
}

# 2. flags: -help's list against the terms of OPTIONS.
help_flags=$("$qcw" -help 2>&1 | sed -n 's/^  -\([^ ]*\).*$/\1/p' | sort -u)
[ -n "$help_flags" ] || fail "qcw-net -help printed no flags"
page_flags=$(terms OPTIONS | tr ',' ' ' | tr ' ' '\n' |
	sed -n 's/^-\([A-Za-z][A-Za-z0-9-]*\)$/\1/p' | sort -u)
for f in $help_flags; do
	checks=$((checks + 1))
	grep -qx -- "$f" <<<"$page_flags" ||
		fail "-$f (printed by qcw-net -help) has no entry under OPTIONS in qcw-net(1): add \"*-$f* ...\" to man/qcw-net.1.scd"
done
for f in $page_flags; do
	case $f in h | help) continue ;; esac
	checks=$((checks + 1))
	grep -qx -- "$f" <<<"$help_flags" ||
		fail "qcw-net(1) documents -$f, which qcw-net -help does not print"
done

# 3. client commands: "qcw-net help" against the terms of COMMANDS.
cmd_words() { # the words of each line before its first option or argument
	awk '{ w = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^[-[]/ || $i ~ /^[A-Z]/) break; w = w (w ? " " : "") $i } if (w) print w }'
}
help_cmds=$("$qcw" help | sed -n 's/^  \([a-z].*\)$/\1/p' | cmd_words | sort -u)
[ -n "$help_cmds" ] || fail "qcw-net help printed no commands"
page_cmds=$(terms COMMANDS | cmd_words | sort -u)
while read -r c; do
	[ -n "$c" ] || continue
	checks=$((checks + 1))
	grep -qxF -- "$c" <<<"$page_cmds" ||
		fail "command \"$c\" (printed by qcw-net help) has no entry under COMMANDS in qcw-net(1)"
done <<<"$help_cmds"

# 4. API routes: api/api.c's route table against CONTROL API.
api_text=$(section "CONTROL API")
routes=$(sed -n 's/^[[:space:]]*{"\(\/[^"]*\)".*/\1/p' "$src/api/api.c" | sort -u)
[ -n "$routes" ] || fail "no routes found in $src/api/api.c (table format changed?)"
for r in $routes; do
	checks=$((checks + 1))
	grep -Eq -- "(^|[ ,])$r([ ,?]|\$)" <<<"$api_text" ||
		fail "route $r (api/api.c) is not under CONTROL API in qcw-net(1)"
done

# 5. configuration keys: what cmd/config.c reads, against the page's text.
cfg_text=$(section "CONFIGURATION FILE")
keys=$(grep -Eo 'cfg_(str|bool|strlist|seq|pairs|get)\(x, [a-z]+, "[^"]*"' "$src/cmd/config.c" |
	sed 's/.*"\(.*\)"/\1/' | sort -u)
[ -n "$keys" ] || fail "no keys found in $src/cmd/config.c (parser changed?)"
for k in $keys; do
	checks=$((checks + 1))
	grep -Eq -- "(^|[ (,])$k([ :),.]|\$)" <<<"$cfg_text" ||
		fail "configuration key \"$k\" (cmd/config.c) is not under CONFIGURATION FILE in qcw-net(1)"
done

echo "man_flags: $checks checks, $fails failed ($(wc -w <<<"$help_flags") flags," \
	"$(wc -l <<<"$help_cmds") commands, $(wc -w <<<"$routes") routes, $(wc -w <<<"$keys") keys)"
[ "$fails" = 0 ]
