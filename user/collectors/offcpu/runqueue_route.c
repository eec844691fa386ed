// SPDX-License-Identifier: GPL-2.0-only
/* The /api/v1/runqueue route of the off-CPU collector: reaches the run-queue state through the
 * collector's accessor; kept apart from runqueue_api.c so tests serve the API on their own state. */
#include "collectors/collector.h"
#include "runqueue.h"

static void route__runqueue(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp)
{
	hp_runqueue__serve(route->ctx, hp_offcpu__runqueue, req, resp);
}

const struct hp_route hp_runqueue_routes[] = {
	{ "/api/v1/runqueue", hp_runqueue_params, route__runqueue, NULL,
	  "run-queue latency per process or cgroup: waits, total, p50/p90/p99/max (JSON; "
	  "?window=10s&group_by=cgroup&sort=p99&limit=20&pid=&comm=)",
	  false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};
