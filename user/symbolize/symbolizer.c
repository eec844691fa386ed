// SPDX-License-Identifier: GPL-2.0-only
/* Process address spaces captured from /proc (mappings, ELF tables, vDSO, JIT maps) and the
 * caches behind hp_symbolizer__user/__kernel (see symbolizer.h). One mutex guards everything. */
#include "symbolizer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demangle.h"
#include "elf_syms.h"
#include "kallsyms.h"
#include "perf_map.h"
#include "proc_maps.h"
#include "base/readfile.h"
#include "base/safe_open.h"

#define SYM_DEFAULT_FILES 256
#define SYM_DEFAULT_PROCS 4096
#define SYM_MAX_MAPS_FILE (64u << 20)
#define SYM_DEFAULT_BUDGET (256u << 20)	    /* bytes, all caches together */
#define SYM_MAX_ELF_FILE (4ULL << 30)	    /* larger mapped files are not parsed */
#define SYM_PERF_MAP_MAX_NS (3000000000ULL) /* CPU time reading + parsing one perf map */
#define SYM_SWEEP_NS (2000000000ULL)	    /* liveness sweep period */
#define SYM_EXIT_GRACE_NS (10000000000ULL)  /* a dead process's state outlives it this long */
#define SYM_MAX_MAPPINGS (1u << 20)	    /* lines of one maps file (vm.max_map_count is 65530) */
#define SYM_MAX_PERF_MAP_ENTRIES (4u << 20)
#define SYM_MAX_VDSO (1u << 20)
#define SYM_IDS_PER_FILE 16		  /* (dev, inode, ...) identities remembered per table */
#define SYM_RECHECK_NS (200 * 1000000ULL) /* lookup misses re-read maps at most this often */
#define SYM_KERNEL_RETRY_NS (10 * 1000000000ULL) /* a failed kallsyms read is retried after */

/* What identifies a file's content without reading it: stat() of the mapped file. The vDSO,
 * which has no file, uses dev = ino = 0, its size and a hash of its bytes. */
struct file_key {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
};

struct file_id {
	struct file_id *hnext; /* identity hash chain */
	struct file_id *fnext; /* next identity of the same file, newest first */
	struct file_key key;
	struct elf_file *file;
};

/* One parsed ELF, shared by every process (and container) that maps the same content. */
struct elf_file {
	struct elf_file *prev, *next; /* LRU, most recently used first */
	struct file_id *ids;
	size_t nids;
	struct hp_elf_syms *syms; /* NULL: not an ELF we can read (the module is still known) */
	char build_id[2 * HP_BUILD_ID_MAX + 1];
	size_t refs;  /* process mappings using it; only unreferenced files are evicted */
	size_t bytes; /* accounted heap footprint */
};

enum umap_kind { UMAP_FILE, UMAP_VDSO, UMAP_ANON };

/* One executable mapping of a captured process. */
struct umap {
	uint64_t start, end, offset;
	uint64_t dev, ino; /* as listed in maps, to reuse the file on re-capture */
	char *name;	   /* path in the process's mount namespace, "[vdso]", "[anon]", ... */
	struct elf_file *file;
	enum umap_kind kind;
};

struct proc {
	struct proc *hnext;	  /* pid hash chain */
	struct proc *prev, *next; /* LRU, most recently used first */
	pid_t pid, nspid;	  /* nspid: the pid inside its innermost pid namespace */
	uint64_t start_time;	  /* field 22 of /proc/PID/stat: tells pid reuse apart */
	uint64_t maps_hash;
	size_t maps_len;
	struct umap *maps; /* sorted by start */
	size_t nmaps;
	struct hp_perf_map *jit;
	char jit_name[64]; /* "/tmp/perf-N.map" as the process sees it */
	/* identity of the perf map file last read, also when it was refused or evicted: the same
	 * file is not read again */
	struct file_key jit_key;
	bool jit_known;
	uid_t uid;	     /* effective uid: who may own its perf map (besides root) */
	size_t bytes;	     /* accounted footprint of the struct and its mappings */
	size_t jit_bytes;    /* of jit */
	uint64_t checked_ns; /* when maps were last compared with /proc */
	uint64_t dead_ns;    /* when the sweep first found it gone; 0: alive */
	bool gone;	     /* exited, or its pid now belongs to another process */
};

struct hp_symbolizer {
	pthread_mutex_t lock;
	size_t max_files, max_procs;
	char *proc_root, *debug_root;
	bool skip_map_files;
	bool default_proc;

	struct hp_kallsyms *ksyms;
	int kernel_err;
	uint64_t kernel_tried_ns;

	struct elf_file *files_head, *files_tail;
	size_t nfiles;
	struct file_id **ids;
	size_t nid_buckets;

	struct proc **procs;
	size_t nproc_buckets;
	struct proc *procs_head, *procs_tail;
	size_t nprocs;

	size_t budget, max_perf_map;
	uint64_t bytes[HP_SYM_CACHE__COUNT];
	size_t njit;
	uint64_t swept_ns;

	struct hp_symbolizer_stats stats;
	pthread_mutex_t snap_lock; /* guards snap, a copy of stats taken at each unlock */
	struct hp_symbolizer_stats snap;
};

const char *const hp_sym_cache_names[HP_SYM_CACHE__COUNT] = { "elf", "perf_map", "proc" };
const char *const hp_sym_evict_names[HP_SYM_EVICT__COUNT] = { "capacity", "budget", "exited" };
const char *const hp_sym_refused_names[HP_SYM_REFUSED__COUNT] = {
	"not_regular", "symlink", "escape", "too_large", "time_limit", "owner", "fuse",
};

/* Counts a refused open (see safe_open.h); other errors (ENOENT, EACCES) are not refusals. */
static void sym__refused(struct hp_symbolizer *s, int err)
{
	int r;

	switch (err) {
	case -EINVAL:
		r = HP_SYM_REFUSED_NOT_REGULAR;
		break;
	case -ELOOP:
		r = HP_SYM_REFUSED_SYMLINK;
		break;
	case -EXDEV:
		r = HP_SYM_REFUSED_ESCAPE;
		break;
	case -EFBIG:
		r = HP_SYM_REFUSED_TOO_LARGE;
		break;
	case -ETIME:
		r = HP_SYM_REFUSED_TIME;
		break;
	case -EPERM:
		r = HP_SYM_REFUSED_OWNER;
		break;
	case -EREMOTE:
		r = HP_SYM_REFUSED_FUSE;
		break;
	default:
		return;
	}
	s->stats.refused[r]++;
}

/* --- helpers ------------------------------------------------------------------------------- */

static uint64_t sym__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t sym__fnv(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t sym__pow2(size_t n)
{
	size_t p = 16;

	while (p < n)
		p *= 2;
	return p;
}

/* Copies src into dst[size] (truncating), always NUL-terminated. */
static void sym__copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct file_key sym__stat_key(const struct stat *st)
{
	return (struct file_key){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
	};
}

static bool sym__key_eq(const struct file_key *a, const struct file_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

static size_t sym__key_bucket(const struct hp_symbolizer *s, const struct file_key *k)
{
	uint64_t h = k->ino * 0x9e3779b97f4a7c15ULL ^ k->dev * 0xc2b2ae3d27d4eb4fULL ^
		     (uint64_t)k->mtime_ns ^ k->size;

	return (size_t)(h ^ h >> 29) & (s->nid_buckets - 1);
}

/* --- ELF file cache ------------------------------------------------------------------------ */

static void file__unlink_lru(struct hp_symbolizer *s, struct elf_file *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		s->files_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		s->files_tail = f->prev;
	f->prev = f->next = NULL;
}

static void file__touch(struct hp_symbolizer *s, struct elf_file *f)
{
	if (s->files_head == f)
		return;
	if (f->prev) /* in the list and not first; a new entry has no links yet */
		file__unlink_lru(s, f);
	f->next = s->files_head;
	if (s->files_head)
		s->files_head->prev = f;
	s->files_head = f;
	if (!s->files_tail)
		s->files_tail = f;
}

static void file__drop_id(struct hp_symbolizer *s, struct file_id *id)
{
	struct file_id **pp = &s->ids[sym__key_bucket(s, &id->key)];

	while (*pp && *pp != id)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = id->hnext;
	free(id);
}

/* Re-computes f's accounted size after its table or identities changed. */
static void file__account(struct hp_symbolizer *s, struct elf_file *f)
{
	s->bytes[HP_SYM_CACHE_ELF] -= f->bytes;
	f->bytes = sizeof(*f) + f->nids * sizeof(struct file_id) +
		   (f->syms ? hp_elf_syms__mem_size(f->syms) : 0);
	s->bytes[HP_SYM_CACHE_ELF] += f->bytes;
}

static void file__destroy(struct hp_symbolizer *s, struct elf_file *f)
{
	s->bytes[HP_SYM_CACHE_ELF] -= f->bytes;
	file__unlink_lru(s, f);
	while (f->ids) {
		struct file_id *id = f->ids;

		f->ids = id->fnext;
		file__drop_id(s, id);
	}
	hp_elf_syms__free(f->syms);
	free(f);
	s->nfiles--;
}

/* Evicts least recently used files no process references until the bound holds again. */
static void file__evict(struct hp_symbolizer *s)
{
	struct elf_file *f = s->files_tail;

	while (s->nfiles > s->max_files && f) {
		struct elf_file *prev = f->prev;

		if (!f->refs) {
			file__destroy(s, f);
			s->stats.evictions[HP_SYM_CACHE_ELF][HP_SYM_EVICT_CAPACITY]++;
		}
		f = prev;
	}
}

static void file__ref(struct hp_symbolizer *s, struct elf_file *f)
{
	f->refs++;
	file__touch(s, f);
}

static void file__unref(struct hp_symbolizer *s, struct elf_file *f)
{
	if (f && !--f->refs)
		file__evict(s);
}

static struct elf_file *file__find_key(struct hp_symbolizer *s, const struct file_key *k)
{
	for (struct file_id *id = s->ids[sym__key_bucket(s, k)]; id; id = id->hnext)
		if (sym__key_eq(&id->key, k))
			return id->file;
	return NULL;
}

static struct elf_file *file__find_build_id(struct hp_symbolizer *s, const char *build_id)
{
	if (!build_id[0])
		return NULL;
	for (struct elf_file *f = s->files_head; f; f = f->next)
		if (f->syms && strcmp(f->build_id, build_id) == 0)
			return f;
	return NULL;
}

/* Remembers that content k is f (bounded per file: the oldest identity is forgotten). */
static void file__add_id(struct hp_symbolizer *s, struct elf_file *f, const struct file_key *k)
{
	struct file_id *id = calloc(1, sizeof(*id));
	size_t b;

	if (!id)
		return;
	id->key = *k;
	id->file = f;
	b = sym__key_bucket(s, k);
	id->hnext = s->ids[b];
	s->ids[b] = id;
	id->fnext = f->ids;
	f->ids = id;
	if (++f->nids > SYM_IDS_PER_FILE) {
		struct file_id **pp = &f->ids;

		while ((*pp)->fnext)
			pp = &(*pp)->fnext;
		file__drop_id(s, *pp);
		*pp = NULL;
		f->nids--;
	}
	file__account(s, f);
}

/* A new cache entry holding syms (taken over), referenced once by the caller. */
static struct elf_file *file__new(struct hp_symbolizer *s, const struct file_key *k,
				  struct hp_elf_syms *syms)
{
	struct elf_file *f = calloc(1, sizeof(*f));

	if (!f) {
		hp_elf_syms__free(syms);
		return NULL;
	}
	f->syms = syms;
	if (syms)
		sym__copy(f->build_id, sizeof(f->build_id), hp_elf_syms__build_id(syms));
	s->nfiles++;
	file__account(s, f);
	file__ref(s, f);
	file__add_id(s, f, k);
	file__evict(s);
	return f;
}

/* --- opening the files a process maps ------------------------------------------------------ */

/* The ELF table for a file mapping, opened through /proc/PID/map_files (works for deleted files
 * and any mount namespace) or else PATH inside /proc/PID/root (symlinks cannot leave that root).
 * The cache is keyed by fstat of the descriptor actually read, never by a path stat'ed earlier.
 * Referenced; NULL if unreachable or refused. */
static struct elf_file *sym__map_file(struct hp_symbolizer *s, pid_t pid, const struct umap *m,
				      bool deleted, bool foreign_root)
{
	char map_path[PATH_MAX], root_dir[PATH_MAX], root_path[PATH_MAX], ns_debug[PATH_MAX];
	char build_id[41];
	struct hp_safe_open_opts so = { .max_size = SYM_MAX_ELF_FILE };
	struct hp_elf_open_opts o = { 0 };
	bool root_ok;
	struct hp_elf_syms *syms;
	struct elf_file *f;
	struct file_key k;
	struct stat st;
	int fd = -ENOENT, n;

	snprintf(map_path, sizeof(map_path), "%s/%d/map_files/%" PRIx64 "-%" PRIx64, s->proc_root,
		 pid, m->start, m->end);
	n = snprintf(root_dir, sizeof(root_dir), "%s/%d/root", s->proc_root, pid);
	if (n <= 0 || (size_t)n >= sizeof(root_dir))
		return NULL;
	n = snprintf(root_path, sizeof(root_path), "%s%s", root_dir, m->name);
	root_ok = n > 0 && (size_t)n < sizeof(root_path);
	if (!s->skip_map_files)
		fd = hp_safe_open__fd(map_path, &so, &st);
	/* map_files missing (older kernel, no CAP_SYS_ADMIN) or unreadable: try the path; a file
	 * refused for what it is stays refused */
	if ((fd == -ENOENT || fd == -EACCES || fd == -EPERM) && !deleted && root_ok) {
		so.root = root_dir;
		fd = hp_safe_open__fd(m->name, &so, &st);
	}
	if (fd < 0) {
		sym__refused(s, fd);
		return NULL;
	}
	k = sym__stat_key(&st);
	f = file__find_key(s, &k);
	if (f) {
		close(fd);
		s->stats.elf_cache_hits++;
		file__ref(s, f);
		return f;
	}
	n = hp_elf_syms__read_build_id(fd, build_id);
	if (n == -ENOEXEC || n == -EINVAL) {
		/* not ELF (a data file mapped executable, a memfd JIT buffer): remember that */
		close(fd);
		s->stats.elf_cache_misses++;
		return file__new(s, &k, NULL);
	}
	if (n) {
		close(fd);
		return NULL;
	}
	f = file__find_build_id(s, build_id);
	if (f && (hp_elf_syms__sources(f->syms) & ~HP_ELF_SRC_DYNSYM)) {
		/* same binary at another path, inode or container image layer */
		close(fd);
		s->stats.elf_cache_hits++;
		file__ref(s, f);
		file__add_id(s, f, &k);
		return f;
	}
	/* debug files of the process's own file system are looked up inside its root */
	o.root = root_dir;
	o.path = root_ok ? root_path : NULL;
	o.orig_path = m->name;
	o.debug_roots[0] = s->debug_root;
	o.max_mem = s->budget / 2; /* one crafted ELF cannot take the whole budget */
	if (foreign_root) {
		n = snprintf(ns_debug, sizeof(ns_debug), "%s/usr/lib/debug", root_dir);
		if (n > 0 && (size_t)n < sizeof(ns_debug))
			o.debug_roots[1] = ns_debug;
	}
	syms = hp_elf_syms__open_opts(fd, &o);
	n = errno;
	close(fd);
	s->stats.elf_cache_misses++;
	if (!syms && n == EFBIG)
		sym__refused(s, -EFBIG); /* tables over the size or memory limit */
	if (f) {
		/* the cached copy of this build-id had only .dynsym (a stripped copy seen first):
		 * keep whichever table is richer, for every process sharing it */
		if (syms && (hp_elf_syms__sources(syms) & ~HP_ELF_SRC_DYNSYM)) {
			hp_elf_syms__free(f->syms);
			f->syms = syms;
		} else {
			hp_elf_syms__free(syms);
		}
		file__ref(s, f);
		file__add_id(s, f, &k);
		return f;
	}
	if (!syms && n != ENOEXEC && n != EINVAL && n != EFBIG)
		return NULL; /* transient (ENOMEM, EMFILE): do not cache the failure */
	return file__new(s, &k, syms);
}

/* Size of an in-memory ELF image as far as its headers tell (the vDSO has no file size). */
static size_t sym__image_size(const unsigned char *img)
{
	uint64_t shoff;
	uint16_t shentsize, shnum;

	if (memcmp(img, "\177ELF", 4) != 0 || img[4] != 2 /* ELFCLASS64 */)
		return 0;
	memcpy(&shoff, img + 0x28, sizeof(shoff));
	memcpy(&shentsize, img + 0x3a, sizeof(shentsize));
	memcpy(&shnum, img + 0x3c, sizeof(shnum));
	return (size_t)(shoff + (uint64_t)shentsize * shnum);
}

/* The vDSO is read from the process itself (/proc/PID/mem), so 32-bit and x32 processes get
 * theirs; if that fails, our own vDSO stands in when it has the same size, as every process of
 * one ABI gets the same image from the kernel. Cached by content. */
static struct elf_file *sym__vdso(struct hp_symbolizer *s, pid_t pid, const struct umap *m)
{
	size_t len = m->end - m->start;
	struct hp_elf_syms *syms;
	unsigned char *buf;
	struct elf_file *f;
	struct file_key k;
	char path[128];
	bool ok = false;
	int fd;

	if (!len || len > SYM_MAX_VDSO || !(buf = malloc(len)))
		return NULL;
	snprintf(path, sizeof(path), "%s/%d/mem", s->proc_root, pid);
	fd = hp_safe_open__fd(path, &(struct hp_safe_open_opts){ .kernel_file = true }, NULL);
	if (fd >= 0) {
		ok = pread(fd, buf, len, (off_t)m->start) == (ssize_t)len;
		close(fd);
	}
	if (!ok) {
		const unsigned char *own = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
		size_t own_len = own ? sym__image_size(own) : 0;

		if (!own || !own_len || own_len > len || (own_len + 4095) / 4096 != len / 4096) {
			free(buf);
			return NULL;
		}
		memset(buf, 0, len);
		memcpy(buf, own, own_len);
	}
	k = (struct file_key){ .size = len, .mtime_ns = (int64_t)sym__fnv(buf, len) };
	f = file__find_key(s, &k);
	if (f) {
		free(buf);
		s->stats.elf_cache_hits++;
		file__ref(s, f);
		return f;
	}
	syms = hp_elf_syms__open_mem(buf, len);
	free(buf);
	s->stats.elf_cache_misses++;
	if (!syms)
		return NULL;
	f = file__find_build_id(s, hp_elf_syms__build_id(syms));
	if (f) {
		hp_elf_syms__free(syms);
		file__ref(s, f);
		file__add_id(s, f, &k);
		return f;
	}
	return file__new(s, &k, syms);
}

/* --- process capture ----------------------------------------------------------------------- */

static size_t sym__proc_bucket(const struct hp_symbolizer *s, pid_t pid)
{
	return ((size_t)(uint32_t)pid * 0x9e3779b1u) & (s->nproc_buckets - 1);
}

static struct proc *proc__find(struct hp_symbolizer *s, pid_t pid)
{
	for (struct proc *p = s->procs[sym__proc_bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void proc__unlink_lru(struct hp_symbolizer *s, struct proc *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		s->procs_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		s->procs_tail = p->prev;
	p->prev = p->next = NULL;
}

static void proc__touch(struct hp_symbolizer *s, struct proc *p)
{
	if (s->procs_head == p)
		return;
	if (p->prev) /* in the list and not first; a new entry has no links yet */
		proc__unlink_lru(s, p);
	p->next = s->procs_head;
	if (s->procs_head)
		s->procs_head->prev = p;
	s->procs_head = p;
	if (!s->procs_tail)
		s->procs_tail = p;
}

static void proc__free_maps(struct hp_symbolizer *s, struct umap *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		file__unref(s, maps[i].file);
		free(maps[i].name);
	}
	free(maps);
}

/* Frees p's perf map (its identity stays known, so the same file is not read again). */
static void proc__drop_jit(struct hp_symbolizer *s, struct proc *p)
{
	if (!p->jit)
		return;
	hp_perf_map__free(p->jit);
	p->jit = NULL;
	s->bytes[HP_SYM_CACHE_PERF_MAP] -= p->jit_bytes;
	p->jit_bytes = 0;
	s->njit--;
}

/* Re-computes p's accounted size after its mappings changed. */
static void proc__account(struct hp_symbolizer *s, struct proc *p)
{
	size_t bytes = sizeof(*p) + p->nmaps * sizeof(*p->maps);

	for (size_t i = 0; i < p->nmaps; i++)
		bytes += strlen(p->maps[i].name) + 1;
	s->bytes[HP_SYM_CACHE_PROC] += bytes - p->bytes;
	p->bytes = bytes;
}

static void proc__destroy(struct hp_symbolizer *s, struct proc *p)
{
	struct proc **pp = &s->procs[sym__proc_bucket(s, p->pid)];

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	proc__unlink_lru(s, p);
	proc__free_maps(s, p->maps, p->nmaps);
	proc__drop_jit(s, p);
	s->bytes[HP_SYM_CACHE_PROC] -= p->bytes;
	free(p);
	s->nprocs--;
}

static struct proc *proc__new(struct hp_symbolizer *s, pid_t pid, uint64_t start_time)
{
	struct proc *p = calloc(1, sizeof(*p));
	size_t b;

	if (!p)
		return NULL;
	p->pid = p->nspid = pid;
	p->start_time = start_time;
	b = sym__proc_bucket(s, pid);
	p->hnext = s->procs[b];
	s->procs[b] = p;
	s->nprocs++;
	proc__touch(s, p);
	while (s->nprocs > s->max_procs && s->procs_tail != p) {
		proc__destroy(s, s->procs_tail);
		s->stats.evictions[HP_SYM_CACHE_PROC][HP_SYM_EVICT_CAPACITY]++;
	}
	proc__account(s, p);
	return p;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
static int sym__start_time(struct hp_symbolizer *s, pid_t pid, uint64_t *out)
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
static void sym__status(struct hp_symbolizer *s, pid_t pid, pid_t *nspid_out, uid_t *uid)
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

/* Does the process see another root directory than we do (container, chroot)? */
static bool sym__foreign_root(struct hp_symbolizer *s, pid_t pid)
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
static void sym__root_prefix(struct hp_symbolizer *s, pid_t pid, char *out, size_t size)
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
static const char *sym__strip_root(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n && strncmp(path, prefix, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

static uint64_t sym__total_bytes(const struct hp_symbolizer *s)
{
	return s->bytes[HP_SYM_CACHE_ELF] + s->bytes[HP_SYM_CACHE_PERF_MAP] +
	       s->bytes[HP_SYM_CACHE_PROC];
}

/*
 * Evicts until all caches together, plus reserve bytes about to be allocated, fit the byte
 * budget, least recently used first: ELF tables no process maps, then perf maps of other
 * processes, then whole other processes (which makes their tables evictable). keep (the process
 * being captured) is never evicted.
 */
static void sym__budget(struct hp_symbolizer *s, const struct proc *keep, uint64_t reserve)
{
	while (sym__total_bytes(s) + reserve > s->budget) {
		struct elf_file *f = s->files_tail;
		struct proc *p;

		while (f && f->refs)
			f = f->prev;
		if (f) {
			file__destroy(s, f);
			s->stats.evictions[HP_SYM_CACHE_ELF][HP_SYM_EVICT_BUDGET]++;
			continue;
		}
		for (p = s->procs_tail; p && (p == keep || !p->jit); p = p->prev)
			;
		if (p) {
			proc__drop_jit(s, p);
			s->stats.evictions[HP_SYM_CACHE_PERF_MAP][HP_SYM_EVICT_BUDGET]++;
			continue;
		}
		p = s->procs_tail;
		if (p == keep)
			p = p->prev;
		if (!p)
			break; /* only keep is left: it alone is over budget */
		if (p->jit)
			s->stats.evictions[HP_SYM_CACHE_PERF_MAP][HP_SYM_EVICT_BUDGET]++;
		proc__destroy(s, p);
		s->stats.evictions[HP_SYM_CACHE_PROC][HP_SYM_EVICT_BUDGET]++;
	}
}

/* Loads (or reloads, when it changed) the process's perf map: /tmp/perf-NSPID.map inside its
 * root first, the name a process in a pid namespace writes, then the host pid's name. The file
 * must be a regular file (no symlink) owned by the process's effective uid, at most max_perf_map
 * bytes, parsed within SYM_PERF_MAP_MAX_NS of CPU time; one that is refused, or was evicted, is
 * not read again until it changes. */
static void sym__jit_refresh(struct hp_symbolizer *s, struct proc *p)
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
		struct hp_perf_map_limits lim = {
			.max_bytes = s->max_perf_map,
			.max_entries = SYM_MAX_PERF_MAP_ENTRIES,
			.max_mem = 2 * s->max_perf_map,
			.max_cpu_ns = SYM_PERF_MAP_MAX_NS,
		};
		struct hp_perf_map *m;
		char path[64];
		struct file_key k;
		struct stat st;
		int fd;

		if (i == 1 && cand[1] == cand[0])
			break;
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", cand[i]);
		fd = hp_safe_open__fd(path, &so, &st);
		if (fd < 0) {
			sym__refused(s, fd);
			continue;
		}
		k = sym__stat_key(&st);
		if (p->jit_known && sym__key_eq(&k, &p->jit_key)) {
			close(fd);
			return;
		}
		/* room first, so the cache never holds more than the budget, not even while a
		 * large map is parsed: its parsed size is about its file size */
		proc__drop_jit(s, p);
		sym__budget(s, p, (uint64_t)st.st_size);
		if (sym__total_bytes(s) >= s->budget)
			lim.max_mem = 1; /* no room at all: refused */
		else if (s->budget - sym__total_bytes(s) < lim.max_mem)
			lim.max_mem = s->budget - sym__total_bytes(s);
		m = hp_perf_map__read(fd, &lim);
		if (!m)
			sym__refused(s, -errno);
		close(fd);
		p->jit_key = k;
		p->jit_known = true;
		if (!m)
			return;
		p->jit = m;
		p->jit_bytes = hp_perf_map__mem_size(m);
		s->bytes[HP_SYM_CACHE_PERF_MAP] += p->jit_bytes;
		s->njit++;
		snprintf(p->jit_name, sizeof(p->jit_name), "%s", path);
		return;
	}
}

static const struct umap *sym__old_map(const struct proc *p, const struct umap *m)
{
	size_t lo = 0, hi = p ? p->nmaps : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct umap *o = &p->maps[mid];

		if (o->start < m->start) {
			lo = mid + 1;
		} else if (o->start > m->start) {
			hi = mid;
		} else {
			if (o->end == m->end && o->offset == m->offset && o->dev == m->dev &&
			    o->ino == m->ino && o->kind == m->kind && strcmp(o->name, m->name) == 0)
				return o;
			return NULL;
		}
	}
	return NULL;
}

#define SYM_MAX_BIASES 8

/* Is this the file path (in the process's view) of a file-backed mapping? */
static const char *sym__file_path(const struct hp_proc_map *pm, const char *prefix)
{
	const char *path = sym__strip_root(pm->path, prefix);

	return path[0] == '/' && pm->ino ? path : NULL;
}

/*
 * Code on anonymous memory that came from a file: programs that copy their text onto anonymous
 * (huge) pages and mremap it over the original range (HHVM, BOLT) leave an anonymous executable
 * mapping between the file's other mappings. When pm->maps[i] lies between two mappings of the
 * same file and both agree on one load bias that puts it inside an executable PT_LOAD of that
 * file, m becomes a mapping of the file at the matching offset. false (m untouched) otherwise.
 */
static bool sym__anon_from_file(struct hp_symbolizer *s, pid_t pid, const struct hp_proc_maps *pm,
				size_t i, const char *prefix, bool foreign, struct umap *m)
{
	const struct hp_proc_map *a = &pm->maps[i], *before = NULL, *after = NULL;
	uint64_t bp[SYM_MAX_BIASES], bn[SYM_MAX_BIASES], off_lo, off_hi;
	const char *path = NULL;
	struct elf_file *f;
	size_t nbp, nbn;
	bool ok = false;
	struct umap probe;
	char *name;

	for (size_t j = i; j-- > 0 && !before;)
		if (sym__file_path(&pm->maps[j], prefix))
			before = &pm->maps[j];
	for (size_t j = i + 1; j < pm->n && !after; j++)
		if (sym__file_path(&pm->maps[j], prefix))
			after = &pm->maps[j];
	if (!before || !after || before->dev != after->dev || before->ino != after->ino ||
	    strcmp(before->path, after->path) != 0)
		return false;
	path = sym__file_path(before, prefix);
	probe = (struct umap){ .start = before->start, .end = before->end, .name = (char *)path };
	f = sym__map_file(s, pid, &probe, before->deleted, foreign);
	if (!f)
		return false;
	if (f->syms) {
		nbp = hp_elf_syms__map_biases(f->syms, before->start, before->offset, bp,
					      SYM_MAX_BIASES);
		nbn = hp_elf_syms__map_biases(f->syms, after->start, after->offset, bn,
					      SYM_MAX_BIASES);
		for (size_t x = 0; x < nbp && !ok; x++)
			for (size_t y = 0; y < nbn && !ok; y++)
				ok = bp[x] == bn[y] &&
				     hp_elf_syms__exec_offset(f->syms, a->start - bp[x], &off_lo) ==
					 0 &&
				     hp_elf_syms__exec_offset(f->syms, a->end - 1 - bp[x],
							      &off_hi) == 0 &&
				     off_hi - off_lo == a->end - 1 - a->start;
	}
	name = ok ? strdup(path) : NULL;
	if (!name) {
		file__unref(s, f);
		return false;
	}
	free(m->name);
	m->name = name;
	m->kind = UMAP_FILE;
	m->file = f;
	m->offset = off_lo;
	m->dev = before->dev;
	m->ino = before->ino;
	return true;
}

/* Turns the executable mappings of a maps file into umaps; files already known from old (the
 * previous capture of the same process) are reused without touching the file system. */
static int sym__parse_maps(struct hp_symbolizer *s, pid_t pid, const char *buf, size_t len,
			   const struct proc *old, struct umap **out, size_t *nout)
{
	bool foreign = sym__foreign_root(s, pid);
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
		sym__root_prefix(s, pid, prefix, sizeof(prefix));
	else
		prefix[0] = '\0';
	for (size_t i = 0; i < pm.n; i++)
		nexec += !!(pm.maps[i].perms & HP_PROC_MAP_X);
	maps = calloc(nexec ? nexec : 1, sizeof(*maps));
	if (!maps)
		goto oom;
	for (size_t i = 0; i < pm.n; i++) {
		const struct hp_proc_map *pmap = &pm.maps[i];
		const struct umap *prev;
		const char *path;
		struct umap m;

		if (!(pmap->perms & HP_PROC_MAP_X))
			continue;
		m = (struct umap){
			.start = pmap->start,
			.end = pmap->end,
			.offset = pmap->offset,
			.dev = pmap->dev,
			.ino = pmap->ino,
		};
		path = sym__strip_root(pmap->path, prefix);
		if (path[0] == '/')
			m.kind = UMAP_FILE;
		else if (strcmp(path, "[vdso]") == 0)
			m.kind = UMAP_VDSO;
		else
			m.kind = UMAP_ANON;
		m.name = strdup(path[0] ? path : "[anon]");
		if (!m.name)
			goto oom;
		if (m.kind == UMAP_ANON && (!path[0] || strncmp(path, "[anon:", 6) == 0) &&
		    sym__anon_from_file(s, pid, &pm, i, prefix, foreign, &m)) {
			maps[n++] = m;
			continue;
		}
		prev = sym__old_map(old, &m);
		if (prev && prev->file) {
			m.file = prev->file;
			file__ref(s, m.file);
		} else if (m.kind == UMAP_FILE) {
			m.file = sym__map_file(s, pid, &m, pmap->deleted, foreign);
		} else if (m.kind == UMAP_VDSO) {
			m.file = sym__vdso(s, pid, &m);
		}
		maps[n++] = m;
	}
	hp_proc_maps__free(&pm);
	/* the kernel lists mappings in address order (hp_proc_maps__parse checks it) */
	*out = maps;
	*nout = n;
	return 0;
oom:
	hp_proc_maps__free(&pm);
	proc__free_maps(s, maps, n);
	return -ENOMEM;
}

/*
 * Captures pid (see hp_symbolizer__capture). On pid reuse the old entry is replaced if replace,
 * else it is marked gone and kept (lookups for samples of the old process go on working).
 */
static int sym__capture(struct hp_symbolizer *s, pid_t pid, bool replace, struct proc **out)
{
	struct proc *p = proc__find(s, pid);
	uint64_t start_time = 0, hash;
	struct umap *maps;
	char path[128], *buf = NULL;
	size_t len, nmaps;
	int err;

	if (pid <= 0)
		return -EINVAL;
	err = sym__start_time(s, pid, &start_time);
	if (!err) {
		snprintf(path, sizeof(path), "%s/%d/maps", s->proc_root, pid);
		buf = hp_readfile__path(path, SYM_MAX_MAPS_FILE, &len);
		if (!buf) {
			err = errno == ENOENT ? -ESRCH : -errno;
		} else if (len == 0) {
			/* an exiting process (zombie) whose memory is gone: keep what was captured
			 * while it lived instead of replacing it with nothing */
			free(buf);
			buf = NULL;
			err = -ESRCH;
		}
	}
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
		proc__destroy(s, p);
		p = NULL;
	}
	hash = sym__fnv(buf, len);
	if (p && p->maps_hash == hash && p->maps_len == len) {
		free(buf);
	} else {
		err = sym__parse_maps(s, pid, buf, len, p, &maps, &nmaps);
		free(buf);
		if (err)
			return err;
		if (!p) {
			p = proc__new(s, pid, start_time);
			if (!p) {
				proc__free_maps(s, maps, nmaps);
				return -ENOMEM;
			}
			sym__status(s, pid, &p->nspid, &p->uid);
		}
		proc__free_maps(s, p->maps, p->nmaps);
		p->maps = maps;
		p->nmaps = nmaps;
		p->maps_hash = hash;
		p->maps_len = len;
		proc__account(s, p);
	}
	p->checked_ns = sym__now_ns();
	p->gone = false;
	p->dead_ns = 0;
	sym__jit_refresh(s, p);
	proc__touch(s, p);
	sym__budget(s, p, 0);
	if (out)
		*out = p;
	return 0;
}

/* --- lookups ------------------------------------------------------------------------------- */

static const struct umap *sym__find_map(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < p->maps[lo - 1].end)
		return &p->maps[lo - 1];
	return NULL;
}

static void sym__clear(struct hp_sym *out)
{
	out->function[0] = '\0';
	out->mangled[0] = '\0';
	out->module[0] = '\0';
	out->build_id[0] = '\0';
	out->offset = out->map_start = out->map_limit = out->map_offset = 0;
	out->kernel = false;
}

static void sym__set_names(struct hp_sym *out, const char *function, const char *mangled)
{
	sym__copy(out->function, sizeof(out->function), function);
	sym__copy(out->mangled, sizeof(out->mangled), mangled);
}

static bool sym__jit_lookup(struct proc *p, uint64_t addr, struct hp_sym *out)
{
	const char *name;

	if (!p->jit || !(name = hp_perf_map__lookup(p->jit, addr, NULL)))
		return false;
	sym__set_names(out, name, name);
	sym__copy(out->module, sizeof(out->module), p->jit_name);
	return true;
}

static int sym__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out)
{
	struct proc *p = proc__find(s, pid);
	const struct umap *m;
	long idx;
	int err;

	sym__clear(out);
	if (!p) {
		err = sym__capture(s, pid, true, &p);
		if (err)
			return err;
	}
	proc__touch(s, p);
	m = sym__find_map(p, addr);
	if (!m && !p->gone && sym__now_ns() - p->checked_ns >= SYM_RECHECK_NS) {
		/* mapped since the capture (dlopen, JIT)? */
		if (sym__capture(s, pid, false, NULL) == 0)
			m = sym__find_map(p, addr);
	}
	if (!m) {
		if (sym__jit_lookup(p, addr, out)) {
			out->offset = addr;
			return 0;
		}
		s->stats.unmapped++;
		return -ENOENT;
	}
	sym__copy(out->module, sizeof(out->module), m->name);
	out->map_start = m->start;
	out->map_limit = m->end;
	out->map_offset = m->offset;
	out->offset = addr - m->start + m->offset;
	if (m->file) {
		struct hp_elf_syms *e = m->file->syms;
		uint64_t vaddr;

		sym__copy(out->build_id, sizeof(out->build_id), m->file->build_id);
		file__touch(s, m->file);
		if (e && hp_elf_syms__offset_to_vaddr(e, out->offset, &vaddr) == 0 &&
		    (idx = hp_elf_syms__find(e, vaddr)) >= 0) {
			sym__set_names(out, hp_elf_syms__demangled(e, (size_t)idx),
				       hp_elf_syms__name(e, (size_t)idx));
			return 0;
		}
	}
	/* code the ELF tables do not describe: anonymous or memfd JIT buffers */
	if (!sym__jit_lookup(p, addr, out))
		s->stats.unresolved++;
	return 0;
}

/* --- public API ---------------------------------------------------------------------------- */

/* Copies the counters for hp_symbolizer__stats, then releases the lock: /metrics reads the copy
 * and never waits for a capture that is parsing a large file. */
static void sym__unlock(struct hp_symbolizer *s)
{
	struct hp_symbolizer_stats st = s->stats;

	st.elf_entries = s->nfiles;
	st.proc_entries = s->nprocs;
	st.elf_cache_evictions = st.proc_evictions = 0;
	for (int r = 0; r < HP_SYM_EVICT__COUNT; r++) {
		st.elf_cache_evictions += s->stats.evictions[HP_SYM_CACHE_ELF][r];
		st.proc_evictions += s->stats.evictions[HP_SYM_CACHE_PROC][r];
	}
	for (int c = 0; c < HP_SYM_CACHE__COUNT; c++)
		st.cache_bytes[c] = s->bytes[c];
	st.cache_entries[HP_SYM_CACHE_ELF] = s->nfiles;
	st.cache_entries[HP_SYM_CACHE_PERF_MAP] = s->njit;
	st.cache_entries[HP_SYM_CACHE_PROC] = s->nprocs;
	pthread_mutex_lock(&s->snap_lock);
	s->snap = st;
	pthread_mutex_unlock(&s->snap_lock);
	pthread_mutex_unlock(&s->lock);
}

static void sym__sweep(struct hp_symbolizer *s);

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
	while (s->procs_head)
		proc__destroy(s, s->procs_head);
	while (s->files_head)
		file__destroy(s, s->files_head);
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
	sym__sweep(s);
	err = sym__capture(s, pid, true, NULL);
	sym__unlock(s);
	return err;
}

int hp_symbolizer__recapture(struct hp_symbolizer *s, pid_t pid, uint64_t max_age_ns)
{
	struct proc *p;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	sym__sweep(s);
	p = proc__find(s, pid);
	if (!p || p->gone || sym__now_ns() - p->checked_ns >= max_age_ns)
		err = sym__capture(s, pid, true, NULL);
	sym__unlock(s);
	return err;
}

void hp_symbolizer__forget(struct hp_symbolizer *s, pid_t pid)
{
	struct proc *p;

	pthread_mutex_lock(&s->lock);
	p = proc__find(s, pid);
	if (p) {
		if (p->jit)
			s->stats.evictions[HP_SYM_CACHE_PERF_MAP][HP_SYM_EVICT_EXITED]++;
		proc__destroy(s, p);
		s->stats.evictions[HP_SYM_CACHE_PROC][HP_SYM_EVICT_EXITED]++;
	}
	sym__unlock(s);
}

/* See hp_symbolizer__sweep; called with the lock held. */
static void sym__sweep(struct hp_symbolizer *s)
{
	uint64_t now = sym__now_ns(), before = sym__total_bytes(s);
	struct proc *p, *next;

	if (now - s->swept_ns < SYM_SWEEP_NS)
		return;
	s->swept_ns = now;
	for (p = s->procs_head; p; p = next) {
		char path[64];

		next = p->next;
		snprintf(path, sizeof(path), "%s/%d", s->proc_root, p->pid);
		if (!p->gone && access(path, F_OK) == 0) {
			p->dead_ns = 0;
			continue;
		}
		if (!p->dead_ns) {
			p->dead_ns = now;
			continue;
		}
		if (now - p->dead_ns < SYM_EXIT_GRACE_NS)
			continue;
		if (p->jit)
			s->stats.evictions[HP_SYM_CACHE_PERF_MAP][HP_SYM_EVICT_EXITED]++;
		proc__destroy(s, p);
		s->stats.evictions[HP_SYM_CACHE_PROC][HP_SYM_EVICT_EXITED]++;
	}
	/* large perf maps leave free pages inside the heap: give them back */
	if (before - sym__total_bytes(s) >= (1u << 20))
		malloc_trim(0);
}

void hp_symbolizer__sweep(struct hp_symbolizer *s)
{
	pthread_mutex_lock(&s->lock);
	sym__sweep(s);
	sym__unlock(s);
}

int hp_symbolizer__user(struct hp_symbolizer *s, pid_t pid, uint64_t addr, struct hp_sym *out)
{
	int err;

	pthread_mutex_lock(&s->lock);
	err = sym__user(s, pid, addr, out);
	sym__unlock(s);
	return err;
}

/* Reads kallsyms without holding the lock (it takes ~100 ms), then installs it. */
static int sym__kernel_load(struct hp_symbolizer *s)
{
	struct hp_kallsyms *k = hp_kallsyms__load(s->proc_root, s->default_proc ? "/sys" : NULL);
	int err = k ? 0 : -errno;

	pthread_mutex_lock(&s->lock);
	if (k) {
		hp_kallsyms__free(s->ksyms);
		s->ksyms = k;
	}
	s->kernel_err = err;
	s->kernel_tried_ns = sym__now_ns();
	sym__unlock(s);
	return err;
}

int hp_symbolizer__refresh_kernel(struct hp_symbolizer *s)
{
	uint64_t sig = hp_kallsyms__read_modules_sig(s->proc_root);
	bool fresh;

	pthread_mutex_lock(&s->lock);
	fresh = s->ksyms && hp_kallsyms__modules_sig(s->ksyms) == sig;
	sym__unlock(s);
	return fresh ? 0 : sym__kernel_load(s);
}

int hp_symbolizer__kernel(struct hp_symbolizer *s, uint64_t addr, struct hp_sym *out)
{
	struct hp_ksym k;
	int err;

	sym__clear(out);
	out->kernel = true;
	pthread_mutex_lock(&s->lock);
	if (!s->ksyms) {
		bool retry = !s->kernel_tried_ns ||
			     sym__now_ns() - s->kernel_tried_ns >= SYM_KERNEL_RETRY_NS;

		err = s->kernel_err;
		sym__unlock(s);
		if (!retry)
			return err;
		err = sym__kernel_load(s);
		if (err)
			return err;
		pthread_mutex_lock(&s->lock);
	}
	err = hp_kallsyms__lookup(s->ksyms, addr, &k);
	if (err) {
		s->stats.unmapped++;
		sym__unlock(s);
		return err;
	}
	sym__copy(out->module, sizeof(out->module), k.module);
	sym__copy(out->build_id, sizeof(out->build_id), k.build_id);
	out->map_start = k.base;
	out->map_limit = k.limit;
	out->offset = addr - k.base;
	if (k.name[0]) {
		char *d = hp_demangle__name(k.name); /* Rust for Linux symbols */

		sym__set_names(out, d ? d : k.name, k.name);
		free(d);
	} else {
		s->stats.unresolved++;
	}
	sym__unlock(s);
	return 0;
}

void hp_symbolizer__stats(struct hp_symbolizer *s, struct hp_symbolizer_stats *out)
{
	pthread_mutex_lock(&s->snap_lock);
	*out = s->snap;
	pthread_mutex_unlock(&s->snap_lock);
}
