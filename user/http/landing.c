// SPDX-License-Identifier: GPL-2.0-only
/* Landing page renderer (see landing.h). Plain HTML, no scripts or external assets, so it works
 * through kubectl port-forward and in air-gapped clusters. */
#include "landing.h"

#include <stdbool.h>

#include "base/version.h"

static void landing__escape(struct hp_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			hp_buf__puts(out, "&lt;");
			break;
		case '>':
			hp_buf__puts(out, "&gt;");
			break;
		case '&':
			hp_buf__puts(out, "&amp;");
			break;
		case '"':
			hp_buf__puts(out, "&quot;");
			break;
		default:
			hp_buf__append(out, s, 1);
		}
	}
}

/* Which collectors run; a down one with its reason (details: the start-up log, /healthz). */
static void landing__collectors(struct hp_buf *out, const struct hp_landing_collector *cols,
				int ncols)
{
	hp_buf__puts(out, "<p>Collectors:</p>\n<table>\n");
	for (int i = 0; i < ncols; i++) {
		bool up = !cols[i].reason[0];

		hp_buf__puts(out, "<tr><td><code>");
		landing__escape(out, cols[i].name);
		hp_buf__printf(out, "</code></td><td>%s", up ? "running" : "<b>down</b>: ");
		if (!up)
			landing__escape(out, cols[i].reason);
		hp_buf__puts(out, "</td></tr>\n");
	}
	hp_buf__puts(out, "</table>\n");
}

void hp_landing__render(struct hp_buf *out, const struct hp_route *const *tables, int ntables,
			const struct hp_landing_collector *cols, int ncols)
{
	hp_buf__puts(out,
		     "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hostprof</title>"
		     "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em 1em}"
		     "code{background:#eee}</style></head><body>\n");
	hp_buf__printf(out, "<h1>hostprof %s</h1>\n<p>eBPF host profiler.</p>\n", HOSTPROF_VERSION);
	landing__collectors(out, cols, ncols);
	hp_buf__puts(out, "<p>Endpoints:</p>\n<table>\n");
	for (int t = 0; t < ntables; t++) {
		for (const struct hp_route *r = tables[t]; r->path; r++) {
			if (hp_route__is_prefix(r))
				continue; /* no page of its own to link to */
			hp_buf__puts(out, "<tr><td><a href=\"");
			landing__escape(out, r->path);
			hp_buf__puts(out, "\"><code>");
			landing__escape(out, r->path);
			hp_buf__puts(out, "</code></a></td><td>");
			landing__escape(out, r->summary ? r->summary : "");
			hp_buf__puts(out, "</td></tr>\n");
		}
	}
	hp_buf__puts(out, "</table>\n</body></html>\n");
}
