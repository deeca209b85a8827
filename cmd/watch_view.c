/*
 * watch_view.c - rates between two /stats samples and their text (see
 * watch_view.h). Runs once per interval in the client, never in the
 * daemon, so plain linear searches over a few hundred counters are fine.
 */
#include "cmd/watch_view.h"
#include "util/fmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_MAX_LEAVES 256

/* a drop counter found in one sample */
struct watch_leaf {
	char name[WATCH_NAME_MAX];
	uint64_t val;
};

struct watch_leaves {
	unsigned int n;
	struct watch_leaf v[WATCH_MAX_LEAVES];
};

bool watch_is_drop(const char *leaf)
{
	/* words in the API's counter names that mean "lost or turned away" */
	static const char *const words[] = {
		"Drop",	     "Dump",	  "Refused", "Evicted",	  "Blocked",
		"Exhausted", "Malformed", "Bad",     "LimitHits", "Timeout",
		"Unknown",   "ServFail",  "FormErr", "Ignored",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(leaf, words[i]))
			return true;
	return false;
}

static uint64_t watch_num(const json_t *j)
{
	if (json_is_integer(j))
		return json_integer_value(j) < 0
			       ? 0
			       : (uint64_t)json_integer_value(j);
	if (json_is_real(j) && json_real_value(j) > 0)
		return (uint64_t)json_real_value(j);
	return 0;
}

/* watch_u64() - @o's member @k as a counter, 0 when absent */
static uint64_t watch_u64(const json_t *o, const char *k)
{
	return watch_num(json_object_get(o, k));
}

/* watch_rate() - per second from two readings; a reset counts as 0 */
static double watch_rate(uint64_t before, uint64_t now, double dt)
{
	if (dt <= 0 || now < before)
		return 0;
	return (double)(now - before) / dt;
}

/*
 * watch_collect() - every drop counter under @j into @out, named by its
 * path: members joined with '.', array elements as [ID] when they have
 * an "ID" (switch ports), else [index].
 */
static void watch_collect(const json_t *j, const char *path,
			  struct watch_leaves *out)
{
	char sub[WATCH_NAME_MAX];
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, val)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", path,
				 path[0] ? "." : "", key);
			if (json_is_object(val) || json_is_array(val)) {
				watch_collect(val, sub, out);
			} else if (json_is_number(val) && watch_is_drop(key) &&
				   out->n < WATCH_MAX_LEAVES) {
				snprintf(out->v[out->n].name, WATCH_NAME_MAX,
					 "%s", sub);
				out->v[out->n++].val = watch_num(val);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, val)
		{
			json_t *id = json_object_get(val, "ID");

			if (json_is_integer(id))
				snprintf(sub, sizeof(sub), "%s[%lld]", path,
					 (long long)json_integer_value(id));
			else
				snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			watch_collect(val, sub, out);
		}
	}
}

static int watch_drop_cmp(const void *a, const void *b)
{
	const struct watch_drop *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void watch_drops(const json_t *prev, const json_t *cur, double dt,
			struct watch_view *v)
{
	struct watch_leaves *a = calloc(2, sizeof(*a)), *b;
	unsigned int i, k;

	if (!a)
		return;
	b = a + 1;
	watch_collect(cur, "", a);
	if (prev)
		watch_collect(prev, "", b);
	for (i = 0; i < a->n; i++) {
		double r = 0;

		for (k = 0; k < b->n; k++)
			if (!strcmp(a->v[i].name, b->v[k].name)) {
				r = watch_rate(b->v[k].val, a->v[i].val, dt);
				break;
			}
		v->drops_ps += r;
		v->drops_total += a->v[i].val;
		if (!a->v[i].val || v->n_drops >= WATCH_MAX_DROPS)
			continue;
		snprintf(v->drops[v->n_drops].name, WATCH_NAME_MAX, "%s",
			 a->v[i].name);
		v->drops[v->n_drops].rate = r;
		v->drops[v->n_drops++].total = a->v[i].val;
	}
	qsort(v->drops, v->n_drops, sizeof(v->drops[0]), watch_drop_cmp);
	free(a);
}

static const json_t *watch_port_by_id(const json_t *ports, json_int_t id)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p)
	{
		json_t *pid = json_object_get(p, "ID");

		if (json_is_integer(pid) && json_integer_value(pid) == id)
			return p;
	}
	return NULL;
}

static void watch_ports(const json_t *prev, const json_t *cur, double dt,
			struct watch_view *v)
{
	const json_t *cp =
		json_object_get(json_object_get(cur, "Switch"), "Ports");
	const json_t *pp =
		json_object_get(json_object_get(prev, "Switch"), "Ports");
	json_t *p;
	size_t i;

	json_array_foreach(cp, i, p)
	{
		const json_t *q;
		struct watch_port *w;
		const char *kind;

		if (!json_is_object(p) || v->n_ports >= WATCH_MAX_PORTS)
			continue;
		w = &v->ports[v->n_ports++];
		w->id = (long long)json_integer_value(json_object_get(p, "ID"));
		kind = json_string_value(json_object_get(p, "Kind"));
		snprintf(w->kind, sizeof(w->kind), "%s", kind ? kind : "?");
		q = json_is_array(pp) ? watch_port_by_id(pp, (json_int_t)w->id)
				      : NULL;
		if (!q)
			continue; /* new port: no rate until its next sample */
#define R(k) watch_rate(watch_u64(q, k), watch_u64(p, k), dt)
		w->in_mbps = R("RxBytes") * 8 / 1e6;
		w->out_mbps = R("TxBytes") * 8 / 1e6;
		w->in_fps = R("RxFrames");
		w->out_fps = R("TxFrames");
		w->drops_ps = R("RxDrops") + R("TxDrops");
#undef R
		v->all.in_mbps += w->in_mbps;
		v->all.out_mbps += w->out_mbps;
		v->all.in_fps += w->in_fps;
		v->all.out_fps += w->out_fps;
		v->all.drops_ps += w->drops_ps;
	}
}

int watch_compute(const json_t *prev, const json_t *cur, double dt,
		  struct watch_view *v)
{
	static const char *const protos[WATCH_N_PROTO] = {"TCP", "UDP", "ICMP"};
	const json_t *cn, *pn, *cd, *pd;
	int i;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(cur))
		return -EINVAL;
	if (!json_is_object(prev))
		prev = NULL;
	v->dt = dt;
	snprintf(v->all.kind, sizeof(v->all.kind), "all");
	v->all.id = -1;
	watch_ports(prev, cur, dt, v);
	cn = json_object_get(cur, "NAT");
	pn = json_object_get(prev, "NAT");
	for (i = 0; i < WATCH_N_PROTO; i++) {
		const json_t *c = json_object_get(cn, protos[i]);
		const json_t *p = json_object_get(pn, protos[i]);

		v->nat[i].open = watch_u64(c, "FlowsOpen");
		if (p)
			v->nat[i].new_ps =
				watch_rate(watch_u64(p, "FlowsTotal"),
					   watch_u64(c, "FlowsTotal"), dt);
	}
	cd = json_object_get(cur, "DNS");
	pd = json_object_get(prev, "DNS");
	if (pd) {
#define R(k) watch_rate(watch_u64(pd, k), watch_u64(cd, k), dt)
		v->dns_qps = R("Queries");
		v->dns_local_ps = R("LocalAnswers");
		v->dns_upstream_ps = R("Forwarded");
		v->dns_failed_ps = R("ServFail");
#undef R
	}
	watch_drops(prev, cur, dt, v);
	return 0;
}

/* a bounded string builder: appends are cut at the end, never overrun */
struct watch_buf {
	char *s;
	size_t cap, len;
};

QCW_PRINTF(2, 3)
static void watch_add(struct watch_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= b->cap)
		b->len = b->cap - 1;
}

size_t watch_format_line(const struct watch_view *v, const char *stamp,
			 char *out, size_t cap)
{
	struct watch_buf b = {out, cap, 0};
	unsigned int i;

	if (!cap)
		return 0;
	out[0] = 0;
	watch_add(&b,
		  "%s in=%.2fMbit/s out=%.2fMbit/s in_fps=%.0f out_fps=%.0f "
		  "tcp=%llu udp=%llu icmp=%llu new_flows=%.1f/s dns=%.1fqps "
		  "drops=%.1f/s",
		  stamp, v->all.in_mbps, v->all.out_mbps, v->all.in_fps,
		  v->all.out_fps, (unsigned long long)v->nat[WATCH_TCP].open,
		  (unsigned long long)v->nat[WATCH_UDP].open,
		  (unsigned long long)v->nat[WATCH_ICMP].open,
		  v->nat[WATCH_TCP].new_ps + v->nat[WATCH_UDP].new_ps +
			  v->nat[WATCH_ICMP].new_ps,
		  v->dns_qps, v->drops_ps);
	for (i = 0; i < v->n_drops && i < 3 && v->drops[i].rate > 0; i++)
		watch_add(&b, "%s%s=%.1f", i ? "," : " (", v->drops[i].name,
			  v->drops[i].rate);
	if (i)
		watch_add(&b, ")");
	/* the newline survives a cut */
	if (b.len + 1 >= cap)
		b.len = cap - 2;
	out[b.len++] = '\n';
	out[b.len] = 0;
	return b.len;
}

/* one screen line: cut to the width, erase the rest of the row */
struct watch_screen {
	struct watch_buf b;
	int cols, rows, row;
};

QCW_PRINTF(2, 3)
static void watch_line(struct watch_screen *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (w->row >= w->rows - 1) /* the last row stays free: no scrolling */
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > w->cols - 1)
		n = w->cols - 1;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	watch_add(&w->b, "%.*s\033[K\n", n, line);
	w->row++;
}

static void watch_port_line(struct watch_screen *w, const struct watch_port *p,
			    bool all)
{
	char id[24];

	if (all)
		snprintf(id, sizeof(id), "%s", "");
	else
		snprintf(id, sizeof(id), "%lld", p->id);
	watch_line(w, "%4s %-8.8s %11.2f %11.2f %10.0f %10.0f %9.1f", id,
		   p->kind, p->in_mbps, p->out_mbps, p->in_fps, p->out_fps,
		   p->drops_ps);
}

size_t watch_format_screen(const struct watch_view *v, const char *title,
			   const char *note, int cols, int rows, char *out,
			   size_t cap)
{
	static const char *const pn[WATCH_N_PROTO] = {"TCP", "UDP", "ICMP"};
	struct watch_screen w = {{out, cap, 0}, cols, rows, 0};
	unsigned int i;

	if (!cap)
		return 0;
	out[0] = 0;
	if (w.cols < 20)
		w.cols = 20;
	if (w.rows < 2)
		w.rows = 2;
	watch_add(&w.b, "\033[H");
	watch_line(&w, "%s", title);
	if (note)
		watch_line(&w, "%s", note);
	if (!v)
		goto done;
	watch_line(&w, "%s", "");
	watch_line(&w, "PORT %-8s %11s %11s %10s %10s %9s", "KIND", "IN Mbit/s",
		   "OUT Mbit/s", "IN fr/s", "OUT fr/s", "DROPS/s");
	for (i = 0; i < v->n_ports; i++)
		watch_port_line(&w, &v->ports[i], false);
	if (v->n_ports > 1)
		watch_port_line(&w, &v->all, true);
	if (!v->n_ports)
		watch_line(&w, "     (no VM connected)");
	watch_line(&w, "(in: sent by the VM, out: sent to the VM)");
	watch_line(&w, "%s", "");
	watch_line(&w, "NAT    %8s %8s", "OPEN", "NEW/s");
	for (i = 0; i < WATCH_N_PROTO; i++)
		watch_line(&w, "  %-4s %8llu %8.1f", pn[i],
			   (unsigned long long)v->nat[i].open,
			   v->nat[i].new_ps);
	watch_line(&w, "%s", "");
	watch_line(&w,
		   "DNS    %.1f queries/s  (local %.1f, upstream %.1f, "
		   "failed %.1f)",
		   v->dns_qps, v->dns_local_ps, v->dns_upstream_ps,
		   v->dns_failed_ps);
	watch_line(&w, "%s", "");
	watch_line(&w, "DROPS  %.1f/s  (%llu since start)", v->drops_ps,
		   (unsigned long long)v->drops_total);
	for (i = 0; i < v->n_drops; i++)
		watch_line(&w, "  %-40s %9.1f/s %12llu", v->drops[i].name,
			   v->drops[i].rate,
			   (unsigned long long)v->drops[i].total);
done:
	watch_add(&w.b, "\033[J");
	return w.b.len;
}
