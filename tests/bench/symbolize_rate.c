// SPDX-License-Identifier: GPL-2.0-only
/* Symbolizer speed without sanitizers: capture cost of a process, then warm-cache lookups per
 * second for user addresses (spread over every executable mapping of this process) and kernel
 * addresses (spread over kernel text). Prints one line per measurement.
 *
 * Build and run (from the repository root, as root for kallsyms addresses):
 *   make build/bench/symbolize_rate     (linked with the agent's objects; "make bench" runs it)
 *   build/bench/symbolize_rate [PID]     (PID: also time a cold capture of that process)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/symbolizer.h"

#define NADDRS 4096

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* NADDRS addresses spread evenly over the executable mappings of /proc/self/maps. */
static size_t self_addresses(uint64_t *out)
{
	uint64_t starts[256], ends[256], total = 0;
	size_t nmaps = 0, n = 0;
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && nmaps < 256) {
		unsigned long long a, b;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) == 3 && perms[2] == 'x' &&
		    !strstr(line, "[vsyscall]")) {
			starts[nmaps] = a;
			ends[nmaps++] = b;
			total += b - a;
		}
	}
	fclose(f);
	for (size_t i = 0; i < nmaps && n < NADDRS; i++) {
		size_t share = (size_t)((ends[i] - starts[i]) * NADDRS / total) + 1;

		for (size_t k = 0; k < share && n < NADDRS; k++)
			out[n++] = starts[i] + (ends[i] - starts[i]) * k / share;
	}
	return n;
}

static void rate(const char *what, struct hp_symbolizer *s, pid_t pid, const uint64_t *addrs,
		 size_t n)
{
	size_t done = 0, resolved = 0;
	struct hp_sym sym;
	double t0, dt, cpu0;

	for (size_t i = 0; i < n; i++) { /* warm up: parse, demangle */
		int err = pid ? hp_symbolizer__user(s, pid, addrs[i], &sym)
			      : hp_symbolizer__kernel(s, addrs[i], &sym);

		resolved += !err && sym.function[0];
	}
	t0 = now_s();
	cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (size_t i = 0; i < n; i++, done++) {
			if (pid)
				hp_symbolizer__user(s, pid, addrs[i], &sym);
			else
				hp_symbolizer__kernel(s, addrs[i], &sym);
		}
	} while ((dt = now_s() - t0) < 1.0);
	/* per CPU second too: on a shared machine the wall-clock rate mostly measures the others */
	printf("%s: %.2f M addresses/s warm, %.2f M per CPU-s (%zu distinct, %zu named)\n", what,
	       (double)done / dt / 1e6,
	       (double)done / (clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e6, n, resolved);
}

int main(int argc, char **argv)
{
	struct hp_symbolizer *s = hp_symbolizer__new(NULL);
	static uint64_t addrs[NADDRS];
	unsigned long long text = 0, etext = 0;
	struct hp_symbolizer_stats st;
	char line[512], name[256];
	size_t n;
	double t0;
	FILE *f;
	int err;

	if (!s)
		return 1;
	t0 = now_s();
	err = hp_symbolizer__capture(s, getpid());
	printf("capture self: %.2f ms (error %d)\n", (now_s() - t0) * 1e3, err);
	if (argc > 1) {
		pid_t pid = atoi(argv[1]);

		t0 = now_s();
		err = hp_symbolizer__capture(s, pid);
		printf("capture %d: %.2f ms cold (error %d)\n", pid, (now_s() - t0) * 1e3, err);
		t0 = now_s();
		err = hp_symbolizer__capture(s, pid);
		printf("capture %d: %.3f ms unchanged (error %d)\n", pid, (now_s() - t0) * 1e3,
		       err);
	}
	n = self_addresses(addrs);
	rate("user", s, getpid(), addrs, n);

	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type;

		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		if (strcmp(name, "_text") == 0)
			text = a;
		else if (strcmp(name, "_etext") == 0)
			etext = a;
	}
	if (f)
		fclose(f);
	if (text && etext > text) {
		t0 = now_s();
		hp_symbolizer__refresh_kernel(s);
		printf("kallsyms load: %.1f ms\n", (now_s() - t0) * 1e3);
		for (n = 0; n < NADDRS; n++)
			addrs[n] = text + (etext - text) * n / NADDRS;
		rate("kernel", s, 0, addrs, NADDRS);
	}
	hp_symbolizer__stats(s, &st);
	printf("elf tables %llu, processes %llu\n", (unsigned long long)st.elf_entries,
	       (unsigned long long)st.proc_entries);
	hp_symbolizer__free(s);
	return 0;
}
