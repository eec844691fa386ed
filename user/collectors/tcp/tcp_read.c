// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's `flows` map for hp_tcp__collect(): the generation is moved on, then the
 * rows no program can still be adding to are drained once (collectors/map_drain.h), the two live
 * generations left for later. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>

#include "tcp_table.h"

/* Room for need rows in p->keys and p->vals. */
static int read__grow(struct tcp_priv *p, size_t need)
{
	size_t cap = p->keys_cap ? p->keys_cap : 256;
	struct hp_tcp_key *k;
	struct hp_tcp_val *v;

	if (need <= p->keys_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = reallocarray(p->keys, cap, sizeof(*k));
	if (k)
		p->keys = k;
	v = reallocarray(p->vals, cap, sizeof(*v));
	if (v)
		p->vals = v;
	if (!k || !v)
		return -ENOMEM;
	p->keys_cap = cap;
	return 0;
}

struct read_ctx {
	struct tcp_priv *p;
	__u8 live; /* the generation programs add to now */
};

/* A row is finished when its generation is neither the live one nor the one before it (a
 * program may still be inside an update it began before the generation moved). */
static bool read__want(const void *key, void *ctx)
{
	__u8 gen = ((const struct hp_tcp_key *)key)->gen, live = ((struct read_ctx *)ctx)->live;

	return gen != live && gen != (__u8)(live - 1);
}

static int read__take(const void *key, const void *value, void *ctx)
{
	struct tcp_priv *p = ((struct read_ctx *)ctx)->p;

	if (read__grow(p, p->nkeys + 1))
		return -ENOMEM;
	p->keys[p->nkeys] = *(const struct hp_tcp_key *)key;
	p->vals[p->nkeys++] = *(const struct hp_tcp_val *)value;
	return 0;
}

int hp_tcp__collect(struct hp_tcp_state *t, int flows_fd, volatile __u8 *gen, double now)
{
	struct tcp_priv *p = t->priv;
	struct read_ctx ctx = { p, (__u8)(*gen + 1) };
	ssize_t n;
	int err = 0;

	/* from here on programs add to generation live */
	*gen = ctx.live;
	p->drain.key_size = sizeof(struct hp_tcp_key);
	p->drain.value_size = sizeof(struct hp_tcp_val); /* one value shared by the CPUs */
	p->nkeys = 0;
	n = hp_map_drain__run(&p->drain, flows_fd, read__want, read__take, &ctx, &p->read_errors);
	if (n < 0)
		err = (int)n; /* the rows taken before the error are in p->keys */
	if (hp_tcp__ingest(t, p->keys, p->vals, p->nkeys, now))
		err = -ENOMEM;
	return err;
}
