// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for the self-cost test: exactly N getppid() system calls, so the syscall
 * collector's sys_enter and sys_exit programs must each run at least N more times. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: getppid_loop N
 * Protocol as tests/workloads/sleeper.c: "ready <pid>" on stderr, one byte (or EOF) on stdin to
 * start, then N raw getppid calls (syscall(2): no libc caching) timed with CLOCK_MONOTONIC (vDSO,
 * no syscall), and one JSON line on stdout: {"pid": P, "n": N, "ok": calls that returned the
 * parent, "seconds": S}.
 */
int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n, ok = 0;
	pid_t parent = getppid();
	char *end, go;

	if (argc != 2)
		return fprintf(stderr, "usage: getppid_loop N\n"), 2;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || n < 0)
		return fprintf(stderr, "getppid_loop: bad N '%s'\n", argv[1]), 2;
	fprintf(stderr, "ready %d\n", (int)getpid());
	fflush(stderr);
	if (read(0, &go, 1) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		ok += syscall(SYS_getppid) == parent;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"pid\": %d, \"n\": %ld, \"ok\": %ld, \"seconds\": %.6f}\n", (int)getpid(), n, ok,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
