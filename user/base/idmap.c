// SPDX-License-Identifier: GPL-2.0-only
/* Hash index from keys to dense ids (see idmap.h). Keeping only (hash, id) in the table makes it
 * generic and small: 8 bytes a slot, keys compared only when their 32-bit hashes match. */
#include "idmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IDMAP_MIN_CAP 64

void hp_idmap__free(struct hp_idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void hp_idmap__clear(struct hp_idmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->n = 0;
}

int64_t hp_idmap__find(const struct hp_idmap *m, uint64_t hash, hp_idmap_eq_fn eq, const void *ctx,
		       const void *key)
{
	uint32_t h = (uint32_t)hash;
	size_t mask, i;

	if (!m->cap)
		return -1;
	mask = m->cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		const struct hp_idmap_slot *s = &m->slots[i];

		if (!s->id1)
			return -1;
		if (s->hash == h && eq(ctx, s->id1 - 1, key))
			return s->id1 - 1;
	}
}

static void idmap__place(struct hp_idmap_slot *slots, size_t cap, uint32_t hash, uint32_t id1)
{
	size_t mask = cap - 1, i;

	for (i = hash & mask; slots[i].id1; i = (i + 1) & mask)
		;
	slots[i].hash = hash;
	slots[i].id1 = id1;
}

int hp_idmap__reserve(struct hp_idmap *m, size_t n)
{
	struct hp_idmap_slot *slots;
	size_t cap = m->cap ? m->cap : IDMAP_MIN_CAP;

	while (n * 10 >= cap * 7) {
		if (cap > SIZE_MAX / 2 / sizeof(*slots))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap == m->cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].id1)
			idmap__place(slots, cap, m->slots[i].hash, m->slots[i].id1);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int hp_idmap__insert(struct hp_idmap *m, uint64_t hash, uint32_t id)
{
	int err;

	if (id == UINT32_MAX)
		return -ENOMEM;
	err = hp_idmap__reserve(m, m->n + 1);
	if (err)
		return err;
	idmap__place(m->slots, m->cap, (uint32_t)hash, id + 1);
	m->n++;
	return 0;
}

uint64_t hp_hash__u64(uint64_t x)
{
	/* the splitmix64 finaliser: every input bit affects every output bit */
	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t hash__rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t hp_hash__bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ull), w;

	/* eight bytes per step; the tail is zero-padded (len is already mixed in) */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h ^= w * 0x87C37B91114253D5ull;
		h = hash__rotl(h, 29) * 0x4CF5AD432745937Full;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h ^= w * 0x87C37B91114253D5ull;
		h = hash__rotl(h, 29) * 0x4CF5AD432745937Full;
	}
	return hp_hash__u64(h);
}
