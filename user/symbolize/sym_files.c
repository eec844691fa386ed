// SPDX-License-Identifier: GPL-2.0-only
/* The cache of parsed ELF tables, shared by every process that maps the same content: found by
 * file identity (fstat of the descriptor read) or build-id, referenced by mappings, LRU-evicted. */
#include <stdlib.h>
#include <string.h>

#include "sym_internal.h"

static size_t files__bucket(const struct hp_symbolizer *s, const struct file_key *k)
{
	uint64_t h = k->ino * 0x9e3779b97f4a7c15ULL ^ k->dev * 0xc2b2ae3d27d4eb4fULL ^
		     (uint64_t)k->mtime_ns ^ k->size;

	return (size_t)(h ^ h >> 29) & (s->nid_buckets - 1);
}

void hp_sym_file__touch(struct hp_symbolizer *s, struct elf_file *f)
{
	hp_lru__touch(&s->files, &f->lru);
}

static void files__drop_id(struct hp_symbolizer *s, struct file_id *id)
{
	struct file_id **pp = &s->ids[files__bucket(s, &id->key)];

	while (*pp && *pp != id)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = id->hnext;
	free(id);
}

/* Re-computes f's accounted size after its table or identities changed. */
static void file__account(struct hp_symbolizer *s, struct elf_file *f)
{
	s->bytes[HP_SYM_CACHE_ELF] -= f->bytes;
	f->bytes = sizeof(*f) + f->nids * sizeof(struct file_id) +
		   (f->syms ? hp_elf_syms__mem_size(f->syms) : 0);
	s->bytes[HP_SYM_CACHE_ELF] += f->bytes;
}

void hp_sym_file__destroy(struct hp_symbolizer *s, struct elf_file *f)
{
	s->bytes[HP_SYM_CACHE_ELF] -= f->bytes;
	hp_lru__remove(&s->files, &f->lru);
	while (f->ids) {
		struct file_id *id = f->ids;

		f->ids = id->fnext;
		files__drop_id(s, id);
	}
	hp_elf_syms__free(f->syms);
	free(f);
}

/* Evicts least recently used files no process references until the bound holds again. */
static void files__evict(struct hp_symbolizer *s)
{
	struct hp_lru_node *n = s->files.tail;

	while (s->files.n > s->max_files && n) {
		struct hp_lru_node *prev = n->prev;
		struct elf_file *f = hp_sym__file_of(n);

		if (!f->refs) {
			hp_sym_file__destroy(s, f);
			s->stats.evictions[HP_SYM_CACHE_ELF][HP_SYM_EVICT_CAPACITY]++;
		}
		n = prev;
	}
}

void hp_sym_file__ref(struct hp_symbolizer *s, struct elf_file *f)
{
	f->refs++;
	hp_sym_file__touch(s, f);
}

void hp_sym_file__unref(struct hp_symbolizer *s, struct elf_file *f)
{
	if (f && !--f->refs)
		files__evict(s);
}

struct elf_file *hp_sym_files__find_key(struct hp_symbolizer *s, const struct file_key *k)
{
	for (struct file_id *id = s->ids[files__bucket(s, k)]; id; id = id->hnext)
		if (hp_sym__key_eq(&id->key, k))
			return id->file;
	return NULL;
}

struct elf_file *hp_sym_files__find_build_id(struct hp_symbolizer *s, const char *build_id)
{
	if (!build_id[0])
		return NULL;
	for (struct hp_lru_node *n = s->files.head; n; n = n->next) {
		struct elf_file *f = hp_sym__file_of(n);

		if (f->syms && strcmp(f->build_id, build_id) == 0)
			return f;
	}
	return NULL;
}

void hp_sym_file__add_id(struct hp_symbolizer *s, struct elf_file *f, const struct file_key *k)
{
	struct file_id *id = calloc(1, sizeof(*id));
	size_t b;

	if (!id)
		return;
	id->key = *k;
	id->file = f;
	b = files__bucket(s, k);
	id->hnext = s->ids[b];
	s->ids[b] = id;
	id->fnext = f->ids;
	f->ids = id;
	if (++f->nids > SYM_IDS_PER_FILE) {
		struct file_id **pp = &f->ids;

		while ((*pp)->fnext)
			pp = &(*pp)->fnext;
		files__drop_id(s, *pp);
		*pp = NULL;
		f->nids--;
	}
	file__account(s, f);
}

struct elf_file *hp_sym_files__add(struct hp_symbolizer *s, const struct file_key *k,
				   struct hp_elf_syms *syms)
{
	struct elf_file *f = calloc(1, sizeof(*f));

	if (!f) {
		hp_elf_syms__free(syms);
		return NULL;
	}
	f->syms = syms;
	if (syms)
		hp_sym__copy(f->build_id, sizeof(f->build_id), hp_elf_syms__build_id(syms));
	hp_lru__add(&s->files, &f->lru);
	file__account(s, f);
	hp_sym_file__ref(s, f);
	hp_sym_file__add_id(s, f, k);
	files__evict(s);
	return f;
}
