// SPDX-License-Identifier: GPL-2.0-only
/* Per-process perf maps (/tmp/perf-PID.map, written by JITs): which file is read, under which
 * limits and budget, and the lookup that names JIT frames the ELF tables do not cover. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "sym_internal.h"
#include "base/safe_open.h"

void hp_sym_jit__drop(struct hp_symbolizer *s, struct proc *p)
{
	if (!p->jit)
		return;
	hp_perf_map__free(p->jit);
	p->jit = NULL;
	s->bytes[HP_SYM_CACHE_PERF_MAP] -= p->jit_bytes;
	p->jit_bytes = 0;
	s->njit--;
}

/* Replaces p's perf map with the one at fd (st: its fstat, path: its name in the process). */
static void jit__load(struct hp_symbolizer *s, struct proc *p, int fd, const struct stat *st,
		      const char *path)
{
	struct hp_perf_map_limits lim = {
		.max_bytes = s->max_perf_map,
		.max_entries = SYM_MAX_PERF_MAP_ENTRIES,
		.max_mem = 2 * s->max_perf_map,
		.max_cpu_ns = SYM_PERF_MAP_MAX_NS,
	};
	struct hp_perf_map *m;

	/* room first, so the cache never holds more than the budget, not even while a large map
	 * is parsed: its parsed size is about its file size */
	hp_sym_jit__drop(s, p);
	hp_sym__budget(s, p, (uint64_t)st->st_size);
	if (hp_sym__total_bytes(s) >= s->budget)
		lim.max_mem = 1; /* no room at all: refused */
	else if (s->budget - hp_sym__total_bytes(s) < lim.max_mem)
		lim.max_mem = s->budget - hp_sym__total_bytes(s);
	m = hp_perf_map__read(fd, &lim);
	if (!m)
		hp_sym__refused(s, -errno);
	p->jit_key = hp_sym__stat_key(st);
	p->jit_known = true;
	if (!m)
		return;
	p->jit = m;
	p->jit_bytes = hp_perf_map__mem_size(m);
	s->bytes[HP_SYM_CACHE_PERF_MAP] += p->jit_bytes;
	s->njit++;
	snprintf(p->jit_name, sizeof(p->jit_name), "%s", path);
}

/* Loads (or reloads, when it changed) the process's perf map: /tmp/perf-NSPID.map inside its
 * root first, the name a process in a pid namespace writes, then the host pid's name. The file
 * must be a regular file (no symlink) owned by the process's effective uid, at most max_perf_map
 * bytes, parsed within SYM_PERF_MAP_MAX_NS of CPU time; one that is refused, or was evicted, is
 * not read again until it changes. */
void hp_sym_jit__refresh(struct hp_symbolizer *s, struct proc *p)
{
	pid_t cand[2] = { p->nspid, p->pid };
	char root_dir[PATH_MAX];
	int n = snprintf(root_dir, sizeof(root_dir), "%s/%d/root", s->proc_root, p->pid);

	if (n <= 0 || (size_t)n >= sizeof(root_dir))
		return;
	for (int i = 0; i < 2; i++) {
		struct hp_safe_open_opts so = {
			.root = root_dir,
			.max_size = s->max_perf_map,
			.no_symlinks = true,
			.check_owner = true,
			.owner = p->uid,
		};
		struct file_key k;
		struct stat st;
		char path[64];
		int fd;

		if (i == 1 && cand[1] == cand[0])
			break;
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", cand[i]);
		fd = hp_safe_open__fd(path, &so, &st);
		if (fd < 0) {
			hp_sym__refused(s, fd);
			continue;
		}
		k = hp_sym__stat_key(&st);
		if (!p->jit_known || !hp_sym__key_eq(&k, &p->jit_key))
			jit__load(s, p, fd, &st, path);
		close(fd);
		return;
	}
}

bool hp_sym_jit__lookup(const struct proc *p, uint64_t addr, struct hp_sym *out)
{
	const char *name;

	if (!p->jit || !(name = hp_perf_map__lookup(p->jit, addr, NULL)))
		return false;
	hp_sym__set_names(out, name, name);
	hp_sym__copy(out->module, sizeof(out->module), p->jit_name);
	return true;
}
