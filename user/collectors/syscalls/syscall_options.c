// SPDX-License-Identifier: GPL-2.0-only
/* The syscall collector's command-line options (see syscall_options.h): names, bounds, defaults
 * and help in one table that the CLI merges with the others. */
#include "syscall_options.h"

#include <stddef.h>

_Static_assert(sizeof(struct hp_syscalls_config) <= HP_COLLECTOR_CONFIG_BYTES,
	       "syscalls config too big");

const struct hp_option hp_syscalls_options[] = {
	{ .name = "comm-top",
	  .kind = HP_OPT_UINT,
	  .metavar = "K",
	  .min = 0,
	  .max = 1000,
	  .def = 0,
	  .offset = offsetof(struct hp_syscalls_config, comm_top),
	  .help = "syscalls per process name: top K names, the rest as comm=\"other\"",
	  .want = "0..1000" },
	{ .name = "comm-map-size",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 64,
	  .max = 1 << 20,
	  .def = 16384,
	  .offset = offsetof(struct hp_syscalls_config, comm_map_entries),
	  .help = "(comm, syscall) keys the breakdown holds (default 16384)",
	  .want = "64..1048576" },
	{ 0 },
};
