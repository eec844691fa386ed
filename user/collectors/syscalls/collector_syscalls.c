// SPDX-License-Identifier: GPL-2.0-only
/* The syscall collector: loads bpf/syscalls.bpf.c, folds its per-CPU histograms, errno counts and
 * optional per-comm breakdown into snapshots, and exports them to /metrics and the JSON API. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collector_syscalls.h"
#include "syscall_options.h"
#include "comm_table.h"
#include "pod_metrics.h"
#include "errno_names.h"
#include "base/log.h"
#include "export/prom.h"
#include "syscall_names.h"
#include "syscalls.skel.h"

/* Windows: 1 s steps for the last 2 minutes, 10 s steps for the last 15 minutes. */
#define WINDOW_FINE_SLOTS 120
#define WINDOW_COARSE_INTERVAL 10.0
#define WINDOW_COARSE_SLOTS 90
#define LOOKUP_BATCH 64
/* API requests drain the per-cgroup map too, at most this often (s): a burst of requests
 * answers from the last drain rather than draining under the lock for each */
#define POD_DRAIN_MIN_INTERVAL 0.1
/* pods ranked for the per-pod series (collectors/pod_series.h); beyond, folded and counted */
#define POD_SERIES_MAX_PODS 1024

static const char *const drop_reasons[HP_SC_DROP__COUNT] = {
	[HP_SC_DROP_NR_RANGE] = "syscall_nr_out_of_range",
	[HP_SC_DROP_STORAGE] = "task_storage_unavailable",
	[HP_SC_DROP_COMM_MAP_FULL] = "comm_map_full",
	[HP_SC_DROP_RESTART_UNRESOLVED] = "restart_code_unresolved",
	[HP_SC_DROP_POD_MAP_FULL] = "pod_map_full",
};

static struct hp_sc_state *state(struct hp_collector *c)
{
	return c->priv;
}

static int sc__open(struct hp_collector *c, enum hp_attach_path path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const struct hp_config *cfg = c->cfg;
	const struct hp_syscalls_config *sc = hp_syscalls_config(cfg);
	struct hp_sc_state *s;

	(void)path; /* c->path */
	s = hp_collector__alloc(c, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = c->ncpus;
	hp_collector__open_opts(c, &opts);
	s->skel = syscalls_bpf__open_opts(&opts);
	if (!s->skel)
		return -errno;

	hp_collector__autoload(c, s->skel->progs.sys_enter_btf, s->skel->progs.sys_enter_raw);
	hp_collector__autoload(c, s->skel->progs.sys_exit_btf, s->skel->progs.sys_exit_raw);
	hp_collector__autoload(c, s->skel->progs.sig_deliver_btf, s->skel->progs.sig_deliver_raw);

	s->skel->rodata->filter_tgid = (__u32)cfg->pid;
	s->skel->rodata->filter_cgroup = cfg->cgroup_path != NULL;
	s->skel->rodata->by_comm = sc->comm_top > 0;
	/* per-cgroup breakdown only with --pod-metrics: off, the verifier drops its code */
	s->skel->rodata->by_pod = cfg->pod_metrics;
	if (!cfg->pod_metrics)
		bpf_map__set_max_entries(s->skel->maps.pod_stats, 1);
	if (sc->comm_top > 0)
		bpf_map__set_max_entries(s->skel->maps.comm_stats, sc->comm_map_entries);
	else
		bpf_map__set_max_entries(s->skel->maps.comm_stats, 1); /* unused: keep it tiny */
	/* mmapable so refresh() reads the errno table and compat histograms without a syscall */
	bpf_map__set_map_flags(s->skel->maps.errors,
			       bpf_map__map_flags(s->skel->maps.errors) | BPF_F_MMAPABLE);
	bpf_map__set_map_flags(s->skel->maps.compat_hists,
			       bpf_map__map_flags(s->skel->maps.compat_hists) | BPF_F_MMAPABLE);
	return 0;
}

/* Maps an mmapable BPF array of size bytes read-only; NULL with errno set on failure. */
static void *sc__map_ro(const struct bpf_map *map, size_t size, size_t *len)
{
	void *p;

	*len = (size + (size_t)getpagesize() - 1) & ~((size_t)getpagesize() - 1);
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
	return p == MAP_FAILED ? NULL : p;
}

static const struct hp_workload *sc__workload(struct hp_collector *c, __u64 cgroup,
					      struct hp_workload *out)
{
	return hp_services__workload(c->svc, cgroup, 0, out);
}

static const struct hp_workload *sc__workload_fn(void *ctx, __u64 cgroup, struct hp_workload *out)
{
	struct hp_collector *c = ctx;

	return state(c)->workload(c, cgroup, out);
}

static int sc__load(struct hp_collector *c)
{
	struct hp_sc_state *s = state(c);
	const struct hp_config *cfg = c->cfg;
	const struct hp_syscalls_config *sc = hp_syscalls_config(cfg);
	int err;

	err = syscalls_bpf__load(s->skel);
	if (err)
		return err;
	err = hp_collector__loaded(c, s->skel->obj, bpf_map__fd(s->skel->maps.cgroup_filter));
	if (err)
		return err;

	s->errors = sc__map_ro(s->skel->maps.errors,
			       (size_t)HP_SC_KEYS * HP_ERRNO_SLOTS * sizeof(__u64), &s->errors_len);
	if (!s->errors)
		return -errno;
	s->compat =
	    sc__map_ro(s->skel->maps.compat_hists,
		       (size_t)HP_SC_COMPAT_KEYS * sizeof(struct hp_sc_hist), &s->compat_len);
	if (!s->compat)
		return -errno;

	s->hists = calloc(HP_SC_KEYS, sizeof(*s->hists));
	s->percpu = calloc((size_t)LOOKUP_BATCH * (size_t)s->ncpus, sizeof(struct hp_sc_hist));
	s->latest = hp_sc_snapshot__empty(hp_now());
	if (!s->hists || !s->percpu || !s->latest)
		return -ENOMEM;
	if (sc->comm_top > 0) {
		err = hp_comm_table__init(&s->comms, sc->comm_map_entries);
		if (err)
			return err;
		s->comm_keys = calloc(sc->comm_map_entries, sizeof(*s->comm_keys));
		s->comm_vals = calloc((size_t)s->ncpus, sizeof(*s->comm_vals));
		if (!s->comm_keys || !s->comm_vals)
			return -ENOMEM;
	}
	if (cfg->pod_metrics) {
		err = hp_sc_pods__init(&s->pods, s->ncpus, HP_SC_POD_ROWS, cfg->tick_seconds,
				       hp_now());
		if (err)
			return err;
		s->pods_ready = true;
		s->workload = sc__workload;
		s->pod_series = hp_pod_series__new(cfg->pod_top_k, POD_SERIES_MAX_PODS);
		if (!s->pod_series)
			return -ENOMEM;
	}
	return 0;
}

static void *sc__snapshot_diff(const void *cur, const void *old)
{
	return hp_sc_snapshot__diff(cur, old);
}

static int sc__attach(struct hp_collector *c)
{
	struct hp_sc_state *s = state(c);
	static const struct hp_window_ops ops = {
		.retain = hp_sc_snapshot__retain,
		.release = hp_sc_snapshot__release,
		.diff = sc__snapshot_diff,
	};
	int err;

	err = syscalls_bpf__attach(s->skel);
	if (err)
		return err;
	err = hp_window__init(&s->window, &ops, c->cfg->tick_seconds, WINDOW_FINE_SLOTS,
			      WINDOW_COARSE_INTERVAL, WINDOW_COARSE_SLOTS, hp_now(), s->latest);
	if (err)
		return err;
	s->window_ready = true;
	return 0;
}

/* Sums the per-CPU histograms of every native syscall number into s->hists[0, HP_SC_MAX_NR) (the
 * batch lookup copies the kernel's values into s->percpu once; only that copy is read). */
static int sc__read_hists(struct hp_sc_state *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(s->skel->maps.hists);
	__u32 keys[LOOKUP_BATCH], out_batch = 0;
	bool first = true, done = false;

	while (!done) {
		__u32 count = LOOKUP_BATCH;
		int err;

		err = bpf_map_lookup_batch(fd, first ? NULL : &out_batch, &out_batch, keys,
					   s->percpu, &count, &opts);
		if (err && errno != ENOENT)
			return -errno;
		done = err != 0;
		first = false;
		for (__u32 k = 0; k < count && k < LOOKUP_BATCH; k++) {
			struct hp_sc_hist *dst;

			if (keys[k] >= HP_SC_MAX_NR)
				continue;
			dst = &s->hists[keys[k]];
			memset(dst, 0, sizeof(*dst));
			for (int cpu = 0; cpu < s->ncpus; cpu++) {
				const struct hp_sc_hist *src =
				    &s->percpu[(size_t)k * s->ncpus + cpu];

				for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
					dst->buckets[b] += src->buckets[b];
				dst->sum_ns += src->sum_ns;
			}
		}
	}
	return 0;
}

/* Copies the compat histograms (shared array, updated atomically by the kernel while we read) into
 * s->hists[HP_SC_MAX_NR, HP_SC_KEYS): every u64 is loaded exactly once. */
static void sc__read_compat(struct hp_sc_state *s)
{
	const volatile __u64 *src = (const volatile __u64 *)s->compat;
	__u64 *dst = (__u64 *)&s->hists[HP_SC_MAX_NR];
	size_t n = (size_t)HP_SC_COMPAT_KEYS * sizeof(struct hp_sc_hist) / sizeof(__u64);

	for (size_t i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/*
 * Moves every comm_stats entry older than the previous generation into the userspace table.
 * The BPF side reads comm_gen once per event; after a flip, an event may still be writing the
 * previous generation, so only generations at least two flips old are drained (one tick apart,
 * far longer than any program runs).
 */
static int sc__drain_comms(struct hp_sc_state *s)
{
	int fd = bpf_map__fd(s->skel->maps.comm_stats);
	__u32 gen = s->skel->bss->comm_gen + 1;
	struct hp_sc_comm_key key, next, *prev = NULL;
	size_t nkeys = 0;

	s->skel->bss->comm_gen = gen;
	while (nkeys < s->comms.max_entries && bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (gen - next.gen >= 2)
			s->comm_keys[nkeys++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < nkeys; i++) {
		struct hp_sc_comm_val sum = { 0 };

		if (bpf_map_lookup_elem(fd, &s->comm_keys[i], s->comm_vals))
			continue;
		for (int cpu = 0; cpu < s->ncpus; cpu++) {
			sum.calls += s->comm_vals[cpu].calls;
			sum.errors += s->comm_vals[cpu].errors;
			sum.sum_ns += s->comm_vals[cpu].sum_ns;
		}
		bpf_map_delete_elem(fd, &s->comm_keys[i]);
		hp_comm_table__add(&s->comms, s->comm_keys[i].comm, s->comm_keys[i].nr, &sum);
	}
	return 0;
}

/* Drains the per-cgroup map into the pod table (syscall_pods.h); a failure is logged once and
 * counted in the table's read errors (the rows read before it are kept). */
static void sc__drain_pods(struct hp_collector *c, double now)
{
	struct hp_sc_state *s = state(c);
	int err;

	err = hp_sc_pods__collect(&s->pods, bpf_map__fd(s->skel->maps.pod_stats),
				  &s->skel->bss->pod_gen, now);
	s->pods_drained = now;
	/* every delta taken goes to the pod series once, whatever happened above */
	if (hp_sc_pod_metrics__feed(s->pod_series, s->pods.deltas, s->pods.ndeltas, sc__workload_fn,
				    c, now) &&
	    !err)
		err = -ENOMEM;
	if (err && !s->pods_warned) {
		hp_warn("syscalls: draining the per-cgroup map failed: %s", strerror(-err));
		s->pods_warned = true;
	}
}

static int sc__refresh(struct hp_collector *c, bool tick)
{
	struct hp_sc_state *s = state(c);
	struct hp_sc_snapshot *snap;
	double now = hp_now();
	int err;

	/* errors first, calls second: a call's error is added after its histogram bucket, so every
	 * error in the snapshot has its call in it too */
	snap = hp_sc_snapshot__begin(now, s->errors);
	if (!snap)
		return -ENOMEM;
	err = sc__read_hists(s);
	if (err) {
		hp_sc_snapshot__release(snap);
		return err;
	}
	sc__read_compat(s);
	if (hp_sc_snapshot__finish(snap, s->hists)) {
		hp_sc_snapshot__release(snap);
		return -ENOMEM;
	}
	hp_sc_snapshot__release(s->latest);
	s->latest = snap;
	if (s->pods_ready && (tick || now - s->pods_drained >= POD_DRAIN_MIN_INTERVAL))
		sc__drain_pods(c, now);
	if (tick) {
		hp_window__push(&s->window, now, snap);
		if (hp_syscalls_config(c->cfg)->comm_top > 0)
			sc__drain_comms(s);
	}
	return 0;
}

static void sc__metrics_comm(struct hp_sc_state *s, unsigned int top, struct hp_buf *out)
{
	static const struct {
		const char *name, *help;
	} families[] = {
		{ "hostprof_syscall_comm_calls_total",
		  "Syscalls completed, by process name (top names; the rest as comm=\"other\")." },
		{ "hostprof_syscall_comm_errors_total",
		  "Syscalls that returned an error, by process name." },
		{ "hostprof_syscall_comm_latency_seconds_total",
		  "Total time spent in syscalls, by process name." },
	};
	struct hp_comm_series *series;
	size_t n;
	char name[32];

	series = hp_comm_table__top(&s->comms, top, &n);
	if (!series) {
		out->oom = true;
		return;
	}
	for (int f = 0; f < 3; f++) {
		hp_prom__family(out, families[f].name, HP_PROM_COUNTER, families[f].help);
		for (size_t i = 0; i < n; i++) {
			struct hp_label l[3] = {
				{ "comm", series[i].comm },
				{ "syscall",
				  hp_syscall__key_name(series[i].nr, name, sizeof(name)) },
				{ "abi", hp_syscall__abi_name(hp_sc_key__abi(series[i].nr)) },
			};
			double v = f == 0   ? (double)series[i].v.calls
				   : f == 1 ? (double)series[i].v.errors
					    : (double)series[i].v.sum_ns / 1e9;

			hp_prom__sample(out, families[f].name, l, 3, v);
		}
	}
	free(series);
	hp_prom__family(out, "hostprof_syscall_comm_folded_total", HP_PROM_COUNTER,
			"Syscalls attributed to comm=\"other\" because the comm table "
			"(--comm-map-size) was full.");
	hp_prom__sample(out, "hostprof_syscall_comm_folded_total", NULL, 0,
			(double)s->comms.folded);
}

/* hostprof_syscall_errors_total (errnos the program saw, EINTR from a restart code included) */
static void sc__metrics_errors(const struct hp_sc_snapshot *snap, struct hp_buf *out)
{
	const char *family = "hostprof_syscall_errors_total";
	char name[32], err_name[32];

	hp_prom__family(out, family, HP_PROM_COUNTER,
			"Syscalls that returned an error to the program, per syscall, ABI and "
			"errno (EINTR included when signal handling turned a restart code into it; "
			"rt_sigreturn's restored register is never one).");
	for (size_t i = 0; i < snap->nerr; i++) {
		const struct hp_sc_err *e = &snap->err[i];
		struct hp_label l[3] = {
			{ "syscall", hp_syscall__key_name(e->nr, name, sizeof(name)) },
			{ "abi", hp_syscall__abi_name(hp_sc_key__abi(e->nr)) },
			{ "errno", hp_errno__slot_name(e->slot, err_name, sizeof(err_name)) },
		};

		if (hp_errno__slot_is_error(e->slot))
			hp_prom__sample(out, family, l, 3, (double)e->count);
	}
}

/* hostprof_syscall_restarts_total: the kernel-internal codes (ERESTARTSYS...) by outcome, see
 * hp_errno__slot_outcome() and docs/ARCHITECTURE.md "Restarts and EINTR". */
static void sc__metrics_restarts(const struct hp_sc_snapshot *snap, struct hp_buf *out)
{
	const char *family = "hostprof_syscall_restarts_total";
	char name[32], err_name[32];

	hp_prom__family(
	    out, family, HP_PROM_COUNTER,
	    "Syscalls that ended at sys_exit with a kernel-internal code (ERESTARTSYS, "
	    "ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, ...), by what the program "
	    "got: outcome=restarted (the kernel entered the call again), eintr (a signal "
	    "handler ran and the call returned EINTR, also counted in "
	    "hostprof_syscall_errors_total), returned (a code signal handling leaves alone).");
	for (size_t i = 0; i < snap->nerr; i++) {
		const struct hp_sc_err *e = &snap->err[i];
		const char *outcome = hp_errno__slot_outcome(e->slot);
		struct hp_label l[4] = {
			{ "syscall", hp_syscall__key_name(e->nr, name, sizeof(name)) },
			{ "abi", hp_syscall__abi_name(hp_sc_key__abi(e->nr)) },
			{ "code", hp_errno__slot_name(e->slot, err_name, sizeof(err_name)) },
			{ "outcome", outcome },
		};

		if (outcome)
			hp_prom__sample(out, family, l, 4, (double)e->count);
	}
}

static void sc__metrics(struct hp_collector *c, struct hp_buf *out)
{
	struct hp_sc_state *s = state(c);
	const struct hp_sc_snapshot *snap = s->latest;
	char name[32];

	hp_prom__family(out, "hostprof_syscall_latency_seconds", HP_PROM_HISTOGRAM,
			"Time from sys_enter to sys_exit, per syscall and ABI (x86_64, i386, x32); "
			"_count is the number of calls.");
	for (size_t i = 0; i < snap->n; i++) {
		const struct hp_sc_entry *e = &snap->e[i];
		struct hp_label l[2] = {
			{ "syscall", hp_syscall__key_name(e->nr, name, sizeof(name)) },
			{ "abi", hp_syscall__abi_name(hp_sc_key__abi(e->nr)) },
		};

		hp_prom__histogram(out, "hostprof_syscall_latency_seconds", l, 2, e->buckets,
				   (double)e->sum_ns / 1e9);
	}
	sc__metrics_errors(snap, out);
	sc__metrics_restarts(snap, out);
	if (hp_syscalls_config(c->cfg)->comm_top > 0)
		sc__metrics_comm(s, hp_syscalls_config(c->cfg)->comm_top, out);
	if (s->pod_series)
		hp_sc_pod_metrics__render(s->pod_series, out);
	if (s->pods_ready) {
		hp_prom__family(
		    out, "hostprof_syscall_pod_table_folded_rows_total", HP_PROM_COUNTER,
		    "(cgroup, syscall) rows of the per-cgroup table (--pod-metrics, "
		    "/api/v1/syscalls filters) folded into its per-syscall \"other\" rows "
		    "because the table was full; their counts are kept there.");
		hp_prom__sample(out, "hostprof_syscall_pod_table_folded_rows_total", NULL, 0,
				(double)s->pods.table.evicted);
	}
}

static void sc__self_stats(struct hp_collector *c, struct hp_self_stats *out)
{
	struct hp_sc_state *s = state(c);

	hp_self_stats__add_drops(out, bpf_map__fd(s->skel->maps.drops), s->ncpus, drop_reasons,
				 HP_SC_DROP__COUNT);
	hp_self_stats__add_map(out, "hists", s->latest->n /* syscall keys seen */, HP_SC_KEYS);
	if (hp_syscalls_config(c->cfg)->comm_top > 0) {
		__u32 max = bpf_map__max_entries(s->skel->maps.comm_stats);
		int cfd = bpf_map__fd(s->skel->maps.comm_stats);
		struct hp_sc_comm_key key, next, *prev = NULL;
		__u64 n = 0;

		while (n < max && bpf_map_get_next_key(cfd, prev, &next) == 0) {
			n++;
			key = next;
			prev = &key;
		}
		hp_self_stats__add_map(out, "comm_stats", n, max);
		hp_self_stats__add_map(out, "comm_table", s->comms.n, s->comms.max_entries);
	}
	if (s->pods_ready) {
		hp_self_stats__add_map(out, "pod_stats", s->pods.kernel_rows, s->pods.kernel_max);
		hp_self_stats__add_map(out, "pod_table", s->pods.table.n, s->pods.table.max_rows);
		hp_self_stats__add_drop(out, "pod_map_read_error", s->pods.read_errors);
	}
	if (s->pod_series)
		hp_pod_series__self_stats(s->pod_series, out);
}

static void sc__destroy(struct hp_collector *c)
{
	struct hp_sc_state *s = state(c);

	if (!s)
		return;
	if (s->window_ready)
		hp_window__free(&s->window);
	hp_sc_snapshot__release(s->latest);
	if (s->errors)
		munmap((void *)(uintptr_t)s->errors, s->errors_len);
	if (s->compat)
		munmap((void *)(uintptr_t)s->compat, s->compat_len);
	syscalls_bpf__destroy(s->skel);
	if (s->comms.slots)
		hp_comm_table__free(&s->comms);
	free(s->comm_keys);
	free(s->comm_vals);
	free(s->hists);
	free(s->percpu);
	if (s->pods_ready)
		hp_sc_pods__free(&s->pods);
	hp_pod_series__free(s->pod_series);
}

const struct hp_collector_ops hp_collector_syscalls = {
	.name = "syscalls",
	.summary = "per-syscall latency histograms, call counts and errors by errno",
	.needs = HP_FEAT_PRIV | HP_FEAT_BTF | HP_FEAT_TASK_STORAGE,
	.paths = HP_PATHS_TRACEPOINT,
	.open = sc__open,
	.load = sc__load,
	.attach = sc__attach,
	.refresh = sc__refresh,
	.metrics = sc__metrics,
	.self_stats = sc__self_stats,
	.destroy = sc__destroy,
	.routes = hp_syscalls_routes,
	.options = hp_syscalls_options,
};
