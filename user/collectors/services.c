// SPDX-License-Identifier: GPL-2.0-only
/* The agent-level services (see services.h): created once by "serve" or "record" and handed to
 * every collector, so a second profile-producing collector shares caches instead of copying. */
#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpulist.h"
#include "collector.h"
#include "export/prom.h"
#include "export/symbolizer_metrics.h"
#include "meta/pod_dir.h"

/* Ticks between checks of /proc/modules (kallsyms is re-read when modules changed). */
#define SERVICES_KERNEL_RECHECK_TICKS 10

/* Seconds between checks of the kubelet's pod log directories for a change. */
#define SERVICES_POD_DIR_INTERVAL 1.0

struct hp_services_wl_slot {
	uint64_t id;	   /* 0: empty */
	unsigned long gen; /* pod directory generation its names were read in */
	struct hp_workload wl;
};

/* Size of the symbolizer's process cache (see HP_SYM_PROCESSES). */
static size_t services__sym_processes(unsigned int sample_hz)
{
	int *online = NULL;
	size_t nonline = 1, n;

	if (hp_cpulist__online(NULL, &online, &nonline) || nonline == 0)
		nonline = 1;
	free(online);
	n = 4 * (size_t)sample_hz * nonline;
	return n < HP_SYM_PROCESSES_MIN ? HP_SYM_PROCESSES_MIN
	       : n > HP_SYM_PROCESSES	? HP_SYM_PROCESSES
					: n;
}

int hp_services__init(struct hp_services *svc, const struct hp_services_opts *opts)
{
	memset(svc, 0, sizeof(*svc));
	svc->sym_processes = services__sym_processes(opts->sample_hz);
	svc->sym = hp_symbolizer__new(
	    &(struct hp_symbolizer_opts){ .max_elf_files = HP_SYM_ELF_FILES,
					  .max_processes = svc->sym_processes,
					  .cache_bytes = opts->symbol_cache_bytes,
					  .max_perf_map_bytes = opts->perf_map_max_bytes });
	svc->cgroups = malloc(sizeof(*svc->cgroups));
	svc->pod_dir =
	    hp_pod_dir__new(opts->kubelet_pods_dir ? opts->kubelet_pods_dir : "/var/log/pods",
			    HP_SERVICES_MAX_PODS);
	svc->wl = calloc(HP_SERVICES_WORKLOAD_SLOTS, sizeof(*svc->wl));
	if (!svc->sym || !svc->cgroups || !svc->pod_dir || !svc->wl) {
		hp_symbolizer__free(svc->sym);
		free(svc->cgroups);
		hp_pod_dir__free(svc->pod_dir);
		free(svc->wl);
		memset(svc, 0, sizeof(*svc));
		return -ENOMEM;
	}
	hp_cgroup_names__init(svc->cgroups, NULL);
	pthread_mutex_init(&svc->cgroup_lock, NULL);
	svc->pod_gen = hp_pod_dir__refresh(svc->pod_dir, 0); /* names from the first sample on */
	return 0;
}

void hp_services__free(struct hp_services *svc)
{
	if (!svc->sym)
		return;
	hp_symbolizer__free(svc->sym);
	hp_cgroup_names__free(svc->cgroups);
	free(svc->cgroups);
	hp_pod_dir__free(svc->pod_dir);
	free(svc->wl);
	pthread_mutex_destroy(&svc->cgroup_lock);
	memset(svc, 0, sizeof(*svc));
}

const char *hp_services__cgroup_path(struct hp_services *svc, uint64_t id, pid_t tgid, char *buf,
				     size_t size)
{
	const char *path;

	pthread_mutex_lock(&svc->cgroup_lock);
	path = hp_cgroup_names__path(svc->cgroups, NULL, id, tgid);
	if (path)
		snprintf(buf, size, "%s", path);
	pthread_mutex_unlock(&svc->cgroup_lock);
	return path ? buf : NULL;
}

/* Fills w's pod fields from its cgroup path and the pod directory index (under cgroup_lock). */
static void services__resolve(struct hp_services *svc, struct hp_workload *w)
{
	struct hp_cgroup_ident ident;
	struct hp_pod_names names;
	int found;

	hp_cgroup_ident__parse(w->cgroup, &ident);
	snprintf(w->service, sizeof(w->service), "%s", ident.service);
	snprintf(w->pod_uid, sizeof(w->pod_uid), "%s", ident.pod_uid);
	snprintf(w->container_id, sizeof(w->container_id), "%s", ident.container_id);
	if (ident.kind != HP_WL_POD && ident.kind != HP_WL_CONTAINER)
		return;
	found = hp_pod_dir__lookup(svc->pod_dir, ident.pod_uid, ident.container_id, &names) == 0;
	if (found) {
		snprintf(w->namespace_, sizeof(w->namespace_), "%s", names.namespace_);
		snprintf(w->pod, sizeof(w->pod), "%s", names.pod);
	} else {
		snprintf(w->pod, sizeof(w->pod), "%s", ident.pod_uid);
	}
	if (ident.kind != HP_WL_CONTAINER)
		return;
	if (found && names.container[0])
		snprintf(w->container, sizeof(w->container), "%s", names.container);
	else
		snprintf(w->container, sizeof(w->container), "%.12s", ident.container_id);
}

const struct hp_workload *hp_services__workload(struct hp_services *svc, uint64_t id, pid_t tgid,
						struct hp_workload *out)
{
	struct hp_services_wl_slot *slot = &svc->wl[id % HP_SERVICES_WORKLOAD_SLOTS];
	const char *path;

	pthread_mutex_lock(&svc->cgroup_lock);
	if (id && slot->id == id && slot->gen == svc->pod_gen) {
		*out = slot->wl;
		pthread_mutex_unlock(&svc->cgroup_lock);
		return out;
	}
	/* a cgroup id is never reused while the system runs: its path is fixed, only the names
	 * from the pod directory may change */
	path = slot->id == id && id ? slot->wl.cgroup
				    : hp_cgroup_names__path(svc->cgroups, NULL, id, tgid);
	if (!path) {
		pthread_mutex_unlock(&svc->cgroup_lock);
		return NULL;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", path);
	services__resolve(svc, out);
	if (id) {
		slot->id = id;
		slot->gen = svc->pod_gen;
		slot->wl = *out;
	}
	pthread_mutex_unlock(&svc->cgroup_lock);
	return out;
}

void hp_services__labels(struct hp_services *svc, uint64_t id, pid_t tgid, struct hp_workload *w,
			 struct hp_prof_labels *l)
{
	if (!hp_services__workload(svc, id, tgid, w))
		return;
	l->cgroup = w->cgroup;
	l->namespace_ = w->namespace_;
	l->pod = w->pod;
	l->container = w->container;
}

void hp_services__refresh_pods(struct hp_services *svc)
{
	pthread_mutex_lock(&svc->cgroup_lock);
	svc->pod_gen = hp_pod_dir__refresh(svc->pod_dir, SERVICES_POD_DIR_INTERVAL);
	pthread_mutex_unlock(&svc->cgroup_lock);
}

void hp_services__tick(struct hp_services *svc)
{
	hp_services__refresh_pods(svc);
	if (++svc->ticks % SERVICES_KERNEL_RECHECK_TICKS == 0)
		hp_symbolizer__refresh_kernel(svc->sym);
	hp_symbolizer__sweep(svc->sym); /* frees exited processes even without samples */
}

/* The kubelet pod directory index's figures (meta/pod_dir.h). */
static void services__pod_dir_metrics(struct hp_services *svc, struct hp_buf *out)
{
	struct hp_pod_dir_stats st;

	pthread_mutex_lock(&svc->cgroup_lock);
	hp_pod_dir__stats(svc->pod_dir, &st);
	pthread_mutex_unlock(&svc->cgroup_lock);
	hp_prom__family(out, "hostprof_kubelet_pods", HP_PROM_GAUGE,
			"Pods named by the kubelet's pod log directories (--kubelet-pods-dir).");
	hp_prom__sample(out, "hostprof_kubelet_pods", NULL, 0, (double)st.pods);
	hp_prom__family(out, "hostprof_kubelet_pod_dirs_malformed_total", HP_PROM_COUNTER,
			"Pod, container or link names in the kubelet's log directories skipped as "
			"malformed, counted on every re-scan.");
	hp_prom__sample(out, "hostprof_kubelet_pod_dirs_malformed_total", NULL, 0,
			(double)st.malformed);
	hp_prom__family(out, "hostprof_kubelet_pods_over_bound_total", HP_PROM_COUNTER,
			"Pods (and container links) left out of the name index beyond its bound, "
			"counted on every re-scan.");
	hp_prom__sample(out, "hostprof_kubelet_pods_over_bound_total", NULL, 0,
			(double)st.over_bound);
	hp_prom__family(out, "hostprof_kubelet_pod_dir_rescans_total", HP_PROM_COUNTER,
			"Re-reads of the kubelet's pod log directories after they changed.");
	hp_prom__sample(out, "hostprof_kubelet_pod_dir_rescans_total", NULL, 0, (double)st.rescans);
}

void hp_services__metrics(struct hp_services *svc, struct hp_buf *out)
{
	struct hp_symbolizer_stats st;

	hp_symbolizer__stats(svc->sym, &st);
	hp_symbolizer_stats__metrics(&st, out);
	services__pod_dir_metrics(svc, out);
}

/* The pod name index and the workload cache for hostprof_map_entries. */
static void services__workload_self_stats(struct hp_services *svc, struct hp_self_stats *out)
{
	struct hp_pod_dir_stats st;
	size_t used = 0;

	pthread_mutex_lock(&svc->cgroup_lock);
	hp_pod_dir__stats(svc->pod_dir, &st);
	for (size_t i = 0; i < HP_SERVICES_WORKLOAD_SLOTS; i++)
		used += svc->wl[i].id != 0;
	pthread_mutex_unlock(&svc->cgroup_lock);
	hp_self_stats__add_map(out, "kubelet_pods", st.pods, HP_SERVICES_MAX_PODS);
	hp_self_stats__add_map(out, "workload_cache", used, HP_SERVICES_WORKLOAD_SLOTS);
}

void hp_services__self_stats(struct hp_services *svc, struct hp_self_stats *out)
{
	struct hp_symbolizer_stats st;

	hp_symbolizer__stats(svc->sym, &st);
	hp_self_stats__add_map(out, "symbolizer_elf_cache", st.elf_entries, HP_SYM_ELF_FILES);
	hp_self_stats__add_map(out, "symbolizer_processes", st.proc_entries, svc->sym_processes);
	services__workload_self_stats(svc, out);
}
