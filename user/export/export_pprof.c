// SPDX-License-Identifier: GPL-2.0-only
/* pprof exporter: profile.proto written by a tiny protobuf encoder and gzipped with zlib, for go
 * tool pprof, Pyroscope and Parca without a protobuf library. Field numbers: profile.proto. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/gzip.h"
#include "base/idmap.h"
#include "base/utf8.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* --- protobuf writer ---------------------------------------------------------------------- */

static void pb__varint(struct hp_buf *b, uint64_t v)
{
	char tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (char)v;
	hp_buf__append(b, tmp, n);
}

static void pb__tag(struct hp_buf *b, unsigned int field, unsigned int wire)
{
	pb__varint(b, (uint64_t)field << 3 | wire);
}

/* A scalar field; zero is the proto3 default and is left out. */
static void pb__uint(struct hp_buf *b, unsigned int field, uint64_t v)
{
	if (!v)
		return;
	pb__tag(b, field, WIRE_VARINT);
	pb__varint(b, v);
}

static void pb__bytes(struct hp_buf *b, unsigned int field, const void *data, size_t len)
{
	pb__tag(b, field, WIRE_LEN);
	pb__varint(b, len);
	if (len) /* an empty message may have no storage at all */
		hp_buf__append(b, data, len);
}

/* Appends the encoded message in msg as field, then empties msg for the next one. */
static void pb__message(struct hp_buf *b, unsigned int field, struct hp_buf *msg)
{
	pb__bytes(b, field, msg->data, msg->len);
	if (msg->oom)
		b->oom = true;
	hp_buf__reset(msg);
}

/* --- string table ------------------------------------------------------------------------- */

struct pprof_strings {
	struct hp_idmap index;
	const char **list;
	size_t n, cap;
	bool oom;
};

static bool strings__eq(const void *ctx, uint32_t id, const void *key)
{
	return strcmp(((const struct pprof_strings *)ctx)->list[id], key) == 0;
}

/* Index of s in the string table, adding it; the profile's strings outlive the encoding. */
static uint64_t strings__id(struct pprof_strings *st, const char *s)
{
	uint64_t h = hp_hash__bytes(s, strlen(s), 0);
	int64_t id = hp_idmap__find(&st->index, h, strings__eq, st, s);

	if (id >= 0)
		return (uint64_t)id;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		const char **l = realloc(st->list, cap * sizeof(*l));

		if (!l) {
			st->oom = true;
			return 0;
		}
		st->list = l;
		st->cap = cap;
	}
	if (hp_idmap__insert(&st->index, h, (uint32_t)st->n)) {
		st->oom = true;
		return 0;
	}
	st->list[st->n] = s;
	return st->n++;
}

/* --- functions: one per (name, system name); locations are the profile's frames ----------- */

struct pprof_funcs {
	struct hp_idmap index;
	uint32_t *of_frame;		    /* frame index -> function id (1-based) */
	const struct hp_prof_frame **first; /* function id - 1 -> a frame that names it */
	size_t n;
};

static bool funcs__eq(const void *ctx, uint32_t id, const void *key)
{
	const struct hp_prof_frame *a = ((const struct pprof_funcs *)ctx)->first[id], *b = key;

	return a->function == b->function && a->system_name == b->system_name; /* interned */
}

static int funcs__build(struct pprof_funcs *fn, const struct hp_profile *p)
{
	fn->of_frame = malloc((p->nframes + 1) * sizeof(*fn->of_frame));
	fn->first = malloc((p->nframes + 1) * sizeof(*fn->first));
	if (!fn->of_frame || !fn->first || hp_idmap__reserve(&fn->index, p->nframes))
		return -ENOMEM;
	for (size_t i = 0; i < p->nframes; i++) {
		const struct hp_prof_frame *f = &p->frames[i];
		uint64_t h = hp_hash__combine(hp_hash__u64((uintptr_t)f->function),
					      (uintptr_t)f->system_name);
		int64_t id = hp_idmap__find(&fn->index, h, funcs__eq, fn, f);

		if (id < 0) {
			id = (int64_t)fn->n;
			fn->first[fn->n++] = f;
			hp_idmap__insert(&fn->index, h, (uint32_t)id); /* reserved */
		}
		fn->of_frame[i] = (uint32_t)id + 1;
	}
	return 0;
}

static void funcs__free(struct pprof_funcs *fn)
{
	hp_idmap__free(&fn->index);
	free(fn->of_frame);
	free(fn->first);
}

/* --- encoding ----------------------------------------------------------------------------- */

static void pprof__value_type(struct hp_buf *b, struct hp_buf *msg, unsigned int field,
			      uint64_t type, uint64_t unit)
{
	pb__uint(msg, VALUE_TYPE_TYPE, type);
	pb__uint(msg, VALUE_TYPE_UNIT, unit);
	pb__message(b, field, msg);
}

/* A string label key=value on the sample being built in msg, when value is not empty; *k
 * caches the key's string id (0: not in the table yet). */
static void pprof__label(struct hp_buf *msg, struct hp_buf *packed, struct pprof_strings *st,
			 uint64_t *k, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	if (!*k)
		*k = strings__id(st, key);
	pb__uint(packed, LABEL_KEY, *k);
	pb__uint(packed, LABEL_STR, strings__id(st, value));
	pb__message(msg, SAMPLE_LABEL, packed);
}

static void pprof__samples(struct hp_buf *b, struct hp_buf *msg, struct hp_buf *packed,
			   const struct hp_profile *p, struct pprof_strings *st)
{
	uint64_t k_pid = strings__id(st, "pid"), k_process = strings__id(st, "process");
	uint64_t k_thread = strings__id(st, "thread"), k_cgroup = strings__id(st, "cgroup");
	uint64_t k_state = 0, k_ns = 0, k_pod = 0, k_container = 0;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		if (hp_prof_sample__empty(s))
			continue;
		/* location ids are frame index + 1, leaf first as profile.proto wants */
		for (uint32_t j = 0; j < s->nframes; j++)
			pb__varint(packed, (uint64_t)s->frames[j] + 1);
		if (s->nframes)
			pb__message(msg, SAMPLE_LOCATION_ID, packed);
		pb__varint(packed, s->count);
		pb__varint(packed, s->weight);
		pb__message(msg, SAMPLE_VALUE, packed);

		pb__uint(packed, LABEL_KEY, k_pid);
		pb__uint(packed, LABEL_NUM, s->pid);
		pb__message(msg, SAMPLE_LABEL, packed);
		pb__uint(packed, LABEL_KEY, k_process);
		pb__uint(packed, LABEL_STR, strings__id(st, s->process));
		pb__message(msg, SAMPLE_LABEL, packed);
		pb__uint(packed, LABEL_KEY, k_thread);
		pb__uint(packed, LABEL_STR, strings__id(st, s->thread));
		pb__message(msg, SAMPLE_LABEL, packed);
		if (s->cgroup) {
			pb__uint(packed, LABEL_KEY, k_cgroup);
			pb__uint(packed, LABEL_STR, strings__id(st, s->cgroup));
			pb__message(msg, SAMPLE_LABEL, packed);
		}
		if (s->state) {
			if (!k_state) /* only profiles with states have the key in their table */
				k_state = strings__id(st, "state");
			pb__uint(packed, LABEL_KEY, k_state);
			pb__uint(packed, LABEL_STR, strings__id(st, s->state));
			pb__message(msg, SAMPLE_LABEL, packed);
		}
		/* pod labels only on samples from pods, their keys only in tables that need them */
		pprof__label(msg, packed, st, &k_ns, "namespace", s->namespace_);
		pprof__label(msg, packed, st, &k_pod, "pod", s->pod);
		pprof__label(msg, packed, st, &k_container, "container", s->container);

		pb__message(b, PROFILE_SAMPLE, msg);
	}
}

/* A shared object ("libc.so.6", "ld-linux-x86-64.so.2") or a pseudo mapping ("[vdso]"): not
 * what a reader means by the program. */
static bool pprof__library(const char *file)
{
	const char *base = strrchr(file, '/'), *so;

	base = base ? base + 1 : file;
	so = strstr(base, ".so");
	return file[0] == '[' || (so && (so[3] == '\0' || so[3] == '.'));
}

/*
 * Numbers the mappings so the main binary is mapping 1: pprof readers take the first mapping as
 * the program ("File:" in go tool pprof), and Go's own profiles put the executable there. The
 * main binary is the executable (not a shared object, pseudo or kernel mapping) found in the
 * most samples' stacks, each sample counted once, by weight, then count: every user stack of a
 * process passes through its executable. Without one, the most present user mapping leads. The
 * others keep their order. id[k] is the pprof id of p->mappings[k - 1]; id[0] = 0 (no mapping).
 * -ENOMEM or 0.
 */
static int pprof__mapping_ids(const struct hp_profile *p, uint64_t *id)
{
	uint64_t *weight = calloc(p->nmappings + 1, sizeof(*weight));
	uint64_t *count = calloc(p->nmappings + 1, sizeof(*count));
	size_t *seen = calloc(p->nmappings + 1, sizeof(*seen)); /* sample index + 1 */
	size_t main = 0;

	if (!weight || !count || !seen) {
		free(weight);
		free(count);
		free(seen);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];

		for (uint32_t j = 0; j < s->nframes; j++) {
			uint32_t m = p->frames[s->frames[j]].mapping;

			if (!m || p->mappings[m - 1].kernel || seen[m] == i + 1)
				continue;
			seen[m] = i + 1;
			weight[m] += s->weight;
			count[m] += s->count;
		}
	}
	for (int libraries = 0; libraries < 2 && !main; libraries++)
		for (size_t m = 1; m <= p->nmappings; m++)
			if (count[m] && pprof__library(p->mappings[m - 1].file) == libraries &&
			    (!main || weight[m] > weight[main] ||
			     (weight[m] == weight[main] && count[m] > count[main])))
				main = m;
	id[0] = 0;
	for (size_t m = 1, next = main ? 2 : 1; m <= p->nmappings; m++)
		id[m] = m == main ? 1 : next++;
	free(weight);
	free(count);
	free(seen);
	return 0;
}

static void pprof__mappings(struct hp_buf *b, struct hp_buf *msg, const struct hp_profile *p,
			    const uint64_t *id, struct pprof_strings *st)
{
	/* in id order, so mapping 1 comes first in the file as well: the main binary, then the
	 * others in their own order (pprof__mapping_ids moves only the main one) */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nmappings; i++) {
			const struct hp_prof_mapping *m = &p->mappings[i];

			if ((id[i + 1] == 1) != (pass == 0))
				continue;
			pb__uint(msg, MAPPING_ID, id[i + 1]);
			pb__uint(msg, MAPPING_MEMORY_START, m->start);
			pb__uint(msg, MAPPING_MEMORY_LIMIT, m->limit);
			pb__uint(msg, MAPPING_FILE_OFFSET, m->offset);
			pb__uint(msg, MAPPING_FILENAME, strings__id(st, m->file));
			pb__uint(msg, MAPPING_BUILD_ID, strings__id(st, m->build_id));
			/* names come symbolized: pprof must not try to re-symbolize from local binaries */
			pb__uint(msg, MAPPING_HAS_FUNCTIONS, 1);
			pb__message(b, PROFILE_MAPPING, msg);
		}
}

static void pprof__locations(struct hp_buf *b, struct hp_buf *msg, struct hp_buf *line,
			     const struct hp_profile *p, const uint64_t *mapping_id,
			     const struct pprof_funcs *fn)
{
	for (size_t i = 0; i < p->nframes; i++) {
		const struct hp_prof_frame *f = &p->frames[i];

		pb__uint(msg, LOCATION_ID, i + 1);
		pb__uint(msg, LOCATION_MAPPING_ID, mapping_id[f->mapping]);
		pb__uint(msg, LOCATION_ADDRESS, f->address);
		pb__uint(line, LINE_FUNCTION_ID, fn->of_frame[i]);
		pb__message(msg, LOCATION_LINE, line);
		pb__message(b, PROFILE_LOCATION, msg);
	}
}

static void pprof__functions(struct hp_buf *b, struct hp_buf *msg, const struct pprof_funcs *fn,
			     struct pprof_strings *st)
{
	for (size_t i = 0; i < fn->n; i++) {
		pb__uint(msg, FUNCTION_ID, i + 1);
		pb__uint(msg, FUNCTION_NAME, strings__id(st, fn->first[i]->function));
		pb__uint(msg, FUNCTION_SYSTEM_NAME, strings__id(st, fn->first[i]->system_name));
		pb__message(b, PROFILE_FUNCTION, msg);
	}
}

/* Encodes the uncompressed Profile message into b. */
static int pprof__encode(const struct hp_profile *p, struct hp_buf *b)
{
	struct pprof_strings st = { 0 };
	struct pprof_funcs fn = { 0 };
	const struct hp_profile_kind *k = p->kind;
	uint64_t *mapping_id = malloc((p->nmappings + 1) * sizeof(*mapping_id));
	struct hp_buf msg, sub;
	int err = -ENOMEM;

	hp_buf__init(&msg);
	hp_buf__init(&sub);
	if (!mapping_id || funcs__build(&fn, p) || pprof__mapping_ids(p, mapping_id))
		goto out;
	strings__id(&st, ""); /* string_table[0] must be "" */

	/* values per sample: [count, weight], named by the profile's kind */
	pprof__value_type(b, &msg, PROFILE_SAMPLE_TYPE, strings__id(&st, k->count.type),
			  strings__id(&st, k->count.unit));
	pprof__value_type(b, &msg, PROFILE_SAMPLE_TYPE, strings__id(&st, k->weight.type),
			  strings__id(&st, k->weight.unit));
	pprof__samples(b, &msg, &sub, p, &st);
	pprof__mappings(b, &msg, p, mapping_id, &st);
	pprof__locations(b, &msg, &sub, p, mapping_id, &fn);
	pprof__functions(b, &msg, &fn, &st);
	pb__uint(b, PROFILE_TIME_NANOS, p->start_unix_ns);
	pb__uint(b, PROFILE_DURATION_NANOS, p->duration_ns);
	pprof__value_type(b, &msg, PROFILE_PERIOD_TYPE, strings__id(&st, k->period.type),
			  strings__id(&st, k->period.unit));
	pb__uint(b, PROFILE_PERIOD, p->period);
	pb__uint(b, PROFILE_DEFAULT_SAMPLE_TYPE, strings__id(&st, k->weight.type));
	if (p->comment) /* how the samples were taken: go tool pprof -comments shows it */
		pb__uint(b, PROFILE_COMMENT, strings__id(&st, p->comment));
	/* last, once every string is known; the field order does not matter to decoders */
	for (size_t i = 0; i < st.n; i++) {
		size_t len = strlen(st.list[i]);

		/* proto3 strings must be UTF-8 (strict decoders reject the whole profile): the one
		 * U+FFFD rule, for symbol and file names from any ELF */
		if (hp_utf8__valid(st.list[i], len)) {
			pb__bytes(b, PROFILE_STRING_TABLE, st.list[i], len);
			continue;
		}
		hp_buf__reset(&sub);
		hp_utf8__append(&sub, st.list[i], len);
		pb__bytes(b, PROFILE_STRING_TABLE, sub.data, sub.len);
	}
	if (!st.oom && !b->oom && !msg.oom && !sub.oom)
		err = 0;
out:
	free(mapping_id);
	funcs__free(&fn);
	hp_idmap__free(&st.index);
	free(st.list);
	hp_buf__free(&msg);
	hp_buf__free(&sub);
	return err;
}

int hp_export__pprof(const struct hp_profile *p, const struct hp_export_opts *o, struct hp_buf *out)
{
	struct hp_buf raw;
	int err;

	(void)
	    o; /* not grouped: every sample keeps its pid, process, thread, cgroup and pod labels */
	hp_buf__init(&raw);
	err = pprof__encode(p, &raw);
	if (!err)
		/* level 1, like Go's runtime/pprof: the profile compresses well anyway and the
		 * agent should not spend its CPU budget on a few percent of size */
		err = hp_gzip(raw.data ? raw.data : "", raw.len, 1, out);
	hp_buf__free(&raw);
	return err;
}
