// SPDX-License-Identifier: GPL-2.0-only
/* Holds the TCP hooks attached until SIGINT/SIGTERM without the agent: empty programs (the floor)
 * or bpf/tcp.bpf.c at the collector's defaults, with or without RTT, or the parts of its per-segment
 * hook side by side (tcp_probe_parts.bpf.c), for tests/bench/tcp_cost.sh. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "empty_tcp.skel.h"
#include "tcp_probe_parts.skel.h"
#include "hp_tcp.h"
#include "tcp.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* With TCP_HOLD_STATS=1: kernel run-time statistics on while held (BPF_ENABLE_STATS; global, so
 * every program on the host pays two clock reads per run meanwhile: not for throughput runs). */
static int stats_fd = -1;

static bool stats_wanted(void)
{
	const char *e = getenv("TCP_HOLD_STATS");

	return e && *e == '1';
}

static void stats_enable(void)
{
	if (stats_wanted() && stats_fd < 0) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			fprintf(stderr, "tcp_hold: bpf_enable_stats: %s\n", strerror(errno));
	}
}

/* Prints "prog NAME runs N ns/run X" for every loaded program of obj (stats on only). */
static void stats_print(struct bpf_object *obj)
{
	struct bpf_program *p;

	if (stats_fd < 0)
		return;
	bpf_object__for_each_program(p, obj)
	{
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		fprintf(stderr, "prog %s runs %llu ns/run %.1f\n", bpf_program__name(p),
			(unsigned long long)info.run_cnt,
			info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
	}
}

static void wait_signal(void)
{
	stats_enable();
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
}

/* Sum over CPUs of slot `slot` of per-CPU array map `map` (0 when unreadable). */
static unsigned long long percpu_sum(const struct bpf_map *map, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *v;

	if (ncpu <= 0)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (v && !bpf_map_lookup_elem(bpf_map__fd(map), &slot, v))
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* With TCP_HOLD_PART=NAME, only program NAME of obj is loaded (each part of the probe alone, so
 * none runs on cache lines another part warmed). */
static void only_part(struct bpf_object *obj)
{
	const char *only = getenv("TCP_HOLD_PART");
	struct bpf_program *p;

	if (!only || !*only)
		return;
	bpf_object__for_each_program(p, obj)
	    bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), only));
}

/* Loads, attaches and holds skeleton NAME (empty_tcp or tcp_probe_parts); a statement block. */
#define HOLD_SKEL(name)                                                                            \
	do {                                                                                       \
		struct name##_bpf *skel = name##_bpf__open();                                      \
                                                                                                   \
		if (skel)                                                                          \
			only_part(skel->obj);                                                      \
		if (!skel || name##_bpf__load(skel) || name##_bpf__attach(skel)) {                 \
			fprintf(stderr, "tcp_hold: " #name ": load/attach failed: %s\n",           \
				strerror(errno));                                                  \
			name##_bpf__destroy(skel);                                                 \
			return 1;                                                                  \
		}                                                                                  \
		wait_signal();                                                                     \
		stats_print(skel->obj);                                                            \
		name##_bpf__destroy(skel);                                                         \
	} while (0)

static int hold_empty(void)
{
	HOLD_SKEL(empty_tcp);
	return 0;
}

static int hold_parts(void)
{
	HOLD_SKEL(tcp_probe_parts);
	return 0;
}

/* bpf/tcp.bpf.c as the collector loads it by default (100 ms RTT interval, loopback included,
 * 8192 flows); rtt false leaves probe_* unloaded, as --tcp-rtt-interval 0 does. */
static int hold_tcp(bool rtt, bool raw)
{
	struct tcp_bpf *skel = tcp_bpf__open();
	struct empty_tcp_bpf *zero = NULL;
	struct bpf_program *p;
	unsigned lo, hi;
	FILE *f;

	if (!skel) {
		fprintf(stderr, "tcp_hold: open failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj)
	{
		const char *name = bpf_program__name(p);

		bpf_program__set_autoload(p, strstr(name, raw ? "_raw" : "_btf") &&
						 (rtt || strncmp(name, "probe_", 6)));
	}
	/* TCP_HOLD_RTT_NS: another sampling interval (1: a sample on every segment, the cost the rate
	 * limit avoids; a check that the benchmark sees a costlier probe) */
	if (getenv("TCP_HOLD_RTT_NS"))
		skel->rodata->rtt_interval_ns = strtoull(getenv("TCP_HOLD_RTT_NS"), NULL, 10);
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f && fscanf(f, "%u %u", &lo, &hi) == 2) {
		skel->rodata->ephemeral_lo = lo;
		skel->rodata->ephemeral_hi = hi;
	}
	if (f)
		fclose(f);
	if (tcp_bpf__load(skel) || tcp_bpf__attach(skel)) {
		fprintf(stderr, "tcp_hold: load/attach failed: %s\n", strerror(errno));
		tcp_bpf__destroy(skel);
		return 1;
	}
	/* with statistics on, empty programs ride along: their ns/run is the statistics' own cost,
	 * the zero of this same run */
	if (stats_wanted()) {
		zero = empty_tcp_bpf__open_and_load();
		if (!zero || empty_tcp_bpf__attach(zero))
			fprintf(stderr, "tcp_hold: empty programs: load/attach failed\n");
	}
	wait_signal();
	tcp_bpf__detach(skel);
	stats_print(skel->obj);
	if (zero)
		stats_print(zero->obj);
	empty_tcp_bpf__destroy(zero);
	/* every slot of `drops` in enum hp_tcp_drop order, so the line survives new reasons */
	fprintf(stderr, "tcp_hold: rtt samples %llu, drops by enum hp_tcp_drop:",
		percpu_sum(skel->maps.totals, HP_TCP_TOTAL_RTT_SAMPLES));
	for (__u32 i = 0; i < HP_TCP_DROP__COUNT; i++)
		fprintf(stderr, " %llu", percpu_sum(skel->maps.drops, i));
	fprintf(stderr, "\n");
	tcp_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *mode = argc > 1 ? argv[1] : "";
	bool raw = argc > 2 && !strcmp(argv[2], "raw_tp");

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!strcmp(mode, "empty"))
		return hold_empty();
	if (!strcmp(mode, "parts"))
		return hold_parts();
	if (!strcmp(mode, "tcp"))
		return hold_tcp(true, raw);
	if (!strcmp(mode, "tcp-nortt"))
		return hold_tcp(false, raw);
	fprintf(stderr, "usage: tcp_hold empty | parts | tcp [raw_tp] | tcp-nortt [raw_tp]\n"
			"  holds the programs attached until SIGINT or SIGTERM\n");
	return 2;
}
