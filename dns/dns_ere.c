/*
 * dns_ere.c - POSIX extended regexps of DNS zone records, checked and
 * translated to PCRE2 (see dns_ere.h for the dialect and the rules).
 *
 * One pass over the pattern with an explicit stack of open groups;
 * output offsets of the last repeatable item let a second quantifier
 * wrap the first. The output is bounded (every input byte writes at most
 * 15 bytes), so a pattern of DNS_ERE_MAX bytes always fits DNS_ERE_OUT.
 */
#include "dns/dns_ere.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct ere {
	const unsigned char *p;
	size_t n, i;
	char *out;
	size_t len, cap;
	bool overflow;
	long item; /* output offset of the last repeatable item, or -1 */
	bool quantified; /* that item has a quantifier already */
	unsigned int stacked; /* quantifiers on that item so far */
	unsigned int depth, groups;
	size_t open_at[DNS_ERE_DEPTH]; /* output offsets of open groups */
	unsigned int open_num[DNS_ERE_DEPTH];
	/*
	 * groups 1-9 closed, as bits (back references); glibc forgets, at
	 * each '|', the groups the alternation's previous branches closed
	 * (init: what was closed where the alternation began; acc: what its
	 * branches closed), per level of nesting (0: the whole pattern)
	 */
	unsigned int closed;
	unsigned int init[DNS_ERE_DEPTH + 1], acc[DNS_ERE_DEPTH + 1];
	/*
	 * the size of glibc's parse tree, which copies an item for each
	 * repetition it must spell out (a+ is a a*, a{3} is a a a): of the
	 * branch so far and of the alternation's previous branches, per
	 * level, and of the last item; saturated above DNS_ERE_COST_MAX
	 */
	unsigned long seq[DNS_ERE_DEPTH + 1], alt[DNS_ERE_DEPTH + 1];
	unsigned long item_cost;
	char *err;
	size_t errlen;
};

static int ere_fail(struct ere *e, const char *msg)
{
	snprintf(e->err, e->errlen, "%s", msg);
	return -EINVAL;
}

static void ere_put(struct ere *e, const char *s, size_t n)
{
	if (e->len + n >= e->cap) {
		e->overflow = true;
		return;
	}
	memcpy(e->out + e->len, s, n);
	e->len += n;
}

static void ere_puts(struct ere *e, const char *s)
{
	ere_put(e, s, strlen(s));
}

static unsigned char ere_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static bool ere_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/* ere_byte() - one literal byte (already folded) as PCRE2 reads it */
static void ere_byte(struct ere *e, unsigned char c)
{
	char b[8];

	if (ere_alnum(c)) {
		ere_put(e, (const char *)&c, 1);
		return;
	}
	snprintf(b, sizeof(b), "\\x{%02x}", c);
	ere_puts(e, b);
}

static unsigned long ere_sat(unsigned long v)
{
	return v > DNS_ERE_COST_MAX ? DNS_ERE_COST_MAX + 1 : v;
}

/* ere_item_cost() - a repeatable item of @cost tree nodes */
static void ere_item_cost(struct ere *e, size_t at, unsigned long cost)
{
	e->item = (long)at;
	e->quantified = false;
	e->stacked = 0;
	e->item_cost = cost;
	e->seq[e->depth] = ere_sat(e->seq[e->depth] + cost);
}

/* ere_item() - a repeatable item (one node) starts at output offset @at */
static void ere_item(struct ere *e, size_t at)
{
	ere_item_cost(e, at, 1);
}

/* ere_repeat() - the last item spelt out @copies times (and one node) */
static void ere_repeat(struct ere *e, unsigned long copies)
{
	unsigned long c = ere_sat(e->item_cost * (copies ? copies : 1) + 1);

	e->seq[e->depth] = ere_sat(e->seq[e->depth] - e->item_cost + c);
	e->item_cost = c;
}

/* ere_anchor() - what follows may not be a quantifier */
static void ere_anchor(struct ere *e, const char *s)
{
	ere_puts(e, s);
	e->item = -1;
}

/* ere_quantify() - @q after the last item; a second one wraps the first */
static int ere_quantify(struct ere *e, const char *q)
{
	size_t at;

	if (e->item < 0)
		return ere_fail(e, "a repetition operator has nothing to "
				   "repeat");
	/*
	 * glibc's compiler is exponential in stacked quantifiers (".?????+"
	 * kept regcomp() busy for minutes, fuzz-ere); Go's regexp, gvproxy's,
	 * refuses nested repetition too. One quantifier and one more (as in
	 * "+?") are kept.
	 */
	if (++e->stacked > DNS_ERE_STACKED)
		return ere_fail(e, "more than two repetition operators in a "
				   "row");
	at = (size_t)e->item;
	if (e->quantified) {
		if (e->len + 4 >= e->cap) {
			e->overflow = true;
			return 0;
		}
		memmove(e->out + at + 3, e->out + at, e->len - at);
		memcpy(e->out + at, "(?:", 3);
		e->len += 3;
		ere_put(e, ")", 1);
	}
	ere_puts(e, q);
	e->quantified = true;
	return 0;
}

/* ere_number() - decimal digits at e->i, or -1 without any */
static long ere_number(struct ere *e)
{
	long v = -1;

	while (e->i < e->n && e->p[e->i] >= '0' && e->p[e->i] <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (e->p[e->i] - '0');
		if (v > 100000)
			v = 100000;
		e->i++;
	}
	return v;
}

/* ere_interval() - "{...}" at e->i (on the '{') */
static int ere_interval(struct ere *e)
{
	long lo, hi;
	char q[32];

	if (e->item < 0)
		return ere_fail(e, "a repetition operator has nothing to "
				   "repeat");
	e->i++;
	lo = ere_number(e);
	hi = lo;
	if (e->i < e->n && e->p[e->i] == ',') {
		e->i++;
		hi = ere_number(e);
		if (lo < 0)
			lo = 0;
	} else if (lo < 0) {
		return ere_fail(e, "invalid interval {...}");
	}
	if (e->i >= e->n || e->p[e->i] != '}')
		return ere_fail(e, "unmatched {");
	e->i++;
	if (lo > DNS_ERE_DUP_MAX || hi > DNS_ERE_DUP_MAX)
		return ere_fail(e, "an interval bound is above 255");
	if (hi >= 0 && hi < lo)
		return ere_fail(e, "invalid interval {...}: max below min");
	if (hi < 0)
		snprintf(q, sizeof(q), "{%ld,}", lo);
	else if (hi == lo)
		snprintf(q, sizeof(q), "{%ld}", lo);
	else
		snprintf(q, sizeof(q), "{%ld,%ld}", lo, hi);
	if (ere_quantify(e, q))
		return -EINVAL;
	ere_repeat(e, (unsigned long)(hi < 0 ? lo + 1 : hi));
	return 0;
}

static const char *const ere_classes[] = {
	"alpha", "upper", "lower", "digit", "xdigit", "space",
	"print", "punct", "graph", "cntrl", "blank",  "alnum",
};

/*
 * ere_bracket_elem() - one element of a bracket expression at e->i: a
 * byte (folded) in *c, or a class name (*cls, its length *clen).
 * Return: 0, or -EINVAL.
 */
static int ere_bracket_elem(struct ere *e, int *c, const char **cls,
			    size_t *clen, bool *equiv)
{
	const unsigned char *p = e->p;
	unsigned char d;
	size_t k;

	*cls = NULL;
	*equiv = false;
	if (p[e->i] == '[' && e->i + 1 < e->n &&
	    (p[e->i + 1] == ':' || p[e->i + 1] == '.' || p[e->i + 1] == '=')) {
		d = p[e->i + 1];
		for (k = e->i + 2; k + 1 < e->n; k++)
			if (p[k] == d && p[k + 1] == ']')
				break;
		if (k + 1 >= e->n)
			return ere_fail(e, "unmatched [");
		if (d == ':') {
			*cls = (const char *)p + e->i + 2;
			*clen = k - (e->i + 2);
		} else {
			if (k - (e->i + 2) != 1)
				return ere_fail(e, "invalid collating element "
						   "(one character only)");
			*c = ere_upper(p[e->i + 2]);
			*equiv = d == '=';
		}
		e->i = k + 2;
		return 0;
	}
	*c = ere_upper(p[e->i]);
	e->i++;
	return 0;
}

/* ere_class() - [:name:] into the output, or -EINVAL for an unknown one */
static int ere_class(struct ere *e, const char *name, size_t len)
{
	size_t k;

	for (k = 0; k < sizeof(ere_classes) / sizeof(ere_classes[0]); k++) {
		if (strlen(ere_classes[k]) != len ||
		    memcmp(ere_classes[k], name, len))
			continue;
		/* under REG_ICASE glibc reads upper and lower as alpha */
		if (k == 1 || k == 2)
			k = 0;
		ere_puts(e, "[:");
		ere_puts(e, ere_classes[k]);
		ere_puts(e, ":]");
		return 0;
	}
	return ere_fail(e, "invalid character class");
}

/* ere_bracket() - "[...]" at e->i (on the '[') */
static int ere_bracket(struct ere *e)
{
	const unsigned char *p = e->p;
	bool first = true, equiv, equiv2;
	const char *cls, *cls2;
	size_t clen, clen2;
	int c, c2, r;

	ere_item(e, e->len);
	e->i++;
	ere_put(e, "[", 1);
	if (e->i < e->n && p[e->i] == '^') {
		ere_put(e, "^", 1);
		e->i++;
	}
	for (;;) {
		if (e->i >= e->n)
			return ere_fail(e, "unmatched [");
		if (p[e->i] == ']' && !first)
			break;
		/* '-' inside (not first, not last) only as a range's end */
		if (p[e->i] == '-' && !first && e->i + 1 < e->n &&
		    p[e->i + 1] != ']')
			return ere_fail(e, "invalid range end");
		first = false;
		r = ere_bracket_elem(e, &c, &cls, &clen, &equiv);
		if (r)
			return r;
		if (e->i + 1 < e->n && p[e->i] == '-' && p[e->i + 1] != ']') {
			e->i++;
			if (cls || equiv)
				return ere_fail(e, "invalid range start");
			r = ere_bracket_elem(e, &c2, &cls2, &clen2, &equiv2);
			if (r)
				return r;
			if (cls2 || equiv2 || c2 < c)
				return ere_fail(e, "invalid range end");
			ere_byte(e, (unsigned char)c);
			ere_put(e, "-", 1);
			ere_byte(e, (unsigned char)c2);
			continue;
		}
		if (cls) {
			r = ere_class(e, cls, clen);
			if (r)
				return r;
		} else {
			ere_byte(e, (unsigned char)c);
		}
	}
	e->i++;
	ere_put(e, "]", 1);
	return 0;
}

/* ere_escape() - "\c" at e->i (on the backslash) */
static int ere_escape(struct ere *e)
{
	unsigned char d;
	char b[16];

	if (e->i + 1 >= e->n)
		return ere_fail(e, "trailing backslash");
	d = e->p[e->i + 1];
	e->i += 2;
	switch (d) {
	case 'w':
	case 'W':
	case 's':
	case 'S':
		ere_item(e, e->len);
		b[0] = '\\';
		b[1] = (char)d;
		ere_put(e, b, 2);
		return 0;
	case 'b':
		ere_anchor(e, "\\b");
		return 0;
	case 'B':
		ere_anchor(e, "\\B");
		return 0;
	case '<':
		ere_anchor(e, "\\b(?=\\w)");
		return 0;
	case '>':
		ere_anchor(e, "\\b(?<=\\w)");
		return 0;
	case '`':
		ere_anchor(e, "\\A");
		return 0;
	case '\'':
		ere_anchor(e, "\\z");
		return 0;
	}
	if (d >= '1' && d <= '9') {
		if (!(e->closed & (1u << (d - '0'))))
			return ere_fail(e, "invalid back reference");
		ere_item(e, e->len);
		snprintf(b, sizeof(b), "\\g{%c}", d);
		ere_puts(e, b);
		return 0;
	}
	ere_item(e, e->len);
	/*
	 * glibc: any other escaped byte is that byte, taken as written while
	 * REG_ICASE folds the name to upper case: an escaped lower-case
	 * letter (\d, \n) never matches. A class of no byte says so.
	 */
	if (d >= 'a' && d <= 'z')
		ere_puts(e, "[^\\x{00}-\\x{ff}]");
	else
		ere_byte(e, d);
	return 0;
}

static int ere_step(struct ere *e)
{
	unsigned char c = e->p[e->i];
	unsigned long cost;

	switch (c) {
	case '\\':
		return ere_escape(e);
	case '[':
		return ere_bracket(e);
	case '{':
		return ere_interval(e);
	case '*':
	case '+':
	case '?':
		e->i++;
		if (ere_quantify(e, c == '*' ? "*" : c == '+' ? "+" : "?"))
			return -EINVAL;
		ere_repeat(e, c == '+' ? 2 : 1);
		return 0;
	case '(':
		if (e->depth == DNS_ERE_DEPTH)
			return ere_fail(e, "groups nested too deep");
		e->open_at[e->depth] = e->len;
		e->open_num[e->depth++] = ++e->groups;
		e->init[e->depth] = e->closed;
		e->acc[e->depth] = 0;
		e->seq[e->depth] = 0;
		e->alt[e->depth] = 0;
		ere_put(e, "(", 1);
		e->item = -1;
		e->i++;
		return 0;
	case ')':
		e->i++;
		if (e->depth == 0) {
			/* glibc: an unmatched ')' is an ordinary character */
			ere_item(e, e->len);
			ere_byte(e, c);
			return 0;
		}
		e->closed |= e->acc[e->depth];
		cost = ere_sat(e->alt[e->depth] + e->seq[e->depth] + 1);
		e->depth--;
		ere_put(e, ")", 1);
		if (e->open_num[e->depth] < 10)
			e->closed |= 1u << e->open_num[e->depth];
		ere_item_cost(e, e->open_at[e->depth], cost);
		return 0;
	case '|':
		e->acc[e->depth] |= e->closed;
		e->closed = e->init[e->depth];
		e->alt[e->depth] = ere_sat(e->alt[e->depth] + e->seq[e->depth]);
		e->seq[e->depth] = 0;
		e->i++;
		ere_put(e, "|", 1);
		e->item = -1;
		return 0;
	case '^':
		e->i++;
		ere_anchor(e, "^");
		return 0;
	case '$':
		e->i++;
		ere_anchor(e, "$");
		return 0;
	case '.':
		e->i++;
		ere_item(e, e->len);
		ere_put(e, ".", 1);
		return 0;
	default:
		e->i++;
		ere_item(e, e->len);
		ere_byte(e, ere_upper(c));
		return 0;
	}
}

int dns_ere_translate(const char *ere, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	struct ere e;
	int r;

	memset(&e, 0, sizeof(e));
	e.p = (const unsigned char *)ere;
	e.n = strlen(ere);
	e.out = out;
	e.cap = outlen;
	e.item = -1;
	e.err = err;
	e.errlen = errlen;
	if (outlen == 0)
		return -ENOSPC;
	out[0] = 0;
	if (e.n > DNS_ERE_MAX)
		return ere_fail(&e, "longer than 1024 bytes");
	while (e.i < e.n) {
		r = ere_step(&e);
		if (r)
			return r;
		if (e.seq[e.depth] + e.alt[e.depth] > DNS_ERE_COST_MAX)
			return ere_fail(&e, "too complex: it would expand to "
					    "more than 10000 repeated items");
	}
	if (e.depth)
		return ere_fail(&e, "unmatched (");
	if (e.overflow) {
		snprintf(err, errlen, "translation too long");
		return -ENOSPC;
	}
	out[e.len] = 0;
	return 0;
}
