// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the shared stack drain on real BPF hash maps: an off-CPU count arriving drains
 * after its stack's generation still resolves, and one whose stack was evicted is counted. */
#include <bpf/bpf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hp_stack.h"
#include "stacks/stack_drain.h"

/* A count key of a collector built on the shared header: pid plus the stack ids. */
struct key {
	__u32 tgid;
	__u32 pad;
	struct hp_stack_ids stacks;
};

/* Stacks in one generation: more than two read batches (256 each). */
#define MANY 600

struct fixture {
	volatile __u32 gen;
	int counts[2], stacks[2];
	struct hp_stack_drain d;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	for (int g = 0; g < 2; g++) {
		f->counts[g] = bpf_map_create(BPF_MAP_TYPE_HASH, "t_counts", sizeof(struct key),
					      sizeof(struct hp_count), 64, NULL);
		f->stacks[g] = bpf_map_create(BPF_MAP_TYPE_HASH, "t_stacks", sizeof(__u64),
					      sizeof(struct hp_stack), MANY, NULL);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int g = 0; g < 2; g++) {
		if (f->counts[g] >= 0)
			close(f->counts[g]);
		if (f->stacks[g] >= 0)
			close(f->stacks[g]);
	}
	hp_stack_drain__free(&f->d);
	free(f);
	return 0;
}

/* Skips unless BPF maps can be created here (root, or CAP_BPF). */
static void fixture_init(struct fixture *f, size_t table_capacity)
{
	struct hp_stack_maps maps = {
		.gen = &f->gen,
		.counts_fd = { f->counts[0], f->counts[1] },
		.stacks_fd = { f->stacks[0], f->stacks[1] },
		.key_size = sizeof(struct key),
	};

	if (f->counts[0] < 0 || f->counts[1] < 0 || f->stacks[0] < 0 || f->stacks[1] < 0)
		skip();
	assert_int_equal(hp_stack_drain__init(&f->d, &maps, 64, table_capacity), 0);
}

/* What the BPF side does: store a stack in the generation new events go to. */
static void capture(struct fixture *f, __u64 hash, __u64 first_ip, __u32 len)
{
	struct hp_stack st = { .len = len };

	for (__u32 i = 0; i < len; i++)
		st.ips[i] = first_ip + i;
	assert_int_equal(bpf_map_update_elem(f->stacks[f->gen & 1], &hash, &st, BPF_NOEXIST), 0);
}

static void count(struct fixture *f, __u32 tgid, __u64 ustack, __u64 weight)
{
	struct key k = { .tgid = tgid, .stacks = { .ustack = ustack } };
	struct hp_count c = { .count = 1, .weight = weight };

	assert_int_equal(bpf_map_update_elem(f->counts[f->gen & 1], &k, &c, BPF_NOEXIST), 0);
}

static size_t map_len(int fd)
{
	char key[sizeof(struct key)], next[sizeof(struct key)];
	size_t n = 0;

	while (bpf_map_get_next_key(fd, n ? key : NULL, next) == 0) {
		memcpy(key, next, sizeof(key));
		n++;
	}
	return n;
}

/* The frames of one count as function names, with a stack lost or not. */
static void resolve_lost(struct fixture *f, __u64 ustack, __u64 count, const char **first)
{
	struct key k = { .tgid = 1, .stacks = { .ustack = ustack } };
	uint32_t frames[HP_STACK_MAX_FRAMES], n = 0;
	struct hp_profile p;

	hp_profile__init(&p, NULL, 0);
	/* the symbolizer is not reached for a stack the table does not hold */
	assert_int_equal(hp_stack_drain__frames(&f->d, &p, NULL, 1, &k.stacks, count, frames, &n,
						HP_STACK_MAX_FRAMES),
			 0);
	assert_int_equal(n, 1);
	*first = strdup(p.frames[frames[0]].function);
	hp_profile__free(&p);
}

/* Captured in generation 0 (switch-out), counted 3 drains later (switch-in): still resolves. */
static void test_count_drains_after_its_stack(void **state)
{
	struct fixture *f = *state;
	const __u64 *ips;
	uint32_t len;

	fixture_init(f, 8);
	capture(f, 0x51, 0x1000, 3);
	count(f, 7, 0, 500); /* an unrelated count in the same generation */
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	assert_int_equal(f->gen, 1);
	assert_int_equal(f->d.nkeys, 1);
	assert_int_equal(f->d.last_stacks, 1);
	assert_int_equal(map_len(f->stacks[0]), 0); /* read and deleted */
	assert_int_equal(map_len(f->counts[0]), 0);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	count(f, 7, 0x51, 2000000);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	assert_int_equal(f->d.nkeys, 1);
	assert_int_equal(((struct key *)f->d.keys)[0].stacks.ustack, 0x51);
	assert_int_equal(f->d.counts[0].count, 1);
	assert_int_equal(f->d.counts[0].weight, 2000000);
	assert_true(hp_stack_table__get(f->d.table, 0x51, &ips, &len));
	assert_int_equal(len, 3);
	assert_int_equal(ips[2], 0x1002);
	assert_int_equal(f->d.events, 2);
	assert_int_equal(f->d.weight, 2000500);
	assert_int_equal(f->d.stack_lost, 0);
}

/* A stack evicted before its count arrives: the count is kept with a marker and counted. */
static void test_evicted_stack_counted_lost(void **state)
{
	struct fixture *f = *state;
	const char *first;

	fixture_init(f, 2);
	capture(f, 0x61, 0x1000, 2);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	capture(f, 0x63, 0x2000, 2);
	capture(f, 0x65, 0x3000, 2);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	count(f, 1, 0x61, 100);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	assert_int_equal(f->d.nkeys, 1);
	resolve_lost(f, 0x61, 5, &first);
	assert_string_equal(first, "[user stack lost]");
	free((void *)first);
	assert_int_equal(f->d.stack_lost, 5);
	assert_int_equal(hp_stack_drain__collisions(&f->d), 0);
}

/* More stacks than one read batch: all of them reach the table. */
static void test_many_stacks_one_generation(void **state)
{
	struct fixture *f = *state;

	fixture_init(f, MANY);
	for (__u64 h = 1; h <= MANY; h++)
		capture(f, h * 2 + 1, h << 12, 1 + h % 7);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	assert_int_equal(f->d.last_stacks, MANY);
	assert_int_equal(map_len(f->stacks[0]), 0);
	for (__u64 h = 1; h <= MANY; h++) {
		const __u64 *ips;
		uint32_t len;

		assert_true(hp_stack_table__get(f->d.table, h * 2 + 1, &ips, &len));
		assert_int_equal(len, 1 + h % 7);
		assert_int_equal(ips[0], h << 12);
	}
}

/* Names of frames[0..n) in p, "|"-joined. */
static void frame_names(const struct hp_profile *p, const uint32_t *frames, uint32_t n, char *out,
			size_t cap)
{
	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		strncat(out, p->frames[frames[i]].function, cap - strlen(out) - 1);
		strncat(out, "|", cap - strlen(out) - 1);
	}
}

/*
 * A kernel and a user stack both cut at the depth limit: every frame is kept, "[truncated]"
 * closes the user side (the root), and the event counts once as truncated, with its count; a
 * stack the kernel could not store becomes a marker without counting stack_lost (the kernel
 * counted that drop already).
 */
static void test_truncated_and_lost_markers(void **state)
{
	struct fixture *f = *state;
	/* no /proc here: user addresses resolve to nothing, which still makes one frame each */
	struct hp_symbolizer *sym = hp_symbolizer__new(
	    &(struct hp_symbolizer_opts){ .proc_root = "/nonexistent-hostprof-test" });
	struct hp_stack_ids ids = { .kstack = 0x71, .ustack = 0x73 };
	uint32_t frames[HP_STACK_MAX_FRAMES], n = 0;
	static char names[HP_STACK_MAX_FRAMES * 64];
	struct hp_profile p;

	assert_non_null(sym);
	fixture_init(f, 8);
	capture(f, 0x71, 0xffffffff81000000ULL, HP_STACK_MAX_DEPTH);
	capture(f, 0x73, 0x401000, HP_STACK_MAX_DEPTH);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);
	hp_profile__init(&p, NULL, 0);
	assert_int_equal(
	    hp_stack_drain__frames(&f->d, &p, sym, 4242, &ids, 7, frames, &n, HP_STACK_MAX_FRAMES),
	    0);
	assert_int_equal(n, 2 * HP_STACK_MAX_DEPTH + 1);
	assert_string_equal(p.frames[frames[n - 1]].function, "[truncated]");
	assert_int_equal(f->d.truncated, 7);
	assert_int_equal(f->d.stack_lost, 0);

	n = 0;
	ids = (struct hp_stack_ids){ .flags = HP_STACK_KSTACK_LOST | HP_STACK_USTACK_LOST };
	assert_int_equal(
	    hp_stack_drain__frames(&f->d, &p, sym, 4242, &ids, 3, frames, &n, HP_STACK_MAX_FRAMES),
	    0);
	frame_names(&p, frames, n, names, sizeof(names));
	assert_string_equal(names, "[kernel stack lost]|[user stack lost]|");
	assert_int_equal(f->d.stack_lost, 0);
	assert_int_equal(f->d.truncated, 7);
	hp_profile__free(&p);
	hp_symbolizer__free(sym);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_count_drains_after_its_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evicted_stack_counted_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_stacks_one_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_lost_markers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
