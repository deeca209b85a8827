/*
 * sys/uio.h for the Windows build (on its include path only there):
 * struct iovec, which the switch and the transports pass frames in.
 * Windows has no readv/writev; libuv's uv_buf_t does the I/O.
 */
#ifndef QCW_COMPAT_WIN_SYS_UIO_H
#define QCW_COMPAT_WIN_SYS_UIO_H

#include <stddef.h>

struct iovec {
	void *iov_base;
	size_t iov_len;
};

#endif
