// SPDX-License-Identifier: GPL-2.0-only
/* Process-churn load for the soak tests: fork + exec of a tiny short-lived program at a target
 * rate for a bounded time, so the agent sees a steady stream of new pids (ground truth on stdout). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: churn RATE SECONDS [SPIN_US]
 *   Starts RATE processes per second for SECONDS seconds. Each child execs this program again as
 *   "churn --child SPIN_US": it spins on the CPU for SPIN_US microseconds (default 200, so CPU
 *   samples land in the short-lived processes themselves) and exits 0.
 *   Prints one JSON line when done: {"started":N,"ok":N,"failed":N,"seconds":S,"max_alive":N}.
 *   Never more than MAX_ALIVE children at once: when the machine cannot keep up the rate drops
 *   (visible in "started") instead of the load turning into a fork bomb. SIGTERM or SIGINT end
 *   the run early (children are still reaped and the line printed).
 * Usage: churn --child SPIN_US
 */

#define MAX_ALIVE 256

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}
#define TICK_NS 1000000L /* the parent catches up on its schedule once a millisecond */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int child(long spin_us)
{
	double end = now_s() + (double)spin_us / 1e6;
	volatile unsigned long x = 0;

	while (now_s() < end)
		x++;
	return 0;
}

struct tally {
	long started, ok, failed, alive, max_alive;
};

static void reap(struct tally *t, int flags)
{
	int status;

	while (t->alive > 0 && waitpid(-1, &status, flags) > 0) {
		t->alive--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			t->ok++;
		else
			t->failed++;
	}
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	char self[4096], spin[32];
	double rate, seconds, t0, elapsed;
	long spin_us = 200;
	ssize_t len;

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child(atol(argv[2]));
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s RATE SECONDS [SPIN_US]\n", argv[0]);
		return 2;
	}
	rate = atof(argv[1]);
	seconds = atof(argv[2]);
	if (argc == 4)
		spin_us = atol(argv[3]);
	if (rate <= 0 || seconds <= 0 || spin_us < 0) {
		fprintf(stderr, "churn: RATE and SECONDS must be > 0, SPIN_US >= 0\n");
		return 2;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		perror("churn: readlink /proc/self/exe");
		return 1;
	}
	self[len] = '\0';
	snprintf(spin, sizeof(spin), "%ld", spin_us);

	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	t0 = now_s();
	while ((elapsed = now_s() - t0) < seconds && !stop) {
		long due = (long)(elapsed * rate) + 1;

		while (t.started < due && t.alive < MAX_ALIVE) {
			pid_t pid = fork();

			if (pid < 0) {
				if (errno == EAGAIN)
					break;
				perror("churn: fork");
				return 1;
			}
			if (pid == 0) {
				execl(self, "churn", "--child", spin, (char *)NULL);
				_exit(127);
			}
			t.started++;
			if (++t.alive > t.max_alive)
				t.max_alive = t.alive;
		}
		reap(&t, WNOHANG);
		nanosleep(&(struct timespec){ 0, TICK_NS }, NULL);
	}
	elapsed = now_s() - t0;
	reap(&t, 0);
	printf("{\"started\":%ld,\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"max_alive\":%ld}\n",
	       t.started, t.ok, t.failed, elapsed, t.max_alive);
	return t.failed ? 1 : 0;
}
