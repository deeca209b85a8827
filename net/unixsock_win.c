/*
 * unixsock_win.c - unixsock.h on Windows with a Winsock AF_UNIX SOCKET.
 *
 * Why not libuv alone: uv_pipe_t is a named pipe on Windows, and a
 * uv_tcp_t opened on a listening AF_UNIX SOCKET would post AcceptEx with
 * accept sockets of the wrong family (libuv creates them AF_INET or
 * AF_INET6). So a thread of our own blocks in accept() and queues each
 * accepted SOCKET; a uv_async_t wakes the loop, which announces it through
 * the caller's connection callback, and unixsock_accept() turns it into a
 * uv_tcp_t with uv_tcp_open() (a connected stream socket reads and
 * writes through the IOCP whatever its family). Closing the listening
 * SOCKET ends the blocking accept(), and the thread with it. The same
 * thread serves a Hyper-V socket listener (unixsock_serve(),
 * net/hvsock_win.c), for the same reason.
 *
 * The client side (unixsock_connect()) has the same problem the other way
 * round: uv_pipe_connect() opens a named pipe, and uv_tcp_connect() binds
 * and uses ConnectEx, which only AF_INET/AF_INET6 have. So the connect()
 * of an AF_UNIX SOCKET runs on libuv's thread pool, non-blocking and
 * waited for with select() for at most UNIXSOCK_CONNECT_MS, and the
 * connected SOCKET becomes a uv_tcp_t on the loop (uv_tcp_open()).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>
#include <afunix.h>
#include <aclapi.h>

#include "net/unixsock_win.h"
#include "util/winstr.h"

#define UNIXSOCK_QUEUE 16 /* accepted, not yet taken by the loop */

struct unixsock_win {
	struct unixsock *x;
	SOCKET ls;
	HANDLE thread;
	uv_async_t async;
	CRITICAL_SECTION lock;
	SOCKET queue[UNIXSOCK_QUEUE];
	unsigned int n;
	SOCKET pending; /* the one the connection callback is about */
	uv_connection_cb cb;
	volatile LONG stopping;
};

/* unixsock_owner_only() - a protected DACL: the current user only. */
static void unixsock_owner_only(const char *path)
{
	EXPLICIT_ACCESS_W ea;
	wchar_t w[MAX_PATH];
	union {
		TOKEN_USER tu;
		char buf[256];
	} u;
	PACL acl = NULL;
	HANDLE tok;
	DWORD n;

	if (winstr_wide(path, w, MAX_PATH) < 0 ||
	    !OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return;
	if (!GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n)) {
		CloseHandle(tok);
		return;
	}
	CloseHandle(tok);
	memset(&ea, 0, sizeof(ea));
	ea.grfAccessPermissions = GENERIC_ALL;
	ea.grfAccessMode = SET_ACCESS;
	ea.grfInheritance = NO_INHERITANCE;
	ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
	ea.Trustee.TrusteeType = TRUSTEE_IS_USER;
	ea.Trustee.ptstrName = (LPWSTR)u.tu.User.Sid;
	if (SetEntriesInAclW(1, &ea, NULL, &acl) != ERROR_SUCCESS)
		return;
	SetNamedSecurityInfoW(w, SE_FILE_OBJECT,
			      DACL_SECURITY_INFORMATION |
				      PROTECTED_DACL_SECURITY_INFORMATION,
			      NULL, NULL, acl, NULL);
	LocalFree(acl);
}

static DWORD WINAPI unixsock_accept_thread(LPVOID arg)
{
	struct unixsock_win *w = arg;
	SOCKET s;

	for (;;) {
		s = accept(w->ls, NULL, NULL);
		if (s == INVALID_SOCKET) {
			int e = WSAGetLastError();

			if (w->stopping || e == WSAENOTSOCK || e == WSAEINTR ||
			    e == WSAEINVAL)
				break;
			Sleep(10); /* e.g. WSAEMFILE: try again later */
			continue;
		}
		EnterCriticalSection(&w->lock);
		if (w->n < UNIXSOCK_QUEUE) {
			w->queue[w->n++] = s;
			s = INVALID_SOCKET;
		}
		LeaveCriticalSection(&w->lock);
		if (s != INVALID_SOCKET)
			closesocket(s); /* the loop is far behind: refused */
		uv_async_send(&w->async);
	}
	return 0;
}

static void unixsock_async_cb(uv_async_t *a)
{
	struct unixsock_win *w = a->data;
	SOCKET q[UNIXSOCK_QUEUE];
	unsigned int n, i;

	EnterCriticalSection(&w->lock);
	n = w->n;
	memcpy(q, w->queue, n * sizeof(q[0]));
	w->n = 0;
	LeaveCriticalSection(&w->lock);
	for (i = 0; i < n; i++) {
		if (w->stopping) {
			closesocket(q[i]);
			continue;
		}
		w->pending = q[i];
		w->cb(&w->x->u.s, 0);
		if (w->pending != INVALID_SOCKET)
			closesocket(w->pending); /* not taken */
		w->pending = INVALID_SOCKET;
	}
}

/* unixsock_start() - the accept thread on @ls (owned from now on) */
static int unixsock_start(struct unixsock *x, SOCKET ls, uv_connection_cb cb)
{
	struct unixsock_win *w = calloc(1, sizeof(*w));

	if (!w) {
		closesocket(ls);
		return UV_ENOMEM;
	}
	w->x = x;
	w->cb = cb;
	w->pending = INVALID_SOCKET;
	w->ls = ls;
	InitializeCriticalSection(&w->lock);
	uv_async_init(x->u.h.loop, &w->async, unixsock_async_cb);
	w->async.data = w;
	x->win = w;
	w->thread = CreateThread(NULL, 0, unixsock_accept_thread, w, 0, NULL);
	return w->thread ? 0 : UV_ENOMEM;
}

int unixsock_serve(uv_loop_t *loop, struct unixsock *x, SOCKET ls,
		   uv_connection_cb cb, void *data)
{
	x->win = NULL;
	uv_tcp_init(loop, &x->u.tcp); /* the placeholder the caller sees */
	x->u.h.data = data;
	return unixsock_start(x, ls, cb);
}

int unixsock_listen(uv_loop_t *loop, struct unixsock *x, const char *path,
		    int backlog, uv_connection_cb cb, void *data)
{
	struct sockaddr_un sa;
	SOCKET ls;
	int r;

	x->win = NULL;
	uv_tcp_init(loop, &x->u.tcp); /* the placeholder the caller sees */
	x->u.h.data = data;
	if (strlen(path) >= sizeof(sa.sun_path))
		return UV_ENAMETOOLONG;
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls == INVALID_SOCKET)
		return uv_translate_sys_error(WSAGetLastError());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (unixsock_owner_only(path), listen(ls, backlog)) != 0) {
		r = uv_translate_sys_error(WSAGetLastError());
		closesocket(ls);
		return r;
	}
	return unixsock_start(x, ls, cb);
}

int unixsock_accept(struct unixsock *x, uv_stream_t *client)
{
	struct unixsock_win *w = x->win;
	SOCKET s = w ? w->pending : INVALID_SOCKET;
	int r;

	uv_tcp_init(x->u.h.loop, (uv_tcp_t *)client);
	if (s == INVALID_SOCKET)
		return UV_EAGAIN;
	w->pending = INVALID_SOCKET;
	r = uv_tcp_open((uv_tcp_t *)client, (uv_os_sock_t)s);
	if (r < 0)
		closesocket(s);
	return r;
}

static void unixsock_win_free(uv_handle_t *h)
{
	struct unixsock_win *w = h->data;

	DeleteCriticalSection(&w->lock);
	free(w);
}

void unixsock_close(struct unixsock *x, uv_close_cb cb)
{
	struct unixsock_win *w = x->win;
	unsigned int i;

	if (w) {
		InterlockedExchange(&w->stopping, 1);
		closesocket(w->ls); /* ends the blocking accept() */
		if (w->thread) {
			WaitForSingleObject(w->thread, 2000);
			CloseHandle(w->thread);
		}
		for (i = 0; i < w->n; i++)
			closesocket(w->queue[i]);
		w->n = 0;
		x->win = NULL;
		uv_close((uv_handle_t *)&w->async, unixsock_win_free);
	}
	uv_close(&x->u.h, cb);
}

/* unixsock_connect_work() - on a pool thread: connect, bounded. */
static void unixsock_connect_work(uv_work_t *wk)
{
	struct unixsock_connect *c = wk->data;
	struct sockaddr_un sa;
	u_long nb = 1;
	SOCKET s;
	int e = 0;

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s == INVALID_SOCKET) {
		c->err = uv_translate_sys_error(WSAGetLastError());
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	ioctlsocket(s, FIONBIO, &nb);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		e = WSAGetLastError();
	if (e == WSAEWOULDBLOCK) {
		TIMEVAL tv = {UNIXSOCK_CONNECT_MS / 1000,
			      (UNIXSOCK_CONNECT_MS % 1000) * 1000};
		fd_set wf, ef;
		int so = 0, sl = sizeof(so), n;

		FD_ZERO(&wf);
		FD_ZERO(&ef);
		FD_SET(s, &wf);
		FD_SET(s, &ef);
		n = select(0, NULL, &wf, &ef, &tv);
		if (n == 0)
			e = WSAETIMEDOUT;
		else if (n < 0)
			e = WSAGetLastError();
		else if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&so,
				    &sl) != 0)
			e = WSAGetLastError();
		else
			e = so ? so : FD_ISSET(s, &ef) ? WSAECONNREFUSED : 0;
	}
	if (e) {
		closesocket(s);
		c->err = uv_translate_sys_error(e);
		return;
	}
	c->sock = (uintptr_t)s;
	c->err = 0;
}

/* unixsock_connect_done() - on the loop: the SOCKET into the handle. */
static void unixsock_connect_done(uv_work_t *wk, int status)
{
	struct unixsock_connect *c = wk->data;
	SOCKET s = (SOCKET)c->sock;
	int r = status < 0 ? status : c->err;

	c->sock = (uintptr_t)INVALID_SOCKET;
	if (uv_is_closing((uv_handle_t *)c->client)) {
		if (r == 0)
			closesocket(s);
		r = UV_ECANCELED;
	} else if (r == 0) {
		r = uv_tcp_open((uv_tcp_t *)c->client, (uv_os_sock_t)s);
		if (r < 0)
			closesocket(s);
	}
	c->cb(&c->req, r);
}

int unixsock_connect(uv_loop_t *loop, struct unixsock_connect *c,
		     uv_stream_t *client, const char *path, uv_connect_cb cb)
{
	c->cb = cb;
	c->client = client;
	c->req.handle = client;
	c->sock = (uintptr_t)INVALID_SOCKET;
	c->err = UV_ECANCELED;
	uv_tcp_init(loop, (uv_tcp_t *)client);
	if (strlen(path) >= sizeof(c->path))
		return UV_ENAMETOOLONG;
	memcpy(c->path, path, strlen(path) + 1);
	c->work.data = c;
	return uv_queue_work(loop, &c->work, unixsock_connect_work,
			     unixsock_connect_done);
}

const char *unixsock_strerror(int err)
{
	if (err == UV_EAFNOSUPPORT)
		return "unix sockets (AF_UNIX) are not supported on this "
		       "system (Windows 10 1803 or later has them; wine does "
		       "not): use tcp://";
	return uv_strerror(err);
}
