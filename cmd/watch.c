/*
 * watch.c - "qcw-net stats --watch": polls /stats every interval and
 * shows the rates (cmd/watch_view.h). On a terminal it redraws one screen
 * in the alternate screen buffer (plain ANSI sequences, no curses) and
 * follows the window's size; otherwise it prints one line per interval
 * for a log. Ctrl-C (or SIGTERM) ends it with status 0.
 *
 * Samples are taken on a fixed schedule from the monotonic clock, and the
 * rates divide by the time really elapsed between two answers, so a slow
 * answer never shows as a spike.
 */
#include "cmd/watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client_http.h"
#include "cmd/watch_view.h"

#define WATCH_SCREEN_MAX 65536

static volatile sig_atomic_t watch_stop, watch_resized;

static void watch_on_signal(int sig)
{
	if (sig == SIGWINCH)
		watch_resized = 1;
	else
		watch_stop = 1;
}

static double watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void watch_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void watch_write(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(1, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void watch_puts(const char *s)
{
	watch_write(s, strlen(s));
}

/* watch_fetch() - one /stats sample, NULL with the reason in @err */
static json_t *watch_fetch(const char *sock, char *err, size_t errlen)
{
	json_error_t jerr;
	size_t len;
	char *body = client_get(sock, "/stats", &len, err, errlen);
	json_t *j;

	if (!body)
		return NULL;
	j = json_loadb(body, len, 0, &jerr);
	free(body);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "unexpected answer from %s: %s", sock,
			 j ? "not a JSON object" : jerr.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

struct watch_state {
	const char *sock;
	double interval;
	bool tty;
	char *screen;
	struct watch_view view;
	bool have_view;
	char note[1100];
};

static void watch_draw(struct watch_state *s)
{
	struct winsize ws = {0};
	char title[768], stamp[32];
	int cols = 80, rows = 24;
	size_t n;

	watch_stamp(stamp, sizeof(stamp));
	if (!s->tty) {
		char line[1024];

		if (!s->have_view)
			return;
		n = watch_format_line(&s->view, stamp, line, sizeof(line));
		watch_write(line, n);
		return;
	}
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	snprintf(title, sizeof(title),
		 "qcw-net stats  %s  every %g s  %s  (Ctrl-C quits)", stamp,
		 s->interval, s->sock);
	n = watch_format_screen(s->have_view ? &s->view : NULL, title,
				s->note[0] ? s->note : NULL, cols, rows,
				s->screen, WATCH_SCREEN_MAX);
	watch_write(s->screen, n);
}

/*
 * watch_sleep_until() - sleep to the monotonic time @t; redraws on a
 * window size change. Return: false when a signal asked to stop.
 */
static bool watch_sleep_until(struct watch_state *s, double t)
{
	for (;;) {
		double left = t - watch_now();
		struct timespec ts;

		if (watch_stop)
			return false;
		if (watch_resized) {
			watch_resized = 0;
			watch_draw(s);
		}
		if (left <= 0)
			return true;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL); /* EINTR: look at the flags again */
	}
}

int watch_main(const char *sock, double interval)
{
	struct watch_state s = {.sock = sock, .interval = interval};
	struct sigaction sa = {.sa_handler = watch_on_signal};
	json_t *prev, *cur;
	double t_prev, t_cur, next;
	char err[1024];

	s.tty = isatty(1);
	prev = watch_fetch(sock, err, sizeof(err));
	if (!prev) { /* the first sample must work: a typo'd socket fails */
		fprintf(stderr, "qcw-net stats: %s\n", err);
		return 1;
	}
	t_prev = watch_now();
	s.screen = malloc(WATCH_SCREEN_MAX);
	if (!s.screen) {
		json_decref(prev);
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: sleeps end at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	if (s.tty) {
		/* alternate screen, cursor hidden: the shell comes back as it was */
		watch_puts("\033[?1049h\033[?25l\033[2J");
		snprintf(s.note, sizeof(s.note), "(first rates in %g s)",
			 interval);
	} else {
		setvbuf(stdout, NULL, _IONBF, 0);
	}
	watch_draw(&s);
	next = t_prev + interval;
	while (watch_sleep_until(&s, next)) {
		next += interval;
		if (next < watch_now()) /* fell behind (suspended): catch up */
			next = watch_now() + interval;
		cur = watch_fetch(sock, err, sizeof(err));
		t_cur = watch_now();
		if (!cur) {
			/* the daemon went away or is busy: say so, keep trying */
			snprintf(s.note, sizeof(s.note), "%s", err);
			if (!s.tty)
				fprintf(stderr, "qcw-net stats: %s\n", err);
			else
				watch_draw(&s);
			continue;
		}
		s.note[0] = 0;
		s.have_view =
			watch_compute(prev, cur, t_cur - t_prev, &s.view) == 0;
		json_decref(prev);
		prev = cur;
		t_prev = t_cur;
		watch_draw(&s);
	}
	if (s.tty)
		watch_puts("\033[?25h\033[?1049l");
	json_decref(prev);
	free(s.screen);
	return 0;
}
