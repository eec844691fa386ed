/* SPDX-License-Identifier: GPL-2.0-only */
/* Exporters from an hp_profile to the formats flame-graph tools read. HTTP handlers and
 * "hostprof record" call these same functions, so a file and a download are byte-identical. */
#ifndef HOSTPROF_EXPORT_H
#define HOSTPROF_EXPORT_H

#include "base/buf.h"
#include "profile/prof_groups.h"
#include "profile/profile.h"

enum hp_export_format {
	HP_EXPORT_FOLDED,     /* flamegraph.pl / inferno input: "group;root;...;leaf count" */
	HP_EXPORT_PPROF,      /* gzip-compressed profile.proto (go tool pprof, Pyroscope, Parca) */
	HP_EXPORT_SPEEDSCOPE, /* speedscope file format, one sampled profile per group */
	HP_EXPORT_JSON,	      /* hostprof's own JSON: totals, top functions, stacks */
	HP_EXPORT_HTML,	      /* self-contained interactive flame graph */
	HP_EXPORT__COUNT,
};

/*
 * How host-wide views are cut. Folded lines start with the group's name, the HTML flame graph
 * has one root box per group, speedscope one profile per group and JSON a "groups" list; pprof
 * keeps every label on every sample and is not grouped. A zeroed struct (or NULL) is the default:
 * group by process name.
 */
struct hp_export_opts {
	enum hp_group_by group_by;
};

/* "folded", "pprof", "speedscope", "json", "html" -> format; -1 if unknown. */
int hp_export__parse_format(const char *name);
/* The inverse: format -> "folded", ...; NULL if out of range. */
const char *hp_export__format_name(enum hp_export_format f);
/* Guesses the format from an output file name: .folded/.txt, .pb.gz/.pprof, .json (speedscope
 * when it ends .speedscope.json), .html; -1 if the extension says nothing. */
int hp_export__format_from_path(const char *path);
const char *hp_export__content_type(enum hp_export_format f);
/* Renders p in format f with opts (NULL: defaults), appending to out (which may already hold
 * data). 0, -EINVAL for an unknown format or group_by, -ENOMEM, or -EIO if zlib fails. Samples
 * with neither count nor weight (hp_prof_sample__empty) are left out of every format. Renderers only read p, so several threads may
 * render one profile at once. */
int hp_export__render(const struct hp_profile *p, enum hp_export_format f,
		      const struct hp_export_opts *opts, struct hp_buf *out);

/* Kind helpers shared by the renderers. The period in nanoseconds when the kind's period unit is
 * nanoseconds (else 0), and the sampling frequency it implies (1e9 / period, rounded; else 0). */
uint64_t hp_export__period_ns(const struct hp_profile *p);
unsigned int hp_export__frequency(const struct hp_profile *p);
/* speedscope's unit for the kind's weight: "nanoseconds", "bytes" or "none". */
const char *hp_export__speedscope_unit(const struct hp_profile *p);
/* Appends the JSON members "kind":{"name","title","count":{type,unit},"weight":{..},
 * "period":{..}},"period":N, and, for a non-zero period in nanoseconds, "period_ns" and "frequency" (no
 * braces around them): the same words in every JSON document hostprof writes. */
void hp_export__json_kind(struct hp_buf *out, const struct hp_profile *p);

/* The renderers hp_export__render dispatches to; opts is never NULL here. Folded lines carry
 * counts when the kind's counts each stand for a fixed period (cpu: samples), else weights (in
 * the kind's weight unit, e.g. off-CPU nanoseconds), so a flame graph's widths are what the
 * profile measures. pprof ignores opts (every sample keeps its labels). */
int hp_export__folded(const struct hp_profile *p, const struct hp_export_opts *o,
		      struct hp_buf *out);
int hp_export__pprof(const struct hp_profile *p, const struct hp_export_opts *o,
		     struct hp_buf *out);
int hp_export__speedscope(const struct hp_profile *p, const struct hp_export_opts *o,
			  struct hp_buf *out);
int hp_export__json(const struct hp_profile *p, const struct hp_export_opts *o, struct hp_buf *out);
int hp_export__html(const struct hp_profile *p, const struct hp_export_opts *o, struct hp_buf *out);

#endif
