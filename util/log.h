/*
 * log.h - qcw-net's logger: levels, an optional log file, debug lines per
 * subsystem, and a rate limiter for messages that a misbehaving guest or
 * peer could trigger at line rate (those must never flood the log).
 *
 * A file that calls log_debug() says which subsystem it belongs to with
 * "#define LOG_SUBSYS LOG_SS_NAT" (any place before the first call); a
 * debug line whose subsystem is off costs one load and one branch.
 */
#ifndef QCW_LOG_H
#define QCW_LOG_H

#include "util/fmt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Subsystems for -debug=LIST; their names are in log_subsys_name(). */
enum log_subsys {
	LOG_SS_SWITCH, /* net/switch.c, the transports */
	LOG_SS_STACK, /* lwIP and its glue */
	LOG_SS_NAT, /* guest TCP/UDP/ICMP to host sockets, splices */
	LOG_SS_DNS, /* the resolver at the gateway */
	LOG_SS_DHCP,
	LOG_SS_API, /* HTTP API, host socket and gateway:80 */
	LOG_SS_FWD, /* port forwards */
	LOG_SS_SSH, /* SSH tunnels, libssh */
	LOG_SS_DAEMON, /* start-up, config, sandbox */
	LOG_SS_COUNT,
};

#define LOG_SS_ALL ((1u << LOG_SS_COUNT) - 1)

/* The subsystems whose debug lines are printed (bit 1 << LOG_SS_x). */
extern unsigned int log_debug_mask;

/*
 * log_set_level() - messages above @lvl are discarded; LOG_LVL_DEBUG
 * turns on the debug lines of every subsystem, a lower level none.
 */
void log_set_level(enum log_level lvl);

/*
 * log_set_debug() - debug lines of the subsystems in @mask only (the
 * level becomes debug, or info when @mask is 0).
 */
void log_set_debug(unsigned int mask);

/* log_subsys_name() - "nat" for LOG_SS_NAT, NULL out of range. */
const char *log_subsys_name(enum log_subsys ss);

/*
 * log_parse_debug() - the value of -debug: a Go bool word (true, 1, t,
 * ... : every subsystem; false, 0, f, ...: none), "all", or a comma list
 * of subsystem names ("dns,nat").
 * Return: 0 with the mask in @mask, or -EINVAL with the reason in @err.
 */
int log_parse_debug(const char *spec, unsigned int *mask, char *err,
		    size_t errlen);
enum log_level log_get_level(void);

/* log_set_file() - send the log to @path (truncated), 0 or -errno. */
int log_set_file(const char *path);

void log_msg(enum log_level lvl, const char *fmt, ...) QCW_PRINTF(2, 3);

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
/* log_debug_on() - 1 when debug lines of @ss are printed. */
#define log_debug_on(ss) ((log_debug_mask >> (ss)) & 1u)

/* log_debug() - a debug line of this file's LOG_SUBSYS. */
#define log_debug(...)                                       \
	do {                                                 \
		if (log_debug_on(LOG_SUBSYS))                \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

/* log_rl() - warn at most 10 times per second per call site. */
#define log_rl(...)                                         \
	do {                                                \
		static struct log_ratelimit rl__;           \
		if (log_ratelimit_ok(&rl__, 10))            \
			log_msg(LOG_LVL_WARN, __VA_ARGS__); \
	} while (0)

/*
 * log_escape() - @s with control bytes, DEL and the backslash escaped
 * (\n, \x1b, \\), so an untrusted path or URL can never start a forged log
 * line; truncated to fit @len. Returns @buf.
 */
const char *log_escape(const char *s, char *buf, size_t len);

#endif
