/* perf map parsing and lookup (see perf_map.h). Entries are sorted by start address; overlaps are
 * resolved at lookup time by looking back over a bounded number of earlier-starting entries. */
#include "perf_map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"

/* How many entries starting below the address are examined for one that covers it. Entries
 * nest or overlap only when a JIT re-uses memory, so a short look-back finds the live one. */
#define PERF_MAP_LOOKBACK 64

struct perf_map_entry {
	uint64_t start, end;
	uint32_t seq;  /* line number: later lines win */
	uint32_t name; /* offset in names */
};

struct hp_perf_map {
	struct perf_map_entry *ents;
	size_t n;
	char *names;
};

static int perf_map__cmp(const void *a, const void *b)
{
	const struct perf_map_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Parses one hex number (optional 0x prefix) at *p; false if there is none. */
static bool perf_map__hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (digits == 16)
			return false; /* overflow */
		v = v << 4 | (uint64_t)d;
	}
	if (!digits)
		return false;
	*p = s;
	*out = v;
	return true;
}

struct hp_perf_map *hp_perf_map__parse(const char *buf, size_t len, size_t max_entries)
{
	const char *p = buf, *end = buf + len;
	size_t cap = 0, names_len = 0;
	struct hp_perf_map *m;
	uint32_t seq = 0;

	m = calloc(1, sizeof(*m));
	/* names never need more than the input's size plus one NUL per line */
	if (!m || !(m->names = malloc(len + 1)))
		goto oom;
	while (p < end && (!max_entries || m->n < max_entries)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *name, *name_end;
		uint64_t start, size;

		if (!eol)
			eol = end;
		name_end = eol;
		if (name_end > p && name_end[-1] == '\r')
			name_end--;
		if (!perf_map__hex(&p, name_end, &start) || p >= name_end || *p != ' ')
			goto next;
		p++;
		if (!perf_map__hex(&p, name_end, &size) || p >= name_end || *p != ' ')
			goto next;
		name = p + 1;
		if (name >= name_end || !size || start + size < start)
			goto next;
		if (m->n == cap) {
			struct perf_map_entry *n;

			cap = cap ? cap * 2 : 256;
			n = realloc(m->ents, cap * sizeof(*n));
			if (!n)
				goto oom;
			m->ents = n;
		}
		m->ents[m->n++] = (struct perf_map_entry){
			.start = start,
			.end = start + size,
			.seq = seq++,
			.name = (uint32_t)names_len,
		};
		memcpy(m->names + names_len, name, (size_t)(name_end - name));
		names_len += (size_t)(name_end - name);
		m->names[names_len++] = '\0';
	next:
		p = eol < end ? eol + 1 : end;
	}
	if (m->n)
		qsort(m->ents, m->n, sizeof(*m->ents), perf_map__cmp);
	return m;
oom:
	hp_perf_map__free(m);
	errno = ENOMEM;
	return NULL;
}

struct hp_perf_map *hp_perf_map__read(int fd, size_t max_bytes, size_t max_entries)
{
	struct hp_perf_map *m;
	size_t len;
	char *buf;

	buf = hp_readfile__fd(fd, max_bytes, &len);
	if (!buf)
		return NULL;
	m = hp_perf_map__parse(buf, len, max_entries);
	free(buf);
	return m;
}

void hp_perf_map__free(struct hp_perf_map *m)
{
	if (!m)
		return;
	free(m->ents);
	free(m->names);
	free(m);
}

const char *hp_perf_map__lookup(const struct hp_perf_map *m, uint64_t addr, uint64_t *start)
{
	const struct perf_map_entry *best = NULL;
	size_t lo = 0, hi = m->n;

	/* first entry starting above addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->ents[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, seen = 0; i > 0 && seen < PERF_MAP_LOOKBACK; i--, seen++) {
		const struct perf_map_entry *e = &m->ents[i - 1];

		if (addr < e->end && (!best || e->seq > best->seq))
			best = e;
	}
	if (!best)
		return NULL;
	if (start)
		*start = best->start;
	return m->names + best->name;
}

size_t hp_perf_map__count(const struct hp_perf_map *m)
{
	return m->n;
}
