/*
 * flags.h - command-line parsing with the syntax of Go's flag package,
 * which gvproxy uses and machine managers rely on: -name value,
 * -name=value, --name, --name=value; bools take no value unless written
 * -name=true|false; parsing stops at the first non-flag or "--".
 */
#ifndef QCW_FLAGS_H
#define QCW_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

enum flag_type {
	FLAG_BOOL,
	FLAG_STRING,
	FLAG_INT,
	FLAG_LIST, /* repeatable string */
	/*
	 * A bool that may carry a value: -name (or a Go bool word) stores
	 * "true", -name=VALUE stores VALUE as it is; like a bool it never
	 * takes the next argument. gvproxy's -debug, qcw-net's -debug=dns,nat.
	 */
	FLAG_OPTVAL,
};

struct flag_list {
	unsigned int n;
	const char **v;
};

struct flag {
	const char *name;
	enum flag_type type;
	void *ptr; /* bool *, const char ** (STRING, OPTVAL), long *,
		      struct flag_list * */
	const char *usage;
	bool set; /* seen on the command line */
};

/*
 * flags_parse() - parse argv[1..] against @flags. Return the index of the
 * first non-flag argument, or -1 with a message in @err (Go's wording:
 * "flag provided but not defined: -x"), or -2 when -h/-help was asked.
 */
int flags_parse(struct flag *flags, size_t n, int argc, char **argv, char *err,
		size_t errlen);

/* flags_usage() - print every flag with its usage line to stderr. */
void flags_usage(const char *prog, const struct flag *flags, size_t n);

/* flags_find() - the flag named @name, or NULL. */
struct flag *flags_find(struct flag *flags, size_t n, const char *name);

void flags_free(struct flag *flags, size_t n);

#endif
