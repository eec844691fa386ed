/* SPDX-License-Identifier: GPL-2.0-only */
/* Exporters from an hp_profile to the formats flame-graph tools read. HTTP handlers and
 * "hostprof record" call these same functions, so a file and a download are byte-identical. */
#ifndef HOSTPROF_EXPORT_H
#define HOSTPROF_EXPORT_H

#include "base/buf.h"
#include "profile/profile.h"

enum hp_export_format {
	HP_EXPORT_FOLDED,     /* flamegraph.pl / inferno input: "comm;root;...;leaf count" */
	HP_EXPORT_PPROF,      /* gzip-compressed profile.proto (go tool pprof, Pyroscope, Parca) */
	HP_EXPORT_SPEEDSCOPE, /* speedscope file format, one sampled profile per process */
	HP_EXPORT_JSON,	      /* hostprof's own JSON: totals, top functions, stacks */
	HP_EXPORT_HTML,	      /* self-contained interactive flame graph */
	HP_EXPORT__COUNT,
};

/* "folded", "pprof", "speedscope", "json", "html" -> format; -1 if unknown. */
int hp_export__parse_format(const char *name);
/* The inverse: format -> "folded", ...; NULL if out of range. */
const char *hp_export__format_name(enum hp_export_format f);
/* Guesses the format from an output file name: .folded/.txt, .pb.gz/.pprof, .json (speedscope
 * when it ends .speedscope.json), .html; -1 if the extension says nothing. */
int hp_export__format_from_path(const char *path);
const char *hp_export__content_type(enum hp_export_format f);
/* Renders p in format f, appending to out (which may already hold data). 0, -EINVAL for an
 * unknown format, -ENOMEM, or -EIO if zlib fails. Samples with a zero count are left out of
 * every format. Renderers only read p, so several threads may render one profile at once. */
int hp_export__render(const struct hp_profile *p, enum hp_export_format f, struct hp_buf *out);

/* Kind helpers shared by the renderers. The period in nanoseconds when the kind's period unit is
 * nanoseconds (else 0), and the sampling frequency it implies (1e9 / period, rounded; else 0). */
uint64_t hp_export__period_ns(const struct hp_profile *p);
unsigned int hp_export__frequency(const struct hp_profile *p);
/* speedscope's unit for the kind's weight: "nanoseconds", "bytes" or "none". */
const char *hp_export__speedscope_unit(const struct hp_profile *p);
/* Appends the JSON members "kind":{"name","title","count":{type,unit},"weight":{..},
 * "period":{..}},"period":N, and, for a period in nanoseconds, "period_ns" and "frequency" (no
 * braces around them): the same words in every JSON document hostprof writes. */
void hp_export__json_kind(struct hp_buf *out, const struct hp_profile *p);

int hp_export__folded(const struct hp_profile *p, struct hp_buf *out);
int hp_export__pprof(const struct hp_profile *p, struct hp_buf *out);
int hp_export__speedscope(const struct hp_profile *p, struct hp_buf *out);
int hp_export__json(const struct hp_profile *p, struct hp_buf *out);
int hp_export__html(const struct hp_profile *p, struct hp_buf *out);

#endif
