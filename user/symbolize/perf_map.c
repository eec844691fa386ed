// SPDX-License-Identifier: GPL-2.0-only
/* perf map parsing and lookup (see perf_map.h). Entries are sorted by start address; overlaps are
 * resolved at lookup time by looking back over a bounded number of earlier-starting entries. */
#include "perf_map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/bsearch.h"

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
	size_t names_len;
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

/* The map being built, with what it may still cost. */
struct perf_map_builder {
	struct hp_perf_map *m;
	size_t cap, names_cap, names_len;
	uint32_t seq;
	struct hp_perf_map_limits lim;
	uint64_t deadline_ns;
	size_t lines;
};

static uint64_t perf_map__cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What the map will occupy once trimmed (unused capacity is never touched, so not resident). */
static size_t perf_map__bytes(const struct perf_map_builder *b)
{
	return sizeof(*b->m) + b->m->n * sizeof(*b->m->ents) + b->names_len;
}

/* Grows *buf (of *cap elements of size elem) to hold need; false on overflow or ENOMEM. */
static bool perf_map__grow(void **buf, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t nc = *cap ? *cap : first;
	void *nb;

	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			return false;
		nc *= 2;
	}
	if (nc == *cap)
		return true;
	nb = realloc(*buf, nc * elem);
	if (!nb)
		return false;
	*buf = nb;
	*cap = nc;
	return true;
}

/* Adds the line [p, eol) (without its '\n'); malformed lines are skipped. 0 or -errno. */
static int perf_map__line(struct perf_map_builder *b, const char *p, const char *eol)
{
	struct hp_perf_map *m = b->m;
	const char *name, *name_end = eol;
	uint64_t start, size;
	size_t name_len;

	if (b->deadline_ns && ++b->lines % 4096 == 0 && perf_map__cpu_ns() > b->deadline_ns)
		return -ETIME;
	if (b->lim.max_entries && m->n >= b->lim.max_entries)
		return 0;
	if (name_end > p && name_end[-1] == '\r')
		name_end--;
	if (!perf_map__hex(&p, name_end, &start) || p >= name_end || *p != ' ')
		return 0;
	p++;
	if (!perf_map__hex(&p, name_end, &size) || p >= name_end || *p != ' ')
		return 0;
	name = p + 1;
	if (name >= name_end || !size || start + size < start)
		return 0;
	name_len = (size_t)(name_end - name);
	if (b->names_len + name_len + 1 > UINT32_MAX || m->n >= UINT32_MAX)
		return -EFBIG;
	if (!perf_map__grow((void **)&m->ents, &b->cap, m->n + 1, sizeof(*m->ents), 256) ||
	    !perf_map__grow((void **)&m->names, &b->names_cap, b->names_len + name_len + 1, 1,
			    65536))
		return -ENOMEM;
	if (b->lim.max_mem && perf_map__bytes(b) + sizeof(*m->ents) + name_len + 1 > b->lim.max_mem)
		return -EFBIG;
	m->ents[m->n++] = (struct perf_map_entry){
		.start = start,
		.end = start + size,
		.seq = b->seq++,
		.name = (uint32_t)b->names_len,
	};
	memcpy(m->names + b->names_len, name, name_len);
	b->names_len += name_len;
	m->names[b->names_len++] = '\0';
	return 0;
}

/* Adds every complete line of buf[0, len); returns the bytes consumed (the incomplete tail is
 * left), or -errno. With final, the tail is a line too. */
static ssize_t perf_map__lines(struct perf_map_builder *b, const char *buf, size_t len, bool final)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		int err;

		if (!eol && !final)
			break;
		err = perf_map__line(b, p, eol ? eol : end);
		if (err)
			return err;
		p = eol ? eol + 1 : end;
	}
	return p - buf;
}

static int perf_map__begin(struct perf_map_builder *b, const struct hp_perf_map_limits *lim)
{
	memset(b, 0, sizeof(*b));
	if (lim)
		b->lim = *lim;
	if (b->lim.max_cpu_ns)
		b->deadline_ns = perf_map__cpu_ns() + b->lim.max_cpu_ns;
	b->m = calloc(1, sizeof(*b->m));
	return b->m ? 0 : -ENOMEM;
}

/* Sorts and trims the map to its size; NULL + errno (and the map freed) if err. */
static struct hp_perf_map *perf_map__end(struct perf_map_builder *b, int err)
{
	struct hp_perf_map *m = b->m;

	if (err) {
		hp_perf_map__free(m);
		errno = -err;
		return NULL;
	}
	if (m->n) {
		struct perf_map_entry *e = realloc(m->ents, m->n * sizeof(*e));
		char *names = realloc(m->names, b->names_len);

		if (e)
			m->ents = e;
		if (names)
			m->names = names;
		qsort(m->ents, m->n, sizeof(*m->ents), perf_map__cmp);
	}
	m->names_len = b->names_len;
	return m;
}

struct hp_perf_map *hp_perf_map__parse(const char *buf, size_t len,
				       const struct hp_perf_map_limits *lim)
{
	struct perf_map_builder b;
	ssize_t r;
	int err;

	err = perf_map__begin(&b, lim);
	if (err) {
		errno = -err;
		return NULL;
	}
	r = perf_map__lines(&b, buf, len, true);
	return perf_map__end(&b, r < 0 ? (int)r : 0);
}

#define PERF_MAP_CHUNK (1u << 20)
#define PERF_MAP_CHUNK_MIN (64u << 10)

/* read() into buf[len], retried on EINTR, counting *total against max (0: no limit): bytes read
 * (0 at end of file), -errno, or -EFBIG once the file is over max. */
static ssize_t perf_map__read_some(int fd, char *buf, size_t len, size_t *total, size_t max)
{
	ssize_t r;

	do
		r = read(fd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*total += (size_t)r;
	if (max && *total > max)
		return -EFBIG;
	return r;
}

/* Skips the rest of a line longer than buf[chunk] (no name is that long): what follows its end is
 * left at the start of buf, *have bytes. 0, 1 at end of file, or a negative errno. */
static int perf_map__skip_line(const struct perf_map_builder *b, int fd, char *buf, size_t chunk,
			       size_t *total, size_t *have)
{
	const char *eol = NULL;
	ssize_t r;

	do {
		r = perf_map__read_some(fd, buf, chunk, total, b->lim.max_bytes);
		if (r < 0)
			return (int)r;
		if (r > 0)
			eol = memchr(buf, '\n', (size_t)r);
	} while (r > 0 && !eol);
	*have = eol ? (size_t)(buf + r - (eol + 1)) : 0;
	if (eol)
		memmove(buf, eol + 1, *have);
	return r == 0;
}

struct hp_perf_map *hp_perf_map__read(int fd, const struct hp_perf_map_limits *lim)
{
	size_t have = 0, total = 0, chunk = PERF_MAP_CHUNK;
	struct perf_map_builder b;
	struct stat st;
	char *buf;
	int err;

	err = perf_map__begin(&b, lim);
	if (err) {
		errno = -err;
		return NULL;
	}
	/* small maps (most) need no 1 MiB buffer; lines up to 64 KiB still fit one chunk */
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < PERF_MAP_CHUNK)
		chunk = (size_t)st.st_size + 1 > PERF_MAP_CHUNK_MIN ? (size_t)st.st_size + 1
								    : PERF_MAP_CHUNK_MIN;
	buf = malloc(chunk);
	if (!buf)
		return perf_map__end(&b, -ENOMEM);
	for (;;) {
		ssize_t used, r;

		r = perf_map__read_some(fd, buf + have, chunk - have, &total, b.lim.max_bytes);
		if (r < 0) {
			err = (int)r;
			break;
		}
		have += (size_t)r;
		used = perf_map__lines(&b, buf, have, r == 0);
		if (used < 0 || r == 0) {
			err = used < 0 ? (int)used : 0;
			break;
		}
		if (used == 0 && have == chunk) {
			err = perf_map__skip_line(&b, fd, buf, chunk, &total, &have);
			if (err) {
				err = err < 0 ? err : 0;
				break;
			}
			continue;
		}
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
	}
	free(buf);
	return perf_map__end(&b, err);
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
	/* first entry starting above addr */
	size_t lo = HP_BSEARCH_COUNT_LE(m->ents, m->n, start, addr);

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

size_t hp_perf_map__mem_size(const struct hp_perf_map *m)
{
	return sizeof(*m) + m->n * sizeof(*m->ents) + m->names_len;
}
