/*
 * flags.c - Go flag-package compatible parsing (see flags.h).
 */
#include "cmd/flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flag *flags_find(struct flag *flags, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(flags[i].name, name))
			return &flags[i];
	return NULL;
}

static int flags_set(struct flag *f, const char *val, char *err, size_t errlen)
{
	char *end;
	long v;

	switch (f->type) {
	case FLAG_BOOL:
		if (!val || !strcmp(val, "true") || !strcmp(val, "1") ||
		    !strcmp(val, "t") || !strcmp(val, "T") ||
		    !strcmp(val, "TRUE") || !strcmp(val, "True")) {
			*(bool *)f->ptr = true;
		} else if (!strcmp(val, "false") || !strcmp(val, "0") ||
			   !strcmp(val, "f") || !strcmp(val, "F") ||
			   !strcmp(val, "FALSE") || !strcmp(val, "False")) {
			*(bool *)f->ptr = false;
		} else {
			snprintf(err, errlen,
				 "invalid boolean value \"%s\" for -%s: parse "
				 "error",
				 val, f->name);
			return -EINVAL;
		}
		break;
	case FLAG_STRING:
		*(const char **)f->ptr = val;
		break;
	case FLAG_OPTVAL:
		*(const char **)f->ptr = val ? val : "true";
		break;
	case FLAG_INT:
		errno = 0;
		v = strtol(val, &end, 0);
		if (errno || !*val || *end) {
			snprintf(err, errlen,
				 "invalid value \"%s\" for flag -%s: parse "
				 "error",
				 val, f->name);
			return -EINVAL;
		}
		*(long *)f->ptr = v;
		break;
	case FLAG_LIST: {
		struct flag_list *l = f->ptr;
		const char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		nv[l->n++] = val;
		l->v = nv;
		break;
	}
	}
	f->set = true;
	return 0;
}

int flags_parse(struct flag *flags, size_t n, int argc, char **argv, char *err,
		size_t errlen)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		char buf[128];
		struct flag *f;
		size_t len;

		if (a[0] != '-' || a[1] == 0)
			return i;
		name = a + 1;
		if (name[0] == '-') {
			name++;
			if (name[0] == 0)
				return i + 1; /* "--" ends the flags */
		}
		if (name[0] == '-' || name[0] == '=') {
			snprintf(err, errlen, "bad flag syntax: %s", a);
			return -1;
		}
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (len >= sizeof(buf)) {
			snprintf(err, errlen,
				 "flag provided but not defined: -%s", name);
			return -1;
		}
		memcpy(buf, name, len);
		buf[len] = 0;
		f = flags_find(flags, n, buf);
		if (!f) {
			if (!strcmp(buf, "h") || !strcmp(buf, "help"))
				return -2;
			snprintf(err, errlen,
				 "flag provided but not defined: -%s", buf);
			return -1;
		}
		if (eq) {
			if (flags_set(f, eq + 1, err, errlen))
				return -1;
		} else if (f->type == FLAG_BOOL || f->type == FLAG_OPTVAL) {
			flags_set(f, NULL, err, errlen);
		} else {
			if (i + 1 >= argc) {
				snprintf(err, errlen,
					 "flag needs an argument: -%s", buf);
				return -1;
			}
			if (flags_set(f, argv[++i], err, errlen))
				return -1;
		}
	}
	return argc;
}

void flags_usage(const char *prog, const struct flag *flags, size_t n)
{
	size_t i;

	fprintf(stderr, "Usage of %s:\n", prog);
	for (i = 0; i < n; i++) {
		const char *arg = flags[i].type == FLAG_BOOL	 ? ""
				  : flags[i].type == FLAG_OPTVAL ? ""
				  : flags[i].type == FLAG_INT	 ? " int"
								 : " string";

		fprintf(stderr, "  -%s%s\n    \t%s\n", flags[i].name, arg,
			flags[i].usage);
	}
}

void flags_free(struct flag *flags, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (flags[i].type == FLAG_LIST) {
			struct flag_list *l = flags[i].ptr;

			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}
