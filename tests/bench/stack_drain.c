// SPDX-License-Identifier: GPL-2.0-only
/* Times one drain of a full generation (8,192 counts and 8,192 stacks) through the shared stack
 * drain (batch reads + stack table) against the per-key walk the CPU collector used before. */
#include <bpf/bpf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hp_stack.h"
#include "stacks/stack_drain.h"

#define N 8192
#define DEPTH 20
#define ROUNDS 5

/* The cpu collector's key layout (72 bytes). */
struct key {
	__u32 tgid, pad;
	struct hp_stack_ids stacks;
	__u64 cgroup_id;
	char thread[HP_COMM_LEN], process[HP_COMM_LEN];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fill(int counts_fd, int stacks_fd)
{
	struct hp_stack st = { .len = DEPTH };

	for (__u64 i = 1; i <= N; i++) {
		struct key k = { .tgid = (__u32)i, .stacks = { .kstack = i * 2 + 1 } };
		struct hp_count c = { 3, 30000000 };
		__u64 h = i * 2 + 1;

		for (int j = 0; j < DEPTH; j++)
			st.ips[j] = i * 100 + (__u64)j;
		if (bpf_map_update_elem(counts_fd, &k, &c, 0) ||
		    bpf_map_update_elem(stacks_fd, &h, &st, 0))
			return -1;
	}
	return 0;
}

/* Before: walk the count keys, look up and delete each, look up each count's stack, then delete
 * the stacks restarting the walk after every delete. */
static double drain_walk(int counts_fd, int stacks_fd)
{
	static struct key keys[N];
	static struct hp_count vals[N];
	struct key k, next, *prev = NULL;
	__u64 hk, hn, *hp = NULL;
	struct hp_stack st;
	double t0 = now();
	size_t n = 0;

	while (n < N && bpf_map_get_next_key(counts_fd, prev, &next) == 0) {
		keys[n++] = next;
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < n; i++) {
		bpf_map_lookup_elem(counts_fd, &keys[i], &vals[i]);
		bpf_map_delete_elem(counts_fd, &keys[i]);
		bpf_map_lookup_elem(stacks_fd, &keys[i].stacks.kstack, &st);
	}
	while (bpf_map_get_next_key(stacks_fd, hp, &hn) == 0) {
		if (bpf_map_delete_elem(stacks_fd, &hn) == 0) {
			hp = NULL;
			continue;
		}
		hk = hn;
		hp = &hk;
	}
	return now() - t0;
}

int main(void)
{
	double best_walk = 1e9, best_batch = 1e9;
	int counts[2], stacks[2];

	for (int g = 0; g < 2; g++) {
		counts[g] = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_counts", sizeof(struct key),
					   sizeof(struct hp_count), N, NULL);
		stacks[g] = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_stacks", sizeof(__u64),
					   sizeof(struct hp_stack), N, NULL);
		if (counts[g] < 0 || stacks[g] < 0) {
			perror("stack_drain: bpf_map_create (needs root)");
			return 1;
		}
	}
	for (int r = 0; r < ROUNDS; r++) {
		volatile __u32 gen = 0;
		struct hp_stack_maps maps = { .gen = &gen,
					      .counts_fd = { counts[0], counts[1] },
					      .stacks_fd = { stacks[0], stacks[1] },
					      .key_size = sizeof(struct key) };
		struct hp_stack_drain d;
		double t0, took;

		if (fill(counts[0], stacks[0]))
			return 1;
		took = drain_walk(counts[0], stacks[0]);
		best_walk = took < best_walk ? took : best_walk;

		if (hp_stack_drain__init(&d, &maps, N, 2 * N) || fill(counts[0], stacks[0]))
			return 1;
		t0 = now();
		hp_stack_drain__collect(&d); /* flips to 1, drains 0 */
		took = now() - t0 - 0.001;   /* without the 1 ms quiesce */
		if (d.nkeys != N || d.last_stacks != N) {
			fprintf(stderr, "stack_drain: read %zu counts, %llu stacks of %d\n",
				d.nkeys, (unsigned long long)d.last_stacks, N);
			return 1;
		}
		hp_stack_drain__free(&d);
		best_batch = took < best_batch ? took : best_batch;
	}
	printf(
	    "stack drain, %d counts + %d stacks of %d frames (best of %d): per-key walk %.1f ms, "
	    "batch drain into the stack table %.1f ms (%.1fx)\n",
	    N, N, DEPTH, ROUNDS, best_walk * 1e3, best_batch * 1e3, best_walk / best_batch);
	return 0;
}
