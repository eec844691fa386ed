// SPDX-License-Identifier: GPL-2.0-only
/* Folded-stack exporter: the "group;root;...;leaf count" lines flamegraph.pl and inferno read.
 * Names are sanitised so every line matches ^([^;\n]+)(;[^;\n]+)* \d+$ and is valid UTF-8
 * whatever symbols and thread names hold. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

struct folded_line {
	size_t off, len; /* the stack text in the scratch buffer, without the count */
	uint64_t count;
};

/* ';' separates frames and '\n' lines, so neither may appear inside a name; other control
 * characters are replaced too so a line never hides part of itself in a terminal, and bytes that
 * are not UTF-8 (a thread name cut at 15 bytes inside a character) become U+FFFD: flamegraph.pl
 * copies names into an SVG, which one bad byte makes unreadable. */
static void folded__name(struct hp_buf *b, const char *name, bool kernel)
{
	size_t start = b->len;

	if (!*name)
		name = "[unknown]";
	hp_utf8__append(b, name, strlen(name));
	if (b->oom)
		return;
	for (char *c = b->data + start; *c; c++) {
		if (*c == ';')
			*c = ':';
		else if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
	/* flamegraph.pl --color=java colours frames ending in _[k] as kernel code */
	if (kernel)
		hp_buf__append(b, "_[k]", 4);
}

/* qsort_r comparator; text is the scratch buffer (qsort_r, not a global: HTTP is threaded) */
static int folded__cmp(const void *a, const void *b, void *text)
{
	const struct folded_line *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp((const char *)text + x->off, (const char *)text + y->off, n);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

int hp_export__folded(const struct hp_profile *p, const struct hp_export_opts *o,
		      struct hp_buf *out)
{
	struct hp_prof_groups g;
	struct hp_buf names, text;
	size_t *name_off = NULL, nlines = 0;
	struct folded_line *lines = NULL;
	int err = -ENOMEM;

	err = hp_prof_groups__build(&g, p, o->group_by);
	if (err)
		return err;
	err = -ENOMEM;
	hp_buf__init(&names);
	hp_buf__init(&text);
	name_off = malloc((p->nframes + 1) * sizeof(*name_off));
	lines = malloc((p->nsamples + 1) * sizeof(*lines));
	if (!name_off || !lines)
		goto out;
	/* each frame's sanitised name once, NUL-separated; offsets stay valid across growth */
	for (size_t i = 0; i < p->nframes; i++) {
		name_off[i] = names.len;
		folded__name(&names, p->frames[i].function, p->frames[i].kernel);
		hp_buf__append(&names, "", 1);
	}
	name_off[p->nframes] = names.len;
	if (names.oom)
		goto out;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct hp_prof_sample *s = &p->samples[i];
		struct folded_line *l = &lines[nlines];

		if (hp_prof_sample__empty(s) || !(p->period ? s->count : s->weight))
			continue;
		l->off = text.len;
		l->count = p->period ? s->count : s->weight;
		folded__name(&text, g.groups[g.of_sample[i]].name, false);
		for (uint32_t j = s->nframes; j-- > 0;) {
			size_t o = name_off[s->frames[j]];

			hp_buf__append(&text, ";", 1);
			hp_buf__append(&text, names.data + o, name_off[s->frames[j] + 1] - o - 1);
		}
		l->len = text.len - l->off;
		nlines++;
	}
	if (text.oom)
		goto out;

	qsort_r(lines, nlines, sizeof(*lines), folded__cmp, text.data);
	for (size_t i = 0; i < nlines;) {
		uint64_t count = 0;
		size_t j = i;

		/* the same stack from several samples of one group is one line */
		while (j < nlines && folded__cmp(&lines[i], &lines[j], text.data) == 0)
			count += lines[j++].count;
		hp_buf__append(out, text.data + lines[i].off, lines[i].len);
		hp_buf__printf(out, " %llu\n", (unsigned long long)count);
		i = j;
	}
	err = out->oom ? -ENOMEM : 0;
out:
	hp_prof_groups__free(&g);
	free(name_off);
	free(lines);
	hp_buf__free(&names);
	hp_buf__free(&text);
	return err;
}
