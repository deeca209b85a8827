/*
 * sys/uio.h for the Windows build (on its include path only there):
 * struct iovec, which the switch and the transports pass frames in.
 * Windows has no readv/writev; libuv's uv_buf_t does the I/O.
 */
#ifndef QCW_COMPAT_WIN_SYS_UIO_H
#define QCW_COMPAT_WIN_SYS_UIO_H

#include <stddef.h>

/*
 * The layout of libuv's uv_buf_t on Windows (the length first, 32 bits),
 * so an array of them passes to uv_write() as on POSIX, where uv_buf_t
 * mirrors struct iovec. Initialise by field names only.
 */
struct iovec {
	unsigned long iov_len;
	void *iov_base;
};

#endif
