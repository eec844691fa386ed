/* SPDX-License-Identifier: GPL-2.0-only */
/* State of the syscall collector, shared by its life cycle (collector_syscalls.c) and its JSON
 * API (syscalls_api.c); nothing outside those two files includes this. */
#ifndef HOSTPROF_COLLECTOR_SYSCALLS_H
#define HOSTPROF_COLLECTOR_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>

#include "comm_table.h"
#include "collectors/pod_series.h"
#include "collectors/services.h"
#include "http/http.h"
#include "hp_syscalls.h"
#include "syscall_pods.h"
#include "syscall_snapshot.h"
#include "stores/window.h"

struct syscalls_bpf;
struct hp_collector;

struct hp_sc_state {
	struct syscalls_bpf *skel;
	int ncpus;
	/* Read-only mmaps of maps the kernel updates while we read: never read twice, see
	 * hp_sc_snapshot__begin() and sc__read_compat(). */
	const volatile __u64 *errors; /* errors map */
	size_t errors_len;
	const volatile void *compat; /* compat_hists map */
	size_t compat_len;
	struct hp_sc_hist *hists;      /* HP_SC_KEYS: native summed over CPUs, then compat */
	struct hp_sc_hist *percpu;     /* lookup buffer: LOOKUP_BATCH * ncpus */
	struct hp_sc_snapshot *latest; /* as of the last refresh */
	struct hp_window window;
	bool window_ready;
	struct hp_comm_table comms;
	struct hp_sc_comm_key *comm_keys; /* drain buffer */
	struct hp_sc_comm_val *comm_vals; /* one per CPU */
	/* per-cgroup breakdown (--pod-metrics): drained every tick and by API requests */
	struct hp_sc_pods pods;
	bool pods_ready;
	bool pods_warned;
	double pods_drained; /* CLOCK_MONOTONIC s of the last drain */
	/* who ran in a cgroup (hp_services__workload of c->svc; tests put their own here): out, or
	 * NULL when the cgroup's path is unknown */
	const struct hp_workload *(*workload)(struct hp_collector *c, __u64 cgroup,
					      struct hp_workload *out);
	struct hp_pod_series *pod_series; /* hostprof_pod_syscall_* (--pod-metrics), or NULL */
};

extern const struct hp_route hp_syscalls_routes[];

#endif
