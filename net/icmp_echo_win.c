/*
 * icmp_echo_win.c - icmp_echo.h with Windows' ICMP API: Windows has no
 * ping sockets, and raw sockets need administrator rights, so each echo
 * is an IcmpSendEcho2() call. Without an event or APC routine the call
 * blocks until the reply or the timeout, so it runs on libuv's thread
 * pool (uv_queue_work) and the reply is handed over on the loop's thread
 * (after_work). The slots are preallocated and bounded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include "net/icmp_echo.h"

struct icmp_echo_slot {
	uv_work_t work;
	struct icmp_echo *e;
	bool busy;
	uint32_t dst; /* host order */
	uint16_t len;
	uint8_t tag[32];
	uint8_t data[ICMP_ECHO_MAX_DATA];
	DWORD n; /* replies IcmpSendEcho2 stored */
	/* the reply: ICMP_ECHO_REPLY, the data, room for an ICMP error */
	uint8_t reply[sizeof(ICMP_ECHO_REPLY) + ICMP_ECHO_MAX_DATA + 8 + 64];
};

struct icmp_echo {
	HANDLE h;
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
	e->loop = loop;
	e->cb = cb;
	e->arg = arg;
	*err = 0;
	return e;
}

/* icmp_echo_work() - on a pool thread: the blocking call. */
static void icmp_echo_work(uv_work_t *w)
{
	struct icmp_echo_slot *s = w->data;

	s->n = IcmpSendEcho2(s->e->h, NULL, NULL, NULL, htonl(s->dst), s->data,
			     s->len, NULL, s->reply, sizeof(s->reply),
			     ICMP_ECHO_TIMEOUT_MS);
}

static void icmp_echo_free(struct icmp_echo *e)
{
	IcmpCloseHandle(e->h);
	free(e);
}

/* icmp_echo_done() - on the loop's thread: the reply to the caller. */
static void icmp_echo_done(uv_work_t *w, int status)
{
	struct icmp_echo_slot *s = w->data;
	struct icmp_echo *e = s->e;
	const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)s->reply;
	int st = -EIO;

	s->busy = false;
	e->busy--;
	if (e->closing) {
		if (e->busy == 0)
			icmp_echo_free(e);
		return;
	}
	if (status < 0)
		st = -EIO;
	else if (s->n == 0)
		st = GetLastError() == IP_REQ_TIMED_OUT ? -ETIMEDOUT : -EIO;
	else if (r->Status == IP_SUCCESS)
		st = 0;
	else if (r->Status == IP_REQ_TIMED_OUT)
		st = -ETIMEDOUT;
	else
		st = -EHOSTUNREACH;
	if (st == 0 && r->DataSize <= ICMP_ECHO_MAX_DATA && r->Data)
		e->cb(e->arg, s->tag, 0, r->Data, r->DataSize);
	else
		e->cb(e->arg, s->tag, st ? st : -EIO, NULL, 0);
}

int icmp_echo_send(struct icmp_echo *e, uint32_t dst, const uint8_t *data,
		   size_t len, const void *tag, size_t taglen)
{
	struct icmp_echo_slot *s = NULL;
	unsigned int i;

	if (len > ICMP_ECHO_MAX_DATA)
		return -EMSGSIZE;
	if (taglen > sizeof(s->tag) || e->closing)
		return -EINVAL;
	if (e->busy >= ICMP_ECHO_SLOTS)
		return -EBUSY;
	for (i = 0; i < ICMP_ECHO_SLOTS && e->slots[i].busy; i++)
		;
	if (i == ICMP_ECHO_SLOTS)
		return -EBUSY;
	s = &e->slots[i];
	s->e = e;
	s->dst = dst;
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
