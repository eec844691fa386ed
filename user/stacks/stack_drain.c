// SPDX-License-Identifier: GPL-2.0-only
/* The generation flip and map reads shared by stack-capturing collectors (see stack_drain.h);
 * what a collector does with its keys (labels, filters, stores) stays in its own folder. */
#include "stack_drain.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stack_resolve.h"

/*
 * After the flip, the drain waits for every program that may still write the old generation to
 * return: exactly, through the program barrier (base/bpf_sync.h); where that is unavailable, by
 * sleeping this long. The programs run with preemption off (perf_event in interrupt context,
 * tracepoints under the scheduler's or RCU's protection) and finish within microseconds, so the
 * delay is orders of magnitude of margin, not a proof.
 */
#define DRAIN_QUIESCE_US 1000
/* Stacks read per batch call (1 KiB each). */
#define DRAIN_STACK_BATCH 256
/* The kernel's ENOTSUPP (not in the UAPI headers), returned for unsupported map operations. */
#define DRAIN_ENOTSUPP 524

const char *const hp_stack_drop_names[HP_STACK_DROP__COUNT] = {
	[HP_STACK_DROP_COUNTS_FULL] = "counts_map_full",
	[HP_STACK_DROP_STACKS_FULL] = "stack_map_full",
	[HP_STACK_DROP_STACK_COLLISION] = "stack_hash_collision",
	[HP_STACK_DROP_KSTACK_ERROR] = "kernel_stack_error",
	[HP_STACK_DROP_USTACK_ERROR] = "user_stack_error",
	[HP_STACK_DROP_NOTIFY_FULL] = "new_process_notification_lost",
	[HP_STACK_DROP_EXIT_NOTIFY_FULL] = "process_exit_notification_lost",
	[HP_STACK_DROP_COUNTS_UPDATE] = "counts_map_update_failed",
	[HP_STACK_DROP_STACK_UPDATE] = "stack_map_update_failed",
	[HP_STACK_DROP_STACK_LOST] = "stack_lost",
};

int hp_stack_drain__init(struct hp_stack_drain *d, const struct hp_stack_maps *maps,
			 size_t max_counts, size_t table_capacity)
{
	memset(d, 0, sizeof(*d));
	if (!maps->gen || !maps->key_size || !max_counts || !table_capacity)
		return -EINVAL;
	d->maps = *maps;
	d->max_counts = max_counts;
	d->table = hp_stack_table__new(table_capacity);
	d->keys = calloc(max_counts, maps->key_size);
	d->counts = calloc(max_counts, sizeof(*d->counts));
	d->batch_hashes = calloc(DRAIN_STACK_BATCH, sizeof(*d->batch_hashes));
	d->batch_stacks = calloc(DRAIN_STACK_BATCH, sizeof(*d->batch_stacks));
	if (!d->table || !d->keys || !d->counts || !d->batch_hashes || !d->batch_stacks)
		return -ENOMEM;
	return 0;
}

void hp_stack_drain__free(struct hp_stack_drain *d)
{
	hp_stack_table__free(d->table);
	free(d->keys);
	free(d->counts);
	free(d->batch_hashes);
	free(d->batch_stacks);
	if (d->sync_state > 0)
		hp_bpf_sync__close(&d->sync);
	memset(d, 0, sizeof(*d));
}

/*
 * Reads and deletes up to cap entries of fd into keys/vals, *n of them. Kernels without batch
 * operations on hash maps fall back to walking the keys. The map's writers are quiescent.
 * Returns 1 when the map is empty now, 0 when the buffer filled first, or a negative errno.
 */
static int drain__read(int fd, size_t key_size, size_t val_size, void *keys, void *vals, size_t cap,
		       size_t *n)
{
	char token[64]; /* a hash map's batch position is a bucket number (u32) */
	int err;

	*n = 0;
	while (*n < cap) {
		__u32 count = (__u32)(cap - *n);

		/* always from the first bucket: what was read is deleted. A batch takes whole
		 * buckets; one that does not fit in the room left is -ENOSPC (left for the next
		 * call when something was read). */
		err = bpf_map_lookup_and_delete_batch(fd, NULL, token, (char *)keys + *n * key_size,
						      (char *)vals + *n * val_size, &count, NULL);
		if (err && err != -ENOENT) {
			if (err == -ENOSPC && *n)
				return 0;
			if (*n == 0 &&
			    (err == -EINVAL || err == -DRAIN_ENOTSUPP || err == -EOPNOTSUPP))
				goto walk;
			return err;
		}
		*n += count;
		if (err == -ENOENT || count == 0)
			return 1;
	}
	return 0;
walk:
	/* collect the keys first: deleting during get_next_key restarts the walk */
	while (*n < cap) {
		void *prev = *n ? (char *)keys + (*n - 1) * key_size : NULL;

		if (bpf_map_get_next_key(fd, prev, (char *)keys + *n * key_size))
			break;
		(*n)++;
	}
	for (size_t i = 0; i < *n; i++) {
		void *key = (char *)keys + i * key_size;

		if (bpf_map_lookup_elem(fd, key, (char *)vals + i * val_size))
			memset((char *)vals + i * val_size, 0, val_size);
		bpf_map_delete_elem(fd, key);
	}
	return *n < cap;
}

/* Moves every stack of the old generation into the table, in batches. */
static int drain__stacks(struct hp_stack_drain *d, int fd)
{
	size_t n;
	int done;

	d->last_stacks = 0;
	do {
		done = drain__read(fd, sizeof(*d->batch_hashes), sizeof(*d->batch_stacks),
				   d->batch_hashes, d->batch_stacks, DRAIN_STACK_BATCH, &n);
		for (size_t i = 0; i < n; i++) {
			struct hp_stack *st = &d->batch_stacks[i];

			if (st->len > HP_STACK_MAX_DEPTH) /* read once: clamp the private copy */
				st->len = HP_STACK_MAX_DEPTH;
			/* -EINVAL: an empty stack, which the kernel never stores */
			if (hp_stack_table__put(d->table, d->batch_hashes[i], st->ips, st->len) ==
			    -ENOMEM)
				return -ENOMEM;
		}
		d->last_stacks += n;
	} while (done == 0 && n > 0);
	return done < 0 ? done : 0;
}

int hp_stack_drain__collect(struct hp_stack_drain *d)
{
	__u32 old = *d->maps.gen & 1;
	int err, err2;

	*d->maps.gen = old ^ 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->sync_state == 0)
		d->sync_state = hp_bpf_sync__open(&d->sync) ?: 1;
	if (d->sync_state < 0 || hp_bpf_sync__wait(&d->sync))
		usleep(DRAIN_QUIESCE_US);

	/* stacks first: a count of this generation may refer to a stack stored in it */
	err = drain__stacks(d, d->maps.stacks_fd[old]);
	err2 = drain__read(d->maps.counts_fd[old], d->maps.key_size, sizeof(*d->counts), d->keys,
			   d->counts, d->max_counts, &d->nkeys);
	if (err2 > 0)
		err2 = 0;
	for (size_t i = 0; i < d->nkeys; i++) {
		d->events += d->counts[i].count;
		d->weight += d->counts[i].weight;
	}
	return err ? err : err2;
}

/* Appends the frames of the stack stored under hash (kernel, or user of pid), or the lost marker
 * when the kernel could not store it (lost) or the table no longer holds it; *cut: the stack
 * filled every slot. */
static int drain__one(struct hp_stack_drain *d, struct hp_profile *p, struct hp_symbolizer *sym,
		      bool kernel, pid_t pid, __u64 hash, bool lost, __u64 count, uint32_t *frames,
		      uint32_t *n, uint32_t cap, bool *cut)
{
	const __u64 *ips;
	uint32_t len;

	*cut = false;
	if (hash && hp_stack_table__get(d->table, hash, &ips, &len)) {
		*cut = len >= HP_STACK_MAX_DEPTH;
		return kernel ? hp_stack__resolve_kernel(p, sym, ips, len, frames, n, cap)
			      : hp_stack__resolve_user(p, sym, pid, ips, len, frames, n, cap);
	}
	if (hash) { /* captured, but evicted before this count arrived */
		d->stack_lost += count;
		lost = true;
	}
	if (!lost)
		return 0;
	return hp_stack__marker(p, kernel ? "[kernel stack lost]" : "[user stack lost]", frames, n,
				cap);
}

int hp_stack_drain__frames(struct hp_stack_drain *d, struct hp_profile *p,
			   struct hp_symbolizer *sym, pid_t pid, const struct hp_stack_ids *ids,
			   __u64 count, uint32_t *frames, uint32_t *n, uint32_t cap)
{
	bool kcut = false, ucut = false;
	int err;

	err = drain__one(d, p, sym, true, 0, ids->kstack, ids->flags & HP_STACK_KSTACK_LOST, count,
			 frames, n, cap, &kcut);
	if (!err)
		err = drain__one(d, p, sym, false, pid, ids->ustack,
				 ids->flags & HP_STACK_USTACK_LOST, count, frames, n, cap, &ucut);
	if (!err && ucut)
		err = hp_stack__marker(p, "[truncated]", frames, n, cap);
	if (!err && (kcut || ucut)) /* kept with its cut stack: counted, but not as a drop */
		d->truncated += count;
	return err;
}

__u64 hp_stack_drain__collisions(const struct hp_stack_drain *d)
{
	struct hp_stack_table_stats st;

	hp_stack_table__stats(d->table, &st);
	return st.collisions;
}

void hp_stack_drain__self_stats(const struct hp_stack_drain *d, int drops_fd, int ncpus,
				const char *const *reasons, unsigned int nreasons, __u64 exits_lost,
				size_t max_entries, struct hp_self_stats *out)
{
	struct hp_stack_table_stats table;
	int first = out->ndrops;

	hp_self_stats__add_drops(out, drops_fd, ncpus, reasons, nreasons);
	hp_stack_table__stats(d->table, &table);
	if (first + HP_STACK_DROP_STACK_LOST < out->ndrops) {
		out->drops[first + HP_STACK_DROP_STACK_COLLISION].count += table.collisions;
		out->drops[first + HP_STACK_DROP_STACK_LOST].count += d->stack_lost;
		out->drops[first + HP_STACK_DROP_EXIT_NOTIFY_FULL].count += exits_lost;
	}
	hp_self_stats__add_map(out, "counts", d->nkeys, max_entries);
	hp_self_stats__add_map(out, "stacks", d->last_stacks, max_entries);
	hp_self_stats__add_map(out, "stack_table", table.entries, table.capacity);
	out->has_stacks = true;
	out->stacks_truncated = d->truncated;
	out->stack_evictions = table.evictions;
}
