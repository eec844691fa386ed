// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the off-CPU drain's own parts: stochastic rounding of the kernel's 1/1024 event
 * counts (unbiased, only the two neighbours), state names from task states, and the frame layout
 * of a stack with a waker, resolved through real BPF stack maps and this process's symbols. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collectors/offcpu/collector_offcpu.h"
#include "profile/profile_wakers.h"

/* 2.25 events: floor 2, plus one a quarter of the time; the mean of many draws is 2.25 and no
 * draw is anything but 2 or 3. Whole counts come back exact, without a draw. */
static void test_events_rounding(void **state)
{
	const uint64_t quarter = 2 * HP_OFFCPU_EVENT_ONE + HP_OFFCPU_EVENT_ONE / 4;
	const int n = 400000;
	uint64_t rng = 12345, before, sum = 0, tiny = 0;

	(void)state;
	before = rng;
	assert_int_equal(hp_offcpu__events(7 * HP_OFFCPU_EVENT_ONE, &rng), 7);
	assert_int_equal(hp_offcpu__events(0, &rng), 0);
	assert_int_equal(rng, before); /* no randomness spent on whole counts */
	for (int i = 0; i < n; i++) {
		uint64_t e = hp_offcpu__events(quarter, &rng);

		assert_true(e == 2 || e == 3);
		sum += e;
	}
	/* binomial: sd of the mean = sqrt(0.25 * 0.75 / n) ~ 0.0007; 0.005 is 7 sd */
	assert_true((double)sum / n > 2.245 && (double)sum / n < 2.255);
	/* the smallest fraction still rounds up at its rate: 1/1024 */
	for (int i = 0; i < n; i++)
		tiny += hp_offcpu__events(HP_OFFCPU_EVENT_ONE + 1, &rng) - 1;
	assert_true(tiny > 300 && tiny < 500); /* expected 390.6, sd 19.8 */
	/* what the kernel's scaling produces (period 10 ms, 3 ms interval: 3.33 events) summed
	 * over many keys stays within 0.5 % of the exact sum */
	sum = 0;
	for (int i = 0; i < n; i++)
		sum += hp_offcpu__events((10000000ULL << HP_OFFCPU_EVENT_SHIFT) / 3000000, &rng);
	assert_true((double)sum / n > 3.3333 * 0.995 && (double)sum / n < 3.3333 * 1.005);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_RUNNABLE, 0), "runnable");
	/* preempted while in a sleeping state: still waiting on a run queue */
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_RUNNABLE, 0x1), "runnable");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x1), "sleeping");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x2), "uninterruptible");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x102), "uninterruptible");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x402), "idle");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x104), "stopped");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x8), "stopped");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0x40), "other");
	assert_string_equal(hp_offcpu__state_name(HP_OFFCPU_BLOCKED, 0), "other");
}

/* Functions of this process whose addresses make the user stacks below. */
static __attribute__((noinline)) int wakee_leaf(int x)
{
	return x * 3 + 1;
}

static __attribute__((noinline)) int wakee_root(int x)
{
	return wakee_leaf(x) + 2;
}

static __attribute__((noinline)) int waker_leaf(int x)
{
	return x * 5 + 3;
}

static __attribute__((noinline)) int waker_root(int x)
{
	return waker_leaf(x) + 4;
}

struct fixture {
	volatile __u32 gen;
	int counts[2], stacks[2];
	struct hp_stack_drain d;
	struct hp_symbolizer *sym;
	struct hp_profile p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	for (int g = 0; g < 2; g++) {
		f->counts[g] =
		    bpf_map_create(BPF_MAP_TYPE_HASH, "t_counts", sizeof(struct hp_offcpu_key),
				   sizeof(struct hp_count), 64, NULL);
		f->stacks[g] = bpf_map_create(BPF_MAP_TYPE_HASH, "t_stacks", sizeof(__u64),
					      sizeof(struct hp_stack), 64, NULL);
	}
	f->sym = hp_symbolizer__new(&(struct hp_symbolizer_opts){ 0 });
	hp_profile__init(&f->p, NULL, 0);
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
	hp_symbolizer__free(f->sym);
	hp_profile__free(&f->p);
	free(f);
	return 0;
}

/* A user stack of two functions (leaf first) stored under hash, as the BPF side stores one. */
static void put_stack(struct fixture *f, __u64 hash, const void *leaf, const void *root)
{
	/* a leaf ip inside the function, a return address inside the caller */
	struct hp_stack st = { .len = 2, .ips = { (__u64)leaf + 1, (__u64)root + 4 } };

	assert_int_equal(bpf_map_update_elem(f->stacks[f->gen & 1], &hash, &st, BPF_NOEXIST), 0);
}

/* The functions of frames[0..n), leaf first, joined by ';'. */
static const char *names(const struct fixture *f, const uint32_t *frames, uint32_t n)
{
	static char out[1024];
	size_t len = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? ";" : "",
					f->p.frames[frames[i]].function);
	return out;
}

/*
 * The drain's layout: without a waker the thread's own frames; with a task waker its frames root
 * first, the marker naming its process, then the thread's frames leaf first; with an interrupt
 * the "[interrupt]" marker after its kernel part (lost here: a marker too). Stripping the waker
 * part gives back the thread's own stack.
 */
static void test_frames_with_waker(void **state)
{
	struct fixture *f = *state;
	struct hp_stack_maps maps = {
		.gen = &f->gen,
		.counts_fd = { f->counts[0], f->counts[1] },
		.stacks_fd = { f->stacks[0], f->stacks[1] },
		.key_size = sizeof(struct hp_offcpu_key),
	};
	struct hp_offcpu_key k = { .tgid = (__u32)getpid(), .stacks = { .ustack = 0x11 } };
	uint32_t frames[2 * HP_STACK_MAX_FRAMES + 1], n = 0;

	if (f->counts[0] < 0 || f->stacks[0] < 0 || f->stacks[1] < 0)
		skip();
	assert_int_equal(wakee_root(1) + waker_root(1), 18);
	assert_int_equal(hp_stack_drain__init(&f->d, &maps, 64, 64), 0);
	put_stack(f, 0x11, wakee_leaf, wakee_root);
	put_stack(f, 0x22, waker_leaf, waker_root);
	assert_int_equal(hp_stack_drain__collect(&f->d), 0);

	assert_int_equal(
	    hp_offcpu__frames(&f->d, &f->p, f->sym, &k, 1, frames, &n, HP_STACK_MAX_FRAMES), 0);
	assert_string_equal(names(f, frames, n), "wakee_leaf;wakee_root");

	k.waker.context = HP_WAKER_TASK;
	k.waker.tgid = (__u32)getpid();
	k.waker.stacks.ustack = 0x22;
	memcpy(k.waker.process, "waker-proc", 10);
	n = 0;
	assert_int_equal(hp_offcpu__frames(&f->d, &f->p, f->sym, &k, 1, frames, &n,
					   sizeof(frames) / sizeof(frames[0])),
			 0);
	assert_string_equal(names(f, frames, n),
			    "waker_root;waker_leaf;[woken by] waker-proc;wakee_leaf;wakee_root");
	assert_true(hp_profile__is_waker_marker(&f->p.frames[frames[2]]));
	assert_false(f->p.frames[frames[2]].kernel);
	assert_int_equal(f->p.frames[frames[2]].mapping, 0);

	/* a 16-byte process name (no NUL in the key) is kept whole */
	memcpy(k.waker.process, "sixteen-chars-xy", 16);
	n = 0;
	assert_int_equal(hp_offcpu__frames(&f->d, &f->p, f->sym, &k, 1, frames, &n,
					   sizeof(frames) / sizeof(frames[0])),
			 0);
	assert_string_equal(f->p.frames[frames[2]].function, "[woken by] sixteen-chars-xy");

	/* stored as a sample, stripped: the thread's own stack */
	assert_int_equal(
	    hp_profile__add(&f->p, &(struct hp_prof_labels){ .pid = 1 }, frames, n, 1, 100), 0);
	assert_int_equal(hp_profile__strip_wakers(&f->p), 0);
	assert_int_equal(f->p.nsamples, 1);
	assert_string_equal(names(f, f->p.samples[0].frames, f->p.samples[0].nframes),
			    "wakee_leaf;wakee_root");

	/* an interrupt: its kernel stack (lost here), the marker, the thread's frames */
	memset(&k.waker, 0, sizeof(k.waker));
	k.waker.context = HP_WAKER_IRQ;
	k.waker.stacks.flags = HP_STACK_KSTACK_LOST;
	n = 0;
	assert_int_equal(hp_offcpu__frames(&f->d, &f->p, f->sym, &k, 1, frames, &n,
					   sizeof(frames) / sizeof(frames[0])),
			 0);
	assert_string_equal(names(f, frames, n),
			    "[kernel stack lost];[woken by] [interrupt];wakee_leaf;wakee_root");

	/* no room for the waker part: -E2BIG, not a cut stack */
	k.waker.context = HP_WAKER_TASK;
	k.waker.stacks = (struct hp_stack_ids){ .ustack = 0x22 };
	n = 0;
	assert_int_equal(hp_offcpu__frames(&f->d, &f->p, f->sym, &k, 1, frames, &n, 2), -E2BIG);
}

/* frames[i] of p for names[i], leaf first; kernel frames for the first nkernel. */
static void make_frames(struct hp_profile *p, const char *const *fn, uint32_t n, uint32_t nkernel,
			uint32_t *out)
{
	for (uint32_t i = 0; i < n; i++) {
		int64_t id = hp_profile__frame(
		    p,
		    &(struct hp_prof_frame){
			.function = fn[i],
			.address = (i < nkernel ? 0xffffffff81000000ull : 0x400000ull) + 0x100 * i,
			.kernel = i < nkernel });

		assert_true(id >= 0);
		out[i] = (uint32_t)id;
	}
}

/*
 * A timer interrupt that hit a task in user mode runs on that task's stack, so the BPF side
 * records the interrupted task as the waker: its stack goes on below the interrupt entry into
 * the interrupted code. The waker part ends at the entry (and is then an interrupt); a task's
 * own wakeup (pipe write) or a page fault is left whole.
 */
static void test_waker_end_at_interrupt_entry(void **state)
{
	static const char *const timer[] = { "try_to_wake_up",
					     "hrtimer_wakeup",
					     "__hrtimer_run_queues",
					     "hrtimer_interrupt",
					     "__sysvec_apic_timer_interrupt",
					     "sysvec_apic_timer_interrupt",
					     "asm_sysvec_apic_timer_interrupt",
					     "burn",
					     "main" };
	static const char *const device[] = { "try_to_wake_up",	      "complete",
					      "blk_done_softirq",     "handle_softirqs",
					      "__irq_exit_rcu",	      "common_interrupt",
					      "asm_common_interrupt", "pvm_irq_enable",
					      "exc_page_fault",	      "asm_exc_page_fault" };
	static const char *const pipe[] = { "try_to_wake_up", "anon_pipe_write", "vfs_write",
					    "ksys_write",     "do_syscall_64",	 "write",
					    "pwriter" };
	static const char *const fault[] = { "try_to_wake_up",	   "wake_up_page",
					     "do_page_fault",	   "exc_page_fault",
					     "asm_exc_page_fault", "touch" };
	/* a user function that happens to have the name is not the kernel's entry */
	static const char *const user_named[] = { "try_to_wake_up", "asm_common_interrupt" };
	struct hp_profile p;
	uint32_t w[16];

	(void)state;
	hp_profile__init(&p, NULL, 0);
	make_frames(&p, timer, 9, 7, w);
	assert_int_equal(hp_offcpu__waker_end(&p, w, 0, 9), 7);
	make_frames(&p, device, 10, 10, w);
	assert_int_equal(hp_offcpu__waker_end(&p, w, 0, 10), 7);
	make_frames(&p, pipe, 7, 5, w);
	assert_int_equal(hp_offcpu__waker_end(&p, w, 0, 7), 7);
	make_frames(&p, fault, 6, 5, w);
	assert_int_equal(hp_offcpu__waker_end(&p, w, 0, 6), 6);
	make_frames(&p, user_named, 2, 1, w);
	assert_int_equal(hp_offcpu__waker_end(&p, w, 0, 2), 2);
	hp_profile__free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_rounding),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test_setup_teardown(test_frames_with_waker, setup, teardown),
		cmocka_unit_test(test_waker_end_at_interrupt_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
