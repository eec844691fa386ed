// SPDX-License-Identifier: GPL-2.0-only
/* The bounded TCP series of /metrics (see tcp.h): which flows and which (direction, port) pairs
 * keep a series of their own, and every drained event attributed once, so no series decreases. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/topk.h"
#include "tcp_table.h"

/*
 * Ranking by decayed events (opens, RTT samples, closes, retransmits, resets), not by time: the
 * families are mostly counts of those events, and the histograms mix units (a connect takes
 * microseconds, a lifetime hours), so a time score would rank long-lived idle connections above a
 * peer that is refused a thousand times a second.
 */

static struct hp_tcp_val *tcp__other(struct tcp_priv *p, __u8 direction)
{
	return &p->other[direction < 3 ? direction : 0];
}

/* Index of (direction, port) in port_slot, or -1 for a direction no key has. */
static long tcp__port_index(__u8 direction, __u16 port)
{
	if (direction != HP_TCP_ACTIVE && direction != HP_TCP_PASSIVE)
		return -1;
	return (long)(direction - 1) * 65536 + port;
}

struct tcp_port_series *tcp__port_series(const struct hp_tcp_state *t, __u8 direction, __u16 port)
{
	struct tcp_priv *p = t->priv;
	long i = tcp__port_index(direction, port);

	return i >= 0 && p->port_slot[i] ? &p->ports[p->port_slot[i] - 1] : NULL;
}

/* Where the counts of a flow without a series of its own go: its port's, or "other". */
static struct hp_tcp_val *tcp__fold_target(struct hp_tcp_state *t, __u8 direction, __u16 port)
{
	struct tcp_port_series *ps = tcp__port_series(t, direction, port);

	return ps ? &ps->v : tcp__other(t->priv, direction);
}

/* Flow series slot s ends: what it counted goes to its port's "other" series (all only grow). */
static void tcp__demote_flow(struct hp_tcp_state *t, int s)
{
	struct tcp_priv *p = t->priv;
	struct tcp_flow_series *fs = &p->flows[s];
	struct tcp_acc *r = tcp__row(p, &fs->id);

	tcp_val__add(tcp__fold_target(t, fs->id.direction, fs->id.port), &fs->v);
	if (r && r->series == s)
		r->series = -1;
	memset(fs, 0, sizeof(*fs));
	p->demotions++;
}

static void tcp__flow_demote(void *ctx, const struct hp_topk_entry *e)
{
	tcp__demote_flow(ctx, e->slot);
}

static void tcp__flow_assign(void *ctx, const struct hp_topk_entry *e)
{
	struct hp_tcp_state *t = ctx;
	struct tcp_priv *p = t->priv;
	struct tcp_flow_series *fs = &p->flows[e->slot];

	memset(fs, 0, sizeof(*fs));
	fs->used = true;
	fs->id = p->rows[e->index].row.id;
	p->rows[e->index].series = e->slot;
}

/* The (direction, port) pairs of the table with their summed scores, and the port slots. */
struct tcp_port_rank {
	__u8 direction;
	__u16 port;
	int slot;
	double score;
};

struct tcp_port_ctx {
	struct hp_tcp_state *t;
	struct tcp_port_rank *pr;
};

static int tcp_port_rank__cmp(const void *a, const void *b)
{
	const struct tcp_port_rank *x = a, *y = b;

	if (x->direction != y->direction)
		return x->direction < y->direction ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void tcp__port_demote(void *ctx, const struct hp_topk_entry *e)
{
	struct tcp_port_ctx *c = ctx;
	struct tcp_priv *p = c->t->priv;
	struct tcp_port_series *ps = &p->ports[e->slot];

	tcp_val__add(tcp__other(p, ps->direction), &ps->v);
	p->port_slot[tcp__port_index(ps->direction, ps->port)] = 0;
	memset(ps, 0, sizeof(*ps));
	p->demotions++;
}

static void tcp__port_assign(void *ctx, const struct hp_topk_entry *e)
{
	struct tcp_port_ctx *c = ctx;
	struct tcp_priv *p = c->t->priv;
	struct tcp_port_series *ps = &p->ports[e->slot];

	memset(ps, 0, sizeof(*ps));
	ps->used = true;
	ps->direction = c->pr[e->index].direction;
	ps->port = c->pr[e->index].port;
	p->port_slot[tcp__port_index(ps->direction, ps->port)] = (__u16)(e->slot + 1);
}

/* Top cfg.top_ports (direction, port) pairs by the decayed events of all their flows. */
static int tcp__rank_ports(struct hp_tcp_state *t)
{
	static const struct hp_topk_ops ops = {
		.demote = tcp__port_demote,
		.assign = tcp__port_assign,
	};
	struct tcp_priv *p = t->priv;
	unsigned int k = t->cfg.top_ports;
	struct tcp_port_rank *pr = malloc((p->nrows + k + 1) * sizeof(*pr));
	struct hp_topk_entry *e = malloc((p->nrows + k + 1) * sizeof(*e));
	size_t n = 0, m = 0;
	int err = -ENOMEM;

	if (!pr || !e)
		goto out;
	for (size_t i = 0; i < p->nrows; i++)
		pr[n++] = (struct tcp_port_rank){ p->rows[i].row.id.direction,
						  p->rows[i].row.id.port, -1, p->rows[i].score };
	for (unsigned int s = 0; s < k; s++) /* a slot whose flows are all gone still holds */
		if (p->ports[s].used)
			pr[n++] = (struct tcp_port_rank){ p->ports[s].direction, p->ports[s].port,
							  (int)s, 0 };
	if (n > 1)
		qsort(pr, n, sizeof(*pr), tcp_port_rank__cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && tcp_port_rank__cmp(&pr[m - 1], &pr[i]) == 0) {
			pr[m - 1].score += pr[i].score;
			if (pr[i].slot >= 0)
				pr[m - 1].slot = pr[i].slot;
		} else {
			pr[m++] = pr[i];
		}
	}
	for (size_t i = 0; i < m; i++)
		e[i] = (struct hp_topk_entry){ pr[i].score, i, pr[i].slot };
	err = hp_topk__rank(e, m, k, TCP_HYSTERESIS, &ops,
			    &(struct tcp_port_ctx){ .t = t, .pr = pr });
out:
	free(pr);
	free(e);
	return err;
}

int tcp__rank(struct hp_tcp_state *t)
{
	static const struct hp_topk_ops ops = {
		.demote = tcp__flow_demote,
		.assign = tcp__flow_assign,
	};
	struct tcp_priv *p = t->priv;
	struct hp_topk_entry *e;
	size_t n = 0;
	int err;

	/* a series whose row was evicted (or replaced by a newer epoch) ends */
	for (unsigned int s = 0; s < t->cfg.top_peers; s++) {
		const struct tcp_acc *r;

		if (!p->flows[s].used)
			continue;
		r = tcp__row(p, &p->flows[s].id);
		if (!r || r->row.id.epoch != p->flows[s].id.epoch || r->series != (int)s)
			tcp__demote_flow(t, (int)s);
	}
	e = malloc((p->nrows + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrows; i++)
		if (!hp_tcp_flow__spilled(&p->rows[i].row.id)) /* "other" already: never a series */
			e[n++] = (struct hp_topk_entry){ p->rows[i].score, i, p->rows[i].series };
	err = hp_topk__rank(e, n, t->cfg.top_peers, TCP_HYSTERESIS, &ops, t);
	free(e);
	/* ports after flows: a flow demoted above folds into the port slot it had this tick */
	return tcp__rank_ports(t) ? -ENOMEM : err;
}

void tcp__attribute(struct hp_tcp_state *t, const struct hp_tcp_row *delta, size_t m)
{
	struct tcp_priv *p = t->priv;

	for (size_t j = 0; j < m; j++) {
		const struct tcp_acc *r = tcp__row(p, &delta[j].id);

		if (r && r->series >= 0)
			tcp_val__add(&p->flows[r->series].v, &delta[j].v);
		else
			tcp_val__add(tcp__fold_target(t, delta[j].id.direction, delta[j].id.port),
				     &delta[j].v);
	}
}
