/* SPDX-License-Identifier: GPL-2.0-only */
/* Open-addressing hash index from a caller-defined key to a dense u32 id: the profile builder and
 * the exporters all deduplicate (strings, frames, stacks, functions) through this one structure. */
#ifndef HOSTPROF_IDMAP_H
#define HOSTPROF_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The index stores (hash, id) pairs only; the keys live in the caller's arrays, and an equality
 * callback compares a candidate id with the key being looked up. Linear probing, power-of-two
 * capacity, grown at 70% load. Zero-initialised is a valid empty index.
 */
struct hp_idmap_slot {
	uint32_t hash; /* low 32 bits of the key's hash */
	uint32_t id1;  /* id + 1; 0 marks an empty slot */
};

struct hp_idmap {
	struct hp_idmap_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* True when id's key equals key. */
typedef bool (*hp_idmap_eq_fn)(const void *ctx, uint32_t id, const void *key);

void hp_idmap__free(struct hp_idmap *m);
/* Forgets every entry but keeps the storage (re-inserting up to n entries cannot fail). */
void hp_idmap__clear(struct hp_idmap *m);
/* The id whose key equals key, or -1. */
int64_t hp_idmap__find(const struct hp_idmap *m, uint64_t hash, hp_idmap_eq_fn eq, const void *ctx,
		       const void *key);
/* Adds id under hash; the caller has checked the key is absent. 0 or -ENOMEM. */
int hp_idmap__insert(struct hp_idmap *m, uint64_t hash, uint32_t id);
/* Makes room for n entries in total, so that the next inserts up to n cannot fail. */
int hp_idmap__reserve(struct hp_idmap *m, size_t n);

/* Hashes for building keys: bytes (strings, frame arrays) and one 64-bit word. */
uint64_t hp_hash__bytes(const void *data, size_t len, uint64_t seed);
uint64_t hp_hash__u64(uint64_t x);
static inline uint64_t hp_hash__combine(uint64_t h, uint64_t v)
{
	return hp_hash__u64(h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2)));
}

#endif
