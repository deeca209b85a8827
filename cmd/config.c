/*
 * config.c - gvproxy's YAML configuration (see config.h). The document is
 * loaded with libyaml's document API and walked key by key; unknown keys
 * are ignored as Go's YAML decoder ignores them, wrong types are errors.
 * DNS zones are turned into the JSON the DNS API takes, so zones from the
 * file and from /services/dns/add go through one code path.
 */
#include "cmd/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <yaml.h>

struct config_ctx {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static yaml_node_t *cfg_node(struct config_ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

/* cfg_get() - the value node of @key in mapping @map, or NULL. */
static yaml_node_t *cfg_get(struct config_ctx *x, yaml_node_t *map,
			    const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cfg_node(x, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((char *)k->data.scalar.value, key))
			return cfg_node(x, p->value);
	}
	return NULL;
}

static int cfg_bad(struct config_ctx *x, const char *key, const char *what)
{
	snprintf(x->err, x->errlen, "config: %s: %s", key, what);
	return -EINVAL;
}

/* cfg_str() - strdup of a scalar value into *@out (kept NULL if absent). */
static int cfg_str(struct config_ctx *x, yaml_node_t *map, const char *key,
		   char **out)
{
	yaml_node_t *v = cfg_get(x, map, key);

	if (!v)
		return 0;
	if (v->type != YAML_SCALAR_NODE)
		return cfg_bad(x, key, "expected a string");
	free(*out);
	*out = strdup((char *)v->data.scalar.value);
	return *out ? 0 : -ENOMEM;
}

static int cfg_scalar_str(struct config_ctx *x, yaml_node_t *v, const char *key,
			  char **out)
{
	if (!v || v->type != YAML_SCALAR_NODE)
		return cfg_bad(x, key, "expected a string");
	*out = strdup((char *)v->data.scalar.value);
	return *out ? 0 : -ENOMEM;
}

static int cfg_bool(struct config_ctx *x, yaml_node_t *map, const char *key,
		    int *out)
{
	yaml_node_t *v = cfg_get(x, map, key);
	const char *s;

	if (!v)
		return 0;
	s = v->type == YAML_SCALAR_NODE ? (char *)v->data.scalar.value : "";
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no"))
		*out = 0;
	else
		return cfg_bad(x, key, "expected true or false");
	return 0;
}

/* cfg_seq() - items of a sequence value, or 0 when absent. */
static int cfg_seq(struct config_ctx *x, yaml_node_t *map, const char *key,
		   yaml_node_item_t **start, yaml_node_item_t **end)
{
	yaml_node_t *v = cfg_get(x, map, key);

	*start = *end = NULL;
	if (!v)
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return cfg_bad(x, key, "expected a list");
	*start = v->data.sequence.items.start;
	*end = v->data.sequence.items.top;
	return 0;
}

static int cfg_strlist(struct config_ctx *x, yaml_node_t *map, const char *key,
		       char **out, unsigned int *n)
{
	yaml_node_item_t *i, *e;
	int r = cfg_seq(x, map, key, &i, &e);

	for (; r == 0 && i < e; i++) {
		if (*n == CONFIG_MAX)
			return cfg_bad(x, key, "too many entries");
		r = cfg_scalar_str(x, cfg_node(x, *i), key, &out[*n]);
		if (r == 0)
			(*n)++;
	}
	return r;
}

static int cfg_ip(struct config_ctx *x, const char *key, const char *s,
		  uint32_t *ip)
{
	if (netcfg_parse_ip(s, ip) < 0)
		return cfg_bad(x, key, "invalid IPv4 address");
	return 0;
}

/* zones: [{name, records: [{name, ip, regexp}], defaultIP}] -> JSON */
static int cfg_zones(struct config_ctx *x, yaml_node_t *stack, struct config *c)
{
	yaml_node_item_t *i, *e;
	int r = cfg_seq(x, stack, "dns", &i, &e);

	for (; r == 0 && i < e; i++) {
		yaml_node_t *z = cfg_node(x, *i), *name = cfg_get(x, z, "name");
		yaml_node_t *def = cfg_get(x, z, "defaultIP");
		yaml_node_item_t *ri, *re;
		json_t *zone, *recs;

		if (!name || name->type != YAML_SCALAR_NODE)
			return cfg_bad(x, "stack.dns", "a zone needs a name");
		if (c->n_zones == CONFIG_MAX)
			return cfg_bad(x, "stack.dns", "too many zones");
		recs = json_array();
		zone = json_pack("{s:s,s:o,s:s}", "Name",
				 (char *)name->data.scalar.value, "Records",
				 recs, "DefaultIP",
				 def && def->type == YAML_SCALAR_NODE
					 ? (char *)def->data.scalar.value
					 : "");
		r = cfg_seq(x, z, "records", &ri, &re);
		for (; r == 0 && ri < re; ri++) {
			yaml_node_t *rec = cfg_node(x, *ri);
			yaml_node_t *rn = cfg_get(x, rec, "name");
			yaml_node_t *rip = cfg_get(x, rec, "ip");
			yaml_node_t *rx = cfg_get(x, rec, "regexp");
			json_t *o = json_object();

			if (rn && rn->type == YAML_SCALAR_NODE)
				json_object_set_new(
					o, "Name",
					json_string(
						(char *)rn->data.scalar.value));
			if (rip && rip->type == YAML_SCALAR_NODE)
				json_object_set_new(
					o, "IP",
					json_string((char *)rip->data.scalar
							    .value));
			if (rx && rx->type == YAML_SCALAR_NODE)
				json_object_set_new(
					o, "Regexp",
					json_string(
						(char *)rx->data.scalar.value));
			json_array_append_new(recs, o);
		}
		if (r == 0) {
			c->zones_json[c->n_zones] =
				json_dumps(zone, JSON_COMPACT);
			if (!c->zones_json[c->n_zones])
				r = -ENOMEM;
			else
				c->n_zones++;
		}
		json_decref(zone);
	}
	return r;
}

/* mapping helper: calls @fn(key, value) for each string pair */
static int cfg_pairs(struct config_ctx *x, yaml_node_t *stack, const char *key,
		     int (*fn)(struct config_ctx *x, struct config *c,
			       const char *k, const char *v),
		     struct config *c)
{
	yaml_node_t *m = cfg_get(x, stack, key);
	yaml_node_pair_t *p;
	int r;

	if (!m)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return cfg_bad(x, key, "expected a mapping");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = cfg_node(x, p->key),
			    *v = cfg_node(x, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE ||
		    v->type != YAML_SCALAR_NODE)
			return cfg_bad(x, key,
				       "expected string keys and values");
		r = fn(x, c, (char *)k->data.scalar.value,
		       (char *)v->data.scalar.value);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cfg_forward(struct config_ctx *x, struct config *c, const char *k,
		       const char *v)
{
	struct config_forward *f;
	bool udp = !strncmp(k, "udp:", 4);

	if (c->n_forwards == CONFIG_MAX)
		return cfg_bad(x, "stack.forwards", "too many forwards");
	f = &c->forwards[c->n_forwards];
	f->udp = udp;
	f->local = strdup(udp ? k + 4 : k);
	f->remote = strdup(v);
	if (!f->local || !f->remote)
		return -ENOMEM;
	c->n_forwards++;
	return 0;
}

static int cfg_nat(struct config_ctx *x, struct config *c, const char *k,
		   const char *v)
{
	if (c->n_nat == NETCFG_MAX_NAT)
		return cfg_bad(x, "stack.nat", "too many entries");
	if (cfg_ip(x, "stack.nat", k, &c->nat[c->n_nat].virt) ||
	    cfg_ip(x, "stack.nat", v, &c->nat[c->n_nat].host))
		return -EINVAL;
	c->n_nat++;
	return 0;
}

static int cfg_lease(struct config_ctx *x, struct config *c, const char *k,
		     const char *v)
{
	if (c->n_leases == CONFIG_MAX)
		return cfg_bad(x, "stack.dhcpStaticLeases", "too many leases");
	if (cfg_ip(x, "stack.dhcpStaticLeases", k, &c->leases[c->n_leases].ip))
		return -EINVAL;
	if (netcfg_parse_mac(v, c->leases[c->n_leases].mac) < 0)
		return cfg_bad(x, "stack.dhcpStaticLeases",
			       "invalid MAC address");
	c->n_leases++;
	return 0;
}

static int cfg_walk(struct config_ctx *x, struct config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(x->doc), *st, *ifs;
	yaml_node_item_t *i, *e;
	char *mtu = NULL, *vip;
	int r = 0;

	if (!root)
		return 0; /* an empty file */
	if (root->type != YAML_MAPPING_NODE)
		return cfg_bad(x, "(top level)", "expected a mapping");
	r = r ?: cfg_strlist(x, root, "listen", c->listen, &c->n_listen);
	r = r ?: cfg_str(x, root, "services", &c->services);
	r = r ?: cfg_str(x, root, "pid-file", &c->pid_file);
	r = r ?: cfg_str(x, root, "log-file", &c->log_file);
	r = r ?: cfg_str(x, root, "notification", &c->notification);
	r = r ?: cfg_str(x, root, "log-level", &c->log_level);
	r = r ?: cfg_bool(x, root, "ec2-metadata-access", &c->ec2);
	r = r ?: cfg_bool(x, root, "sandbox", &c->sandbox);
	r = r ?: cfg_str(x, root, "runas", &c->runas);
	ifs = cfg_get(x, root, "interfaces");
	r = r ?: cfg_str(x, ifs, "qemu", &c->qemu);
	r = r ?: cfg_str(x, ifs, "vfkit", &c->vfkit);
	r = r ?: cfg_str(x, ifs, "bess", &c->bess);
	r = r ?: cfg_str(x, ifs, "stdio", &c->stdio);
	r = r ?: cfg_str(x, ifs, "vpnkit", &c->vpnkit);
	r = r ?: cfg_seq(x, root, "forwards", &i, &e);
	for (; r == 0 && i < e; i++) {
		yaml_node_t *f = cfg_node(x, *i);

		if (c->n_fwd == CONFIG_MAX)
			return cfg_bad(x, "forwards", "too many entries");
		r = r ?: cfg_str(x, f, "socket", &c->fsock[c->n_fwd]);
		r = r ?: cfg_str(x, f, "dest", &c->fdest[c->n_fwd]);
		r = r ?: cfg_str(x, f, "user", &c->fuser[c->n_fwd]);
		r = r ?: cfg_str(x, f, "identity", &c->fident[c->n_fwd]);
		if (r == 0 && (!c->fsock[c->n_fwd] || !c->fdest[c->n_fwd] ||
			       !c->fuser[c->n_fwd] || !c->fident[c->n_fwd]))
			return cfg_bad(
				x, "forwards",
				"each needs socket, dest, user and identity");
		c->n_fwd++;
	}
	st = cfg_get(x, root, "stack");
	if (r || !st)
		return r;
	/* qcw-net: the backend, "stack: slirp" alone or stack.backend */
	if (st->type == YAML_SCALAR_NODE)
		return cfg_scalar_str(x, st, "stack", &c->stack_backend);
	r = r ?: cfg_str(x, st, "backend", &c->stack_backend);
	r = r ?: cfg_bool(x, st, "debug", &c->debug);
	r = r ?: cfg_bool(x, st, "ec2MetadataAccess", &c->ec2);
	r = r ?: cfg_str(x, st, "capture-file", &c->capture);
	r = r ?: cfg_str(x, st, "mtu", &mtu);
	if (r == 0 && mtu) {
		char *end;

		c->mtu = strtol(mtu, &end, 10);
		if (*end || c->mtu < 576 || c->mtu > 65520)
			r = cfg_bad(x, "stack.mtu", "must be 576..65520");
	}
	free(mtu);
	mtu = NULL;
	r = r ?: cfg_str(x, st, "maxFlows", &mtu);
	if (r == 0 && mtu) {
		char *end;

		c->max_flows = strtol(mtu, &end, 10);
		if (*end || c->max_flows < 1 || c->max_flows > 100000000)
			r = cfg_bad(x, "stack.maxFlows",
				    "must be 1..100000000");
	}
	free(mtu);
	r = r ?: cfg_str(x, st, "subnet", &c->subnet);
	r = r ?: cfg_str(x, st, "gatewayIP", &c->gateway_ip);
	r = r ?: cfg_str(x, st, "deviceIP", &c->device_ip);
	r = r ?: cfg_str(x, st, "hostIP", &c->host_ip);
	r = r ?: cfg_bool(x, st, "ipv6", &c->ipv6);
	r = r ?: cfg_str(x, st, "subnet6", &c->subnet6);
	r = r ?: cfg_str(x, st, "gatewayMacAddress", &c->gw_mac);
	r = r ?: cfg_zones(x, st, c);
	r = r
		    ?: cfg_strlist(x, st, "dnsSearchDomains", c->search,
				   &c->n_search);
	r = r ?: cfg_pairs(x, st, "forwards", cfg_forward, c);
	r = r ?: cfg_pairs(x, st, "nat", cfg_nat, c);
	r = r ?: cfg_pairs(x, st, "dhcpStaticLeases", cfg_lease, c);
	r = r ?: cfg_seq(x, st, "gatewayVirtualIPs", &i, &e);
	for (; r == 0 && i < e; i++) {
		vip = NULL;
		r = cfg_scalar_str(x, cfg_node(x, *i),
				   "stack.gatewayVirtualIPs", &vip);
		if (r == 0 && c->n_vips == NETCFG_MAX_VIPS)
			r = cfg_bad(x, "stack.gatewayVirtualIPs", "too many");
		if (r == 0)
			r = cfg_ip(x, "stack.gatewayVirtualIPs", vip,
				   &c->vips[c->n_vips++]);
		free(vip);
	}
	return r;
}

int config_parse(const char *yaml, size_t len, struct config *c, char *err,
		 size_t errlen)
{
	struct config_ctx x = {.err = err, .errlen = errlen};
	yaml_parser_t parser;
	yaml_document_t doc;
	int r;

	memset(c, 0, sizeof(*c));
	c->ec2 = -1;
	c->ipv6 = -1;
	c->debug = -1;
	c->sandbox = -1;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "config: YAML error at line %zu: %s",
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	x.doc = &doc;
	r = cfg_walk(&x, c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r < 0)
		config_free(c);
	return r;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");
	int r;

	if (!f) {
		snprintf(err, errlen, "config: cannot open %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 4096;
			if (cap > (1 << 20)) {
				snprintf(err, errlen, "config: %s is too large",
					 path);
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	r = config_parse(buf ? buf : "", len, c, err, errlen);
	free(buf);
	return r;
}

void config_free(struct config *c)
{
	unsigned int i;

	for (i = 0; i < c->n_listen; i++)
		free(c->listen[i]);
	for (i = 0; i < CONFIG_MAX; i++) {
		free(c->fsock[i]);
		free(c->fdest[i]);
		free(c->fuser[i]);
		free(c->fident[i]);
	}
	for (i = 0; i < c->n_zones; i++)
		free(c->zones_json[i]);
	for (i = 0; i < c->n_search; i++)
		free(c->search[i]);
	for (i = 0; i < c->n_forwards; i++) {
		free(c->forwards[i].local);
		free(c->forwards[i].remote);
	}
	free(c->services);
	free(c->pid_file);
	free(c->log_file);
	free(c->notification);
	free(c->log_level);
	free(c->runas);
	free(c->qemu);
	free(c->vfkit);
	free(c->bess);
	free(c->stdio);
	free(c->vpnkit);
	free(c->subnet);
	free(c->subnet6);
	free(c->gateway_ip);
	free(c->device_ip);
	free(c->host_ip);
	free(c->gw_mac);
	free(c->capture);
	free(c->stack_backend);
	memset(c, 0, sizeof(*c));
}
