/* SPDX-License-Identifier: GPL-2.0-only */
/* Agent-level services every collector shares: one symbolizer (one cache, one set of metric
 * families), one cgroup naming cache and the registry of profile sources. */
#ifndef HOSTPROF_SERVICES_H
#define HOSTPROF_SERVICES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "meta/cgroup_names.h"
#include "meta/workload.h"
#include "profile/profile.h"
#include "stores/profile_source.h"
#include "symbolize/symbolizer.h"

/* Bounds of the symbolizer caches (LRU). The process cache holds what 4 s of CPU samples can
 * need (frequency x CPUs x 4, each sample possibly a new process), at least
 * HP_SYM_PROCESSES_MIN and at most HP_SYM_PROCESSES: every captured process costs ~4.5 KiB, and
 * under process churn the cache stays full. */
#define HP_SYM_ELF_FILES 256
#define HP_SYM_PROCESSES 4096
#define HP_SYM_PROCESSES_MIN 1024

struct hp_self_stats;

/* How big the services may grow; the command line's, filled by serve and record. */
struct hp_services_opts {
	size_t symbol_cache_bytes; /* --symbol-cache-mb: every symbolizer cache together */
	size_t perf_map_max_bytes; /* --perf-map-max-mb; 0: a quarter of symbol_cache_bytes */
	unsigned int sample_hz;	   /* CPU samples per second per CPU (each may be a new process) */
	const char *kubelet_pods_dir; /* --kubelet-pods-dir; NULL: /var/log/pods */
};

/* Who ran in a cgroup, for labels: its path and the pod/container or systemd service there. */
struct hp_workload {
	char cgroup[HP_CGROUP_PATH_MAX];
	char namespace_[HP_K8S_NAMESPACE_MAX]; /* "" outside a pod or when not known */
	char pod[HP_K8S_POD_MAX];	      /* the pod's name; its UID when the name is unknown */
	char container[HP_K8S_CONTAINER_MAX]; /* the container's name; else its id's first 12 */
	char service[HP_SERVICE_MAX];	      /* systemd service outside Kubernetes */
	char pod_uid[HP_POD_UID_MAX];
	char container_id[HP_CONTAINER_ID_MAX];
};

/* Pods the kubelet log directory index holds (a node runs at most a few hundred). */
#define HP_SERVICES_MAX_PODS 2048
/* Cgroups whose workload is cached (direct-mapped by id, like the cgroup path cache). */
#define HP_SERVICES_WORKLOAD_SLOTS 1024

struct hp_pod_dir;
struct hp_services_wl_slot;

struct hp_services {
	struct hp_symbolizer *sym; /* thread-safe on its own */
	size_t sym_processes;	   /* its process cache bound */
	pthread_mutex_t cgroup_lock;
	struct hp_cgroup_names *cgroups; /* under cgroup_lock: hp_services__cgroup_path */
	struct hp_pod_dir *pod_dir;	 /* under cgroup_lock, like the two below */
	unsigned long pod_gen;		 /* its generation at the last refresh */
	struct hp_services_wl_slot *wl;	 /* HP_SERVICES_WORKLOAD_SLOTS */
	struct hp_profile_registry profiles;
	unsigned long long ticks;
};

/* Creates the services sized from opts and the online CPUs. 0 or a negative errno; on failure
 * nothing is left to free. */
int hp_services__init(struct hp_services *svc, const struct hp_services_opts *opts);
/* Frees what init created; the profile registry must be empty (every collector stopped). */
void hp_services__free(struct hp_services *svc);
/* Path of cgroup v2 id for a sample of tgid (see hp_cgroup_names__path), copied into buf
 * (HP_CGROUP_PATH_MAX bytes) so the shared cache may change after the call. buf or NULL. */
const char *hp_services__cgroup_path(struct hp_services *svc, uint64_t id, pid_t tgid, char *buf,
				     size_t size);
/*
 * Who ran in cgroup v2 id (a sample of tgid; tgid <= 0: resolved from the id alone, see
 * hp_cgroup_names__path): the path, then meta/workload.h's reading of it and the pod's names
 * from the kubelet's pod log directories. Copied into out (the shared caches may change after
 * the call); NULL when the cgroup's path is unknown. Bounded cache by id, names re-read when
 * the pod directory changes.
 */
const struct hp_workload *hp_services__workload(struct hp_services *svc, uint64_t id, pid_t tgid,
						struct hp_workload *out);
/* A sample's cgroup and pod labels (namespace, pod, container; "" outside a pod) set in l, the
 * strings in w (which must outlive l's use): hp_services__workload's answer; left unset when
 * the cgroup's path is unknown. */
void hp_services__labels(struct hp_services *svc, uint64_t id, pid_t tgid, struct hp_workload *w,
			 struct hp_prof_labels *l);
/* Re-reads the kubelet pod directories if they changed, at most once per second (the tick does;
 * "record", which has no tick, calls it before each drain). */
void hp_services__refresh_pods(struct hp_services *svc);
/* Once per agent tick: symbolizer liveness sweep, kallsyms re-read when modules changed, the
 * kubelet pod directories re-read when they changed (at most once per second). */
void hp_services__tick(struct hp_services *svc);
/* The hostprof_symbolizer_* and hostprof_kubelet_pod* families, once per /metrics page. */
void hp_services__metrics(struct hp_services *svc, struct hp_buf *out);
/* The services' bounded tables (symbolizer caches) for hostprof_map_entries. */
void hp_services__self_stats(struct hp_services *svc, struct hp_self_stats *out);

#endif
