// SPDX-License-Identifier: GPL-2.0-only
/* Holds the empty scheduler-hook programs (empty_sched.bpf.c) attached until stdin closes or a
 * signal arrives, so tests/bench/offcpu_cost.sh can measure the floor of the off-CPU hooks. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "empty_sched.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct empty_sched_bpf *skel;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = empty_sched_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "empty_sched: open/load failed: %s\n", strerror(errno));
		return 1;
	}
	err = empty_sched_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "empty_sched: attach failed: %s\n", strerror(-err));
		empty_sched_bpf__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	empty_sched_bpf__destroy(skel);
	return 0;
}
