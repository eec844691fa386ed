/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text exposition format 0.0.4 writer: metric families, escaped labels, histograms.
 * Collectors describe what they export; this file owns the syntax so no collector hand-formats it. */
#ifndef HOSTPROF_PROM_H
#define HOSTPROF_PROM_H

#include <linux/types.h>

#include "base/buf.h"

#define HP_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct hp_label {
	const char *name;
	const char *value;
};

enum hp_prom_type { HP_PROM_COUNTER, HP_PROM_GAUGE, HP_PROM_HISTOGRAM };

/* Writes the "# HELP" and "# TYPE" lines; every family's samples must follow its header. */
void hp_prom__family(struct hp_buf *out, const char *name, enum hp_prom_type type,
		     const char *help);
/* One sample line: name{labels} value. Label values are escaped and made valid UTF-8. */
void hp_prom__sample(struct hp_buf *out, const char *name, const struct hp_label *labels,
		     int nlabels, double value);
/* The _bucket (cumulative, le="+Inf" last), _sum and _count lines of one histogram series. */
void hp_prom__histogram(struct hp_buf *out, const char *name, const struct hp_label *labels,
			int nlabels, const __u64 *buckets, double sum);
/* The same for buckets counted on (ns >> shift): "le" bounds times 2^shift (include/hp_hist.h). */
void hp_prom__histogram_shifted(struct hp_buf *out, const char *name, const struct hp_label *labels,
				int nlabels, const __u64 *buckets, double sum, unsigned int shift);
/* Appends value escaped for a label: \\, \" and \n escaped, invalid UTF-8 as U+FFFD (base/utf8.h). */
void hp_prom__escape(struct hp_buf *out, const char *value);

#endif
