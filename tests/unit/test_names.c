// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for syscall and errno naming: the "syscall" and "errno" label values on /metrics.
 * A wrong table entry silently mislabels a series, so known numbers are checked by hand. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collectors/syscalls/errno_names.h"
#include "hp_syscalls.h"
#include "collectors/syscalls/syscall_names.h"

static const char *sc_name(long nr)
{
	static char buf[64];

	memset(buf, 'X', sizeof(buf));
	/* native keys are the syscall numbers themselves (include/hp_syscalls.h) */
	return hp_syscall__key_name((unsigned int)nr, buf, sizeof(buf));
}

static const char *slot_name(unsigned int slot)
{
	static char buf[64];

	memset(buf, 'X', sizeof(buf));
	return hp_errno__slot_name(slot, buf, sizeof(buf));
}

static void test_syscall_names_known(void **state)
{
	(void)state;
	/* x86_64 numbers from arch/x86/entry/syscalls/syscall_64.tbl */
	assert_string_equal(sc_name(0), "read");
	assert_string_equal(sc_name(1), "write");
	assert_string_equal(sc_name(3), "close");
	assert_string_equal(sc_name(35), "nanosleep");
	assert_string_equal(sc_name(59), "execve");
	assert_string_equal(sc_name(60), "exit");
	assert_string_equal(sc_name(231), "exit_group");
	assert_string_equal(sc_name(257), "openat");
	assert_string_equal(sc_name(334), "rseq");
	assert_string_equal(sc_name(335), "uretprobe");
	assert_string_equal(sc_name(336), "uprobe");
	assert_string_equal(sc_name(424), "pidfd_send_signal");
	assert_string_equal(sc_name(435), "clone3");
	assert_string_equal(sc_name(470), "listns");
}

static const char *key_name(unsigned int abi, long nr)
{
	static char buf[64];

	memset(buf, 'X', sizeof(buf));
	return hp_syscall__key_name((unsigned int)hp_sc__key(abi, nr), buf, sizeof(buf));
}

/* The same number is another call in each ABI: i386 and x32 from their own tables
 * (arch/x86/entry/syscalls/syscall_32.tbl, syscall_64.tbl's x32 entries). */
static void test_syscall_names_by_abi(void **state)
{
	(void)state;
	assert_string_equal(key_name(HP_SC_ABI_NATIVE, 20), "writev");
	assert_string_equal(key_name(HP_SC_ABI_I386, 20), "getpid");
	assert_string_equal(key_name(HP_SC_ABI_NATIVE, 5), "fstat");
	assert_string_equal(key_name(HP_SC_ABI_I386, 5), "open");
	assert_string_equal(key_name(HP_SC_ABI_NATIVE, 162), "sync");
	assert_string_equal(key_name(HP_SC_ABI_I386, 162), "nanosleep");
	assert_string_equal(key_name(HP_SC_ABI_I386, 0), "restart_syscall");
	assert_string_equal(key_name(HP_SC_ABI_I386, 119), "sigreturn");
	assert_string_equal(key_name(HP_SC_ABI_I386, 173), "rt_sigreturn");
	assert_string_equal(key_name(HP_SC_ABI_I386, 470), "listns");
	assert_string_equal(key_name(HP_SC_ABI_I386, 335), "rt_tgsigqueueinfo");
	assert_string_equal(key_name(HP_SC_ABI_X32, 39), "getpid");
	assert_string_equal(key_name(HP_SC_ABI_X32, 512), "rt_sigaction");
	assert_string_equal(key_name(HP_SC_ABI_X32, 513), "rt_sigreturn");
	assert_string_equal(key_name(HP_SC_ABI_X32, 547), "pwritev2");
	assert_string_equal(key_name(HP_SC_ABI_X32, 13), "sys_13"); /* x86_64-only rt_sigaction */
	assert_string_equal(key_name(HP_SC_ABI_X32, 575), "sys_575");
	assert_string_equal(hp_syscall__abi_name(HP_SC_ABI_NATIVE), "x86_64");
	assert_string_equal(hp_syscall__abi_name(HP_SC_ABI_I386), "i386");
	assert_string_equal(hp_syscall__abi_name(HP_SC_ABI_X32), "x32");
	/* keys are disjoint and bounded */
	assert_int_equal(hp_sc__key(HP_SC_ABI_NATIVE, HP_SC_MAX_NR), -1);
	assert_int_equal(hp_sc__key(HP_SC_ABI_I386, HP_SC_MAX_NR), -1);
	assert_int_equal(hp_sc__key(HP_SC_ABI_X32, HP_SC_X32_MAX_NR), -1);
	assert_int_equal(hp_sc__key(HP_SC_ABI_I386, -1), -1);
	assert_int_equal(hp_sc__key(HP_SC_ABI_X32, HP_SC_X32_MAX_NR - 1), HP_SC_KEYS - 1);
	for (unsigned int abi = 0; abi < HP_SC_ABI__COUNT; abi++)
		for (long nr = 0; nr < HP_SC_X32_MAX_NR; nr++) {
			long key = hp_sc__key(abi, nr);

			if (key < 0)
				continue;
			assert_true(key < HP_SC_KEYS);
			assert_int_equal(hp_sc_key__abi((unsigned int)key), abi);
			assert_int_equal(hp_sc_key__nr((unsigned int)key), nr);
			assert_int_equal(hp_syscall__key(abi, key_name(abi, nr)), key);
		}
}

static void test_syscall_names_unknown(void **state)
{
	(void)state;
	assert_string_equal(sc_name(400), "sys_400"); /* gap 335..423 on x86_64 */
	assert_string_equal(sc_name(511), "sys_511");
	/* a key past every range names its x32-relative number, never reads past a table */
	assert_string_equal(sc_name(HP_SC_KEYS + 7), "sys_583");
}

static void test_syscall_name_truncation(void **state)
{
	char buf[5];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(hp_syscall__key_name(257, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "open");
	memset(buf, 'X', sizeof(buf));
	hp_syscall__key_name(400, buf, sizeof(buf));
	assert_string_equal(buf, "sys_");
}

static void test_syscall_numbers(void **state)
{
	(void)state;
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "read"), 0);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "nanosleep"), 35);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "execve"), 59);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "openat"), 257);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "clone3"), 435);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "listns"), 470);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_123"), 123);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_0"), 0);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_511"), 511);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_9999"), -1); /* past the range */
}

static void test_syscall_numbers_unknown(void **state)
{
	(void)state;
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "no_such_syscall"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, ""), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "READ"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "read "), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_-1"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_12x"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_ 1"), -1);
	assert_int_equal(hp_syscall__key(HP_SC_ABI_NATIVE, "sys_99999999999999999999999"), -1);
}

static void test_syscall_round_trip(void **state)
{
	char buf[64];

	(void)state;
	/* every number the collector can report maps to a label that maps back to it */
	for (long nr = 0; nr < HP_SC_MAX_NR; nr++) {
		hp_syscall__key_name((unsigned int)nr, buf, sizeof(buf));
		if (hp_syscall__key(HP_SC_ABI_NATIVE, buf) != nr)
			fail_msg("name(%ld) = \"%s\" maps back to %ld", nr, buf,
				 hp_syscall__key(HP_SC_ABI_NATIVE, buf));
	}
}

static void test_syscall_table_size(void **state)
{
	size_t named = 0;

	(void)state;
	/* x86_64 has about 380 syscalls; the table must not have lost or invented many */
	for (long nr = 0; nr < HP_SC_MAX_NR; nr++) {
		char want[32];

		snprintf(want, sizeof(want), "sys_%ld", nr);
		named += strcmp(sc_name(nr), want) != 0;
	}
	assert_true(named > 370);
}

static void test_errno_slot_mapping(void **state)
{
	(void)state;
	/* 133 user codes, 20 kernel-internal codes 512..531, the overflow slot, then the EINTR
	 * outcomes of the four restart codes */
	assert_int_equal(HP_ERRNO_SLOT_OTHER, 154);
	assert_int_equal(HP_ERRNO_SLOT_EINTR_FROM, 155);
	assert_int_equal(HP_ERRNO_SLOTS, 159);
	assert_int_equal(hp_errno__slot(1), 1);
	assert_int_equal(hp_errno__slot(ENOENT), 2);
	assert_int_equal(hp_errno__slot(133), 133);
	assert_int_equal(hp_errno__slot(512), 134);
	assert_int_equal(hp_errno__slot(520), 142);
	assert_int_equal(hp_errno__slot(531), 153);
	assert_int_equal(hp_errno__slot(0), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(-1), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(-ENOENT), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(134), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(511), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(532), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(4095), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(LONG_MAX), HP_ERRNO_SLOT_OTHER);
	assert_int_equal(hp_errno__slot(LONG_MIN), HP_ERRNO_SLOT_OTHER);
}

static void test_errno_slots_distinct(void **state)
{
	unsigned int seen[HP_ERRNO_SLOTS] = { 0 };

	(void)state;
	/* every real slot is reached by exactly one errno value */
	for (long err = -10; err < 700; err++) {
		unsigned int s = hp_errno__slot(err);

		assert_true(s < HP_ERRNO_SLOTS);
		if (s != HP_ERRNO_SLOT_OTHER)
			seen[s]++;
	}
	assert_int_equal(seen[0], 0);
	for (unsigned int s = 1; s < HP_ERRNO_SLOT_OTHER; s++)
		assert_int_equal(seen[s], 1);
}

static void test_errno_names_user(void **state)
{
	(void)state;
	assert_string_equal(slot_name(hp_errno__slot(EPERM)), "EPERM");
	assert_string_equal(slot_name(2), "ENOENT");
	assert_string_equal(slot_name(hp_errno__slot(EINTR)), "EINTR");
	assert_string_equal(slot_name(hp_errno__slot(EAGAIN)), "EAGAIN");
	assert_string_equal(slot_name(hp_errno__slot(110)), "ETIMEDOUT");
	assert_string_equal(slot_name(hp_errno__slot(133)), "EHWPOISON");
	/* 41 and 58 are unassigned in Linux */
	assert_string_equal(slot_name(hp_errno__slot(41)), "E41");
	assert_string_equal(slot_name(hp_errno__slot(58)), "E58");
}

static void test_errno_names_kernel(void **state)
{
	(void)state;
	/* include/linux/errno.h */
	assert_string_equal(slot_name(hp_errno__slot(512)), "ERESTARTSYS");
	assert_string_equal(slot_name(hp_errno__slot(513)), "ERESTARTNOINTR");
	assert_string_equal(slot_name(hp_errno__slot(514)), "ERESTARTNOHAND");
	assert_string_equal(slot_name(hp_errno__slot(516)), "ERESTART_RESTARTBLOCK");
	assert_string_equal(slot_name(hp_errno__slot(524)), "ENOTSUPP");
	assert_string_equal(slot_name(hp_errno__slot(531)), "ENOGRACE");
	/* 520 has no name in the kernel */
	assert_string_equal(slot_name(hp_errno__slot(520)), "E520");
}

static void test_errno_names_other(void **state)
{
	char buf[3];

	(void)state;
	assert_string_equal(slot_name(HP_ERRNO_SLOT_OTHER), "other");
	assert_string_equal(slot_name(hp_errno__slot(9999)), "other");
	assert_string_equal(slot_name(0), "other");
	assert_string_equal(slot_name(UINT32_MAX), "other");
	/* bounded write */
	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(hp_errno__slot_name(2, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "EN");
}

/* The restart codes signal handling rewrites (include/linux/errno.h) and what each slot exports */
static void test_errno_restart_outcomes(void **state)
{
	(void)state;
	assert_int_equal(hp_restart__index(512), HP_RESTART_SYS);
	assert_int_equal(hp_restart__index(513), HP_RESTART_NOINTR);
	assert_int_equal(hp_restart__index(514), HP_RESTART_NOHAND);
	assert_int_equal(hp_restart__index(515), -1); /* ENOIOCTLCMD: not a restart code */
	assert_int_equal(hp_restart__index(516), HP_RESTART_RESTARTBLOCK);
	assert_int_equal(hp_restart__index(4), -1);
	for (int r = 0; r < HP_RESTART__COUNT; r++)
		assert_int_equal(hp_restart__index(hp_restart__code(r)), r);

	assert_string_equal(hp_errno__slot_outcome(hp_errno__slot(512)), "restarted");
	assert_string_equal(hp_errno__slot_outcome(hp_errno__slot(516)), "restarted");
	assert_string_equal(hp_errno__slot_outcome(hp_errno__slot(515)), "returned");
	assert_string_equal(hp_errno__slot_outcome(hp_errno__slot(531)), "returned");
	assert_null(hp_errno__slot_outcome(hp_errno__slot(EINTR)));
	assert_null(hp_errno__slot_outcome(HP_ERRNO_SLOT_OTHER));
	assert_null(hp_errno__slot_outcome(HP_ERRNO_SLOT_USED));
	assert_null(hp_errno__slot_outcome(HP_ERRNO_SLOTS));
	/* an EINTR-outcome slot is named by the code it came from, and is not an error itself */
	assert_string_equal(hp_errno__slot_outcome(HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_NOHAND),
			    "eintr");
	assert_string_equal(slot_name(HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_SYS), "ERESTARTSYS");
	assert_string_equal(slot_name(HP_ERRNO_SLOT_EINTR_FROM + HP_RESTART_RESTARTBLOCK),
			    "ERESTART_RESTARTBLOCK");
	for (unsigned int s = 0; s < HP_ERRNO_SLOTS + 2; s++)
		assert_int_equal(hp_errno__slot_is_error(s),
				 s != 0 && (s <= HP_ERRNO_USER_MAX || s == HP_ERRNO_SLOT_OTHER));
	assert_true(hp_errno__slot_is_error(HP_ERRNO_EINTR));
	assert_int_equal(hp_errno__slot(EINTR), HP_ERRNO_EINTR);
}

static void test_errno_names_all_valid(void **state)
{
	(void)state;
	/* every slot has a non-empty label made of [A-Z0-9_] (or "other") */
	for (unsigned int s = 0; s < HP_ERRNO_SLOTS; s++) {
		const char *n = slot_name(s);

		assert_true(n[0] != '\0');
		if (strcmp(n, "other") == 0) {
			assert_true(s == 0 || s == HP_ERRNO_SLOT_OTHER);
			continue;
		}
		assert_true(n[0] == 'E');
		assert_int_equal(strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"), strlen(n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_names_known),
		cmocka_unit_test(test_syscall_names_by_abi),
		cmocka_unit_test(test_syscall_names_unknown),
		cmocka_unit_test(test_syscall_name_truncation),
		cmocka_unit_test(test_syscall_numbers),
		cmocka_unit_test(test_syscall_numbers_unknown),
		cmocka_unit_test(test_syscall_round_trip),
		cmocka_unit_test(test_syscall_table_size),
		cmocka_unit_test(test_errno_slot_mapping),
		cmocka_unit_test(test_errno_slots_distinct),
		cmocka_unit_test(test_errno_names_user),
		cmocka_unit_test(test_errno_names_kernel),
		cmocka_unit_test(test_errno_names_other),
		cmocka_unit_test(test_errno_restart_outcomes),
		cmocka_unit_test(test_errno_names_all_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
