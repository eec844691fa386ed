// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's `flows` map for hp_tcp__collect(): the generation is moved on, then the
 * rows no program can still be adding to are drained once (collectors/map_drain.h), the live generation left
 * for the next drain. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "tcp_table.h"

/*
 * A row is finished when no program can still be adding to it: after the barrier (bpf_sync.h),
 * every generation but the live one; without it, neither the live one nor the one before it (a
 * program may still be inside an update it began before the generation moved: it is taken at
 * the next drain, one tick late).
 */
struct read_ctx {
	__u8 live;
	bool synced;
};

static bool read__want(const void *key, void *ctx)
{
	const struct read_ctx *c = ctx;
	__u8 gen = ((const struct hp_tcp_key *)key)->gen;

	return gen != c->live && (c->synced || gen != (__u8)(c->live - 1));
}

/* The spill map's finished rows, appended to the drain's (flows') rows. 0 or a negative errno. */
static int read__spill(struct tcp_priv *p, int spill_fd, struct read_ctx *c)
{
	size_t n0 = p->drain.nkeys, ks = sizeof(struct hp_tcp_key), vs = sizeof(struct hp_tcp_val);
	ssize_t n;
	void *k, *v;

	p->spill.key_size = ks;
	p->spill.value_size = vs;
	n = hp_map_drain__run(&p->spill, spill_fd, read__want, NULL, c, &p->read_errors);
	if (p->spill.nkeys == 0)
		return n < 0 ? (int)n : 0;
	k = realloc(p->drain.keys, (n0 + p->spill.nkeys) * ks);
	if (k)
		p->drain.keys = k;
	v = realloc(p->drain.vals, (n0 + p->spill.nkeys) * vs);
	if (v)
		p->drain.vals = v;
	if (!k || !v)
		return -ENOMEM;
	memcpy((char *)p->drain.keys + n0 * ks, p->spill.keys, p->spill.nkeys * ks);
	memcpy((char *)p->drain.vals + n0 * vs, p->spill.vals, p->spill.nkeys * vs);
	p->drain.nkeys = n0 + p->spill.nkeys;
	return n < 0 ? (int)n : 0;
}

int hp_tcp__collect(struct hp_tcp_state *t, int flows_fd, int spill_fd, volatile __u8 *gen,
		    double now)
{
	struct tcp_priv *p = t->priv;
	struct read_ctx c = { .live = (__u8)(*gen + 1) };
	ssize_t n;
	int err = 0;

	if (p->sync_state == 0)
		p->sync_state = hp_bpf_sync__open(&p->sync) ?: 1;
	/* from here on programs add to generation live */
	*gen = c.live;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (p->sync_state > 0 && hp_bpf_sync__wait(&p->sync) == 0)
		c.synced = true;
	p->drain.key_size = sizeof(struct hp_tcp_key);
	p->drain.value_size = sizeof(struct hp_tcp_val); /* one value shared by the CPUs */
	n = hp_map_drain__run(&p->drain, flows_fd, read__want, NULL, &c, &p->read_errors);
	if (n < 0)
		err = (int)n; /* the rows taken before the error are in the drain */
	if (spill_fd >= 0) {
		int e = read__spill(p, spill_fd, &c);

		if (e && !err)
			err = e;
	}
	if (hp_tcp__ingest(t, p->drain.keys, p->drain.vals, p->drain.nkeys, now))
		err = -ENOMEM;
	return err;
}
