// SPDX-License-Identifier: GPL-2.0-only
/* The words and units of a profile's kind as every renderer writes them (see export.h), so
 * pprof, speedscope, JSON and HTML never disagree about what a number means. */
#include <stdio.h>
#include <string.h>

#include "base/json_str.h"
#include "export.h"

static int kind__ns(const struct hp_profile *p)
{
	return p->kind && strcmp(p->kind->period.unit, "nanoseconds") == 0;
}

uint64_t hp_export__period_ns(const struct hp_profile *p)
{
	return kind__ns(p) ? p->period : 0;
}

unsigned int hp_export__frequency(const struct hp_profile *p)
{
	uint64_t ns = hp_export__period_ns(p);

	return ns ? (unsigned int)((1000000000ull + ns / 2) / ns) : 0;
}

const char *hp_export__speedscope_unit(const struct hp_profile *p)
{
	/* speedscope's units (file-format-schema.json ValueUnit) that profile kinds use */
	static const char *const units[] = { "nanoseconds", "microseconds", "milliseconds",
					     "seconds", "bytes" };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p->kind->weight.unit, units[i]) == 0)
			return units[i];
	return "none";
}

static void kind__value_type(struct hp_buf *out, const char *key, const struct hp_value_type *v)
{
	hp_buf__printf(out, "\"%s\":{\"type\":", key);
	hp_json__string(out, v->type);
	hp_buf__puts(out, ",\"unit\":");
	hp_json__string(out, v->unit);
	hp_buf__puts(out, "}");
}

void hp_export__json_kind(struct hp_buf *out, const struct hp_profile *p)
{
	const struct hp_profile_kind *k = p->kind;

	hp_buf__puts(out, "\"kind\":{\"name\":");
	hp_json__string(out, k->name);
	hp_buf__puts(out, ",\"title\":");
	hp_json__string(out, k->title);
	hp_buf__puts(out, ",\"weight_label\":");
	hp_json__string(out, k->weight_label);
	hp_buf__puts(out, ",");
	kind__value_type(out, "count", &k->count);
	hp_buf__puts(out, ",");
	kind__value_type(out, "weight", &k->weight);
	hp_buf__puts(out, ",");
	kind__value_type(out, "period", &k->period);
	hp_buf__printf(out, "},\"period\":%llu", (unsigned long long)p->period);
	if (kind__ns(p) && p->period) /* counts with no fixed weight have no sampling rate */
		hp_buf__printf(out, ",\"period_ns\":%llu,\"frequency\":%u",
			       (unsigned long long)p->period, hp_export__frequency(p));
}
