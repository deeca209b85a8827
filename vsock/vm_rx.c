/*
 * vm_rx.c - qcw-net-vm's frame decoder (see vm_rx.h).
 */
#include "vsock/vm_rx.h"

#include <errno.h>

#define VM_ETH_HLEN 14

long vm_rx_parse(const uint8_t *buf, size_t len, size_t max,
		 struct vm_rx_stats *st, vm_rx_fn fn, void *arg)
{
	size_t off = 0;

	while (len - off >= 2) {
		size_t n = (size_t)buf[off] | (size_t)buf[off + 1] << 8;

		if (n < VM_ETH_HLEN)
			return -EPROTO;
		if (len - off - 2 < n)
			break;
		if (n > max) {
			st->oversize++;
		} else {
			if (fn(arg, buf + off + 2, n) < 0)
				break;
			st->frames++;
		}
		off += 2 + n;
	}
	return (long)off;
}
