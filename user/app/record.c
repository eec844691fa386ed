// SPDX-License-Identifier: GPL-2.0-only
/* "hostprof record" (see record.h). It drives the same cpu collector and exporters as the agent,
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

#include "collectors/collector.h"
#include "collectors/cpu/collector_cpu.h"
#include "collectors/cpu/cpu_options.h"
#include "export/export.h"
#include "base/log.h"
#include "collectors/probe.h"
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

int hp_record__run(const struct hp_config *cfg)
{
	struct hp_features features;
	struct hp_collector c;
	struct cpu_state *s;
	struct hp_profile p;
	struct hp_buf out;
	sigset_t stop;
	double t0, next;
	bool interrupted = false, target_gone = false, tty = isatty(STDERR_FILENO);
	struct record_out o;
	struct hp_export_opts opts = { .group_by = HP_GROUP_BY_PROCESS };
	int format, err, rc = 1;

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

	hp_probe__run(&features, cfg->btf_path);
	if (hp_probe__require(&features, hp_collectors__find("cpu")->needs, "record")) {
		record__discard(&o);
		return 1;
	}
	err = hp_collector__start(&c, hp_collectors__find("cpu"), cfg, &features);
	if (err) {
		fprintf(stderr, "hostprof: CPU sampling could not be started: %s\n",
			strerror(-err));
		record__discard(&o);
		return 1;
	}
	s = c.priv;
	hp_profile__init(&p, s->store.kind, s->store.period);
	pthread_mutex_lock(&c.lock);
	hp_cpu__drain(s, hp_now()); /* start clean: nothing sampled before "now" */
	err = hp_cpu_store__subscribe(&s->store, &p);
	pthread_mutex_unlock(&c.lock);
	if (err)
		goto stop;

	t0 = hp_now();
	fprintf(stderr, "recording CPU samples at %u Hz for %.0f s into %s (Ctrl-C stops early)\n",
		hp_cpu_config(cfg)->frequency, cfg->duration_seconds, record__where(cfg));
	for (next = t0 + 1;; next += 1) {
		double end = t0 + cfg->duration_seconds;

		interrupted = record__wait(&stop, next < end ? next : end);
		/* looked at before the drain, so the drain holds all the target's last samples */
		target_gone = cfg->pid && !hp_target_pid__running(NULL, cfg->pid);
		pthread_mutex_lock(&c.lock);
		err = hp_cpu__drain(s, hp_now());
		pthread_mutex_unlock(&c.lock);
		if (err)
			hp_warn("draining samples failed: %s", strerror(-err));
		fprintf(stderr, "%s%5.1f s / %.0f s  %llu samples%s", tty ? "\r" : "",
			hp_now() - t0, cfg->duration_seconds, (unsigned long long)p.total,
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

	pthread_mutex_lock(&c.lock);
	hp_cpu_store__unsubscribe(&s->store, &p);
	pthread_mutex_unlock(&c.lock);
	hp_cpu_store__stamp(&p, hp_now() - t0);
	hp_buf__init(&out);
	err = hp_export__render(&p, (enum hp_export_format)format, &opts, &out);
	if (!err && out.oom)
		err = -ENOMEM;
	if (!err)
		err = record__write(cfg->output, &o, &out);
	hp_buf__free(&out);
	if (err) {
		fprintf(stderr, "hostprof: writing %s failed: %s\n", record__where(cfg),
			strerror(-err));
	} else {
		struct hp_self_stats st = { 0 };

		pthread_mutex_lock(&c.lock);
		c.ops->self_stats(&c, &st);
		pthread_mutex_unlock(&c.lock);
		hp_profile_summary__print(stderr, &p, &st, record__where(cfg));
		rc = 0;
	}
stop:
	record__discard(&o); /* still open only when nothing was written */
	hp_profile__free(&p);
	hp_collector__stop(&c);
	return rc;
}
