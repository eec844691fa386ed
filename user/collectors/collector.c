// SPDX-License-Identifier: GPL-2.0-only
/* The shared start-up driver of every collector (registry.c lists them): the attach-path
 * fallback (tp_btf, then raw_tp) and the life-cycle helpers live here once, not per collector. */
#include "collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

unsigned int hp_collectors__stack_rate(const struct hp_collector_ops *const *ops, size_t n,
				       const struct hp_config *cfg)
{
	unsigned int rate = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int r = ops[i] && ops[i]->stack_rate ? ops[i]->stack_rate(cfg) : 0;

		rate = r > rate ? r : rate;
	}
	return rate;
}

const struct hp_collector_ops *hp_collectors__find(const char *name)
{
	for (int i = 0; hp_collectors_all[i]; i++)
		if (strcmp(hp_collectors_all[i]->name, name) == 0)
			return hp_collectors_all[i];
	return NULL;
}

const struct hp_collector_ops *hp_collectors__find_profile(const char *kind)
{
	for (int i = 0; hp_collectors_all[i]; i++)
		for (const char *const *k = hp_collectors_all[i]->profiles; k && *k; k++)
			if (strcmp(*k, kind) == 0)
				return hp_collectors_all[i];
	return NULL;
}

const char *hp_collectors__profiles(char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; hp_collectors_all[i]; i++) {
		for (const char *const *k = hp_collectors_all[i]->profiles; k && *k && n < size;
		     k++) {
			int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "", *k);

			if (w < 0)
				return out;
			n += (size_t)w;
		}
	}
	return out;
}

const char *hp_attach_path__name(enum hp_attach_path path)
{
	static const char *const names[HP_PATH__COUNT] = { "tp_btf", "raw_tp", "perf_event" };

	return path < HP_PATH__COUNT ? names[path] : "?";
}

void *hp_collector__alloc(struct hp_collector *c, size_t size)
{
	c->priv = calloc(1, size);
	return c->priv;
}

void hp_collector__open_opts(const struct hp_collector *c, struct bpf_object_open_opts *opts)
{
	if (c->cfg->btf_path)
		opts->btf_custom_path = c->cfg->btf_path;
}

void hp_collector__autoload(const struct hp_collector *c, struct bpf_program *tp_btf,
			    struct bpf_program *raw_tp)
{
	bpf_program__set_autoload(tp_btf, c->path == HP_PATH_TP_BTF);
	bpf_program__set_autoload(raw_tp, c->path == HP_PATH_RAW_TP);
}

int hp_collector__attach_all(const struct hp_collector *c, struct bpf_object *obj,
			     struct bpf_link **links, size_t max, size_t *n)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		if (*n == max)
			return -E2BIG;
		links[*n] = bpf_program__attach(prog);
		if (!links[*n]) {
			err = -errno;
			hp_error("%s: attaching %s: %s", c->ops->name, bpf_program__name(prog),
				 strerror(-err));
			return err;
		}
		(*n)++;
	}
	return 0;
}

int hp_collector__filter_cgroup(struct hp_collector *c, int map_fd)
{
	const char *path = c->cfg->cgroup_path;
	__u32 zero = 0;
	int err;

	if (!path)
		return 0;
	c->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->cgroup_fd < 0) {
		err = -errno;
		hp_error("%s: cannot open cgroup %s: %s", c->ops->name, path, strerror(-err));
		return err;
	}
	if (bpf_map_update_elem(map_fd, &zero, &c->cgroup_fd, BPF_ANY)) {
		err = -errno;
		hp_error("%s: %s is not usable as a cgroup v2 filter: %s", c->ops->name, path,
			 strerror(-err));
		return err;
	}
	return 0;
}

/* ops->destroy, then what the driver and the helpers above own. */
static void collector__destroy(struct hp_collector *c)
{
	c->ops->destroy(c);
	c->obj = NULL;
	if (c->cgroup_fd >= 0)
		close(c->cgroup_fd);
	c->cgroup_fd = -1;
	free(c->priv);
	c->priv = NULL;
}

const char *hp_collector_reason__name(enum hp_collector_reason reason)
{
	static const char *const names[HP_REASON__COUNT] = {
		"", "missing_feature", "verifier", "load", "attach", "open", "error",
	};

	return reason < HP_REASON__COUNT ? names[reason] : "error";
}

static bool collector__missing_hook(int err)
{
	return err == -ENOENT || err == -ESRCH || err == -EOPNOTSUPP || err == -ENOTSUP;
}

enum hp_collector_reason hp_collector__classify(enum hp_collector_step step, int err, bool loaded)
{
	switch (step) {
	case HP_STEP_OPEN:
		return HP_REASON_OPEN;
	case HP_STEP_LOAD:
		if (loaded)
			return HP_REASON_ERROR;
		if (err == -EACCES || err == -EINVAL)
			return HP_REASON_VERIFIER;
		return collector__missing_hook(err) ? HP_REASON_MISSING_FEATURE : HP_REASON_LOAD;
	case HP_STEP_ATTACH:
		return collector__missing_hook(err) || err == -ENODEV ? HP_REASON_MISSING_FEATURE
								      : HP_REASON_ATTACH;
	case HP_STEP_OTHER:
		break;
	}
	return HP_REASON_ERROR;
}

static const char *const step_names[] = { "open", "load", "attach", "start" };

/* One attach path's failure: where, why, and the first complaint logged on the way. */
struct collector_try {
	enum hp_collector_step step;
	enum hp_collector_reason reason;
	int err;
	char first[400];
};

/* Tries one attach path end to end; on any failure leaves nothing behind and fills *t, the
 * steps' complaints folded into t->first (debug level). */
static int collector__try(struct hp_collector *c, enum hp_attach_path path, struct collector_try *t)
{
	enum hp_collector_step step = HP_STEP_OPEN;
	int err;

	c->path = path;
	hp_log__fold_begin(t->first, sizeof(t->first));
	err = c->ops->open(c, path);
	if (!err) {
		step = HP_STEP_LOAD;
		err = c->ops->load(c);
	}
	if (!err) {
		step = HP_STEP_ATTACH;
		err = c->ops->attach(c);
	}
	if (err) {
		t->step = step;
		t->err = err;
		t->reason = hp_collector__classify(step, err, c->obj != NULL);
		hp_debug("%s: %s path failed at %s: %s", c->ops->name, hp_attach_path__name(path),
			 step_names[step], strerror(-err));
		collector__destroy(c);
	}
	hp_log__fold_end();
	return err;
}

/* Fills why: reason, errno and the line (see struct hp_collector_failure). what: the failure
 * ("load on the perf_event path failed"), detail: the first complaint ("" if none). */
static void collector__fail(const struct hp_collector_ops *ops, struct hp_collector_failure *why,
			    enum hp_collector_reason reason, int err, const char *what,
			    const char *detail)
{
	if (!why)
		return;
	why->reason = reason;
	why->err = err;
	snprintf(why->line, sizeof(why->line),
		 "collector %s is down (reason %s, %s): %s%s%s; run with -v for the verifier log",
		 ops->name, hp_collector_reason__name(reason), strerror(-err), what,
		 detail[0] ? ": " : "", detail);
}

int hp_collector__start(struct hp_collector *c, const struct hp_collector_ops *ops,
			const struct hp_config *cfg, const struct hp_features *features,
			struct hp_services *svc, struct hp_collector_failure *why)
{
	enum hp_attach_path order[HP_PATH__COUNT];
	struct collector_try t = { .err = -ENOTSUP };
	char what[128], before[512] = "";
	int n = 0, err = -ENOTSUP;

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->cfg = cfg;
	c->features = features;
	c->svc = svc;
	c->cgroup_fd = -1;
	if (hp_probe__missing(features, ops->needs, ops->name, t.first, sizeof(t.first))) {
		collector__fail(ops, why, HP_REASON_MISSING_FEATURE, -EOPNOTSUPP,
				"a kernel feature it needs is missing", t.first);
		c->ops = NULL;
		return -EOPNOTSUPP;
	}
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		err = c->ncpus ? c->ncpus : -EINVAL;
		collector__fail(ops, why, HP_REASON_ERROR, err, "counting the possible CPUs failed",
				"");
		c->ops = NULL;
		return err;
	}
	pthread_mutex_init(&c->lock, NULL);

	if (ops->paths & (1u << HP_PATH_TP_BTF) && cfg->attach_mode != HP_ATTACH_RAW_TP) {
		if (features->have & HP_FEAT_TP_BTF || cfg->attach_mode == HP_ATTACH_TP_BTF)
			order[n++] = HP_PATH_TP_BTF;
		else
			hp_info("%s: tp_btf unavailable per probe, using raw_tp", ops->name);
	}
	if (ops->paths & (1u << HP_PATH_RAW_TP) && cfg->attach_mode != HP_ATTACH_TP_BTF)
		order[n++] = HP_PATH_RAW_TP;
	if (ops->paths & (1u << HP_PATH_PERF_EVENT))
		order[n++] = HP_PATH_PERF_EVENT;

	for (int i = 0; i < n; i++) {
		size_t used = strlen(before);

		err = collector__try(c, order[i], &t);
		if (!err) {
			c->started_at = hp_now();
			hp_info("%s: attached via %s%s%s%s", ops->name,
				hp_attach_path__name(order[i]),
				cfg->attach_mode != HP_ATTACH_AUTO && order[i] != HP_PATH_PERF_EVENT
				    ? " (forced by --attach)"
				    : "",
				before[0] ? "; failed before: " : "", before);
			return 0;
		}
		/* why the paths before the one that works failed, for its "attached" line */
		snprintf(before + used, sizeof(before) - used, "%s%s at %s (%s)", used ? ", " : "",
			 hp_attach_path__name(order[i]), step_names[t.step], strerror(-t.err));
	}
	pthread_mutex_destroy(&c->lock);
	c->ops = NULL;
	/* the last path's failure: the most general one (the perf_event path needs least) */
	snprintf(what, sizeof(what), "%s on the %s path failed", step_names[t.step],
		 n ? hp_attach_path__name(order[n - 1]) : "(none)");
	collector__fail(ops, why, n ? t.reason : HP_REASON_ERROR, err, n ? what : "no attach path",
			n ? t.first : "");
	return err;
}

void hp_collector__stop(struct hp_collector *c)
{
	if (!c->ops)
		return;
	pthread_mutex_lock(&c->lock);
	collector__destroy(c);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	c->ops = NULL;
}

int hp_collector__profile_start(struct hp_collector *c, struct hp_collector_profile *p,
				const struct hp_profile_kind *kind, uint64_t period,
				double retention, const char *comment, const char *go_path,
				hp_profile_drain_fn drain, void *ctx)
{
	int err;

	err = hp_profile_store__init(&p->store, kind, period, retention, hp_now());
	if (err)
		return err;
	p->store_ready = true;
	if (comment) {
		err = hp_profile_store__set_comment(&p->store, comment);
		if (err)
			return err;
	}
	hp_profile_source__init(&p->source, kind, go_path, &p->store, &c->lock, drain, ctx);
	p->source_ready = true;
	err = hp_profile_registry__add(&c->svc->profiles, &p->source);
	if (err) {
		hp_error("%s: cannot register the %s profile source: %s", c->ops->name, kind->name,
			 strerror(-err));
		return err;
	}
	p->registered = true;
	return 0;
}

void hp_collector__profile_stop(struct hp_collector *c, struct hp_collector_profile *p)
{
	if (p->registered)
		hp_profile_registry__remove(&c->svc->profiles, &p->source);
	if (p->source_ready)
		hp_profile_source__destroy(&p->source);
	if (p->store_ready)
		hp_profile_store__free(&p->store);
	p->registered = p->source_ready = p->store_ready = false;
}

__u64 hp_collector__recursion_misses(const struct hp_collector *c)
{
	struct bpf_program *p;
	__u64 sum = 0;

	if (!c->obj)
		return 0;
	bpf_object__for_each_program(p, c->obj)
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			sum += info.recursion_misses;
	}
	return sum;
}

int hp_collector__loaded(struct hp_collector *c, struct bpf_object *obj, int cgroup_filter_fd)
{
	c->obj = obj;
	return cgroup_filter_fd < 0 ? 0 : hp_collector__filter_cgroup(c, cgroup_filter_fd);
}
