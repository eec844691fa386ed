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
#include "export/symbolizer_metrics.h"

/* Ticks between checks of /proc/modules (kallsyms is re-read when modules changed). */
#define SERVICES_KERNEL_RECHECK_TICKS 10

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
	if (!svc->sym || !svc->cgroups) {
		hp_symbolizer__free(svc->sym);
		free(svc->cgroups);
		memset(svc, 0, sizeof(*svc));
		return -ENOMEM;
	}
	hp_cgroup_names__init(svc->cgroups, NULL);
	pthread_mutex_init(&svc->cgroup_lock, NULL);
	return 0;
}

void hp_services__free(struct hp_services *svc)
{
	if (!svc->sym)
		return;
	hp_symbolizer__free(svc->sym);
	hp_cgroup_names__free(svc->cgroups);
	free(svc->cgroups);
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

void hp_services__tick(struct hp_services *svc)
{
	if (++svc->ticks % SERVICES_KERNEL_RECHECK_TICKS == 0)
		hp_symbolizer__refresh_kernel(svc->sym);
	hp_symbolizer__sweep(svc->sym); /* frees exited processes even without samples */
}

void hp_services__metrics(struct hp_services *svc, struct hp_buf *out)
{
	struct hp_symbolizer_stats st;

	hp_symbolizer__stats(svc->sym, &st);
	hp_symbolizer_stats__metrics(&st, out);
}

void hp_services__self_stats(struct hp_services *svc, struct hp_self_stats *out)
{
	struct hp_symbolizer_stats st;

	hp_symbolizer__stats(svc->sym, &st);
	hp_self_stats__add_map(out, "symbolizer_elf_cache", st.elf_entries, HP_SYM_ELF_FILES);
	hp_self_stats__add_map(out, "symbolizer_processes", st.proc_entries, svc->sym_processes);
}
