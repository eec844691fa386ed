/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus families of the profile retention store (hostprof_cpu_retention_*). */
#ifndef HOSTPROF_STORE_METRICS_H
#define HOSTPROF_STORE_METRICS_H

#include "base/buf.h"
#include "stores/cpu_store.h"

/* Appends the hostprof_cpu_retention_* gauge and counter families (one series per tier) to out. */
void hp_cpu_store__metrics(const struct hp_cpu_store *st, struct hp_buf *out);

#endif
