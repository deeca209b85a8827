/*
 * test_hvaddr.c - cmocka unit tests of the Hyper-V socket addresses
 * (util/hvaddr.h): GUID text in both cases and its errors, the short
 * port form mapped to the VSOCK template as Podman maps it, the way back
 * from a template GUID to its port, the upper-case text, and the bytes of
 * the SOCKADDR_HV a listener binds (Windows' layout: Data1..3 little
 * endian, Data4 as written). Runs natively and as an .exe under wine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/hvaddr.h"

#define PODMAN_1024 "00000400-FACB-11E6-BD58-64006A7986D3"

static int parse(const char *s, struct hvaddr_guid *g)
{
	return hvaddr_guid_parse(s, strlen(s), g);
}

static int service(const char *s, struct hvaddr_guid *g)
{
	return hvaddr_service(s, strlen(s), g);
}

static void test_parse(void **state)
{
	struct hvaddr_guid g, h;
	char txt[HVADDR_GUID_STRLEN + 1];

	(void)state;
	assert_int_equal(parse(PODMAN_1024, &g), 0);
	assert_int_equal(g.data1, 0x400);
	assert_int_equal(g.data2, 0xfacb);
	assert_int_equal(g.data3, 0x11e6);
	assert_memory_equal(g.data4, "\xbd\x58\x64\x00\x6a\x79\x86\xd3", 8);
	/* lower and mixed case are the same GUID */
	assert_int_equal(parse("00000400-facb-11e6-bd58-64006a7986d3", &h), 0);
	assert_memory_equal(&g, &h, sizeof(g));
	assert_int_equal(parse("00000400-FaCb-11e6-Bd58-64006A7986d3", &h), 0);
	assert_memory_equal(&g, &h, sizeof(g));
	assert_int_equal(parse("90db8b89-0d35-4f79-8ce9-49ea0ac8b7cd", &g), 0);
	assert_int_equal(g.data1, 0x90db8b89u);
	assert_int_equal(g.data2, 0x0d35);
	assert_int_equal(g.data3, 0x4f79);
	assert_int_equal(g.data4[0], 0x8c);
	assert_int_equal(g.data4[7], 0xcd);
	hvaddr_format(&g, txt);
	assert_string_equal(txt, "90DB8B89-0D35-4F79-8CE9-49EA0AC8B7CD");
	assert_int_equal(parse("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", &g), 0);
	assert_int_equal(g.data1, 0xffffffffu);
	assert_int_equal(g.data4[7], 0xff);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"00000400-FACB-11E6-BD58-64006A7986D", /* short */
		"00000400-FACB-11E6-BD58-64006A7986D30", /* long */
		"{00000400-FACB-11E6-BD58-64006A7986D}", /* braces */
		"00000400FACB-11E6-BD58-64006A7986D3-", /* misplaced - */
		"00000400-FACB-11E6-BD5864006A7986D3--",
		"0000040G-FACB-11E6-BD58-64006A7986D3", /* not hex */
		"00000400-FACB-11E6-BD58-64006A7986 3",
		"+0000400-FACB-11E6-BD58-64006A7986D3",
		"00000400_FACB_11E6_BD58_64006A7986D3",
	};
	struct hvaddr_guid g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &g) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
	/* a GUID followed by more bytes than the length given */
	assert_int_equal(hvaddr_guid_parse(PODMAN_1024, 35, &g), -EINVAL);
}

static void test_short_port_form(void **state)
{
	struct hvaddr_guid g, want;
	char txt[HVADDR_GUID_STRLEN + 1];
	uint32_t port = 1;

	(void)state;
	/* vsock://1024 is Podman's %08X-FACB-11E6-BD58-64006A7986D3 */
	assert_int_equal(service("1024", &g), 0);
	assert_int_equal(parse(PODMAN_1024, &want), 0);
	assert_memory_equal(&g, &want, sizeof(g));
	hvaddr_format(&g, txt);
	assert_string_equal(txt, PODMAN_1024);
	assert_int_equal(hvaddr_port(&g, &port), 0);
	assert_int_equal(port, 1024);
	assert_int_equal(service("0", &g), 0);
	hvaddr_format(&g, txt);
	assert_string_equal(txt, "00000000-FACB-11E6-BD58-64006A7986D3");
	assert_int_equal(service("4294967294", &g), 0);
	hvaddr_format(&g, txt);
	assert_string_equal(txt, "FFFFFFFE-FACB-11E6-BD58-64006A7986D3");
	/* a GUID through the same entry */
	assert_int_equal(service(PODMAN_1024, &g), 0);
	assert_memory_equal(&g, &want, sizeof(g));
	/* not the template: no port */
	assert_int_equal(parse("90db8b89-0d35-4f79-8ce9-49ea0ac8b7cd", &g), 0);
	assert_int_equal(hvaddr_port(&g, &port), -EINVAL);
	assert_int_equal(parse("00000400-FACB-11E6-BD58-64006A7986D4", &g), 0);
	assert_int_equal(hvaddr_port(&g, &port), -EINVAL);
}

static void test_short_port_bad(void **state)
{
	static const char *const bad[] = {
		"",	      "4294967295" /* VMADDR_PORT_ANY */,
		"4294967296", "99999999999",
		"-1",	      "+1",
		"0x400",      "1024 ",
		" 1024",      "10a4",
	};
	struct hvaddr_guid g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (service(bad[i], &g) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_sockaddr(void **state)
{
	/* SOCKADDR_HV of a listener on Podman's service for port 1024 */
	static const uint8_t want[36] = {
		34,   0,    0,	  0, /* Family AF_HYPERV, Reserved */
		0,    0,    0,	  0,	0,    0,    0,	  0, /* VmId: wildcard */
		0,    0,    0,	  0,	0,    0,    0,	  0,	0x00,
		0x04, 0x00, 0x00, 0xcb, 0xfa, 0xe6, 0x11, /* ServiceId */
		0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3,
	};
	const uint16_t one = 1;
	struct hvaddr_sockaddr sa;
	struct hvaddr_guid g;

	(void)state;
	assert_int_equal(sizeof(sa), 36);
	assert_int_equal(offsetof(struct hvaddr_sockaddr, vm_id), 4);
	assert_int_equal(offsetof(struct hvaddr_sockaddr, service_id), 20);
	assert_int_equal(service("1024", &g), 0);
	memset(&sa, 0xee, sizeof(sa));
	hvaddr_listen_addr(&g, &sa);
	assert_int_equal(sa.family, HVADDR_AF_HYPERV);
	assert_int_equal(sa.reserved, 0);
	/* Windows runs little endian: the bytes are the kernel's */
	if (*(const uint8_t *)&one == 1)
		assert_memory_equal(&sa, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_short_port_form),
		cmocka_unit_test(test_short_port_bad),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
