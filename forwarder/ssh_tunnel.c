/*
 * ssh_tunnel.c - SSH tunnels (see ssh_tunnel.h for the states, the flow
 * control and the half-close): the host listener, the libssh session run
 * non-blocking from a uv_poll_t, create/destroy. The host connections and
 * their channels are in ssh_tunnel_conn.c.
 *
 * Driving libssh from libuv: libssh does its own I/O inside its calls
 * (a poll() with timeout 0, a read of at most 4 KiB, or a write of all it
 * holds once the socket was seen writable). So the poll callback calls
 * ssh_event_dopoll() until nothing is ready (bounded per callback), then
 * serves the connections whose channel callbacks flagged data; the uv_poll
 * mask asks for writability while libssh has output (SSH_WRITE_PENDING).
 * Anything that may have moved bytes inside libssh outside the poll
 * callback (a host read, a finished write) kicks one more pass through an
 * idle handle, so data libssh already read is never left waiting for an
 * fd event that will not come.
 *
 * Ownership: the tunnel, each host connection (tun_conn) and each session
 * (tun_sess) are freed in their handles' close callbacks; @refs counts the
 * callbacks still due and the last one frees a destroyed tunnel. libssh
 * owns the session's socket from ssh_connect() on and closes it in
 * ssh_free(), always called right after uv_close() of the poll handle on
 * it (libuv allows closing the fd then).
 */
#include "forwarder/ssh_tunnel.h"
#include "util/fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcw_config.h"
#include "forwarder/fwd.h"
#define LOG_SUBSYS LOG_SS_SSH
#include "util/log.h"
#include "util/sockpath.h"
#include "net/netcfg.h"
#include "net/npipe.h"
#include "net/osock.h"
#include "net/transport_stream.h"

int ssh_tunnel_create_url(uv_loop_t *loop, struct fwd *fwd, const char *local,
			  const char *remote, struct ssh_tunnel **out,
			  char *err, size_t errlen)
{
	struct ssh_tunnel_config c;
	struct tun_url u;
	int r;

	*out = NULL;
	if (tun_url_parse(remote, &u, err, errlen) < 0)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.sock = local;
	c.ip = u.ip;
	c.port = u.port;
	c.dest = u.path;
	c.user = u.user;
	c.identity = u.key[0] ? u.key : NULL;
	c.passphrase = u.passphrase[0] ? u.passphrase : NULL;
	c.password = u.password[0] ? u.password : NULL;
	c.secure = u.secure;
	c.lazy = true;
	r = ssh_tunnel_create(loop, fwd, &c, out, err, errlen);
	explicit_bzero(&u, sizeof(u));
	return r;
}

#if QCW_HAVE_SSH

#include "forwarder/ssh_tunnel_priv.h"

static void tun_step(struct ssh_tunnel *t);
static void tun_attempt_start(struct ssh_tunnel *t);

/* tun_cnt() - where this tunnel counts (its forwarder's counters). */
struct fwd_counters *tun_cnt(struct ssh_tunnel *t)
{
	static struct fwd_counters none; /* no forwarder: counted nowhere */

	return t->fwd ? fwd_counters_rw(t->fwd) : &none;
}

/* ---- lifetime ---- */

void tun_maybe_free(struct ssh_tunnel *t)
{
	if (!t->dying || t->refs)
		return;
	ssh_key_free(t->key);
	explicit_bzero(t->password, sizeof(t->password));
	explicit_bzero(t->passphrase, sizeof(t->passphrase));
	free(t);
}

static void tun_handle_closed_cb(uv_handle_t *h)
{
	struct ssh_tunnel *t = h->data;

	t->refs--;
	tun_maybe_free(t);
}

static void tun_kick_cb(uv_idle_t *h)
{
	uv_idle_stop(h);
	tun_step(h->data);
}

/* tun_kick() - one more pass through tun_step() in this loop iteration. */
void tun_kick(struct ssh_tunnel *t)
{
	if (!t->dying && !uv_is_active((uv_handle_t *)&t->kick))
		uv_idle_start(&t->kick, tun_kick_cb);
}

/* ---- the session ---- */

static void tun_sess_closed_cb(uv_handle_t *h)
{
	struct tun_sess *ss = h->data;
	struct ssh_tunnel *t = ss->t;

	free(ss);
	t->refs--;
	tun_maybe_free(t);
}

bool tun_sess_alive(const struct tun_sess *ss)
{
	return ss && ssh_is_connected(ss->s) &&
	       !(ssh_get_status(ss->s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* tun_sess_free() - drop the session; its channels must be freed first. */
static void tun_sess_free(struct ssh_tunnel *t)
{
	struct tun_sess *ss = t->sess;

	if (!ss)
		return;
	t->sess = NULL;
	if (ss->ev) {
		ssh_event_remove_session(ss->ev, ss->s);
		ssh_event_free(ss->ev);
	}
	/* stop polling before libssh closes the fd */
	if (ss->polling)
		uv_close((uv_handle_t *)&ss->poll, tun_sess_closed_cb);
	ssh_free(ss->s);
	if (!ss->fd_owned && ss->fd >= 0)
		osock_close(ss->fd);
	if (!ss->polling)
		free(ss);
}

static void tun_poll_cb(uv_poll_t *p, int status, int events);

static void tun_sess_update_poll(struct tun_sess *ss)
{
	int mask = UV_READABLE;

	if (ssh_get_poll_flags(ss->s) & SSH_WRITE_PENDING)
		mask |= UV_WRITABLE;
	if (mask != ss->mask &&
	    uv_poll_start(&ss->poll, mask, tun_poll_cb) == 0)
		ss->mask = mask;
}

/*
 * tun_out_pending() - bytes libssh holds unsent, estimated from its
 * counters: packet payload queued minus socket bytes written since its
 * buffer was last seen empty (no POLLOUT interest). Encryption overhead
 * makes this an underestimate, corrected at every resync.
 */
uint64_t tun_out_pending(struct tun_sess *ss)
{
	uint64_t raw, wire;

	if (!(ssh_get_poll_flags(ss->s) & SSH_WRITE_PENDING)) {
		ss->raw_sync = ss->rcnt.out_bytes;
		ss->wire_sync = ss->scnt.out_bytes;
		return 0;
	}
	raw = ss->rcnt.out_bytes - ss->raw_sync;
	wire = ss->scnt.out_bytes - ss->wire_sync;
	return raw > wire ? raw - wire : 0;
}

void tun_cycle_start(struct ssh_tunnel *t)
{
	t->failures = 0;
	t->budget = t->ever_up ? TUN_RECONNECT_ATTEMPTS : t->attempts;
	tun_attempt_start(t);
}

/*
 * tun_sess_lost() - the session died (EOF, error, hung): host connections
 * with an open channel end, the others wait for the next session, which
 * is started at once if anyone waits.
 */
void tun_sess_lost(struct ssh_tunnel *t, const char *why)
{
	struct tun_conn *c;

	log_info("ssh tunnel %s: session to %s lost: %s", t->name, t->target,
		 why);
	if (t->state == TUN_UP) {
		tun_cnt(t)->tun_up--;
		tun_cnt(t)->tun_lost++;
	}
	for (c = t->conns; c; c = c->next) {
		if (c->closing)
			continue;
		if (c->state == TUN_C_OPEN) {
			tun_conn_close(c);
			continue;
		}
		tun_ch_free(c);
		c->state = TUN_C_QUEUED;
	}
	tun_sess_free(t);
	uv_timer_stop(&t->stimer);
	t->state = TUN_IDLE;
	if (t->n_waiting && !t->dying)
		tun_cycle_start(t);
}

void tun_sess_lost_ssh(struct ssh_tunnel *t)
{
	char why[256];

	snprintf(why, sizeof(why), "%s",
		 t->sess ? ssh_get_error(t->sess->s) : "closed");
	tun_sess_lost(t, why[0] ? why : "connection closed");
}

/*
 * tun_fail_cycle() - this cycle ends without a session: waiting clients
 * are closed; an eager tunnel's first cycle reports @why to its owner.
 */
static void tun_fail_cycle(struct ssh_tunnel *t, const char *why)
{
	bool first = !t->ever_up && !t->lazy;
	struct tun_conn *c;

	t->state = TUN_IDLE;
	t->failures = 0;
	for (c = t->conns; c; c = c->next)
		if (!c->closing)
			tun_conn_close(c);
	if (first && t->failed) {
		t->failed(t->arg, t, why); /* may destroy @t: nothing after */
		return;
	}
	log_warn("ssh tunnel %s: %s", t->name, why);
}

/* tun_give_up() - a cycle's attempts are spent. */
static void tun_give_up(struct ssh_tunnel *t)
{
	char why[640];

	snprintf(why, sizeof(why),
		 "timeout: could not set up the SSH session to %s after %u "
		 "attempts; last error: %s",
		 t->target, t->failures, t->last_err);
	tun_cnt(t)->tun_gave_up++;
	tun_fail_cycle(t, why);
}

static void tun_wait_cb(uv_timer_t *h)
{
	tun_attempt_start(h->data);
}

static void tun_attempt_failed(struct ssh_tunnel *t, const char *fmt, ...)
	QCW_PRINTF(2, 3);

/* tun_attempt_failed() - end this attempt; wait and retry, or give up. */
static void tun_attempt_failed(struct ssh_tunnel *t, const char *fmt, ...)
{
	unsigned int delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->last_err, sizeof(t->last_err), fmt, ap);
	va_end(ap);
	tun_sess_free(t);
	uv_timer_stop(&t->stimer);
	t->failures++;
	tun_cnt(t)->tun_attempts_failed++;
	if (t->failures >= t->budget) {
		tun_give_up(t);
		return;
	}
	delay = tun_retry_delay_ms(t->failures);
	if (t->failures == 1)
		log_info("ssh tunnel %s: %s; retrying (at most %u attempts)",
			 t->name, t->last_err, t->budget);
	else
		log_debug("ssh tunnel %s: attempt %u: %s; next in %u ms",
			  t->name, t->failures, t->last_err, delay);
	t->state = TUN_WAIT;
	uv_timer_start(&t->stimer, tun_wait_cb, delay, 0);
}

static void tun_attempt_timeout_cb(uv_timer_t *h)
{
	struct ssh_tunnel *t = h->data;

	tun_attempt_failed(t, "no %s from %s within %d s",
			   t->state == TUN_AUTH ? "authentication answer"
						: "SSH handshake",
			   t->target, TUN_ATTEMPT_TIMEOUT_MS / 1000);
}

/* Never prompt for a passphrase (OpenSSL would read the terminal). */
static int tun_no_prompt_cb(const char *prompt, char *buf, size_t len, int echo,
			    int verify, void *userdata)
{
	(void)prompt;
	(void)buf;
	(void)len;
	(void)echo;
	(void)verify;
	(void)userdata;
	return -1;
}

/*
 * tun_known_hosts() - secure=true reads $HOME/.ssh/known_hosts, as gvproxy
 * (Go's home is $HOME; libssh would take the passwd entry's), on Windows
 * %USERPROFILE%\.ssh\known_hosts (tun_os_known_hosts()). libssh reads
 * it with a blocking open() on the loop (during the key exchange too, to
 * order host key algorithms), so a FIFO or device there is refused after a
 * stat(), which does not block; without secure=true it reads nothing
 * (/dev/null), as host keys are not checked then.
 * Return: 0, or -1 with the reason in @why.
 */
static int tun_known_hosts(const struct ssh_tunnel *t, ssh_session s, char *why,
			   size_t whylen)
{
	const char *null = tun_os_null_file();
	struct stat st;
	char path[512];

	if (!t->secure) {
		if (ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, null) < 0 ||
		    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, null) <
			    0) {
			snprintf(why, whylen, "libssh options: %s",
				 ssh_get_error(s));
			return -1;
		}
		return 0;
	}
	if (tun_os_known_hosts(path, sizeof(path)) < 0)
		return 0; /* libssh's default, ~/.ssh/known_hosts */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, whylen,
			 "host key check (secure=true): ~/.ssh/known_hosts is "
			 "not a regular file");
		return -1;
	}
	if (ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, path) < 0) {
		snprintf(why, whylen, "libssh options: %s", ssh_get_error(s));
		return -1;
	}
	return 0;
}

/*
 * tun_attempt_start() - a socket pair (a socketpair() on POSIX, a loopback
 * TCP pair on Windows: osock_pair()) whose one end is dialled into the
 * guest's sshd (fwd_splice_fd) and whose other end libssh talks on.
 */
static void tun_attempt_start(struct ssh_tunnel *t)
{
	struct tun_sess *ss;
	int port = t->port;
	bool no = false;
	socket_t sfd;
	char ip[16], why[256];
	int sv[2], r;

	if (t->key_state == TUN_KEY_LOADING) {
		t->state = TUN_WAIT; /* tun_key_done_cb() starts it */
		return;
	}
	if (t->key_state == TUN_KEY_FAILED) {
		tun_fail_cycle(t, t->key_err); /* may destroy @t */
		return;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss) {
		tun_attempt_failed(t, "out of memory");
		return;
	}
	ss->t = t;
	ss->fd = -1;
	t->sess = ss;
	t->state = TUN_CONNECTING;
	uv_timer_start(&t->stimer, tun_attempt_timeout_cb,
		       TUN_ATTEMPT_TIMEOUT_MS, 0);
	r = osock_pair(sv);
	if (r < 0) {
		tun_attempt_failed(t, "socket pair: %s", strerror(-r));
		return;
	}
	ss->fd = sv[1];
	/* libssh writes all it holds once POLLOUT was seen: never block */
	r = tun_os_sock_prep(sv[0], sv[1]);
	if (r < 0) {
		osock_close(sv[0]);
		tun_attempt_failed(t, "socket pair: %s", strerror(-r));
		return;
	}
	r = fwd_splice_fd(t->fwd, sv[0], t->ip, t->port);
	if (r < 0) {
		tun_attempt_failed(t, "cannot dial %s: %s", t->target,
				   strerror(-r));
		return;
	}
	ss->s = ssh_new();
	if (!ss->s) {
		tun_attempt_failed(t, "out of memory");
		return;
	}
	sfd = (socket_t)sv[1];
	/* no ~/.ssh/config or /etc/ssh/ssh_config, as gvproxy */
	if (ssh_options_set(ss->s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(ss->s, SSH_OPTIONS_HOST, netcfg_ip_str(t->ip, ip)) <
		    0 ||
	    ssh_options_set(ss->s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(ss->s, SSH_OPTIONS_USER, t->user) < 0 ||
	    ssh_options_set(ss->s, SSH_OPTIONS_FD, &sfd) < 0) {
		tun_attempt_failed(t, "libssh options: %s",
				   ssh_get_error(ss->s));
		return;
	}
	if (tun_known_hosts(t, ss->s, why, sizeof(why)) < 0) {
		tun_attempt_failed(t, "%s", why);
		return;
	}
	ssh_set_blocking(ss->s, 0);
	ssh_set_counters(ss->s, &ss->scnt, &ss->rcnt);
	ss->auth_pw = !t->key;
	r = ssh_connect(ss->s);
	ss->fd_owned = ssh_get_fd(ss->s) == sfd;
	if (r == SSH_ERROR) {
		tun_attempt_failed(t, "ssh connect: %s", ssh_get_error(ss->s));
		return;
	}
	ss->ev = ssh_event_new();
	if (!ss->ev || ssh_event_add_session(ss->ev, ss->s) != SSH_OK) {
		tun_attempt_failed(t, "libssh event: out of memory");
		return;
	}
	if (uv_poll_init_socket(t->loop, &ss->poll, (uv_os_sock_t)sv[1]) < 0) {
		tun_attempt_failed(t, "cannot poll the ssh socket");
		return;
	}
	ss->poll.data = ss;
	ss->polling = true;
	t->refs++;
	tun_sess_update_poll(ss);
	tun_kick(t);
}

/* tun_check_host_key() - secure=true: the key must be in known_hosts. */
static int tun_check_host_key(struct ssh_tunnel *t)
{
	const char *why;

	switch (ssh_session_is_known_server(t->sess->s)) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
		why = "the host key changed (possible man-in-the-middle "
		      "attack)";
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		why = "known_hosts has a key of another type for this host";
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		why = "the host key is not in ~/.ssh/known_hosts";
		break;
	default:
		why = ssh_get_error(t->sess->s);
		break;
	}
	tun_attempt_failed(t, "host key check for %s (secure=true): %s",
			   t->target, why);
	return -1;
}

static void tun_sess_up(struct ssh_tunnel *t)
{
	struct tun_conn *c;

	uv_timer_stop(&t->stimer);
	t->state = TUN_UP;
	tun_cnt(t)->tun_up++;
	tun_cnt(t)->tun_sessions++;
	log_info("ssh tunnel %s -> %s: session up%s", t->name, t->target,
		 t->failures ? " after retrying" : "");
	t->failures = 0;
	t->ever_up = true;
	for (c = t->conns; c; c = c->next)
		if (!c->closing && c->state == TUN_C_QUEUED)
			tun_conn_open(c);
}

/* tun_handshake() - advance ssh_connect() and authentication. */
static void tun_handshake(struct ssh_tunnel *t)
{
	struct tun_sess *ss = t->sess;
	char lb[1024];
	int rc;

	if (t->state == TUN_CONNECTING) {
		rc = ssh_connect(ss->s);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK) {
			if (ss->scnt.in_bytes == 0)
				tun_attempt_failed(
					t,
					"%s closed the connection without an "
					"SSH banner (is sshd running in the "
					"guest?)",
					t->target);
			else
				tun_attempt_failed(
					t, "ssh handshake with %s: %s",
					t->target, ssh_get_error(ss->s));
			return;
		}
		if (t->secure && tun_check_host_key(t) < 0)
			return;
		t->state = TUN_AUTH;
	}
	for (;;) {
		rc = ss->auth_pw
			     ? ssh_userauth_password(ss->s, NULL, t->password)
			     : ssh_userauth_publickey(ss->s, NULL, t->key);
		if (rc == SSH_AUTH_AGAIN)
			return;
		if (rc == SSH_AUTH_SUCCESS) {
			tun_sess_up(t);
			return;
		}
		if (rc == SSH_AUTH_ERROR) {
			tun_attempt_failed(t, "ssh authentication as %s: %s",
					   t->target, ssh_get_error(ss->s));
			return;
		}
		/* denied (or partial): the password, if there is one */
		if (!ss->auth_pw && t->password[0]) {
			ss->auth_pw = true;
			continue;
		}
		if (t->key)
			tun_attempt_failed(
				t,
				"authentication as %s was denied (identity %s)",
				t->target,
				log_escape(t->identity, lb, sizeof(lb)));
		else
			tun_attempt_failed(
				t, "authentication as %s was denied (password)",
				t->target);
		return;
	}
}

/* tun_pump() - libssh's input and output, then the connections. */
static void tun_pump(struct ssh_tunnel *t)
{
	int i, rc;

	for (i = 0; i < TUN_PUMP_ROUNDS; i++) {
		rc = ssh_event_dopoll(t->sess->ev, 0);
		if (rc == SSH_ERROR || !tun_sess_alive(t->sess)) {
			tun_sess_lost_ssh(t);
			return;
		}
		if (tun_service(t) < 0)
			return;
		if (rc == SSH_AGAIN)
			return;
	}
	tun_kick(t); /* more is ready: let the rest of the loop run first */
}

static void tun_step(struct ssh_tunnel *t)
{
	if (t->dying)
		return;
	if (t->state == TUN_CONNECTING || t->state == TUN_AUTH)
		tun_handshake(t);
	if (t->state == TUN_UP)
		tun_pump(t);
	if (!t->dying && t->sess && t->sess->polling &&
	    t->state >= TUN_CONNECTING)
		tun_sess_update_poll(t->sess);
}

static void tun_poll_cb(uv_poll_t *p, int status, int events)
{
	struct tun_sess *ss = p->data;
	struct ssh_tunnel *t = ss->t;

	(void)events;
	if (status < 0) {
		if (t->state == TUN_UP)
			tun_sess_lost(t, uv_strerror(status));
		else
			tun_attempt_failed(t, "ssh socket: %s",
					   uv_strerror(status));
		return;
	}
	tun_step(t);
}

/* ---- the host listener ---- */
static int tun_listen_unix(struct ssh_tunnel *t, char *err, size_t errlen)
{
	const char *path = t->sock.path;
	int e;

	/* only a stale socket is replaced, never another kind of file */
	e = sockpath_claim(path, SOCK_STREAM);
	if (e < 0) {
		snprintf(err, errlen, "listen unix %s: %s", path,
			 sockpath_strerror(e));
		return e;
	}
	/* mode 0600 (POSIX), owner-only DACL (Windows), as gvproxy's */
	t->listening = true;
	t->refs++;
	e = unixsock_listen(t->loop, &t->ux, path, 128, tun_accept_cb, t);
	if (e == 0)
		t->unlink_path = true;
	if (e < 0) {
		snprintf(err, errlen, "listen unix %s: %s", path,
			 unixsock_strerror(e));
		return e;
	}
	return 0;
}

/*
 * tun_listen_npipe() - a Windows named pipe (net/npipe.h): restricted to
 * SYSTEM, Administrators and the current user, as gvproxy's. A name that
 * is taken is an error, except \\.\pipe\docker_engine, which gvproxy
 * skips (Docker Desktop may serve it): then the tunnel has no listener
 * and @t->skipped is set.
 */
static int tun_listen_npipe(struct ssh_tunnel *t, char *err, size_t errlen)
{
	int e;

	t->listening = true;
	t->refs++;
	e = npipe_listen(t->loop, &t->np, t->sock.path, 128, tun_accept_cb, t);
	if (e == UV_EADDRINUSE && npipe_skip_if_taken(t->sock.path)) {
		log_warn("ssh tunnel %s: the pipe is taken (another engine "
			 "serves it): skipped, as gvproxy does",
			 t->name);
		t->skipped = true;
		return 0;
	}
	if (e < 0) {
		snprintf(err, errlen, "listen npipe %s: %s", t->name,
			 npipe_strerror(e));
		return e;
	}
	return 0;
}

/* tun_listen() - the host end, from the parsed -forward-sock. */
static int tun_listen(struct ssh_tunnel *t, char *err, size_t errlen)
{
	if (t->sock.kind == TUN_SOCK_NPIPE)
		return tun_listen_npipe(t, err, errlen);
	return tun_listen_unix(t, err, errlen);
}

/* tun_listen_close() - stop listening; the file is removed (unix). */
static void tun_listen_close(struct ssh_tunnel *t)
{
	if (!t->listening)
		return;
	if (t->sock.kind == TUN_SOCK_NPIPE)
		uv_close((uv_handle_t *)&t->np, tun_handle_closed_cb);
	else
		unixsock_close(&t->ux, tun_handle_closed_cb);
}

/* ---- create / destroy ---- */

static int tun_copy(char *dst, size_t n, const char *src, const char *what,
		    char *err, size_t errlen)
{
	if (!src)
		src = "";
	if (strlen(src) >= n) {
		snprintf(err, errlen, "%s too long", what);
		return -EINVAL;
	}
	strcpy(dst, src);
	return 0;
}

/*
 * tun_key_read() - the identity file into @buf (NUL-terminated), for the
 * threadpool: opened non-blocking and refused unless it is a regular file,
 * so a FIFO or a device is an error, never a wait. 0 or -errno, with the
 * reason in @why.
 */
static int tun_key_read(const char *path, char *buf, size_t cap,
			const char **why)
{
	struct stat st;
	size_t n = 0;
	ssize_t k;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -EINVAL;
	}
	if (st.st_size >= (off_t)cap) {
		close(fd);
		*why = "too large for a private key";
		return -EFBIG;
	}
	while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			close(fd);
			return -EIO;
		}
		n += (size_t)k;
	}
	close(fd);
	buf[n] = 0;
	return 0;
}

/* tun_key_work() - on a threadpool thread: read and decode the key. */
static void tun_key_work(uv_work_t *w)
{
	struct ssh_tunnel *t = w->data;
	char *buf = malloc(TUN_KEY_MAX);
	const char *why = "out of memory";
	char name[1024];
	int rc = -1;

	if (buf && tun_key_read(t->identity, buf, TUN_KEY_MAX, &why) == 0) {
		rc = ssh_pki_import_privkey_base64(
			buf, t->passphrase[0] ? t->passphrase : NULL,
			tun_no_prompt_cb, NULL, &t->key);
		why = "not a private key, or a wrong or missing passphrase";
	}
	if (buf) {
		explicit_bzero(buf, TUN_KEY_MAX);
		free(buf);
	}
	if (rc == SSH_OK)
		return;
	snprintf(t->key_err, sizeof(t->key_err),
		 "identity file \"%s\" can't be loaded: %s",
		 log_escape(t->identity, name, sizeof(name)), why);
}

/* tun_key_done_cb() - back on the loop: go on with a waiting attempt. */
static void tun_key_done_cb(uv_work_t *w, int status)
{
	struct ssh_tunnel *t = w->data;

	t->refs--;
	explicit_bzero(t->passphrase, sizeof(t->passphrase));
	if (t->dying) {
		tun_maybe_free(t);
		return;
	}
	if (status < 0 && !t->key_err[0])
		snprintf(t->key_err, sizeof(t->key_err),
			 "identity file can't be loaded: %s",
			 uv_strerror(status));
	t->key_state = t->key ? TUN_KEY_OK : TUN_KEY_FAILED;
	if (t->key_state == TUN_KEY_FAILED && (t->lazy || !t->failed))
		log_err("ssh tunnel %s: %s", t->name, t->key_err);
	if (t->state == TUN_WAIT && !uv_is_active((uv_handle_t *)&t->stimer))
		tun_attempt_start(t); /* may destroy @t */
}

/*
 * tun_load_key() - start reading the identity file on the threadpool
 * (never on the loop: a FIFO or a slow file system would stop
 * everything); attempts wait for it.
 */
static int tun_load_key(struct ssh_tunnel *t, const char *passphrase, char *err,
			size_t errlen)
{
	int r;

	if (!t->identity[0])
		return 0;
	if (tun_copy(t->passphrase, sizeof(t->passphrase), passphrase,
		     "passphrase", err, errlen) < 0)
		return -EINVAL;
	t->key_state = TUN_KEY_LOADING;
	t->key_work.data = t;
	r = uv_queue_work(t->loop, &t->key_work, tun_key_work, tun_key_done_cb);
	if (r < 0) {
		t->key_state = TUN_KEY_NONE;
		snprintf(err, errlen, "cannot load the identity file: %s",
			 uv_strerror(r));
		return r;
	}
	t->refs++;
	return 0;
}

/* With -debug, libssh's own protocol log joins ours. */
static void tun_libssh_log(int priority, const char *function,
			   const char *buffer, void *userdata)
{
	(void)priority;
	(void)function;
	(void)userdata;
	log_debug("libssh: %s", buffer);
}

int ssh_tunnel_create(uv_loop_t *loop, struct fwd *fwd,
		      const struct ssh_tunnel_config *cfg,
		      struct ssh_tunnel **out, char *err, size_t errlen)
{
	static bool ssh_ready;
	struct ssh_tunnel *t;
	char ip[16], lb[1024];
	int e;

	*out = NULL;
	if (!ssh_ready) {
		if (ssh_init() < 0) {
			snprintf(err, errlen, "libssh failed to initialise");
			return -EIO;
		}
		ssh_ready = true;
		if (log_debug_on(LOG_SS_SSH)) {
			ssh_set_log_callback(tun_libssh_log);
			ssh_set_log_level(SSH_LOG_PROTOCOL);
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->loop = loop;
	t->fwd = fwd;
	t->ip = cfg->ip;
	t->port = cfg->port ? cfg->port : 22;
	t->secure = cfg->secure;
	t->lazy = cfg->lazy;
	t->attempts = cfg->attempts ? cfg->attempts : tun_attempts_from_env();
	t->failed = cfg->failed;
	t->arg = cfg->arg;
	uv_timer_init(loop, &t->stimer);
	uv_timer_init(loop, &t->ctimer);
	uv_idle_init(loop, &t->kick);
	t->stimer.data = t->ctimer.data = t->kick.data = t;
	t->refs = 3;
	e = tun_copy(t->name, sizeof(t->name), cfg->sock, "socket", err,
		     errlen);
	if (!e)
		e = tun_copy(t->dest, sizeof(t->dest), cfg->dest,
			     "destination path", err, errlen);
	if (!e)
		e = tun_copy(t->user, sizeof(t->user), cfg->user, "user name",
			     err, errlen);
	if (!e)
		e = tun_copy(t->identity, sizeof(t->identity), cfg->identity,
			     "identity path", err, errlen);
	if (!e)
		e = tun_copy(t->password, sizeof(t->password), cfg->password,
			     "password", err, errlen);
	if (!e) /* for logs only: a forged line is impossible */
		log_escape(cfg->sock, t->name, sizeof(t->name));
	if (!e && (!t->user[0] || !t->dest[0] ||
		   (!t->identity[0] && !t->password[0]))) {
		snprintf(err, errlen,
			 "an SSH tunnel needs a user, a destination and a key");
		e = -EINVAL;
	}
	if (!e)
		e = tun_sock_parse(cfg->sock, &t->sock, err, errlen);
	if (!e && t->sock.kind == TUN_SOCK_NPIPE)
		e = tun_listen(t, err, errlen); /* refused before the key */
	if (!e && !t->skipped)
		e = tun_load_key(t, cfg->passphrase, err, errlen);
	if (e < 0)
		goto fail;
	snprintf(t->target, sizeof(t->target), "%s@%s:%u",
		 log_escape(t->user, lb, sizeof(lb)), netcfg_ip_str(t->ip, ip),
		 t->port);
	if (t->skipped) {
		*out = t; /* no listener: nothing to serve, no session */
		return 0;
	}
	if (t->sock.kind == TUN_SOCK_UNIX) {
		e = tun_listen(t, err, errlen);
		if (e < 0)
			goto fail;
	}
	log_info("ssh tunnel %s -> %s %s: listening%s", t->name, t->target,
		 log_escape(t->dest, lb, sizeof(lb)),
		 t->lazy ? " (session at the first connection)" : "");
	if (!t->lazy) {
		/* first attempt from the loop: no callback before we return */
		t->state = TUN_WAIT;
		t->budget = t->attempts;
		uv_timer_start(&t->stimer, tun_wait_cb, 0, 0);
	}
	*out = t;
	return 0;
fail:
	t->unlink_path = false;
	ssh_tunnel_destroy(t);
	return e;
}

void ssh_tunnel_destroy(struct ssh_tunnel *t)
{
	struct tun_conn *c;

	if (!t || t->dying)
		return;
	t->dying = true;
	if (t->state == TUN_UP)
		tun_cnt(t)->tun_up--;
	if (t->key_state == TUN_KEY_LOADING)
		uv_cancel((uv_req_t *)&t->key_work); /* done_cb runs anyway */
	tun_listen_close(t);
	if (t->unlink_path)
		unlink(t->sock.path);
	uv_close((uv_handle_t *)&t->stimer, tun_handle_closed_cb);
	uv_close((uv_handle_t *)&t->ctimer, tun_handle_closed_cb);
	uv_close((uv_handle_t *)&t->kick, tun_handle_closed_cb);
	for (c = t->conns; c; c = c->next)
		tun_conn_close(c);
	tun_sess_free(t);
}

#else /* !QCW_HAVE_SSH */

int ssh_tunnel_create(uv_loop_t *loop, struct fwd *fwd,
		      const struct ssh_tunnel_config *cfg,
		      struct ssh_tunnel **out, char *err, size_t errlen)
{
	(void)loop;
	(void)fwd;
	(void)cfg;
	*out = NULL;
	snprintf(err, errlen,
		 "SSH tunnels are not available: qcw-net was built without "
		 "libssh");
	return -ENOTSUP;
}

void ssh_tunnel_destroy(struct ssh_tunnel *t)
{
	(void)t;
}

#endif
