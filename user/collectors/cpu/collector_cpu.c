// SPDX-License-Identifier: GPL-2.0-only
/* The CPU sampling collector: opens a cpu-clock perf event on every online CPU with
 * bpf/cpu.bpf.c attached, drains its double-buffered maps every tick, symbolizes the stacks and
 * keeps them in retention segments for the profile endpoints and "hostprof record". */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collector_cpu.h"
#include "cpu_options.h"
#include "cpu.skel.h"
#include "base/cpulist.h"
#include "base/log.h"
#include "export/prom.h"
#include "stacks/stack_resolve.h"

static struct cpu_state *state(struct hp_collector *c)
{
	return c->priv;
}

static int cpu__open(struct hp_collector *c, enum hp_attach_path path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const struct hp_config *cfg = c->cfg;
	const struct hp_cpu_config *cc = hp_cpu_config(cfg);
	struct cpu_state *s;
	int err;

	s = hp_collector__alloc(c, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = c->ncpus;
	s->svc = c->svc;
	s->sym = c->svc->sym;
	hp_stack_procs__init(&s->procs, "cpu", s->sym);
	err = hp_cpulist__online(NULL, &s->online, &s->nonline);
	if (err) {
		hp_error("cpu: cannot read the online CPU list: %s", strerror(-err));
		return err;
	}
	hp_collector__open_opts(c, &opts);
	s->skel = cpu_bpf__open_opts(&opts);
	if (!s->skel)
		return -errno;
	s->skel->rodata->filter_tgid = (__u32)cfg->pid;
	s->skel->rodata->filter_cgroup = cfg->cgroup_path != NULL;
	s->skel->rodata->kernel_stacks = cc->kernel_stacks;
	s->skel->rodata->user_stacks = cc->user_stacks;
	s->skel->rodata->period_ns = 1000000000ULL / cc->frequency;
	/* exec/exit hooks through the collector's attach path; the sampling is perf_event always */
	(void)path; /* c->path */
	hp_collector__autoload(c, s->skel->progs.proc_exec_btf, s->skel->progs.proc_exec_raw);
	hp_collector__autoload(c, s->skel->progs.proc_exit_btf, s->skel->progs.proc_exit_raw);
	/* A 1 s drain sees at most frequency * CPUs samples, each with up to two distinct stacks;
	 * twice that leaves room for a late drain. --max-stacks caps it. */
	s->max_entries = 1024;
	while (s->max_entries < 4ULL * cc->frequency * s->nonline &&
	       s->max_entries < cc->cpu_map_entries)
		s->max_entries *= 2;
	if (s->max_entries > cc->cpu_map_entries)
		s->max_entries = cc->cpu_map_entries;
	bpf_map__set_max_entries(s->skel->maps.counts0, (__u32)s->max_entries);
	bpf_map__set_max_entries(s->skel->maps.counts1, (__u32)s->max_entries);
	bpf_map__set_max_entries(s->skel->maps.stacks0, (__u32)s->max_entries);
	bpf_map__set_max_entries(s->skel->maps.stacks1, (__u32)s->max_entries);
	return 0;
}

static int cpu__load(struct hp_collector *c)
{
	struct cpu_state *s = state(c);
	int err;

	err = cpu_bpf__load(s->skel);
	if (err)
		return err;
	err = hp_collector__loaded(c, s->skel->obj, bpf_map__fd(s->skel->maps.cgroup_filter));
	if (err)
		return err;
	err = hp_cpu__drain_init(s);
	if (err)
		return err;
	return hp_cpu_pods__init(s, c->cfg);
}

static int cpu__perf_open(unsigned int freq, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = freq,
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The source's "drain now": what was sampled before a request reaches the store first. */
static int cpu__source_drain(struct hp_profile_source *src, double now)
{
	return hp_cpu__drain(src->ctx, now);
}

static int cpu__attach(struct hp_collector *c)
{
	struct cpu_state *s = state(c);
	int err;

	s->perf_fds = calloc(s->nonline, sizeof(*s->perf_fds));
	s->links = calloc(s->nonline, sizeof(*s->links));
	if (!s->perf_fds || !s->links)
		return -ENOMEM;
	for (size_t i = 0; i < s->nonline; i++) {
		int fd = cpu__perf_open(hp_cpu_config(c->cfg)->frequency, s->online[i]);

		s->perf_fds[i] = fd;
		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV) { /* went offline since we read the list */
				hp_warn("cpu: CPU %d is offline, not sampled", s->online[i]);
				continue;
			}
			hp_error("cpu: perf_event_open(cpu-clock) on CPU %d: %s", s->online[i],
				 strerror(-err));
			return err;
		}
		s->links[i] = bpf_program__attach_perf_event(s->skel->progs.on_sample, fd);
		if (!s->links[i]) {
			err = -errno;
			hp_error("cpu: attaching to CPU %d: %s", s->online[i], strerror(-err));
			return err;
		}
		s->nlinks++;
	}
	if (s->nlinks == 0)
		return -ENODEV;
	if (c->path != HP_PATH_PERF_EVENT) {
		struct bpf_program *progs[2] = {
			c->path == HP_PATH_TP_BTF ? s->skel->progs.proc_exec_btf
						  : s->skel->progs.proc_exec_raw,
			c->path == HP_PATH_TP_BTF ? s->skel->progs.proc_exit_btf
						  : s->skel->progs.proc_exit_raw,
		};

		for (int i = 0; i < 2; i++) {
			s->proc_links[i] = bpf_program__attach(progs[i]);
			if (!s->proc_links[i]) {
				err = -errno;
				hp_error("cpu: attaching %s: %s", bpf_program__name(progs[i]),
					 strerror(-err));
				return err;
			}
		}
	}
	/* the retention store and the profile source HTTP and record find by kind "cpu" */
	err = hp_collector__profile_start(
	    c, &s->profile, &hp_cpu_kind, 1000000000ull / hp_cpu_config(c->cfg)->frequency,
	    c->cfg->retention_seconds, NULL, "/debug/pprof/profile", cpu__source_drain, s);
	if (err)
		return err;
	err = hp_stack_procs__start(&s->procs, bpf_map__fd(s->skel->maps.new_procs));
	if (err)
		return err;
	hp_info("cpu: sampling %zu CPUs at %u Hz (%s stacks), retention %.0f s", s->nlinks,
		hp_cpu_config(c->cfg)->frequency,
		hp_cpu_config(c->cfg)->kernel_stacks && hp_cpu_config(c->cfg)->user_stacks
		    ? "kernel+user"
		: hp_cpu_config(c->cfg)->kernel_stacks ? "kernel"
						       : "user",
		hp_profile_store__retention(&s->profile.store));
	return 0;
}

static int cpu__refresh(struct hp_collector *c, bool tick)
{
	struct cpu_state *s = state(c);

	(void)tick; /* the symbolizer's upkeep is the agent's (hp_services__tick) */
	return hp_cpu__drain(s, hp_now());
}

static void cpu__metrics(struct hp_collector *c, struct hp_buf *out)
{
	struct cpu_state *s = state(c);

	hp_prom__family(out, "hostprof_cpu_samples_total", HP_PROM_COUNTER,
			"CPU samples drained from the kernel (idle excluded).");
	hp_prom__sample(out, "hostprof_cpu_samples_total", NULL, 0, (double)s->drain.events);
	hp_prom__family(out, "hostprof_cpu_sampling_frequency_hertz", HP_PROM_GAUGE,
			"Samples per second per CPU.");
	hp_prom__sample(out, "hostprof_cpu_sampling_frequency_hertz", NULL, 0,
			(double)hp_cpu_config(c->cfg)->frequency);
	hp_prom__family(out, "hostprof_cpu_sampled_cpus", HP_PROM_GAUGE,
			"Online CPUs with a sampling event attached.");
	hp_prom__sample(out, "hostprof_cpu_sampled_cpus", NULL, 0, (double)s->nlinks);
	hp_prom__family(out, "hostprof_cpu_drain_duration_seconds", HP_PROM_GAUGE,
			"Time the last drain took to read, symbolize and store the kernel maps.");
	hp_prom__sample(out, "hostprof_cpu_drain_duration_seconds", NULL, 0, s->last_drain_seconds);
	hp_cpu_pods__metrics(s, out);
}

static void cpu__self_stats(struct hp_collector *c, struct hp_self_stats *out)
{
	hp_cpu__drain_stats(state(c), out);
	hp_cpu_pods__self_stats(state(c), out);
}

static void cpu__destroy(struct hp_collector *c)
{
	struct cpu_state *s = state(c);

	if (!s)
		return;
	hp_stack_procs__stop(&s->procs);
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(s->proc_links[i]);
	for (size_t i = 0; s->links && i < s->nonline; i++)
		bpf_link__destroy(s->links[i]);
	for (size_t i = 0; s->perf_fds && i < s->nonline; i++)
		if (s->perf_fds[i] >= 0)
			close(s->perf_fds[i]);
	cpu_bpf__destroy(s->skel);
	hp_collector__profile_stop(c, &s->profile);
	hp_stack_procs__destroy(&s->procs);
	free(s->links);
	free(s->perf_fds);
	free(s->online);
	hp_stack_drain__free(&s->drain);
	hp_cpu_pods__free(s);
}

static const char *const cpu_profiles[] = { "cpu", NULL }; /* hp_cpu_kind.name */

/* Every sample may be the first of a new process. */
static unsigned int cpu__stack_rate(const struct hp_config *cfg)
{
	return hp_cpu_config(cfg)->frequency;
}

const struct hp_collector_ops hp_collector_cpu = {
	.name = "cpu",
	.summary = "on-CPU stack sampling (cpu-clock perf events): flame graphs, pprof, speedscope",
	.needs = HP_FEAT_PRIV | HP_FEAT_BTF | HP_FEAT_PERF_EVENT | HP_FEAT_RINGBUF,
	/* how the exec/exit hooks attach (perf_event: sampling only, without them) */
	.paths = HP_PATHS_TRACEPOINT | 1u << HP_PATH_PERF_EVENT,
	.open = cpu__open,
	.load = cpu__load,
	.attach = cpu__attach,
	.refresh = cpu__refresh,
	.metrics = cpu__metrics,
	.self_stats = cpu__self_stats,
	.destroy = cpu__destroy,
	.profiles = cpu_profiles,
	.options = hp_cpu_options,
	.stack_rate = cpu__stack_rate,
};
