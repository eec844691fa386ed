/* SPDX-License-Identifier: GPL-2.0-only */
/* A wait until every BPF program already running has returned: what a drain needs after it moves
 * a generation on, so that no program is still adding to the rows it is about to read and delete. */
#ifndef HOSTPROF_BPF_SYNC_H
#define HOSTPROF_BPF_SYNC_H

#include <stdbool.h>

/*
 * Updating an element of a map-in-map makes the kernel wait for an RCU grace period before the
 * bpf() call returns (kernel/bpf/syscall.c maybe_wait_bpf_programs(), commit 1ae80cf31938 "bpf:
 * wait for running BPF programs when updating map-in-map"). Non-sleepable BPF programs (tracepoint,
 * raw_tp, tp_btf, perf_event) run inside RCU read-side sections, so when hp_bpf_sync__wait()
 * returns, every program that started before it was called has finished, and any value it read
 * before (e.g. an old generation) is no longer in use. Costs one bpf() call: tens of microseconds
 * on an idle 2-CPU VM, up to a grace period (milliseconds) on a busy host.
 */
struct hp_bpf_sync {
	int outer_fd; /* BPF_MAP_TYPE_ARRAY_OF_MAPS, 1 slot */
	int inner_fd; /* BPF_MAP_TYPE_ARRAY, 1 slot: the value stored into it */
};

/* Creates the two maps; 0 or a negative errno (then wait() is a no-op returning that errno). */
int hp_bpf_sync__open(struct hp_bpf_sync *s);
/* Waits as described above: 0, or a negative errno when the barrier is unavailable (the caller
 * must then fall back to keeping the previous generation, or to a delay). */
int hp_bpf_sync__wait(const struct hp_bpf_sync *s);
void hp_bpf_sync__close(struct hp_bpf_sync *s);

#endif
