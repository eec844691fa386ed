// SPDX-License-Identifier: GPL-2.0-only
/* The single way hostprof opens a file another process controls (see safe_open.h): O_PATH first,
 * checks on that descriptor, then a reopen of exactly that inode for reading. */
#include "safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "readfile.h"

#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

/* Cleared after openat2 returned ENOSYS once, so old kernels take the walk directly. */
static bool safe_have_openat2 = true;

/* Walks path below dirfd one component at a time with O_NOFOLLOW, refusing ".." and every
 * symlink: the strict stand-in for RESOLVE_IN_ROOT when openat2 does not exist. O_PATH fd or
 * negative errno. */
static int safe__walk(int dirfd, const char *path)
{
	const char *p = path;
	int cur = dirfd, err = 0;

	for (;;) {
		char comp[NAME_MAX + 1];
		const char *end;
		size_t n;
		bool last;
		int fd;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p = end;
		while (*p == '/')
			p++;
		last = !*p;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			err = -EXDEV;
			break;
		}
		fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY));
		if (fd < 0) {
			/* a symlink where a directory is expected fails O_DIRECTORY */
			err = errno == ENOTDIR ? -ELOOP : -errno;
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
	}
	if (!err && cur == dirfd)
		err = -EINVAL; /* the root itself is a directory, never a file to read */
	if (err && cur != dirfd)
		close(cur);
	return err ? err : cur;
}

/* O_PATH descriptor of path inside root (see hp_safe_open_opts), or a negative errno. */
static int safe__resolve(const char *path, const struct hp_safe_open_opts *o)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int rfd, fd;

	if (!o->root) {
		fd = open(path, O_PATH | O_CLOEXEC | (o->no_symlinks ? O_NOFOLLOW : 0));
		return fd < 0 ? -errno : fd;
	}
	rfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	how.resolve =
	    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (o->no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
	fd = -ENOSYS;
	if (safe_have_openat2) {
		fd = (int)syscall(__NR_openat2, rfd, path, &how, sizeof(how));
		if (fd < 0) {
			fd = -errno;
			if (fd == -ENOSYS)
				safe_have_openat2 = false;
		}
	}
	if (fd == -ENOSYS)
		fd = safe__walk(rfd, path);
	close(rfd);
	return fd;
}

/* Refuses what must not be read; 0 if st (of the O_PATH fd pfd) describes an acceptable file. */
static int safe__check(int pfd, const struct stat *st, const struct hp_safe_open_opts *o)
{
	struct statfs fs;

	if (S_ISLNK(st->st_mode))
		return -ELOOP; /* O_PATH|O_NOFOLLOW opened the link itself */
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (o->max_size && (uint64_t)st->st_size > o->max_size)
		return -EFBIG;
	if (o->check_owner && st->st_uid != o->owner)
		return -EPERM; /* root's too: see hp_safe_open_opts.check_owner */
	if (fstatfs(pfd, &fs) == 0 && (unsigned long)fs.f_type == FUSE_SUPER_MAGIC)
		return -EREMOTE;
	return 0;
}

int hp_safe_open__fd(const char *path, const struct hp_safe_open_opts *opts, struct stat *st)
{
	const struct hp_safe_open_opts none = { 0 };
	const struct hp_safe_open_opts *o = opts ? opts : &none;
	struct stat pst, rst;
	char self[64];
	int pfd, fd, err;

	if (o->kernel_file && !o->root) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
		if (fd < 0)
			return errno == ELOOP ? -ELOOP : -errno;
		err = fstat(fd, &rst) != 0 ? -errno : safe__check(fd, &rst, o);
		if (err) {
			close(fd);
			return err;
		}
		if (st)
			*st = rst;
		return fd;
	}
	pfd = safe__resolve(path, o);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, &pst) != 0) {
		err = -errno;
		close(pfd);
		return err;
	}
	err = safe__check(pfd, &pst, o);
	if (err) {
		close(pfd);
		return err;
	}
	/* reopening the O_PATH descriptor reaches the very inode checked above, whatever the
	 * path names by now */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	err = fd < 0 ? -errno : 0;
	close(pfd);
	if (err)
		return err;
	if (fstat(fd, &rst) != 0 || rst.st_dev != pst.st_dev || rst.st_ino != pst.st_ino ||
	    !S_ISREG(rst.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st)
		*st = rst;
	return fd;
}

void hp_safe_open__force_walk(bool on)
{
	safe_have_openat2 = !on;
}

char *hp_safe_open__read(const char *path, const struct hp_safe_open_opts *opts, size_t max,
			 size_t *len)
{
	int fd = hp_safe_open__fd(path, opts, NULL);
	char *buf;
	int err;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	buf = hp_readfile__fd(fd, max, len);
	err = errno;
	close(fd);
	errno = err;
	return buf;
}
