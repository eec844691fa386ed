// SPDX-License-Identifier: GPL-2.0-only
/* The drain of finished rows out of a BPF hash map (see map_drain.h): batch reads in chunks that
 * grow when a hash bucket does not fit, batch deletes, and the per-key path of older kernels. */
#include "map_drain.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_CHUNK 256	      /* rows per batch read to start with */
#define DRAIN_CHUNK_MAX 65536 /* a hash bucket never holds more */
#define ENOTSUPP_KERNEL 524   /* the kernel's ENOTSUPP, not in userspace errno.h */

/* Room for rows rows of keys and values in the chunk buffers. */
static int drain__buffers(struct hp_map_drain *d, size_t rows)
{
	void *k, *v;

	if (rows <= d->buf_rows && d->value_size == d->buf_value_size)
		return 0;
	k = reallocarray(d->chunk_keys, rows, d->key_size);
	if (k)
		d->chunk_keys = k;
	v = reallocarray(d->chunk_vals, rows, d->value_size);
	if (v)
		d->chunk_vals = v;
	if (!k || !v) {
		d->buf_rows = 0;
		return -ENOMEM;
	}
	d->buf_rows = rows;
	d->buf_value_size = d->value_size;
	return 0;
}

/* Room for one more taken row in d->keys, and in d->vals when values are kept (a drain either
 * always keeps them or never). */
static int drain__room(struct hp_map_drain *d, bool values)
{
	size_t cap = d->nkeys < d->keys_cap ? d->keys_cap : d->keys_cap ? 2 * d->keys_cap : 256;
	void *p;

	if (cap > d->keys_cap) {
		p = reallocarray(d->keys, cap, d->key_size);
		if (!p)
			return -ENOMEM;
		d->keys = p;
	}
	if (values && (cap > d->keys_cap || d->vals_size != d->value_size)) {
		p = reallocarray(d->vals, cap, d->value_size);
		if (!p)
			return -ENOMEM;
		d->vals = p;
		d->vals_size = d->value_size;
	}
	d->keys_cap = cap;
	return 0;
}

/* Row key -> value taken: into slot at of keys (and vals), or handed to take. */
static int drain__took(struct hp_map_drain *d, size_t at, const void *key, const void *value,
		       hp_map_drain_take_fn take, void *ctx)
{
	memmove((char *)d->keys + at * d->key_size, key, d->key_size);
	if (!take) {
		memcpy((char *)d->vals + at * d->value_size, value, d->value_size);
		return 0;
	}
	return take(key, value, ctx);
}

static bool drain__unsupported(int err)
{
	return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == ENOTSUPP_KERNEL;
}

/* Batch path: rows taken, -EOPNOTSUPP when the kernel cannot batch (nothing read), or -errno. */
static ssize_t drain__batch(struct hp_map_drain *d, int fd, hp_map_drain_want_fn want,
			    hp_map_drain_take_fn take, void *ctx, __u64 *errors)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch = 0; /* opaque to us (a bucket index for hash maps) */
	bool first = true, done = false;
	int err = 0;

	d->rows = 0;
	while (!done && !err) {
		__u32 count = (__u32)d->chunk;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, d->chunk_keys,
					     d->chunk_vals, &count, &opts);

		if (r && errno == ENOSPC && count == 0 && d->chunk < DRAIN_CHUNK_MAX) {
			/* a bucket holds more rows than a chunk: retry it with room for all */
			if (drain__buffers(d, d->chunk * 2))
				return -ENOMEM;
			d->chunk *= 2;
			continue;
		}
		if (r && errno != ENOENT) {
			if (first && drain__unsupported(errno))
				return -EOPNOTSUPP;
			err = -errno;
			break;
		}
		done = r != 0;
		first = false;
		d->rows += count;
		for (__u32 i = 0; i < count && i < d->chunk && !err; i++) {
			const char *key = (const char *)d->chunk_keys + (size_t)i * d->key_size;

			if (!want(key, ctx))
				continue;
			err = drain__room(d, !take);
			if (!err)
				err = drain__took(d, d->nkeys++, key,
						  (const char *)d->chunk_vals +
						      (size_t)i * d->value_size,
						  take, ctx);
			if (err)
				(*errors)++; /* deleted below, or left in the map, but not taken */
		}
	}
	/* what was taken goes, even when the read stopped early */
	for (size_t at = 0; at < d->nkeys;) {
		__u32 count = (__u32)(d->nkeys - at);

		if (bpf_map_delete_batch(fd, (char *)d->keys + at * d->key_size, &count, &opts) ==
		    0)
			break;
		/* count rows went; the next one failed: delete it alone, then batch the rest */
		at += count;
		if (at < d->nkeys && bpf_map_delete_elem(fd, (char *)d->keys + at * d->key_size) &&
		    errno != ENOENT)
			(*errors)++;
		at++;
	}
	return err ? err : (ssize_t)d->nkeys;
}

/* The row of key into value, deleted: 0, 1 when it is gone, or -errno. */
static int drain__take_one(int fd, const void *key, void *value)
{
	if (bpf_map_lookup_and_delete_elem(fd, key, value) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	if (!drain__unsupported(errno))
		return -errno;
	/* before Linux 5.14 hash maps had no lookup-and-delete */
	if (bpf_map_lookup_elem(fd, key, value))
		return errno == ENOENT ? 1 : -errno;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Per-key path: lists the wanted keys, then takes each once. Rows taken or -errno. */
static ssize_t drain__per_key(struct hp_map_drain *d, int fd, hp_map_drain_want_fn want,
			      hp_map_drain_take_fn take, void *ctx, __u64 *errors)
{
	char *key = d->chunk_keys, *next = (char *)d->chunk_keys + d->key_size;
	size_t m = 0, bound = d->max_entries ? 2 * d->max_entries + 64 : SIZE_MAX;
	bool started = false;

	d->rows = 0;
	while (d->rows < bound && bpf_map_get_next_key(fd, started ? key : NULL, next) == 0) {
		d->rows++;
		memcpy(key, next, d->key_size);
		started = true;
		if (!want(key, ctx))
			continue;
		if (drain__room(d, !take)) {
			d->nkeys = 0; /* listed, nothing taken yet */
			return -ENOMEM;
		}
		memcpy((char *)d->keys + d->nkeys++ * d->key_size, key, d->key_size);
	}
	/* the listed keys are taken one by one and compacted to the ones that were there */
	for (size_t i = 0; i < d->nkeys; i++) {
		const char *k = (const char *)d->keys + i * d->key_size;
		int r = drain__take_one(fd, k, d->chunk_vals);

		if (r < 0)
			(*errors)++;
		if (r)
			continue;
		if (drain__took(d, m++, k, d->chunk_vals, take, ctx)) {
			d->nkeys = m;
			return -ENOMEM;
		}
	}
	d->nkeys = m;
	return (ssize_t)m;
}

ssize_t hp_map_drain__run(struct hp_map_drain *d, int fd, hp_map_drain_want_fn want,
			  hp_map_drain_take_fn take, void *ctx, __u64 *errors)
{
	ssize_t n = -EOPNOTSUPP;

	if (!d->chunk)
		d->chunk = DRAIN_CHUNK;
	/* the per-key path keeps two keys in the chunk buffer */
	if (drain__buffers(d, d->chunk > 2 ? d->chunk : 2))
		return -ENOMEM;
	if (!d->max_entries) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			d->max_entries = info.max_entries;
	}
	d->nkeys = 0;
	if (!d->no_batch) {
		n = drain__batch(d, fd, want, take, ctx, errors);
		d->no_batch = n == -EOPNOTSUPP;
	}
	if (d->no_batch)
		n = drain__per_key(d, fd, want, take, ctx, errors);
	if (n < 0)
		(*errors)++;
	return n;
}

void hp_map_drain__free(struct hp_map_drain *d)
{
	free(d->chunk_keys);
	free(d->chunk_vals);
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}
