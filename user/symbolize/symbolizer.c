// SPDX-License-Identifier: GPL-2.0-only
/* The symbolizer's public API (see symbolizer.h): create/free, capture/forget/sweep, user-space
 * resolution and stats. The caches behind it live in the sym_*.c files; one mutex guards all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "sym_internal.h"

const char *const hp_sym_cache_names[HP_SYM_CACHE__COUNT] = { "elf", "perf_map", "proc" };
const char *const hp_sym_evict_names[HP_SYM_EVICT__COUNT] = { "capacity", "budget", "exited" };
const char *const hp_sym_refused_names[HP_SYM_REFUSED__COUNT] = {
	"not_regular", "symlink", "escape", "too_large", "time_limit", "owner", "fuse",
};

static size_t sym__pow2(size_t n)
{
	size_t p = 16;

	while (p < n)
		p *= 2;
	return p;
}

void hp_sym__clear(struct hp_sym *out)
{
	out->function[0] = '\0';
	out->mangled[0] = '\0';
	out->module[0] = '\0';
	out->build_id[0] = '\0';
	out->offset = out->map_start = out->map_limit = out->map_offset = 0;
	out->kernel = false;
}

void hp_sym__set_names(struct hp_sym *out, const char *function, const char *mangled)
{
	hp_sym__copy(out->function, sizeof(out->function), function);
	hp_sym__copy(out->mangled, sizeof(out->mangled), mangled);
}

/* Names addr from the ELF table of the mapping m of p that holds it (else p's perf map). */
static void sym__user_name(struct hp_symbolizer *s, const struct proc *p, const struct umap *m,
			   uint64_t addr, struct hp_sym *out)
{
	struct hp_elf_syms *e = m->file ? m->file->syms : NULL;
	uint64_t vaddr;
	long idx;

	if (m->file) {
		hp_sym__copy(out->build_id, sizeof(out->build_id), m->file->build_id);
		hp_sym_file__touch(s, m->file);
	}
	if (e && hp_elf_syms__offset_to_vaddr(e, out->offset, &vaddr) == 0 &&
	    (idx = hp_elf_syms__find(e, vaddr)) >= 0) {
		hp_sym__set_names(out, hp_elf_syms__demangled(e, (size_t)idx),
				  hp_elf_syms__name(e, (size_t)idx));
		return;
	}
	/* code the ELF tables do not describe: anonymous or memfd JIT buffers */
	if (!hp_sym_jit__lookup(p, addr, out))
		s->stats.unresolved++;
}

static int sym__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out)
{
	struct proc *p = hp_sym_procs__find(s, pid);
	const struct umap *m;
	int err;

	hp_sym__clear(out);
	if (!p) {
		err = hp_sym__capture(s, pid, true, &p);
		if (err)
			return err;
	}
	hp_sym_proc__touch(s, p);
	m = hp_sym__find_map(p, addr);
	if (!m && !p->gone && hp_sym__now_ns() - p->checked_ns >= SYM_RECHECK_NS) {
		/* mapped since the capture (dlopen, JIT)? */
		if (hp_sym__capture(s, pid, false, NULL) == 0)
			m = hp_sym__find_map(p, addr);
	}
	if (!m) {
		if (hp_sym_jit__lookup(p, addr, out)) {
			out->offset = addr;
			return 0;
		}
		s->stats.unmapped++;
		return -ENOENT;
	}
	hp_sym__copy(out->module, sizeof(out->module), m->name);
	out->map_start = m->start;
	out->map_limit = m->end;
	out->map_offset = m->offset;
	out->offset = addr - m->start + m->offset;
	sym__user_name(s, p, m, addr, out);
	return 0;
}

/* Copies the counters for hp_symbolizer__stats, then releases the lock: /metrics reads the copy
 * and never waits for a capture that is parsing a large file. */
void hp_sym__unlock(struct hp_symbolizer *s)
{
	struct hp_symbolizer_stats st = s->stats;

	st.elf_entries = s->files.n;
	st.proc_entries = s->procs_lru.n;
	st.elf_cache_evictions = st.proc_evictions = 0;
	for (int r = 0; r < HP_SYM_EVICT__COUNT; r++) {
		st.elf_cache_evictions += s->stats.evictions[HP_SYM_CACHE_ELF][r];
		st.proc_evictions += s->stats.evictions[HP_SYM_CACHE_PROC][r];
	}
	for (int c = 0; c < HP_SYM_CACHE__COUNT; c++)
		st.cache_bytes[c] = s->bytes[c];
	st.cache_entries[HP_SYM_CACHE_ELF] = s->files.n;
	st.cache_entries[HP_SYM_CACHE_PERF_MAP] = s->njit;
	st.cache_entries[HP_SYM_CACHE_PROC] = s->procs_lru.n;
	pthread_mutex_lock(&s->snap_lock);
	s->snap = st;
	pthread_mutex_unlock(&s->snap_lock);
	pthread_mutex_unlock(&s->lock);
}

struct hp_symbolizer *hp_symbolizer__new(const struct hp_symbolizer_opts *opts)
{
	struct hp_symbolizer_opts o = opts ? *opts : (struct hp_symbolizer_opts){ 0 };
	struct hp_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max_files = o.max_elf_files ? o.max_elf_files : SYM_DEFAULT_FILES;
	s->max_procs = o.max_processes ? o.max_processes : SYM_DEFAULT_PROCS;
	s->proc_root = strdup(o.proc_root ? o.proc_root : "/proc");
	s->debug_root = strdup(o.debug_root ? o.debug_root : "/usr/lib/debug");
	s->skip_map_files = o.skip_map_files;
	s->budget = o.cache_bytes ? o.cache_bytes : SYM_DEFAULT_BUDGET;
	s->max_perf_map = o.max_perf_map_bytes ? o.max_perf_map_bytes : s->budget / 4;
	s->stats.cache_budget = s->budget;
	s->snap.cache_budget = s->budget;
	s->nid_buckets = sym__pow2(s->max_files * 4);
	s->ids = calloc(s->nid_buckets, sizeof(*s->ids));
	s->nproc_buckets = sym__pow2(s->max_procs);
	s->procs = calloc(s->nproc_buckets, sizeof(*s->procs));
	if (!s->proc_root || !s->debug_root || !s->ids || !s->procs ||
	    pthread_mutex_init(&s->lock, NULL) != 0 ||
	    pthread_mutex_init(&s->snap_lock, NULL) != 0) {
		free(s->proc_root);
		free(s->debug_root);
		free(s->ids);
		free(s->procs);
		free(s);
		return NULL;
	}
	s->default_proc = strcmp(s->proc_root, "/proc") == 0;
	return s;
}

void hp_symbolizer__free(struct hp_symbolizer *s)
{
	if (!s)
		return;
	while (s->procs_lru.head)
		hp_sym_proc__destroy(s, hp_sym__proc_of(s->procs_lru.head));
	while (s->files.head)
		hp_sym_file__destroy(s, hp_sym__file_of(s->files.head));
	hp_kallsyms__free(s->ksyms);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->snap_lock);
	free(s->ids);
	free(s->procs);
	free(s->proc_root);
	free(s->debug_root);
	free(s);
}

int hp_symbolizer__capture(struct hp_symbolizer *s, pid_t pid)
{
	int err;

	pthread_mutex_lock(&s->lock);
	hp_sym_procs__sweep(s);
	err = hp_sym__capture(s, pid, true, NULL);
	hp_sym__unlock(s);
	return err;
}

int hp_symbolizer__recapture(struct hp_symbolizer *s, pid_t pid, uint64_t max_age_ns)
{
	struct proc *p;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	hp_sym_procs__sweep(s);
	p = hp_sym_procs__find(s, pid);
	if (!p || p->gone || hp_sym__now_ns() - p->checked_ns >= max_age_ns)
		err = hp_sym__capture(s, pid, true, NULL);
	hp_sym__unlock(s);
	return err;
}

void hp_symbolizer__forget(struct hp_symbolizer *s, pid_t pid)
{
	struct proc *p;

	pthread_mutex_lock(&s->lock);
	p = hp_sym_procs__find(s, pid);
	if (p)
		hp_sym_proc__evict(s, p, HP_SYM_EVICT_EXITED);
	hp_sym__unlock(s);
}

void hp_symbolizer__sweep(struct hp_symbolizer *s)
{
	pthread_mutex_lock(&s->lock);
	hp_sym_procs__sweep(s);
	hp_sym__unlock(s);
}

int hp_symbolizer__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out)
{
	int err;

	pthread_mutex_lock(&s->lock);
	err = sym__user(s, pid, addr, out);
	hp_sym__unlock(s);
	return err;
}

void hp_symbolizer__stats(struct hp_symbolizer *s, struct hp_symbolizer_stats *out)
{
	pthread_mutex_lock(&s->snap_lock);
	*out = s->snap;
	pthread_mutex_unlock(&s->snap_lock);
}
