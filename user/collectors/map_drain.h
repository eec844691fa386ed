/* SPDX-License-Identifier: GPL-2.0-only */
/* Draining finished rows out of a BPF hash map that programs keep adding to: every row read
 * once, the caller's choice of rows taken and deleted; shared by run-queue latency and TCP. */
#ifndef HOSTPROF_MAP_DRAIN_H
#define HOSTPROF_MAP_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct hp_map_drain {
	size_t key_size;   /* bytes of a key */
	size_t value_size; /* bytes of a row's value as the syscalls copy it (per-CPU maps: ncpus x
			      the value rounded up to 8); may change between runs */
	size_t chunk;	   /* rows per batch read (0: 128; doubles on ENOSPC) */
	bool no_batch;	   /* the kernel has no batch ops on this map: one key at a time */
	__u64 rows;	   /* rows the last run found (taken or not) */
	__u64 max_entries; /* the map's, read on the first run (0: unknown) */
	/* buffers */
	void *chunk_keys, *chunk_vals;
	size_t buf_rows, buf_value_size;
	/* after a run: the nkeys rows it took, keys[i] -> vals[i] (values only without take) */
	void *keys, *vals;
	size_t nkeys, keys_cap, vals_size;
};

/*
 * want(key, ctx): whether the row of key is taken (read, handed to take, deleted); decided on
 * the key alone. take(key, value, ctx): a taken row's value (private copy, valid during the
 * call); 0 or -ENOMEM (stops the run). Without take (NULL) the values are kept in d->vals.
 */
typedef bool (*hp_map_drain_want_fn)(const void *key, void *ctx);
typedef int (*hp_map_drain_take_fn)(const void *key, const void *value, void *ctx);

/*
 * One drain of the hash map fd: reads every row once (BPF_MAP_LOOKUP_BATCH in chunks; on
 * kernels without batch ops on it, get_next_key listing then lookup-and-delete per key), hands
 * the wanted rows to take and deletes them (BPF_MAP_DELETE_BATCH). Programs must only add rows
 * that are not wanted meanwhile. Returns the rows taken (d->nkeys), or a negative errno (the
 * rows taken before it are in d->keys and were handed to take); every row read but not
 * deleted, or lost, adds 1 to *errors.
 */
ssize_t hp_map_drain__run(struct hp_map_drain *d, int fd, hp_map_drain_want_fn want,
			  hp_map_drain_take_fn take, void *ctx, __u64 *errors);
void hp_map_drain__free(struct hp_map_drain *d);

#endif
