// SPDX-License-Identifier: GPL-2.0-only
/* Parsers of the procfs files the TCP collector reads (see tcp_procfs.h): strict, bounded by the
 * text they are given, so a changed or truncated file is an error and never a wrong number. */
#include "tcp_procfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"

/* Larger than either file can be (netstat: ~4 KB on 6.x kernels). */
#define PROCFS_MAX (1u << 20)

static bool procfs__blank(char c)
{
	return c == ' ' || c == '\t';
}

/* An unsigned decimal of [p, end) that fits 64 bits. */
static int procfs__u64(const char *p, const char *end, __u64 *out)
{
	__u64 v = 0;

	if (p == end)
		return -EINVAL;
	for (; p < end; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (d > 9 || v > (~0ULL - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The next blank-separated word of [*p, end) into [*w, *we); false at the end. */
static bool procfs__word(const char **p, const char *end, const char **w, const char **we)
{
	const char *s = *p;

	while (s < end && procfs__blank(*s))
		s++;
	if (s == end)
		return false;
	*w = s;
	while (s < end && !procfs__blank(*s))
		s++;
	*we = *p = s;
	return true;
}

int hp_tcp_procfs__port_range(const char *text, __u16 *lo, __u16 *hi)
{
	const char *end = text + strcspn(text, "\n"), *p = text, *w, *we;
	__u64 v[2];

	/* nothing may follow the newline but the end */
	if (*end == '\n' && end[1] != '\0')
		return -EINVAL;
	for (int i = 0; i < 2; i++)
		if (!procfs__word(&p, end, &w, &we) || we - w > 5 || procfs__u64(w, we, &v[i]) ||
		    v[i] == 0 || v[i] > 65535)
			return -EINVAL;
	if (procfs__word(&p, end, &w, &we) || v[0] > v[1])
		return -EINVAL;
	*lo = (__u16)v[0];
	*hi = (__u16)v[1];
	return 0;
}

/* Whether [line, end) starts with "group:"; the rest after the colon into *rest. */
static bool netstat__group(const char *line, const char *end, const char *group, size_t glen,
			   const char **rest)
{
	if ((size_t)(end - line) <= glen || memcmp(line, group, glen) != 0 || line[glen] != ':')
		return false;
	*rest = line + glen + 1;
	return true;
}

int hp_netstat__value(const char *text, const char *group, const char *name, __u64 *value)
{
	size_t glen = strlen(group), nlen = strlen(name);
	const char *line = text;

	while (*line) {
		const char *end = line + strcspn(line, "\n"), *next = *end ? end + 1 : end;
		const char *vline = next, *vend = vline + strcspn(vline, "\n");
		const char *p, *q, *w, *we, *v, *ve;
		size_t col = 0;
		bool found = false;

		if (!netstat__group(line, end, group, glen, &p)) {
			line = next;
			continue;
		}
		/* a names line: the values line of the same group must follow */
		if (!netstat__group(vline, vend, group, glen, &q))
			return -EINVAL;
		while (!found && procfs__word(&p, end, &w, &we)) {
			found = (size_t)(we - w) == nlen && memcmp(w, name, nlen) == 0;
			col += !found;
		}
		if (found) {
			for (size_t i = 0; i <= col; i++)
				if (!procfs__word(&q, vend, &v, &ve))
					return -EINVAL;
			return procfs__u64(v, ve, value);
		}
		line = *vend ? vend + 1 : vend;
	}
	return -ENOENT;
}

int hp_tcp_procfs__listen(const char *path, struct hp_tcp_listen *out)
{
	struct hp_tcp_listen l;
	size_t len;
	char *text = hp_readfile__path(path, PROCFS_MAX, &len);
	int err;

	if (!text)
		return -errno;
	err = hp_netstat__value(text, "TcpExt", "ListenOverflows", &l.overflows);
	if (!err)
		err = hp_netstat__value(text, "TcpExt", "ListenDrops", &l.drops);
	free(text);
	if (!err)
		*out = l;
	return err;
}

int hp_tcp_procfs__read_port_range(const char *path, __u16 *lo, __u16 *hi)
{
	size_t len;
	char *text = hp_readfile__path(path, 256, &len);
	int err;

	if (!text)
		return -errno;
	/* a NUL inside would hide what follows it from the parser */
	err = strlen(text) == len ? hp_tcp_procfs__port_range(text, lo, hi) : -EINVAL;
	free(text);
	return err;
}
