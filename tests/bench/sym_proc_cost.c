// SPDX-License-Identifier: GPL-2.0-only
/* Heap bytes one captured process costs the symbolizer's process cache (mallinfo2 deltas), the
 * figure behind the agent's RSS under process churn: every sampled short-lived process is kept
 * until the cache (max_processes) evicts it.
 *
 *   make build/bench/sym_proc_cost      ("make soak" runs it)
 *   build/bench/sym_proc_cost [N] [PROGRAM]
 * N live processes (default 200) of PROGRAM run as "PROGRAM 60" (default /bin/sleep): it must
 * stay alive for a second while the processes are captured.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "symbolize/symbolizer.h"

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd; /* small chunks in use + mmapped chunks */
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	const char *prog = argc > 2 ? argv[2] : "/bin/sleep";
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	struct hp_symbolizer *s;
	size_t before, after_first, after_all;
	int captured = 0;

	if (n < 2 || !pids) {
		fprintf(stderr, "usage: %s [N >= 2] [PROGRAM]\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			execl(prog, prog, "60", (char *)NULL);
			_exit(127);
		}
	}
	sleep(1); /* let every child finish exec and ld.so */
	s = hp_symbolizer__new(&(struct hp_symbolizer_opts){ .max_processes = (size_t)n + 1 });
	if (!s)
		return 1;
	/* the first capture also parses the ELF files every later one shares */
	before = heap_in_use();
	captured += hp_symbolizer__capture(s, pids[0]) == 0;
	after_first = heap_in_use();
	for (int i = 1; i < n; i++)
		captured += hp_symbolizer__capture(s, pids[i]) == 0;
	after_all = heap_in_use();
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	printf("symbolizer process cache: %d live processes of %s captured\n", captured, prog);
	printf("  first capture (ELF tables included)   %zu bytes\n", after_first - before);
	printf("  each further process                  %.0f bytes\n",
	       (double)(after_all - after_first) / (n - 1));
	printf("  at 4096 processes (the former default) %.1f MiB\n",
	       (double)(after_all - after_first) / (n - 1) * 4096 / 1048576.0);
	hp_symbolizer__free(s);
	free(pids);
	if (captured != n) {
		fprintf(stderr, "only %d of %d processes of %s captured\n", captured, n, prog);
		return 1;
	}
	return 0;
}
