/*
 * test_config.c - gvproxy's YAML configuration: every key gvproxy's
 * config.yaml documents, defaults when absent, and errors that name the
 * key for wrong types and bad addresses; qcw-net's stack.backend and how
 * the daemon's options merge it under -stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/config.h"
#include "cmd/daemon.h"
#include "net/stack.h"

static const char full[] = "log-level: debug\n"
			   "listen:\n"
			   "  - unix:///tmp/api.sock\n"
			   "  - tcp://127.0.0.1:9999\n"
			   "services: unix:///tmp/services.sock\n"
			   "pid-file: /tmp/gv.pid\n"
			   "log-file: /tmp/gv.log\n"
			   "ec2-metadata-access: true\n"
			   "interfaces:\n"
			   "  qemu: unix:///tmp/qemu.sock\n"
			   "forwards:\n"
			   "  - socket: /tmp/podman.sock\n"
			   "    dest: /run/podman/podman.sock\n"
			   "    user: core\n"
			   "    identity: /tmp/key\n"
			   "stack:\n"
			   "  mtu: 9000\n"
			   "  subnet: 10.0.2.0/24\n"
			   "  gatewayIP: 10.0.2.1\n"
			   "  deviceIP: 10.0.2.15\n"
			   "  hostIP: 10.0.2.2\n"
			   "  ipv6: false\n"
			   "  subnet6: fd00:1:2:3::/64\n"
			   "  gatewayMacAddress: 5a:94:ef:e4:0c:dd\n"
			   "  dns:\n"
			   "    - name: containers.internal.\n"
			   "      records:\n"
			   "        - name: gateway\n"
			   "          ip: 10.0.2.1\n"
			   "        - regexp: '^web-.*$'\n"
			   "          ip: 10.0.2.9\n"
			   "      defaultIP: 10.0.2.10\n"
			   "  dnsSearchDomains:\n"
			   "    - corp.example\n"
			   "  forwards:\n"
			   "    \"127.0.0.1:2223\": 10.0.2.15:22\n"
			   "    \"udp:127.0.0.1:5353\": 10.0.2.15:53\n"
			   "  nat:\n"
			   "    10.0.2.2: 127.0.0.1\n"
			   "  gatewayVirtualIPs:\n"
			   "    - 10.0.2.2\n"
			   "  dhcpStaticLeases:\n"
			   "    10.0.2.15: 5a:94:ef:e4:0c:ee\n";

static void test_full(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse(full, strlen(full), &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.n_listen, 2);
	assert_string_equal(c.listen[1], "tcp://127.0.0.1:9999");
	assert_string_equal(c.services, "unix:///tmp/services.sock");
	assert_string_equal(c.pid_file, "/tmp/gv.pid");
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.ec2, 1);
	assert_int_equal(c.debug, -1);
	assert_string_equal(c.qemu, "unix:///tmp/qemu.sock");
	assert_int_equal(c.n_fwd, 1);
	assert_string_equal(c.fuser[0], "core");
	assert_int_equal(c.mtu, 9000);
	assert_string_equal(c.subnet, "10.0.2.0/24");
	assert_string_equal(c.device_ip, "10.0.2.15");
	assert_int_equal(c.ipv6, 0);
	assert_string_equal(c.subnet6, "fd00:1:2:3::/64");
	assert_int_equal(c.n_zones, 1);
	assert_non_null(strstr(c.zones_json[0], "\"Regexp\":\"^web-.*$\""));
	assert_non_null(strstr(c.zones_json[0], "\"DefaultIP\":\"10.0.2.10\""));
	assert_int_equal(c.n_search, 1);
	assert_int_equal(c.n_forwards, 2);
	assert_false(c.forwards[0].udp);
	assert_true(c.forwards[1].udp);
	assert_string_equal(c.forwards[1].local, "127.0.0.1:5353");
	assert_int_equal(c.n_nat, 1);
	assert_int_equal(c.nat[0].host, 0x7f000001);
	assert_int_equal(c.n_vips, 1);
	assert_int_equal(c.n_leases, 1);
	assert_int_equal(c.leases[0].ip, 0x0a00020f);
	assert_int_equal(c.leases[0].mac[5], 0xee);
	config_free(&c);
}

static void test_empty_and_errors(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse("", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_listen, 0);
	assert_int_equal(c.ec2, -1);
	config_free(&c);

	assert_int_equal(config_parse("listen: 5\n", 10, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "listen"));
	assert_int_equal(config_parse("stack:\n  mtu: 99999\n", 20, &c, err,
				      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "stack.mtu"));
	assert_int_equal(config_parse("stack:\n  nat:\n    x: 1.2.3.4\n", 27,
				      &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "stack.nat"));
	assert_int_equal(config_parse("a: [\n", 5, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "YAML error"));
	assert_int_equal(config_parse("forwards:\n  - socket: /x\n", 25, &c,
				      err, sizeof(err)),
			 -EINVAL);
}

/* stack.maxFlows: the NAT's flow bound (issue 11, finding 3) */
static void test_max_flows(void **state)
{
	static const char ok[] = "stack:\n  maxFlows: 5000\n";
	static const char bad[] = "stack:\n  maxFlows: 0\n";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse("", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_flows, 0);
	config_free(&c);
	assert_int_equal(config_parse(ok, strlen(ok), &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_flows, 5000);
	config_free(&c);
	assert_int_equal(config_parse(bad, strlen(bad), &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "stack.maxFlows"));
}

/* qcw-net's own keys: sandbox: false (-no-sandbox) and runas: USER */
static void test_sandbox_keys(void **state)
{
	const char *y = "sandbox: false\nrunas: \"1000:1000\"\n";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse("", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.sandbox, -1); /* not given: the sandbox is on */
	assert_null(c.runas);
	config_free(&c);
	assert_int_equal(config_parse(y, strlen(y), &c, err, sizeof(err)), 0);
	assert_int_equal(c.sandbox, 0);
	assert_string_equal(c.runas, "1000:1000");
	config_free(&c);
	assert_int_equal(
		config_parse("sandbox: maybe\n", 15, &c, err, sizeof(err)),
		-EINVAL);
}

/* stack.backend, and "stack: NAME" alone: the backend of -stack */
static void test_stack_backend(void **state)
{
	static const char map[] = "stack:\n  backend: slirp\n  mtu: 9000\n";
	static const char alone[] = "stack: slirp\n";
	static const char bad[] = "stack:\n  backend: [lwip]\n";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse("", 0, &c, err, sizeof(err)), 0);
	assert_null(c.stack_backend);
	config_free(&c);
	assert_int_equal(config_parse(map, strlen(map), &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.stack_backend, "slirp");
	assert_int_equal(c.mtu, 9000);
	config_free(&c);
	assert_int_equal(
		config_parse(alone, strlen(alone), &c, err, sizeof(err)), 0);
	assert_string_equal(c.stack_backend, "slirp");
	config_free(&c);
	assert_int_equal(config_parse(bad, strlen(bad), &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "backend"));
}

/* daemon_args() - daemon_parse_args() on -config @yaml plus @extra. */
static int daemon_args(struct daemon_opts *o, const char *yaml,
		       const char *extra1, const char *extra2)
{
	char path[] = "/tmp/test_config.XXXXXX";
	char *argv[] = {"qcw-net",	"-config",	path,
			(char *)extra1, (char *)extra2, NULL};
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	r = daemon_parse_args(o, extra1 ? (extra2 ? 5 : 4) : 3, argv);
	unlink(path);
	return r;
}

/*
 * The daemon takes stack.backend when -stack is not given, -stack wins
 * over it, and a name this build does not have exits 2 with the flag's
 * message, from either place.
 */
static void test_stack_backend_merge(void **state)
{
	struct daemon_opts o;

	(void)state;
	assert_int_equal(
		daemon_args(&o, "stack:\n  backend: lwip\n", NULL, NULL), 0);
	assert_string_equal(o.stack, "lwip");
	assert_non_null(stack_backend_find(o.stack));
	daemon_opts_free(&o);
	/* -stack wins over the file: the file's bad name is not looked at */
	assert_int_equal(
		daemon_args(&o, "stack:\n  backend: nope\n", "-stack", "lwip"),
		0);
	assert_string_equal(o.stack, "lwip");
	daemon_opts_free(&o);
	assert_int_equal(
		daemon_args(&o, "stack:\n  backend: nope\n", NULL, NULL), 2);
	daemon_opts_free(&o);
	assert_int_equal(daemon_args(&o, "stack: lwip\n", "-stack", "nope"), 2);
	daemon_opts_free(&o);
	/* -help lists this build's backends */
	assert_int_equal(daemon_args(&o, "", NULL, NULL), 0);
	assert_non_null(strstr(o.stack_usage, stack_backend_names()));
	daemon_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty_and_errors),
		cmocka_unit_test(test_max_flows),
		cmocka_unit_test(test_sandbox_keys),
		cmocka_unit_test(test_stack_backend),
		cmocka_unit_test(test_stack_backend_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
