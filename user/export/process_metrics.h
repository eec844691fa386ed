/* SPDX-License-Identifier: GPL-2.0-only */
/* The standard process_* metric families every Prometheus client library exports, so the
 * agent's own CPU, memory and descriptors show up in the dashboards that already expect them. */
#ifndef HOSTPROF_PROCESS_METRICS_H
#define HOSTPROF_PROCESS_METRICS_H

#include "base/buf.h"

/*
 * Appends process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds and
 * process_start_time_seconds, read from /proc/self now (base/proc_self.h). If /proc cannot be
 * read, appends none of them and logs a warning (returns the negative errno; 0 otherwise).
 */
int hp_process_metrics__render(struct hp_buf *out);

#endif
