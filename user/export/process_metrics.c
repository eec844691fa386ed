// SPDX-License-Identifier: GPL-2.0-only
/* process_* families (see process_metrics.h): names, types and units as the Prometheus client
 * libraries define them (client_golang's process collector). */
#include "process_metrics.h"

#include <string.h>

#include "base/log.h"
#include "base/proc_self.h"
#include "prom.h"

int hp_process_metrics__render(struct hp_buf *out)
{
	struct hp_proc_self ps;
	const struct {
		const char *name;
		enum hp_prom_type type;
		const char *help;
		const double *value;
	} rows[] = {
		{ "process_cpu_seconds_total", HP_PROM_COUNTER,
		  "Total user and system CPU time spent in seconds.", &ps.cpu_seconds },
		{ "process_resident_memory_bytes", HP_PROM_GAUGE, "Resident memory size in bytes.",
		  &ps.resident_bytes },
		{ "process_virtual_memory_bytes", HP_PROM_GAUGE, "Virtual memory size in bytes.",
		  &ps.virtual_bytes },
		{ "process_open_fds", HP_PROM_GAUGE, "Number of open file descriptors.",
		  &ps.open_fds },
		{ "process_max_fds", HP_PROM_GAUGE, "Maximum number of open file descriptors.",
		  &ps.max_fds },
		{ "process_start_time_seconds", HP_PROM_GAUGE,
		  "Start time of the process since unix epoch in seconds.",
		  &ps.start_time_seconds },
	};
	int err = hp_proc_self__read(&ps);

	if (err) {
		hp_warn("/metrics: reading /proc/self failed (%s): process_* left out",
			strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hp_prom__family(out, rows[i].name, rows[i].type, rows[i].help);
		hp_prom__sample(out, rows[i].name, NULL, 0, *rows[i].value);
	}
	return 0;
}
