/*
 * pcap_dump.c - the -pcap capture (see pcap_dump.h): libpcap's dumper on a
 * "dead" Ethernet handle, writing into a stdio buffer of our own that is
 * written out once per loop iteration, or earlier when the next record
 * would not fit (so stdio never splits a record between two writes).
 */
#include "net/pcap_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_SUBSYS LOG_SS_SWITCH
#include "util/log.h"

/* A record's header in the file (struct pcap_sf_pkthdr: 4 x 32 bits). */
#define CAPTURE_REC_HDR 16
/* The stdio buffer: several records, at least one of the largest. */
#define CAPTURE_BUF (256 * 1024)
/* The file header (struct pcap_file_header). */
#define CAPTURE_FILE_HDR 24

_Static_assert(CAPTURE_BUF >=
		       CAPTURE_FILE_HDR + CAPTURE_REC_HDR + CAPTURE_SNAPLEN,
	       "a record fits the buffer");

struct capture {
	pcap_t *dead; /* pcap_open_dead(): the link type for the dumper */
	pcap_dumper_t *dumper; /* owns @f */
	FILE *f;
	struct sw *sw; /* tapped, or NULL */
	uv_prepare_t prep;
	bool has_loop;
	bool running;
	size_t pending; /* bytes in the stdio buffer, whole records */
	off_t written; /* bytes on disk, whole records */
	struct capture_counters cnt;
	uint8_t buf[CAPTURE_BUF]; /* the stdio buffer */
	uint8_t frame[CAPTURE_SNAPLEN]; /* a frame in pieces, gathered */
};

/*
 * capture_fail() - a write failed: keep what is on disk up to the last
 * whole record (drop the buffer, cut a partial write), stop for good.
 */
static void capture_fail(struct capture *c, int err)
{
	int fd = fileno(c->f);

	log_err("capture: writing the pcap file failed (%s); capture "
		"stopped, the network goes on",
		strerror(-err));
	c->running = false;
	c->cnt.error = err;
	if (c->sw)
		sw_set_capture(c->sw, NULL, NULL);
	if (c->has_loop)
		uv_prepare_stop(&c->prep);
	__fpurge(c->f);
	if (fd >= 0 && ftruncate(fd, c->written) < 0)
		log_warn("capture: cannot cut the file to its last record: %s",
			 strerror(errno));
	pcap_dump_close(c->dumper);
	c->dumper = NULL;
	c->f = NULL;
	c->pending = 0;
}

int capture_flush(struct capture *c)
{
	if (!c->running)
		return c->cnt.error;
	if (!c->pending)
		return 0;
	if (pcap_dump_flush(c->dumper) < 0) {
		capture_fail(c, errno ? -errno : -EIO);
		return c->cnt.error;
	}
	c->written += (off_t)c->pending;
	c->pending = 0;
	c->cnt.flushes++;
	return 0;
}

struct capture *capture_open(const char *path, int *err)
{
	struct capture *c;
	int fd;

	c = calloc(1, sizeof(*c));
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = -errno;
		goto fail;
	}
	c->f = fdopen(fd, "w");
	if (!c->f) {
		*err = -errno;
		close(fd);
		goto fail;
	}
	setvbuf(c->f, (char *)c->buf, _IOFBF, sizeof(c->buf));
	c->dead = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
	if (!c->dead) {
		*err = -ENOMEM;
		fclose(c->f);
		goto fail;
	}
	c->dumper = pcap_dump_fopen(c->dead, c->f);
	if (!c->dumper) {
		*err = -EIO;
		fclose(c->f);
		pcap_close(c->dead);
		goto fail;
	}
	/* the header on disk now: an empty capture opens in tcpdump too */
	if (pcap_dump_flush(c->dumper) < 0) {
		*err = errno ? -errno : -EIO;
		pcap_dump_close(c->dumper);
		pcap_close(c->dead);
		goto fail;
	}
	c->written = CAPTURE_FILE_HDR;
	c->running = true;
	return c;
fail:
	free(c);
	return NULL;
}

static void capture_prepare_cb(uv_prepare_t *p)
{
	capture_flush(p->data);
}

int capture_start(struct capture *c, uv_loop_t *loop, struct sw *sw)
{
	if (loop && !c->has_loop) {
		int r = uv_prepare_init(loop, &c->prep);

		if (r < 0)
			return r;
		c->prep.data = c;
		c->has_loop = true;
		uv_prepare_start(&c->prep, capture_prepare_cb);
		/* it flushes while something else runs; it keeps nothing up */
		uv_unref((uv_handle_t *)&c->prep);
	}
	c->sw = sw;
	if (c->running)
		sw_set_capture(sw, capture_frame, c);
	return 0;
}

/*
 * capture_gather() - copy at most @cap bytes of @iov into c->frame;
 * returns how many were there.
 */
static size_t capture_gather(struct capture *c, const struct iovec *iov,
			     int iovcnt, size_t cap)
{
	size_t n = 0, k;
	int i;

	for (i = 0; i < iovcnt && n < cap; i++) {
		k = iov[i].iov_len < cap - n ? iov[i].iov_len : cap - n;
		memcpy(c->frame + n, iov[i].iov_base, k);
		n += k;
	}
	return n;
}

void capture_frame(void *arg, const struct iovec *iov, int iovcnt, size_t len)
{
	struct capture *c = arg;
	size_t cap = len < CAPTURE_SNAPLEN ? len : CAPTURE_SNAPLEN;
	const uint8_t *data;
	struct pcap_pkthdr h;
	struct timespec ts;

	if (!c->running || iovcnt < 1)
		return;
	if (iovcnt == 1 && iov[0].iov_len >= cap) {
		data = iov[0].iov_base;
	} else {
		cap = capture_gather(c, iov, iovcnt, cap);
		data = c->frame;
	}
	if (c->pending + CAPTURE_REC_HDR + cap > sizeof(c->buf) &&
	    capture_flush(c) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	h.caplen = (bpf_u_int32)cap;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)c->dumper, &h, data);
	c->pending += CAPTURE_REC_HDR + cap;
	c->cnt.frames++;
	c->cnt.bytes += cap;
	if (cap < len)
		c->cnt.truncated++;
}

bool capture_running(const struct capture *c)
{
	return c->running;
}

const struct capture_counters *capture_counters(const struct capture *c)
{
	return &c->cnt;
}

static void capture_free_cb(uv_handle_t *h)
{
	free(h->data);
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->sw && c->running)
		sw_set_capture(c->sw, NULL, NULL);
	if (c->running && capture_flush(c) == 0) {
		c->running = false;
		pcap_dump_close(c->dumper);
	}
	if (c->dead)
		pcap_close(c->dead);
	if (c->has_loop)
		uv_close((uv_handle_t *)&c->prep, capture_free_cb);
	else
		free(c);
}
