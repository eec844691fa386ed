/* Syscall name table, generated at build time from the committed user/syscalls_<arch>.tbl
 * (see the Makefile), so no runtime tool such as ausyscall is needed. */
#include "syscall_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
#include "syscall_names.inc"
};

#define NAMES_LEN (sizeof(names) / sizeof(names[0]))

const char *hp_syscall__name(long nr, char *buf, size_t size)
{
	if (nr >= 0 && (size_t)nr < NAMES_LEN && names[nr])
		snprintf(buf, size, "%s", names[nr]);
	else
		snprintf(buf, size, "sys_%ld", nr);
	return buf;
}

long hp_syscall__number(const char *name)
{
	if (strncmp(name, "sys_", 4) == 0 && name[4] >= '0' && name[4] <= '9') {
		char *end;
		long nr;

		errno = 0;
		nr = strtol(name + 4, &end, 10);
		if (errno || *end || nr < 0)
			return -1;
		return nr;
	}
	for (size_t i = 0; i < NAMES_LEN; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (long)i;
	return -1;
}

size_t hp_syscall__table_size(void)
{
	size_t n = 0;

	for (size_t i = 0; i < NAMES_LEN; i++)
		n += names[i] != NULL;
	return n;
}
