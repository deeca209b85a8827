/*
 * stdio_fds_win.c - stdio_fds.h on Windows: real pipes as they are, anything else
 * through a relay of two threads and a loopback socket pair (why: stdio_fds.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <winsock2.h>
#include <windows.h>

#include "net/osock.h"
#include "net/stdio_fds.h"
#include "util/log.h"

#define STDIO_RELAY_BUF (64 * 1024)

struct stdio_relay {
	HANDLE in, out;
	SOCKET s; /* the relay's end; the loop has the other */
};

/* stdio_is_pipe() - @h is a pipe that uv_pipe_open() can take */
static int stdio_is_pipe(HANDLE h)
{
	DWORD flags;

	return h != INVALID_HANDLE_VALUE && h != NULL &&
	       GetFileType(h) == FILE_TYPE_PIPE &&
	       GetNamedPipeInfo(h, &flags, NULL, NULL, NULL);
}

/* stdin -> socket; at stdin's end the loop gets EOF */
static DWORD WINAPI stdio_relay_in(LPVOID arg)
{
	struct stdio_relay *r = arg;
	char *buf = malloc(STDIO_RELAY_BUF);
	DWORD n;

	while (buf && ReadFile(r->in, buf, STDIO_RELAY_BUF, &n, NULL) && n) {
		DWORD off = 0;

		while (off < n) {
			int w = send(r->s, buf + off, (int)(n - off), 0);

			if (w <= 0)
				goto out;
			off += (DWORD)w;
		}
	}
out:
	shutdown(r->s, SD_SEND);
	free(buf);
	return 0;
}

/* socket -> stdout; stdout gone: the loop's writes fail */
static DWORD WINAPI stdio_relay_out(LPVOID arg)
{
	struct stdio_relay *r = arg;
	char *buf = malloc(STDIO_RELAY_BUF);
	int n;

	while (buf && (n = recv(r->s, buf, STDIO_RELAY_BUF, 0)) > 0) {
		DWORD off = 0, w;

		while (off < (DWORD)n) {
			if (!WriteFile(r->out, buf + off, (DWORD)n - off, &w,
				       NULL) ||
			    !w)
				goto out;
			off += w;
		}
	}
out:
	shutdown(r->s, SD_BOTH);
	free(buf);
	return 0;
}

int stdio_frames_open(int *rfd, int *wfd)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	struct stdio_relay *r;
	HANDLE t1, t2;
	int sv[2], e;

	if (stdio_is_pipe(in) && stdio_is_pipe(out)) {
		*rfd = 0;
		*wfd = 1;
		return 0;
	}
	if (in == INVALID_HANDLE_VALUE || in == NULL ||
	    out == INVALID_HANDLE_VALUE || out == NULL)
		return -EBADF;
	e = osock_pair(sv);
	if (e < 0)
		return e;
	/* lives as long as the process: the threads may block in ReadFile */
	r = calloc(1, sizeof(*r));
	if (!r) {
		osock_close(sv[0]);
		osock_close(sv[1]);
		return -ENOMEM;
	}
	r->in = in;
	r->out = out;
	r->s = (SOCKET)sv[1];
	t1 = CreateThread(NULL, 0, stdio_relay_in, r, 0, NULL);
	t2 = t1 ? CreateThread(NULL, 0, stdio_relay_out, r, 0, NULL) : NULL;
	if (!t2) {
		/* the daemon exits: a started thread ends with it */
		if (t1)
			CloseHandle(t1);
		osock_close(sv[0]);
		return -ENOMEM;
	}
	CloseHandle(t1);
	CloseHandle(t2);
	log_info("stdio: stdin/stdout are not pipes libuv can open (wine?): "
		 "relayed through a loopback socket pair");
	*rfd = *wfd = sv[0];
	return 0;
}
