// SPDX-License-Identifier: GPL-2.0-only
/* TCP per pod for /metrics (--pod-metrics): connect latency and data retransmits of each drain's
 * flow deltas, summed per pod through their cgroup (--pod-metrics keys flows by cgroup). */
#include "tcp.h"

#include "collectors/pod_drain.h"

#define TCP_POD_CONNECT "hostprof_pod_tcp_connect_latency_seconds"
#define TCP_POD_RETRANSMITS "hostprof_pod_tcp_retransmits_total"

int hp_tcp__pods_init(struct hp_tcp_state *t, const struct hp_config *cfg, struct hp_services *svc)
{
	return hp_pod_drain__new(&t->pods, cfg, svc);
}

void hp_tcp__pods(struct hp_tcp_state *t, const struct hp_tcp_row *delta, size_t m, double now)
{
	if (!t->pods)
		return;
	for (size_t i = 0; i < m; i++) {
		const struct hp_tcp_val *v = &delta[i].v;
		bool active = delta[i].id.direction == HP_TCP_ACTIVE;
		/* connect latency of active opens that succeeded (the host-wide family's), data
		 * segments resent in either direction */
		struct hp_pod_series_delta d = {
			.count = active ? v->results[HP_TCP_OK] : 0,
			.sum_ns = active ? v->open_sum_ns : 0,
			.errors = v->retransmits,
			.buckets = active ? v->open_buckets : NULL,
		};

		if (d.count || d.sum_ns || d.errors)
			hp_pod_drain__add(t->pods, delta[i].id.cgroup_id, 0, &d);
	}
	hp_pod_drain__commit(t->pods, now);
}

void hp_tcp__pods_metrics(const struct hp_tcp_state *t, struct hp_buf *out)
{
	if (!t->pods)
		return;
	hp_pod_series__render_histogram(
	    t->pods->series, out, TCP_POD_CONNECT,
	    "Connect latency (SYN sent to ESTABLISHED) of the active opens that succeeded, by the "
	    "opening socket's pod, for the top pods by recent connect time (--pod-top-k); the "
	    "rest, and what a pod counted before it entered the top, as pod=\"other\".");
	hp_pod_series__render_counter(
	    t->pods->series, out, TCP_POD_RETRANSMITS,
	    "Data segments retransmitted by sockets of each pod (both directions); series as "
	    "hostprof_pod_tcp_connect_latency_seconds.",
	    HP_POD_ERRORS);
}

void hp_tcp__pods_self_stats(const struct hp_tcp_state *t, struct hp_self_stats *out)
{
	if (t->pods)
		hp_pod_series__self_stats(t->pods->series, out);
}
