// SPDX-License-Identifier: GPL-2.0-only
/* The off-CPU collector's command-line options (see offcpu_options.h): names, bounds, defaults
 * and help in one table that the CLI merges with the others. */
#include "offcpu_options.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct hp_offcpu_config) <= HP_COLLECTOR_CONFIG_BYTES,
	       "offcpu config too big");

/* A string option with a fixed set of words (o->want lists them, ", " or " or " apart). */
static int offcpu__parse_word(const struct hp_option *o, const char *arg, void *base)
{
	static const char *const words[] = { "clamp", "drop", "kernel", "user", "both" };
	size_t first = strcmp(o->name, "offcpu-max-mode") == 0 ? 0 : 2;
	size_t last = first == 0 ? 2 : 5;

	for (size_t i = first; i < last; i++) {
		if (strcmp(arg, words[i]) == 0) {
			*(const char **)((char *)base + o->offset) = words[i];
			return HP_OPT_OK;
		}
	}
	return HP_OPT_INVALID;
}

/* --no-offcpu-wakers: the flag's value is false. */
static int offcpu__parse_no(const struct hp_option *o, const char *arg, void *base)
{
	(void)arg;
	*(bool *)((char *)base + o->offset) = false;
	return HP_OPT_OK;
}

/* The largest sampling period the BPF program takes (period_ns < 2^32). */
#define OFFCPU_PERIOD_MAX 4.0

const struct hp_option hp_offcpu_options[] = {
	{ .name = "offcpu-min",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 0,
	  .max = 3600,
	  .def = 1e-6,
	  .offset = offsetof(struct hp_offcpu_config, min_seconds),
	  .help = "off-CPU intervals shorter than D are not profiled, only\n"
		  "counted as drops (default 1us)",
	  .want = "0..1h, e.g. 1us, 50us",
	  .parse = hp_option__parse_duration_or_zero },
	{ .name = "offcpu-max",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 0,
	  .max = 86400,
	  .def = 0,
	  .offset = offsetof(struct hp_offcpu_config, max_seconds),
	  .help = "longer intervals are clamped to D or dropped\n"
		  "(--offcpu-max-mode), counted either way (default 0: none)",
	  .want = "0..24h, e.g. 10s",
	  .parse = hp_option__parse_duration_or_zero },
	{ .name = "offcpu-max-mode",
	  .kind = HP_OPT_STRING,
	  .metavar = "M",
	  .def_str = "clamp",
	  .offset = offsetof(struct hp_offcpu_config, max_mode),
	  .help = "clamp (default) or drop intervals longer than --offcpu-max",
	  .want = "clamp or drop",
	  .parse = offcpu__parse_word },
	{ .name = "offcpu-period",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 0,
	  .max = OFFCPU_PERIOD_MAX,
	  .def = 0.01,
	  .offset = offsetof(struct hp_offcpu_config, period_seconds),
	  .help = "time-weighted sampling: an interval shorter than D is kept\n"
		  "with probability length/D and weighted by D/length, so totals\n"
		  "stay unbiased (default 10ms; 0: keep every interval)",
	  .want = "0..4s, e.g. 10ms",
	  .parse = hp_option__parse_duration_or_zero },
	{ .name = "offcpu-wakers",
	  .kind = HP_OPT_FLAG,
	  .def = 1,
	  .offset = offsetof(struct hp_offcpu_config, wakers),
	  .help = "record who woke each blocked thread, with its stack (default;\n"
		  "shown with waker=1)" },
	{ .name = "no-offcpu-wakers",
	  .kind = HP_OPT_FLAG,
	  .def = 1,
	  .offset = offsetof(struct hp_offcpu_config, wakers),
	  .help = "do not record wakers (sched_waking is not hooked)",
	  .parse = offcpu__parse_no },
	{ .name = "offcpu-stacks",
	  .kind = HP_OPT_STRING,
	  .metavar = "S",
	  .def_str = "both",
	  .offset = offsetof(struct hp_offcpu_config, stacks),
	  .help = "stacks of off-CPU intervals: kernel, user or both (default)",
	  .want = "kernel, user or both",
	  .parse = offcpu__parse_word },
	{ .name = "runqueue-top-k",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 0,
	  .max = 1000,
	  .def = 20,
	  .offset = offsetof(struct hp_offcpu_config, top_k),
	  .help = "run-queue latency per cgroup: the N cgroups that wait most,\n"
		  "the rest as cgroup=\"other\" (default 20)",
	  .want = "0..1000" },
	{ .name = "offcpu-max-stacks",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 256,
	  .max = 1 << 20,
	  .def = 16384,
	  .offset = offsetof(struct hp_offcpu_config, map_entries),
	  .help = "distinct off-CPU keys and stacks per 1 s drain (default 16384)",
	  .want = "256..1048576" },
	{ 0 },
};
