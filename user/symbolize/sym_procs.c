// SPDX-License-Identifier: GPL-2.0-only
/* The captured processes: found by pid, least recently used evicted beyond max_processes, and
 * dropped once their /proc entry has been gone a while (the liveness sweep). */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym_internal.h"
#include "base/readfile.h"

static size_t procs__bucket(const struct hp_symbolizer *s, pid_t pid)
{
	return ((size_t)(uint32_t)pid * 0x9e3779b1u) & (s->nproc_buckets - 1);
}

struct proc *hp_sym_procs__find(struct hp_symbolizer *s, pid_t pid)
{
	for (struct proc *p = s->procs[procs__bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

void hp_sym__free_maps(struct hp_symbolizer *s, struct umap *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hp_sym_file__unref(s, maps[i].file);
		free(maps[i].name);
	}
	free(maps);
}

/* Re-computes p's accounted size after its mappings changed. */
void hp_sym_proc__account(struct hp_symbolizer *s, struct proc *p)
{
	size_t bytes = sizeof(*p) + p->nmaps * sizeof(*p->maps);

	for (size_t i = 0; i < p->nmaps; i++)
		bytes += strlen(p->maps[i].name) + 1;
	s->bytes[HP_SYM_CACHE_PROC] += bytes - p->bytes;
	p->bytes = bytes;
}

void hp_sym_proc__destroy(struct hp_symbolizer *s, struct proc *p)
{
	struct proc **pp = &s->procs[procs__bucket(s, p->pid)];

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	hp_lru__remove(&s->procs_lru, &p->lru);
	hp_sym__free_maps(s, p->maps, p->nmaps);
	hp_sym_jit__drop(s, p);
	s->bytes[HP_SYM_CACHE_PROC] -= p->bytes;
	free(p);
}

void hp_sym_proc__evict(struct hp_symbolizer *s, struct proc *p, enum hp_sym_evict why)
{
	if (p->jit)
		s->stats.evictions[HP_SYM_CACHE_PERF_MAP][why]++;
	hp_sym_proc__destroy(s, p);
	s->stats.evictions[HP_SYM_CACHE_PROC][why]++;
}

void hp_sym_proc__touch(struct hp_symbolizer *s, struct proc *p)
{
	hp_lru__touch(&s->procs_lru, &p->lru);
}

struct proc *hp_sym_procs__add(struct hp_symbolizer *s, pid_t pid, uint64_t start_time)
{
	struct proc *p = calloc(1, sizeof(*p));
	size_t b;

	if (!p)
		return NULL;
	p->pid = p->nspid = pid;
	p->start_time = start_time;
	b = procs__bucket(s, pid);
	p->hnext = s->procs[b];
	s->procs[b] = p;
	hp_lru__add(&s->procs_lru, &p->lru);
	while (s->procs_lru.n > s->max_procs && s->procs_lru.tail != &p->lru)
		hp_sym_proc__evict(s, hp_sym__proc_of(s->procs_lru.tail), HP_SYM_EVICT_CAPACITY);
	hp_sym_proc__account(s, p);
	return p;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
int hp_sym__start_time(struct hp_symbolizer *s, pid_t pid, uint64_t *out)
{
	char path[128], *buf, *p;
	size_t len;
	int field = 2;

	snprintf(path, sizeof(path), "%s/%d/stat", s->proc_root, pid);
	buf = hp_readfile__path(path, 1 << 16, &len);
	if (!buf)
		return errno == ENOENT ? -ESRCH : -errno;
	/* comm may hold spaces and parentheses: fields are counted from the last ')' */
	p = strrchr(buf, ')');
	while (p && field < 22) {
		p = strchr(p + 1, ' ');
		field++;
	}
	if (!p) {
		free(buf);
		return -EINVAL;
	}
	*out = strtoull(p + 1, NULL, 10);
	free(buf);
	return 0;
}

/* From /proc/PID/status: the last NSpid (the pid the process knows itself by) into *nspid and
 * the effective uid into *uid ((uid_t)-1 if unknown: only root-owned perf maps are read). */
void hp_sym__status(struct hp_symbolizer *s, pid_t pid, pid_t *nspid_out, uid_t *uid)
{
	char path[128], *buf, *line;
	pid_t nspid = pid;
	unsigned long ruid, euid;
	size_t len;

	*nspid_out = pid;
	*uid = (uid_t)-1;
	snprintf(path, sizeof(path), "%s/%d/status", s->proc_root, pid);
	buf = hp_readfile__path(path, 1 << 16, &len);
	if (!buf)
		return;
	line = strstr(buf, "\nUid:");
	if (line && sscanf(line + 5, "%lu %lu", &ruid, &euid) == 2)
		*uid = (uid_t)euid;
	line = strstr(buf, "\nNSpid:");
	if (line) {
		char *p = line + 7, *end;

		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (v > 0)
				nspid = (pid_t)v;
			p = end;
		}
	}
	free(buf);
	*nspid_out = nspid;
}

/* See hp_symbolizer__sweep. */
void hp_sym_procs__sweep(struct hp_symbolizer *s)
{
	uint64_t now = hp_sym__now_ns(), before = hp_sym__total_bytes(s);
	struct hp_lru_node *n, *next;

	if (now - s->swept_ns < SYM_SWEEP_NS)
		return;
	s->swept_ns = now;
	for (n = s->procs_lru.head; n; n = next) {
		struct proc *p = hp_sym__proc_of(n);
		char path[64];

		next = n->next;
		snprintf(path, sizeof(path), "%s/%d", s->proc_root, p->pid);
		if (!p->gone && access(path, F_OK) == 0) {
			p->dead_ns = 0;
			continue;
		}
		if (!p->dead_ns) {
			p->dead_ns = now;
			continue;
		}
		if (now - p->dead_ns >= SYM_EXIT_GRACE_NS)
			hp_sym_proc__evict(s, p, HP_SYM_EVICT_EXITED);
	}
	/* large perf maps leave free pages inside the heap: give them back */
	if (before - hp_sym__total_bytes(s) >= (1u << 20))
		malloc_trim(0);
}
