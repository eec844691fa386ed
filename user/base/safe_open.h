/* SPDX-License-Identifier: GPL-2.0-only */
/* Opening files on behalf of processes hostprof does not trust (perf maps, mapped ELF files, debug
 * files, /proc and cgroup files): never blocks, never opens a device, never leaves a container. */
#ifndef HOSTPROF_SAFE_OPEN_H
#define HOSTPROF_SAFE_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct hp_safe_open_opts {
	/* Resolve path inside this directory (e.g. "/proc/PID/root", itself followed as given):
	 * absolute symlinks and ".." stay below it (openat2 RESOLVE_IN_ROOT), magic links
	 * (/proc/self/...) are refused. NULL: path is one of ours, resolved normally. */
	const char *root;
	size_t max_size; /* st_size limit in bytes (-EFBIG beyond); 0: none */
	bool no_symlinks; /* refuse a symlink anywhere below root; without root: the last component */
	/* the file must belong to owner, exactly (-EPERM otherwise): root's files are no exception,
	 * since any user can bind-mount one (/etc/shadow, /proc/kmsg) over its own path inside a
	 * user + mount namespace of its own, and /proc/PID/root leads into that namespace */
	bool check_owner;
	uid_t owner;
	/* path names a file the kernel makes (/proc/PID/maps, /sys/...), where no FIFO, device or
	 * link can appear: opened directly (O_NONBLOCK|O_NOFOLLOW), saving the O_PATH step's four
	 * system calls on the capture path; the checks after open are the same. Not with root. */
	bool kernel_file;
};

/*
 * Opens path read-only with O_NONBLOCK|O_CLOEXEC. The path is first resolved to an O_PATH
 * descriptor, which opens nothing (a FIFO does not block, a device's open handler never runs);
 * only a regular file on a file system other than FUSE, within max_size and owned as asked, is
 * then reopened for reading through /proc/self/fd. *st (may be NULL) is fstat of the returned
 * descriptor, so identity (dev, inode, size, mtime) is that of the file actually read.
 * Returns the descriptor, or a negative errno: -EINVAL not a regular file (FIFO, device,
 * directory, socket), -ELOOP a refused symlink, -EXDEV ".." or an escape from root, -EFBIG over
 * max_size, -EPERM wrong owner, -EREMOTE on FUSE (a user-space server could stall every read),
 * or what open/openat2 returned (-ENOENT, -EACCES, ...).
 * Without openat2 (Linux < 5.6) a root-relative path is walked one component at a time and
 * every symlink below root is refused.
 */
int hp_safe_open__fd(const char *path, const struct hp_safe_open_opts *opts, struct stat *st);

/* hp_safe_open__fd, then the whole file (at most max bytes, -EFBIG beyond) NUL-terminated into a
 * buffer the caller frees; *len excludes the NUL. NULL + errno on failure. */
char *hp_safe_open__read(const char *path, const struct hp_safe_open_opts *opts, size_t max,
			 size_t *len);

/* Tests: resolve root-relative paths with the component walk, as on kernels without openat2. */
void hp_safe_open__force_walk(bool on);

#endif
