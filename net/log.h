/*
 * log.h - qcw-net's logger: levels, an optional log file, and a rate
 * limiter for messages that a misbehaving guest or peer could trigger at
 * line rate (those must never flood the log).
 */
#ifndef QCW_LOG_H
#define QCW_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* log_set_level() - messages above @lvl are discarded. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/* log_set_file() - send the log to @path (truncated), 0 or -errno. */
int log_set_file(const char *path);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * struct log_ratelimit - at most @burst messages per second; the number
 * suppressed is reported with the next message that passes.
 */
struct log_ratelimit {
	uint64_t window_start_ms;
	uint32_t printed;
	uint32_t suppressed;
};

/* log_ratelimit_ok() - 1 if a message may be printed now, else 0. */
int log_ratelimit_ok(struct log_ratelimit *rl, unsigned int burst);

#define log_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

/* log_rl() - warn at most 10 times per second per call site. */
#define log_rl(...)                                         \
	do {                                                \
		static struct log_ratelimit rl__;           \
		if (log_ratelimit_ok(&rl__, 10))            \
			log_msg(LOG_LVL_WARN, __VA_ARGS__); \
	} while (0)

#endif
