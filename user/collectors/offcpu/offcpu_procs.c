// SPDX-License-Identifier: GPL-2.0-only
/* New and exiting processes announced by bpf/offcpu.bpf.c (the shared stack header's ring
 * buffer): mappings are captured while the process lives, its state freed after its last drain. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "collector_offcpu.h"

/* The notify thread's priority: a short-lived process must be captured before it exits. */
#define PROCS_NICE (-10)
#define PROCS_POLL_MS 100

static __u64 procs__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int procs__event(void *ctx, void *data, size_t size)
{
	static const unsigned int delays_ms[] = HP_OFFCPU_RECAPTURE_DELAYS_MS;
	struct offcpu_state *s = ctx;
	struct hp_proc_event ev;
	__u64 now;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev)); /* read once: the ring buffer is shared with the kernel */
	if (ev.kind == HP_PROC_EXIT) {
		pthread_mutex_lock(&s->exit_lock);
		if (s->nexited < HP_OFFCPU_EXIT_SLOTS)
			s->exited[s->nexited++] = (pid_t)ev.tgid;
		else
			s->exits_lost++;
		pthread_mutex_unlock(&s->exit_lock);
		return 0;
	}
	hp_symbolizer__capture(s->sym, (pid_t)ev.tgid);
	now = procs__now_ns();
	for (size_t i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		if (s->nrecapture == HP_OFFCPU_RECAPTURE_SLOTS)
			break; /* a burst of new processes: their first capture has to do */
		s->recapture[s->nrecapture].pid = (pid_t)ev.tgid;
		s->recapture[s->nrecapture++].due_ns = now + delays_ms[i] * 1000000ULL;
	}
	return 0;
}

/* Runs the recaptures that are due; returns ms until the next one (at most max_ms). */
static int procs__recapture(struct offcpu_state *s, int max_ms)
{
	__u64 now = procs__now_ns(), next = now + (__u64)max_ms * 1000000ULL;

	for (size_t i = 0; i < s->nrecapture;) {
		if (s->recapture[i].due_ns <= now) {
			hp_symbolizer__capture(s->sym, s->recapture[i].pid);
			s->recapture[i] = s->recapture[--s->nrecapture];
			continue;
		}
		if (s->recapture[i].due_ns < next)
			next = s->recapture[i].due_ns;
		i++;
	}
	return (int)((next - now + 999999) / 1000000);
}

static void *procs__loop(void *arg)
{
	struct offcpu_state *s = arg;
	int timeout = PROCS_POLL_MS;

	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), PROCS_NICE))
		hp_warn("offcpu: cannot raise the process capture thread's priority: %s",
			strerror(errno));
	while (!atomic_load(&s->notify_stop)) {
		ring_buffer__poll(s->rb, timeout);
		timeout = procs__recapture(s, PROCS_POLL_MS);
	}
	return NULL;
}

int hp_offcpu__procs_start(struct offcpu_state *s, int new_procs_fd)
{
	s->rb = ring_buffer__new(new_procs_fd, procs__event, s, NULL);
	if (!s->rb)
		return -errno;
	if (pthread_create(&s->notify_thread, NULL, procs__loop, s))
		return -errno;
	s->notify_running = true;
	return 0;
}

void hp_offcpu__procs_stop(struct offcpu_state *s)
{
	if (s->notify_running) {
		atomic_store(&s->notify_stop, true);
		pthread_join(s->notify_thread, NULL);
		s->notify_running = false;
	}
	ring_buffer__free(s->rb);
	s->rb = NULL;
}

size_t hp_offcpu__procs_exited(struct offcpu_state *s)
{
	size_t n;

	pthread_mutex_lock(&s->exit_lock);
	n = s->nexited;
	pthread_mutex_unlock(&s->exit_lock);
	return n;
}

void hp_offcpu__procs_forget(struct offcpu_state *s, size_t n)
{
	pid_t pids[HP_OFFCPU_EXIT_SLOTS];

	pthread_mutex_lock(&s->exit_lock);
	memcpy(pids, s->exited, n * sizeof(*pids));
	memmove(s->exited, s->exited + n, (s->nexited - n) * sizeof(*pids));
	s->nexited -= n;
	pthread_mutex_unlock(&s->exit_lock);
	for (size_t i = 0; i < n; i++)
		hp_symbolizer__forget(s->sym, pids[i]);
}
