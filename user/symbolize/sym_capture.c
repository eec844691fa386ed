// SPDX-License-Identifier: GPL-2.0-only
/* Capturing a process: /proc/PID/maps read, compared with the last capture and turned into its
 * executable mappings, each tied to an ELF cache entry; plus the mapping lookup by address. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_maps.h"
#include "sym_internal.h"
#include "base/bsearch.h"
#include "base/fnv.h"
#include "base/readfile.h"

/* Does the process see another root directory than we do (container, chroot)? */
static bool capture__foreign_root(struct hp_symbolizer *s, pid_t pid)
{
	struct stat ours, theirs;
	char path[128];

	snprintf(path, sizeof(path), "%s/%d/root/", s->proc_root, pid);
	if (stat("/", &ours) != 0 || stat(path, &theirs) != 0)
		return false;
	return ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino;
}

/* The process's root directory as a path in our mount namespace ("" for "/", or when it is not
 * reachable from here, as for a container with its own mount namespace). */
static void capture__root_prefix(struct hp_symbolizer *s, pid_t pid, char *out, size_t size)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/root", s->proc_root, pid);
	n = readlink(path, out, size - 1);
	if (n <= 1 || out[0] != '/')
		n = 0;
	out[n] = '\0';
}

/* maps paths are printed relative to the reader's root: for a chrooted process sharing our mount
 * namespace they carry the chroot's location, which the process itself does not see. */
const char *hp_sym__strip_root(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n && strncmp(path, prefix, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

const struct umap *hp_sym__find_map(const struct proc *p, uint64_t addr)
{
	long i = HP_BSEARCH_LAST_LE(p->maps, p->nmaps, start, addr);

	if (i >= 0 && addr < p->maps[i].end)
		return &p->maps[i];
	return NULL;
}

/* The mapping of the previous capture p (NULL: none) that is m unchanged, or NULL. */
static const struct umap *capture__old_map(const struct proc *p, const struct umap *m)
{
	const struct umap *o;
	long i;

	if (!p)
		return NULL;
	i = HP_BSEARCH_LAST_LE(p->maps, p->nmaps, start, m->start);
	if (i < 0)
		return NULL;
	o = &p->maps[i];
	if (o->start == m->start && o->end == m->end && o->offset == m->offset &&
	    o->dev == m->dev && o->ino == m->ino && o->kind == m->kind &&
	    strcmp(o->name, m->name) == 0)
		return o;
	return NULL;
}

/* Turns executable mapping pm->maps[i] into *m (its file from old when unchanged, else opened).
 * 0, or -ENOMEM (m holds nothing to free). */
static int capture__map(struct hp_symbolizer *s, pid_t pid, const struct hp_proc_maps *pm, size_t i,
			const char *prefix, bool foreign, const struct proc *old, struct umap *m)
{
	const struct hp_proc_map *pmap = &pm->maps[i];
	const char *path = hp_sym__strip_root(pmap->path, prefix);
	const struct umap *prev;

	*m = (struct umap){
		.start = pmap->start,
		.end = pmap->end,
		.offset = pmap->offset,
		.dev = pmap->dev,
		.ino = pmap->ino,
	};
	if (path[0] == '/')
		m->kind = UMAP_FILE;
	else if (strcmp(path, "[vdso]") == 0)
		m->kind = UMAP_VDSO;
	else
		m->kind = UMAP_ANON;
	m->name = strdup(path[0] ? path : "[anon]");
	if (!m->name)
		return -ENOMEM;
	if (m->kind == UMAP_ANON && (!path[0] || strncmp(path, "[anon:", 6) == 0) &&
	    hp_sym__anon_from_file(s, pid, pm, i, prefix, foreign, m))
		return 0;
	prev = capture__old_map(old, m);
	if (prev && prev->file) {
		m->file = prev->file;
		hp_sym_file__ref(s, m->file);
	} else if (m->kind == UMAP_FILE) {
		m->file = hp_sym__open_mapped(s, pid, m, pmap->deleted, foreign);
	} else if (m->kind == UMAP_VDSO) {
		m->file = hp_sym__open_vdso(s, pid, m);
	}
	return 0;
}

/* Turns the executable mappings of a maps file into umaps; files already known from old (the
 * previous capture of the same process) are reused without touching the file system. */
static int capture__parse_maps(struct hp_symbolizer *s, pid_t pid, const char *buf, size_t len,
			       const struct proc *old, struct umap **out, size_t *nout)
{
	bool foreign = capture__foreign_root(s, pid);
	struct hp_proc_maps pm;
	struct umap *maps = NULL;
	size_t n = 0, nexec = 0;
	char prefix[PATH_MAX];
	int err;

	err = hp_proc_maps__parse(buf, len, SYM_MAX_MAPPINGS, &pm);
	if (err) {
		hp_proc_maps__free(&pm);
		return err;
	}
	if (foreign)
		capture__root_prefix(s, pid, prefix, sizeof(prefix));
	else
		prefix[0] = '\0';
	for (size_t i = 0; i < pm.n; i++)
		nexec += !!(pm.maps[i].perms & HP_PROC_MAP_X);
	maps = calloc(nexec ? nexec : 1, sizeof(*maps));
	for (size_t i = 0; maps && i < pm.n && !err; i++) {
		if (!(pm.maps[i].perms & HP_PROC_MAP_X))
			continue;
		err = capture__map(s, pid, &pm, i, prefix, foreign, old, &maps[n]);
		n += !err;
	}
	hp_proc_maps__free(&pm);
	if (!maps || err) {
		hp_sym__free_maps(s, maps, n);
		return -ENOMEM;
	}
	/* the kernel lists mappings in address order (hp_proc_maps__parse checks it) */
	*out = maps;
	*nout = n;
	return 0;
}

/* pid's start time and maps file (*buf, *len: to be freed); -ESRCH when it is gone or a zombie
 * whose memory is gone (keep what was captured while it lived rather than nothing). */
static int capture__read(struct hp_symbolizer *s, pid_t pid, uint64_t *start_time, char **buf,
			 size_t *len)
{
	char path[128];
	int err = hp_sym__start_time(s, pid, start_time);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%d/maps", s->proc_root, pid);
	*buf = hp_readfile__path(path, SYM_MAX_MAPS_FILE, len);
	if (!*buf)
		return errno == ENOENT ? -ESRCH : -errno;
	if (*len == 0) {
		free(*buf);
		*buf = NULL;
		return -ESRCH;
	}
	return 0;
}

/* Replaces p's mappings (NULL p: a new entry for pid) with those of maps file buf[len] unless
 * its content is what p holds. The entry, or NULL with *err set. */
static struct proc *capture__update(struct hp_symbolizer *s, pid_t pid, uint64_t start_time,
				    struct proc *p, const char *buf, size_t len, int *err)
{
	uint64_t hash = hp_fnv1a(HP_FNV1A_SEED, buf, len);
	struct umap *maps;
	size_t nmaps;

	if (p && p->maps_hash == hash && p->maps_len == len)
		return p;
	*err = capture__parse_maps(s, pid, buf, len, p, &maps, &nmaps);
	if (*err)
		return NULL;
	if (!p) {
		p = hp_sym_procs__add(s, pid, start_time);
		if (!p) {
			hp_sym__free_maps(s, maps, nmaps);
			*err = -ENOMEM;
			return NULL;
		}
		hp_sym__status(s, pid, &p->nspid, &p->uid);
	}
	hp_sym__free_maps(s, p->maps, p->nmaps);
	p->maps = maps;
	p->nmaps = nmaps;
	p->maps_hash = hash;
	p->maps_len = len;
	hp_sym_proc__account(s, p);
	return p;
}

int hp_sym__capture(struct hp_symbolizer *s, pid_t pid, bool replace, struct proc **out)
{
	struct proc *p = hp_sym_procs__find(s, pid);
	uint64_t start_time = 0;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (pid <= 0)
		return -EINVAL;
	err = capture__read(s, pid, &start_time, &buf, &len);
	if (err) {
		if (p)
			p->gone = true;
		return err;
	}
	if (p && p->start_time != start_time) {
		if (!replace) {
			p->gone = true;
			free(buf);
			return -ESRCH;
		}
		hp_sym_proc__destroy(s, p);
		p = NULL;
	}
	p = capture__update(s, pid, start_time, p, buf, len, &err);
	free(buf);
	if (!p)
		return err;
	p->checked_ns = hp_sym__now_ns();
	p->gone = false;
	p->dead_ns = 0;
	hp_sym_jit__refresh(s, p);
	hp_sym_proc__touch(s, p);
	hp_sym__budget(s, p, 0);
	if (out)
		*out = p;
	return 0;
}
