// SPDX-License-Identifier: GPL-2.0-only
/* The TCP collector's command-line options (see tcp_options.h): names, bounds, defaults and help
 * in one table that the CLI merges with the others. */
#include "tcp_options.h"

#include <stddef.h>
#include <string.h>

#include "tcp.h"

_Static_assert(sizeof(struct hp_tcp_options) <= HP_COLLECTOR_CONFIG_BYTES, "tcp config too big");

/* --tcp-loopback: "include" or "exclude", kept as the table's own string. */
static int tcp__parse_loopback(const struct hp_option *o, const char *arg, void *base)
{
	static const char *const words[] = { "include", "exclude" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(arg, words[i]) == 0) {
			*(const char **)((char *)base + o->offset) = words[i];
			return HP_OPT_OK;
		}
	}
	return HP_OPT_INVALID;
}

const struct hp_option hp_tcp_options[] = {
	{ .name = "tcp-rtt-interval",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 0,
	  .max = 3600,
	  .def = HP_TCP_RTT_INTERVAL_NS / 1e9,
	  .offset = offsetof(struct hp_tcp_options, rtt_interval_seconds),
	  .help = "smoothed RTT sampled at most once per socket per D from\n"
		  "tcp_probe (default 100ms; 0: no RTT, tcp_probe not hooked)",
	  .want = "0..1h, e.g. 100ms",
	  .parse = hp_option__parse_duration_or_zero },
	{ .name = "tcp-top-peers",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 0,
	  .max = 1000,
	  .def = HP_TCP_TOP_PEERS_DEFAULT,
	  .offset = offsetof(struct hp_tcp_options, top_peers),
	  .help = "TCP series per peer: the N most active flows keep their\n"
		  "peer label, the rest are summed as peer=\"other\" (default 20)",
	  .want = "0..1000" },
	{ .name = "tcp-top-ports",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 0,
	  .max = 1000,
	  .def = HP_TCP_TOP_PORTS_DEFAULT,
	  .offset = offsetof(struct hp_tcp_options, top_ports),
	  .help = "service ports with a peer=\"other\" series of their own; the\n"
		  "rest as port=\"other\" (default 50)",
	  .want = "0..1000" },
	{ .name = "tcp-by-cgroup",
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct hp_tcp_options, by_cgroup),
	  .help = "TCP flows and series per cgroup too (label cgroup)" },
	{ .name = "tcp-loopback",
	  .kind = HP_OPT_STRING,
	  .metavar = "M",
	  .def_str = "include",
	  .offset = offsetof(struct hp_tcp_options, loopback),
	  .help = "include (default) or exclude connections to 127.0.0.0/8\n"
		  "and ::1 in the kernel",
	  .want = "include or exclude",
	  .parse = tcp__parse_loopback },
	{ .name = "tcp-max-flows",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 256,
	  .max = 1 << 20,
	  .def = HP_TCP_FLOWS_DEFAULT,
	  .offset = offsetof(struct hp_tcp_options, max_flows),
	  .help = "distinct (peer, port) flows the kernel holds between two\n"
		  "drains (default 4096, preallocated ~0.9 KB each; beyond it\n"
		  "events count for their port as peer \"other\")",
	  .want = "256..1048576" },
	{ 0 },
};
