/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus families of the profile retention store (hostprof_<kind>_retention_*). */
#ifndef HOSTPROF_STORE_METRICS_H
#define HOSTPROF_STORE_METRICS_H

#include "base/buf.h"
#include "stores/profile_store.h"

/* Appends the hostprof_<kind>_retention_* gauge and counter families (one series per tier) of
 * the store of profile kind (a short word: "cpu") to out. */
void hp_profile_store__metrics(const struct hp_profile_store *st, const char *kind,
			       struct hp_buf *out);

#endif
