/*
 * log.c - the logger behind log.h. Writes whole lines with one write so
 * that lines from a forked child or another process sharing the file do
 * not interleave; timestamps are wall-clock RFC 3339 like gvproxy's logrus.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_level_cur = LOG_LVL_INFO;
static int log_fd = 2;

void log_set_level(enum log_level lvl)
{
	log_level_cur = lvl;
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

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info",
					    "debug"};
	char line[1024];
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
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 3, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	line[n++] = '"';
	line[n++] = '\n';
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
