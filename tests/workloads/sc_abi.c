// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for the syscall ABI tests: a 64-bit program that enters the ia32 (i386)
 * ABI with `int $0x80`, or the x32 ABI, whose numbers mean other calls than on x86_64. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: sc_abi ia32|x32 N    or    sc_abi probe (exit 0 if int $0x80 works here, 3 if it faults)
 * ia32: N getpid (i386 20; x86_64 20 is writev), N open of a missing path (i386 5 -> ENOENT;
 * x86_64 5 is fstat) and N nanosleep of 1.5 ms (i386 162; x86_64 162 is sync), all through
 * int $0x80, with arguments below 4 GiB (MAP_32BIT) as the 32-bit ABI requires.
 * x32: the same three calls with the x32 numbers (39, 2, 35 | __X32_SYSCALL_BIT) through the
 * 64-bit syscall instruction; on a kernel without CONFIG_X86_X32_ABI each returns ENOSYS.
 * Each sleep is timed with CLOCK_MONOTONIC (vDSO: no syscall). Protocol as
 * tests/workloads/sleeper.c; the JSON line gives how each kind of call ended (errno, 0 for
 * success; all N calls of a kind must end alike) and how many sleeps the program itself measured
 * in (2^20, 2^21] ns.
 */

#define I386_OPEN 5
#define I386_GETPID 20
#define I386_NANOSLEEP 162
#define X32_BIT 0x40000000L
#define X32_OPEN (X32_BIT | 2)
#define X32_GETPID (X32_BIT | 39)
#define X32_NANOSLEEP (X32_BIT | 35)
#define SLEEP_NS 1500000
#define MISSING_PATH "/nonexistent-hostprof-e2e/abi"

struct timespec32 {
	int tv_sec, tv_nsec;
};

static long int80(long nr, long a, long b)
{
	long ret;

	/* the kernel clobbers r8-r11 on this path from 64-bit code */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static long call(bool ia32, long i386_nr, long x32_nr, long a, long b)
{
	long r;

	if (ia32)
		return int80(i386_nr, a, b);
	r = syscall(x32_nr, a, b);
	return r < 0 ? -errno : r;
}

/* Whether int $0x80 works on this kernel (ia32 emulation can be off: ia32_emulation=0, some
 * hypervisors): tried in a child, which dies of a signal if the gate faults. */
static int probe_ia32(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(int80(I386_GETPID, 0, 0) == getpid() ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* errno of a return value (0: success; 1000: getpid returned a wrong pid) */
static long err_of(long r, long want)
{
	return r < 0 ? -r : (want < 0 || r == want) ? 0 : 1000;
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? strtol(argv[2], NULL, 10) : -1;
	long err[3] = { -1, -1, -1 }, in_bucket = 0;
	long long sleep_sum = 0;
	bool ia32;
	char *low, go;

	if (argc == 2 && strcmp(argv[1], "probe") == 0)
		return probe_ia32() == 1 ? 0 : 3;
	if (n < 0 || (strcmp(argv[1], "ia32") != 0 && strcmp(argv[1], "x32") != 0)) {
		fprintf(stderr, "usage: sc_abi ia32|x32 N | sc_abi probe\n");
		return 2;
	}
	ia32 = strcmp(argv[1], "ia32") == 0;
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
		   0);
	if (low == MAP_FAILED) {
		perror("sc_abi: mmap(MAP_32BIT)");
		return 1;
	}
	strcpy(low, MISSING_PATH);
	*(struct timespec32 *)(low + 256) = (struct timespec32){ 0, SLEEP_NS };
	*(struct timespec *)(low + 512) = (struct timespec){ 0, SLEEP_NS };

	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &go, 1) < 0) {
		perror("sc_abi: read go byte");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		long r = call(ia32, I386_GETPID, X32_GETPID, 0, 0), e = err_of(r, getpid());

		if (err[0] >= 0 && e != err[0])
			goto mixed;
		err[0] = e;
	}
	for (long i = 0; i < n; i++) {
		long e = err_of(call(ia32, I386_OPEN, X32_OPEN, (long)low, 0 /* O_RDONLY */), -1);

		if (err[1] >= 0 && e != err[1])
			goto mixed;
		err[1] = e;
	}
	for (long i = 0; i < n; i++) {
		long long t0 = now_ns(), d;
		long e = err_of(
		    call(ia32, I386_NANOSLEEP, X32_NANOSLEEP, (long)(low + (ia32 ? 256 : 512)), 0),
		    -1);

		d = now_ns() - t0;
		if (err[2] >= 0 && e != err[2])
			goto mixed;
		err[2] = e;
		sleep_sum += d;
		in_bucket += d > (1LL << 20) && d <= (1LL << 21);
	}
	printf("{\"pid\": %d, \"abi\": \"%s\", \"n\": %ld, \"getpid_errno\": %ld, "
	       "\"open_errno\": %ld, \"nanosleep_errno\": %ld, \"sleep_in_bucket\": %ld, "
	       "\"sleep_sum_ns\": %lld}\n",
	       (int)getpid(), argv[1], n, err[0], err[1], err[2], in_bucket, sleep_sum);
	return 0;
mixed:
	fprintf(stderr, "sc_abi: calls of one kind ended in different ways\n");
	return 1;
}
