// SPDX-License-Identifier: GPL-2.0-only
/* What the CPU collector adds to the shared stack drain (user/stacks/stack_drain.c): its key's
 * labels, process recapture and exit bookkeeping, and storing the window profile. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "collectors/collector.h"
#include "collector_cpu.h"
#include "cpu.skel.h"

/*
 * How often a process seen in every drain has its /proc/PID/maps re-read (formatting it costs the
 * kernel ~0.3 ms for a large process). Lookups that miss every mapping re-read it sooner.
 */
#define DRAIN_RECAPTURE_NS (10 * 1000000000ULL)

int hp_cpu__drain_init(struct cpu_state *s)
{
	struct cpu_bpf *skel = s->skel;
	struct hp_stack_maps maps = {
		.gen = &skel->bss->gen,
		.counts_fd = { bpf_map__fd(skel->maps.counts0), bpf_map__fd(skel->maps.counts1) },
		.stacks_fd = { bpf_map__fd(skel->maps.stacks0), bpf_map__fd(skel->maps.stacks1) },
		.key_size = sizeof(struct hp_cpu_key),
	};

	/* a sample's stacks are counted in the drain that reads them, so the table needs one
	 * generation (the stack maps' size) plus room to keep the hot stacks of the last one */
	return hp_stack_drain__init(&s->drain, &maps, s->max_entries, 2 * s->max_entries);
}

/* A NUL-terminated copy of a comm field (NUL-padded, not terminated at HP_COMM_LEN bytes). */
static void drain__comm(char out[HP_COMM_LEN + 1], const char in[HP_COMM_LEN])
{
	memcpy(out, in, HP_COMM_LEN);
	out[HP_COMM_LEN] = '\0';
}

/* Resolves one key into window; user frames go below kernel frames (leaf first). */
static int drain__sample(struct cpu_state *s, struct hp_profile *window, const struct hp_cpu_key *k,
			 const struct hp_count *c)
{
	uint32_t frames[HP_STACK_MAX_FRAMES], n = 0;
	char thread[HP_COMM_LEN + 1], process[HP_COMM_LEN + 1];
	struct hp_prof_labels labels = { .pid = k->tgid, .process = process, .thread = thread };
	struct hp_workload wl;
	int err;

	err = hp_stack_drain__frames(&s->drain, window, s->sym, (pid_t)k->tgid, &k->stacks,
				     c->count, frames, &n, HP_STACK_MAX_FRAMES);
	if (err)
		return err;
	drain__comm(thread, k->thread);
	drain__comm(process, k->process);
	hp_services__labels(s->svc, k->cgroup_id, (pid_t)k->tgid, &wl, &labels);
	/* the kernel summed the period of every sample: the weight is count x period */
	return hp_profile__add(window, &labels, frames, n, c->count, c->weight);
}

int hp_cpu__drain(struct cpu_state *s, double now)
{
	const struct hp_cpu_key *keys = s->drain.keys;
	struct hp_profile window;
	double t0 = hp_now();
	size_t nexited;
	int err = 0, read_err;

	/* processes that exited before the flip have all their samples in the old generation */
	nexited = hp_stack_procs__exited(&s->procs);
	/* what was read before an error is deleted from the kernel: resolve it anyway */
	read_err = hp_stack_drain__collect(&s->drain);

	hp_profile_store__init_profile(&s->profile.store, &window);
	for (size_t i = 0; i < s->drain.nkeys && !err; i++) {
		/* exec and dlopen change mappings without a new pid */
		hp_symbolizer__recapture(s->sym, (pid_t)keys[i].tgid, DRAIN_RECAPTURE_NS);
		if (s->drain.counts[i].count)
			err = drain__sample(s, &window, &keys[i], &s->drain.counts[i]);
	}
	hp_cpu_pods__drain(s, now);
	if (!err)
		err = hp_profile_store__add(&s->profile.store, &window, now);
	hp_profile__free(&window);
	hp_stack_procs__forget(&s->procs, nexited);
	if (!err)
		err = read_err;

	s->drains++;
	s->last_drain_seconds = hp_now() - t0;
	return err;
}

void hp_cpu__drain_stats(struct cpu_state *s, struct hp_self_stats *out)
{
	hp_stack_drain__self_stats(&s->drain, bpf_map__fd(s->skel->maps.drops), s->ncpus,
				   hp_stack_drop_names, HP_CPU_DROP__COUNT,
				   hp_stack_procs__exits_lost(&s->procs), s->max_entries, out);
}
