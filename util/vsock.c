/*
 * vsock.c - AF_VSOCK listen and dial (see vsock.h).
 */
#include "util/vsock.h"

#include <errno.h>
#include <string.h>

#ifdef __linux__
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

static void vsock_addr(struct sockaddr_vm *sa, uint32_t cid, uint32_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->svm_family = AF_VSOCK;
	sa->svm_cid = cid;
	sa->svm_port = port;
}

int vsock_listen(uint32_t cid, uint32_t port, int backlog)
{
	struct sockaddr_vm sa;
	int fd, r;

	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	vsock_addr(&sa, cid, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int vsock_available(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int vsock_dial(uint32_t cid, uint32_t port)
{
	struct sockaddr_vm sa;
	int fd, r;

	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	vsock_addr(&sa, cid, port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}
#else
int vsock_available(void)
{
	return -EAFNOSUPPORT;
}

int vsock_listen(uint32_t cid, uint32_t port, int backlog)
{
	(void)cid;
	(void)port;
	(void)backlog;
	return -EAFNOSUPPORT;
}

int vsock_dial(uint32_t cid, uint32_t port)
{
	(void)cid;
	(void)port;
	return -EAFNOSUPPORT;
}
#endif

const char *vsock_strerror(int err)
{
	switch (err) {
	case -EAFNOSUPPORT:
		return "this kernel has no AF_VSOCK (load the vsock module: "
		       "vmw_vsock_virtio_transport in a KVM guest, hv_sock "
		       "under Hyper-V, vhost_vsock on a host)";
	case -EADDRNOTAVAIL:
		return "that CID is not this machine's (no vsock transport "
		       "for it is loaded)";
	default:
		return strerror(-err);
	}
}
