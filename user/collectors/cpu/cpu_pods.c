// SPDX-License-Identifier: GPL-2.0-only
/* CPU time per pod for /metrics (--pod-metrics): every drained sample weight summed per pod into
 * hostprof_pod_cpu_seconds_total, kept apart from the drain's labels and profile code. */
#include "collector_cpu.h"

#include "collectors/pod_drain.h"

#define CPU_POD_FAMILY "hostprof_pod_cpu_seconds_total"

int hp_cpu_pods__init(struct cpu_state *s, const struct hp_config *cfg)
{
	return hp_pod_drain__new(&s->pods, cfg, s->svc);
}

void hp_cpu_pods__drain(struct cpu_state *s, double now)
{
	const struct hp_cpu_key *keys = s->drain.keys;

	if (!s->pods)
		return;
	for (size_t i = 0; i < s->drain.nkeys; i++) {
		const struct hp_count *c = &s->drain.counts[i];
		/* weight: count x the sampling period, ns of CPU time */
		struct hp_pod_series_delta d = { .count = c->count, .sum_ns = c->weight };

		if (c->count)
			hp_pod_drain__add(s->pods, keys[i].cgroup_id, (pid_t)keys[i].tgid, &d);
	}
	hp_pod_drain__commit(s->pods, now);
}

void hp_cpu_pods__metrics(struct cpu_state *s, struct hp_buf *out)
{
	if (s->pods)
		hp_pod_series__render_counter(
		    s->pods->series, out, CPU_POD_FAMILY,
		    "CPU time sampled in each pod (sample count x period), for the top pods by "
		    "recent CPU time (--pod-top-k); the rest, and what a pod used before it "
		    "entered "
		    "the top, as pod=\"other\".",
		    HP_POD_SUM_SECONDS);
}

void hp_cpu_pods__self_stats(struct cpu_state *s, struct hp_self_stats *out)
{
	if (s->pods)
		hp_pod_series__self_stats(s->pods->series, out);
}

void hp_cpu_pods__free(struct cpu_state *s)
{
	hp_pod_drain__free(s->pods);
	s->pods = NULL;
}
