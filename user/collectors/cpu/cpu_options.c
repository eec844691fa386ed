// SPDX-License-Identifier: GPL-2.0-only
/* The CPU collector's command-line options (see cpu_options.h): names, bounds, defaults and help
 * in one table that the CLI merges with the others. */
#include "cpu_options.h"

#include <stddef.h>
#include <stdio.h>

#include "base/params.h"

_Static_assert(sizeof(struct hp_cpu_config) <= HP_COLLECTOR_CONFIG_BYTES, "cpu config too big");

/* The kernel refuses sampling frequencies above kernel.perf_event_max_sample_rate. */
static unsigned long long cpu__max_frequency(void)
{
	unsigned long long max = 100000;
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");

	if (f) {
		if (fscanf(f, "%llu", &max) != 1)
			max = 100000;
		fclose(f);
	}
	return max;
}

static int cpu__parse_frequency(const struct hp_option *o, const char *arg, void *base)
{
	struct hp_cpu_config *cc = base;
	unsigned long long v;

	(void)o;
	if (hp_params__uint(arg, 1, cpu__max_frequency(), &v))
		return HP_OPT_INVALID;
	cc->frequency = (unsigned int)v;
	return HP_OPT_OK;
}

/* --kernel-only clears user_stacks, --user-only kernel_stacks; both at once leave nothing. */
static int cpu__parse_only(const struct hp_option *o, const char *arg, void *base)
{
	struct hp_cpu_config *cc = base;

	(void)arg;
	*(bool *)((char *)base + o->offset) = false;
	return cc->kernel_stacks || cc->user_stacks ? HP_OPT_OK : HP_OPT_INVALID;
}

#define CPU_ONLY_BAD "--kernel-only and --user-only exclude each other"

const struct hp_option hp_cpu_options[] = {
	{ .name = "frequency",
	  .short_name = 'F',
	  .kind = HP_OPT_UINT,
	  .metavar = "HZ",
	  .min = 1,
	  .def = 99,
	  .offset = offsetof(struct hp_cpu_config, frequency),
	  .help = "CPU samples per second per CPU (default 99)",
	  .want = "1 up to kernel.perf_event_max_sample_rate",
	  .parse = cpu__parse_frequency },
	{ .name = "kernel-only",
	  .kind = HP_OPT_FLAG,
	  .def = 1,
	  .offset = offsetof(struct hp_cpu_config, user_stacks),
	  .help = "CPU profiles: kernel stacks only",
	  .bad = CPU_ONLY_BAD,
	  .parse = cpu__parse_only },
	{ .name = "user-only",
	  .kind = HP_OPT_FLAG,
	  .def = 1,
	  .offset = offsetof(struct hp_cpu_config, kernel_stacks),
	  .help = "CPU profiles: user stacks only",
	  .bad = CPU_ONLY_BAD,
	  .parse = cpu__parse_only },
	{ .name = "max-stacks",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 256,
	  .max = 1 << 20,
	  .def = 16384,
	  .offset = offsetof(struct hp_cpu_config, cpu_map_entries),
	  .help = "cap on distinct stacks per 1 s drain (default 16384; sized\n"
		  "4 x frequency x CPUs below that)",
	  .want = "256..1048576" },
	{ 0 },
};
