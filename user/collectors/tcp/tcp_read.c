// SPDX-License-Identifier: GPL-2.0-only
/* Reading the kernel's `flows` map for hp_tcp__collect(): the generation is moved on, then the
 * rows no program can still be adding to are drained once (collectors/map_drain.h), the two live
 * generations left for later. */
#include "tcp.h"

#include <errno.h>
#include <sys/types.h>

#include "tcp_table.h"

/* A row is finished when its generation is neither the live one nor the one before it (a
 * program may still be inside an update it began before the generation moved). */
static bool read__want(const void *key, void *ctx)
{
	__u8 gen = ((const struct hp_tcp_key *)key)->gen, live = *(const __u8 *)ctx;

	return gen != live && gen != (__u8)(live - 1);
}

int hp_tcp__collect(struct hp_tcp_state *t, int flows_fd, volatile __u8 *gen, double now)
{
	struct tcp_priv *p = t->priv;
	__u8 live = (__u8)(*gen + 1);
	ssize_t n;
	int err = 0;

	/* from here on programs add to generation live */
	*gen = live;
	p->drain.key_size = sizeof(struct hp_tcp_key);
	p->drain.value_size = sizeof(struct hp_tcp_val); /* one value shared by the CPUs */
	n = hp_map_drain__run(&p->drain, flows_fd, read__want, NULL, &live, &p->read_errors);
	if (n < 0)
		err = (int)n; /* the rows taken before the error are in the drain */
	if (hp_tcp__ingest(t, p->drain.keys, p->drain.vals, p->drain.nkeys, now))
		err = -ENOMEM;
	return err;
}
