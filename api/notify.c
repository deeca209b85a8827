/*
 * notify.c - event notifications to a unix socket (see notify.h).
 *
 * One event is in flight at a time: a client stream connects through the
 * unix socket seam (net/unixsock.h: a uv_pipe_t on POSIX, a Winsock
 * AF_UNIX socket on Windows), writes the line and is closed; once its
 * close callback and its connect callback (which libuv and the seam call
 * exactly once, UV_ECANCELED when closed first) have both run, the next
 * event starts. A timer bounds each attempt, so a listener that accepts
 * but never reads cannot stall the queue. Lines are formatted when queued,
 * in a fixed ring.
 *
 * Ownership: the stream handle is closed (never freed: it is embedded) and
 * the struct is freed in the last close callback once every handle is
 * closed and no connect is pending after notify_destroy().
 */
#include "api/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/unixsock.h"
#include "util/log.h"
#include "util/url.h"

#define NOTIFY_LINE 96

struct notify {
	uv_loop_t *loop;
	char path[256];
	char ring[NOTIFY_QUEUE][NOTIFY_LINE];
	unsigned int head, count; /* ring[head] is the oldest */
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} pipe; /* the client stream: unixsock_connect() picks the type */
	struct unixsock_connect connect;
	uv_write_t write;
	uv_timer_t timer;
	bool busy; /* the stream is in use (until both callbacks below) */
	bool connecting; /* the connect callback has not run yet */
	bool pipe_closed; /* the stream's close callback has run */
	bool destroyed;
	int handles; /* timer, and the stream while busy */
	struct notify_counters cnt;
};

static const char *const notify_names[] = {
	[NOTIFY_READY] = "ready",
	[NOTIFY_CONNECTION_ESTABLISHED] = "connection_established",
	[NOTIFY_CONNECTION_CLOSED] = "connection_closed",
	[NOTIFY_HYPERVISOR_ERROR] = "hypervisor_error",
};

static void notify_next(struct notify *n);

static void notify_handle_closed(struct notify *n)
{
	if (--n->handles == 0 && n->destroyed)
		free(n);
}

/*
 * notify_settle() - the stream is closed and its connect is over: the
 * event is done with, the next one may start (or the struct go).
 */
static void notify_settle(struct notify *n)
{
	if (n->connecting || !n->pipe_closed)
		return;
	n->busy = false;
	if (n->destroyed) {
		notify_handle_closed(n);
		return;
	}
	n->handles--;
	n->head = (n->head + 1) % NOTIFY_QUEUE;
	n->count--;
	notify_next(n);
}

static void notify_pipe_closed_cb(uv_handle_t *h)
{
	struct notify *n = h->data;

	n->pipe_closed = true;
	notify_settle(n);
}

static void notify_finish(struct notify *n, int status)
{
	if (uv_is_closing(&n->pipe.h))
		return;
	uv_timer_stop(&n->timer);
	if (status < 0) {
		n->cnt.failed++;
		log_rl("notification to %s failed: %s", n->path,
		       uv_strerror(status));
	} else {
		n->cnt.sent++;
	}
	uv_close(&n->pipe.h, notify_pipe_closed_cb);
}

static void notify_write_cb(uv_write_t *req, int status)
{
	struct notify *n = req->data;

	notify_finish(n, status);
}

static void notify_connect_cb(uv_connect_t *req, int status)
{
	struct notify *n = req->data;
	const char *line = n->ring[n->head];
	uv_buf_t b = uv_buf_init((char *)line, (unsigned int)strlen(line));
	int r;

	n->connecting = false;
	if (uv_is_closing(&n->pipe.h)) {
		notify_settle(n); /* timed out or destroyed meanwhile */
		return;
	}
	if (status < 0) {
		notify_finish(n, status);
		return;
	}
	n->write.data = n;
	r = uv_write(&n->write, &n->pipe.s, &b, 1, notify_write_cb);
	if (r < 0)
		notify_finish(n, r);
}

static void notify_timer_cb(uv_timer_t *t)
{
	struct notify *n = t->data;

	notify_finish(n, UV_ETIMEDOUT);
}

/* notify_next() - start sending the oldest queued event, if idle. */
static void notify_next(struct notify *n)
{
	int r;

	if (n->busy || n->count == 0 || n->destroyed)
		return;
	n->busy = true;
	n->handles++;
	n->pipe_closed = false;
	n->connecting = true;
	n->connect.req.data = n;
	r = unixsock_connect(n->loop, &n->connect, &n->pipe.s, n->path,
			     notify_connect_cb);
	n->pipe.h.data = n; /* after the seam initialised the handle */
	if (r < 0) {
		n->connecting = false;
		notify_finish(n, r);
		return;
	}
	uv_timer_start(&n->timer, notify_timer_cb, NOTIFY_TIMEOUT_MS, 0);
}

/**
 * notify_create() - a sender to the socket of @url.
 * @loop: the loop
 * @url: "unix:///path" (the only scheme gvproxy accepts)
 *
 * Return: the sender, or NULL with the reason logged.
 */
struct notify *notify_create(uv_loop_t *loop, const char *url)
{
	struct notify *n;
	char err[256];
	struct url u;

	if (url_parse(url, &u, err, sizeof(err)) < 0 || u.scheme != URL_UNIX) {
		log_err("notification socket must use the unix:// scheme: %s",
			url);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->loop = loop;
	snprintf(n->path, sizeof(n->path), "%s", u.path);
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	n->handles = 1;
	return n;
}

static void notify_timer_closed_cb(uv_handle_t *h)
{
	notify_handle_closed(h->data);
}

/**
 * notify_destroy() - drop queued events and close the handles (run the
 * loop afterwards to free them). Accepts NULL.
 * @n: sender
 */
void notify_destroy(struct notify *n)
{
	if (!n)
		return;
	n->destroyed = true;
	if (n->busy && !uv_is_closing(&n->pipe.h))
		uv_close(&n->pipe.h, notify_pipe_closed_cb);
	uv_close((uv_handle_t *)&n->timer, notify_timer_closed_cb);
}

/**
 * notify_send() - queue one event.
 * @n: sender (NULL: nothing to do)
 * @type: the event
 * @mac: the guest's MAC for the connection events, else NULL
 */
void notify_send(struct notify *n, enum notify_type type, const uint8_t *mac)
{
	char *line;

	if (!n || n->destroyed || (unsigned int)type >= 4)
		return;
	if (n->count == NOTIFY_QUEUE) {
		n->cnt.dropped++;
		log_rl("notification queue full, dropping notification %s",
		       notify_names[type]);
		return;
	}
	line = n->ring[(n->head + n->count) % NOTIFY_QUEUE];
	if (mac)
		snprintf(line, NOTIFY_LINE,
			 "{\"notification_type\":\"%s\",\"mac_address\":\"%02x:"
			 "%02x:%02x:%02x:%02x:%02x\"}\n",
			 notify_names[type], mac[0], mac[1], mac[2], mac[3],
			 mac[4], mac[5]);
	else
		snprintf(line, NOTIFY_LINE, "{\"notification_type\":\"%s\"}\n",
			 notify_names[type]);
	n->count++;
	notify_next(n);
}

/**
 * notify_mac_event() - the switch learnt or forgot a guest MAC.
 * @arg: the struct notify
 * @mac: the MAC
 * @established: learnt (true) or forgotten (false)
 */
void notify_mac_event(void *arg, const uint8_t mac[6], bool established)
{
	notify_send(arg,
		    established ? NOTIFY_CONNECTION_ESTABLISHED
				: NOTIFY_CONNECTION_CLOSED,
		    mac);
}

/**
 * notify_counters() - events sent, failed and dropped.
 * @n: sender
 *
 * Return: the counters, valid until notify_destroy().
 */
const struct notify_counters *notify_counters(const struct notify *n)
{
	return &n->cnt;
}
