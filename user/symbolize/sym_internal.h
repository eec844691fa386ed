/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to symbolize/: the state behind struct hp_symbolizer and the calls its files make to
 * one another (ELF file cache, process cache, capture, perf maps, budget, kernel side). */
#ifndef HOSTPROF_SYM_INTERNAL_H
#define HOSTPROF_SYM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "elf_syms.h"
#include "perf_map.h"
#include "symbolizer.h"
#include "base/lru.h"

/*
 * Locking: one mutex (hp_symbolizer.lock) guards all state below, and every function declared
 * here is called with it held. Public entry points take it and release it through
 * hp_sym__unlock, which also publishes the stats copy; only the kallsyms read (sym_kernel.c)
 * runs without it.
 */

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
	struct hp_lru_node lru; /* in hp_symbolizer.files */
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
	struct proc *hnext;	/* pid hash chain */
	struct hp_lru_node lru; /* in hp_symbolizer.procs */
	pid_t pid, nspid;	/* nspid: the pid inside its innermost pid namespace */
	uint64_t start_time;	/* field 22 of /proc/PID/stat: tells pid reuse apart */
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

	struct hp_lru files; /* struct elf_file, most recently used first */
	struct file_id **ids;
	size_t nid_buckets;

	struct proc **procs;
	size_t nproc_buckets;
	struct hp_lru procs_lru; /* struct proc, most recently used first */

	size_t budget, max_perf_map;
	uint64_t bytes[HP_SYM_CACHE__COUNT];
	size_t njit;
	uint64_t swept_ns;

	struct hp_symbolizer_stats stats;
	pthread_mutex_t snap_lock; /* guards snap, a copy of stats taken at each unlock */
	struct hp_symbolizer_stats snap;
};

/* --- small shared helpers ------------------------------------------------------------------ */

static inline uint64_t hp_sym__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Copies src into dst[size] (truncating), always NUL-terminated. */
static inline void hp_sym__copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static inline struct file_key hp_sym__stat_key(const struct stat *st)
{
	return (struct file_key){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
	};
}

static inline bool hp_sym__key_eq(const struct file_key *a, const struct file_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

static inline struct elf_file *hp_sym__file_of(struct hp_lru_node *n)
{
	return hp_lru_entry(n, struct elf_file, lru);
}

static inline struct proc *hp_sym__proc_of(struct hp_lru_node *n)
{
	return hp_lru_entry(n, struct proc, lru);
}

/* --- ELF file cache (sym_files.c) ------------------------------------------------------------ */

/* The table whose content identity is k, or NULL. */
struct elf_file *hp_sym_files__find_key(struct hp_symbolizer *s, const struct file_key *k);
/* A cached table with this build-id (possibly one read from .dynsym only), or NULL. */
struct elf_file *hp_sym_files__find_build_id(struct hp_symbolizer *s, const char *build_id);
/* A new cache entry holding syms (taken over; NULL: "not an ELF we can read"), known by
 * identity k, referenced once for the caller. NULL when out of memory. */
struct elf_file *hp_sym_files__add(struct hp_symbolizer *s, const struct file_key *k,
				   struct hp_elf_syms *syms);
/* Remembers that content k is f too (bounded per file: the oldest identity is forgotten). */
void hp_sym_file__add_id(struct hp_symbolizer *s, struct elf_file *f, const struct file_key *k);
/* Takes one reference for a process mapping (and marks f used); unref drops it (f may be NULL)
 * and evicts down to max_elf_files when f became unreferenced. */
void hp_sym_file__ref(struct hp_symbolizer *s, struct elf_file *f);
void hp_sym_file__unref(struct hp_symbolizer *s, struct elf_file *f);
void hp_sym_file__touch(struct hp_symbolizer *s, struct elf_file *f);
void hp_sym_file__destroy(struct hp_symbolizer *s, struct elf_file *f);

/* --- opening the files a process maps (sym_open.c) ------------------------------------------- */

/* The ELF table of file mapping m of pid, through /proc/PID/map_files or else m->name inside
 * /proc/PID/root; deleted: the path no longer names the file; foreign_root: the process has its
 * own root (its debug files are looked up there too). Referenced; NULL if unreachable/refused. */
struct elf_file *hp_sym__open_mapped(struct hp_symbolizer *s, pid_t pid, const struct umap *m,
				     bool deleted, bool foreign_root);
/* The ELF table of pid's vDSO mapping m (read from /proc/PID/mem). Referenced; NULL if none. */
struct elf_file *hp_sym__open_vdso(struct hp_symbolizer *s, pid_t pid, const struct umap *m);
/* Counts a refused open (negative errno from hp_safe_open__fd; others are not refusals). */
void hp_sym__refused(struct hp_symbolizer *s, int err);

/* --- process cache (sym_procs.c) ------------------------------------------------------------- */

struct proc *hp_sym_procs__find(struct hp_symbolizer *s, pid_t pid);
/* A new, empty entry for pid (evicting the least recently used beyond max_processes). */
struct proc *hp_sym_procs__add(struct hp_symbolizer *s, pid_t pid, uint64_t start_time);
void hp_sym_proc__touch(struct hp_symbolizer *s, struct proc *p);
/* Re-computes p's accounted size after its mappings changed. */
void hp_sym_proc__account(struct hp_symbolizer *s, struct proc *p);
void hp_sym_proc__destroy(struct hp_symbolizer *s, struct proc *p);
/* Destroys p, counting it (and its perf map, if loaded) as evicted for reason why. */
void hp_sym_proc__evict(struct hp_symbolizer *s, struct proc *p, enum hp_sym_evict why);
/* Frees a mapping array (dropping its file references). */
void hp_sym__free_maps(struct hp_symbolizer *s, struct umap *maps, size_t n);
/* Field 22 of /proc/PID/stat; -ESRCH if gone. */
int hp_sym__start_time(struct hp_symbolizer *s, pid_t pid, uint64_t *out);
/* The pid the process knows itself by and its effective uid, from /proc/PID/status. */
void hp_sym__status(struct hp_symbolizer *s, pid_t pid, pid_t *nspid, uid_t *uid);
/* See hp_symbolizer__sweep. */
void hp_sym_procs__sweep(struct hp_symbolizer *s);

/* --- capturing /proc/PID/maps (sym_capture.c, sym_anon.c) ------------------------------------ */

/* Captures pid (see hp_symbolizer__capture). On pid reuse the old entry is replaced if replace,
 * else it is marked gone and kept (lookups for samples of the old process go on working). */
int hp_sym__capture(struct hp_symbolizer *s, pid_t pid, bool replace, struct proc **out);
/* The mapping of p that holds addr, or NULL. */
const struct umap *hp_sym__find_map(const struct proc *p, uint64_t addr);
/* maps paths as the process sees them: prefix (its root seen from here) removed. */
const char *hp_sym__strip_root(const char *path, const char *prefix);
struct hp_proc_maps;
/* Turns the anonymous executable mapping pm->maps[i] into m, a mapping of the file whose text
 * was copied there, when the mappings around it say so; false (m untouched) otherwise. */
bool hp_sym__anon_from_file(struct hp_symbolizer *s, pid_t pid, const struct hp_proc_maps *pm,
			    size_t i, const char *prefix, bool foreign, struct umap *m);

/* --- perf maps (sym_jit.c) ------------------------------------------------------------------- */

/* Loads or reloads p's perf map when its file changed. */
void hp_sym_jit__refresh(struct hp_symbolizer *s, struct proc *p);
/* Frees p's perf map (its identity stays known, so the same file is not read again). */
void hp_sym_jit__drop(struct hp_symbolizer *s, struct proc *p);
/* Names addr from p's perf map into out (function, mangled, module); false if not there. */
bool hp_sym_jit__lookup(const struct proc *p, uint64_t addr, struct hp_sym *out);

/* --- byte budget (sym_budget.c) -------------------------------------------------------------- */

uint64_t hp_sym__total_bytes(const struct hp_symbolizer *s);
/* Evicts until all caches plus reserve bytes fit the budget; keep is never evicted. */
void hp_sym__budget(struct hp_symbolizer *s, const struct proc *keep, uint64_t reserve);

/* --- results and locking (symbolizer.c) ------------------------------------------------------ */

void hp_sym__clear(struct hp_sym *out);
void hp_sym__set_names(struct hp_sym *out, const char *function, const char *mangled);
/* Publishes the stats copy that hp_symbolizer__stats reads, then releases s->lock. */
void hp_sym__unlock(struct hp_symbolizer *s);

#endif
