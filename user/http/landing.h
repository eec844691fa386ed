/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML landing page at "/": every endpoint the agent serves, generated from the route tables
 * so a new collector's endpoints appear without touching this page. */
#ifndef HOSTPROF_LANDING_H
#define HOSTPROF_LANDING_H

#include "base/buf.h"
#include "http.h"

/* One collector of --collectors: running (reason "") or down, with the reason label of
 * hostprof_collector_up ("verifier", "attach", ...). */
struct hp_landing_collector {
	const char *name;
	const char *reason;
};

/* The page: the ncols collectors and whether each runs, then every non-prefix route of the
 * ntables tables (each NULL-path-terminated) with its summary. */
void hp_landing__render(struct hp_buf *out, const struct hp_route *const *tables, int ntables,
			const struct hp_landing_collector *cols, int ncols);

#endif
