// SPDX-License-Identifier: GPL-2.0-only
/* Ground-truth workload for restart codes and sigreturn: blocking calls interrupted by a signal,
 * in phases that each end one way (restart, EINTR, stop/continue), each counted by itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Usage: sc_restart K
 * Each phase runs until K calls were interrupted while blocked on an empty pipe:
 *   restart  read(), SIGALRM handler with SA_RESTART: ERESTARTSYS at sys_exit, the kernel
 *            restarts the read, which returns the byte the handler wrote.
 *   eintr    read(), handler without SA_RESTART: ERESTARTSYS, the program sees EINTR and reads
 *            the byte with a second read().
 *   poll     poll(fd, -1), handler with SA_RESTART: sys_poll turns ERESTARTNOHAND into
 *            ERESTART_RESTARTBLOCK, which a handler always turns into EINTR; then read().
 *   ppoll    ppoll(fd, NULL), handler with SA_RESTART: ERESTARTNOHAND, EINTR whenever a handler
 *            runs; then read().
 *   stop     read(), no handler: a child waits until this process sleeps in read (its
 *            /proc/PID/syscall names read), sends SIGSTOP, waits for the stop, sends SIGCONT and
 *            writes the byte; the next iteration starts when this process acknowledges it on a
 *            second pipe. ERESTARTSYS at sys_exit, no handler runs: the kernel restarts the
 *            read transparently (no EINTR; the child's calls are another process).
 * Protocol as tests/workloads/sleeper.c; the JSON line holds per phase what the program saw:
 * "calls" of the blocking call, "reads" (all read() calls on the pipe), "interrupted" (the
 * handler ran while the call was blocked, or the child stopped it), "eintr" (EINTR results),
 * and "handled" (handler runs). The byte comes only from the handler or the child, so every
 * iteration is interrupted at most once. poll and ppoll are made with syscall() so the calls are
 * exactly those numbers whatever libc does.
 */

enum kind { K_READ, K_POLL, K_PPOLL };

struct phase_count {
	long calls, reads, interrupted, eintr;
};

static int pipefd[2];
static volatile sig_atomic_t in_call, handled, during_call;

static void on_alarm(int sig)
{
	char c = 'x';

	(void)sig;
	handled++;
	during_call += in_call;
	if (write(pipefd[1], &c, 1) != 1)
		_exit(3);
}

/* One blocking call of kind k on the pipe: 1 when the pipe is readable or a byte was read, -1 with
 * errno set otherwise. */
static long blocking_call(enum kind k, char *c)
{
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };

	switch (k) {
	case K_POLL:
		return syscall(SYS_poll, &pfd, 1, -1);
	case K_PPOLL:
		return syscall(SYS_ppoll, &pfd, 1, NULL, NULL, 8);
	default:
		return syscall(SYS_read, pipefd[0], c, 1);
	}
}

/*
 * Runs until n calls were interrupted while blocked. An alarm that fires before the call blocks
 * (the process was preempted for the whole 30 ms) only makes that call return at once; it is
 * counted as a plain call and the iteration repeated, so the figures stay exact on a busy host.
 */
static int phase(enum kind k, int restart, long n, struct phase_count *pc)
{
	struct sigaction sa;
	const struct itimerval it = { .it_value = { 0, 30000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	for (long tries = 0; pc->interrupted < n; tries++) {
		long before = during_call;
		char c;
		long r;

		if (tries > 100 * n || setitimer(ITIMER_REAL, &it, NULL))
			return -1;
		in_call = 1;
		r = blocking_call(k, &c);
		in_call = 0;
		pc->calls++;
		pc->reads += k == K_READ;
		if (r < 0 && errno == EINTR) {
			pc->eintr++;
			r = 0; /* the handler has written the byte: read it below */
		}
		if (k != K_READ || r == 0) {
			r = read(pipefd[0], &c, 1);
			pc->reads++;
		}
		if (r != 1)
			return -1;
		pc->interrupted += during_call != before;
	}
	return 0;
}

/* /proc/<pid>/<name> into buf (NUL-terminated, at most size - 1 bytes); its length, or -1. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	len = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[len] = 0;
	return (ssize_t)len;
}

/* State letter of /proc/pid/stat ('S', 'T', ...), or 0. */
static char proc_state(pid_t pid)
{
	char buf[512], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* True when pid sleeps in read(2): /proc/pid/syscall names the call only while the task blocks. */
static int blocked_in_read(pid_t pid)
{
	char buf[128];

	if (read_proc(pid, "syscall", buf, sizeof(buf)) < 0)
		return 0;
	return strncmp(buf, "0 ", 2) == 0 && proc_state(pid) == 'S';
}

/* The child of the stop phase: n times stop and continue the parent while it sleeps in read,
 * then wait for its acknowledgement on ack (so the next check cannot see the same read). Exits
 * as soon as the parent is gone. */
static void stopper(pid_t parent, long n, int ack)
{
	for (long i = 0; i < n; i++) {
		char c = 's';

		while (!blocked_in_read(parent))
			if (getppid() != parent || usleep(200))
				_exit(5);
		if (kill(parent, SIGSTOP))
			_exit(4);
		while (proc_state(parent) != 'T')
			if (getppid() != parent || usleep(200))
				_exit(5);
		if (kill(parent, SIGCONT) || write(pipefd[1], &c, 1) != 1 || read(ack, &c, 1) != 1)
			_exit(4);
	}
	_exit(0);
}

static int phase_stop(long n, struct phase_count *pc)
{
	struct sigaction sa;
	pid_t child;
	int status, ack[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGALRM, &sa, NULL) || pipe(ack))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		close(ack[1]); /* a parent that dies ends the child's read with EOF */
		stopper(getppid(), n, ack[0]);
	}
	for (long i = 0; i < n; i++) {
		char c;

		if (read(pipefd[0], &c, 1) != 1)
			return -1;
		pc->calls++;
		pc->reads++;
		pc->interrupted++; /* the child stopped this read while it slept (blocked_in_read) */
		if (write(ack[1], &c, 1) != 1)
			return -1;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	close(ack[0]);
	close(ack[1]);
	return 0;
}

static void print_phase(const char *name, const struct phase_count *pc, const char *sep)
{
	printf("\"%s\": {\"calls\": %ld, \"reads\": %ld, \"interrupted\": %ld, \"eintr\": %ld}%s",
	       name, pc->calls, pc->reads, pc->interrupted, pc->eintr, sep);
}

int main(int argc, char **argv)
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : -1;
	struct phase_count restart = { 0 }, eintr = { 0 }, pollc = { 0 }, ppollc = { 0 },
			   stop = { 0 };
	char go;

	if (n < 0) {
		fprintf(stderr, "usage: sc_restart K\n");
		return 2;
	}
	if (pipe(pipefd)) {
		perror("sc_restart: pipe");
		return 1;
	}
	fprintf(stderr, "ready %d\n", (int)getpid());
	if (read(0, &go, 1) < 0) {
		perror("sc_restart: read go byte");
		return 1;
	}
	if (phase(K_READ, 1, n, &restart) || phase(K_READ, 0, n, &eintr) ||
	    phase(K_POLL, 1, n, &pollc) || phase(K_PPOLL, 1, n, &ppollc) || phase_stop(n, &stop)) {
		perror("sc_restart: phase");
		return 1;
	}
	printf("{\"pid\": %d, \"k\": %ld, \"handled\": %ld, ", (int)getpid(), n, (long)handled);
	print_phase("restart", &restart, ", ");
	print_phase("eintr", &eintr, ", ");
	print_phase("poll", &pollc, ", ");
	print_phase("ppoll", &ppollc, ", ");
	print_phase("stop", &stop, "}\n");
	return 0;
}
