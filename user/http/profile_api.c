// SPDX-License-Identifier: GPL-2.0-only
/* The profile endpoints of every registered profile source (stores/profile_source.h), without
 * knowing its collector: /api/v1/profile/<kind> (any format, past or future window), the kind's
 * Go-style endpoint (/debug/pprof/profile for cpu) and /flamegraph?kind=. Requests share the
 * running collector: a future window subscribes to its drains, a past one merges segments. */
#include "profile_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/params.h"
#include "export/export.h"
#include "meta/pod_filter.h"
#include "profile/profile_wakers.h"
#include "profile_view_api.h"

/* A request recording a profile looks this often whether its client is still there. */
#define API_GONE_POLL_S 0.2

#define API_PREFIX "/api/v1/profile/"

struct profile_query {
	double seconds; /* > 0: record from now on */
	double since;	/* > 0: look back */
	int format;
	unsigned long long pid;
	const char *comm;
	enum hp_state_filter state;
	struct hp_pod_filter pods; /* namespace=, pod=, container= (exact) */
	bool waker;		   /* keep the waker part of stacks (waker=1) */
	struct hp_export_opts opts;
};

/* namespace=, pod=, container=: exact values of the pod labels (meta/pod_filter.h). 0, or -1 with
 * resp set to a 400 naming the parameter. */
static int api__parse_pod_filters(const struct hp_request *req, struct hp_response *resp,
				  struct profile_query *q)
{
	for (const char *const *name = hp_pod_filter_names; *name; name++) {
		const char *v = hp_request__param(req, *name);
		char err[128];

		if (v && hp_pod_filter__set(&q->pods, *name, v, err, sizeof(err))) {
			hp_response__error(resp, 400, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* state=blocked|runnable|all: default blocked for kinds whose samples have states, and for
 * other kinds checked but ignored; waker=0|1 (default 0). 0, or -1 with resp set to a 400. */
static int api__parse_view(const struct hp_request *req, struct hp_response *resp,
			   const struct hp_profile_kind *kind, struct profile_query *q)
{
	const char *state = hp_request__param(req, "state");
	const char *waker = hp_request__param(req, "waker");
	int f = HP_STATE_BLOCKED;

	if (state) {
		f = hp_state_filter__parse(state);
		if (f < 0) {
			hp_response__error(
			    resp, 400, "invalid state '%s': want " HP_STATE_FILTER_NAMES, state);
			return -1;
		}
	}
	q->state = kind->has_state ? (enum hp_state_filter)f : HP_STATE_ALL;
	if (waker && strcmp(waker, "0") != 0 && strcmp(waker, "1") != 0) {
		hp_response__error(resp, 400, "invalid waker '%s': want 0 or 1", waker);
		return -1;
	}
	q->waker = waker && strcmp(waker, "1") == 0;
	return 0;
}

static int api__parse(const struct hp_request *req, struct hp_response *resp, double retention,
		      const struct hp_profile_kind *kind, int default_format, double default_since,
		      struct profile_query *q)
{
	const char *seconds = hp_request__param(req, "seconds");
	const char *since = hp_request__param(req, "since");
	const char *format = hp_request__param(req, "format");
	const char *pid = hp_request__param(req, "pid");
	const char *group_by = hp_request__param(req, "group_by");

	memset(q, 0, sizeof(*q));
	q->format = default_format;
	q->comm = hp_request__param(req, "comm");
	if (seconds && since) {
		hp_response__error(resp, 400,
				   "give either seconds (record from now) or since (look "
				   "back), not both");
		return -1;
	}
	/* Go's net/http/pprof takes whole seconds; fractions and units are accepted too. */
	/* at least one second: samples reach userspace once per drain (1 s) */
	if (seconds) {
		int err = hp_params__duration(seconds, false, req->max_seconds, &q->seconds);

		if (err == -ERANGE) {
			hp_response__error(resp, 400,
					   "seconds=%s exceeds the cap of %.0f s "
					   "(--max-profile-seconds)",
					   seconds, req->max_seconds);
			return -1;
		}
		if (err || q->seconds < 1) {
			hp_response__error(resp, 400, "invalid seconds '%s': want 1..%.0f", seconds,
					   req->max_seconds);
			return -1;
		}
	}
	if (hp_request__lookback(req, resp, "since", retention, &q->since) < 0)
		return -1;
	if (!seconds && !since) {
		if (default_since > 0)
			q->since = default_since < retention ? default_since : retention;
		else
			q->seconds =
			    req->max_seconds < 30 ? req->max_seconds : 30; /* pprof's, capped */
	}
	if (format) {
		q->format = hp_export__parse_format(format);
		if (q->format < 0) {
			hp_response__error(resp, 400,
					   "invalid format '%s': want folded, pprof, "
					   "speedscope, json or html",
					   format);
			return -1;
		}
	}
	if (pid && hp_params__uint(pid, 1, 4194304, &q->pid)) {
		hp_response__error(resp, 400, "invalid pid '%s'", pid);
		return -1;
	}
	if (group_by) {
		int by = hp_group_by__parse(group_by);

		if (by < 0) {
			hp_response__error(
			    resp, 400, "invalid group_by '%s': want " HP_GROUP_BY_NAMES, group_by);
			return -1;
		}
		q->opts.group_by = (enum hp_group_by)by;
	}
	if (api__parse_pod_filters(req, resp, q))
		return -1;
	return api__parse_view(req, resp, kind, q);
}

/* Fills p with the samples of the query's window. Returns an HTTP status (200 on success). */
static unsigned int api__collect(struct hp_profile_source *src, const struct hp_request *req,
				 const struct profile_query *q, struct hp_profile *p,
				 struct hp_response *resp)
{
	unsigned int status = 200;
	double covered = 0, t0;
	int err;

	pthread_mutex_lock(src->lock);
	if (src->stopping) {
		status = 503;
		hp_response__error(resp, status, "hostprof is shutting down");
		goto out;
	}
	t0 = hp_now();
	err = src->drain(src, t0); /* what was sampled before the request belongs to the past */
	if (err) {
		status = 500;
		hp_response__error(resp, status, "draining samples failed: %s", strerror(-err));
		goto out;
	}
	if (q->since > 0) {
		err = hp_profile_store__since(src->store, q->since, t0, p, &covered);
	} else {
		double end = t0 + q->seconds;
		bool gone = false;

		hp_profile_store__init_profile(src->store, p);
		err = hp_profile_store__subscribe(src->store, p);
		if (err) {
			status = 503;
			hp_response__error(resp, status,
					   "too many profiles being recorded at once");
			goto out;
		}
		/* wait in short slices: a client that went away stops the recording (its
		 * subscription and HTTP thread are freed within API_GONE_POLL_S) */
		while (!src->stopping && !gone) {
			double now = hp_now();
			struct timespec deadline;

			if (now >= end)
				break;
			hp_timespec__in(&deadline,
					end - now < API_GONE_POLL_S ? end - now : API_GONE_POLL_S);
			pthread_cond_timedwait(&src->wake, src->lock, &deadline);
			gone = hp_request__gone(req);
		}
		if (gone) {
			hp_profile_store__unsubscribe(src->store, p);
			status = 499; /* never sent: the HTTP layer closes the connection */
			hp_response__error(resp, status, "client closed the connection");
			goto out;
		}
		err = src->drain(src, hp_now());
		hp_profile_store__unsubscribe(src->store, p);
		covered = hp_now() - t0;
		if (src->stopping) {
			status = 503;
			hp_response__error(resp, status, "hostprof is shutting down");
			goto out;
		}
	}
	if (err) {
		status = 500;
		hp_response__error(resp, status, "collecting samples failed: %s", strerror(-err));
		goto out;
	}
	hp_profile_store__stamp(p, covered);
out:
	pthread_mutex_unlock(src->lock);
	return status;
}

/* Filters p by the query, renders it into resp and frees it. */
static void api__render(struct hp_profile *p, const struct profile_query *q,
			struct hp_response *resp)
{
	int err;

	if (q->pid || q->comm)
		hp_profile__filter(p, (uint32_t)q->pid, q->comm);
	hp_profile__filter_workload(p, hp_pod_filter__value(&q->pods, "namespace"),
				    hp_pod_filter__value(&q->pods, "pod"),
				    hp_pod_filter__value(&q->pods, "container"));
	hp_profile__filter_state(p, q->state);
	err = q->waker ? 0 : hp_profile__strip_wakers(p);
	if (err) {
		hp_profile__free(p);
		hp_response__error(resp, 500, "removing waker stacks failed: %s", strerror(-err));
		return;
	}
	hp_buf__reset(&resp->body);
	err = hp_export__render(p, (enum hp_export_format)q->format, &q->opts, &resp->body);
	hp_profile__free(p);
	if (err) {
		hp_buf__free(&resp->body);
		hp_response__error(resp, 500, "rendering the profile failed: %s", strerror(-err));
		return;
	}
	resp->status = 200;
	resp->content_type = hp_export__content_type((enum hp_export_format)q->format);
}

static void api__serve(struct hp_profile_source *src, const struct hp_request *req,
		       struct hp_response *resp, int default_format, double default_since)
{
	struct hp_profile p;
	struct profile_query q;
	unsigned int status;
	double retention;

	pthread_mutex_lock(src->lock);
	retention = hp_profile_store__retention(src->store);
	pthread_mutex_unlock(src->lock);
	if (api__parse(req, resp, retention, src->store->kind, default_format, default_since, &q))
		return;
	memset(&p, 0, sizeof(p));
	status = api__collect(src, req, &q, &p, resp);
	if (status != 200) {
		hp_profile__free(&p);
		return;
	}
	api__render(&p, &q, resp);
}

/* A view (stores/profile_view.h) served like a kind, with the same parameters and formats: 400
 * without pid= when the view needs one, 503 naming the parts whose collector is not running. */
static void api__serve_view(const struct hp_profile_registry *reg,
			    const struct hp_profile_view *view, const struct hp_request *req,
			    struct hp_response *resp, int default_format, double default_since)
{
	struct hp_profile_source *srcs[HP_VIEW_PARTS_MAX];
	struct hp_profile p;
	struct profile_query q;
	char why[512];
	int err = hp_profile_view__resolve(view, reg, srcs, why, sizeof(why));

	if (err) {
		hp_response__error(resp, err == -ENOENT ? 503 : 500, "%s", why);
		return;
	}
	if (api__parse(req, resp, hp_profile_view__retention(view, srcs), view->kind,
		       default_format, default_since, &q))
		return;
	if (view->needs_pid && !q.pid) {
		hp_response__error(resp, 400,
				   "the %s view describes one process: give pid= (a host-wide "
				   "%s profile would sum every thread of every process)",
				   view->kind->name, view->kind->name);
		return;
	}
	if (hp_profile_view_api__collect(view, srcs, req, q.seconds, q.since, (uint32_t)q.pid, &p,
					 resp) == 200)
		api__render(&p, &q, resp);
}

struct hp_profile_source *hp_profile_api__lookup(const struct hp_profile_registry *reg,
						 const char *kind, unsigned int status,
						 struct hp_response *resp)
{
	struct hp_profile_source *src = hp_profile_registry__find(reg, kind);
	char known[256];

	if (!src)
		hp_response__error(resp, status, "unknown profile kind '%s' (known kinds: %s)",
				   kind, hp_profile_registry__kinds(reg, known, sizeof(known)));
	return src;
}

const char *hp_profile_api__kind_of(const char *path)
{
	return strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0 ? path + strlen(API_PREFIX)
								  : NULL;
}

/* The Go-style endpoint of one kind (route->ctx: its source). */
static void api__go(const struct hp_route *route, const struct hp_request *req,
		    struct hp_response *resp)
{
	api__serve(route->ctx, req, resp, HP_EXPORT_PPROF, 0);
}

/* /api/v1/profile/<kind> of a registered kind (route->ctx: its source). */
static void api__profile(const struct hp_route *route, const struct hp_request *req,
			 struct hp_response *resp)
{
	api__serve(route->ctx, req, resp, HP_EXPORT_JSON, 0);
}

/* /api/v1/profile/<anything else> (route->ctx: the api): 404 naming the kinds there are. The
 * kind is looked up before any parameter is read. */
static void api__any_kind(const struct hp_route *route, const struct hp_request *req,
			  struct hp_response *resp)
{
	const struct hp_profile_api *api = route->ctx;
	const char *kind = hp_profile_api__kind_of(req->path);
	const struct hp_profile_view *view = hp_profile_views__find(kind);
	struct hp_profile_source *src;

	if (view) {
		api__serve_view(api->reg, view, req, resp, HP_EXPORT_JSON, 0);
		return;
	}
	src = hp_profile_api__lookup(api->reg, kind ? kind : "", 404, resp);
	if (src)
		api__serve(src, req, resp, HP_EXPORT_JSON, 0);
}

static void api__flamegraph(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp)
{
	const struct hp_profile_api *api = route->ctx;
	const char *kind = hp_request__param(req, "kind");
	const struct hp_profile_view *view = hp_profile_views__find(kind);
	struct hp_profile_source *src;

	if (view) {
		api__serve_view(api->reg, view, req, resp, HP_EXPORT_HTML, 60);
		return;
	}
	/* the path exists; a kind no collector produces is a bad parameter */
	src = hp_profile_api__lookup(api->reg, kind ? kind : "cpu", 400, resp);
	if (src)
		api__serve(src, req, resp, HP_EXPORT_HTML, 60);
}

static const char *const go_params[] = { "seconds", "state",	 "waker", "namespace",
					 "pod",	    "container", NULL };
static const char *const profile_params[] = { "seconds",   "since",    "format",    "pid",
					      "comm",	   "group_by", "state",	    "waker",
					      "namespace", "pod",      "container", NULL };
static const char *const flamegraph_params[] = { "seconds", "since",	 "format", "pid",
						 "comm",    "group_by",	 "state",  "waker",
						 "kind",    "namespace", "pod",	   "container",
						 NULL };

/* A route whose path and summary are owned by api->strings. */
static int api__add(struct hp_profile_api *api, size_t *n, hp_route_fn fn, void *ctx,
		    const char *const *params, char *path, char *summary)
{
	if (!path || !summary) {
		free(path);
		free(summary);
		return -ENOMEM;
	}
	api->strings[api->nstrings++] = path;
	api->strings[api->nstrings++] = summary;
	api->routes[(*n)++] = (struct hp_route){ path, params, fn, ctx, summary, true };
	return 0;
}

static char *api__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *api__printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int hp_profile_api__init(struct hp_profile_api *api, const struct hp_profile_registry *reg)
{
	/* per source: its /api/v1/profile/<kind> and Go-style path; then /flamegraph, the
	 * catch-all and the terminator */
	size_t cap = 2 * reg->n + 3, n = 0;
	int err = 0;

	for (size_t i = 0; hp_profile_views_all[i]; i++)
		cap++; /* and each view's /api/v1/profile/<view> */

	memset(api, 0, sizeof(*api));
	api->reg = reg;
	api->routes = calloc(cap, sizeof(*api->routes));
	api->strings = calloc(2 * cap, sizeof(*api->strings));
	if (!api->routes || !api->strings) {
		hp_profile_api__free(api);
		return -ENOMEM;
	}
	for (size_t i = 0; i < reg->n && !err; i++) {
		struct hp_profile_source *src = reg->sources[i];

		err = api__add(
		    api, &n, api__profile, src, profile_params,
		    api__printf(API_PREFIX "%s", src->kind),
		    api__printf("%s profile: ?seconds=N (from now) or ?since=5m (past), "
				"&format=folded|pprof|speedscope|json|html, &pid=, &comm=, "
				"&namespace=, &pod=, &container=, "
				"&group_by=process|pid|thread|cgroup|pod|container, "
				"&state=blocked|runnable|all, &waker=0|1",
				src->title));
		if (!err && src->go_path)
			err = api__add(api, &n, api__go, src, go_params,
				       api__printf("%s", src->go_path),
				       api__printf("%s profile in pprof format, like Go's "
						   "net/http/pprof (?seconds=30)",
						   src->title));
	}
	if (!err && reg->n) /* no page to advertise without a profile source */
		err = api__add(api, &n, api__flamegraph, api, flamegraph_params,
			       api__printf("/flamegraph"),
			       api__printf("interactive flame graph of the last minute (same "
					   "parameters as the profiles, &kind=%s)",
					   reg->n ? reg->sources[0]->kind : "cpu"));
	/* views whose parts are all registered (the catch-all serves the others: a 503) */
	for (size_t i = 0; !err && hp_profile_views_all[i]; i++) {
		const struct hp_profile_view *view = hp_profile_views_all[i];
		struct hp_profile_source *srcs[HP_VIEW_PARTS_MAX];
		char why[256];

		if (hp_profile_view__resolve(view, reg, srcs, why, sizeof(why)) == 0)
			err = api__add(api, &n, api__any_kind, api, profile_params,
				       api__printf(API_PREFIX "%s", view->kind->name),
				       api__printf("%s view of one process: ?pid= (required), "
						   "then as any profile",
						   view->kind->title));
	}
	if (!err)
		err = api__add(api, &n, api__any_kind, api, profile_params,
			       api__printf(API_PREFIX "*"),
			       api__printf("any other profile kind: 404 naming the known ones"));
	if (err)
		hp_profile_api__free(api);
	return err;
}

void hp_profile_api__free(struct hp_profile_api *api)
{
	for (size_t i = 0; api->strings && i < api->nstrings; i++)
		free(api->strings[i]);
	free(api->strings);
	free(api->routes);
	memset(api, 0, sizeof(*api));
}
