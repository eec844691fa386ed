// SPDX-License-Identifier: GPL-2.0-only
/* Drains the CPU collector's kernel maps: flip the generation, let in-flight samples finish,
 * read and delete the old generation, resolve its stacks into a window profile, store it. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collector_cpu.h"
#include "cpu.skel.h"
#include "stacks/stack_resolve.h"

/* 2 * HP_CPU_MAX_DEPTH frames plus markers for a lost or truncated stack on each side. */
#define DRAIN_MAX_FRAMES (2 * HP_CPU_MAX_DEPTH + 4)

/*
 * The sampling program runs in interrupt context and cannot be preempted, so once the
 * generation is flipped, a sample that read the old value finishes within microseconds; a
 * millisecond is orders of magnitude of margin.
 */
#define DRAIN_QUIESCE_US 1000

/*
 * How often a process seen in every drain has its /proc/PID/maps re-read (formatting it costs the
 * kernel ~0.3 ms for a large process). Lookups that miss every mapping re-read it sooner.
 */
#define DRAIN_RECAPTURE_NS (10 * 1000000000ULL)

/* Reads every (key, count) of the old generation into s->keys/s->counts and deletes them. */
static int drain__counts(struct cpu_state *s, int fd, size_t *nkeys, __u64 *samples)
{
	struct hp_cpu_key key, next, *prev = NULL;
	size_t n = 0;

	while (n < s->max_entries && bpf_map_get_next_key(fd, prev, &next) == 0) {
		s->keys[n++] = next;
		key = next;
		prev = &key;
	}
	*samples = 0;
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &s->keys[i], &s->counts[i]))
			s->counts[i] = 0;
		bpf_map_delete_elem(fd, &s->keys[i]);
		*samples += s->counts[i];
	}
	*nkeys = n;
	return 0;
}

static void drain__clear_stacks(struct cpu_state *s, int fd)
{
	__u64 key, next, *prev = NULL;
	__u64 n = 0;

	/* deleting the key get_next_key just returned restarts the walk from the first key */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_delete_elem(fd, &next) == 0) {
			n++;
			prev = NULL;
			continue;
		}
		key = next;
		prev = &key;
	}
	s->last_stacks = n;
}

static int drain__stack(int fd, __u64 hash, struct hp_cpu_stack *st)
{
	st->len = 0;
	if (!hash || bpf_map_lookup_elem(fd, &hash, st))
		return -ENOENT;
	if (st->len > HP_CPU_MAX_DEPTH)
		st->len = HP_CPU_MAX_DEPTH;
	return 0;
}

/* Resolves one key into window; user frames go below kernel frames (leaf first). */
static int drain__sample(struct cpu_state *s, struct hp_profile *window, int stacks_fd,
			 const struct hp_cpu_key *k, __u64 count, struct hp_cpu_stack *st)
{
	struct hp_prof_labels labels;
	uint32_t frames[DRAIN_MAX_FRAMES], n = 0;
	char comm[HP_CPU_COMM_LEN + 1];
	bool truncated = false;
	int err = 0;

	if (k->kstack && drain__stack(stacks_fd, k->kstack, st) == 0) {
		truncated = st->len >= HP_CPU_MAX_DEPTH;
		err = hp_stack__resolve_kernel(window, s->sym, st->ips, st->len, frames, &n,
					       DRAIN_MAX_FRAMES);
	}
	if (!err && k->flags & HP_CPU_KEY_KSTACK_LOST)
		err = hp_stack__marker(window, "[kernel stack lost]", frames, &n, DRAIN_MAX_FRAMES);
	if (!err && k->ustack && drain__stack(stacks_fd, k->ustack, st) == 0) {
		err = hp_stack__resolve_user(window, s->sym, (pid_t)k->tgid, st->ips, st->len,
					     frames, &n, DRAIN_MAX_FRAMES);
		if (!err && st->len >= HP_CPU_MAX_DEPTH) {
			truncated = true;
			err = hp_stack__marker(window, "[truncated]", frames, &n, DRAIN_MAX_FRAMES);
		}
	}
	if (!err && k->flags & HP_CPU_KEY_USTACK_LOST)
		err = hp_stack__marker(window, "[user stack lost]", frames, &n, DRAIN_MAX_FRAMES);
	if (err)
		return err;
	if (truncated) /* kept with its cut stack: counted, but not as a drop */
		s->truncated_total += count;
	memcpy(comm, k->comm, HP_CPU_COMM_LEN);
	comm[HP_CPU_COMM_LEN] = '\0';
	labels.pid = k->tgid;
	labels.process = comm; /* the leader's comm arrives with the shared stack key */
	labels.thread = comm;
	labels.cgroup = hp_cgroup_names__path(&s->cgroups, NULL, k->cgroup_id, (pid_t)k->tgid);
	return hp_profile__add(window, &labels, frames, n, count, count * window->period);
}

/* Frees the symbolizer state of the first n exited processes (their samples are resolved). */
static void drain__forget_exited(struct cpu_state *s, size_t n)
{
	pid_t pids[HP_CPU_EXIT_SLOTS];

	pthread_mutex_lock(&s->exit_lock);
	memcpy(pids, s->exited, n * sizeof(*pids));
	memmove(s->exited, s->exited + n, (s->nexited - n) * sizeof(*pids));
	s->nexited -= n;
	pthread_mutex_unlock(&s->exit_lock);
	for (size_t i = 0; i < n; i++)
		hp_symbolizer__forget(s->sym, pids[i]);
}

int hp_cpu__drain(struct cpu_state *s, double now)
{
	struct cpu_bpf *skel = s->skel;
	__u32 old = skel->bss->gen & 1;
	int counts_fd = bpf_map__fd(old ? skel->maps.counts1 : skel->maps.counts0);
	int stacks_fd = bpf_map__fd(old ? skel->maps.stacks1 : skel->maps.stacks0);
	struct hp_cpu_stack *st = malloc(sizeof(*st));
	struct hp_profile window;
	double t0 = hp_now();
	__u64 samples = 0;
	size_t nkeys = 0, nexited;
	int err = 0;

	if (!st)
		return -ENOMEM;
	/* processes that exited before the flip have all their samples in the old generation */
	pthread_mutex_lock(&s->exit_lock);
	nexited = s->nexited;
	pthread_mutex_unlock(&s->exit_lock);
	skel->bss->gen = old ^ 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	usleep(DRAIN_QUIESCE_US);

	drain__counts(s, counts_fd, &nkeys, &samples);
	hp_profile__init(&window, &hp_cpu_kind, s->store.period);
	for (size_t i = 0; i < nkeys && !err; i++) {
		/* exec and dlopen change mappings without a new pid */
		hp_symbolizer__recapture(s->sym, (pid_t)s->keys[i].tgid, DRAIN_RECAPTURE_NS);
		if (s->counts[i])
			err = drain__sample(s, &window, stacks_fd, &s->keys[i], s->counts[i], st);
	}
	drain__clear_stacks(s, stacks_fd);
	if (!err)
		err = hp_cpu_store__add(&s->store, &window, now);
	hp_profile__free(&window);
	free(st);
	drain__forget_exited(s, nexited);

	s->samples_total += samples;
	s->last_keys = nkeys;
	s->drains++;
	s->last_drain_seconds = hp_now() - t0;
	return err;
}
