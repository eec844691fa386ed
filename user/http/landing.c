// SPDX-License-Identifier: GPL-2.0-only
/* Landing page renderer (see landing.h). Plain HTML, no scripts or external assets, so it works
 * through kubectl port-forward and in air-gapped clusters. */
#include "landing.h"

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

void hp_landing__render(struct hp_buf *out, const struct hp_route *const *tables, int ntables)
{
	hp_buf__puts(out,
		     "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hostprof</title>"
		     "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em 1em}"
		     "code{background:#eee}</style></head><body>\n");
	hp_buf__printf(out,
		       "<h1>hostprof %s</h1>\n<p>eBPF host profiler. Endpoints:</p>\n<table>\n",
		       HOSTPROF_VERSION);
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
