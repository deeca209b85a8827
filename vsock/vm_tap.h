/*
 * vm_tap.h - qcw-net-vm's tap device (Linux): create or attach to it
 * (IFF_TAP, no packet information header, as gvforwarder's), set its MAC,
 * bring it up, and the interface checks -stop-if-exist needs.
 */
#ifndef QCW_VM_TAP_H
#define QCW_VM_TAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * vm_tap_open() - a non-blocking fd of tap @name; without @preexisting it
 * is created if missing. -errno: -ENOENT no /dev/net/tun, -EPERM no
 * CAP_NET_ADMIN, -ENODEV (@preexisting) no such tap.
 */
int vm_tap_open(const char *name, bool preexisting);

/* vm_tap_up() - set @mac (NULL: keep it) and bring @name up. 0/-errno. */
int vm_tap_up(const char *name, const uint8_t *mac);

/* vm_iface_exists() - whether a network interface @name exists here. */
bool vm_iface_exists(const char *name);

/* vm_tun_available() - 0 when /dev/net/tun can be opened, else -errno. */
int vm_tun_available(void);

#endif
