// SPDX-License-Identifier: GPL-2.0-only
/* From a process's mapping to its entry in the ELF cache: opens the mapped file (map_files, else
 * the path inside the process's root) or reads its vDSO, and parses only what is not cached. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "sym_internal.h"
#include "base/fnv.h"
#include "base/safe_open.h"

/* Counts a refused open (see safe_open.h); other errors (ENOENT, EACCES) are not refusals. */
void hp_sym__refused(struct hp_symbolizer *s, int err)
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

/* The mapped file of m, through /proc/PID/map_files (works for deleted files and any mount
 * namespace) or else its path inside root_dir (symlinks cannot leave that root). fd, or a
 * negative errno (counted when the file was refused for what it is). */
static int open__mapped_fd(struct hp_symbolizer *s, pid_t pid, const struct umap *m, bool deleted,
			   const char *root_dir, bool root_ok, struct stat *st)
{
	struct hp_safe_open_opts so = { .max_size = SYM_MAX_ELF_FILE };
	char map_path[PATH_MAX];
	int fd = -ENOENT;

	snprintf(map_path, sizeof(map_path), "%s/%d/map_files/%" PRIx64 "-%" PRIx64, s->proc_root,
		 pid, m->start, m->end);
	if (!s->skip_map_files)
		fd = hp_safe_open__fd(map_path, &so, st);
	/* map_files missing (older kernel, no CAP_SYS_ADMIN) or unreadable: try the path; a file
	 * refused for what it is stays refused */
	if ((fd == -ENOENT || fd == -EACCES || fd == -EPERM) && !deleted && root_ok) {
		so.root = root_dir;
		fd = hp_safe_open__fd(m->name, &so, st);
	}
	if (fd < 0)
		hp_sym__refused(s, fd);
	return fd;
}

/* Parses the ELF at fd; debug files of the process's own file system are looked up inside its
 * root (root_dir), root_path is m's file seen from here (NULL if too long). NULL + errno. */
static struct hp_elf_syms *open__parse(struct hp_symbolizer *s, int fd, const struct umap *m,
				       const char *root_dir, const char *root_path,
				       bool foreign_root)
{
	struct hp_elf_open_opts o = {
		.root = root_dir,
		.path = root_path,
		.orig_path = m->name,
		.debug_roots = { s->debug_root },
		.max_mem = s->budget / 2, /* one crafted ELF cannot take the whole budget */
	};
	char ns_debug[PATH_MAX];
	int n;

	if (foreign_root) {
		n = snprintf(ns_debug, sizeof(ns_debug), "%s/usr/lib/debug", root_dir);
		if (n > 0 && (size_t)n < sizeof(ns_debug))
			o.debug_roots[1] = ns_debug;
	}
	return hp_elf_syms__open_opts(fd, &o);
}

/* The cached table with content identity k, referenced for the caller (a cache hit), or NULL. */
static struct elf_file *open__cached(struct hp_symbolizer *s, const struct file_key *k)
{
	struct elf_file *f = hp_sym_files__find_key(s, k);

	if (!f)
		return NULL;
	s->stats.elf_cache_hits++;
	hp_sym_file__ref(s, f);
	return f;
}

/* f (cached under another identity) now also stands for k: referenced for the caller. */
static struct elf_file *open__alias(struct hp_symbolizer *s, struct elf_file *f,
				    const struct file_key *k)
{
	hp_sym_file__ref(s, f);
	hp_sym_file__add_id(s, f, k);
	return f;
}

/* The ELF table for a file mapping (see sym_internal.h). The cache is keyed by fstat of the
 * descriptor actually read, never by a path stat'ed earlier. */
struct elf_file *hp_sym__open_mapped(struct hp_symbolizer *s, pid_t pid, const struct umap *m,
				     bool deleted, bool foreign_root)
{
	char root_dir[PATH_MAX], root_path[PATH_MAX], build_id[41];
	struct hp_elf_syms *syms;
	struct elf_file *f;
	struct file_key k;
	struct stat st;
	bool root_ok;
	int fd, n;

	n = snprintf(root_dir, sizeof(root_dir), "%s/%d/root", s->proc_root, pid);
	if (n <= 0 || (size_t)n >= sizeof(root_dir))
		return NULL;
	n = snprintf(root_path, sizeof(root_path), "%s%s", root_dir, m->name);
	root_ok = n > 0 && (size_t)n < sizeof(root_path);
	fd = open__mapped_fd(s, pid, m, deleted, root_dir, root_ok, &st);
	if (fd < 0)
		return NULL;
	k = hp_sym__stat_key(&st);
	f = open__cached(s, &k);
	if (f) {
		close(fd);
		return f;
	}
	n = hp_elf_syms__read_build_id(fd, build_id);
	if (n == -ENOEXEC || n == -EINVAL) {
		/* not ELF (a data file mapped executable, a memfd JIT buffer): remember that */
		close(fd);
		s->stats.elf_cache_misses++;
		return hp_sym_files__add(s, &k, NULL);
	}
	if (n) {
		close(fd);
		return NULL;
	}
	f = hp_sym_files__find_build_id(s, build_id);
	if (f && (hp_elf_syms__sources(f->syms) & ~HP_ELF_SRC_DYNSYM)) {
		/* same binary at another path, inode or container image layer */
		close(fd);
		s->stats.elf_cache_hits++;
		return open__alias(s, f, &k);
	}
	syms = open__parse(s, fd, m, root_dir, root_ok ? root_path : NULL, foreign_root);
	n = errno;
	close(fd);
	s->stats.elf_cache_misses++;
	if (!syms && n == EFBIG)
		hp_sym__refused(s, -EFBIG); /* tables over the size or memory limit */
	if (f) {
		/* the cached copy of this build-id had only .dynsym (a stripped copy seen first):
		 * keep whichever table is richer, for every process sharing it */
		if (syms && (hp_elf_syms__sources(syms) & ~HP_ELF_SRC_DYNSYM)) {
			hp_elf_syms__free(f->syms);
			f->syms = syms;
		} else {
			hp_elf_syms__free(syms);
		}
		return open__alias(s, f, &k);
	}
	if (!syms && n != ENOEXEC && n != EINVAL && n != EFBIG)
		return NULL; /* transient (ENOMEM, EMFILE): do not cache the failure */
	return hp_sym_files__add(s, &k, syms);
}

/* Size of an in-memory ELF image as far as its headers tell (the vDSO has no file size). */
static size_t open__image_size(const unsigned char *img)
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
 * one ABI gets the same image from the kernel. Fills buf[len]; false if neither is possible. */
static bool open__vdso_image(struct hp_symbolizer *s, pid_t pid, const struct umap *m,
			     unsigned char *buf, size_t len)
{
	const unsigned char *own;
	size_t own_len;
	char path[128];
	bool ok = false;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/mem", s->proc_root, pid);
	fd = hp_safe_open__fd(path, &(struct hp_safe_open_opts){ .kernel_file = true }, NULL);
	if (fd >= 0) {
		ok = pread(fd, buf, len, (off_t)m->start) == (ssize_t)len;
		close(fd);
	}
	if (ok)
		return true;
	own = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	own_len = own ? open__image_size(own) : 0;
	if (!own || !own_len || own_len > len || (own_len + 4095) / 4096 != len / 4096)
		return false;
	memset(buf, 0, len);
	memcpy(buf, own, own_len);
	return true;
}

/* pid's vDSO (see open__vdso_image), cached by content. */
struct elf_file *hp_sym__open_vdso(struct hp_symbolizer *s, pid_t pid, const struct umap *m)
{
	size_t len = m->end - m->start;
	struct hp_elf_syms *syms;
	unsigned char *buf;
	struct elf_file *f;
	struct file_key k;

	if (!len || len > SYM_MAX_VDSO || !(buf = malloc(len)))
		return NULL;
	if (!open__vdso_image(s, pid, m, buf, len)) {
		free(buf);
		return NULL;
	}
	k = (struct file_key){ .size = len,
			       .mtime_ns = (int64_t)hp_fnv1a(HP_FNV1A_SEED, buf, len) };
	f = open__cached(s, &k);
	if (f) {
		free(buf);
		return f;
	}
	syms = hp_elf_syms__open_mem(buf, len);
	free(buf);
	s->stats.elf_cache_misses++;
	if (!syms)
		return NULL;
	f = hp_sym_files__find_build_id(s, hp_elf_syms__build_id(syms));
	if (f) {
		hp_elf_syms__free(syms);
		return open__alias(s, f, &k);
	}
	return hp_sym_files__add(s, &k, syms);
}
