// SPDX-License-Identifier: GPL-2.0-only
/* HTTP endpoints of the CPU collector: Go-compatible /debug/pprof/profile, the general
 * /api/v1/profile/cpu (any format, past or future window) and the /flamegraph page. Requests share
 * the running collector: a future window subscribes to its drains, a past one merges segments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/collector.h"
#include "collector_cpu.h"
#include "export/export.h"
#include "base/params.h"

#define API_MAX_SECONDS 3600.0
/* A request recording a profile looks this often whether its client is still there. */
#define API_GONE_POLL_S 0.2

struct cpu_query {
	double seconds; /* > 0: record from now on */
	double since;	/* > 0: look back */
	int format;
	unsigned long long pid;
	const char *comm;
	struct hp_export_opts opts;
};

static int api__parse(const struct hp_request *req, struct hp_response *resp, double retention,
		      int default_format, double default_since, struct cpu_query *q)
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
	if (seconds &&
	    (hp_params__duration(seconds, false, API_MAX_SECONDS, &q->seconds) || q->seconds < 1)) {
		hp_response__error(resp, 400, "invalid seconds '%s': want 1..%.0f", seconds,
				   API_MAX_SECONDS);
		return -1;
	}
	if (since) {
		int err = hp_params__duration(since, false, retention, &q->since);

		if (err == -ERANGE) {
			hp_response__error(resp, 400, "since=%s exceeds the retention of %.0f s",
					   since, retention);
			return -1;
		}
		if (err) {
			hp_response__error(
			    resp, 400, "invalid since '%s': want a duration like 30s or 5m", since);
			return -1;
		}
	}
	if (!seconds && !since) {
		if (default_since > 0)
			q->since = default_since < retention ? default_since : retention;
		else
			q->seconds = 30; /* net/http/pprof's default */
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
	return 0;
}

/* Fills p with the samples of the query's window. Returns an HTTP status (200 on success). */
static unsigned int api__collect(struct hp_collector *c, const struct hp_request *req,
				 const struct cpu_query *q, struct hp_profile *p,
				 struct hp_response *resp)
{
	struct cpu_state *s = c->priv;
	unsigned int status = 200;
	double covered = 0, t0;
	int err;

	pthread_mutex_lock(&c->lock);
	if (s->stopping) {
		status = 503;
		hp_response__error(resp, status, "hostprof is shutting down");
		goto out;
	}
	t0 = hp_now();
	err = hp_cpu__drain(s, t0); /* what was sampled before the request belongs to the past */
	if (err) {
		status = 500;
		hp_response__error(resp, status, "draining samples failed: %s", strerror(-err));
		goto out;
	}
	if (q->since > 0) {
		err = hp_cpu_store__since(&s->store, q->since, t0, p, &covered);
	} else {
		double end = t0 + q->seconds;
		bool gone = false;

		hp_profile__init(p, s->store.kind, s->store.period);
		err = hp_cpu_store__subscribe(&s->store, p);
		if (err) {
			status = 503;
			hp_response__error(resp, status,
					   "too many profiles being recorded at once");
			goto out;
		}
		/* wait in short slices: a client that went away stops the recording (its
		 * subscription and HTTP thread are freed within API_GONE_POLL_S) */
		while (!s->stopping && !gone) {
			double now = hp_now();
			struct timespec deadline;

			if (now >= end)
				break;
			hp_timespec__in(&deadline,
					end - now < API_GONE_POLL_S ? end - now : API_GONE_POLL_S);
			pthread_cond_timedwait(&s->wake, &c->lock, &deadline);
			gone = hp_request__gone(req);
		}
		if (gone) {
			hp_cpu_store__unsubscribe(&s->store, p);
			status = 499; /* never sent: the HTTP layer closes the connection */
			hp_response__error(resp, status, "client closed the connection");
			goto out;
		}
		err = hp_cpu__drain(s, hp_now());
		hp_cpu_store__unsubscribe(&s->store, p);
		covered = hp_now() - t0;
		if (s->stopping) {
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
	hp_cpu_store__stamp(p, covered);
out:
	pthread_mutex_unlock(&c->lock);
	return status;
}

static void api__serve(const struct hp_route *route, const struct hp_request *req,
		       struct hp_response *resp, int default_format, double default_since)
{
	struct hp_collector *c = route->ctx;
	struct cpu_state *s = c->priv;
	struct hp_profile p;
	struct cpu_query q;
	unsigned int status;
	double retention;
	int err;

	pthread_mutex_lock(&c->lock);
	retention = hp_cpu_store__retention(&s->store);
	pthread_mutex_unlock(&c->lock);
	if (api__parse(req, resp, retention, default_format, default_since, &q))
		return;
	memset(&p, 0, sizeof(p));
	status = api__collect(c, req, &q, &p, resp);
	if (status != 200) {
		hp_profile__free(&p);
		return;
	}
	if (q.pid || q.comm)
		hp_profile__filter(&p, (uint32_t)q.pid, q.comm);
	hp_buf__reset(&resp->body);
	err = hp_export__render(&p, (enum hp_export_format)q.format, &q.opts, &resp->body);
	hp_profile__free(&p);
	if (err) {
		hp_buf__free(&resp->body);
		hp_response__error(resp, 500, "rendering the profile failed: %s", strerror(-err));
		return;
	}
	resp->status = 200;
	resp->content_type = hp_export__content_type((enum hp_export_format)q.format);
}

static void api__pprof(const struct hp_route *route, const struct hp_request *req,
		       struct hp_response *resp)
{
	api__serve(route, req, resp, HP_EXPORT_PPROF, 0);
}

static void api__profile(const struct hp_route *route, const struct hp_request *req,
			 struct hp_response *resp)
{
	api__serve(route, req, resp, HP_EXPORT_JSON, 0);
}

static void api__flamegraph(const struct hp_route *route, const struct hp_request *req,
			    struct hp_response *resp)
{
	api__serve(route, req, resp, HP_EXPORT_HTML, 60);
}

static const char *const pprof_params[] = { "seconds", NULL };
static const char *const profile_params[] = { "seconds", "since",    "format", "pid",
					      "comm",	 "group_by", NULL };

const struct hp_route hp_cpu_routes[] = {
	{ "/debug/pprof/profile", pprof_params, api__pprof, NULL,
	  "CPU profile in pprof format, like Go's net/http/pprof (?seconds=30)", true },
	{ "/api/v1/profile/cpu", profile_params, api__profile, NULL,
	  "CPU profile: ?seconds=N (from now) or ?since=5m (past), "
	  "&format=folded|pprof|speedscope|json|html, &pid=, &comm=, "
	  "&group_by=process|pid|thread|cgroup",
	  true },
	{ "/flamegraph", profile_params, api__flamegraph, NULL,
	  "interactive flame graph of the last minute (same parameters)", true },
	{ NULL, NULL, NULL, NULL, NULL, false },
};
