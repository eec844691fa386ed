// SPDX-License-Identifier: GPL-2.0-only
/* Syscall name tables, generated at build time from the committed user/syscalls_<abi>.tbl (see
 * the Makefile), so no runtime tool such as ausyscall is needed; one table per ABI. */
#include "syscall_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_syscalls.h"

static const char *const native_names[] = {
#include "syscall_names.inc"
};

#if defined(__x86_64__)
static const char *const i386_names[] = {
#include "syscall_names_i386.inc"
};
static const char *const x32_names[] = {
#include "syscall_names_x32.inc"
};
#define NATIVE_ABI "x86_64"
#elif defined(__aarch64__)
#define NATIVE_ABI "aarch64"
#else
#define NATIVE_ABI "native"
#endif

static const struct {
	const char *abi;
	const char *const *names;
	size_t len;
} tables[HP_SC_ABI__COUNT] = {
	[HP_SC_ABI_NATIVE] = { NATIVE_ABI, native_names,
			       sizeof(native_names) / sizeof(native_names[0]) },
#if defined(__x86_64__)
	[HP_SC_ABI_I386] = { "i386", i386_names, sizeof(i386_names) / sizeof(i386_names[0]) },
	[HP_SC_ABI_X32] = { "x32", x32_names, sizeof(x32_names) / sizeof(x32_names[0]) },
#else
	[HP_SC_ABI_I386] = { "i386", NULL, 0 },
	[HP_SC_ABI_X32] = { "x32", NULL, 0 },
#endif
};

const char *hp_syscall__abi_name(unsigned int abi)
{
	return abi < HP_SC_ABI__COUNT ? tables[abi].abi : "?";
}

const char *hp_syscall__key_name(unsigned int key, char *buf, size_t size)
{
	unsigned int abi = hp_sc_key__abi(key), nr = hp_sc_key__nr(key);

	if (key < HP_SC_KEYS && nr < tables[abi].len && tables[abi].names[nr])
		snprintf(buf, size, "%s", tables[abi].names[nr]);
	else
		snprintf(buf, size, "sys_%u", nr);
	return buf;
}

long hp_syscall__key(unsigned int abi, const char *name)
{
	if (abi >= HP_SC_ABI__COUNT)
		return -1;
	if (strncmp(name, "sys_", 4) == 0 && name[4] >= '0' && name[4] <= '9') {
		char *end;
		long nr;

		errno = 0;
		nr = strtol(name + 4, &end, 10);
		if (errno || *end || nr < 0)
			return -1;
		return hp_sc__key(abi, nr);
	}
	for (size_t i = 0; i < tables[abi].len; i++)
		if (tables[abi].names[i] && strcmp(tables[abi].names[i], name) == 0)
			return hp_sc__key(abi, (long)i);
	return -1;
}
