#!/usr/bin/env bash
# qemu_vm.sh - a real VM: QEMU (TCG) boots Debian's kernel with a busybox
# initramfs, its virtio-net-pci NIC (MAC 5a:94:ef:e4:0c:ee) attached to
# qcw-net with `-netdev stream` exactly as Podman does. Inside, the VM gets
# a lease, pings the gateway, resolves host.containers.internal, fetches a
# page and a 20 MB file from the host and sees a refused port refused; its
# kernel takes an IPv6 address by SLAAC and pings the gateway and the host
# alias over IPv6.
# QEMU runs in the lab's guest namespace; qcw-net in its own.
# Exit: 0 pass, 1 fail, 77 skipped (not root, no QEMU, no kernel package).

. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"

lab_require_root
lab_require_cmd qemu-system-x86_64 python3 sha256sum cpio
[ -x "$QCW_NET" ] || lab_skip "qcw-net not built ($QCW_NET)"
VM=${QCW_VM_CACHE:-/var/tmp/qcw-net-vm}
bash "$(dirname "${BASH_SOURCE[0]}")/../lab/mkvm.sh" "$VM" ||
	lab_skip "cannot prepare the VM kernel/initramfs"

lab_init qemuvm
mkdir -p "$LAB_DIR/www"
echo "hello from the host" >"$LAB_DIR/www/index.html"
head -c 20000000 /dev/urandom >"$LAB_DIR/big.bin"
want=$(sha256sum <"$LAB_DIR/big.bin" | cut -d' ' -f1)
lab_start_backend qcw
lab_spawn "$LAB_NET" "$LAB_DIR/http.log" python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory "$LAB_DIR/www"
lab_spawn "$LAB_NET" "$LAB_DIR/big.log" sh -c \
	"exec socat -u OPEN:$LAB_DIR/big.bin TCP-LISTEN:8081,bind=127.0.0.1,reuseaddr"
wait_for_port "$LAB_NET" 8080
wait_for_port "$LAB_NET" 8081

timeout 240 ip netns exec "$LAB_GUEST" qemu-system-x86_64 -accel tcg -m 256 \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$VM/vmlinuz" -initrd "$VM/initrd.img" \
	-append "console=ttyS0 panic=-1 quiet qcw.http=8080 qcw.big=8081 qcw.refused=8099" \
	-netdev "stream,id=vlan,server=off,addr.type=unix,addr.path=$LAB_SOCK" \
	-device virtio-net-pci,netdev=vlan,mac=5a:94:ef:e4:0c:ee \
	>"$LAB_DIR/console.log" 2>&1
grep QCWTEST "$LAB_DIR/console.log" | sed 's/^/# /'
seen() { grep -q "QCWTEST $1" "$LAB_DIR/console.log"; }
t_check "the VM booted and ran its checks" seen done
t_check "DHCP lease in the VM" seen "dhcp ok"
t_check "the lease is 192.168.127.2 via 192.168.127.1, DNS .1, MTU 1500" \
	seen "lease 192.168.127.2 router=192.168.127.1 dns=192.168.127.1 mtu=1500"
t_check "the VM pings the gateway" seen "ping-gateway ok"
t_check "the VM resolves host.containers.internal" seen "dns ok"
t_check "the VM's kernel takes an IPv6 address by SLAAC (EUI-64)" \
	seen "slaac fd71:6377:6e65:0:5894:efff:fee4:cee"
t_check "the VM pings the gateway over IPv6" seen "ping6-gateway ok"
t_check "the VM pings the host alias over IPv6" seen "ping6-host ok"
t_check "the VM fetches a page from the host" seen "http ok"
t_check "a 20 MB download keeps its sha256" seen "big-sha256 $want"
t_check "a closed host port is refused" seen "refused ok"
t_check "qcw-net exited when QEMU went away (as gvproxy)" \
	wait_until 5 sh -c "! kill -0 $LAB_BACKEND_PID 2>/dev/null"
t_summary
