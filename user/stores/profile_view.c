// SPDX-License-Identifier: GPL-2.0-only
/* Profile views (see profile_view.h): the wall-clock view and the composition of a view from the
 * profiles of its parts' sources, past (since=) or recorded from now on (seconds=). */
#include "profile_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "profile/profile_wakers.h"

const struct hp_profile_kind hp_wall_kind = {
	.name = "wall",
	.title = "Wall-clock",
	.weight_label = "wall time",
	.count = { "samples", "count" },
	.weight = { "wall", "nanoseconds" },
	.period = { "wall", "nanoseconds" },
	/* every state belongs to wall time: state= does not filter it (the label is still there) */
	.has_state = false,
};

/*
 * The wall view's root frames: one per part of a thread's time, "[running]" (on-CPU samples),
 * "[runnable]" (off-CPU on a run queue: preempted, or woken and waiting for a CPU) and
 * "[blocked]" (every other off-CPU state). Three roots, not one per task state, so the first level of a flame graph
 * answers the question the view is for (running, waiting to run or blocked, in what shares)
 * whatever the format; the finer blocked state (sleeping, uninterruptible, idle, stopped) stays
 * in the sample's `state` label, and the stack above says what it waited on. The roots are real
 * frames of the profile, so folded, pprof, speedscope, JSON and HTML all show the same split.
 */
static const char *wall__root_frame(const char *state)
{
	if (strcmp(state, "running") == 0)
		return "[running]";
	if (strcmp(state, HP_PROF_STATE_RUNNABLE) == 0)
		return "[runnable]";
	return "[blocked]";
}

static const struct hp_view_part wall_parts[] = {
	{ .kind = "cpu", .state = "running" },
	/* every state: the store holds them all, state= filters are applied only when served */
	{ .kind = "offcpu", .state = NULL },
};

const struct hp_profile_view hp_view_wall = {
	.kind = &hp_wall_kind,
	.parts = wall_parts,
	.nparts = sizeof(wall_parts) / sizeof(wall_parts[0]),
	.needs_pid = true, /* a host-wide sum of every thread's time says nothing */
	.root_frame = wall__root_frame,
	.comment = "wall-clock time of one process: on-CPU samples ([running]) plus off-CPU time "
		   "waiting for a CPU ([runnable]) or blocked ([blocked]), waker stacks removed",
};

const struct hp_profile_view *const hp_profile_views_all[] = { &hp_view_wall, NULL };

const struct hp_profile_view *hp_profile_views__find(const char *name)
{
	for (size_t i = 0; name && hp_profile_views_all[i]; i++)
		if (strcmp(hp_profile_views_all[i]->kind->name, name) == 0)
			return hp_profile_views_all[i];
	return NULL;
}

const char *hp_profile_views__names(char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; hp_profile_views_all[i] && n < size; i++) {
		int w = snprintf(out + n, size - n, "%s%s", i ? ", " : "",
				 hp_profile_views_all[i]->kind->name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	return out;
}

int hp_profile_view__resolve(const struct hp_profile_view *view,
			     const struct hp_profile_registry *reg, struct hp_profile_source **srcs,
			     char *why, size_t size)
{
	char missing[128] = "";
	size_t nmissing = 0, len = 0;

	why[0] = '\0';
	for (size_t i = 0; i < view->nparts; i++) {
		const struct hp_profile_kind *kind;

		srcs[i] = hp_profile_registry__find(reg, view->parts[i].kind);
		if (!srcs[i]) {
			int w = snprintf(missing + len, sizeof(missing) - len, "%s%s",
					 nmissing ? ", " : "", view->parts[i].kind);

			nmissing++;
			if (w > 0 && (size_t)w < sizeof(missing) - len)
				len += (size_t)w;
			continue;
		}
		kind = srcs[i]->store->kind;
		if (strcmp(kind->weight.unit, view->kind->weight.unit) != 0) {
			snprintf(why, size,
				 "the %s view sums weights in %s, but profile kind %s weighs in %s",
				 view->kind->name, view->kind->weight.unit, kind->name,
				 kind->weight.unit);
			return -EINVAL;
		}
	}
	if (nmissing) {
		char parts[128];
		size_t n = 0;

		parts[0] = '\0';
		for (size_t i = 0; i < view->nparts; i++) {
			int w = snprintf(parts + n, sizeof(parts) - n, "%s%s", i ? "," : "",
					 view->parts[i].kind);

			if (w > 0 && (size_t)w < sizeof(parts) - n)
				n += (size_t)w;
		}
		snprintf(why, size,
			 "the %s view needs the profile kinds %s; not running: %s (start the "
			 "collectors that produce them, e.g. --collectors %s)",
			 view->kind->name, parts, missing, parts);
		return -ENOENT;
	}
	return 0;
}

double hp_profile_view__retention(const struct hp_profile_view *view,
				  struct hp_profile_source *const *srcs)
{
	double shortest = 0;

	for (size_t i = 0; i < view->nparts; i++) {
		double r;

		pthread_mutex_lock(srcs[i]->lock);
		r = hp_profile_store__retention(srcs[i]->store);
		pthread_mutex_unlock(srcs[i]->lock);
		if (i == 0 || r < shortest)
			shortest = r;
	}
	return shortest;
}

void hp_profile_view__init_profile(const struct hp_profile_view *view, struct hp_profile *out)
{
	hp_profile__init(out, view->kind, 0);
	/* out of memory: no comment, the profile is still right */
	if (view->comment)
		(void)hp_profile__set_comment(out, view->comment);
}

/* Per frame of part: true for a waker marker ("[woken by] <process>"). NULL on OOM. */
static bool *view__markers(const struct hp_profile *part)
{
	bool *marker = calloc(part->nframes + 1, sizeof(*marker));

	for (size_t i = 0; marker && i < part->nframes; i++)
		marker[i] = hp_profile__is_waker_marker(&part->frames[i]);
	return marker;
}

/* Appends "; <kind>: <part's comment>" to out's comment (how that part was sampled). */
static int view__add_comment(struct hp_profile *out, const struct hp_profile *part)
{
	struct hp_buf text;
	int err;

	if (!part->comment)
		return 0;
	hp_buf__init(&text);
	hp_buf__printf(&text, "%s%s%s: %s", out->comment ? out->comment : "",
		       out->comment ? "; " : "", part->kind->name, part->comment);
	err = text.oom ? -ENOMEM : hp_profile__set_comment(out, text.data);
	hp_buf__free(&text);
	return err;
}

/* The index of s's first own frame: past the waker marker if s has one, else 0. */
static uint32_t view__wakee_start(const struct hp_prof_sample *s, const bool *marker)
{
	for (uint32_t k = 0; k < s->nframes; k++)
		if (marker[s->frames[k]])
			return k + 1;
	return 0;
}

int hp_profile_view__compose(const struct hp_profile_view *view, size_t i,
			     const struct hp_profile *part, uint32_t pid, struct hp_profile *out)
{
	uint32_t *maps, *stack;
	int64_t *frames;
	bool *marker;
	int err = -ENOMEM;

	if (i >= view->nparts)
		return -EINVAL;
	maps = calloc(part->nmappings + 1, sizeof(*maps));
	frames = malloc((part->nframes + 1) * sizeof(*frames));
	marker = view__markers(part);
	stack = NULL;
	if (!maps || !frames || !marker || view__add_comment(out, part))
		goto out;
	for (size_t f = 0; f < part->nframes; f++)
		frames[f] = -1;
	for (size_t n = 0, cap = 0; n < part->nsamples; n++) {
		const struct hp_prof_sample *s = &part->samples[n];
		const char *state = s->state ? s->state : view->parts[i].state;
		struct hp_prof_labels labels;
		uint32_t depth = 0;

		if (pid && s->pid != pid)
			continue;
		if (s->nframes + 1 > cap) {
			uint32_t *grown = realloc(stack, (s->nframes + 1) * sizeof(*stack));

			if (!grown)
				goto out;
			stack = grown;
			cap = s->nframes + 1;
		}
		for (uint32_t k = view__wakee_start(s, marker); k < s->nframes; k++) {
			uint32_t fi = s->frames[k];

			if (frames[fi] < 0) {
				struct hp_prof_frame f = part->frames[fi];

				if (f.mapping) {
					if (!maps[f.mapping])
						maps[f.mapping] = hp_profile__mapping(
						    out, &part->mappings[f.mapping - 1]);
					if (!maps[f.mapping])
						goto out;
					f.mapping = maps[f.mapping];
				}
				frames[fi] = hp_profile__frame(out, &f);
				if (frames[fi] < 0)
					goto out;
			}
			stack[depth++] = (uint32_t)frames[fi];
		}
		if (view->root_frame) {
			int64_t root = hp_profile__frame(
			    out, &(struct hp_prof_frame){
				     .function = view->root_frame(state ? state : "") });

			if (root < 0)
				goto out;
			stack[depth++] = (uint32_t)root;
		}
		labels = hp_prof_sample__labels(s);
		labels.state = state;
		err = hp_profile__add(out, &labels, stack, depth, s->count, s->weight);
		if (err)
			goto out;
		err = -ENOMEM;
	}
	err = 0;
out:
	free(maps);
	free(frames);
	free(marker);
	free(stack);
	return err;
}

size_t hp_profile_view__roots(const struct hp_profile *p, const char **names, uint64_t *weights,
			      size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		const char *root;
		size_t k;

		if (!s->nframes)
			continue;
		root = p->frames[s->frames[s->nframes - 1]].function; /* leaf first */
		for (k = 0; k < n && names[k] != root; k++) /* interned: one pointer per name */
			;
		if (k == n) {
			if (n == max)
				continue;
			names[n] = root;
			weights[n++] = 0;
		}
		weights[k] += s->weight;
	}
	return n;
}

/* Unsubscribes the first n parts (each under its source's lock) and frees their profiles. */
static void recording__release(struct hp_view_recording *rec, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(rec->srcs[i]->lock);
		hp_profile_store__unsubscribe(rec->srcs[i]->store, &rec->parts[i]);
		pthread_mutex_unlock(rec->srcs[i]->lock);
		hp_profile__free(&rec->parts[i]);
	}
	rec->nsubscribed = 0;
}

int hp_view_recording__start(struct hp_view_recording *rec, const struct hp_profile_view *view,
			     struct hp_profile_source *const *srcs)
{
	size_t i;
	int err = 0;

	memset(rec, 0, sizeof(*rec));
	rec->view = view;
	for (i = 0; i < view->nparts && !err; i++) {
		struct hp_profile_source *src = srcs[i];

		rec->srcs[i] = src;
		pthread_mutex_lock(src->lock);
		rec->started[i] = hp_now();
		err = src->drain(src, rec->started[i]);
		hp_profile_store__init_profile(src->store, &rec->parts[i]);
		if (!err)
			err = hp_profile_store__subscribe(src->store, &rec->parts[i]);
		pthread_mutex_unlock(src->lock);
	}
	if (err) {
		/* the part that failed is not subscribed: unsubscribing it is a no-op */
		recording__release(rec, i);
		return err;
	}
	rec->nsubscribed = view->nparts;
	return 0;
}

int hp_view_recording__drain(struct hp_view_recording *rec)
{
	int first = 0;

	for (size_t i = 0; i < rec->nsubscribed; i++) {
		int err;

		pthread_mutex_lock(rec->srcs[i]->lock);
		err = rec->srcs[i]->drain(rec->srcs[i], hp_now());
		pthread_mutex_unlock(rec->srcs[i]->lock);
		if (err && !first)
			first = err;
	}
	return first;
}

bool hp_view_recording__stopping(struct hp_view_recording *rec)
{
	bool stopping = false;

	for (size_t i = 0; i < rec->nsubscribed; i++) {
		pthread_mutex_lock(rec->srcs[i]->lock);
		stopping |= rec->srcs[i]->stopping;
		pthread_mutex_unlock(rec->srcs[i]->lock);
	}
	return stopping;
}

uint64_t hp_view_recording__total(struct hp_view_recording *rec)
{
	uint64_t total = 0;

	for (size_t i = 0; i < rec->nsubscribed; i++) {
		pthread_mutex_lock(rec->srcs[i]->lock);
		total += rec->parts[i].total;
		pthread_mutex_unlock(rec->srcs[i]->lock);
	}
	return total;
}

int hp_view_recording__finish(struct hp_view_recording *rec, uint32_t pid, struct hp_profile *out,
			      double *covered)
{
	size_t n = rec->nsubscribed;
	double spans = 0;
	int err = 0;

	/* each part's last drain, then it is unsubscribed: nothing adds to the parts while they
	 * are composed */
	for (size_t i = 0; i < n; i++) {
		struct hp_profile_source *src = rec->srcs[i];
		double now;
		int e;

		pthread_mutex_lock(src->lock);
		now = hp_now();
		e = src->drain(src, now);
		hp_profile_store__unsubscribe(src->store, &rec->parts[i]);
		pthread_mutex_unlock(src->lock);
		spans += now - rec->started[i];
		if (e && !err)
			err = e;
	}
	if (covered)
		*covered = n ? spans / (double)n : 0;
	rec->nsubscribed = 0;
	hp_profile_view__init_profile(rec->view, out);
	for (size_t i = 0; i < n && !err; i++)
		err = hp_profile_view__compose(rec->view, i, &rec->parts[i], pid, out);
	for (size_t i = 0; i < n; i++)
		hp_profile__free(&rec->parts[i]);
	if (err)
		hp_profile__free(out);
	return err;
}

void hp_view_recording__cancel(struct hp_view_recording *rec)
{
	recording__release(rec, rec->nsubscribed);
}

int hp_profile_view__since(const struct hp_profile_view *view,
			   struct hp_profile_source *const *srcs, double since, uint32_t pid,
			   struct hp_profile *out, double *covered)
{
	int err = 0;

	*covered = 0;
	hp_profile_view__init_profile(view, out);
	for (size_t i = 0; i < view->nparts && !err; i++) {
		struct hp_profile part = { 0 };
		double now, span = 0;

		pthread_mutex_lock(srcs[i]->lock);
		now = hp_now();
		err = srcs[i]->drain(srcs[i], now);
		if (!err)
			err = hp_profile_store__since(srcs[i]->store, since, now, &part, &span);
		pthread_mutex_unlock(srcs[i]->lock);
		if (!err)
			err = hp_profile_view__compose(view, i, &part, pid, out);
		hp_profile__free(&part);
		if (i == 0 || span < *covered)
			*covered = span;
	}
	if (err)
		hp_profile__free(out);
	return err;
}
