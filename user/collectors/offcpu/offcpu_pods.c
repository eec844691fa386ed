// SPDX-License-Identifier: GPL-2.0-only
/* Off-CPU and run-queue time per pod for /metrics (--pod-metrics): blocked time from the drained
 * keys, run-queue waits from the drained per-cgroup rows, kept apart from the drain's labels. */
#include "collector_offcpu.h"
#include "runqueue.h"

#include "collectors/pod_drain.h"

#define OFFCPU_POD_FAMILY "hostprof_pod_offcpu_seconds_total"
#define RQ_POD_FAMILY "hostprof_pod_runqueue_latency_seconds"

int hp_offcpu_pods__init(struct offcpu_state *s, const struct hp_config *cfg)
{
	int err = hp_pod_drain__new(&s->pods, cfg, s->svc);

	if (!err && s->rq_ready)
		err = hp_pod_drain__new(&s->rq.pods, cfg, s->svc);
	return err;
}

void hp_offcpu_pods__drain(struct offcpu_state *s, double now)
{
	const struct hp_offcpu_key *keys = s->drain.keys;

	if (!s->pods)
		return;
	for (size_t i = 0; i < s->drain.nkeys; i++) {
		const struct hp_count *c = &s->drain.counts[i];
		/* blocked time only: the run-queue part of an interval is a runnable key (and the
		 * run-queue family has every wait exactly) */
		struct hp_pod_series_delta d = { .count = c->count >> HP_OFFCPU_EVENT_SHIFT,
						 .sum_ns = c->weight };

		if (keys[i].state_class == HP_OFFCPU_BLOCKED && c->weight)
			hp_pod_drain__add(s->pods, keys[i].cgroup_id, (pid_t)keys[i].tgid, &d);
	}
	hp_pod_drain__commit(s->pods, now);
}

void hp_runqueue__pods(struct hp_runqueue *rq, const struct hp_rq_row *cg, size_t k, double now)
{
	if (!rq->pods)
		return;
	for (size_t j = 0; j < k; j++) {
		const struct hp_rq_cgroup_acc *acc = hp_runqueue__cgroup(rq, cg[j].cgroup_id);
		struct hp_pod_series_delta d = { cg[j].count, cg[j].sum_ns, 0, cg[j].buckets };

		hp_pod_drain__add(rq->pods, cg[j].cgroup_id, acc ? (pid_t)acc->tgid : 0, &d);
	}
	hp_pod_drain__commit(rq->pods, now);
}

void hp_offcpu_pods__metrics(struct offcpu_state *s, struct hp_buf *out)
{
	if (s->pods)
		hp_pod_series__render_counter(
		    s->pods->series, out, OFFCPU_POD_FAMILY,
		    "Time threads of each pod spent blocked off-CPU (sampled, unbiased; run-queue "
		    "wait excluded), for the top pods by recent blocked time (--pod-top-k); the "
		    "rest, and what a pod counted before it entered the top, as pod=\"other\".",
		    HP_POD_SUM_SECONDS);
	if (s->rq_ready && s->rq.pods)
		hp_pod_series__render_histogram(
		    s->rq.pods->series, out, RQ_POD_FAMILY,
		    "Run-queue latency by pod (every wait), for the top pods by recent wait "
		    "(--pod-top-k); the rest, and what a pod waited before it entered the top, as "
		    "pod=\"other\".");
}

void hp_offcpu_pods__self_stats(struct offcpu_state *s, struct hp_self_stats *out)
{
	if (s->pods)
		hp_pod_series__self_stats(s->pods->series, out);
	if (s->rq_ready && s->rq.pods)
		hp_pod_series__self_stats(s->rq.pods->series, out);
}

void hp_offcpu_pods__free(struct offcpu_state *s)
{
	hp_pod_drain__free(s->pods);
	s->pods = NULL;
}
