/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTP endpoints for profiles of any kind, built from the registered profile sources, so a new
 * profile-producing collector gets /api/v1/profile/<kind>, /flamegraph?kind= and its Go-style
 * path without HTTP code of its own. */
#ifndef HOSTPROF_PROFILE_API_H
#define HOSTPROF_PROFILE_API_H

#include <stddef.h>

#include "http.h"
#include "stores/profile_source.h"

struct hp_profile_api {
	const struct hp_profile_registry *reg;
	struct hp_route *routes; /* NULL-path terminated: an hp_http__start table */
	char **strings;		 /* paths and summaries the routes point to */
	size_t nstrings;
};

/*
 * Builds the routes for the sources registered in reg now (it must not change while they are
 * served): per source /api/v1/profile/<kind> and its go_path (long-running, ctx: the source),
 * then /flamegraph (?kind=, default cpu) and the catch-all "/api/v1/profile/ *" (no space; the
 * HTTP layer's prefix match), which answers 404 with a JSON error naming the known kinds.
 * Parameters, status codes and formats are those of the CPU endpoints before kinds existed.
 * 0 or -ENOMEM (nothing to free then).
 */
int hp_profile_api__init(struct hp_profile_api *api, const struct hp_profile_registry *reg);
void hp_profile_api__free(struct hp_profile_api *api);
/* The source of kind, or NULL with resp set to a JSON error listing the known kinds, of status
 * 404 (the kind is the path: /api/v1/profile/<kind>) or 400 (a parameter: /flamegraph?kind=). */
struct hp_profile_source *hp_profile_api__lookup(const struct hp_profile_registry *reg,
						 const char *kind, unsigned int status,
						 struct hp_response *resp);
/* The kind in a path "/api/v1/profile/<kind>" (maybe ""), or NULL for another path. */
const char *hp_profile_api__kind_of(const char *path);

#endif
