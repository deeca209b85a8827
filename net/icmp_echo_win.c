/*
 * icmp_echo_win.c - icmp_echo.h with Windows' ICMP API: Windows has no
 * ping sockets, and raw sockets need administrator rights, so each echo
 * is an IcmpSendEcho2() call, or Icmp6SendEcho2() for IPv6 (a handle of
 * its own from Icmp6CreateFile()). Without an event or APC routine the
 * call blocks until the reply or the timeout, so it runs on libuv's
 * thread pool (uv_queue_work) and the reply is handed over on the loop's
 * thread (after_work). The slots are preallocated and bounded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include "net/icmp_echo.h"

/*
 * Icmp6SendEcho2's reply: the documented ICMPV6_ECHO_REPLY (mingw-w64's
 * headers lack it), the echoed data right after it.
 */
struct icmp_echo_reply6 {
	IPV6_ADDRESS_EX addr;
	ULONG status;
	unsigned int rtt;
};

#define ICMP_ECHO_REPLY_HDR                                        \
	(sizeof(ICMP_ECHO_REPLY) > sizeof(struct icmp_echo_reply6) \
		 ? sizeof(ICMP_ECHO_REPLY)                         \
		 : sizeof(struct icmp_echo_reply6))

struct icmp_echo_slot {
	uv_work_t work;
	struct icmp_echo *e;
	bool busy;
	bool v6;
	uint32_t dst; /* IPv4, host order */
	uint8_t dst6[16]; /* IPv6, network order */
	uint16_t len;
	uint8_t tag[ICMP_ECHO_TAG];
	uint8_t data[ICMP_ECHO_MAX_DATA];
	DWORD n; /* replies the call stored */
	DWORD err; /* GetLastError() when it stored none */
	/* the reply header, the data, room for an ICMP error and the status
	 * block Icmp6SendEcho2 asks for */
	uint8_t reply[ICMP_ECHO_REPLY_HDR + ICMP_ECHO_MAX_DATA + 8 + 64 +
		      16 /* an IO_STATUS_BLOCK */];
};

struct icmp_echo {
	HANDLE h, h6;
	int err6; /* why h6 is INVALID_HANDLE_VALUE, else 0 */
	uv_loop_t *loop;
	icmp_echo_reply_fn cb;
	void *arg;
	bool closing;
	unsigned int busy;
	struct icmp_echo_slot slots[ICMP_ECHO_SLOTS];
};

struct icmp_echo *icmp_echo_open(uv_loop_t *loop, icmp_echo_reply_fn cb,
				 void *arg, int *err)
{
	struct icmp_echo *e = calloc(1, sizeof(*e));

	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	e->h = IcmpCreateFile();
	if (e->h == INVALID_HANDLE_VALUE) {
		free(e);
		*err = -EIO;
		return NULL;
	}
	e->h6 = Icmp6CreateFile();
	if (e->h6 == INVALID_HANDLE_VALUE) {
		DWORD le = GetLastError();

		e->err6 = le == ERROR_CALL_NOT_IMPLEMENTED ||
					  le == ERROR_NOT_SUPPORTED
				  ? -ENOSYS
				  : -EIO;
	}
	e->loop = loop;
	e->cb = cb;
	e->arg = arg;
	*err = 0;
	return e;
}

int icmp_echo_v6_error(const struct icmp_echo *e)
{
	return e->err6;
}

/* icmp_echo_work() - on a pool thread: the blocking call. */
static void icmp_echo_work(uv_work_t *w)
{
	struct icmp_echo_slot *s = w->data;

	if (s->v6) {
		struct sockaddr_in6 src, dst;

		memset(&src, 0, sizeof(src));
		memset(&dst, 0, sizeof(dst));
		src.sin6_family = AF_INET6; /* any: the system picks */
		dst.sin6_family = AF_INET6;
		memcpy(&dst.sin6_addr, s->dst6, 16);
		s->n = Icmp6SendEcho2(s->e->h6, NULL, NULL, NULL, &src, &dst,
				      s->data, s->len, NULL, s->reply,
				      sizeof(s->reply), ICMP_ECHO_TIMEOUT_MS);
	} else {
		s->n = IcmpSendEcho2(s->e->h, NULL, NULL, NULL, htonl(s->dst),
				     s->data, s->len, NULL, s->reply,
				     sizeof(s->reply), ICMP_ECHO_TIMEOUT_MS);
	}
	s->err = s->n ? 0 : GetLastError();
}

static void icmp_echo_free(struct icmp_echo *e)
{
	IcmpCloseHandle(e->h);
	if (e->h6 != INVALID_HANDLE_VALUE)
		IcmpCloseHandle(e->h6);
	free(e);
}

/* icmp_echo_status() - an IP_* status as the callback's -errno. */
static int icmp_echo_status(ULONG status)
{
	if (status == IP_SUCCESS)
		return 0;
	if (status == IP_REQ_TIMED_OUT)
		return -ETIMEDOUT;
	return -EHOSTUNREACH;
}

/* icmp_echo_done() - on the loop's thread: the reply to the caller. */
static void icmp_echo_done(uv_work_t *w, int status)
{
	struct icmp_echo_slot *s = w->data;
	struct icmp_echo *e = s->e;
	const uint8_t *data = NULL;
	size_t len = 0;
	int st;

	s->busy = false;
	e->busy--;
	if (e->closing) {
		if (e->busy == 0)
			icmp_echo_free(e);
		return;
	}
	if (status < 0) {
		st = -EIO;
	} else if (s->n == 0) {
		st = s->err == IP_REQ_TIMED_OUT ? -ETIMEDOUT : -EIO;
	} else if (s->v6) {
		const struct icmp_echo_reply6 *r = (const void *)s->reply;

		/* the echoed data follows the header, as long as was sent */
		st = icmp_echo_status(r->status);
		data = s->reply + sizeof(*r);
		len = s->len;
	} else {
		const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)s->reply;

		st = icmp_echo_status(r->Status);
		data = r->Data;
		len = r->DataSize;
		if (st == 0 && (len > ICMP_ECHO_MAX_DATA || !data))
			st = -EIO;
	}
	if (st == 0)
		e->cb(e->arg, s->tag, 0, data, len);
	else
		e->cb(e->arg, s->tag, st, NULL, 0);
}

/* icmp_echo_slot() - a free slot for an echo of @len bytes, or -errno. */
static int icmp_echo_slot(struct icmp_echo *e, size_t len, size_t taglen,
			  struct icmp_echo_slot **sp)
{
	unsigned int i;

	if (len > ICMP_ECHO_MAX_DATA)
		return -EMSGSIZE;
	if (taglen > ICMP_ECHO_TAG || e->closing)
		return -EINVAL;
	if (e->busy >= ICMP_ECHO_SLOTS)
		return -EBUSY;
	for (i = 0; i < ICMP_ECHO_SLOTS && e->slots[i].busy; i++)
		;
	if (i == ICMP_ECHO_SLOTS)
		return -EBUSY;
	*sp = &e->slots[i];
	return 0;
}

/* icmp_echo_queue() - @s filled in: to the thread pool. */
static int icmp_echo_queue(struct icmp_echo *e, struct icmp_echo_slot *s,
			   const uint8_t *data, size_t len, const void *tag,
			   size_t taglen)
{
	s->e = e;
	s->len = (uint16_t)len;
	memcpy(s->data, data, len);
	memcpy(s->tag, tag, taglen);
	s->work.data = s;
	if (uv_queue_work(e->loop, &s->work, icmp_echo_work, icmp_echo_done) <
	    0)
		return -EIO;
	s->busy = true;
	e->busy++;
	return 0;
}

int icmp_echo_send(struct icmp_echo *e, uint32_t dst, const uint8_t *data,
		   size_t len, const void *tag, size_t taglen)
{
	struct icmp_echo_slot *s;
	int r = icmp_echo_slot(e, len, taglen, &s);

	if (r < 0)
		return r;
	s->v6 = false;
	s->dst = dst;
	return icmp_echo_queue(e, s, data, len, tag, taglen);
}

int icmp_echo_send6(struct icmp_echo *e, const uint8_t dst[16],
		    const uint8_t *data, size_t len, const void *tag,
		    size_t taglen)
{
	struct icmp_echo_slot *s;
	int r;

	if (e->err6)
		return e->err6;
	r = icmp_echo_slot(e, len, taglen, &s);
	if (r < 0)
		return r;
	s->v6 = true;
	memcpy(s->dst6, dst, 16);
	return icmp_echo_queue(e, s, data, len, tag, taglen);
}

void icmp_echo_close(struct icmp_echo *e)
{
	unsigned int i;

	if (!e)
		return;
	e->closing = true;
	/* queued ones end at once (UV_ECANCELED); running ones in time */
	for (i = 0; i < ICMP_ECHO_SLOTS; i++)
		if (e->slots[i].busy)
			uv_cancel((uv_req_t *)&e->slots[i].work);
	if (e->busy == 0)
		icmp_echo_free(e);
}
