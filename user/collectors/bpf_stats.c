// SPDX-License-Identifier: GPL-2.0-only
/* The kernel's per-program statistics of every collector's BPF object (see bpf_stats.h): one
 * bpf_obj_get_info_by_fd per loaded program per /metrics render. */
#include "bpf_stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "export/prom.h"

bool hp_bpf_stats__enable(struct hp_bpf_stats *s)
{
	s->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (s->fd >= 0) {
		s->err = 0;
		return true;
	}
	s->err = -errno;
	hp_warn("BPF run-time statistics refused by the kernel (%s; BPF_ENABLE_STATS needs "
		"CAP_SYS_ADMIN): hostprof_bpf_program_* stay 0 unless sysctl "
		"kernel.bpf_stats_enabled=1",
		strerror(-s->err));
	return false;
}

void hp_bpf_stats__disable(struct hp_bpf_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* One program's figures, copied out of the kernel once. */
struct prog_row {
	const char *collector;
	char program[64];
	__u64 runs, run_ns;
};

/* The figures of c's loaded programs appended to *rows (n, cap); -ENOMEM if they do not fit. */
static int bpf_stats__read(struct hp_collector *c, struct prog_row **rows, size_t *n, size_t *cap)
{
	struct bpf_program *p;

	if (!c->obj)
		return 0;
	bpf_object__for_each_program(p, c->obj)
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);
		struct prog_row *r;

		if (fd < 0)
			continue; /* not loaded on this attach path */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue; /* a loaded program's fd: does not fail short of ENOMEM */
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 32;
			struct prog_row *grown = realloc(*rows, ncap * sizeof(**rows));

			if (!grown)
				return -ENOMEM;
			*rows = grown;
			*cap = ncap;
		}
		r = &(*rows)[(*n)++];
		r->collector = c->ops->name;
		snprintf(r->program, sizeof(r->program), "%s", bpf_program__name(p));
		r->runs = info.run_cnt;
		r->run_ns = info.run_time_ns;
	}
	return 0;
}

void hp_bpf_stats__metrics(const struct hp_bpf_stats *s, struct hp_collector *cs, int n,
			   struct hp_buf *out)
{
	struct prog_row *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct hp_label l[2];
	int err = 0;

	hp_prom__family(out, "hostprof_bpf_stats_enabled", HP_PROM_GAUGE,
			"1 while hostprof holds the kernel's BPF run-time statistics on "
			"(BPF_ENABLE_STATS, needs CAP_SYS_ADMIN); 0: refused, and the "
			"hostprof_bpf_program_* figures only move with sysctl "
			"kernel.bpf_stats_enabled=1.");
	hp_prom__sample(out, "hostprof_bpf_stats_enabled", NULL, 0, s->fd >= 0 ? 1 : 0);
	for (int i = 0; i < n && !err; i++) {
		pthread_mutex_lock(&cs[i].lock);
		err = bpf_stats__read(&cs[i], &rows, &nrows, &cap);
		pthread_mutex_unlock(&cs[i].lock);
	}
	if (err) {
		hp_warn("/metrics: out of memory reading the BPF programs' statistics");
		nrows = 0;
	}
	hp_prom__family(out, "hostprof_bpf_program_runs_total", HP_PROM_COUNTER,
			err ? "Left out of this page: out of memory."
			    : "Times each of hostprof's BPF programs ran (kernel run_cnt; counted "
			      "while BPF statistics are on).");
	for (size_t i = 0; i < nrows; i++) {
		l[0] = (struct hp_label){ "collector", rows[i].collector };
		l[1] = (struct hp_label){ "program", rows[i].program };
		hp_prom__sample(out, "hostprof_bpf_program_runs_total", l, 2, (double)rows[i].runs);
	}
	hp_prom__family(out, "hostprof_bpf_program_run_seconds_total", HP_PROM_COUNTER,
			err ? "Left out of this page: out of memory."
			    : "CPU time each of hostprof's BPF programs ran in the kernel (kernel "
			      "run_time_ns; counted while BPF statistics are on).");
	for (size_t i = 0; i < nrows; i++) {
		l[0] = (struct hp_label){ "collector", rows[i].collector };
		l[1] = (struct hp_label){ "program", rows[i].program };
		hp_prom__sample(out, "hostprof_bpf_program_run_seconds_total", l, 2,
				(double)rows[i].run_ns / 1e9);
	}
	free(rows);
}
