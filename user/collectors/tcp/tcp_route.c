// SPDX-License-Identifier: GPL-2.0-only
/* The /api/v1/tcp route of the TCP collector: reaches the state through the collector's accessor;
 * kept apart from tcp_api.c so tests serve the API on a state of their own. */
#include "collectors/collector.h"
#include "tcp.h"

static void route__tcp(const struct hp_route *route, const struct hp_request *req,
		       struct hp_response *resp)
{
	hp_tcp__serve(route->ctx, hp_tcp__state, req, resp);
}

const struct hp_route hp_tcp_routes[] = {
	{ "/api/v1/tcp", hp_tcp_params, route__tcp, NULL,
	  "TCP per peer or service port: connects, errors, connect/handshake, RTT and lifetime "
	  "p50/p90/p99/max, retransmits, resets, bytes (JSON; "
	  "?window=10s&group_by=port&sort=rtt_p99"
	  "&direction=&port=&peer=&loopback=exclude&limit=20)",
	  false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};
