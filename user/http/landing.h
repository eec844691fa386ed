/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML landing page at "/": every endpoint the agent serves, generated from the route tables
 * so a new collector's endpoints appear without touching this page. */
#ifndef HOSTPROF_LANDING_H
#define HOSTPROF_LANDING_H

#include "base/buf.h"
#include "http.h"

void hp_landing__render(struct hp_buf *out, const struct hp_route *const *tables, int ntables);

#endif
