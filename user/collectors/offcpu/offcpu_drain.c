// SPDX-License-Identifier: GPL-2.0-only
/* What the off-CPU collector adds to the shared stack drain (user/stacks/stack_drain.c): its
 * key's labels (state included), the waker part of a stack, integer events from the kernel's
 * 1/1024 counts, storing the window profile, then run-queue latency of the same generation. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/collector.h"
#include "collector_offcpu.h"
#include "offcpu.skel.h"
#include "stacks/stack_resolve.h"

/* How often a process seen in every drain has its /proc/PID/maps re-read (as the cpu drain). */
#define DRAIN_RECAPTURE_NS (10 * 1000000000ULL)

/* prev_state bits of include/linux/sched.h (stable UAPI-like values since 2.6; TASK_IDLE is
 * TASK_UNINTERRUPTIBLE | TASK_NOLOAD). */
#define OFFCPU_TASK_INTERRUPTIBLE 0x0001
#define OFFCPU_TASK_UNINTERRUPTIBLE 0x0002
#define OFFCPU_TASK_STOPPED 0x0004
#define OFFCPU_TASK_TRACED 0x0008
#define OFFCPU_TASK_NOLOAD 0x0400

const char *const hp_offcpu_drop_names[HP_OFFCPU_DROP__COUNT - HP_STACK_DROP__COUNT] = {
	[HP_OFFCPU_DROP_BELOW_MIN - HP_STACK_DROP__COUNT] = "offcpu_below_min",
	[HP_OFFCPU_DROP_ABOVE_MAX - HP_STACK_DROP__COUNT] = "offcpu_above_max_dropped",
	[HP_OFFCPU_DROP_CLAMPED - HP_STACK_DROP__COUNT] = "offcpu_above_max_clamped",
	[HP_OFFCPU_DROP_NO_STORAGE - HP_STACK_DROP__COUNT] = "task_storage_unavailable",
	[HP_OFFCPU_DROP_NO_SWITCH_OUT - HP_STACK_DROP__COUNT] = "switch_out_missed",
	[HP_OFFCPU_DROP_SLOT_MISMATCH - HP_STACK_DROP__COUNT] = "switch_in_missed",
	[HP_OFFCPU_DROP_UNCLOSED - HP_STACK_DROP__COUNT] = "interval_not_closed",
	[HP_OFFCPU_DROP_USTACK_LATE - HP_STACK_DROP__COUNT] = "user_stack_late",
	[HP_OFFCPU_DROP_RQ_FULL - HP_STACK_DROP__COUNT] = "runqueue_map_full",
};

/* Every reason in drops-map order: the shared stack reasons, then the collector's own. */
static const char *offcpu_reasons[HP_OFFCPU_DROP__COUNT];

int hp_offcpu__drain_init(struct offcpu_state *s)
{
	struct offcpu_bpf *skel = s->skel;
	struct hp_stack_maps maps = {
		.gen = &skel->bss->gen,
		.counts_fd = { bpf_map__fd(skel->maps.counts0), bpf_map__fd(skel->maps.counts1) },
		.stacks_fd = { bpf_map__fd(skel->maps.stacks0), bpf_map__fd(skel->maps.stacks1) },
		.key_size = sizeof(struct hp_offcpu_key),
	};

	for (int i = 0; i < HP_OFFCPU_DROP__COUNT; i++)
		offcpu_reasons[i] = i < HP_STACK_DROP__COUNT
					? hp_stack_drop_names[i]
					: hp_offcpu_drop_names[i - HP_STACK_DROP__COUNT];
	/* A user stack is taken at switch-out and counted when the interval closes, maybe many
	 * drains later (a thread asleep for minutes): the table keeps four generations' worth so
	 * long sleepers' stacks are still there; the rest show as "[user stack lost]", counted. */
	return hp_stack_drain__init(&s->drain, &maps, s->max_entries, 4 * s->max_entries);
}

uint64_t hp_offcpu__events(uint64_t count, uint64_t *rng)
{
	uint64_t z, frac = count & (HP_OFFCPU_EVENT_ONE - 1);

	if (!frac)
		return count >> HP_OFFCPU_EVENT_SHIFT;
	z = (*rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (count >> HP_OFFCPU_EVENT_SHIFT) + ((z & (HP_OFFCPU_EVENT_ONE - 1)) < frac ? 1 : 0);
}

const char *hp_offcpu__state_name(unsigned int state_class, unsigned int task_state)
{
	if (state_class == HP_OFFCPU_RUNNABLE)
		return HP_PROF_STATE_RUNNABLE;
	if ((task_state & (OFFCPU_TASK_UNINTERRUPTIBLE | OFFCPU_TASK_NOLOAD)) ==
	    (OFFCPU_TASK_UNINTERRUPTIBLE | OFFCPU_TASK_NOLOAD))
		return "idle";
	if (task_state & OFFCPU_TASK_UNINTERRUPTIBLE)
		return "uninterruptible";
	if (task_state & OFFCPU_TASK_INTERRUPTIBLE)
		return "sleeping";
	if (task_state & (OFFCPU_TASK_STOPPED | OFFCPU_TASK_TRACED))
		return "stopped";
	return "other";
}

/* A NUL-terminated copy of a comm field (NUL-padded, not terminated at HP_COMM_LEN bytes). */
static void drain__comm(char out[HP_COMM_LEN + 1], const char in[HP_COMM_LEN])
{
	memcpy(out, in, HP_COMM_LEN);
	out[HP_COMM_LEN] = '\0';
}

/* A kernel frame of the BPF program or of the tracepoint that ran it (leaf end of a stack taken
 * with bpf_get_stack from the program: bpf_prog_<tag>_<name>, bpf_trace_run1, __bpf_trace_*). */
static bool drain__hook_frame(const struct hp_prof_frame *f)
{
	return f->kernel && (strncmp(f->function, "bpf_prog_", 9) == 0 ||
			     strncmp(f->function, "bpf_trace_run", 13) == 0 ||
			     strncmp(f->function, "__bpf_trace_", 12) == 0 ||
			     strncmp(f->function, "__traceiter_", 12) == 0);
}

/* How many leaf-end frames of a kernel stack taken inside this collector's own program (waker
 * stacks; raw_tp's switch-out stacks) are that program and the tracepoint's dispatch. */
static uint32_t drain__hook_frames(const struct hp_profile *p, const uint32_t *frames, uint32_t n)
{
	uint32_t skip = 0;

	while (skip < n && drain__hook_frame(&p->frames[frames[skip]]))
		skip++;
	return skip;
}

/* The kernel's entry of a hardware interrupt (x86-64: asm_common_interrupt for devices,
 * asm_sysvec_* for the APIC timer and IPIs). Exceptions (asm_exc_*: page faults) are the task's
 * own doing and not listed. */
static bool drain__irq_entry_frame(const struct hp_prof_frame *f)
{
	return f->kernel && (strncmp(f->function, "asm_sysvec_", 11) == 0 ||
			     strcmp(f->function, "asm_common_interrupt") == 0 ||
			     strcmp(f->function, "asm_spurious_interrupt") == 0);
}

uint32_t hp_offcpu__waker_end(const struct hp_profile *p, const uint32_t *waker, uint32_t from,
			      uint32_t nw)
{
	for (uint32_t i = from; i < nw; i++)
		if (drain__irq_entry_frame(&p->frames[waker[i]]))
			return i + 1;
	return nw;
}

int hp_offcpu__frames(struct hp_stack_drain *d, struct hp_profile *p, struct hp_symbolizer *sym,
		      const struct hp_offcpu_key *k, __u64 events, uint32_t *frames, uint32_t *n,
		      uint32_t cap)
{
	uint32_t own[HP_STACK_MAX_FRAMES], no = 0, oskip, waker[HP_STACK_MAX_FRAMES], nw = 0, wskip,
					   end;
	bool irq;
	char process[HP_COMM_LEN + 1], marker[sizeof(HP_PROF_WAKER_PREFIX) + HP_COMM_LEN + 1];
	int err;

	/* the thread's own stacks, leaf first, without this collector's frames */
	err = hp_stack_drain__frames(d, p, sym, (pid_t)k->tgid, &k->stacks, events, own, &no,
				     HP_STACK_MAX_FRAMES);
	if (err)
		return err;
	oskip = drain__hook_frames(p, own, no);
	if (k->waker.context == HP_WAKER_TASK || k->waker.context == HP_WAKER_IRQ) {
		/* the waker's stacks, in its own process, leaf first; then written root first */
		err = hp_stack_drain__frames(d, p, sym, (pid_t)k->waker.tgid, &k->waker.stacks,
					     events, waker, &nw, HP_STACK_MAX_FRAMES);
		if (err)
			return err;
		wskip = drain__hook_frames(p, waker, nw);
		/* An interrupt that arrived in user mode runs on the task's stack (x86-64 switches
		 * to the IRQ stack only from kernel mode), so the BPF side takes it for the task it
		 * interrupted: its kernel stack shows the interrupt entry, and what lies below that
		 * entry (the interrupted code, user frames included) is not the waker's. Cut there,
		 * for either context, and name the interrupt. */
		end = hp_offcpu__waker_end(p, waker, wskip, nw);
		irq = k->waker.context == HP_WAKER_IRQ ||
		      (end > wskip && drain__irq_entry_frame(&p->frames[waker[end - 1]]));
		if (*n + (end - wskip) + 1 > cap)
			return -E2BIG;
		for (uint32_t i = end; i-- > wskip;)
			frames[(*n)++] = waker[i];
		if (irq) {
			snprintf(marker, sizeof(marker), "%s", HP_PROF_WAKER_IRQ);
		} else {
			drain__comm(process, k->waker.process);
			snprintf(marker, sizeof(marker), HP_PROF_WAKER_PREFIX "%s",
				 process[0] ? process : "[unknown]");
		}
		err = hp_stack__marker(p, marker, frames, n, cap);
		if (err)
			return err;
	}
	if (*n + (no - oskip) > cap)
		return -E2BIG;
	for (uint32_t i = oskip; i < no; i++)
		frames[(*n)++] = own[i];
	return 0;
}

/* Resolves one key into window with its labels and integer events. */
static int drain__sample(struct offcpu_state *s, struct hp_profile *window,
			 const struct hp_offcpu_key *k, const struct hp_count *c)
{
	uint32_t frames[2 * HP_STACK_MAX_FRAMES + 1], n = 0;
	char thread[HP_COMM_LEN + 1], process[HP_COMM_LEN + 1];
	struct hp_prof_labels labels = {
		.pid = k->tgid,
		.process = process,
		.thread = thread,
		.state = hp_offcpu__state_name(k->state_class, k->task_state),
	};
	struct hp_workload wl;
	uint64_t events = hp_offcpu__events(c->count, &s->rng);
	int err;

	err = hp_offcpu__frames(&s->drain, window, s->sym, k, events, frames, &n,
				sizeof(frames) / sizeof(frames[0]));
	if (err)
		return err;
	drain__comm(thread, k->thread);
	drain__comm(process, k->process);
	hp_services__labels(s->svc, k->cgroup_id, (pid_t)k->tgid, &wl, &labels);
	s->events += events;
	/* the kernel summed the (sampling-weighted) length of every interval: the weight */
	return hp_profile__add(window, &labels, frames, n, events, c->weight);
}

int hp_offcpu__drain(struct offcpu_state *s, double now)
{
	const struct hp_offcpu_key *keys = s->drain.keys;
	unsigned int old_gen = *s->drain.maps.gen & 1; /* the generation collect reads */
	struct hp_profile window;
	double t0 = hp_now();
	size_t nexited;
	int err = 0, read_err, rq_err = 0;

	/* processes that exited before the flip have all their intervals in the old generation */
	nexited = hp_stack_procs__exited(&s->procs);
	read_err = hp_stack_drain__collect(&s->drain);
	if (s->rq_ready) {
		/* the kernel stopped writing old_gen's run-queue rows with the same flip */
		rq_err = hp_runqueue__collect(&s->rq, bpf_map__fd(s->skel->maps.rq_total),
					      bpf_map__fd(s->skel->maps.rq_hists), old_gen,
					      s->ncpus, now);
		if (rq_err)
			s->rq_errors++;
	}

	hp_profile_store__init_profile(&s->profile.store, &window);
	for (size_t i = 0; i < s->drain.nkeys && !err; i++) {
		/* exec and dlopen change mappings without a new pid; kernel threads (most
		 * off-CPU keys on an idle host) have none to read */
		if (keys[i].stacks.ustack)
			hp_symbolizer__recapture(s->sym, (pid_t)keys[i].tgid, DRAIN_RECAPTURE_NS);
		if (keys[i].waker.stacks.ustack && keys[i].waker.tgid != keys[i].tgid)
			hp_symbolizer__recapture(s->sym, (pid_t)keys[i].waker.tgid,
						 DRAIN_RECAPTURE_NS);
		/* a run-queue wait after a wakeup has weight and no event of its own */
		if (s->drain.counts[i].count || s->drain.counts[i].weight)
			err = drain__sample(s, &window, &keys[i], &s->drain.counts[i]);
	}
	hp_offcpu_pods__drain(s, now);
	if (!err)
		err = hp_profile_store__add(&s->profile.store, &window, now);
	hp_profile__free(&window);
	hp_stack_procs__forget(&s->procs, nexited);
	if (!err)
		err = read_err ? read_err : rq_err;
	s->drains++;
	s->last_drain_seconds = hp_now() - t0;
	return err;
}

void hp_offcpu__drain_stats(struct offcpu_state *s, struct hp_self_stats *out)
{
	hp_stack_drain__self_stats(&s->drain, bpf_map__fd(s->skel->maps.drops), s->ncpus,
				   offcpu_reasons, HP_OFFCPU_DROP__COUNT,
				   hp_stack_procs__exits_lost(&s->procs), s->max_entries, out);
}
