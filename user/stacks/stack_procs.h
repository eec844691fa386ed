/* SPDX-License-Identifier: GPL-2.0-only */
/* Process announcements every stack-capturing BPF object sends (bpf/stack.bpf.h's new_procs ring
 * buffer): capture a new process's mappings while it lives, free an exited one's after a drain. */
#ifndef HOSTPROF_STACK_PROCS_H
#define HOSTPROF_STACK_PROCS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "symbolize/symbolizer.h"

/* Re-captures of a new process after its announcement, so mappings that ld.so makes after it
 * (libraries) are seen even if the process is gone by the next drain; bounded queue. */
#define HP_STACK_PROCS_RECAPTURE_DELAYS_MS                                                         \
	{                                                                                          \
		5, 25                                                                              \
	}
#define HP_STACK_PROCS_RECAPTURE_SLOTS 512
/* Exited processes whose symbolizer state is freed after the next drain. */
#define HP_STACK_PROCS_EXIT_SLOTS 4096

struct ring_buffer;

struct hp_stack_procs {
	const char *name;	   /* the collector's, for log lines */
	struct hp_symbolizer *sym; /* the agent's shared symbolizer */
	struct ring_buffer *rb;
	pthread_t thread; /* polls rb, runs recaptures */
	bool running;
	atomic_bool stop; /* set by hp_stack_procs__stop, polled by the thread */
	/* recaptures due (thread only): pid and CLOCK_MONOTONIC ns, unordered */
	struct {
		pid_t pid;
		__u64 due_ns;
	} recapture[HP_STACK_PROCS_RECAPTURE_SLOTS];
	size_t nrecapture;
	/* exits seen by the thread, forgotten by the drain that follows (exit_lock) */
	pthread_mutex_t exit_lock;
	pid_t exited[HP_STACK_PROCS_EXIT_SLOTS];
	size_t nexited;
	__u64 exits_lost; /* backlog full: left to LRU eviction (exit_lock) */
};

/* Sets p up for the collector name (a string that outlives p) and the shared sym. */
void hp_stack_procs__init(struct hp_stack_procs *p, const char *name, struct hp_symbolizer *sym);
/* Reads announcements from the BPF_MAP_TYPE_RINGBUF new_procs_fd in a thread of its own (nice
 * -10: a short-lived process must be captured a few ms after it shows up, also on a host whose
 * CPUs are busy). 0 or a negative errno. */
int hp_stack_procs__start(struct hp_stack_procs *p, int new_procs_fd);
/* Stops the thread and frees the ring buffer; safe after a failed or no start. */
void hp_stack_procs__stop(struct hp_stack_procs *p);
/* Frees what init set up (after hp_stack_procs__stop). */
void hp_stack_procs__destroy(struct hp_stack_procs *p);
/* How many exits are queued now: a drain takes this count before it reads the kernel maps, so
 * those processes' last stacks are resolved before hp_stack_procs__forget frees their state. */
size_t hp_stack_procs__exited(struct hp_stack_procs *p);
/* Frees the symbolizer state of the first n queued exits (n from hp_stack_procs__exited). */
void hp_stack_procs__forget(struct hp_stack_procs *p, size_t n);
/* Exits not queued because the queue was full (the HP_STACK_DROP_EXIT_NOTIFY_FULL drops userspace
 * adds to the kernel's). */
__u64 hp_stack_procs__exits_lost(struct hp_stack_procs *p);

#endif
