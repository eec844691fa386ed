// SPDX-License-Identifier: GPL-2.0-only
/* "hostprof serve" (see agent.h). Threads: main (start-up, then sigwait), the ticker (folds every
 * collector's kernel maps once per tick and renders /metrics into a cache), the HTTP gate and
 * libmicrohttpd's connection threads. Collector state is only touched under that collector's
 * lock. */
#include "agent.h"

#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/version.h"
#include "collectors/bpf_stats.h"
#include "collectors/collector.h"
#include "collectors/probe.h"
#include "collectors/services.h"
#include "export/process_metrics.h"
#include "export/prom.h"
#include "export/store_metrics.h"
#include "http/http.h"
#include "http/landing.h"
#include "http/metrics_cache.h"
#include "http/profile_api.h"

struct hp_agent {
	const struct hp_config *cfg;
	struct hp_features features;
	struct hp_services svc; /* shared by every collector */
	bool svc_ready;
	struct hp_collector collectors[HP_MAX_COLLECTORS];
	int ncollectors;
	struct hp_route own[5];			    /* agent_routes with ctx = this agent */
	struct hp_route *routes[HP_MAX_COLLECTORS]; /* per-collector copies with ctx filled in */
	struct hp_profile_api profile_api;	    /* the registered profile sources' routes */
	const struct hp_route *tables[HP_MAX_COLLECTORS + 2];
	int ntables;
	double start_unix;
	pthread_t ticker;
	bool ticker_running;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
	struct hp_metrics_cache metrics; /* /metrics as of the last tick */
	struct hp_http *http;		 /* set before the ticker starts */
	/* graceful degradation: every collector of --collectors, running or not, in that order
	 * (hostprof_collector_up, /healthz, /readyz, the landing page); written before HTTP starts */
	struct agent_status {
		const char *name;
		enum hp_collector_reason reason; /* HP_REASON_NONE: running */
	} status[HP_MAX_COLLECTORS];
	int nstatus;
	atomic_bool first_page;	       /* a 200 /metrics page was published: /readyz */
	struct hp_bpf_stats bpf_stats; /* the kernel's BPF statistics held on (self-cost) */
};

/* The "collector" label of the shared services' tables (symbolizer caches) in hostprof_map_*. */
#define AGENT_SERVICES_LABEL "agent"

/* How long a scrape waits for the first /metrics page after start-up. */
#define AGENT_FIRST_PAGE_WAIT_S 20.0

static double agent__unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The HTTP server's own counters: what the gate turned away and how long requests fare. */
static void agent__http_metrics(struct hp_agent *a, struct hp_buf *out)
{
	struct hp_http_stats st;
	struct hp_label l;

	hp_http__stats(a->http, &st);
	const struct {
		const char *outcome;
		unsigned long long n;
	} gate[] = {
		{ "passed", st.gate_passed },
		{ "bad_request", st.gate_bad_request },
		{ "header_timeout", st.gate_header_timeout },
		{ "evicted", st.gate_evicted },
		{ "server_busy", st.gate_server_busy },
		{ "accept_failed", st.gate_accept_failures },
	};

	hp_prom__family(out, "hostprof_http_connections_total", HP_PROM_COUNTER,
			"Connections accepted, by outcome at the front door: passed to the server, "
			"or answered and closed (bad_request, header_timeout, evicted, "
			"server_busy), or accept() failed.");
	for (int i = 0; i < 6; i++) {
		l = (struct hp_label){ "outcome", gate[i].outcome };
		hp_prom__sample(out, "hostprof_http_connections_total", &l, 1, (double)gate[i].n);
	}
	hp_prom__family(out, "hostprof_http_connections_open", HP_PROM_GAUGE,
			"Connections the HTTP server is answering right now.");
	hp_prom__sample(out, "hostprof_http_connections_open", NULL, 0, (double)st.connections);
	hp_prom__family(out, "hostprof_http_long_requests_in_flight", HP_PROM_GAUGE,
			"Long-running requests (profiles being recorded or rendered) in progress.");
	hp_prom__sample(out, "hostprof_http_long_requests_in_flight", NULL, 0,
			(double)st.long_running);
	hp_prom__family(out, "hostprof_http_long_requests_rejected_total", HP_PROM_COUNTER,
			"Long-running requests answered 429 because the cap was reached.");
	hp_prom__sample(out, "hostprof_http_long_requests_rejected_total", NULL, 0,
			(double)st.long_rejected);
	hp_prom__family(out, "hostprof_http_long_requests_cancelled_total", HP_PROM_COUNTER,
			"Long-running requests stopped early because their client disconnected.");
	hp_prom__sample(out, "hostprof_http_long_requests_cancelled_total", NULL, 0,
			(double)st.long_cancelled);
	hp_http__render_security(&st, out);
}

/* hostprof_collector_up: 1 per running collector (reason ""), 0 with the reason per one that
 * did not start. */
static void agent__collector_up(struct hp_agent *a, struct hp_buf *out)
{
	struct hp_label l[2];

	hp_prom__family(out, "hostprof_collector_up", HP_PROM_GAUGE,
			"1 if the collector runs; 0 if it could not start on this node, with the "
			"reason (missing_feature, verifier, load, attach, open, error).");
	for (int i = 0; i < a->nstatus; i++) {
		l[0] = (struct hp_label){ "collector", a->status[i].name };
		l[1] =
		    (struct hp_label){ "reason", hp_collector_reason__name(a->status[i].reason) };
		hp_prom__sample(out, "hostprof_collector_up", l, 2,
				a->status[i].reason == HP_REASON_NONE ? 1 : 0);
	}
}

/* Which rows of struct hp_self_stats a self-metrics family shows (the stack rows: one series per
 * stack-capturing collector). */
enum self_rows {
	SELF_DROPS,
	SELF_MAP_ENTRIES,
	SELF_MAP_MAX,
	SELF_STACKS_TRUNCATED,
	SELF_STACK_EVICTIONS,
};

/* One self-metrics family: a series per (owner, drop reason), (owner, map) or, for the stack
 * rows, per owner that captures stacks; owners are the collectors and the shared services. */
static void agent__self_family(struct hp_buf *out, const char *name, enum hp_prom_type type,
			       const char *help, const char *const *owners,
			       const struct hp_self_stats *stats, int n, enum self_rows rows)
{
	struct hp_label l[2];

	hp_prom__family(out, name, type, help);
	for (int i = 0; i < n; i++) {
		const struct hp_self_stats *s = &stats[i];
		int items = rows == SELF_DROPS	   ? s->ndrops
			    : rows <= SELF_MAP_MAX ? s->nmaps
						   : s->has_stacks;

		l[0] = (struct hp_label){ "collector", owners[i] };
		for (int k = 0; k < items; k++) {
			double v;

			if (rows > SELF_MAP_MAX) { /* one series per collector */
				v = (double)(rows == SELF_STACKS_TRUNCATED ? s->stacks_truncated
									   : s->stack_evictions);
				hp_prom__sample(out, name, l, 1, v);
				continue;
			}
			if (rows == SELF_DROPS) {
				l[1] = (struct hp_label){ "reason", s->drops[k].reason };
				v = (double)s->drops[k].count;
			} else {
				l[1] = (struct hp_label){ "map", s->maps[k].name };
				v = (double)(rows == SELF_MAP_ENTRIES ? s->maps[k].entries
								      : s->maps[k].max_entries);
			}
			hp_prom__sample(out, name, l, 2, v);
		}
	}
}

/* The bound of the per-pod breakdowns (--pod-metrics, collectors/pod_series.h): one series per
 * collector that has one (summed over its breakdowns); no family at all without one. Pods
 * tracked for ranking are a bounded table, shown in hostprof_map_entries as map="pod_series". */
static void agent__pod_series_metrics(struct hp_buf *out, const char *const *owners,
				      const struct hp_self_stats *stats, int n)
{
	static const struct {
		const char *name, *help;
		enum hp_prom_type type;
	} fams[] = {
		{ "hostprof_pod_series",
		  "Pods holding a series of their own in the collector's "
		  "per-pod families (top K by recent time, --pod-top-k).",
		  HP_PROM_GAUGE },
		{ "hostprof_pod_series_folded_total",
		  "Per-pod deltas added to pod=\"other\" "
		  "because their pod had no series of its own (not in the top K, or beyond the "
		  "bound of pods tracked).",
		  HP_PROM_COUNTER },
		{ "hostprof_pod_series_demoted_total",
		  "Per-pod series that left the top K (what "
		  "they counted moved to pod=\"other\").",
		  HP_PROM_COUNTER },
	};
	struct hp_label l[1];
	bool any = false;

	for (int i = 0; i < n; i++)
		any |= stats[i].has_pod_series;
	for (size_t f = 0; any && f < sizeof(fams) / sizeof(fams[0]); f++) {
		hp_prom__family(out, fams[f].name, fams[f].type, fams[f].help);
		for (int i = 0; i < n; i++) {
			const struct hp_self_stats *s = &stats[i];

			if (!s->has_pod_series)
				continue;
			l[0] = (struct hp_label){ "collector", owners[i] };
			hp_prom__sample(out, fams[f].name, l, 1,
					(double)(f == 0	  ? s->pod_series
						 : f == 1 ? s->pod_series_folded
							  : s->pod_series_demoted));
		}
	}
}

static void agent__self_metrics(struct hp_agent *a, struct hp_buf *out, const double *durations)
{
	static const enum hp_feature feats[] = { HP_FEAT_BTF,	     HP_FEAT_TP_BTF,
						 HP_FEAT_RAW_TP,     HP_FEAT_TASK_STORAGE,
						 HP_FEAT_PERF_EVENT, HP_FEAT_RINGBUF,
						 HP_FEAT_FENTRY,     HP_FEAT_KPROBE };
	struct hp_self_stats stats[HP_MAX_COLLECTORS + 1] = { 0 };
	const char *owners[HP_MAX_COLLECTORS + 1];
	struct hp_label l[3];

	hp_prom__family(out, "hostprof_build_info", HP_PROM_GAUGE,
			"Always 1; labels carry the hostprof version and the libbpf it runs with.");
	l[0] = (struct hp_label){ "version", HOSTPROF_VERSION };
	l[1] = (struct hp_label){ "libbpf", libbpf_version_string() };
	hp_prom__sample(out, "hostprof_build_info", l, 2, 1);

	hp_prom__family(out, "hostprof_start_time_seconds", HP_PROM_GAUGE,
			"Unix time the agent started.");
	hp_prom__sample(out, "hostprof_start_time_seconds", NULL, 0, a->start_unix);

	hp_prom__family(out, "hostprof_kernel_feature_available", HP_PROM_GAUGE,
			"1 if the start-up probe found the kernel feature usable.");
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		l[0] = (struct hp_label){ "feature", hp_feature__name(feats[i]) };
		hp_prom__sample(out, "hostprof_kernel_feature_available", l, 1,
				(a->features.have & feats[i]) ? 1 : 0);
	}

	hp_prom__family(
	    out, "hostprof_collector_attach_info", HP_PROM_GAUGE,
	    "Always 1; the attach path each collector's programs use (tp_btf or raw_tp).");
	for (int i = 0; i < a->ncollectors; i++) {
		l[0] = (struct hp_label){ "collector", a->collectors[i].ops->name };
		l[1] = (struct hp_label){ "path", hp_attach_path__name(a->collectors[i].path) };
		hp_prom__sample(out, "hostprof_collector_attach_info", l, 2, 1);
	}

	agent__collector_up(a, out);

	for (int i = 0; i < a->ncollectors; i++) {
		struct hp_collector *c = &a->collectors[i];

		owners[i] = c->ops->name;
		pthread_mutex_lock(&c->lock);
		c->ops->self_stats(c, &stats[i]);
		hp_self_stats__add_drop(&stats[i], "bpf_program_recursion",
					hp_collector__recursion_misses(c));
		if (stats[i].has_pod_series)
			hp_self_stats__add_map(&stats[i], "pod_series", stats[i].pod_series_tracked,
					       stats[i].pod_series_max_pods);
		pthread_mutex_unlock(&c->lock);
	}
	owners[a->ncollectors] = AGENT_SERVICES_LABEL; /* the shared services' tables */
	hp_services__self_stats(&a->svc, &stats[a->ncollectors]);
	agent__self_family(out, "hostprof_events_dropped_total", HP_PROM_COUNTER,
			   "Events not counted, by collector and reason. Should stay 0.", owners,
			   stats, a->ncollectors + 1, SELF_DROPS);
	agent__self_family(out, "hostprof_map_entries", HP_PROM_GAUGE,
			   "Entries in use in each BPF map or bounded userspace table.", owners,
			   stats, a->ncollectors + 1, SELF_MAP_ENTRIES);
	agent__self_family(out, "hostprof_map_max_entries", HP_PROM_GAUGE,
			   "Capacity of each BPF map or bounded userspace table.", owners, stats,
			   a->ncollectors + 1, SELF_MAP_MAX);
	agent__self_family(out, "hostprof_stacks_truncated_total", HP_PROM_COUNTER,
			   "Events kept with a stack cut at the walk depth limit (127 frames), the "
			   "root side replaced by a [truncated] frame.",
			   owners, stats, a->ncollectors + 1, SELF_STACKS_TRUNCATED);
	agent__self_family(out, "hostprof_stack_table_evictions_total", HP_PROM_COUNTER,
			   "Stacks evicted from the bounded userspace stack table (kept across "
			   "drains for counts that arrive later); a count that needed one is a "
			   "stack_lost drop.",
			   owners, stats, a->ncollectors + 1, SELF_STACK_EVICTIONS);
	agent__pod_series_metrics(out, owners, stats, a->ncollectors);
	hp_prom__family(out, "hostprof_scrape_duration_seconds", HP_PROM_GAUGE,
			"Time the last render of /metrics (once per tick, shared by every scrape) "
			"spent reading and rendering each collector.");
	for (int i = 0; i < a->ncollectors; i++) {
		l[0] = (struct hp_label){ "collector", a->collectors[i].ops->name };
		hp_prom__sample(out, "hostprof_scrape_duration_seconds", l, 1, durations[i]);
	}
	agent__http_metrics(a, out);
	/* self-cost: the BPF programs' run time and the process's own resources */
	hp_bpf_stats__metrics(&a->bpf_stats, a->collectors, a->ncollectors, out);
	hp_process_metrics__render(out);
}

/*
 * Folds every collector's kernel maps (refresh with tick = true: the ticker's job) and renders the
 * whole /metrics page once, into the cache every scrape is served from. A collector that fails
 * to refresh turns the page into a 500 JSON error, as a scrape used to answer.
 */
static void agent__render(struct hp_agent *a)
{
	double durations[HP_MAX_COLLECTORS] = { 0 };
	double rendered_at = agent__unix_now();
	struct hp_response err = { .status = 200 };
	struct hp_buf body;

	hp_buf__init(&body);
	hp_buf__init(&err.body);
	hp_services__tick(&a->svc);
	for (int i = 0; i < a->ncollectors; i++) {
		struct hp_collector *c = &a->collectors[i];
		double t0 = hp_now();
		int rc;

		pthread_mutex_lock(&c->lock);
		rc = c->ops->refresh(c, true);
		if (!rc)
			c->ops->metrics(c, &body);
		pthread_mutex_unlock(&c->lock);
		durations[i] = hp_now() - t0;
		if (rc) {
			hp_warn("%s: refresh failed: %s", c->ops->name, strerror(-rc));
			if (err.status == 200)
				hp_response__error(&err, 500, "%s: reading kernel maps failed: %s",
						   c->ops->name, strerror(-rc));
		}
	}
	/* once per page, whatever the number of collectors using them */
	hp_services__metrics(&a->svc, &body);
	for (size_t i = 0; i < a->svc.profiles.n; i++) {
		struct hp_profile_source *src = a->svc.profiles.sources[i];

		pthread_mutex_lock(src->lock);
		hp_profile_store__metrics(src->store, src->kind, &body);
		pthread_mutex_unlock(src->lock);
	}
	agent__self_metrics(a, &body, durations);
	if (err.status != 200)
		hp_metrics_cache__publish(&a->metrics, &err.body, err.status, rendered_at);
	else if (hp_metrics_cache__publish(&a->metrics, &body, 200, rendered_at))
		hp_warn("/metrics: out of memory rendering the page; serving the previous one");
	else
		atomic_store(&a->first_page, true);
	hp_buf__free(&err.body);
	hp_buf__free(&body);
}

/* Serves the page of the last tick: no kernel map is read and nothing rendered per scrape. */
static void agent__metrics(const struct hp_route *route, const struct hp_request *req,
			   struct hp_response *resp)
{
	struct hp_agent *a = route->ctx;
	/* right after start-up the ticker may still be rendering the first page (the first CPU
	 * drain symbolizes every process on the host) */
	struct hp_metrics_page *p = hp_metrics_cache__wait(&a->metrics, AGENT_FIRST_PAGE_WAIT_S);
	bool gz;

	if (!p) {
		hp_response__error(resp, 503, "metrics not rendered yet; retry shortly");
		hp_response__header(resp, "Retry-After", "1");
		return;
	}
	gz = p->status == 200 && p->gz &&
	     hp_http__gzip_accepted(hp_request__header(req, "Accept-Encoding"));
	resp->status = p->status;
	resp->content_type = p->status == 200 ? HP_PROM_CONTENT_TYPE : "application/json";
	resp->ext_data = gz ? p->gz : p->plain;
	resp->ext_len = gz ? p->gz_len : p->plain_len;
	resp->ext_release = hp_metrics_page__put;
	resp->ext_cls = p;
	hp_response__header(resp, "Vary", "Accept-Encoding");
	if (gz)
		hp_response__header(resp, "Content-Encoding", "gzip");
	/* how fresh the page is (Unix seconds): at most one tick old */
	hp_response__header(resp, "X-Hostprof-Rendered-At", "%.3f", p->rendered_at);
}

/* {"syscalls": {"up": true, "reason": ""}, "cpu": {"up": false, "reason": "verifier"}} */
static cJSON *agent__collectors_json(const struct hp_agent *a)
{
	cJSON *all = cJSON_CreateObject();

	for (int i = 0; all && i < a->nstatus; i++) {
		cJSON *one = cJSON_AddObjectToObject(all, a->status[i].name);

		cJSON_AddBoolToObject(one, "up", a->status[i].reason == HP_REASON_NONE);
		cJSON_AddStringToObject(one, "reason",
					hp_collector_reason__name(a->status[i].reason));
	}
	return all;
}

/* Liveness: 200 while the agent serves, with which collectors run. */
static void agent__healthz(const struct hp_route *route, const struct hp_request *req,
			   struct hp_response *resp)
{
	struct hp_agent *a = route->ctx;
	cJSON *root = cJSON_CreateObject();

	(void)req;
	cJSON_AddStringToObject(root, "status", "ok");
	cJSON_AddItemToObject(root, "collectors", agent__collectors_json(a));
	hp_response__json(resp, root);
}

static bool agent__required(const struct hp_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nrequired; i++)
		if (strcmp(cfg->required[i], name) == 0)
			return true;
	return false;
}

/* Readiness: 200 once every collector asked for (--collectors) runs and the first /metrics page
 * is out; else 503 naming what is missing ("collector:cpu", "metrics_page"). A collector that
 * could not load keeps the pod unready, naming it, instead of crash-looping (--require is the
 * fatal variant); the agent still serves what runs. */
static void agent__readyz(const struct hp_route *route, const struct hp_request *req,
			  struct hp_response *resp)
{
	struct hp_agent *a = route->ctx;
	cJSON *root = cJSON_CreateObject(), *missing = cJSON_CreateArray();
	char what[64];

	(void)req;
	if (!root || !missing) {
		cJSON_Delete(root);
		cJSON_Delete(missing);
		hp_response__error(resp, 500, "out of memory");
		return;
	}
	for (int i = 0; i < a->nstatus; i++) {
		if (a->status[i].reason == HP_REASON_NONE)
			continue;
		snprintf(what, sizeof(what), "collector:%s", a->status[i].name);
		cJSON_AddItemToArray(missing, cJSON_CreateString(what));
	}
	if (!atomic_load(&a->first_page))
		cJSON_AddItemToArray(missing, cJSON_CreateString("metrics_page"));
	cJSON_AddStringToObject(root, "status",
				cJSON_GetArraySize(missing) ? "not_ready" : "ready");
	cJSON_AddItemToObject(root, "missing", missing);
	cJSON_AddItemToObject(root, "collectors", agent__collectors_json(a));
	resp->status = cJSON_GetArraySize(missing) ? 503 : 200;
	hp_response__json(resp, root);
	if (resp->status == 503)
		hp_response__header(resp, "Retry-After", "1");
}

static void agent__landing(const struct hp_route *route, const struct hp_request *req,
			   struct hp_response *resp)
{
	struct hp_agent *a = route->ctx;
	struct hp_landing_collector cols[HP_MAX_COLLECTORS];

	(void)req;
	for (int i = 0; i < a->nstatus; i++)
		cols[i] =
		    (struct hp_landing_collector){ a->status[i].name,
						   hp_collector_reason__name(a->status[i].reason) };
	resp->content_type = "text/html; charset=utf-8";
	hp_landing__render(&resp->body, a->tables, a->ntables, cols, a->nstatus);
}

static void *agent__tick(void *arg)
{
	struct hp_agent *a = arg;
	struct timespec deadline;

	agent__render(a); /* the first page at once, not a tick later */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	pthread_mutex_lock(&a->stop_lock);
	while (!a->stopping) {
		hp_timespec__add(&deadline, a->cfg->tick_seconds); /* no drift: from the last one */
		if (pthread_cond_timedwait(&a->stop_cond, &a->stop_lock, &deadline) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&a->stop_lock);
		agent__render(a);
		pthread_mutex_lock(&a->stop_lock);
	}
	pthread_mutex_unlock(&a->stop_lock);
	return NULL;
}

static const char *const no_params[] = { NULL };

/* The agent's own endpoints; copied into each agent (ctx filled in), never written. */
static const struct hp_route agent_routes[] = {
	{ "/", no_params, agent__landing, NULL, "this page", false },
	{ "/metrics", no_params, agent__metrics, NULL, "Prometheus metrics (text format 0.0.4)",
	  false },
	{ "/healthz", no_params, agent__healthz, NULL,
	  "liveness: 200 {\"status\": \"ok\"} while serving, and which collectors run", false },
	{ "/readyz", no_params, agent__readyz, NULL,
	  "readiness: 200 once every --require'd collector runs and /metrics is rendered, "
	  "else 503 naming what is missing",
	  false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};

static int agent__routes(struct hp_agent *a)
{
	_Static_assert(sizeof(a->own) == sizeof(agent_routes), "agent routes copy");
	memcpy(a->own, agent_routes, sizeof(agent_routes));
	for (struct hp_route *r = a->own; r->path; r++)
		r->ctx = a;
	a->tables[a->ntables++] = a->own;
	for (int i = 0; i < a->ncollectors; i++) {
		const struct hp_route *src = a->collectors[i].ops->routes;
		size_t n = 0;

		while (src && src[n].path)
			n++;
		a->routes[i] = calloc(n + 1, sizeof(struct hp_route));
		if (!a->routes[i])
			return -ENOMEM;
		for (size_t k = 0; k < n; k++) {
			a->routes[i][k] = src[k];
			a->routes[i][k].ctx = &a->collectors[i];
		}
		a->tables[a->ntables++] = a->routes[i];
	}
	/* the sources registered by the collectors just started */
	if (hp_profile_api__init(&a->profile_api, &a->svc.profiles))
		return -ENOMEM;
	a->tables[a->ntables++] = a->profile_api.routes;
	return 0;
}

/*
 * Starts each collector of --collectors (ops_of, in that order) into a->collectors; one that
 * cannot start is logged in one line and left down (a->status) while the others run. 0, or -1
 * with the fatal line in fatal (size bytes) when a --require'd collector is down or none runs.
 */
static int agent__start_collectors(struct hp_agent *a, const struct hp_collector_ops *const *ops_of,
				   char *fatal, size_t size)
{
	const struct hp_config *cfg = a->cfg;
	char first[sizeof(((struct hp_collector_failure *)0)->line)] = "";

	for (int i = 0; i < cfg->ncollectors; i++) {
		struct agent_status *st = &a->status[a->nstatus++];
		struct hp_collector_failure why;
		int err;

		st->name = ops_of[i]->name;
		err = hp_collector__start(&a->collectors[a->ncollectors], ops_of[i], cfg,
					  &a->features, &a->svc, &why);
		if (!err) {
			st->reason = HP_REASON_NONE;
			a->ncollectors++;
			continue;
		}
		st->reason = why.reason;
		if (agent__required(cfg, st->name)) {
			snprintf(fatal, size, "required %s", why.line);
			return -1;
		}
		hp_warn("%s", why.line);
		if (!first[0])
			snprintf(first, sizeof(first), "%s", why.line);
	}
	if (a->ncollectors == 0) {
		snprintf(fatal, size, "no collector could start: %s%s", first,
			 a->nstatus > 1 ? " (the others failed too: see -v)" : "");
		return -1;
	}
	return 0;
}

static void agent__stop_ticker(struct hp_agent *a)
{
	if (!a->ticker_running)
		return;
	pthread_mutex_lock(&a->stop_lock);
	a->stopping = true;
	pthread_cond_signal(&a->stop_cond);
	pthread_mutex_unlock(&a->stop_lock);
	pthread_join(a->ticker, NULL);
	a->ticker_running = false;
}

static void agent__teardown(struct hp_agent *a)
{
	agent__stop_ticker(a);
	for (int i = a->ncollectors - 1; i >= 0; i--) {
		const char *name = a->collectors[i].ops->name;

		hp_collector__stop(&a->collectors[i]);
		hp_info("%s: links detached, BPF object closed", name);
	}
	for (int i = 0; i < HP_MAX_COLLECTORS; i++)
		free(a->routes[i]);
	hp_profile_api__free(&a->profile_api);
	if (a->svc_ready)
		hp_services__free(&a->svc);
	pthread_cond_destroy(&a->stop_cond);
	pthread_mutex_destroy(&a->stop_lock);
	hp_metrics_cache__free(&a->metrics);
}

static int agent__start_ticker(struct hp_agent *a)
{
	if (pthread_create(&a->ticker, NULL, agent__tick, a))
		return -errno;
	a->ticker_running = true;
	return 0;
}

int hp_agent__run(const struct hp_config *cfg)
{
	struct hp_agent a = { .cfg = cfg, .bpf_stats = { .fd = -1 } };
	const struct hp_collector_ops *ops_of[HP_MAX_COLLECTORS]; /* cfg->collectors[i] */
	struct hp_http *http = NULL;
	unsigned int common_needs = ~0u; /* what every collector of --collectors needs */
	char fatal[1024] = "";
	bool holding = false;
	sigset_t stop;
	int sig = 0, rc = 1, listen_fd;

	/* Block stop signals before any thread exists so only sigwait() below receives them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	pthread_mutex_init(&a.stop_lock, NULL);
	hp_cond__init_monotonic(&a.stop_cond); /* the ticker's deadlines */
	hp_metrics_cache__init(&a.metrics);
	a.start_unix = (double)time(NULL);

	/* The port first: a taken one fails in milliseconds, before any BPF program is loaded. */
	listen_fd = hp_http__listen(cfg->listen);
	if (listen_fd < 0)
		goto out;

	/* Requirements first, so a host that cannot run us gets exactly one actionable line: what
	 * every collector needs (privileges, BTF); a feature only some need leaves those down. */
	hp_probe__run(&a.features, cfg->btf_path);
	for (int i = 0; i < cfg->ncollectors; i++) {
		ops_of[i] = hp_collectors__find(cfg->collectors[i]);
		common_needs &= ops_of[i]->needs;
	}
	if (hp_probe__require(&a.features, common_needs | HP_FEAT_PRIV, "hostprof"))
		goto out;
	/* until start-up ends: a fatal collector failure prints its one line alone */
	hp_log__hold();
	holding = true;
	hp_info("hostprof %s starting (libbpf %s)", HOSTPROF_VERSION, libbpf_version_string());
	hp_probe__log(&a.features);
	if (hp_services__init(&a.svc, &(struct hp_services_opts){
					  .symbol_cache_bytes = (size_t)cfg->symbol_cache_mb << 20,
					  .perf_map_max_bytes = (size_t)cfg->perf_map_max_mb << 20,
					  .kubelet_pods_dir = cfg->kubelet_pods_dir,
					  .sample_hz = hp_collectors__stack_rate(
					      ops_of, (size_t)cfg->ncollectors, cfg) })) {
		fprintf(stderr, "hostprof: out of memory creating the symbolizer\n");
		goto out;
	}
	a.svc_ready = true;
	hp_bpf_stats__enable(&a.bpf_stats); /* before the programs load: all their runs count */
	if (agent__start_collectors(&a, ops_of, fatal, sizeof(fatal)))
		goto out; /* the line goes out last, after the teardown */
	if (agent__routes(&a))
		goto out;
	http = hp_http__start(
	    listen_fd,
	    &(struct hp_http_opts){ .listen = cfg->listen,
				    .auth_token_file = cfg->auth_token_file,
				    .tls_cert = cfg->tls_cert,
				    .tls_key = cfg->tls_key,
				    .max_long = cfg->http_max_profiles,
				    .max_profile_seconds = cfg->max_profile_seconds },
	    a.tables, a.ntables);
	listen_fd = -1; /* taken over */
	if (!http)
		goto out;
	a.http = http;
	if (agent__start_ticker(&a))
		goto out;
	hp_log__release(true);
	holding = false;

	if (sigwait(&stop, &sig) == 0)
		hp_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	if (listen_fd >= 0)
		close(listen_fd);
	/* requests recording a profile stop waiting, so the HTTP server can stop */
	hp_profile_registry__shutdown(&a.svc.profiles);
	for (int i = 0; i < a.ncollectors; i++)
		if (a.collectors[i].ops->shutdown)
			a.collectors[i].ops->shutdown(&a.collectors[i]);
	agent__stop_ticker(&a); /* it reads the HTTP server's counters for /metrics */
	hp_http__stop(http);
	agent__teardown(&a);
	hp_bpf_stats__disable(&a.bpf_stats); /* statistics stop with hostprof */
	/* a fatal collector failure: its one line alone (-v: after the log, the verifier's
	 * included, that explains it); any other start-up failure: the log that says why */
	if (holding)
		hp_log__release(!fatal[0] || cfg->verbose);
	if (fatal[0])
		fprintf(stderr, "hostprof: %s\n", fatal);
	if (rc == 0)
		hp_info("all programs detached, bye");
	return rc;
}
