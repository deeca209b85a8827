/*
 * test_vpnkit.c - cmocka unit tests of vpnkit's handshake (net/vpnkit.h):
 * the init echoed, the reply's layout (status, MTU, MTU + 14, the mapped
 * MAC, zeros), a random locally administered MAC for an unknown UUID, byte
 * by byte delivery, an unknown command refused, unprintable UUID bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/vpnkit.h"

static const char known[] = "c3d68012-0208-11ea-9fd7-f2189899ab08";

static void make_cmd(uint8_t *cmd, const char *uuid)
{
	memset(cmd, 0, VPNKIT_CMD_LEN);
	cmd[0] = 1;
	memcpy(cmd + 1, uuid, 36);
}

static void test_known_uuid(void **state)
{
	uint8_t init[VPNKIT_INIT_LEN], cmd[VPNKIT_CMD_LEN], out[VPNKIT_OUT_MAX],
		zero[VPNKIT_REPLY_LEN] = {0};
	static const uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};
	struct vpnkit_hs hs;
	size_t ol;

	(void)state;
	vpnkit_hs_init(&hs, 1500, 1);
	for (size_t i = 0; i < sizeof(init); i++)
		init[i] = (uint8_t)(i * 7);
	assert_int_equal(vpnkit_hs_step(&hs, init, 48, out, &ol), 0);
	assert_int_equal(ol, 0);
	assert_int_equal(vpnkit_hs_step(&hs, init, 49, out, &ol), 49);
	assert_int_equal(ol, 49);
	assert_memory_equal(out, init, 49);
	assert_int_equal(hs.state, VPNKIT_WANT_CMD);
	make_cmd(cmd, known);
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 40, out, &ol), 0);
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 41, out, &ol), 41);
	assert_int_equal(ol, VPNKIT_REPLY_LEN);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1] | out[2] << 8, 1500);
	assert_int_equal(out[3] | out[4] << 8, 1514);
	assert_memory_equal(out + 5, mac, 6);
	assert_memory_equal(out + 11, zero, VPNKIT_REPLY_LEN - 11);
	assert_string_equal(hs.uuid, known);
	assert_int_equal(hs.state, VPNKIT_DONE);
	/* done: frames are not the handshake's */
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 41, out, &ol), 0);
	assert_int_equal(ol, 0);
}

static void test_unknown_uuid_random_mac(void **state)
{
	uint8_t init[VPNKIT_INIT_LEN] = {0}, cmd[VPNKIT_CMD_LEN],
		out[VPNKIT_OUT_MAX], mac1[6];
	struct vpnkit_hs hs;
	size_t ol;

	(void)state;
	make_cmd(cmd, "00000000-0000-0000-0000-000000000000");
	vpnkit_hs_init(&hs, 65520, 42);
	assert_int_equal(vpnkit_hs_step(&hs, init, 49, out, &ol), 49);
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 41, out, &ol), 41);
	assert_int_equal(out[1] | out[2] << 8, 65520);
	assert_int_equal(out[3] | out[4] << 8, (65520 + 14) & 0xffff);
	assert_int_equal(out[5] & 0x03, 0x02); /* local, unicast */
	memcpy(mac1, out + 5, 6);
	vpnkit_hs_init(&hs, 1500, 43);
	vpnkit_hs_step(&hs, init, 49, out, &ol);
	vpnkit_hs_step(&hs, cmd, 41, out, &ol);
	assert_memory_not_equal(mac1, out + 5, 6);
}

static void test_bad_command(void **state)
{
	uint8_t init[VPNKIT_INIT_LEN] = {0}, cmd[VPNKIT_CMD_LEN],
		out[VPNKIT_OUT_MAX];
	struct vpnkit_hs hs;
	size_t ol;

	(void)state;
	vpnkit_hs_init(&hs, 1500, 1);
	vpnkit_hs_step(&hs, init, 49, out, &ol);
	make_cmd(cmd, known);
	cmd[0] = 2;
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 41, out, &ol), -EPROTO);
	assert_int_equal(ol, 0);
	/* unprintable UUID bytes are not copied as they are */
	vpnkit_hs_init(&hs, 1500, 1);
	vpnkit_hs_step(&hs, init, 49, out, &ol);
	make_cmd(cmd, known);
	cmd[5] = 0;
	cmd[6] = 0xff;
	assert_int_equal(vpnkit_hs_step(&hs, cmd, 41, out, &ol), 41);
	assert_int_equal(strlen(hs.uuid), 36);
	assert_int_equal(hs.uuid[4], '?');
	assert_int_equal(hs.uuid[5], '?');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_uuid),
		cmocka_unit_test(test_unknown_uuid_random_mac),
		cmocka_unit_test(test_bad_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
