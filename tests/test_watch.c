/*
 * test_watch.c - cmocka unit tests of "stats --watch"'s arithmetic and
 * text (cmd/watch_view.h): rates per port and in all from two /stats
 * samples, NAT and DNS rates, drop counters found by their names anywhere
 * in the JSON (a counter the API adds later included), counter resets,
 * the one-line log format and the screen cut to the terminal's size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/watch_view.h"

/* two samples 2 s apart: port 1 gets 25 MB (100 Mbit/s) from the host */
static const char s0[] =
	"{\"BytesSent\":0,\"Switch\":{\"Ports\":["
	"{\"ID\":1,\"Kind\":\"qemu\",\"RxFrames\":100,\"RxBytes\":1000,"
	"\"RxDrops\":0,\"TxFrames\":200,\"TxBytes\":0,\"TxDrops\":4},"
	"{\"ID\":2,\"Kind\":\"vfkit\",\"RxFrames\":0,\"RxBytes\":0,"
	"\"RxDrops\":0,\"TxFrames\":0,\"TxBytes\":0,\"TxDrops\":0}],"
	"\"UnknownUnicast\":3,\"MacEvicted\":0},"
	"\"NAT\":{\"TCP\":{\"FlowsOpen\":1,\"FlowsTotal\":10,\"Refused\":2},"
	"\"UDP\":{\"FlowsOpen\":0,\"FlowsTotal\":0,\"Dropped\":0},"
	"\"ICMP\":{\"FlowsOpen\":0,\"FlowsTotal\":5},"
	"\"Limits\":{\"FdLimit\":1024,\"TCP\":900}},"
	"\"DNS\":{\"Queries\":7,\"LocalAnswers\":3,\"Forwarded\":4,"
	"\"ServFail\":0},"
	"\"New\":{\"WidgetsRefused\":1}}";
static const char s1[] =
	"{\"BytesSent\":25000000,\"Switch\":{\"Ports\":["
	"{\"ID\":2,\"Kind\":\"vfkit\",\"RxFrames\":0,\"RxBytes\":0,"
	"\"RxDrops\":0,\"TxFrames\":0,\"TxBytes\":0,\"TxDrops\":0},"
	"{\"ID\":1,\"Kind\":\"qemu\",\"RxFrames\":1100,\"RxBytes\":251000,"
	"\"RxDrops\":0,\"TxFrames\":17400,\"TxBytes\":25000000,"
	"\"TxDrops\":10},"
	"{\"ID\":3,\"Kind\":\"stdio\",\"RxFrames\":9,\"RxBytes\":999,"
	"\"RxDrops\":0,\"TxFrames\":0,\"TxBytes\":0,\"TxDrops\":0}],"
	"\"UnknownUnicast\":3,\"MacEvicted\":0},"
	"\"NAT\":{\"TCP\":{\"FlowsOpen\":3,\"FlowsTotal\":14,\"Refused\":8},"
	"\"UDP\":{\"FlowsOpen\":2,\"FlowsTotal\":2,\"Dropped\":0},"
	"\"ICMP\":{\"FlowsOpen\":0,\"FlowsTotal\":3},"
	"\"Limits\":{\"FdLimit\":1024,\"TCP\":900}},"
	"\"DNS\":{\"Queries\":27,\"LocalAnswers\":5,\"Forwarded\":22,"
	"\"ServFail\":2},"
	"\"New\":{\"WidgetsRefused\":1}}";

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	assert_non_null(j);
	return j;
}

static const struct watch_drop *find_drop(const struct watch_view *v,
					  const char *name)
{
	unsigned int i;

	for (i = 0; i < v->n_drops; i++)
		if (!strcmp(v->drops[i].name, name))
			return &v->drops[i];
	return NULL;
}

static void test_drop_names(void **state)
{
	(void)state;
	assert_true(watch_is_drop("Dropped"));
	assert_true(watch_is_drop("RxDrops"));
	assert_true(watch_is_drop("HostConnsRefused"));
	assert_true(watch_is_drop("MacEvicted"));
	assert_true(watch_is_drop("BlockedLinkLocal"));
	assert_true(watch_is_drop("PoolExhausted"));
	assert_true(watch_is_drop("UnknownUnicast"));
	assert_true(watch_is_drop("LimitHits"));
	assert_false(watch_is_drop("FdLimit"));
	assert_false(watch_is_drop("FlowsOpen"));
	assert_false(watch_is_drop("RxBytes"));
	assert_false(watch_is_drop("Queries"));
}

static void test_rates(void **state)
{
	json_t *a = load(s0), *b = load(s1);
	const struct watch_drop *d;
	struct watch_view v;

	(void)state;
	assert_int_equal(watch_compute(a, b, 2.0, &v), 0);
	assert_int_equal(v.n_ports, 3);
	/* matched by ID, whatever the order */
	assert_int_equal(v.ports[1].id, 1);
	assert_string_equal(v.ports[1].kind, "qemu");
	assert_float_equal(v.ports[1].out_mbps, 100.0, 1e-9);
	assert_float_equal(v.ports[1].in_mbps, 1.0, 1e-9);
	assert_float_equal(v.ports[1].in_fps, 500.0, 1e-9);
	assert_float_equal(v.ports[1].out_fps, 8600.0, 1e-9);
	assert_float_equal(v.ports[1].drops_ps, 3.0, 1e-9);
	/* a port new in this sample has no rate yet */
	assert_int_equal(v.ports[2].id, 3);
	assert_float_equal(v.ports[2].in_mbps, 0, 0);
	assert_float_equal(v.all.out_mbps, 100.0, 1e-9);

	assert_int_equal(v.nat[WATCH_TCP].open, 3);
	assert_float_equal(v.nat[WATCH_TCP].new_ps, 2.0, 1e-9);
	assert_int_equal(v.nat[WATCH_UDP].open, 2);
	assert_float_equal(v.nat[WATCH_UDP].new_ps, 1.0, 1e-9);
	/* a counter that went down (restart) is rate 0, not a huge number */
	assert_float_equal(v.nat[WATCH_ICMP].new_ps, 0, 0);
	assert_float_equal(v.dns_qps, 10.0, 1e-9);
	assert_float_equal(v.dns_local_ps, 1.0, 1e-9);
	assert_float_equal(v.dns_upstream_ps, 9.0, 1e-9);
	assert_float_equal(v.dns_failed_ps, 1.0, 1e-9);

	/* drops: found by name anywhere, busiest first, zero totals left out */
	assert_true(v.n_drops >= 3);
	assert_string_equal(v.drops[0].name, "Switch.Ports[1].TxDrops");
	assert_string_equal(v.drops[1].name, "NAT.TCP.Refused"); /* total 8 */
	assert_float_equal(v.drops[1].rate, 3.0, 1e-9);
	assert_int_equal(v.drops[1].total, 8);
	d = find_drop(&v, "Switch.Ports[1].TxDrops");
	assert_non_null(d);
	assert_float_equal(d->rate, 3.0, 1e-9);
	d = find_drop(&v, "Switch.UnknownUnicast");
	assert_non_null(d);
	assert_float_equal(d->rate, 0, 0);
	assert_int_equal(d->total, 3);
	assert_non_null(find_drop(&v, "New.WidgetsRefused"));
	assert_non_null(find_drop(&v, "DNS.ServFail"));
	assert_null(find_drop(&v, "NAT.UDP.Dropped")); /* total 0 */
	assert_null(find_drop(&v, "Switch.MacEvicted"));
	assert_null(find_drop(&v, "NAT.Limits.FdLimit"));
	/* 3 NAT refusals + 3 port drops + 1 ServFail per second */
	assert_float_equal(v.drops_ps, 7.0, 1e-9);
	assert_int_equal(v.drops_total, 8 + 10 + 3 + 1 + 2);

	/* no previous sample: totals, no rates */
	assert_int_equal(watch_compute(NULL, b, 2.0, &v), 0);
	assert_float_equal(v.all.out_mbps, 0, 0);
	assert_int_equal(v.nat[WATCH_TCP].open, 3);
	assert_float_equal(v.drops_ps, 0, 0);
	assert_int_equal(watch_compute(a, json_array_get(b, 0), 1, &v),
			 -EINVAL);
	json_decref(a);
	json_decref(b);
}

static void test_line(void **state)
{
	json_t *a = load(s0), *b = load(s1);
	struct watch_view v;
	char line[512], tiny[16];
	size_t n;

	(void)state;
	watch_compute(a, b, 2.0, &v);
	n = watch_format_line(&v, "2026-12-02T03:00:00Z", line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_int_equal(line[n - 1], '\n');
	assert_non_null(strchr(line, '\n') == line + n - 1 ? line : NULL);
	assert_non_null(strstr(line,
			       "2026-12-02T03:00:00Z in=1.00Mbit/s "
			       "out=100.00Mbit/s in_fps=500 "
			       "out_fps=8600 tcp=3 udp=2 icmp=0 "
			       "new_flows=3.0/s dns=10.0qps "
			       "drops=7.0/s (Switch.Ports[1].TxDrops=3.0,"
			       "NAT.TCP.Refused=3.0,DNS.ServFail=1.0)\n"));
	/* cut to the room, still one line */
	n = watch_format_line(&v, "x", tiny, sizeof(tiny));
	assert_int_equal(n, sizeof(tiny) - 1);
	assert_int_equal(tiny[n - 1], '\n');
	json_decref(a);
	json_decref(b);
}

static unsigned int count(const char *s, const char *what)
{
	unsigned int k = 0;

	while ((s = strstr(s, what))) {
		k++;
		s += strlen(what);
	}
	return k;
}

static void test_screen(void **state)
{
	json_t *a = load(s0), *b = load(s1);
	static char scr[16384];
	struct watch_view v;
	const char *p, *l;
	size_t n;

	(void)state;
	watch_compute(a, b, 2.0, &v);
	n = watch_format_screen(&v, "title", NULL, 100, 40, scr, sizeof(scr));
	assert_int_equal(n, strlen(scr));
	assert_memory_equal(scr, "\033[Htitle\033[K\n", 12);
	assert_string_equal(scr + n - 3, "\033[J");
	p = strstr(scr, "\n   1 qemu");
	assert_non_null(p);
	assert_non_null(
		strstr(p, "1.00      100.00        500       8600       3.0"));
	assert_non_null(strstr(scr, "\n     all"));
	assert_non_null(strstr(scr, "NAT.TCP.Refused"));
	assert_non_null(strstr(scr, "DNS    10.0 queries/s"));
	/* every line fits in 99 columns */
	for (l = scr; (p = strstr(l, "\033[K")); l = p + 4)
		assert_true(p - l <= 99 + 3);

	/* a small window: 10 rows (9 lines, the last row free), 30 columns */
	watch_format_screen(&v, "a long title that does not fit in the width",
			    NULL, 30, 10, scr, sizeof(scr));
	assert_int_equal(count(scr, "\n"), 9);
	for (l = scr + 3; (p = strstr(l, "\033[K")); l = p + 4)
		assert_true(p - l <= 29);

	/* before the second sample: the title and a note only */
	watch_format_screen(NULL, "t", "waiting", 80, 24, scr, sizeof(scr));
	assert_string_equal(scr, "\033[Ht\033[K\nwaiting\033[K\n\033[J");
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
