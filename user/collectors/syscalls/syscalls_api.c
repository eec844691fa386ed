// SPDX-License-Identifier: GPL-2.0-only
/* GET /api/v1/syscalls: per-syscall calls, errors and latency percentiles as JSON, cumulative
 * since start or over a recent window (?window=10s) computed from the collector's snapshots. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/collector.h"
#include "collector_syscalls.h"
#include "errno_names.h"
#include "collectors/pod_filter.h"
#include "stores/hist.h"
#include "base/params.h"
#include "syscall_names.h"

enum sort_key { SORT_CALLS, SORT_TIME, SORT_ERRORS, SORT_P99 };

struct api_query {
	double window;	     /* 0: cumulative */
	const char *syscall; /* NULL: all; else this name in any ABI */
	int abi;	     /* -1: all; else enum hp_sc_abi */
	unsigned long long limit;
	enum sort_key sort;
	struct hp_pod_filter filter; /* namespace=, pod=, container= (--pod-metrics) */
	bool by_cgroup;		     /* a filter is set: answer from the per-cgroup table */
	size_t cgroups;		     /* cgroups that matched it */
};

/* namespace=, pod=, container=: checked, and refused without the per-cgroup table. */
static int api__parse_filter(const struct hp_request *req, struct hp_response *resp,
			     bool pod_metrics, struct api_query *q)
{
	for (const char *const *name = hp_pod_filter_names; *name; name++) {
		const char *v = hp_request__param(req, *name);
		char err[128];

		if (!v)
			continue;
		if (!pod_metrics) {
			hp_response__error(resp, 400,
					   "the namespace=, pod= and container= filters need "
					   "--pod-metrics (the per-cgroup syscall breakdown)");
			return -1;
		}
		if (hp_pod_filter__set(&q->filter, *name, v, err, sizeof(err))) {
			hp_response__error(resp, 400, "%s", err);
			return -1;
		}
	}
	q->by_cgroup = hp_pod_filter__active(&q->filter);
	return 0;
}

static int api__parse(const struct hp_request *req, struct hp_response *resp, double tick,
		      const struct hp_sc_state *s, bool pod_metrics, struct api_query *q)
{
	double retention;
	const char *window = hp_request__param(req, "window");
	const char *syscall = hp_request__param(req, "syscall");
	const char *limit = hp_request__param(req, "limit");
	const char *sort = hp_request__param(req, "sort");
	const char *abi = hp_request__param(req, "abi");
	static const char *const sorts[] = { "calls", "time", "errors", "p99" };
	int err;

	memset(q, 0, sizeof(*q));
	q->abi = -1;
	q->limit = HP_SC_KEYS;
	if (api__parse_filter(req, resp, pod_metrics, q))
		return -1;
	retention = q->by_cgroup ? hp_sc_pod_table__retention(&s->pods.table)
				 : hp_window__retention(&s->window);
	err = hp_request__lookback(req, resp, "window", retention, &q->window);
	if (err < 0)
		return -1;
	if (err == 0) {
		if (q->window < tick) {
			hp_response__error(
			    resp, 400, "window=%s is shorter than the snapshot interval of %g s",
			    window, tick);
			return -1;
		}
	}
	if (abi) {
		for (q->abi = 0; q->abi < HP_SC_ABI__COUNT; q->abi++)
			if (strcmp(abi, hp_syscall__abi_name((unsigned int)q->abi)) == 0)
				break;
		if (q->abi == HP_SC_ABI__COUNT) {
			hp_response__error(resp, 400, "unknown abi '%s': want %s, %s or %s", abi,
					   hp_syscall__abi_name(HP_SC_ABI_NATIVE),
					   hp_syscall__abi_name(HP_SC_ABI_I386),
					   hp_syscall__abi_name(HP_SC_ABI_X32));
			return -1;
		}
	}
	if (syscall) {
		bool known = false;

		for (unsigned int a = 0; a < HP_SC_ABI__COUNT; a++)
			known |= hp_syscall__key(a, syscall) >= 0;
		if (!known) {
			hp_response__error(resp, 400, "unknown syscall '%s'", syscall);
			return -1;
		}
		q->syscall = syscall;
	}
	if (limit && hp_params__uint(limit, 1, HP_SC_KEYS, &q->limit)) {
		hp_response__error(resp, 400, "invalid limit '%s': want an integer from 1 to %d",
				   limit, HP_SC_KEYS);
		return -1;
	}
	if (sort) {
		size_t i;

		for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
			if (strcmp(sort, sorts[i]) == 0)
				break;
		if (i == sizeof(sorts) / sizeof(sorts[0])) {
			hp_response__error(
			    resp, 400, "invalid sort '%s': want calls, time, errors or p99", sort);
			return -1;
		}
		q->sort = (enum sort_key)i;
	}
	return 0;
}

static double api__sort_value(const struct hp_sc_entry *e, enum sort_key key)
{
	switch (key) {
	case SORT_TIME:
		return (double)e->sum_ns;
	case SORT_ERRORS:
		return (double)e->errors;
	case SORT_P99:
		return hp_hist__quantile(e->buckets, 0.99);
	default:
		return (double)e->calls;
	}
}

static int api__cmp(const void *a, const void *b, void *arg)
{
	const struct hp_sc_entry *x = *(const struct hp_sc_entry *const *)a;
	const struct hp_sc_entry *y = *(const struct hp_sc_entry *const *)b;
	enum sort_key key = *(const enum sort_key *)arg;
	double vx = api__sort_value(x, key), vy = api__sort_value(y, key);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static void api__add_number(cJSON *obj, const char *name, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, v);
}

/* The latency object of e. */
static void api__latency(cJSON *o, const struct hp_sc_entry *e)
{
	cJSON *lat = cJSON_AddObjectToObject(o, "latency_seconds");

	cJSON_AddNumberToObject(lat, "sum", (double)e->sum_ns / 1e9);
	api__add_number(lat, "mean", e->calls ? (double)e->sum_ns / 1e9 / (double)e->calls : NAN);
	api__add_number(lat, "p50", hp_hist__quantile(e->buckets, 0.50));
	api__add_number(lat, "p90", hp_hist__quantile(e->buckets, 0.90));
	api__add_number(lat, "p99", hp_hist__quantile(e->buckets, 0.99));
	api__add_number(lat, "max", hp_hist__max_estimate(e->buckets));
}

/* by_cgroup: the per-cgroup table counts no restarts or errnos: those members are null, not 0 */
static cJSON *api__entry(const struct hp_sc_snapshot *snap, const struct hp_sc_entry *e,
			 bool by_cgroup)
{
	cJSON *o = cJSON_CreateObject(), *errs, *rst, *intr;
	char name[32];

	cJSON_AddStringToObject(o, "syscall", hp_syscall__key_name(e->nr, name, sizeof(name)));
	cJSON_AddStringToObject(o, "abi", hp_syscall__abi_name(hp_sc_key__abi(e->nr)));
	cJSON_AddNumberToObject(o, "nr", hp_sc_key__nr(e->nr));
	cJSON_AddNumberToObject(o, "calls", (double)e->calls);
	cJSON_AddNumberToObject(o, "errors", (double)e->errors);
	if (by_cgroup) {
		static const char *const unknown[] = { "restarts", "interrupted", "errors_by_errno",
						       "restarts_by_code", "interrupted_by_code" };

		for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
			cJSON_AddNullToObject(o, unknown[i]);
		api__latency(o, e);
		return o;
	}
	cJSON_AddNumberToObject(o, "restarts", (double)e->restarts);
	cJSON_AddNumberToObject(o, "interrupted", (double)e->interrupted);
	errs = cJSON_AddObjectToObject(o, "errors_by_errno");
	rst = cJSON_AddObjectToObject(o, "restarts_by_code");
	intr = cJSON_AddObjectToObject(o, "interrupted_by_code");
	for (size_t i = 0; i < snap->nerr; i++) {
		unsigned int slot = snap->err[i].slot;

		if (snap->err[i].nr != e->nr)
			continue;
		cJSON_AddNumberToObject(hp_errno__slot_is_internal(slot)	? rst
					: hp_errno__slot_is_eintr_outcome(slot) ? intr
										: errs,
					hp_errno__slot_name(slot, name, sizeof(name)),
					(double)snap->err[i].count);
	}
	api__latency(o, e);
	return o;
}

static cJSON *api__render(const struct hp_sc_snapshot *snap, const struct api_query *q,
			  double covered, double requested)
{
	static const char *const sorts[] = { "calls", "time", "errors", "p99" };
	cJSON *root = cJSON_CreateObject(), *win, *arr;
	const struct hp_sc_entry **order;
	__u64 calls = 0, errors = 0;
	size_t n = 0;

	order = calloc(snap->n ? snap->n : 1, sizeof(*order));
	if (!root || !order) {
		free(order);
		cJSON_Delete(root);
		return NULL;
	}
	for (size_t i = 0; i < snap->n; i++) {
		__u32 key = snap->e[i].nr;
		char name[32];

		calls += snap->e[i].calls;
		errors += snap->e[i].errors;
		if (q->abi >= 0 && hp_sc_key__abi(key) != (unsigned int)q->abi)
			continue;
		if (q->syscall &&
		    strcmp(hp_syscall__key_name(key, name, sizeof(name)), q->syscall) != 0)
			continue;
		order[n++] = &snap->e[i];
	}
	qsort_r(order, n, sizeof(*order), api__cmp, (void *)&q->sort);

	cJSON_AddStringToObject(root, "collector", "syscalls");
	win = cJSON_AddObjectToObject(root, "window");
	cJSON_AddBoolToObject(win, "cumulative", requested == 0);
	if (requested > 0)
		cJSON_AddNumberToObject(win, "requested_seconds", requested);
	cJSON_AddNumberToObject(win, "seconds", covered);
	cJSON_AddNumberToObject(win, "end_unix", (double)time(NULL));
	cJSON_AddStringToObject(root, "sort", sorts[q->sort]);
	if (q->by_cgroup) {
		cJSON *f = cJSON_AddObjectToObject(root, "filter");

		for (const char *const *name = hp_pod_filter_names; *name; name++) {
			const char *v = hp_pod_filter__value(&q->filter, *name);

			if (v)
				cJSON_AddStringToObject(f, *name, v);
		}
		cJSON_AddNumberToObject(root, "cgroups", (double)q->cgroups);
	}
	cJSON_AddNumberToObject(root, "total_calls", (double)calls);
	cJSON_AddNumberToObject(root, "total_errors", (double)errors);
	arr = cJSON_AddArrayToObject(root, "syscalls");
	for (size_t i = 0; i < n && i < q->limit; i++)
		cJSON_AddItemToArray(arr, api__entry(snap, order[i], q->by_cgroup));
	free(order);
	return root;
}

static int api__entry_nr_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct hp_sc_entry *)a)->nr, y = ((const struct hp_sc_entry *)b)->nr;

	return x < y ? -1 : x > y;
}

/*
 * The per-cgroup table's rows over q's window, restricted to the cgroups whose workload matches
 * q's filter, summed per syscall into a snapshot (q->cgroups: how many cgroups matched). NULL on
 * ENOMEM.
 */
static struct hp_sc_snapshot *api__pod_view(struct hp_collector *c, struct hp_sc_state *s,
					    struct api_query *q, double *covered)
{
	struct hp_khist *rows =
	    hp_sc_pod_table__view(&s->pods.table, q->window, c->started_at, covered);
	struct hp_workload *w = malloc(sizeof(*w));
	struct hp_sc_entry *e = NULL;
	struct hp_sc_snapshot *snap = NULL;
	size_t n = 0, m = 0;
	bool match = false;

	if (!rows || !w)
		goto out;
	e = calloc(rows->n ? rows->n : 1, sizeof(*e));
	if (!e)
		goto out;
	for (size_t i = 0; i < rows->n; i++) {
		const struct hp_sc_pod_row *r = hp_khist__row(rows, i);

		/* rows come sorted by cgroup: one look-up per cgroup */
		if (i == 0 ||
		    r->cgroup !=
			((const struct hp_sc_pod_row *)hp_khist__row(rows, i - 1))->cgroup) {
			match = r->cgroup != HP_SC_POD_OTHER &&
				hp_pod_filter__match(&q->filter, s->workload(c, r->cgroup, w));
			q->cgroups += match;
		}
		if (!match || !r->calls)
			continue;
		e[n].nr = r->nr;
		e[n].calls = r->calls;
		e[n].errors = r->errors;
		e[n].sum_ns = r->sum_ns;
		memcpy(e[n].buckets, r->buckets, sizeof(e[n].buckets));
		n++;
	}
	qsort(e, n, sizeof(*e), api__entry_nr_cmp);
	for (size_t i = 0; i < n; i++) { /* one entry per syscall: the cgroups' rows summed */
		if (m && e[m - 1].nr == e[i].nr) {
			e[m - 1].calls += e[i].calls;
			e[m - 1].errors += e[i].errors;
			e[m - 1].sum_ns += e[i].sum_ns;
			for (unsigned int b = 0; b < HP_HIST_BUCKETS; b++)
				e[m - 1].buckets[b] += e[i].buckets[b];
			continue;
		}
		e[m++] = e[i];
	}
	snap = hp_sc_snapshot__from_entries(rows->t, e, m);
out:
	hp_khist__release(rows);
	free(w);
	free(e);
	return snap;
}

static void api__syscalls(const struct hp_route *route, const struct hp_request *req,
			  struct hp_response *resp)
{
	struct hp_collector *c = route->ctx;
	struct hp_sc_state *s;
	struct hp_sc_snapshot *view = NULL;
	struct api_query q;
	double covered;
	cJSON *root;
	int err;

	pthread_mutex_lock(&c->lock);
	s = c->priv;
	if (api__parse(req, resp, c->cfg->tick_seconds, s, s->pods_ready, &q))
		goto out;
	err = c->ops->refresh(c, false);
	if (err) {
		hp_response__error(resp, 500, "reading kernel maps failed: %s", strerror(-err));
		goto out;
	}
	if (q.by_cgroup)
		view = api__pod_view(c, s, &q, &covered);
	else
		view = hp_window__view(&s->window, s->latest, s->latest->t, q.window, c->started_at,
				       &covered);
	if (!view) {
		hp_response__error(resp, 500, "out of memory");
		goto out;
	}
	root = api__render(view, &q, covered, q.window);
	if (!root) {
		hp_response__error(resp, 500, "out of memory");
		goto out;
	}
	hp_response__json(resp, root);
	resp->status = 200;
out:
	hp_sc_snapshot__release(view);
	pthread_mutex_unlock(&c->lock);
}

static const char *const api_params[] = { "window",    "syscall", "abi",       "limit", "sort",
					  "namespace", "pod",	  "container", NULL };

const struct hp_route hp_syscalls_routes[] = {
	{ "/api/v1/syscalls", api_params, api__syscalls, NULL,
	  "per-syscall calls, errors and latency percentiles (JSON; "
	  "?window=10s&sort=time&limit=20&syscall=read&abi=i386; with --pod-metrics "
	  "namespace=, pod=, container= restrict it to the matching pods' cgroups)",
	  false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};
