// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for the syscall collector's live-table safety test: ~180 (syscall, errno)
 * pairs appear for the first time, one every 2 ms, while the test scrapes /metrics in a loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: sc_pairs [GAP_US]
 * Each pair is one syscall made to fail in one way: unallocated x86_64 numbers (ENOSYS), calls
 * that take a file descriptor on fd -1 (EBADF), calls that take a path on an unmapped pointer
 * (EFAULT). Pair i is issued 1 + i % 3 times in a row, then the program sleeps GAP_US (default
 * 2000) microseconds before the next pair. Protocol as tests/workloads/sleeper.c: "ready <pid>"
 * on stderr, one byte on stdin to start, then one JSON line on stdout with what the calls really
 * returned: {"pid": P, "pairs": [[nr, errno, count], ...]} (errno 0: the call succeeded).
 */

#define MAX_PAIRS 256
#define BAD ((long)1) /* an address that is never mapped */

struct call {
	long nr, a[6];
};

static struct {
	long nr, err, count;
} seen[MAX_PAIRS * 2];
static int nseen;

static void record(long nr, long err)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i].nr == nr && seen[i].err == err) {
			seen[i].count++;
			return;
		}
	if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
		seen[nseen++] = (typeof(seen[0])){ nr, err, 1 };
}

int main(int argc, char **argv)
{
	static char buf[256];
	static long arg8[8];
	struct call calls[MAX_PAIRS];
	long gap_us = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	long b = (long)buf, p = (long)arg8;
	int n = 0;
	char go;

	/* ENOSYS: numbers x86_64 does not allocate (335 and 336 are uretprobe and uprobe) */
	for (long nr = 337; nr <= 423; nr++)
		calls[n++] = (struct call){ nr, { 0 } };
	for (long nr = 471; nr <= 483; nr++)
		calls[n++] = (struct call){ nr, { 0 } };
	/* EBADF: calls on fd -1 */
	static const long fd_calls[] = {
		SYS_read,
		SYS_write,
		SYS_close,
		SYS_fstat,
		SYS_lseek,
		SYS_ioctl,
		SYS_pread64,
		SYS_pwrite64,
		SYS_fsync,
		SYS_fdatasync,
		SYS_ftruncate,
		SYS_getdents64,
		SYS_getdents,
		SYS_fchmod,
		SYS_fchown,

		SYS_fcntl,
		SYS_dup,
		SYS_shutdown,
		SYS_listen,
		SYS_fstatfs,
		SYS_fchdir,
		SYS_syncfs,
		SYS_readahead,
		SYS_fadvise64,
		SYS_fallocate,
		SYS_sync_file_range,
		SYS_accept,
		SYS_recvfrom,
		SYS_sendto,
		SYS_getsockname,
		SYS_getpeername,
		SYS_flistxattr,
		SYS_timerfd_gettime,
	};
	for (size_t i = 0; i < sizeof(fd_calls) / sizeof(fd_calls[0]); i++)
		calls[n++] = (struct call){ fd_calls[i], { -1, b, 1, 0, 0, 0 } };
	calls[n++] = (struct call){ SYS_dup2, { -1, 100 } };
	calls[n++] = (struct call){ SYS_flock, { -1, 1 /* LOCK_SH */ } };
	calls[n++] = (struct call){ SYS_readv, { -1, p, 1 } };
	calls[n++] = (struct call){ SYS_writev, { -1, p, 1 } };
	calls[n++] =
	    (struct call){ SYS_mmap, { 0, 4096, 1 /* PROT_READ */, 2 /* MAP_PRIVATE */, -1 } };
	calls[n++] = (struct call){ SYS_epoll_ctl, { -1, 1 /* ADD */, 0, p } };
	/* EFAULT: calls that take a path, on an unmapped pointer */
	static const long path_calls[] = {
		SYS_open,	  SYS_stat,	 SYS_lstat,	SYS_access,	SYS_chdir,
		SYS_mkdir,	  SYS_rmdir,	 SYS_unlink,	SYS_rename,	SYS_link,
		SYS_symlink,	  SYS_chmod,	 SYS_chown,	SYS_lchown,	SYS_truncate,
		SYS_utimes,	  SYS_statfs,	 SYS_readlink,	SYS_creat,	SYS_chroot,
		SYS_getxattr,	  SYS_lgetxattr, SYS_listxattr, SYS_llistxattr, SYS_removexattr,
		SYS_lremovexattr,
	};
	for (size_t i = 0; i < sizeof(path_calls) / sizeof(path_calls[0]); i++)
		calls[n++] = (struct call){ path_calls[i], { BAD, BAD, b, 1, 0, 0 } };
	static const long at_calls[] = {
		SYS_openat,	SYS_mkdirat,   SYS_unlinkat,   SYS_fchmodat, SYS_faccessat,
		SYS_newfstatat, SYS_utimensat, SYS_faccessat2, SYS_fchownat,
	};
	for (size_t i = 0; i < sizeof(at_calls) / sizeof(at_calls[0]); i++)
		calls[n++] = (struct call){ at_calls[i], { AT_FDCWD, BAD, 0, 0, 0, 0 } };
	calls[n++] = (struct call){ SYS_readlinkat, { AT_FDCWD, BAD, b, 1 } };

	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &go, 1) < 0) {
		perror("sc_pairs: read go byte");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const struct call *c = &calls[i];
		const struct timespec gap = { gap_us / 1000000, (gap_us % 1000000) * 1000 };

		for (int k = 0; k <= i % 3; k++) {
			long r =
			    syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);

			record(c->nr, r < 0 ? errno : 0);
			if (r >= 0 && c->nr == SYS_mmap)
				munmap((void *)r, 4096);
		}
		nanosleep(&gap, NULL);
	}
	printf("{\"pid\": %d, \"pairs\": [", (int)getpid());
	for (int i = 0; i < nseen; i++)
		printf("%s[%ld, %ld, %ld]", i ? ", " : "", seen[i].nr, seen[i].err, seen[i].count);
	printf("]}\n");
	return 0;
}
