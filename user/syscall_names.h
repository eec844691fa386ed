/* Syscall number <-> name for the agent's own architecture, from the table committed in
 * user/syscalls_<arch>.tbl; numbers without a name print as "sys_<nr>". */
#ifndef HOSTPROF_SYSCALL_NAMES_H
#define HOSTPROF_SYSCALL_NAMES_H

#include <stddef.h>

/* Writes the name of syscall nr into buf (always NUL-terminated) and returns buf. */
const char *hp_syscall__name(long nr, char *buf, size_t size);
/* Number of the syscall called name ("read", or "sys_<nr>"); -1 if unknown. */
long hp_syscall__number(const char *name);
/* Number of named entries in the table (for tests and the landing page). */
size_t hp_syscall__table_size(void);

#endif
