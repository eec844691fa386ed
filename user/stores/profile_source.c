// SPDX-License-Identifier: GPL-2.0-only
/* Profile sources and their registry (see profile_source.h): the one place that knows which
 * collectors produce which profile kinds while the agent or "hostprof record" runs. */
#include "profile_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"

void hp_profile_source__init(struct hp_profile_source *src, const struct hp_profile_kind *kind,
			     const char *go_path, struct hp_profile_store *store,
			     pthread_mutex_t *lock, hp_profile_drain_fn drain, void *ctx)
{
	memset(src, 0, sizeof(*src));
	src->kind = kind->name;
	src->title = kind->title;
	src->go_path = go_path;
	src->store = store;
	src->lock = lock;
	src->drain = drain;
	src->ctx = ctx;
	hp_cond__init_monotonic(&src->wake);
}

void hp_profile_source__destroy(struct hp_profile_source *src)
{
	pthread_cond_destroy(&src->wake);
}

void hp_profile_source__shutdown(struct hp_profile_source *src)
{
	pthread_mutex_lock(src->lock);
	src->stopping = true;
	pthread_cond_broadcast(&src->wake);
	pthread_mutex_unlock(src->lock);
}

int hp_profile_registry__add(struct hp_profile_registry *reg, struct hp_profile_source *src)
{
	if (hp_profile_registry__find(reg, src->kind))
		return -EEXIST;
	for (size_t i = 0; src->go_path && i < reg->n; i++)
		if (reg->sources[i]->go_path && strcmp(reg->sources[i]->go_path, src->go_path) == 0)
			return -EEXIST; /* one path, one kind */
	if (reg->n == HP_PROFILE_SOURCES_MAX)
		return -ENOSPC;
	reg->sources[reg->n++] = src;
	return 0;
}

void hp_profile_registry__remove(struct hp_profile_registry *reg, struct hp_profile_source *src)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++) {
		if (reg->sources[i] == src) {
			/* keep the order: routes and "known kinds" lists follow it */
			memmove(&reg->sources[i], &reg->sources[i + 1],
				(reg->n - i - 1) * sizeof(reg->sources[0]));
			reg->n--;
			return;
		}
	}
}

struct hp_profile_source *hp_profile_registry__find(const struct hp_profile_registry *reg,
						    const char *kind)
{
	for (size_t i = 0; kind && i < reg->n; i++)
		if (strcmp(reg->sources[i]->kind, kind) == 0)
			return reg->sources[i];
	return NULL;
}

const char *hp_profile_registry__kinds(const struct hp_profile_registry *reg, char *out,
				       size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < reg->n && n < size; i++) {
		int w = snprintf(out + n, size - n, "%s%s", i ? ", " : "", reg->sources[i]->kind);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (!out[0])
		snprintf(out, size, "none");
	return out;
}

void hp_profile_registry__shutdown(struct hp_profile_registry *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		hp_profile_source__shutdown(reg->sources[i]);
}
