/* SPDX-License-Identifier: GPL-2.0-only */
/* State of the TCP collector's life cycle (collector_tcp.c): the BPF object, the flow table of
 * tcp.h, the reset-reason names and the listen counters. HTTP sees it only through tcp.h. */
#ifndef HOSTPROF_COLLECTOR_TCP_H
#define HOSTPROF_COLLECTOR_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "collectors/collector.h"
#include "tcp.h"
#include "tcp_rst.h"

/* Programs attached at most: set_state, probe, retransmit, retransmit_synack, receive_reset,
 * send_reset (one attach path). */
#define HP_TCP_MAX_LINKS 6

struct tcp_bpf;
struct bpf_link;

struct tcp_collector {
	struct tcp_bpf *skel;
	struct bpf_link *links[HP_TCP_MAX_LINKS];
	size_t nlinks;
	int ncpus;		   /* possible CPUs: values per per-CPU map slot */
	struct hp_services *svc;   /* cgroup names for the series */
	bool rtt;		   /* tcp_probe hooked (--tcp-rtt-interval above 0) */
	__u16 port_lo, port_hi;	   /* the local port range given to the programs */
	bool port_range_read;	   /* from procfs; false: the programs' defaults */
	struct hp_tcp_state table; /* tcp.h: flow table, window ring, series */
	bool table_ready;
	double last_collect;	     /* CLOCK_MONOTONIC s of the last hp_tcp__collect() */
	bool collected;		     /* last_collect is set */
	struct hp_tcp_rst_names rst; /* names of the rst_reasons slots */
	bool rst_named;		     /* the kernel's BTF has enum sk_rst_reason */
	__u64 *percpu;		     /* ncpus values: one per-CPU slot read at a time */
	bool netstat_failed;	     /* /proc/net/netstat unreadable once: logged, not again */
};

#endif
