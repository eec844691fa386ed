// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus families describing the profile retention store (segments, tiers, folding), kept
 * out of the store itself so stores/ holds data and export/ holds every text format. */
#include "store_metrics.h"

#include <stddef.h>
#include <stdio.h>

#include "prom.h"

/* "hostprof_<kind>_retention_<what>" into name (cut at its size: kinds are short words). */
static const char *store__name(char *name, size_t size, const char *kind, const char *what)
{
	snprintf(name, size, "hostprof_%s_retention_%s", kind, what);
	return name;
}

void hp_profile_store__metrics(const struct hp_profile_store *st, const char *kind,
			       struct hp_buf *out)
{
	static const char *const names[HP_STORE_TIER__COUNT] = {
		[HP_STORE_TIER_FINE] = "fine",
		[HP_STORE_TIER_OPEN] = "open",
		[HP_STORE_TIER_COARSE] = "coarse",
	};
	static const struct {
		const char *name, *help;
		size_t off;
	} fams[] = {
#define STORE_FAM(field, help) { #field, help, offsetof(struct hp_store_tier_stats, field) }
		STORE_FAM(segments,
			  "Retention segments kept per tier (fine: one per drain, "
			  "coarse: closed 10 s segments, open: the segment being filled)."),
		STORE_FAM(capacity, "Most segments each retention tier keeps."),
		STORE_FAM(samples, "Distinct (stack, process) samples held per retention tier."),
		STORE_FAM(frames, "Distinct frames held per retention tier."),
		STORE_FAM(mappings, "Distinct mappings held per retention tier."),
		STORE_FAM(bytes, "Heap bytes the profiles of each retention tier hold."),
#undef STORE_FAM
	};
	struct hp_profile_store_stats s;
	struct hp_label l;
	char name[96];

	hp_profile_store__stats(st, &s);
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		store__name(name, sizeof(name), kind, fams[f].name);
		hp_prom__family(out, name, HP_PROM_GAUGE, fams[f].help);
		for (int t = 0; t < HP_STORE_TIER__COUNT; t++) {
			const size_t *v = (const size_t *)((const char *)&s.tier[t] + fams[f].off);

			l = (struct hp_label){ "tier", names[t] };
			hp_prom__sample(out, name, &l, 1, (double)*v);
		}
	}
	hp_prom__family(
	    out, store__name(name, sizeof(name), kind, "segment_max_samples"), HP_PROM_GAUGE,
	    "Most distinct samples a closed 10 s segment keeps (the rest fold into one).");
	hp_prom__sample(out, name, NULL, 0, HP_STORE_SEGMENT_MAX_SAMPLES);
	hp_prom__family(out, store__name(name, sizeof(name), kind, "folded_pids_total"),
			HP_PROM_COUNTER,
			"Exited processes whose samples lost their pid (pid 0) when their 10 s "
			"segment closed; counts are kept.");
	hp_prom__sample(out, name, NULL, 0, (double)st->folded.pids_folded);
	hp_prom__family(out, store__name(name, sizeof(name), kind, "bounded_samples_total"),
			HP_PROM_COUNTER,
			"Distinct samples merged into the \"" HP_PROFILE_FOLDED_FRAME
			"\" sample of a segment over its bound; counts are kept.");
	hp_prom__sample(out, name, NULL, 0, (double)st->folded.samples_bounded);
	hp_prom__family(out, store__name(name, sizeof(name), kind, "close_duration_seconds"),
			HP_PROM_GAUGE,
			"Time the last 10 s segment close took, by step: fold (the folding) and "
			"trim (returning freed heap pages to the system).");
	l = (struct hp_label){ "step", "fold" };
	hp_prom__sample(out, name, &l, 1, st->last_fold_seconds);
	l = (struct hp_label){ "step", "trim" };
	hp_prom__sample(out, name, &l, 1, st->last_trim_seconds);
	hp_prom__family(out, store__name(name, sizeof(name), kind, "fold_failures_total"),
			HP_PROM_COUNTER,
			"Segments kept unfolded because folding them ran out of memory.");
	hp_prom__sample(out, name, NULL, 0, (double)st->fold_failures);
}
