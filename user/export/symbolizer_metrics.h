/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus families of the symbolizer (hostprof_symbolizer_*): rendered once per page by the
 * agent for the one symbolizer every collector shares, so no family appears twice. */
#ifndef HOSTPROF_SYMBOLIZER_METRICS_H
#define HOSTPROF_SYMBOLIZER_METRICS_H

#include "base/buf.h"
#include "symbolize/symbolizer.h"

/* Appends the hostprof_symbolizer_* families (lookups, cache sizes against their budget,
 * evictions, refused files, unresolved addresses) of st to out. */
void hp_symbolizer_stats__metrics(const struct hp_symbolizer_stats *st, struct hp_buf *out);

#endif
