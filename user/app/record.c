// SPDX-License-Identifier: GPL-2.0-only
/* "hostprof record" (see record.h). It drives the collector that produces the profile kind asked
 * for (--profile, default cpu) through its profile source, as the agent's HTTP endpoints do,
 * without HTTP: one subscriber profile fed by a drain every second. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/probe.h"
#include "collectors/services.h"
#include "export/export.h"
#include "profile/profile_wakers.h"
#include "stores/profile_source.h"
#include "stores/profile_view.h"
#include "profile_summary.h"
#include "target_pid.h"

/* "-o -" writes to standard output, folded unless --format says otherwise (the form that
 * flamegraph.pl and most pipes want). */
static bool record__to_stdout(const struct hp_config *cfg)
{
	return strcmp(cfg->output, "-") == 0;
}

static const char *record__where(const struct hp_config *cfg)
{
	return record__to_stdout(cfg) ? "standard output" : cfg->output;
}

static int record__format(const struct hp_config *cfg)
{
	int f = cfg->format_name	 ? hp_export__parse_format(cfg->format_name)
		: record__to_stdout(cfg) ? HP_EXPORT_FOLDED
					 : hp_export__format_from_path(cfg->output);

	if (f < 0 && cfg->format_name)
		fprintf(stderr,
			"hostprof: unknown --format '%s' (want folded, pprof, speedscope, "
			"json or html)\n",
			cfg->format_name);
	else if (f < 0)
		fprintf(stderr,
			"hostprof: cannot tell the format from '%s': name it .folded, .pb.gz, "
			".speedscope.json, .json or .html, or pass --format\n",
			cfg->output);
	return f;
}

static int record__write_stdout(const struct hp_buf *body)
{
	const char *p = body->data ? body->data : "";
	size_t left = body->len;

	while (left) {
		ssize_t w = write(STDOUT_FILENO, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

/* The output, opened before anything is recorded so that an unwritable -o fails at once
 * instead of after the whole --duration: a temporary file next to the target, renamed over it
 * once written, so a failed write never leaves half a file. */
struct record_out {
	FILE *f; /* NULL for standard output */
	char tmp[4096];
};

static int record__open(const char *path, struct record_out *o)
{
	struct stat st;
	int n;

	o->f = NULL;
	o->tmp[0] = '\0';
	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR; /* rename() over it would fail only at the end */
	n = snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(o->tmp))
		return -ENAMETOOLONG;
	o->f = fopen(o->tmp, "wb");
	return o->f ? 0 : -errno;
}

/* Drops the temporary file without writing the target. */
static void record__discard(struct record_out *o)
{
	if (!o->f)
		return;
	fclose(o->f);
	unlink(o->tmp);
	o->f = NULL;
}

static int record__write(const char *path, struct record_out *o, const struct hp_buf *body)
{
	int err;

	if (!o->f)
		return record__write_stdout(body);
	err = fwrite(body->data ? body->data : "", 1, body->len, o->f) == body->len ? 0 : -EIO;
	if (fclose(o->f) && !err)
		err = errno ? -errno : -EIO;
	o->f = NULL;
	if (!err && rename(o->tmp, path))
		err = -errno;
	if (err)
		unlink(o->tmp);
	return err;
}

/* Waits until deadline (monotonic seconds) or a stop signal; true if a signal came. */
static bool record__wait(const sigset_t *stop, double until)
{
	double left = until - hp_now();
	struct timespec ts;

	if (left <= 0)
		return false;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	return sigtimedwait(stop, NULL, &ts) > 0;
}

/* Drains the source into its subscribers (lock taken here). */
static int record__drain(struct hp_profile_source *src)
{
	int err;

	pthread_mutex_lock(src->lock);
	err = src->drain(src, hp_now());
	pthread_mutex_unlock(src->lock);
	return err;
}

/* What is recorded: one source's profile, or a view composed of several sources' profiles
 * (--profile wall: cpu and offcpu), recorded together. */
struct record_what {
	const struct hp_profile_view *view; /* NULL: src alone */
	struct hp_profile_source *src;	    /* the kind's source (a view: its first part's) */
	struct hp_view_recording rec;	    /* a view's subscriptions */
	struct hp_services *svc;	    /* pod names re-read before each drain */
};

/* Drains what is recorded into its subscribers. */
static int record__drain_what(struct record_what *w)
{
	return w->view ? hp_view_recording__drain(&w->rec) : record__drain(w->src);
}

/* Records src into p (subscribed; for a view, its parts into w->rec) until cfg->duration_seconds,
 * a stop signal or the exit of --pid's process; returns the seconds recorded: up to the start of
 * the last drain, which ends what the kernel counts into this recording (a slow drain, e.g. one
 * symbolizing new binaries, adds nothing to the recorded window). */
static double record__loop(const struct hp_config *cfg, struct record_what *w, const sigset_t *stop,
			   const struct hp_profile *p)
{
	bool interrupted = false, target_gone = false, tty = isatty(STDERR_FILENO);
	const char *title = w->view ? w->view->kind->title : w->src->title;
	double t0 = hp_now(), next, t_last = t0;

	fprintf(stderr, "recording %s %s profile for %.0f s into %s (Ctrl-C stops early)\n",
		strchr("AEIOU", title[0]) ? "an" : "a", title, cfg->duration_seconds,
		record__where(cfg));
	for (next = t0 + 1;; next += 1) {
		double end = t0 + cfg->duration_seconds;
		int err;

		interrupted = record__wait(stop, next < end ? next : end);
		/* looked at before the drain, so the drain holds all the target's last samples */
		target_gone = cfg->pid && !hp_target_pid__running(NULL, cfg->pid);
		t_last = hp_now();
		hp_services__refresh_pods(w->svc); /* a pod started during the recording */
		err = record__drain_what(w);
		if (err)
			hp_warn("draining samples failed: %s", strerror(-err));
		fprintf(
		    stderr, "%s%5.1f s / %.0f s  %llu samples%s", tty ? "\r" : "", hp_now() - t0,
		    cfg->duration_seconds,
		    (unsigned long long)(w->view ? hp_view_recording__total(&w->rec) : p->total),
		    tty ? "" : "\n");
		if (interrupted || target_gone || hp_now() >= end)
			break;
	}
	if (tty)
		fputc('\n', stderr);
	if (interrupted)
		fprintf(stderr, "interrupted: writing what was recorded\n");
	if (target_gone)
		fprintf(stderr, "process %d exited: writing what was recorded\n", (int)cfg->pid);
	return t_last - t0;
}

/* The view --state and --waker ask for, as the HTTP endpoints make it: states filtered for kinds
 * that have them (default blocked), waker stacks removed unless --waker. 0 or -ENOMEM. */
static int record__view(const struct hp_config *cfg, struct hp_profile *p)
{
	int f = cfg->state_name ? hp_state_filter__parse(cfg->state_name) : HP_STATE_BLOCKED;

	if (p->kind->has_state && f >= 0)
		hp_profile__filter_state(p, (enum hp_state_filter)f);
	return cfg->waker ? 0 : hp_profile__strip_wakers(p);
}

/* Renders p and writes it to the output; 0 or a negative errno (reported here). */
static int record__finish(const struct hp_config *cfg, struct record_out *o, int format,
			  const struct hp_export_opts *opts, struct hp_profile *p)
{
	struct hp_buf out;
	int err;

	hp_buf__init(&out);
	err = record__view(cfg, p);
	if (!err)
		err = hp_export__render(p, (enum hp_export_format)format, opts, &out);
	if (!err && out.oom)
		err = -ENOMEM;
	if (!err)
		err = record__write(cfg->output, o, &out);
	hp_buf__free(&out);
	if (err)
		fprintf(stderr, "hostprof: writing %s failed: %s\n", record__where(cfg),
			strerror(-err));
	return err;
}

/* Probes the kernel into features, creates the services and starts the n collectors ops into c;
 * 0, or 1 with the reason printed (nothing left to free then). */
static int record__start(const struct hp_config *cfg, const struct hp_collector_ops *const *ops,
			 size_t n, struct hp_features *features, struct hp_services *svc,
			 struct hp_collector *c)
{
	int err;

	hp_probe__run(features, cfg->btf_path);
	for (size_t i = 0; i < n; i++)
		if (hp_probe__require(features, ops[i]->needs, "record"))
			return 1;
	if (hp_services__init(svc, &(struct hp_services_opts){
				       .symbol_cache_bytes = (size_t)cfg->symbol_cache_mb << 20,
				       .perf_map_max_bytes = (size_t)cfg->perf_map_max_mb << 20,
				       .kubelet_pods_dir = cfg->kubelet_pods_dir,
				       .sample_hz = hp_collectors__stack_rate(ops, n, cfg) })) {
		fprintf(stderr, "hostprof: out of memory creating the symbolizer\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		err = hp_collector__start(&c[i], ops[i], cfg, features, svc);
		if (err) {
			fprintf(stderr, "hostprof: collector %s could not be started: %s\n",
				ops[i]->name, strerror(-err));
			while (i--)
				hp_collector__stop(&c[i]);
			hp_services__free(svc);
			return 1;
		}
	}
	return 0;
}

/* The collectors that produce kind, or each part of the view called kind, into ops (distinct,
 * at most HP_VIEW_PARTS_MAX); their number, or 0 with the reason printed. */
static size_t record__collectors(const char *kind, const struct hp_profile_view *view,
				 const struct hp_collector_ops **ops)
{
	size_t n = 0, nkinds = view ? view->nparts : 1;

	for (size_t i = 0; i < nkinds; i++) {
		const char *part = view ? view->parts[i].kind : kind;
		const struct hp_collector_ops *o = hp_collectors__find_profile(part);
		bool seen = false;

		if (!o) { /* the command line checks the kind; this is for callers that did not */
			fprintf(stderr, "hostprof: no collector produces profile kind '%s'\n",
				part);
			return 0;
		}
		for (size_t k = 0; k < n; k++)
			seen |= ops[k] == o;
		if (!seen)
			ops[n++] = o;
	}
	return n;
}

/* For a view: its weight under each root frame, "[running] 7.3 s (36.0%)", the split the
 * counts of the summary above cannot show (a cpu sample and an off-CPU event weigh unlike). */
static void record__view_split(const struct hp_profile *p)
{
	const char *names[8];
	uint64_t weights[8];
	size_t n = hp_profile_view__roots(p, names, weights, 8);

	bool ns = strcmp(p->kind->weight.unit, "nanoseconds") == 0;

	fprintf(stderr, "%s:", p->kind->weight_label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s %s %.3f %s (%.1f%%)", i ? "," : "", names[i],
			ns ? (double)weights[i] / 1e9 : (double)weights[i],
			ns ? "s" : p->kind->weight.unit,
			p->total_weight ? 100.0 * (double)weights[i] / (double)p->total_weight
					: 0.0);
	fprintf(stderr, "%s\n", n ? "" : " none");
}

/* Sums the self-stats of the n collectors c (each under its lock) into st: their drops. */
static void record__self_stats(struct hp_collector *c, size_t n, struct hp_self_stats *st)
{
	for (size_t i = 0; i < n; i++) {
		struct hp_self_stats one = { 0 };

		pthread_mutex_lock(&c[i].lock);
		c[i].ops->self_stats(&c[i], &one);
		pthread_mutex_unlock(&c[i].lock);
		if (i == 0) {
			*st = one;
			continue;
		}
		for (int k = 0; k < one.ndrops && st->ndrops < HP_SELF_MAX; k++)
			st->drops[st->ndrops++] = one.drops[k];
	}
}

/* Subscribes p (empty, of the source's kind) after draining: nothing sampled before "now". */
static int record__subscribe(struct hp_profile_source *src, struct hp_profile *p)
{
	int err;

	pthread_mutex_lock(src->lock);
	src->drain(src, hp_now());
	hp_profile_store__init_profile(src->store, p);
	err = hp_profile_store__subscribe(src->store, p);
	pthread_mutex_unlock(src->lock);
	return err;
}

static void record__unsubscribe(struct hp_profile_source *src, struct hp_profile *p)
{
	pthread_mutex_lock(src->lock);
	hp_profile_store__unsubscribe(src->store, p);
	pthread_mutex_unlock(src->lock);
}

int hp_record__run(const struct hp_config *cfg)
{
	const char *kind = cfg->profile_kind ? cfg->profile_kind : "cpu";
	struct record_what w = { .view = hp_profile_views__find(kind) };
	const struct hp_collector_ops *ops[HP_VIEW_PARTS_MAX];
	size_t nops = record__collectors(kind, w.view, ops);
	struct hp_features features;
	struct hp_services svc;
	struct hp_collector c[HP_VIEW_PARTS_MAX];
	struct hp_profile p = { 0 };
	sigset_t stop;
	struct record_out o;
	struct hp_export_opts opts = { .group_by = HP_GROUP_BY_PROCESS };
	double elapsed;
	int format, err, rc = 1;

	if (!nops)
		return 2;
	if (w.view && w.view->needs_pid && !cfg->pid) {
		fprintf(stderr, "hostprof: --profile %s describes one process: give --pid PID\n",
			kind);
		return 2;
	}
	format = record__format(cfg);
	if (format < 0)
		return 2;
	if (cfg->group_by_name) {
		int by = hp_group_by__parse(cfg->group_by_name);

		if (by < 0) {
			fprintf(stderr,
				"hostprof: unknown --group-by '%s' (want " HP_GROUP_BY_NAMES ")\n",
				cfg->group_by_name);
			return 2;
		}
		opts.group_by = (enum hp_group_by)by;
	}
	err = record__open(cfg->output, &o);
	if (err) {
		fprintf(stderr, "hostprof: cannot write %s: %s\n", cfg->output, strerror(-err));
		return 1;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	if (record__start(cfg, ops, nops, &features, &svc, c)) {
		record__discard(&o);
		return 1;
	}
	if (w.view) {
		struct hp_profile_source *srcs[HP_VIEW_PARTS_MAX];
		char why[512];

		if (hp_profile_view__resolve(w.view, &svc.profiles, srcs, why, sizeof(why))) {
			fprintf(stderr, "hostprof: %s\n", why);
			goto stop;
		}
		w.src = srcs[0];
		if (hp_view_recording__start(&w.rec, w.view, srcs))
			goto stop;
	} else {
		w.src = hp_profile_registry__find(&svc.profiles, kind);
		if (!w.src) {
			fprintf(stderr, "hostprof: collector %s registered no %s profile\n",
				ops[0]->name, kind);
			goto stop;
		}
		if (record__subscribe(w.src, &p))
			goto stop;
	}
	w.svc = &svc;
	elapsed = record__loop(cfg, &w, &stop, &p);
	if (!w.view) {
		record__unsubscribe(w.src, &p);
	} else if ((err = hp_view_recording__finish(&w.rec, (uint32_t)cfg->pid, &p, &elapsed))) {
		fprintf(stderr, "hostprof: composing the %s profile failed: %s\n", kind,
			strerror(-err));
		goto stop;
	}
	hp_profile_store__stamp(&p, elapsed);
	if (record__finish(cfg, &o, format, &opts, &p) == 0) {
		struct hp_self_stats st = { 0 };

		record__self_stats(c, nops, &st);
		hp_profile_summary__print(stderr, &p, &st, record__where(cfg));
		if (w.view)
			record__view_split(&p);
		rc = 0;
	}
stop:
	record__discard(&o); /* still open only when nothing was written */
	hp_profile__free(&p);
	for (size_t i = nops; i-- > 0;)
		hp_collector__stop(&c[i]);
	hp_services__free(&svc);
	return rc;
}
