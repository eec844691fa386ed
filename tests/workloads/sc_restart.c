/* Ground-truth workload for restart codes and sigreturn: blocking reads interrupted by a signal,
 * once with SA_RESTART (transparent restart) and once without (EINTR), each counted by itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * Usage: sc_restart K
 * Phase A (SA_RESTART), K times: arm a one-shot 30 ms ITIMER_REAL, read() an empty pipe; the
 * SIGALRM handler writes one byte to the pipe, the kernel restarts the read, which returns it.
 * Phase B (no SA_RESTART), K times: the same, but the interrupted read returns EINTR to the
 * program; a second read() takes the byte. Each interrupted read ends at sys_exit with
 * ERESTARTSYS; rt_sigreturn then "returns" the restored register (-EINTR in phase B).
 * Protocol as tests/workloads/sleeper.c; the JSON line counts what the program saw: read() calls,
 * interruptions (the handler ran while the read was blocked), EINTRs, handler runs. The byte comes
 * only from the handler, so every iteration runs the handler exactly once.
 */

static int pipefd[2];
static volatile sig_atomic_t in_read, handled, during_read;

static void on_alarm(int sig)
{
	char c = 'x';

	(void)sig;
	handled++;
	during_read += in_read;
	if (write(pipefd[1], &c, 1) != 1)
		_exit(3);
}

/*
 * Runs until k reads were interrupted while blocked. An alarm that fires before the read blocks
 * (the process was preempted for the whole 30 ms) only makes that read return the byte at once;
 * it is counted as a plain read and the iteration repeated, so the figures stay exact on a busy
 * host.
 */
static int phase(int restart, long k, long *reads, long *interrupted, long *eintr)
{
	struct sigaction sa;
	const struct itimerval it = { .it_value = { 0, 30000 } };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	for (long tries = 0; *interrupted < k; tries++) {
		long before = during_read;
		char c;
		ssize_t r;

		if (tries > 100 * k || setitimer(ITIMER_REAL, &it, NULL))
			return -1;
		in_read = 1;
		r = read(pipefd[0], &c, 1);
		in_read = 0;
		(*reads)++;
		if (r < 0 && errno == EINTR) {
			(*eintr)++;
			r = read(pipefd[0], &c, 1);
			(*reads)++;
		}
		if (r != 1)
			return -1;
		*interrupted += during_read != before;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long k = argc == 2 ? strtol(argv[1], NULL, 10) : -1;
	long reads_a = 0, reads_b = 0, intr_a = 0, intr_b = 0, eintr_a = 0, eintr_b = 0;
	char go;

	if (k < 0) {
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
	if (phase(1, k, &reads_a, &intr_a, &eintr_a)) {
		perror("sc_restart: phase A");
		return 1;
	}
	if (phase(0, k, &reads_b, &intr_b, &eintr_b)) {
		perror("sc_restart: phase B");
		return 1;
	}
	printf("{\"pid\": %d, \"k\": %ld, \"restart_reads\": %ld, \"restart_interrupted\": %ld, "
	       "\"restart_eintr\": %ld, \"eintr_reads\": %ld, \"eintr_interrupted\": %ld, "
	       "\"eintr_eintr\": %ld, \"handled\": %ld}\n",
	       (int)getpid(), k, reads_a, intr_a, eintr_a, reads_b, intr_b, eintr_b, (long)handled);
	return 0;
}
