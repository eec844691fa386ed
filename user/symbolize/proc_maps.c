// SPDX-License-Identifier: GPL-2.0-only
/* /proc/PID/maps text -> array of mappings (see proc_maps.h). Written against a length-bounded
 * buffer without sscanf so that no input, however malformed, reads past it. */
#include "proc_maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DELETED_SUFFIX " (deleted)"

struct cursor {
	const char *p, *end; /* the current line, without its '\n' */
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1..16 hex digits (a 64-bit value), then the cursor stays on the first non-digit. */
static bool parse_hex(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;

	while (c->p < c->end && (d = hex_digit(*c->p)) >= 0) {
		if (++n > 16)
			return false;
		v = v << 4 | (uint64_t)d;
		c->p++;
	}
	*out = v;
	return n > 0;
}

static bool parse_dec(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		uint64_t d = (uint64_t)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		n++;
		c->p++;
	}
	*out = v;
	return n > 0;
}

static bool expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool parse_perms(struct cursor *c, unsigned int *out)
{
	static const char want[3] = { 'r', 'w', 'x' };
	unsigned int perms = 0;

	if (c->end - c->p < 4)
		return false;
	for (int i = 0; i < 3; i++) {
		if (c->p[i] == want[i])
			perms |= 1u << i;
		else if (c->p[i] != '-')
			return false;
	}
	if (c->p[3] == 's')
		perms |= HP_PROC_MAP_SHARED;
	else if (c->p[3] != 'p')
		return false;
	c->p += 4;
	*out = perms;
	return true;
}

/* One line into *m; the path is copied to *strings (advanced past its NUL). */
static bool parse_line(struct cursor c, struct hp_proc_map *m, char **strings)
{
	uint64_t major, minor;
	size_t plen, slen = sizeof(DELETED_SUFFIX) - 1;

	*m = (struct hp_proc_map){ 0 };
	if (!parse_hex(&c, &m->start) || !expect(&c, '-') || !parse_hex(&c, &m->end) ||
	    !expect(&c, ' ') || !parse_perms(&c, &m->perms) || !expect(&c, ' ') ||
	    !parse_hex(&c, &m->offset) || !expect(&c, ' ') || !parse_hex(&c, &major) ||
	    !expect(&c, ':') || !parse_hex(&c, &minor) || !expect(&c, ' ') ||
	    !parse_dec(&c, &m->ino))
		return false;
	if (m->start >= m->end || major > UINT32_MAX || minor > UINT32_MAX)
		return false;
	m->dev = major << 32 | minor;
	/* the inode is followed by padding spaces and the path, or by nothing but spaces */
	if (c.p < c.end && *c.p != ' ')
		return false;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	plen = (size_t)(c.end - c.p);
	if (plen > slen && memcmp(c.end - slen, DELETED_SUFFIX, slen) == 0) {
		plen -= slen;
		m->deleted = true;
	}
	memcpy(*strings, c.p, plen);
	(*strings)[plen] = '\0';
	m->path = *strings;
	*strings += plen + 1;
	return true;
}

int hp_proc_maps__parse(const char *buf, size_t len, size_t max_maps, struct hp_proc_maps *out)
{
	const char *p = buf, *end = buf + len;
	size_t lines = 0, cap = 0;
	char *strings;

	*out = (struct hp_proc_maps){ 0 };
	/* every path is a part of its line, and each line gives at least one byte for the NUL */
	out->strings = strings = malloc(len + 1);
	if (!strings)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct cursor c = { .p = p, .end = nl ? nl : end };
		struct hp_proc_map *m;

		lines++;
		if (out->n == max_maps)
			return -E2BIG;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct hp_proc_map *nm;

			if (nc > max_maps)
				nc = max_maps;
			nm = realloc(out->maps, nc * sizeof(*nm));
			if (!nm)
				return -ENOMEM;
			out->maps = nm;
			cap = nc;
		}
		m = &out->maps[out->n];
		if (!parse_line(c, m, &strings) || (out->n && m->start < m[-1].end)) {
			out->err_line = lines;
			return -EINVAL;
		}
		out->n++;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void hp_proc_maps__free(struct hp_proc_maps *m)
{
	if (!m)
		return;
	free(m->maps);
	free(m->strings);
	*m = (struct hp_proc_maps){ 0 };
}
