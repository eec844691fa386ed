// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the TCP collector's glue: the procfs parsers (listen counters of
 * /proc/net/netstat, the local port range) and the reset-reason names from a BTF enum. */
#include <bpf/btf.h>
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

#include "base/buf.h"
#include "collectors/tcp/tcp_procfs.h"
#include "collectors/tcp/tcp_rst.h"

/* The layout of a 6.x /proc/net/netstat (columns cut short): TcpExt, then IpExt, then MPTcpExt;
 * ListenOverflows is column 23 of TcpExt and TCPFastOpenListenOverflow a longer name after it. */
static const char netstat_text[] =
    "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled "
    "RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled "
    "PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs "
    "DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits "
    "TCPFastOpenListenOverflow\n"
    "TcpExt: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 4711 18446744073709551615 "
    "25 26\n"
    "IpExt: InNoRoutes InTruncatedPkts ListenOverflows\n"
    "IpExt: 0 0 99\n"
    "MPTcpExt: MPCapableSYNRX\n"
    "MPTcpExt: 7\n";

static void test_netstat_value(void **state)
{
	__u64 v = 0;

	(void)state;
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "ListenOverflows", &v), 0);
	assert_int_equal(v, 4711);
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "ListenDrops", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "SyncookiesSent", &v), 0);
	assert_int_equal(v, 1); /* first column */
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "TCPFastOpenListenOverflow", &v),
			 0);
	assert_int_equal(v, 26); /* last column, no trailing blank */
	/* the same name in another group is that group's */
	assert_int_equal(hp_netstat__value(netstat_text, "IpExt", "ListenOverflows", &v), 0);
	assert_int_equal(v, 99);
	assert_int_equal(hp_netstat__value(netstat_text, "MPTcpExt", "MPCapableSYNRX", &v), 0);
	assert_int_equal(v, 7); /* last line, no newline after it either way */
	/* a word only part of a name, a group only part of a group's name: not found */
	v = 5;
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "ListenDrop", &v), -ENOENT);
	assert_int_equal(hp_netstat__value(netstat_text, "TcpExt", "Overflows", &v), -ENOENT);
	assert_int_equal(hp_netstat__value(netstat_text, "Tcp", "ListenDrops", &v), -ENOENT);
	assert_int_equal(hp_netstat__value(netstat_text, "MPTcp", "MPCapableSYNRX", &v), -ENOENT);
	assert_int_equal(hp_netstat__value(netstat_text, "Udp", "InErrors", &v), -ENOENT);
	assert_int_equal(hp_netstat__value("", "TcpExt", "ListenDrops", &v), -ENOENT);
	assert_int_equal(v, 5); /* untouched */
}

static void expect_netstat(const char *text, int want, __u64 want_v)
{
	__u64 v = 12345;

	if (hp_netstat__value(text, "TcpExt", "ListenDrops", &v) != want)
		fail_msg("\"%s\": not %d", text, want);
	if (v != (want ? 12345 : want_v))
		fail_msg("\"%s\": value %llu", text, (unsigned long long)v);
}

static void test_netstat_malformed(void **state)
{
	(void)state;
	/* tabs and runs of blanks separate words too; CRs are not blanks */
	expect_netstat("TcpExt:\tListenOverflows  ListenDrops\nTcpExt: 3\t\t 4\n", 0, 4);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: 9", 0, 9);
	/* no values line, another group's line instead, fewer values than names */
	expect_netstat("TcpExt: ListenOverflows ListenDrops\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenOverflows ListenDrops\nIpExt: 1 2\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 \n", -EINVAL, 0);
	/* the value is not an unsigned 64-bit decimal */
	expect_netstat("TcpExt: ListenDrops\nTcpExt: -1\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: +1\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: 0x10\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: 12\r\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: 18446744073709551616\n", -EINVAL, 0);
	expect_netstat("TcpExt: ListenDrops\nTcpExt: 99999999999999999999999\n", -EINVAL, 0);
	/* a values line of the group does not make a names line of what follows */
	expect_netstat("TcpExt: A\nTcpExt: 1\nTcpExt: ListenDrops\nTcpExt: 8\n", 0, 8);
	expect_netstat("TcpExt ListenDrops\nTcpExt 8\n", -ENOENT, 0);
}

/* hp_tcp_procfs__listen reads a file: both counters or neither. */
static void test_netstat_file(void **state)
{
	char path[] = "/tmp/hostprof-test-netstat-XXXXXX";
	struct hp_tcp_listen l = { 1, 2 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, netstat_text, strlen(netstat_text)),
			 (ssize_t)strlen(netstat_text));
	assert_int_equal(hp_tcp_procfs__listen(path, &l), 0);
	assert_int_equal(l.overflows, 4711);
	assert_true(l.drops == UINT64_MAX);
	/* ListenDrops missing: -ENOENT, nothing written */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "TcpExt: ListenOverflows\nTcpExt: 5\n", 34, 0), 34);
	l = (struct hp_tcp_listen){ 1, 2 };
	assert_int_equal(hp_tcp_procfs__listen(path, &l), -ENOENT);
	assert_int_equal(l.overflows, 1);
	assert_int_equal(l.drops, 2);
	close(fd);
	unlink(path);
	assert_int_equal(hp_tcp_procfs__listen(path, &l), -ENOENT);
}

static void expect_range(const char *text, int want, __u16 want_lo, __u16 want_hi)
{
	__u16 lo = 7, hi = 8;

	if (hp_tcp_procfs__port_range(text, &lo, &hi) != want)
		fail_msg("\"%s\": not %d", text, want);
	if (want)
		want_lo = 7, want_hi = 8;
	if (lo != want_lo || hi != want_hi)
		fail_msg("\"%s\": %u-%u, want %u-%u", text, lo, hi, want_lo, want_hi);
}

static void test_port_range(void **state)
{
	(void)state;
	expect_range("32768\t60999\n", 0, 32768, 60999); /* what the kernel prints */
	expect_range("1024 65535", 0, 1024, 65535);
	expect_range("  1   1  \n", 0, 1, 1);
	expect_range("00080 00081\n", 0, 80, 81);
	expect_range("60999 32768\n", -EINVAL, 0, 0); /* lo above hi */
	expect_range("0 100\n", -EINVAL, 0, 0);
	expect_range("1 65536\n", -EINVAL, 0, 0);
	expect_range("1 100000\n", -EINVAL, 0, 0);
	expect_range("1 2 3\n", -EINVAL, 0, 0);
	expect_range("1\n", -EINVAL, 0, 0);
	expect_range("", -EINVAL, 0, 0);
	expect_range("-1 5\n", -EINVAL, 0, 0);
	expect_range("+1 5\n", -EINVAL, 0, 0);
	expect_range("1,5\n", -EINVAL, 0, 0);
	expect_range("1 5x\n", -EINVAL, 0, 0);
	expect_range("1 5\n6\n", -EINVAL, 0, 0);
	expect_range("1 5\n\n", -EINVAL, 0, 0);
}

/* A BTF holding enum sk_rst_reason as kernel 6.18 declares it, cut short, plus a value past the
 * table and the MAX bound. */
static struct btf *rst_btf(void)
{
	struct btf *btf = btf__new_empty();

	assert_non_null(btf);
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	assert_true(btf__add_enum(btf, "sk_rst_reason", 4) > 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_NOT_SPECIFIED", 0), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_NO_SOCKET", 1), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_TCP_STATE", 14), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_MPTCP_RST_EUNSPEC", 17), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_Weird-Name.2", 30), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_MAX", 25), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_LAST_NAMED", 62), 0);
	assert_int_equal(btf__add_enum_value(btf, "SK_RST_REASON_FAR", 200), 0);
	assert_int_equal(
	    btf__add_enum_value(
		btf, "SK_RST_REASON_A_NAME_FAR_TOO_LONG_FOR_A_LABEL_OF_THIS_TABLE_OF_NAMES", 40),
	    0);
	return btf;
}

static void test_rst_names(void **state)
{
	struct hp_tcp_rst_names n;
	struct btf *btf = rst_btf();

	(void)state;
	assert_int_equal(hp_tcp_rst_names__init(&n, btf), 0);
	assert_string_equal(n.name[0], "not_specified");
	assert_string_equal(n.name[1], "no_socket");
	assert_string_equal(n.name[14], "tcp_state");
	assert_string_equal(n.name[17], "mptcp_rst_eunspec");
	assert_string_equal(n.name[30], "weird_name_2");
	assert_string_equal(n.name[25], "reason_25"); /* MAX is a bound, not a reason */
	assert_string_equal(n.name[2], "reason_2");   /* not in this enum */
	assert_string_equal(n.name[40], "reason_40"); /* does not fit */
	assert_string_equal(n.name[62], "last_named");
	/* the programs count 63 and beyond (FAR = 200) in the last slot */
	assert_string_equal(n.name[HP_TCP_RST_REASONS - 1], "other");
	btf__free(btf);

	/* no enum: a kernel before 6.10 gives no reason, every reset is in slot 0 */
	btf = btf__new_empty();
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	assert_int_equal(hp_tcp_rst_names__init(&n, btf), -ENOENT);
	assert_string_equal(n.name[0], "unknown");
	assert_string_equal(n.name[1], "reason_1");
	assert_string_equal(n.name[HP_TCP_RST_REASONS - 1], "other");
	btf__free(btf);
	assert_int_equal(hp_tcp_rst_names__init(&n, NULL), -ENOENT);
	assert_string_equal(n.name[0], "unknown");
}

/* Only reasons with a count get a sample, each under its name. */
static void test_rst_metrics(void **state)
{
	struct hp_tcp_rst_names n;
	struct btf *btf = rst_btf();
	__u64 counts[HP_TCP_RST_REASONS] = { 0 };
	struct hp_buf out;

	(void)state;
	assert_int_equal(hp_tcp_rst_names__init(&n, btf), 0);
	btf__free(btf);
	counts[1] = 20;
	counts[14] = 3;
	counts[HP_TCP_RST_REASONS - 1] = 2;
	hp_buf__init(&out);
	hp_tcp_rst__metrics(&n, counts, &out);
	assert_non_null(out.data);
	assert_non_null(
	    strstr(out.data, "# TYPE hostprof_tcp_resets_sent_by_reason_total counter\n"));
	assert_non_null(strstr(
	    out.data, "\nhostprof_tcp_resets_sent_by_reason_total{reason=\"no_socket\"} 20\n"));
	assert_non_null(strstr(
	    out.data, "\nhostprof_tcp_resets_sent_by_reason_total{reason=\"tcp_state\"} 3\n"));
	assert_non_null(
	    strstr(out.data, "\nhostprof_tcp_resets_sent_by_reason_total{reason=\"other\"} 2\n"));
	assert_null(strstr(out.data, "not_specified"));
	{
		/* three samples: one line each after the two header lines */
		int lines = 0;

		for (const char *p = out.data; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 5);
	}
	hp_buf__free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat_value), cmocka_unit_test(test_netstat_malformed),
		cmocka_unit_test(test_netstat_file),  cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_rst_names),     cmocka_unit_test(test_rst_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
