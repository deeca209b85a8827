#!/usr/bin/env bash
# test.sh: install what is missing, build, and run the whole test suite:
# unit tests (cmocka), fuzz corpus replays, the end-to-end lab (network
# namespaces, real udhcpc/ping/curl/iperf3 peers), a 90 s soak (suite
# 'soak', tests/soak/soak.sh), the same suite again (without the soak)
# under AddressSanitizer + UndefinedBehaviorSanitizer, every libFuzzer
# target for a bounded time, the clang-format check, a warning-free
# build, and the Debian package (built in a copy of the tree, lintian,
# installed with dpkg -i, serving the lab guest, removed again), and the
# Windows cross build (scripts/build-windows.sh: warnings are errors, the
# zip, the .exe unit tests under wine; e2e-windows-wine then serves the lab
# guest with it). Prints
# "N passed, N failed" last; exits non-zero on any failure.
#
# Environment: QCW_FUZZ_SECONDS (default 20) per fuzz target;
# QCW_SKIP_ASAN=1 / QCW_SKIP_FUZZ=1 to shorten a local run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
failures=()
details=$(mktemp /tmp/qcw-test-details.XXXXXX) # failed tests' output tails
trap 'rm -f "$details"' EXIT

note() { printf '\n=== %s\n' "$*"; }
gate() { # gate NAME CMD...: one pass/fail line per quality gate
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "gate ok: $name"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "gate FAILED: $name"
	fi
}
count_meson() { # count_meson BUILDDIR: add meson's results to the totals
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return 0
	read -r p f names < <(python3 - "$log" "$details" <<'PY'
import json, sys
p = f = 0
bad = []
with open(sys.argv[2], "a") as out:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r["result"] in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r["result"] != "SKIP":
            f += 1
            bad.append(r["name"])
            # the end of its output, for the summary (CI shows only the tail)
            text = (r.get("stdout") or "") + (r.get("stderr") or "")
            tail = text.splitlines()[-25:]
            out.write("--- %s: %s after %.1f s, exit %s; its last lines:\n"
                      % (r["name"], r["result"], r.get("duration", 0),
                         r.get("returncode")))
            out.write("".join("  | %s\n" % l for l in tail))
print(p, f, ",".join(bad))
PY
)
	passed=$((passed + p))
	failed=$((failed + f))
	[ -n "$names" ] && failures+=("$1: $names")
	return 0
}

note "set-up"
if [ "$(id -u)" = 0 ]; then
	bash scripts/setup-deps.sh || { echo "set-up failed"; echo "0 passed, 1 failed"; exit 1; }
else
	echo "not root: skipping package installation (the lab tests will skip)"
fi

note "clang-format"
fmt_check() {
	local bad=0 f
	for f in $(git ls-files '*.c' '*.h' | grep -v '^subprojects/'); do
		if ! clang-format --style=file "$f" | cmp -s - "$f"; then
			echo "not formatted: $f"
			bad=1
		fi
	done
	return $bad
}
gate clang-format fmt_check

note "build (warnings are errors)"
rm -rf build-ci
# -Dgvproxy=true: the install-layout test checks the gvproxy name too; as
# root (scdoc installed by the set-up) a missing page generator is an error.
man_opt=auto
[ "$(id -u)" = 0 ] && man_opt=enabled
gate build-no-warnings bash -c "meson setup build-ci -Dwerror=true -Dgvproxy=true -Dman=$man_opt >/dev/null && ninja -C build-ci"

note "Windows cross build (warnings are errors), its zip, its unit tests under wine"
# before the Linux tests: e2e-windows-wine serves the lab guest with
# build-win/qcw-net.exe. A scratch wine prefix inside the build directory.
rm -rf build-win
export QCW_WINEPREFIX=$top/build-win/wine
gate windows-build bash scripts/build-windows.sh --werror --zip build-win
if [ -f build-win/qcw-net.exe ]; then
	win_version_help() { # both print and exit 0 under wine
		local v h
		v=$(meson/wine-run.sh build-win/qcw-net.exe -version) &&
			h=$(meson/wine-run.sh build-win/qcw-net.exe -help 2>&1) &&
			[[ $v == *"qcw-net version"* && $h == *-listen-qemu* ]]
	}
	gate windows-exe-version-help win_version_help
	bash scripts/build-windows.sh --werror --test build-win
	count_meson build-win
fi

note "unit, fuzz-replay and end-to-end tests"
if [ -f build-ci/build.ninja ]; then
	meson test -C build-ci --print-errorlogs --num-processes 2
	count_meson build-ci
fi

note "Debian package: build in a copy of the tree, lintian, install, serve a guest, remove"
deb_installed() { # 77 (skipped: not root, or qcw-net already installed) is not a failure
	local rc
	QCW_BUILD_DIR=$top/build-ci bash tests/deb_installed.sh "$@"
	rc=$?
	[ $rc = 77 ] && echo "deb-installed skipped" && return 0
	return $rc
}
if [ "$(id -u)" = 0 ] && command -v dpkg-buildpackage >/dev/null; then
	rm -rf build-deb
	# nocheck: the unit tests ran above in build-ci; the package's own
	# test pass (dh_auto_test) would triple this step's time (40 s to
	# 115 s on 2 busy cores). tests/deb_installed.sh checks the page.
	gate deb-build env DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
		bash scripts/build-deb.sh build-deb
	deb=$(ls build-deb/qcw-net_*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] && gate deb-installed deb_installed "$deb"
else
	echo "not root or no dpkg-buildpackage: skipping the Debian package"
fi

if [ "${QCW_SKIP_ASAN:-0}" != 1 ]; then
	note "the same suite under ASan + UBSan"
	rm -rf build-asan
	if meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null && ninja -C build-asan >/dev/null; then
		# the soak runs once, in the plain build (its figures are
		# RSS and fds, which ASan's allocator would blur)
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			meson test -C build-asan --print-errorlogs --num-processes 2 \
			--timeout-multiplier 3 --no-suite soak
		count_meson build-asan
	else
		gate asan-build false
	fi
fi

run_fuzz() { # run_fuzz BINARY CORPUS_DIR
	local rc
	# -timeout: a unit that runs 60 s is a finding (saved as an artifact;
	# fuzz-nat_seq allows an input 10 s of CPU by design),
	# not 20 minutes of CI waiting for libFuzzer's default
	"$1" -max_total_time="${QCW_FUZZ_SECONDS:-20}" -timeout=60 \
		-print_final_stats=1 -artifact_prefix="$2/crash-" "$2" >"$2.log" 2>&1
	rc=$?
	grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|==.*ERROR)" "$2.log"
	[ $rc = 0 ] || tail -40 "$2.log"
	rm -f "$2.log"
	return $rc
}

if [ "${QCW_SKIP_FUZZ:-0}" != 1 ]; then
	note "libFuzzer targets (${QCW_FUZZ_SECONDS:-20} s each)"
	rm -rf build-fuzz
	if CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled -De2e=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null &&
		ninja -C build-fuzz >/dev/null; then
		for fz in build-fuzz/fuzz/fuzz-*; do
			[ -f "$fz" ] && [ -x "$fz" ] || continue
			name=${fz##*/fuzz-}
			work=$(mktemp -d)
			corpus=$name
			[ "$name" = stack_slirp ] && corpus=stack # same frames
			cp -r "fuzz/corpus/$corpus/." "$work/" 2>/dev/null
			gate "fuzz-$name" run_fuzz "$fz" "$work"
			rm -rf "$work"
		done
	else
		gate fuzz-build false
	fi
fi

note "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
cat "$details"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
