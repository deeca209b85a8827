/*
 * client.c - the CLI subcommands (see client.h). Each one is a single
 * HTTP/1.1 request over a plain blocking socket; the response is parsed
 * with http-parser and its JSON with jansson.
 *
 * Which socket: --socket URL (unix:///path or tcp://host:port), else the
 * environment variable QCW_NET_API, else
 * unix://$XDG_RUNTIME_DIR/qcw-net/api.sock, else
 * unix:///tmp/qcw-net/api.sock. The daemon serves nothing by default
 * (gvproxy compatibility): start it with -listen (or -services) on that
 * URL, e.g. qcw-net -listen unix://$XDG_RUNTIME_DIR/qcw-net/api.sock.
 */
#include "cmd/client.h"
#include "cmd/client_http.h"
#include "cmd/watch.h"

#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http_server.h"
#include "net/netcfg.h"
#include "util/url.h"

#define CLIENT_MAX_RECORDS 64

enum client_cmd {
	CMD_EXPOSE,
	CMD_UNEXPOSE,
	CMD_LIST,
	CMD_LEASES,
	CMD_STATS,
	CMD_DNS_ADD,
	CMD_DNS_LIST,
};

/* Options; each command accepts the ones in its mask. */
enum client_opt {
	OPT_SOCKET = 1 << 0,
	OPT_LOCAL = 1 << 1,
	OPT_REMOTE = 1 << 2,
	OPT_PROTOCOL = 1 << 3,
	OPT_JSON = 1 << 4,
	OPT_ZONE = 1 << 5,
	OPT_RECORD = 1 << 6,
	OPT_REGEXP = 1 << 7,
	OPT_DEFAULT_IP = 1 << 8,
	OPT_HELP = 1 << 9,
	OPT_WATCH = 1 << 10,
	OPT_INTERVAL = 1 << 11,
};

static const struct {
	const char *name;
	enum client_opt opt;
	bool has_value;
} client_opts[] = {
	{"socket", OPT_SOCKET, true},
	{"local", OPT_LOCAL, true},
	{"remote", OPT_REMOTE, true},
	{"protocol", OPT_PROTOCOL, true},
	{"json", OPT_JSON, false},
	{"zone", OPT_ZONE, true},
	{"record", OPT_RECORD, true},
	{"regexp-record", OPT_REGEXP, true},
	{"default-ip", OPT_DEFAULT_IP, true},
	{"watch", OPT_WATCH, false},
	{"interval", OPT_INTERVAL, true},
	{"help", OPT_HELP, false},
	{"h", OPT_HELP, false},
};

static const struct {
	const char *name;
	enum client_cmd cmd;
	unsigned int opts;
	const char *usage;
} client_cmds[] = {
	{"expose", CMD_EXPOSE, OPT_LOCAL | OPT_REMOTE | OPT_PROTOCOL,
	 "expose --local ADDR --remote ADDR [--protocol tcp|udp|unix|npipe]\n"
	 "      Forward a host address into the guest. tcp/udp: --local\n"
	 "      127.0.0.1:8080 (or :8080 for all interfaces) and --remote\n"
	 "      192.168.127.2:80; unix: --local /path/to.sock and --remote\n"
	 "      tcp://192.168.127.2:80; npipe (Windows): --local\n"
	 "      npipe:////./pipe/NAME and --remote tcp://192.168.127.2:80.\n"},
	{"unexpose", CMD_UNEXPOSE, OPT_LOCAL | OPT_PROTOCOL,
	 "unexpose --local ADDR [--protocol tcp|udp|unix|npipe]\n"
	 "      Remove a forward.\n"},
	{"list", CMD_LIST, OPT_JSON,
	 "list [--json]\n"
	 "      List the forwards (LOCAL REMOTE PROTOCOL).\n"},
	{"leases", CMD_LEASES, OPT_JSON,
	 "leases [--json]\n"
	 "      List the DHCP leases (IP and MAC).\n"},
	{"stats", CMD_STATS, OPT_JSON | OPT_WATCH | OPT_INTERVAL,
	 "stats [--json | --watch [--interval N]]\n"
	 "      Print the counters (switch, stack, NAT, DHCP, DNS, "
	 "forwarder).\n"
	 "      --watch: their rates every N seconds (default 1): Mbit/s "
	 "and\n"
	 "      frames/s per port, NAT flows, DNS queries/s, drops/s by "
	 "reason;\n"
	 "      a live screen on a terminal, else one line per interval. "
	 "Ctrl-C\n"
	 "      ends it.\n"},
	{"dns add", CMD_DNS_ADD,
	 OPT_ZONE | OPT_RECORD | OPT_REGEXP | OPT_DEFAULT_IP,
	 "dns add --zone NAME [--record name=IP ...] [--regexp-record "
	 "'REGEX=IP' ...]\n"
	 "          [--default-ip IP]\n"
	 "      Add (or merge into) a local DNS zone, e.g. --zone "
	 "example.internal\n"
	 "      --record db=192.168.127.2.\n"},
	{"dns list", CMD_DNS_LIST, OPT_JSON,
	 "dns list [--json]\n"
	 "      Print the local DNS zones.\n"},
};

#define N_CMDS (sizeof(client_cmds) / sizeof(client_cmds[0]))

struct client_args {
	const char *socket;
	const char *local, *remote, *protocol, *zone, *default_ip;
	const char *interval;
	const char *records[CLIENT_MAX_RECORDS];
	unsigned int n_records;
	const char *regexps[CLIENT_MAX_RECORDS];
	unsigned int n_regexps;
	bool json, help, watch;
};

/**
 * client_default_socket() - the API socket used without --socket.
 * @buf: receives the URL
 * @len: room in @buf
 *
 * Return: @buf: $QCW_NET_API if set, else
 * unix://$XDG_RUNTIME_DIR/qcw-net/api.sock, else unix:///tmp/qcw-net/api.sock.
 */
const char *client_default_socket(char *buf, size_t len)
{
	const char *env = getenv("QCW_NET_API");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		snprintf(buf, len, "unix://%s/qcw-net/api.sock", xdg);
	else
		snprintf(buf, len, "unix:///tmp/qcw-net/api.sock");
	return buf;
}

static void client_usage(FILE *f)
{
	char sock[512];
	size_t i;

	fprintf(f, "usage: qcw-net COMMAND [OPTIONS]   (client of a running "
		   "qcw-net)\n"
		   "       qcw-net [gvproxy flags]      (run the daemon; -help "
		   "lists them)\n\n"
		   "commands:\n");
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  %s", client_cmds[i].usage);
	fprintf(f,
		"\nevery command accepts --socket URL (unix:///path or "
		"tcp://host:port)\n"
		"and --help. Default socket: $QCW_NET_API, else\n"
		"unix://$XDG_RUNTIME_DIR/qcw-net/api.sock, else "
		"unix:///tmp/qcw-net/api.sock\n"
		"(now: %s).\n",
		client_default_socket(sock, sizeof(sock)));
}

static int client_parse(int idx, int argc, char **argv, int first,
			struct client_args *a)
{
	unsigned int allowed = client_cmds[idx].opts | OPT_SOCKET | OPT_HELP;
	int i;

	for (i = first; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		size_t nlen, k;

		if (arg[0] != '-' || !arg[1]) {
			fprintf(stderr,
				"qcw-net %s: unexpected argument \"%s\"\n",
				client_cmds[idx].name, arg);
			return -1;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < sizeof(client_opts) / sizeof(client_opts[0]);
		     k++)
			if (strlen(client_opts[k].name) == nlen &&
			    !strncmp(client_opts[k].name, name, nlen))
				break;
		if (k == sizeof(client_opts) / sizeof(client_opts[0]) ||
		    !(client_opts[k].opt & allowed)) {
			fprintf(stderr, "qcw-net %s: unknown option %s\n",
				client_cmds[idx].name, arg);
			return -1;
		}
		if (client_opts[k].has_value) {
			if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				fprintf(stderr,
					"qcw-net %s: option %s needs a value\n",
					client_cmds[idx].name, arg);
				return -1;
			}
		} else if (eq) {
			fprintf(stderr,
				"qcw-net %s: option --%s takes no value\n",
				client_cmds[idx].name, client_opts[k].name);
			return -1;
		}
		switch (client_opts[k].opt) {
		case OPT_SOCKET:
			a->socket = val;
			break;
		case OPT_LOCAL:
			a->local = val;
			break;
		case OPT_REMOTE:
			a->remote = val;
			break;
		case OPT_PROTOCOL:
			a->protocol = val;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_ZONE:
			a->zone = val;
			break;
		case OPT_DEFAULT_IP:
			a->default_ip = val;
			break;
		case OPT_RECORD:
		case OPT_REGEXP:
			if (a->n_records + a->n_regexps >= CLIENT_MAX_RECORDS) {
				fprintf(stderr,
					"qcw-net %s: too many records\n",
					client_cmds[idx].name);
				return -1;
			}
			if (client_opts[k].opt == OPT_RECORD)
				a->records[a->n_records++] = val;
			else
				a->regexps[a->n_regexps++] = val;
			break;
		case OPT_WATCH:
			a->watch = true;
			break;
		case OPT_INTERVAL:
			a->interval = val;
			break;
		case OPT_HELP:
			a->help = true;
			break;
		}
	}
	return 0;
}

/* client_watch() - stats --watch: check --interval, then watch_main() */
static int client_watch(const struct client_args *a, const char *sock)
{
	double iv = 1;
	char *end;

	if (a->json) {
		fprintf(stderr, "qcw-net stats: --json and --watch do not go "
				"together\n");
		return 2;
	}
	if (a->interval) {
		iv = strtod(a->interval, &end);
		if (end == a->interval || *end || !(iv >= 0.1 && iv <= 3600)) {
			fprintf(stderr,
				"qcw-net stats: --interval \"%s\" is not a "
				"number of seconds from 0.1 to 3600\n",
				a->interval);
			return 2;
		}
	}
	return watch_main(sock, iv);
}

/* ---- commands ---- */

static int client_failed(const char *cmd, const struct client_resp *r)
{
	const char *b = r->body ? r->body : "";
	size_t n = r->len;

	while (n && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		n--;
	fprintf(stderr, "qcw-net %s: the server answered %d %s%s%.*s\n", cmd,
		r->status, http_status_text(r->status), n ? ": " : "", (int)n,
		b);
	return 1;
}

static void client_print_table(json_t *rows)
{
	static const char *const cols[] = {"local", "remote", "protocol"};
	static const char *const heads[] = {"LOCAL", "REMOTE", "PROTOCOL"};
	int w[3] = {5, 6, 8};
	json_t *row;
	size_t i, k;

	json_array_foreach(rows, i, row)
	{
		for (k = 0; k < 3; k++) {
			const char *s = json_string_value(
				json_object_get(row, cols[k]));
			int n = s ? (int)strlen(s) : 0;

			if (n > w[k])
				w[k] = n;
		}
	}
	printf("%-*s   %-*s   %s\n", w[0], heads[0], w[1], heads[1], heads[2]);
	json_array_foreach(rows, i, row)
	{
		const char *v[3];

		for (k = 0; k < 3; k++) {
			v[k] = json_string_value(json_object_get(row, cols[k]));
			if (!v[k])
				v[k] = "";
		}
		printf("%-*s   %-*s   %s\n", w[0], v[0], w[1], v[1], v[2]);
	}
}

struct client_lease {
	uint32_t ip;
	const char *ips, *mac;
};

static int client_lease_cmp(const void *a, const void *b)
{
	const struct client_lease *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static void client_print_leases(json_t *o)
{
	struct client_lease *v;
	const char *key;
	json_t *val;
	size_t n = 0;

	v = calloc(json_object_size(o) + 1, sizeof(*v));
	if (!v)
		return;
	json_object_foreach(o, key, val)
	{
		v[n].ips = key;
		v[n].mac = json_is_string(val) ? json_string_value(val) : "";
		if (netcfg_parse_ip(key, &v[n].ip) < 0)
			v[n].ip = UINT32_MAX;
		n++;
	}
	qsort(v, n, sizeof(*v), client_lease_cmp);
	printf("%-15s   %s\n", "IP", "MAC");
	for (size_t i = 0; i < n; i++)
		printf("%-15s   %s\n", v[i].ips, v[i].mac);
	free(v);
}

/* client_show() - print a JSON answer: raw with --json, else @fn's way. */
static int client_show(const char *cmd, const struct client_resp *r, bool raw,
		       json_type want, void (*fn)(json_t *))
{
	json_error_t jerr;
	json_t *j;

	if (raw) {
		fwrite(r->body ? r->body : "", 1, r->len, stdout);
		return 0;
	}
	j = json_loadb(r->body ? r->body : "", r->len, JSON_DECODE_ANY, &jerr);
	if (!j || json_typeof(j) != want) {
		fprintf(stderr, "qcw-net %s: unexpected answer: %s\n", cmd,
			j ? "wrong JSON type" : jerr.text);
		json_decref(j);
		return 1;
	}
	fn(j);
	json_decref(j);
	return 0;
}

static void client_print_pretty(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* client_split() - "name=IP" at its last '=' (a regexp may contain '='). */
static int client_split(const char *s, char *name, size_t nlen, const char **ip)
{
	const char *eq = strrchr(s, '=');

	if (!eq || eq == s || !eq[1] || (size_t)(eq - s) >= nlen)
		return -EINVAL;
	memcpy(name, s, (size_t)(eq - s));
	name[eq - s] = 0;
	*ip = eq + 1;
	return 0;
}

static char *client_zone_json(const struct client_args *a, const char *cmd)
{
	json_t *z = json_object(), *recs = json_array();
	char name[1024], zone[512];
	unsigned int i;
	const char *ip;
	char *s = NULL;

	snprintf(zone, sizeof(zone), "%s%s", a->zone,
		 a->zone[strlen(a->zone) - 1] == '.' ? "" : ".");
	json_object_set_new(z, "Name", json_string(zone));
	for (i = 0; i < a->n_records + a->n_regexps; i++) {
		bool re = i >= a->n_records;
		const char *spec =
			re ? a->regexps[i - a->n_records] : a->records[i];
		json_t *r;

		if (client_split(spec, name, sizeof(name), &ip) < 0) {
			fprintf(stderr,
				"qcw-net %s: %s \"%s\" is not NAME=IP\n", cmd,
				re ? "--regexp-record" : "--record", spec);
			goto out;
		}
		r = json_object();
		json_object_set_new(r, re ? "Regexp" : "Name",
				    json_string(name));
		json_object_set_new(r, "IP", json_string(ip));
		json_array_append_new(recs, r);
	}
	json_object_set_new(z, "Records", json_incref(recs));
	json_object_set_new(z, "DefaultIP",
			    json_string(a->default_ip ? a->default_ip : ""));
	s = json_dumps(z, JSON_COMPACT);
	if (!s)
		fprintf(stderr,
			"qcw-net %s: invalid text in the zone (not UTF-8?)\n",
			cmd);
out:
	json_decref(recs);
	json_decref(z);
	return s;
}

static char *client_expose_json(const struct client_args *a, bool unexpose)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "local", json_string(a->local));
	if (!unexpose)
		json_object_set_new(o, "remote", json_string(a->remote));
	json_object_set_new(o, "protocol",
			    json_string(a->protocol ? a->protocol : "tcp"));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int client_run(int idx, const struct client_args *a)
{
	const char *cmd = client_cmds[idx].name;
	const char *method = "GET", *path = NULL;
	struct client_resp r;
	char err[1024], sock[512];
	char *body = NULL;
	int rc;

	switch (client_cmds[idx].cmd) {
	case CMD_EXPOSE:
	case CMD_UNEXPOSE: {
		bool un = client_cmds[idx].cmd == CMD_UNEXPOSE;

		if (!a->local || (!un && !a->remote)) {
			fprintf(stderr, "qcw-net %s: --local%s is required\n",
				cmd, un ? "" : " and --remote are");
			return 2;
		}
		method = "POST";
		path = un ? "/services/forwarder/unexpose"
			  : "/services/forwarder/expose";
		body = client_expose_json(a, un);
		break;
	}
	case CMD_LIST:
		path = "/services/forwarder/all";
		break;
	case CMD_LEASES:
		path = "/services/dhcp/leases";
		break;
	case CMD_STATS:
		if (a->interval && !a->watch) {
			fprintf(stderr,
				"qcw-net %s: --interval goes with --watch\n",
				cmd);
			return 2;
		}
		if (a->watch)
			return client_watch(
				a, a->socket ? a->socket
					     : client_default_socket(
						       sock, sizeof(sock)));
		path = "/stats";
		break;
	case CMD_DNS_LIST:
		path = "/services/dns/all";
		break;
	case CMD_DNS_ADD:
		if (!a->zone || !a->zone[0]) {
			fprintf(stderr, "qcw-net %s: --zone is required\n",
				cmd);
			return 2;
		}
		method = "POST";
		path = "/services/dns/add";
		body = client_zone_json(a, cmd);
		if (!body)
			return 2;
		break;
	}
	if (!strcmp(method, "POST") && !body) {
		fprintf(stderr, "qcw-net %s: invalid arguments (not UTF-8?)\n",
			cmd);
		return 2;
	}
	rc = client_http(a->socket ? a->socket
				   : client_default_socket(sock, sizeof(sock)),
			 method, path, body, &r, err, sizeof(err));
	free(body);
	if (rc < 0) {
		fprintf(stderr, "qcw-net %s: %s\n", cmd, err);
		return 1;
	}
	if (r.status != 200) {
		rc = client_failed(cmd, &r);
		free(r.body);
		return rc;
	}
	switch (client_cmds[idx].cmd) {
	case CMD_EXPOSE:
		printf("exposed %s %s -> %s\n",
		       a->protocol ? a->protocol : "tcp", a->local, a->remote);
		rc = 0;
		break;
	case CMD_UNEXPOSE:
		printf("unexposed %s %s\n", a->protocol ? a->protocol : "tcp",
		       a->local);
		rc = 0;
		break;
	case CMD_DNS_ADD:
		printf("zone %s added\n", a->zone);
		rc = 0;
		break;
	case CMD_LIST:
		rc = client_show(cmd, &r, a->json, JSON_ARRAY,
				 client_print_table);
		break;
	case CMD_LEASES:
		rc = client_show(cmd, &r, a->json, JSON_OBJECT,
				 client_print_leases);
		break;
	case CMD_STATS:
		rc = client_show(cmd, &r, a->json, JSON_OBJECT,
				 client_print_pretty);
		break;
	case CMD_DNS_LIST:
		rc = client_show(cmd, &r, a->json, JSON_ARRAY,
				 client_print_pretty);
		break;
	}
	free(r.body);
	return rc;
}

/**
 * client_main() - run the subcommand in argv[0] (see client.h).
 * @argc: argument count, the subcommand included
 * @argv: the subcommand and its options
 *
 * Return: exit status: 0, 1 when the request failed, 2 on a usage error.
 */
int client_main(int argc, char **argv)
{
	struct client_args a;
	char word[64];
	int idx, first = 1;

	if (!strcmp(argv[0], "help")) {
		client_usage(stdout);
		return 0;
	}
	snprintf(word, sizeof(word), "%s", argv[0]);
	if (!strcmp(argv[0], "dns")) {
		if (argc < 2 || argv[1][0] == '-') {
			bool help = argc >= 2 && (!strcmp(argv[1], "--help") ||
						  !strcmp(argv[1], "-h"));

			fprintf(help ? stdout : stderr,
				"usage: qcw-net dns add|list [OPTIONS]\n");
			return help ? 0 : 2;
		}
		snprintf(word, sizeof(word), "dns %s", argv[1]);
		first = 2;
	}
	for (idx = 0; idx < (int)N_CMDS; idx++)
		if (!strcmp(client_cmds[idx].name, word))
			break;
	if (idx == (int)N_CMDS) {
		fprintf(stderr, "qcw-net: unknown command \"%s\"\n\n", word);
		client_usage(stderr);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	if (client_parse(idx, argc, argv, first, &a) < 0) {
		fprintf(stderr, "usage: qcw-net %s", client_cmds[idx].usage);
		return 2;
	}
	if (a.help) {
		char sock[512];

		printf("usage: qcw-net %s", client_cmds[idx].usage);
		printf("  --socket URL  the daemon's API (default %s)\n",
		       client_default_socket(sock, sizeof(sock)));
		return 0;
	}
	return client_run(idx, &a);
}
