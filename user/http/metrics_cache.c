// SPDX-License-Identifier: GPL-2.0-only
/* /metrics page cache (see metrics_cache.h): the ticker publishes, HTTP threads take a reference
 * and send the bytes without copying; the lock only guards swapping the pointer. */
#include "metrics_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "base/clock.h"
#include "base/gzip.h"

void hp_metrics_cache__init(struct hp_metrics_cache *c)
{
	pthread_mutex_init(&c->lock, NULL);
	hp_cond__init_monotonic(&c->first);
	c->page = NULL;
}

void hp_metrics_cache__free(struct hp_metrics_cache *c)
{
	hp_metrics_page__put(c->page);
	c->page = NULL;
	pthread_cond_destroy(&c->first);
	pthread_mutex_destroy(&c->lock);
}

void hp_metrics_page__put(void *arg)
{
	struct hp_metrics_page *p = arg;

	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	free(p->plain);
	free(p->gz);
	free(p);
}

int hp_metrics_cache__publish(struct hp_metrics_cache *c, struct hp_buf *body, unsigned int status,
			      double rendered_at)
{
	struct hp_metrics_page *p, *old;
	struct hp_buf gz;

	if (body->oom)
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	p->status = status;
	p->rendered_at = rendered_at;
	p->plain = hp_buf__steal(body, &p->plain_len);
	if (!p->plain) {
		p->plain = calloc(1, 1);
		if (!p->plain) {
			free(p);
			return -ENOMEM;
		}
	}
	if (status == 200) {
		hp_buf__init(&gz);
		/* level 6: once per tick, so size matters more than the few ms it costs */
		if (hp_gzip(p->plain, p->plain_len, Z_DEFAULT_COMPRESSION, &gz) == 0)
			p->gz = hp_buf__steal(&gz, &p->gz_len);
		hp_buf__free(&gz);
	}
	pthread_mutex_lock(&c->lock);
	old = c->page;
	c->page = p;
	if (!old)
		pthread_cond_broadcast(&c->first);
	pthread_mutex_unlock(&c->lock);
	hp_metrics_page__put(old);
	return 0;
}

struct hp_metrics_page *hp_metrics_cache__get(struct hp_metrics_cache *c)
{
	struct hp_metrics_page *p;

	pthread_mutex_lock(&c->lock);
	p = c->page;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&c->lock);
	return p;
}

struct hp_metrics_page *hp_metrics_cache__wait(struct hp_metrics_cache *c, double timeout)
{
	struct hp_metrics_page *p;
	struct timespec deadline;

	hp_timespec__in(&deadline, timeout);
	pthread_mutex_lock(&c->lock);
	while (!c->page && pthread_cond_timedwait(&c->first, &c->lock, &deadline) == 0)
		;
	p = c->page;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&c->lock);
	return p;
}
