// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for how a TCP flow's peer is written and read (collectors/tcp/tcp_flow.c): labels
 * of active and passive flows over IPv4, IPv6 and v4-mapped IPv6, loopback, address parsing. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collectors/tcp/tcp.h"

/* A flow of the given raw 16 address bytes (from inet_pton AF_INET6), port and direction. */
static struct hp_tcp_flow flow6(const char *v6, __u16 port, __u8 direction)
{
	struct hp_tcp_flow f = { .port = port, .direction = direction };

	assert_int_equal(inet_pton(AF_INET6, v6, f.addr), 1);
	return f;
}

static void test_flow_labels(void **state)
{
	static const struct {
		const char *v6; /* the key's bytes, as IPv6 text */
		__u16 port;
		__u8 direction;
		const char *peer, *address;
	} cases[] = {
		{ "::ffff:10.0.0.7", 5432, HP_TCP_ACTIVE, "10.0.0.7:5432", "10.0.0.7" },
		{ "::ffff:10.0.0.7", 5432, HP_TCP_PASSIVE, "10.0.0.7", "10.0.0.7" },
		{ "2001:db8::1", 443, HP_TCP_ACTIVE, "[2001:db8::1]:443", "2001:db8::1" },
		{ "2001:db8::1", 443, HP_TCP_PASSIVE, "2001:db8::1", "2001:db8::1" },
		{ "::1", 80, HP_TCP_ACTIVE, "[::1]:80", "::1" },
		{ "::ffff:0.0.0.0", 1, HP_TCP_ACTIVE, "0.0.0.0:1", "0.0.0.0" },
		/* v4-compatible (not mapped) stays IPv6 */
		{ "::127.0.0.1", 65535, HP_TCP_ACTIVE, "[::127.0.0.1]:65535", "::127.0.0.1" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hp_tcp_flow f = flow6(cases[i].v6, cases[i].port, cases[i].direction);

		assert_string_equal(hp_tcp_flow__peer(&f, buf, sizeof(buf)), cases[i].peer);
		assert_string_equal(hp_tcp_flow__address(&f, buf, sizeof(buf)), cases[i].address);
	}
	/* short buffers: truncated or empty, always terminated */
	{
		struct hp_tcp_flow f = flow6("2001:db8::1", 443, HP_TCP_ACTIVE);

		assert_string_equal(hp_tcp_flow__peer(&f, buf, 6), "[2001");
		assert_string_equal(hp_tcp_flow__address(&f, buf, 6), "");
	}
}

static void test_flow_loopback(void **state)
{
	static const struct {
		const char *v6;
		bool loopback;
	} cases[] = {
		{ "::ffff:127.0.0.1", true },
		{ "::ffff:127.255.255.254", true },
		{ "::ffff:126.255.255.255", false },
		{ "::ffff:128.0.0.1", false },
		{ "::1", true },
		{ "::2", false },
		{ "::", false },
		{ "::127.0.0.1", false },
		{ "2001:db8::1", false },
		{ "fe80::1", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hp_tcp_flow f = flow6(cases[i].v6, 80, HP_TCP_ACTIVE);

		if (hp_tcp_flow__loopback(&f) != cases[i].loopback)
			fail_msg("%s: loopback %d, want %d", cases[i].v6, !cases[i].loopback,
				 cases[i].loopback);
	}
}

static void test_flow_parse(void **state)
{
	static const char *const bad[] = { "",		 "10.0.0.7:5432", "[::1]",     "::1/128",
					   "10.0.0.0/8", " 10.0.0.7",	  "10.0.0.7 ", "10.0.0.256",
					   "localhost",	 "1.2.3",	  "::g" };
	__u8 a[16], b[16];
	struct hp_tcp_flow f = { .direction = HP_TCP_PASSIVE };
	char buf[64];

	(void)state;
	assert_int_equal(hp_tcp_flow__parse_address("10.0.0.7", a), 0);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.7", b), 1);
	assert_memory_equal(a, b, 16);
	assert_int_equal(hp_tcp_flow__parse_address("::ffff:10.0.0.7", a), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(hp_tcp_flow__parse_address("2001:0DB8:0000::0001", a), 0);
	memcpy(f.addr, a, 16);
	assert_string_equal(hp_tcp_flow__address(&f, buf, sizeof(buf)), "2001:db8::1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hp_tcp_flow__parse_address(bad[i], a) == 0)
			fail_msg("'%s' parsed as an address", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_labels),
		cmocka_unit_test(test_flow_loopback),
		cmocka_unit_test(test_flow_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
