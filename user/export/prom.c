// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus text format 0.0.4 writer (see prom.h). Values print with %.17g so integer counters
 * stay exact up to 2^53, and label values are sanitised because comm names are arbitrary bytes. */
#include "prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "stores/hist.h"

void hp_prom__family(struct hp_buf *out, const char *name, enum hp_prom_type type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	hp_buf__printf(out, "# HELP %s ", name);
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			hp_buf__puts(out, "\\\\");
		else if (*p == '\n')
			hp_buf__puts(out, "\\n");
		else
			hp_buf__append(out, p, 1);
	}
	hp_buf__printf(out, "\n# TYPE %s %s\n", name, types[type]);
}

void hp_prom__escape(struct hp_buf *out, const char *value)
{
	size_t n = strlen(value), run = 0;

	/* label values are UTF-8 by the format's rule: base/utf8.h's U+FFFD substitution, then
	 * the three escapes */
	for (size_t i = 0; i < n; i++) {
		const char *esc = value[i] == '\\'   ? "\\\\"
				  : value[i] == '"'  ? "\\\""
				  : value[i] == '\n' ? "\\n"
						     : NULL;

		if (!esc)
			continue;
		hp_utf8__append(out, value + run, i - run);
		hp_buf__puts(out, esc);
		run = i + 1;
	}
	hp_utf8__append(out, value + run, n - run);
}

static void hp_prom__labels(struct hp_buf *out, const struct hp_label *labels, int nlabels,
			    const char *le)
{
	if (nlabels == 0 && !le)
		return;
	hp_buf__puts(out, "{");
	for (int i = 0; i < nlabels; i++) {
		hp_buf__printf(out, "%s%s=\"", i ? "," : "", labels[i].name);
		hp_prom__escape(out, labels[i].value);
		hp_buf__puts(out, "\"");
	}
	if (le)
		hp_buf__printf(out, "%sle=\"%s\"", nlabels ? "," : "", le);
	hp_buf__puts(out, "}");
}

/* Shortest %g spelling that reads back as exactly v. */
static const char *hp_prom__shortest(double v, char *buf, size_t size)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

static void hp_prom__value(struct hp_buf *out, double v)
{
	char tmp[32];

	if (isnan(v))
		hp_buf__puts(out, " NaN\n");
	else if (isinf(v))
		hp_buf__puts(out, v > 0 ? " +Inf\n" : " -Inf\n");
	else if (fabs(v) < 9007199254740992.0 && v == (double)(long long)v) /* exact integer */
		hp_buf__printf(out, " %lld\n", (long long)v);
	else
		hp_buf__printf(out, " %s\n", hp_prom__shortest(v, tmp, sizeof(tmp)));
}

void hp_prom__sample(struct hp_buf *out, const char *name, const struct hp_label *labels,
		     int nlabels, double value)
{
	hp_buf__puts(out, name);
	hp_prom__labels(out, labels, nlabels, NULL);
	hp_prom__value(out, value);
}

void hp_prom__histogram(struct hp_buf *out, const char *name, const struct hp_label *labels,
			int nlabels, const __u64 *buckets, double sum)
{
	hp_prom__histogram_shifted(out, name, labels, nlabels, buckets, sum, 0);
}

void hp_prom__histogram_shifted(struct hp_buf *out, const char *name, const struct hp_label *labels,
				int nlabels, const __u64 *buckets, double sum, unsigned int shift)
{
	__u64 cumulative = 0;
	char le[32];

	for (unsigned int i = 0; i < HP_HIST_BUCKETS; i++) {
		cumulative += buckets[i];
		hp_hist__le_label_shifted(i, shift, le, sizeof(le));
		hp_buf__printf(out, "%s_bucket", name);
		hp_prom__labels(out, labels, nlabels, le);
		hp_buf__printf(out, " %llu\n", (unsigned long long)cumulative);
	}
	hp_buf__printf(out, "%s_sum", name);
	hp_prom__labels(out, labels, nlabels, NULL);
	hp_prom__value(out, sum);
	hp_buf__printf(out, "%s_count", name);
	hp_prom__labels(out, labels, nlabels, NULL);
	hp_buf__printf(out, " %llu\n", (unsigned long long)cumulative);
}
