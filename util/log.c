/*
 * log.c - the logger behind log.h. Writes whole lines with one write so
 * that lines from a forked child or another process sharing the file do
 * not interleave; timestamps are wall-clock RFC 3339 like gvproxy's logrus.
 * Messages carry guest- and client-supplied strings (paths, names), so
 * every control byte is escaped: no input can start a line of its own.
 */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_level_cur = LOG_LVL_INFO;
static int log_fd = 2;
unsigned int log_debug_mask;

static const char *const log_subsys_names[LOG_SS_COUNT] = {
	[LOG_SS_SWITCH] = "switch", [LOG_SS_STACK] = "stack",
	[LOG_SS_NAT] = "nat",	    [LOG_SS_DNS] = "dns",
	[LOG_SS_DHCP] = "dhcp",	    [LOG_SS_API] = "api",
	[LOG_SS_FWD] = "fwd",	    [LOG_SS_SSH] = "ssh",
	[LOG_SS_DAEMON] = "daemon",
};

void log_set_level(enum log_level lvl)
{
	log_level_cur = lvl;
	log_debug_mask = lvl >= LOG_LVL_DEBUG ? LOG_SS_ALL : 0;
}

void log_set_debug(unsigned int mask)
{
	log_debug_mask = mask & LOG_SS_ALL;
	log_level_cur = log_debug_mask ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

const char *log_subsys_name(enum log_subsys ss)
{
	return (unsigned int)ss < LOG_SS_COUNT ? log_subsys_names[ss] : NULL;
}

static bool log_word_in(const char *w, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(w, *words))
			return true;
	return false;
}

int log_parse_debug(const char *spec, unsigned int *mask, char *err,
		    size_t errlen)
{
	static const char *const yes[] = {"true", "1",	  "t",	 "T",
					  "TRUE", "True", "all", NULL};
	static const char *const no[] = {"false", "0",	   "f", "F",
					 "FALSE", "False", NULL};
	unsigned int m = 0, ss;
	const char *p = spec;

	if (log_word_in(spec, yes)) {
		*mask = LOG_SS_ALL;
		return 0;
	}
	if (log_word_in(spec, no)) {
		*mask = 0;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(p, ",");

		for (ss = 0; ss < LOG_SS_COUNT; ss++)
			if (strlen(log_subsys_names[ss]) == n &&
			    !strncmp(p, log_subsys_names[ss], n))
				break;
		if (ss == LOG_SS_COUNT) {
			int k = snprintf(err, errlen,
					 "invalid value \"%s\" for -debug: "
					 "\"%.*s\" is not one of all",
					 spec, (int)n, p);

			for (ss = 0;
			     ss < LOG_SS_COUNT && k >= 0 && (size_t)k < errlen;
			     ss++)
				k += snprintf(err + k, errlen - (size_t)k,
					      ", %s", log_subsys_names[ss]);
			return -EINVAL;
		}
		m |= 1u << ss;
		if (!p[n])
			break;
		p += n + 1;
	}
	*mask = m;
	return 0;
}

enum log_level log_get_level(void)
{
	return log_level_cur;
}

int log_set_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		      0644);

	if (fd < 0)
		return -errno;
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	return 0;
}

static uint64_t log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int log_ratelimit_ok(struct log_ratelimit *rl, unsigned int burst)
{
	uint64_t now = log_now_ms();

	if (now - rl->window_start_ms >= 1000) {
		if (rl->suppressed)
			log_msg(LOG_LVL_WARN,
				"(%u similar messages suppressed)",
				rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

/*
 * log_escape_n() - copy @in (@n bytes) to @out (room @cap) with newline, CR
 * and tab as \n \r \t and every other byte below 0x20, and 0x7f, as \xNN
 * (ESC is \x1b), and with @bs the backslash as \\; stops before an escape
 * that would not fit.
 * Return: bytes written.
 */
static size_t log_escape_n(char *out, size_t cap, const char *in, size_t n,
			   bool bs)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		char e = 0;

		if (c >= 0x20 && c != 0x7f && !(bs && c == '\\')) {
			if (o + 1 > cap)
				break;
			out[o++] = (char)c;
			continue;
		}
		if (c == '\n')
			e = 'n';
		else if (c == '\r')
			e = 'r';
		else if (c == '\t')
			e = 't';
		else if (c == '\\')
			e = '\\';
		if (e) {
			if (o + 2 > cap)
				break;
			out[o++] = '\\';
			out[o++] = e;
			continue;
		}
		if (o + 4 > cap)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	return o;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info",
					    "debug"};
	char line[1024], msg[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (lvl > log_level_cur)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "time=\"%04d-%02d-%02dT%02d:%02d:%02dZ\" level=%s msg=\"",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, names[lvl]);
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= sizeof(msg))
		m = sizeof(msg) - 1;
	n += (int)log_escape_n(line + n, sizeof(line) - (size_t)n - 2, msg,
			       (size_t)m, false);
	line[n++] = '"';
	line[n++] = '\n';
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

const char *log_escape(const char *s, char *buf, size_t len)
{
	size_t n;

	if (!len)
		return buf;
	n = log_escape_n(buf, len - 1, s, strlen(s), true);
	buf[n] = 0;
	return buf;
}
