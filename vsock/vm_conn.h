/*
 * vm_conn.h - qcw-net-vm's connection to the host end: dial a vsock or
 * unix socket and send gvforwarder's raw `POST <path>` (no response is
 * read: frames start at once), or spawn the host program for stdio: and
 * speak over its stdin/stdout.
 */
#ifndef QCW_VM_CONN_H
#define QCW_VM_CONN_H

#include <sys/types.h>

#include "vsock/vm_url.h"

struct vm_conn {
	int rfd, wfd; /* the same socket, or the child's stdout / stdin */
	pid_t child; /* stdio: the spawned program, else 0 */
};

/*
 * vm_conn_open() - connect as @u says; both fds non-blocking afterwards.
 * 0, or -errno (-EAFNOSUPPORT: no vsock in this kernel).
 */
int vm_conn_open(const struct vm_url *u, struct vm_conn *c);

/* vm_conn_close() - close the fds; a stdio child is ended and reaped. */
void vm_conn_close(struct vm_conn *c);

#endif
