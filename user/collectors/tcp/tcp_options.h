/* SPDX-License-Identifier: GPL-2.0-only */
/* The TCP collector's command-line options and where their values live (struct hp_tcp_options),
 * declared here so the CLI and --help are built from them (base/option.h). */
#ifndef HOSTPROF_TCP_OPTIONS_H
#define HOSTPROF_TCP_OPTIONS_H

#include <stdbool.h>
#include <string.h>

#include "collectors/collector.h"

struct hp_tcp_options {
	double rtt_interval_seconds; /* --tcp-rtt-interval: srtt at most once per socket per this;
					0: no RTT (tcp_probe not loaded) */
	unsigned int top_peers;	     /* --tcp-top-peers: flow series with their own peer label */
	unsigned int top_ports;	     /* --tcp-top-ports: ports with a peer="other" series */
	bool by_cgroup;		     /* --tcp-by-cgroup: flows and series carry the cgroup */
	const char *loopback;	     /* --tcp-loopback: "include" or "exclude" */
	unsigned int max_flows;	     /* --tcp-max-flows: max_entries of the BPF flows map */
};

extern const struct hp_option hp_tcp_options[];
extern const struct hp_collector_ops hp_collector_tcp;

/* The TCP collector's values in cfg, defaults applied. */
static inline const struct hp_tcp_options *hp_tcp_options_of(const struct hp_config *cfg)
{
	return hp_config__collector(cfg, &hp_collector_tcp);
}

/* --tcp-loopback exclude: the BPF programs ignore sockets whose peer is loopback. */
static inline bool hp_tcp_options__skip_loopback(const struct hp_tcp_options *o)
{
	return strcmp(o->loopback, "exclude") == 0; /* the parser keeps one of two words */
}

#endif
