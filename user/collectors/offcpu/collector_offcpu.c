// SPDX-License-Identifier: GPL-2.0-only
/* The off-CPU collector: bpf/offcpu.bpf.c on sched_switch and the wakeup tracepoints (tp_btf,
 * raw_tp fallback), drained every tick into an off-CPU profile store (kind "offcpu", with states
 * and wakers) and into run-queue latency histograms (runqueue*.c). */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "collector_offcpu.h"
#include "collectors/collector.h"
#include "export/prom.h"
#include "offcpu.skel.h"
#include "offcpu_options.h"

static struct offcpu_state *state(struct hp_collector *c)
{
	return c->priv;
}

/* Whether this kernel has the rseq_update tracepoint (tp_btf/rseq_update loads): then user
 * stacks of threads with rseq are taken on their return to user, after the sampling decision. */
static bool offcpu__has_rseq(const struct hp_collector *c)
{
	const char *path = c->cfg->btf_path ? c->cfg->btf_path : "/sys/kernel/btf/vmlinux";
	struct btf *btf = btf__parse(path, NULL);
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, "btf_trace_rseq_update", BTF_KIND_TYPEDEF) >= 0;
	btf__free(btf);
	return found;
}

/* "10 ms", "1 us", "2.5 s": a duration for the profile's comment. */
static void offcpu__duration(char *out, size_t size, double seconds)
{
	if (seconds >= 1)
		snprintf(out, size, "%g s", seconds);
	else if (seconds >= 1e-3)
		snprintf(out, size, "%g ms", seconds * 1e3);
	else if (seconds >= 1e-6)
		snprintf(out, size, "%g us", seconds * 1e6);
	else
		snprintf(out, size, "%g ns", seconds * 1e9);
}

/* States the sampling and the bounds in every profile (hp_profile.comment). */
static void offcpu__comment(struct offcpu_state *s, const struct hp_offcpu_config *oc, bool sampled)
{
	char period[32], min[32], max[32];
	int n;

	offcpu__duration(period, sizeof(period), oc->period_seconds);
	offcpu__duration(min, sizeof(min), oc->min_seconds);
	offcpu__duration(max, sizeof(max), oc->max_seconds);
	if (sampled)
		n = snprintf(s->comment, sizeof(s->comment),
			     "off-CPU intervals shorter than %s sampled with probability "
			     "length/%s, weighted by the inverse (unbiased totals)",
			     period, period);
	else
		n = snprintf(s->comment, sizeof(s->comment), "every off-CPU interval kept");
	if (n > 0 && (size_t)n < sizeof(s->comment) && oc->min_seconds > 0)
		n += snprintf(s->comment + n, sizeof(s->comment) - (size_t)n,
			      "; intervals shorter than %s not counted", min);
	if (n > 0 && (size_t)n < sizeof(s->comment) && oc->max_seconds > 0)
		snprintf(s->comment + n, sizeof(s->comment) - (size_t)n,
			 "; intervals longer than %s %s", max,
			 strcmp(oc->max_mode, "drop") == 0 ? "not counted"
							   : "counted as "
							     "that long");
}

static int offcpu__open(struct hp_collector *c, enum hp_attach_path path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const struct hp_config *cfg = c->cfg;
	const struct hp_offcpu_config *oc = hp_offcpu_config(cfg);
	struct offcpu_bpf *skel;
	struct offcpu_state *s;
	bool tp_btf = path == HP_PATH_TP_BTF;

	if (oc->max_seconds > 0 && oc->min_seconds > oc->max_seconds) {
		hp_error("offcpu: --offcpu-min (%g s) is above --offcpu-max (%g s)",
			 oc->min_seconds, oc->max_seconds);
		return -EINVAL;
	}
	s = hp_collector__alloc(c, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = c->ncpus;
	s->svc = c->svc;
	s->sym = c->svc->sym;
	s->rng = (uint64_t)(hp_now() * 1e9) ^ (uint64_t)getpid() << 32;
	hp_stack_procs__init(&s->procs, "offcpu", s->sym);
	hp_collector__open_opts(c, &opts);
	skel = s->skel = offcpu_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	s->wakers = oc->wakers;
	s->rseq = tp_btf && hp_offcpu_config__user_stacks(oc) && offcpu__has_rseq(c);
	skel->rodata->filter_tgid = (__u32)cfg->pid;
	skel->rodata->filter_cgroup = cfg->cgroup_path != NULL;
	skel->rodata->kernel_stacks = hp_offcpu_config__kernel_stacks(oc);
	skel->rodata->user_stacks = hp_offcpu_config__user_stacks(oc);
	skel->rodata->min_ns = (__u64)(oc->min_seconds * 1e9 + 0.5);
	skel->rodata->max_ns = (__u64)(oc->max_seconds * 1e9 + 0.5);
	skel->rodata->max_clamp = strcmp(oc->max_mode, "drop") != 0;
	/* raw_tp counts every interval with its stacks taken at switch-out: no sampling there */
	skel->rodata->period_ns = tp_btf ? (__u64)(oc->period_seconds * 1e9 + 0.5) : 0;
	skel->rodata->wakers = oc->wakers;
	skel->rodata->runqueue = true;
	skel->rodata->rseq_defer = s->rseq;
	hp_collector__autoload(c, skel->progs.switch_btf, skel->progs.switch_raw);
	hp_collector__autoload(c, skel->progs.wakeup_btf, skel->progs.wakeup_raw);
	hp_collector__autoload(c, skel->progs.proc_exec_btf, skel->progs.proc_exec_raw);
	hp_collector__autoload(c, skel->progs.proc_exit_btf, skel->progs.proc_exit_raw);
	hp_collector__autoload(c, skel->progs.waking_btf, skel->progs.waking_raw);
	if (!oc->wakers) { /* sched_waking is the costliest hook after sched_switch */
		bpf_program__set_autoload(skel->progs.waking_btf, false);
		bpf_program__set_autoload(skel->progs.waking_raw, false);
	}
	bpf_program__set_autoload(skel->progs.wakeup_new_btf, tp_btf);
	bpf_program__set_autoload(skel->progs.rseq_btf, s->rseq);
	s->max_entries = oc->map_entries;
	bpf_map__set_max_entries(skel->maps.counts0, (__u32)s->max_entries);
	bpf_map__set_max_entries(skel->maps.counts1, (__u32)s->max_entries);
	bpf_map__set_max_entries(skel->maps.stacks0, (__u32)s->max_entries);
	bpf_map__set_max_entries(skel->maps.stacks1, (__u32)s->max_entries);
	offcpu__comment(s, oc, skel->rodata->period_ns != 0);
	return 0;
}

static int offcpu__load(struct hp_collector *c)
{
	struct offcpu_state *s = state(c);
	int err;

	err = offcpu_bpf__load(s->skel);
	if (err)
		return err;
	err = hp_collector__loaded(c, s->skel->obj, bpf_map__fd(s->skel->maps.cgroup_filter));
	if (err)
		return err;
	return hp_offcpu__drain_init(s);
}

/* The source's "drain now": what was recorded before a request reaches the store first. */
static int offcpu__source_drain(struct hp_profile_source *src, double now)
{
	return hp_offcpu__drain(src->ctx, now);
}

/* The retention store, the profile source HTTP and record find by kind "offcpu", and the
 * run-queue tables. */
static int offcpu__stores_start(struct hp_collector *c, struct offcpu_state *s)
{
	const struct hp_offcpu_config *oc = hp_offcpu_config(c->cfg);
	int err;

	err = hp_runqueue__init(&s->rq,
				&(struct hp_runqueue_config){
				    .top_k = oc->top_k, .retention = c->cfg->retention_seconds },
				c->cfg->tick_seconds, hp_now());
	if (err)
		return err;
	s->rq_ready = true;
	err = hp_offcpu_pods__init(s, c->cfg);
	if (err)
		return err;
	/* counts carry no fixed weight: period 0, folded lines and flame graphs show time */
	return hp_collector__profile_start(c, &s->profile, &hp_offcpu_kind, 0,
					   c->cfg->retention_seconds, s->comment,
					   "/debug/pprof/offcpu", offcpu__source_drain, s);
}

static int offcpu__attach(struct hp_collector *c)
{
	struct offcpu_state *s = state(c);
	const struct hp_offcpu_config *oc = hp_offcpu_config(c->cfg);
	int err;

	err = hp_collector__attach_all(c, s->skel->obj, s->links, HP_OFFCPU_MAX_LINKS, &s->nlinks);
	if (err)
		return err;
	err = offcpu__stores_start(c, s);
	if (!err)
		err = hp_stack_procs__start(&s->procs, bpf_map__fd(s->skel->maps.new_procs));
	if (err)
		return err;
	hp_info("offcpu: sched_switch via %s, %s stacks, user stacks %s, wakers %s; %s",
		hp_attach_path__name(c->path), oc->stacks,
		!hp_offcpu_config__user_stacks(oc) ? "off"
		: s->rseq			   ? "deferred to the return to user (rseq_update)"
						   : "taken at switch-out",
		s->wakers ? "on (sched_waking)" : "off", s->comment);
	return 0;
}

static int offcpu__refresh(struct hp_collector *c, bool tick)
{
	(void)tick; /* the symbolizer's upkeep is the agent's (hp_services__tick) */
	return hp_offcpu__drain(state(c), hp_now());
}

static void offcpu__metrics(struct hp_collector *c, struct hp_buf *out)
{
	struct offcpu_state *s = state(c);

	hp_prom__family(out, "hostprof_offcpu_events_total", HP_PROM_COUNTER,
			"Off-CPU intervals drained from the kernel (sampled ones weighted: an "
			"unbiased estimate of all intervals counted).");
	hp_prom__sample(out, "hostprof_offcpu_events_total", NULL, 0, (double)s->events);
	hp_prom__family(out, "hostprof_offcpu_seconds_total", HP_PROM_COUNTER,
			"Off-CPU time drained from the kernel (sampling-weighted).");
	hp_prom__sample(out, "hostprof_offcpu_seconds_total", NULL, 0,
			(double)s->drain.weight / 1e9);
	hp_prom__family(out, "hostprof_offcpu_drain_duration_seconds", HP_PROM_GAUGE,
			"Time the last drain took to read, symbolize and store the kernel maps.");
	hp_prom__sample(out, "hostprof_offcpu_drain_duration_seconds", NULL, 0,
			s->last_drain_seconds);
	if (s->rq_ready)
		hp_runqueue__metrics(&s->rq, out, s->svc);
	hp_offcpu_pods__metrics(s, out);
}

static void offcpu__self_stats(struct hp_collector *c, struct hp_self_stats *out)
{
	struct offcpu_state *s = state(c);

	hp_offcpu__drain_stats(s, out);
	if (s->rq_ready)
		hp_runqueue__self_stats(&s->rq, out);
	hp_offcpu_pods__self_stats(s, out);
}

struct hp_runqueue *hp_offcpu__runqueue(struct hp_collector *c)
{
	struct offcpu_state *s = state(c);

	return s && s->rq_ready ? &s->rq : NULL;
}

static void offcpu__shutdown(struct hp_collector *c)
{
	struct offcpu_state *s = state(c);

	if (s && s->profile.source_ready)
		hp_profile_source__shutdown(&s->profile.source);
}

static void offcpu__destroy(struct hp_collector *c)
{
	struct offcpu_state *s = state(c);

	if (!s)
		return;
	hp_stack_procs__stop(&s->procs);
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	offcpu_bpf__destroy(s->skel);
	hp_collector__profile_stop(c, &s->profile);
	if (s->rq_ready)
		hp_runqueue__free(&s->rq);
	hp_stack_procs__destroy(&s->procs);
	hp_stack_drain__free(&s->drain);
	hp_offcpu_pods__free(s);
}

static const char *const offcpu_profiles[] = { "offcpu", NULL }; /* hp_offcpu_kind.name */

/* Kept intervals per second per CPU that may each be a process not seen before: about one per
 * sampling period (longer intervals are rarer than that per CPU); without sampling, many. */
static unsigned int offcpu__stack_rate(const struct hp_config *cfg)
{
	double period = hp_offcpu_config(cfg)->period_seconds;

	return period > 0.001 ? (unsigned int)(1.0 / period) : 1000;
}

/* --offcpu-min above --offcpu-max keeps nothing: a usage error, not a failed start. */
static int offcpu__check_options(const struct hp_config *cfg, char *msg, size_t size)
{
	const struct hp_offcpu_config *oc = hp_offcpu_config(cfg);

	if (oc->max_seconds > 0 && oc->min_seconds > oc->max_seconds) {
		snprintf(msg, size, "--offcpu-min (%g s) is above --offcpu-max (%g s)",
			 oc->min_seconds, oc->max_seconds);
		return -1;
	}
	return 0;
}

const struct hp_collector_ops hp_collector_offcpu = {
	.name = "offcpu",
	.summary = "off-CPU time by stack, thread state and waker (sched_switch, sched_waking); "
		   "run-queue latency",
	.needs = HP_FEAT_PRIV | HP_FEAT_BTF | HP_FEAT_TASK_STORAGE | HP_FEAT_RINGBUF,
	.paths = HP_PATHS_TRACEPOINT,
	.open = offcpu__open,
	.load = offcpu__load,
	.attach = offcpu__attach,
	.refresh = offcpu__refresh,
	.metrics = offcpu__metrics,
	.self_stats = offcpu__self_stats,
	.destroy = offcpu__destroy,
	.shutdown = offcpu__shutdown,
	.routes = hp_runqueue_routes,
	.profiles = offcpu_profiles,
	.options = hp_offcpu_options,
	.stack_rate = offcpu__stack_rate,
	.check_options = offcpu__check_options,
};
