// SPDX-License-Identifier: GPL-2.0-only
/* The TCP collector's cumulative flow table (see tcp.h): drained rows merged into at most
 * cfg.max_rows rows with least-recent eviction, then handed to the series and a window snapshot. */
#include "tcp.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/self_stats.h"
#include "collectors/pod_drain.h"
#include "collectors/rows.h"
#include "collectors/topk.h"
#include "tcp_table.h"

/* Windows: tick steps for the last 30 s, 30 s steps up to --retention (15 min at most), as for
 * run-queue latency: at most 61 snapshots of max_rows x 824 bytes (51 MB at the default 1024 rows, all live for 15 min). */
#define TCP_FINE_SLOTS 30
#define TCP_COARSE_INTERVAL 30.0
#define TCP_COARSE_SLOTS 30

/* ---- rows and labels ---- */

int tcp_flow__cmp_id(const struct hp_tcp_flow *x, const struct hp_tcp_flow *y)
{
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (c)
		return c;
	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->direction - (int)y->direction;
}

int hp_tcp_flow__cmp(const void *a, const void *b)
{
	const struct hp_tcp_flow *x = a, *y = b;
	int c = tcp_flow__cmp_id(x, y);

	if (c)
		return c;
	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

const struct hp_khist_type hp_tcp_row_type = {
	.row_size = sizeof(struct hp_tcp_row),
	.key_size = offsetof(struct hp_tcp_row, events),
	.counters_off = offsetof(struct hp_tcp_row, events),
	.live_off = offsetof(struct hp_tcp_row, events),
	.hist_off = HP_TCP_HIST_OPEN,
	.cmp = hp_tcp_flow__cmp,
};

_Static_assert(sizeof(struct hp_tcp_row) % 8 == 0, "hp_tcp_row: whole u64 counters");
_Static_assert(offsetof(struct hp_tcp_row, events) == sizeof(struct hp_tcp_flow),
	       "hp_tcp_row: counters right after the identity");
_Static_assert(sizeof(struct hp_tcp_val) % 8 == 0, "hp_tcp_val: only u64 counters");

void tcp_val__add(struct hp_tcp_val *dst, const struct hp_tcp_val *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

static __u64 tcp__sum(const __u64 *c, size_t n)
{
	__u64 s = 0;

	for (size_t i = 0; i < n; i++)
		s += c[i];
	return s;
}

__u64 tcp_val__events(const struct hp_tcp_val *v)
{
	static const struct hp_tcp_val zero;
	/* an open is in results (and, when it succeeded, also in open_buckets: counted once) */
	__u64 e = tcp__sum(v->results, HP_TCP_RESULT__COUNT) +
		  tcp__sum(v->rtt_buckets, HP_HIST_BUCKETS) +
		  tcp__sum(v->duration_buckets, HP_HIST_BUCKETS) + v->syn_retransmits +
		  v->retransmits + v->resets_received + v->resets_sent;

	return e || memcmp(v, &zero, sizeof(zero)) == 0 ? e : 1;
}

struct tcp_acc *tcp__row(const struct tcp_priv *p, const struct hp_tcp_flow *id)
{
	size_t lo = 0, hi = p->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tcp_flow__cmp_id(&p->rows[mid].row.id, id);

		if (c == 0)
			return &p->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- life cycle ---- */

int hp_tcp__init(struct hp_tcp_state *t, const struct hp_tcp_config *cfg, double tick, double now)
{
	size_t coarse_slots = TCP_COARSE_SLOTS;
	struct tcp_priv *p;
	struct hp_khist *origin;

	memset(t, 0, sizeof(*t));
	if (cfg)
		t->cfg = *cfg;
	else
		t->cfg = (struct hp_tcp_config){ .top_peers = HP_TCP_TOP_PEERS_DEFAULT,
						 .top_ports = HP_TCP_TOP_PORTS_DEFAULT };
	if (!t->cfg.max_rows)
		t->cfg.max_rows = HP_TCP_ROWS_DEFAULT;
	if (t->cfg.top_ports > TCP_TOP_PORTS_MAX) /* there are no more (direction, port) pairs */
		t->cfg.top_ports = TCP_TOP_PORTS_MAX;
	/* the coarse tier reaches back --retention, no further (each slot holds every row) */
	if (t->cfg.retention > 0 && t->cfg.retention < TCP_COARSE_INTERVAL * TCP_COARSE_SLOTS)
		coarse_slots = (size_t)ceil(t->cfg.retention / TCP_COARSE_INTERVAL);
	p = calloc(1, sizeof(*p));
	origin = hp_khist__new(&hp_tcp_row_type, now, 0);
	if (p) {
		p->last_t = now;
		p->flows = calloc(t->cfg.top_peers + 1, sizeof(*p->flows));
		p->ports = calloc(t->cfg.top_ports + 1, sizeof(*p->ports));
		p->port_slot = calloc(2 * 65536, sizeof(*p->port_slot));
	}
	if (!p || !p->flows || !p->ports || !p->port_slot || !origin ||
	    hp_window__init(&t->window, &hp_khist_window_ops, tick > 0 ? tick : 1.0, TCP_FINE_SLOTS,
			    TCP_COARSE_INTERVAL, coarse_slots, now, origin)) {
		hp_khist__release(origin);
		if (p) {
			free(p->flows);
			free(p->ports);
			free(p->port_slot);
		}
		free(p);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	t->window_ready = true;
	t->latest = origin; /* the window took its own reference */
	t->priv = p;
	return 0;
}

void hp_tcp__free(struct hp_tcp_state *t)
{
	struct tcp_priv *p = t->priv;

	if (t->window_ready)
		hp_window__free(&t->window);
	hp_khist__release(t->latest);
	if (p) {
		free(p->rows);
		free(p->delta);
		free(p->flows);
		free(p->ports);
		free(p->port_slot);
		hp_map_drain__free(&p->drain);
		hp_map_drain__free(&p->spill);
		if (p->sync_state > 0)
			hp_bpf_sync__close(&p->sync);
		free(p);
	}
	hp_pod_drain__free(t->pods);
	memset(t, 0, sizeof(*t));
}

double hp_tcp__retention(const struct hp_tcp_state *t)
{
	return hp_window__retention(&t->window);
}

void hp_tcp__self_stats(const struct hp_tcp_state *t, struct hp_self_stats *out)
{
	const struct tcp_priv *p = t->priv;

	if (!p)
		return;
	hp_self_stats__add_map(out, "tcp_flows_table", p->nrows, t->cfg.max_rows);
	if (p->drain.max_entries)
		hp_self_stats__add_map(out, "flows", p->drain.rows, p->drain.max_entries);
	if (out->ndrops < HP_SELF_MAX) {
		out->drops[out->ndrops].reason = "flows_read_error";
		out->drops[out->ndrops++].count = p->read_errors;
	}
}

/* ---- ingest ---- */

/* Victim order: the least recently active first, then the fewest events, then identity. */
static int tcp_victim__cmp(const void *a, const void *b, void *arg)
{
	const struct tcp_acc *r = arg;
	const struct tcp_acc *x = &r[*(const size_t *)a], *y = &r[*(const size_t *)b];

	if (x->seen != y->seen)
		return x->seen < y->seen ? -1 : 1;
	if (x->row.events != y->row.events)
		return x->row.events < y->row.events ? -1 : 1;
	return tcp_flow__cmp_id(&x->row.id, &y->row.id);
}

static int tcp_delta__cmp(const void *a, const void *b)
{
	return tcp_flow__cmp_id(a, b);
}

static void tcp_delta__merge(void *dst, const void *src)
{
	struct hp_tcp_row *d = dst;
	const struct hp_tcp_row *s = src;

	d->events += s->events;
	tcp_val__add(&d->v, &s->v);
}

/* The n drained rows as sorted hp_tcp_row deltas, one per identity (both generations of a flow
 * summed), in p->delta; their count, or -1 on ENOMEM. */
static ssize_t tcp__deltas(struct tcp_priv *p, const struct hp_tcp_key *keys,
			   const struct hp_tcp_val *vals, size_t n)
{
	size_t m = 0;

	if (hp_rows__reserve((void **)&p->delta, &p->delta_cap, n, sizeof(*p->delta)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct hp_tcp_row *r = &p->delta[m];

		if (keys[i].direction != HP_TCP_ACTIVE && keys[i].direction != HP_TCP_PASSIVE) {
			p->read_errors++; /* the kernel never writes one: not ours to guess */
			continue;
		}
		memset(r, 0, sizeof(*r));
		memcpy(r->id.addr, keys[i].addr, sizeof(r->id.addr));
		r->id.cgroup_id = keys[i].cgroup_id;
		r->id.port = keys[i].port;
		r->id.direction = keys[i].direction;
		r->v = vals[i];
		r->events = tcp_val__events(&r->v);
		m += r->events != 0;
	}
	return (ssize_t)hp_rows__sort_merge(p->delta, m, sizeof(*p->delta), tcp_delta__cmp,
					    tcp_delta__merge);
}

struct tcp_merge_ctx {
	const struct tcp_priv *p;
	double decay;
};

static int tcp_acc__cmp(const void *row, const void *delta)
{
	return tcp_flow__cmp_id(&((const struct tcp_acc *)row)->row.id, delta);
}

static void tcp_acc__keep(void *row, void *ctx)
{
	((struct tcp_acc *)row)->score *= ((struct tcp_merge_ctx *)ctx)->decay;
}

static void tcp_acc__add(void *row, const void *delta, void *ctx)
{
	struct tcp_acc *r = row;
	const struct hp_tcp_row *d = delta;

	r->row.events += d->events;
	tcp_val__add(&r->row.v, &d->v);
	r->score += (double)d->events;
	r->seen = ((struct tcp_merge_ctx *)ctx)->p->seq;
}

static void tcp_acc__create(void *row, const void *delta, void *ctx)
{
	struct tcp_acc *r = row;

	r->row.id = ((const struct hp_tcp_row *)delta)->id;
	r->row.id.epoch = (__u32)((struct tcp_merge_ctx *)ctx)->p->seq;
	r->series = -1;
	tcp_acc__add(row, delta, ctx);
}

/* Merges the m sorted deltas into the table (scores decayed first), then evicts beyond
 * cfg.max_rows. 0 or -ENOMEM. */
static int tcp__merge(struct hp_tcp_state *t, size_t m, double decay)
{
	static const struct hp_rows_merge_ops ops = {
		.row_size = sizeof(struct tcp_acc),
		.delta_size = sizeof(struct hp_tcp_row),
		.cmp = tcp_acc__cmp,
		.keep = tcp_acc__keep,
		.create = tcp_acc__create,
		.add = tcp_acc__add,
	};
	struct tcp_priv *p = t->priv;
	struct tcp_merge_ctx ctx = { p, decay };

	if (hp_rows__merge((void **)&p->rows, &p->nrows, p->delta, m, &ops, &ctx))
		return -ENOMEM;
	/* an evicted flow's series is demoted by tcp__rank(): its row is gone */
	return hp_rows__bound(p->rows, &p->nrows, sizeof(*p->rows), t->cfg.max_rows,
			      tcp_victim__cmp, &t->evicted_rows);
}

/* The table as an hp_khist at now (refs 1), or NULL. */
static struct hp_khist *tcp__snapshot(const struct tcp_priv *p, double now)
{
	struct hp_khist *s = hp_khist__new(&hp_tcp_row_type, now, p->nrows);

	if (!s)
		return NULL;
	/* the table is in identity order, one row per identity: the set's key order too */
	for (size_t i = 0; i < p->nrows; i++)
		*(struct hp_tcp_row *)hp_khist__push(s) = p->rows[i].row;
	return s;
}

int hp_tcp__ingest(struct hp_tcp_state *t, const struct hp_tcp_key *keys,
		   const struct hp_tcp_val *vals, size_t n, double now)
{
	struct tcp_priv *p = t->priv;
	struct hp_khist *snap;
	ssize_t m;
	int err;

	p->seq++;
	m = tcp__deltas(p, keys, vals, n);
	if (m < 0 || tcp__merge(t, (size_t)m, hp_topk__decay(p->last_t, now, TCP_HALF_LIFE)))
		return -ENOMEM;
	p->last_t = now;
	/* on ENOMEM the slots stay as they were: the deltas are attributed all the same */
	err = tcp__rank(t);
	tcp__attribute(t, p->delta, (size_t)m);
	hp_tcp__pods(t, p->delta, (size_t)m, now);
	snap = tcp__snapshot(p, now);
	if (!snap)
		return -ENOMEM;
	hp_khist__release(t->latest);
	t->latest = snap;
	hp_window__push(&t->window, now, snap);
	return err;
}
