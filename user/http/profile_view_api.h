/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP side of profile views (stores/profile_view.h): collecting a view's parts for one
 * request, past or from now on, with the same statuses as a kind's own endpoints. */
#ifndef HOSTPROF_PROFILE_VIEW_API_H
#define HOSTPROF_PROFILE_VIEW_API_H

#include <stdint.h>

#include "http.h"
#include "stores/profile_view.h"

/*
 * Fills out (initialised here, freed unless 200) with view for process pid over the past since
 * seconds (since > 0), or recorded for the next seconds: every part subscribed at once so they
 * cover the same window. srcs from hp_profile_view__resolve. Returns an HTTP status with resp set
 * to a JSON error unless 200: 503 (shutting down, too many recordings), 499 (the client left),
 * 500 (a drain or OOM).
 */
unsigned int hp_profile_view_api__collect(const struct hp_profile_view *view,
					  struct hp_profile_source *const *srcs,
					  const struct hp_request *req, double seconds,
					  double since, uint32_t pid, struct hp_profile *out,
					  struct hp_response *resp);

#endif
