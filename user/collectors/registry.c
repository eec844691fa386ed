// SPDX-License-Identifier: GPL-2.0-only
/* The registry: every collector compiled in, in --help and start-up order. A new collector is
 * one line here (its ops are named hp_collector_<name>, defined in collectors/<name>/). */
#include "collector.h"

#define HP_COLLECTORS(X)                                                                           \
	X(syscalls)                                                                                \
	X(cpu)                                                                                     \
	X(offcpu)                                                                                  \
	X(tcp)

#define HP_COLLECTOR_DECLARE(name) extern const struct hp_collector_ops hp_collector_##name;
#define HP_COLLECTOR_ENTRY(name) &hp_collector_##name,

HP_COLLECTORS(HP_COLLECTOR_DECLARE)

const struct hp_collector_ops *const hp_collectors_all[] = { HP_COLLECTORS(HP_COLLECTOR_ENTRY)
								 NULL };
