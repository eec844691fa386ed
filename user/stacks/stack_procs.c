// SPDX-License-Identifier: GPL-2.0-only
/* The new_procs ring buffer of a stack-capturing collector, read by a thread of its own: capture
 * mappings of new processes at once and again shortly, queue exits for the next drain to free. */
#include "stack_procs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hp_stack.h"

#define PROCS_NICE (-10)
#define PROCS_POLL_MS 100

static __u64 procs__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* One announcement: a new process (or its new image after exec) is captured now and again after
 * each delay; an exit is queued for the drain. */
static int procs__event(void *ctx, void *data, size_t size)
{
	static const unsigned int delays_ms[] = HP_STACK_PROCS_RECAPTURE_DELAYS_MS;
	struct hp_stack_procs *p = ctx;
	struct hp_proc_event ev;
	__u64 now;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev)); /* read once: the ring buffer is shared with the kernel */
	if (ev.kind == HP_PROC_EXIT) {
		pthread_mutex_lock(&p->exit_lock);
		if (p->nexited < HP_STACK_PROCS_EXIT_SLOTS)
			p->exited[p->nexited++] = (pid_t)ev.tgid;
		else
			p->exits_lost++;
		pthread_mutex_unlock(&p->exit_lock);
		return 0;
	}
	hp_symbolizer__capture(p->sym, (pid_t)ev.tgid);
	now = procs__now_ns();
	for (size_t i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		if (p->nrecapture == HP_STACK_PROCS_RECAPTURE_SLOTS)
			break; /* a burst of new processes: their first capture has to do */
		p->recapture[p->nrecapture].pid = (pid_t)ev.tgid;
		p->recapture[p->nrecapture++].due_ns = now + delays_ms[i] * 1000000ULL;
	}
	return 0;
}

/* Runs the recaptures that are due; returns ms until the next one (at most max_ms). */
static int procs__recapture(struct hp_stack_procs *p, int max_ms)
{
	__u64 now = procs__now_ns(), next = now + (__u64)max_ms * 1000000ULL;

	for (size_t i = 0; i < p->nrecapture;) {
		if (p->recapture[i].due_ns <= now) {
			hp_symbolizer__capture(p->sym, p->recapture[i].pid);
			p->recapture[i] = p->recapture[--p->nrecapture];
			continue;
		}
		if (p->recapture[i].due_ns < next)
			next = p->recapture[i].due_ns;
		i++;
	}
	return (int)((next - now + 999999) / 1000000);
}

static void *procs__loop(void *arg)
{
	struct hp_stack_procs *p = arg;
	int timeout = PROCS_POLL_MS;

	/* on a busy host this thread must not wait behind the CPU hogs being profiled; its work is
	 * bounded (reading /proc/PID/maps, parsing ELF files not cached yet); best effort */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), PROCS_NICE))
		hp_warn("%s: cannot raise the process capture thread's priority: %s", p->name,
			strerror(errno));
	while (!atomic_load(&p->stop)) {
		ring_buffer__poll(p->rb, timeout);
		timeout = procs__recapture(p, PROCS_POLL_MS);
	}
	return NULL;
}

void hp_stack_procs__init(struct hp_stack_procs *p, const char *name, struct hp_symbolizer *sym)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->sym = sym;
	atomic_init(&p->stop, false);
	pthread_mutex_init(&p->exit_lock, NULL);
}

int hp_stack_procs__start(struct hp_stack_procs *p, int new_procs_fd)
{
	int err;

	p->rb = ring_buffer__new(new_procs_fd, procs__event, p, NULL);
	if (!p->rb)
		return -errno;
	err = pthread_create(&p->thread, NULL, procs__loop, p);
	if (err)
		return -err;
	p->running = true;
	return 0;
}

void hp_stack_procs__stop(struct hp_stack_procs *p)
{
	if (p->running) {
		atomic_store(&p->stop, true);
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	ring_buffer__free(p->rb);
	p->rb = NULL;
}

void hp_stack_procs__destroy(struct hp_stack_procs *p)
{
	pthread_mutex_destroy(&p->exit_lock);
}

size_t hp_stack_procs__exited(struct hp_stack_procs *p)
{
	size_t n;

	pthread_mutex_lock(&p->exit_lock);
	n = p->nexited;
	pthread_mutex_unlock(&p->exit_lock);
	return n;
}

void hp_stack_procs__forget(struct hp_stack_procs *p, size_t n)
{
	pid_t pids[HP_STACK_PROCS_EXIT_SLOTS];

	pthread_mutex_lock(&p->exit_lock);
	if (n > p->nexited)
		n = p->nexited;
	memcpy(pids, p->exited, n * sizeof(*pids));
	memmove(p->exited, p->exited + n, (p->nexited - n) * sizeof(*pids));
	p->nexited -= n;
	pthread_mutex_unlock(&p->exit_lock);
	for (size_t i = 0; i < n; i++)
		hp_symbolizer__forget(p->sym, pids[i]);
}

__u64 hp_stack_procs__exits_lost(struct hp_stack_procs *p)
{
	__u64 n;

	pthread_mutex_lock(&p->exit_lock);
	n = p->exits_lost;
	pthread_mutex_unlock(&p->exit_lock);
	return n;
}
