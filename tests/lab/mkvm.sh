#!/usr/bin/env bash
# mkvm.sh DIR - prepare a tiny real Linux VM for the e2e tests: Debian's
# kernel (downloaded as a package and unpacked, never installed) and a
# busybox-static initramfs whose /init loads the virtio-net modules, gets a
# lease with udhcpc and runs the checks named on the kernel command line,
# printing "QCWTEST <name> ok|FAIL" lines on the serial console, then
# powers off. Reuses DIR when it already holds a VM built by this same
# script (DIR/stamp: the script's hash), so a changed /init is rebuilt.
set -euo pipefail
dir=$1
stamp=$(sha256sum "$0" | cut -c1-16)
[ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] &&
	[ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ] && exit 0
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "mkvm: no linux-image package found" >&2; exit 1; }
# the kernel and a static busybox, unpacked here, never installed (the
# machine's busybox is the dynamic one the lab's guests use)
apt-get download "$pkg" busybox-static >/dev/null 2>&1
dpkg-deb -x ./linux-image-*.deb k
dpkg-deb -x ./busybox-static_*.deb bb
ver=$(ls k/lib/modules)
mkdir -p root/bin root/lib/modules root/proc root/sys root/dev root/etc
cp bb/bin/busybox root/bin/busybox
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci failover net_failover virtio_net; do
	f=$(find "k/lib/modules/$ver" -name "$m.ko*" | head -n1)
	[ -n "$f" ] && cp "$f" root/lib/modules/
done
cat >root/udhcpc.sh <<'SH'
#!/bin/busybox sh
case "$1" in
bound|renew)
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	[ -n "$router" ] && ip route add default via "$router"
	echo "QCWTEST lease $ip router=$router dns=$dns mtu=$mtu"
	;;
esac
SH
cat >root/init <<'SH'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci failover net_failover virtio_net; do
	for f in /lib/modules/$m.ko*; do [ -e "$f" ] && insmod "$f"; done
done
ok() { echo "QCWTEST $1 ok"; }
bad() { echo "QCWTEST $1 FAIL"; }
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^qcw.$1=//p"; }
ip link set lo up
ip link set eth0 up
if udhcpc -i eth0 -s /udhcpc.sh -n -q -t 5 -T 2 -O mtu; then ok dhcp; else bad dhcp; fi
if ping -c 2 -W 3 192.168.127.1 >/dev/null; then ok ping-gateway; else bad ping-gateway; fi
if nslookup host.containers.internal 192.168.127.1 2>/dev/null | grep -q 192.168.127.254; then
	ok dns; else bad dns; fi
# IPv6: the kernel's own SLAAC from qcw-net's router advertisement
a=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	l=$(ip -6 addr show dev eth0 scope global 2>/dev/null)
	a=$(echo "$l" | sed -n 's/.*inet6 \(fd71:6377:6e65:[^/]*\)\/64.*/\1/p' | head -n 1)
	[ -n "$a" ] && ! echo "$l" | grep -q tentative && break
	sleep 0.5
done
if [ -n "$a" ]; then echo "QCWTEST slaac $a"; ok slaac; else bad slaac; fi
if ping -6 -c 2 -W 3 fd71:6377:6e65::1 >/dev/null; then ok ping6-gateway; else bad ping6-gateway; fi
if ping -6 -c 2 -W 3 fd71:6377:6e65::fe >/dev/null; then ok ping6-host; else bad ping6-host; fi
p=$(arg http)
if [ -n "$p" ] && printf 'GET /index.html HTTP/1.0\r\n\r\n' |
	nc -w 10 192.168.127.254 "$p" 2>/dev/null | grep -q "hello from the host"; then
	ok http; else bad http; fi
p=$(arg big)
if [ -n "$p" ]; then
	sum=$(nc -w 20 192.168.127.254 "$p" </dev/null | sha256sum | cut -d' ' -f1)
	echo "QCWTEST big-sha256 $sum"
fi
p=$(arg refused)
if [ -n "$p" ] && ! nc -w 3 192.168.127.254 "$p" </dev/null 2>/dev/null; then
	ok refused; else bad refused; fi
echo "QCWTEST done"
poweroff -f
SH
chmod +x root/init root/udhcpc.sh
(cd root && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$dir/initrd.img"
cp "k/boot/vmlinuz-$ver" "$dir/vmlinuz"
echo "$stamp" >"$dir/stamp"
