#!/usr/bin/env bash
# run.sh: install what is missing, build qcw-net, and start it with
# defaults: listening for QEMU on a unix socket. Extra arguments are passed
# to qcw-net (gvproxy's flags, e.g. -mtu 65520 -debug).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] && bash scripts/setup-deps.sh --build-only
[ -d build/meson-private ] || meson setup build --buildtype=release >/dev/null
ninja -C build qcw-net >/dev/null
dir=${XDG_RUNTIME_DIR:-/tmp}/qcw-net
mkdir -p "$dir"
sock=$dir/qemu.sock
echo "qcw-net: attach QEMU with:"
echo "  -netdev stream,id=vlan,server=off,addr.type=unix,addr.path=$sock -device virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:0c:ee"
echo "qcw-net: control API on unix://$dir/api.sock (qcw-net list, expose, ...)"
exec build/qcw-net -listen-qemu "unix://$sock" -listen "unix://$dir/api.sock" "$@"
