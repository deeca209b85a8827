/*
 * ssh_tunnel_conn.c - the host connections of an SSH tunnel (see
 * ssh_tunnel.h): accepting and queueing them, one direct-streamlocal
 * channel each, the bytes both ways with their backpressure, half-close,
 * and refused or unanswered channel opens. Called from the session's pump
 * in ssh_tunnel.c; a libssh channel callback only flags its connection.
 */
#include "qcw_config.h"

#if QCW_HAVE_SSH

#include "forwarder/ssh_tunnel_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forwarder/fwd.h"
#define LOG_SUBSYS LOG_SS_SSH
#include "util/log.h"

static void tun_accept_one(struct ssh_tunnel *t);

/* tun_ch_free() - forget @c's channel (libssh closes it if it is open). */
void tun_ch_free(struct tun_conn *c)
{
	if (!c->ch)
		return;
	ssh_remove_channel_callbacks(c->ch, &c->cbs);
	ssh_channel_free(c->ch);
	c->ch = NULL;
}

static void tun_conn_set_state(struct tun_conn *c, enum tun_conn_state s)
{
	struct ssh_tunnel *t = c->t;

	if (c->state != TUN_C_OPEN && s == TUN_C_OPEN)
		t->n_waiting--;
	c->state = s;
}

/* tun_accept_more() - a waiting slot freed: take a deferred client. */
static void tun_accept_more(struct ssh_tunnel *t)
{
	if (t->accept_deferred && !t->dying && t->n_waiting < TUN_MAX_QUEUED) {
		t->accept_deferred = false;
		tun_accept_one(t);
	}
}

static int tun_ch_data_cb(ssh_session s, ssh_channel ch, void *data,
			  uint32_t len, int is_stderr, void *userdata)
{
	struct tun_conn *c = userdata;

	(void)s;
	(void)ch;
	(void)data;
	(void)len;
	(void)is_stderr;
	c->rx_ready = true;
	return 0; /* read later with ssh_channel_read_nonblocking() */
}

static void tun_ch_eof_cb(ssh_session s, ssh_channel ch, void *userdata)
{
	struct tun_conn *c = userdata;

	(void)s;
	(void)ch;
	c->rx_ready = true;
}

static void tun_conn_closed_cb(uv_handle_t *h)
{
	struct tun_conn *c = h->data;
	struct ssh_tunnel *t = c->t;

	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->up);
	free(c);
	t->refs--;
	tun_maybe_free(t);
}

void tun_conn_close(struct tun_conn *c)
{
	struct ssh_tunnel *t = c->t;

	if (c->closing)
		return;
	c->closing = true;
	tun_ch_free(c);
	uv_close(&c->io.h, tun_conn_closed_cb);
	if (c->state != TUN_C_OPEN) {
		t->n_waiting--;
		tun_accept_more(t);
	}
}

static void tun_ctimer_cb(uv_timer_t *h);

static void tun_ctimer_arm(struct ssh_tunnel *t)
{
	if (!uv_is_active((uv_handle_t *)&t->ctimer))
		uv_timer_start(&t->ctimer, tun_ctimer_cb, TUN_OPEN_RETRY_MS,
			       TUN_OPEN_RETRY_MS);
}

/* tun_conn_open() - a channel for @c on the session that is up. */
void tun_conn_open(struct tun_conn *c)
{
	struct ssh_tunnel *t = c->t;

	c->ch = ssh_channel_new(t->sess->s);
	if (!c->ch) {
		log_rl("ssh tunnel %s: out of memory for a channel", t->name);
		tun_conn_close(c);
		return;
	}
	memset(&c->cbs, 0, sizeof(c->cbs));
	c->cbs.userdata = c;
	c->cbs.channel_data_function = tun_ch_data_cb;
	c->cbs.channel_eof_function = tun_ch_eof_cb;
	c->cbs.channel_close_function = tun_ch_eof_cb;
	ssh_callbacks_init(&c->cbs);
	ssh_set_channel_callbacks(c->ch, &c->cbs);
	c->state = TUN_C_OPENING;
	c->deadline = uv_now(t->loop) + TUN_OPEN_TIMEOUT_MS;
	tun_ctimer_arm(t);
	tun_kick(t);
}

/*
 * tun_ctimer_cb() - every 200 ms while channels open: refused opens are
 * tried again; an open without an answer past its deadline means the
 * session hangs.
 */
static void tun_ctimer_cb(uv_timer_t *h)
{
	struct ssh_tunnel *t = h->data;
	uint64_t now = uv_now(t->loop);
	bool any = false, hung = false;
	struct tun_conn *c;

	for (c = t->conns; c; c = c->next) {
		if (c->closing)
			continue;
		if (c->state == TUN_C_RETRY) {
			any = true;
			if (now >= c->deadline && t->state == TUN_UP)
				tun_conn_open(c);
		} else if (c->state == TUN_C_OPENING) {
			any = true;
			hung |= now >= c->deadline;
		}
	}
	if (!any)
		uv_timer_stop(h);
	if (hung) {
		uv_timer_stop(h);
		tun_sess_lost(t, "a channel open got no answer");
	}
}

static void tun_read_stop(struct tun_conn *c)
{
	if (c->reading) {
		uv_read_stop(&c->io.s);
		c->reading = false;
	}
}

static void tun_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tun_conn *c = h->data;

	(void)suggested;
	buf->base = (char *)c->up;
	buf->len = TUN_BUF;
}

/*
 * tun_conn_up() - host bytes into the channel, within its window and
 * while libssh holds little unsent. -1 on a channel error.
 */
static int tun_conn_up(struct tun_conn *c)
{
	struct tun_sess *ss = c->t->sess;

	while (c->up_len) {
		uint32_t win = ssh_channel_window_size(c->ch);
		int w;

		if (!win || tun_out_pending(ss) > TUN_OUT_MAX)
			return 0;
		w = ssh_channel_write(c->ch, c->up + c->up_off,
				      c->up_len < win ? c->up_len : win);
		if (w == SSH_ERROR)
			return -1;
		if (w == 0)
			return 0; /* key re-exchange in progress */
		c->up_off += (uint32_t)w;
		c->up_len -= (uint32_t)w;
	}
	return 0;
}

static void tun_ch_error(struct tun_conn *c)
{
	struct ssh_tunnel *t = c->t;

	if (!tun_sess_alive(t->sess)) {
		tun_sess_lost_ssh(t);
		return;
	}
	log_debug("ssh tunnel %s: channel error: %s", t->name,
		  ssh_get_error(t->sess->s));
	tun_conn_close(c);
}

static void tun_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct tun_conn *c = s->data;
	struct ssh_tunnel *t = c->t;

	(void)buf;
	if (n == 0)
		return;
	if (n < 0) {
		tun_read_stop(c);
		if (n == UV_EOF) {
			c->local_eof = true;
			tun_kick(t);
		} else {
			tun_conn_close(c);
		}
		return;
	}
	c->up_off = 0;
	c->up_len = (uint32_t)n;
	if (tun_conn_up(c) < 0) {
		tun_ch_error(c);
		return;
	}
	if (c->up_len)
		tun_read_stop(
			c); /* backpressure: the window or libssh is full */
	tun_kick(t);
}

static void tun_read_start(struct tun_conn *c)
{
	if (c->reading || c->local_eof || c->up_len || c->closing)
		return;
	if (uv_read_start(&c->io.s, tun_alloc_cb, tun_read_cb) == 0)
		c->reading = true;
}

static void tun_write_cb(uv_write_t *req, int status)
{
	struct tun_conn *c = req->data;

	c->writing = false;
	if (c->closing)
		return;
	if (status < 0) {
		tun_conn_close(c);
		return;
	}
	tun_kick(c->t);
}

static void tun_shut_cb(uv_shutdown_t *req, int status)
{
	struct tun_conn *c = req->data;

	(void)status;
	c->shut_done = true;
	if (!c->closing)
		tun_kick(c->t);
}

/* tun_conn_write() - @n channel bytes to the host; 0 or a uv error. */
static int tun_conn_write(struct tun_conn *c, const uint8_t *p, uint32_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, n);
	int w = uv_try_write(&c->io.s, &b, 1);

	if (w == UV_EAGAIN || w == UV_ENOSYS)
		w = 0;
	if (w < 0)
		return w;
	if ((uint32_t)w == n)
		return 0;
	memcpy(c->down, p + w, n - (uint32_t)w);
	b = uv_buf_init((char *)c->down, n - (uint32_t)w);
	c->wreq.data = c;
	w = uv_write(&c->wreq, &c->io.s, &b, 1, tun_write_cb);
	if (w < 0)
		return w;
	c->writing = true;
	return 0;
}

/*
 * tun_conn_down() - channel bytes to the host until the channel is empty
 * or a write is pending; channel EOF becomes shutdown(). -1 on a channel
 * error, -2 when the host side failed.
 */
static int tun_conn_down(struct tun_conn *c)
{
	struct ssh_tunnel *t = c->t;

	while (c->rx_ready && !c->writing && !c->remote_eof) {
		int n = ssh_channel_read_nonblocking(c->ch, t->rbuf,
						     sizeof(t->rbuf), 0);

		if (n == SSH_ERROR)
			return -1;
		if (n == SSH_EOF || (n == 0 && ssh_channel_is_eof(c->ch))) {
			c->remote_eof = true;
			c->sreq.data = c;
			c->shut_sent = true;
			if (uv_shutdown(&c->sreq, &c->io.s, tun_shut_cb) < 0)
				c->shut_done = true;
			break;
		}
		if (n <= 0) {
			c->rx_ready = false;
			break;
		}
		if (tun_conn_write(c, t->rbuf, (uint32_t)n) < 0)
			return -2;
	}
	return 0;
}

/* tun_conn_io() - move what can move for an open connection. */
static void tun_conn_io(struct tun_conn *c)
{
	int r;

	if (tun_conn_up(c) < 0)
		goto ch_error;
	tun_read_start(c);
	if (c->local_eof && !c->eof_sent && !c->up_len) {
		if (ssh_channel_send_eof(c->ch) == SSH_ERROR)
			goto ch_error;
		c->eof_sent = true;
	}
	r = tun_conn_down(c);
	if (r == -1)
		goto ch_error;
	if (r < 0) {
		tun_conn_close(c);
		return;
	}
	if (c->shut_done && !c->writing &&
	    (c->eof_sent || ssh_channel_is_closed(c->ch)))
		tun_conn_close(c);
	return;
ch_error:
	tun_ch_error(c);
}

/* tun_conn_opening() - continue a channel open. */
static void tun_conn_opening(struct tun_conn *c)
{
	struct ssh_tunnel *t = c->t;
	int rc;

	rc = ssh_channel_open_forward_unix(c->ch, t->dest, "127.0.0.1", 0);
	if (rc == SSH_AGAIN)
		return;
	if (rc == SSH_OK) {
		if (!c->up) {
			c->up = malloc(2 * TUN_BUF);
			if (!c->up) {
				log_rl("ssh tunnel %s: out of memory", t->name);
				tun_conn_close(c);
				return;
			}
			c->down = c->up + TUN_BUF;
		}
		tun_conn_set_state(c, TUN_C_OPEN);
		tun_accept_more(t);
		c->rx_ready = true;
		tun_read_start(c);
		return;
	}
	if (!tun_sess_alive(t->sess)) {
		tun_sess_lost_ssh(t);
		return;
	}
	/* refused: gvproxy tries three times, 200 ms apart */
	if (++c->tries >= TUN_OPEN_TRIES) {
		char lb[1024];

		log_warn("ssh tunnel %s: cannot open %s in the guest: %s",
			 t->name, log_escape(t->dest, lb, sizeof(lb)),
			 ssh_get_error(t->sess->s));
		tun_conn_close(c);
		return;
	}
	log_debug("ssh tunnel %s: channel open refused (%s), retrying", t->name,
		  ssh_get_error(t->sess->s));
	tun_ch_free(c);
	tun_cnt(t)->tun_open_retries++;
	c->state = TUN_C_RETRY;
	c->deadline = uv_now(t->loop) + TUN_OPEN_RETRY_MS;
	tun_ctimer_arm(t);
}

/* tun_service() - every connection once; -1 when the session went away. */
int tun_service(struct ssh_tunnel *t)
{
	struct tun_conn *c, *next;

	for (c = t->conns; c; c = next) {
		next = c->next;
		if (c->closing)
			continue;
		if (c->state == TUN_C_OPENING)
			tun_conn_opening(c);
		else if (c->state == TUN_C_OPEN)
			tun_conn_io(c);
		if (t->state != TUN_UP)
			return -1;
	}
	return 0;
}

/*
 * tun_accept_io() - take the next client into @c->io, which is initialised
 * on the loop whatever the result (so it is closed as usual).
 */
static int tun_accept_io(struct ssh_tunnel *t, struct tun_conn *c)
{
	int r;

	if (t->sock.kind == TUN_SOCK_UNIX) {
		r = unixsock_accept(&t->ux, &c->io.s);
	} else {
		uv_pipe_init(t->loop, &c->io.pipe, 0);
		r = uv_accept((uv_stream_t *)&t->np, &c->io.s);
	}
	c->io.h.data = c;
	return r;
}

static void tun_accept_one(struct ssh_tunnel *t)
{
	struct tun_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		log_rl("ssh tunnel %s: out of memory for a connection",
		       t->name);
		t->accept_deferred = true; /* try again when one closes */
		return;
	}
	c->t = t;
	t->refs++;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	c->state = TUN_C_QUEUED;
	t->n_waiting++;
	if (tun_accept_io(t, c) < 0) {
		tun_conn_close(c);
		return;
	}
	if (t->state == TUN_UP)
		tun_conn_open(c);
	else if (t->state == TUN_IDLE)
		tun_cycle_start(t);
}

void tun_accept_cb(uv_stream_t *server, int status)
{
	struct ssh_tunnel *t = server->data;

	if (status < 0) {
		log_rl("ssh tunnel %s: accept: %s", t->name,
		       uv_strerror(status));
		return;
	}
	/* more waiting clients stay in the kernel's backlog */
	if (t->n_waiting >= TUN_MAX_QUEUED) {
		t->accept_deferred = true;
		return;
	}
	tun_accept_one(t);
}

#endif /* QCW_HAVE_SSH */
