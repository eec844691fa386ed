/* SPDX-License-Identifier: GPL-2.0-only */
/* The /metrics page rendered once per tick and shared by every scrape: plain and gzip'd bytes,
 * reference-counted so a page being sent survives the next tick's replacement. */
#ifndef HOSTPROF_METRICS_CACHE_H
#define HOSTPROF_METRICS_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/buf.h"

struct hp_metrics_page {
	_Atomic int refs;
	unsigned int status; /* 200, or the HTTP status of the error in plain (JSON) */
	double rendered_at;  /* Unix time (s) the render began: data is at least this fresh */
	char *plain;	     /* exposition text (or JSON error), plain_len bytes */
	size_t plain_len;
	char *gz; /* gzip of plain, gz_len bytes; NULL for errors or if compression failed */
	size_t gz_len;
};

struct hp_metrics_cache {
	pthread_mutex_t lock;
	pthread_cond_t first;	      /* broadcast by the first publish */
	struct hp_metrics_page *page; /* NULL until the first publish */
};

void hp_metrics_cache__init(struct hp_metrics_cache *c);
void hp_metrics_cache__free(struct hp_metrics_cache *c);
/* Replaces the current page with body (taken over, left empty) answered with status; gzips a 200
 * page. rendered_at: Unix seconds. 0 or -ENOMEM (the old page stays). */
int hp_metrics_cache__publish(struct hp_metrics_cache *c, struct hp_buf *body, unsigned int status,
			      double rendered_at);
/* The current page with a reference taken (release with hp_metrics_page__put), or NULL. */
struct hp_metrics_page *hp_metrics_cache__get(struct hp_metrics_cache *c);
/* Like hp_metrics_cache__get, but waits up to timeout seconds for the first page (start-up). */
struct hp_metrics_page *hp_metrics_cache__wait(struct hp_metrics_cache *c, double timeout);
/* Drops a reference; frees the page with the last one. void * so it can be a free callback. */
void hp_metrics_page__put(void *page);

#endif
