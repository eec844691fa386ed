/* SPDX-License-Identifier: GPL-2.0-only */
/* Private state of the TCP collector's userspace (hp_tcp_state.priv), shared by tcp.c (table),
 * tcp_read.c (drain buffers), tcp_series.c and tcp_metrics.c (bounded series); not an API. */
#ifndef HOSTPROF_TCP_TABLE_H
#define HOSTPROF_TCP_TABLE_H

#include "collectors/map_drain.h"
#include "base/bpf_sync.h"
#include "tcp.h"

/* Ranking: events decayed with this half-life (s), so a flow that went quiet leaves the top. */
#define TCP_HALF_LIFE 300.0
/* A challenger takes the weakest series' slot only above this ratio of its score. */
#define TCP_HYSTERESIS 1.25

/* A row of the cumulative table. */
struct tcp_acc {
	struct hp_tcp_row row;
	__u64 seen;   /* collect sequence number of its last event */
	double score; /* events decayed with TCP_HALF_LIFE: the flow ranking */
	int series;   /* flow series slot, or -1: folded into its port's "other" */
};

/* A flow series of /metrics: what the flow did since it entered the top. */
struct tcp_flow_series {
	bool used;
	struct hp_tcp_flow id;
	struct hp_tcp_val v;
};

/* A (direction, port, peer="other") series: its port's folded flows since it entered the top. */
struct tcp_port_series {
	bool used;
	__u8 direction;
	__u16 port;
	struct hp_tcp_val v;
};

struct tcp_priv {
	__u64 seq; /* collects so far */
	double last_t;
	struct tcp_acc *rows; /* sorted by identity (epoch left out), at most cfg.max_rows */
	size_t nrows;
	struct hp_tcp_row *delta; /* this ingest's rows, sorted and de-duplicated */
	size_t delta_cap;
	/* series */
	struct tcp_flow_series *flows; /* cfg.top_peers slots */
	struct tcp_port_series *ports; /* cfg.top_ports slots */
	__u16 *port_slot; /* [direction - 1][port]: its slot + 1, 0: none (256 KB, O(1) lookup) */
	struct hp_tcp_val other[3]; /* (direction, port="other", peer="other") by direction */
	__u64 demotions;	    /* flow or port series folded back into "other" */
	/* drain (tcp_read.c) */
	struct hp_map_drain drain; /* keeps the finished rows' keys and values */
	struct hp_map_drain spill; /* the same for flows_spill, appended to drain's rows */
	__u64 read_errors;	   /* rows that could not be read or deleted */
	struct hp_bpf_sync sync;   /* the wait for programs still on the old generation */
	int sync_state;		   /* 0: not opened yet; 1: works; < 0: unavailable (errno) */
};

/* dst += src, every counter. */
void tcp_val__add(struct hp_tcp_val *dst, const struct hp_tcp_val *src);
/* Events in v: opens by outcome, RTT samples, closes, retransmits, resets (1 for a row that
 * holds only other counters, so it is never taken for idle). */
__u64 tcp_val__events(const struct hp_tcp_val *v);
/* Identity order without the epoch (the table's and the deltas' order). */
int tcp_flow__cmp_id(const struct hp_tcp_flow *a, const struct hp_tcp_flow *b);
/* The table row of flow id (epoch ignored), or NULL. */
struct tcp_acc *tcp__row(const struct tcp_priv *p, const struct hp_tcp_flow *id);
/*
 * Series (tcp_series.c), run by ingest after the table merge: rank() demotes the series of
 * evicted flows, then gives flow slots to the top flows and port slots to the top (direction,
 * port) pairs by decayed events; attribute() adds the m deltas to their series. rank: 0 or
 * -ENOMEM.
 */
int tcp__rank(struct hp_tcp_state *t);
void tcp__attribute(struct hp_tcp_state *t, const struct hp_tcp_row *delta, size_t m);
/* The port series slot of (direction, port), or NULL. */
#define TCP_TOP_PORTS_MAX 65535 /* port_slot holds slot + 1 in a __u16 */
struct tcp_port_series *tcp__port_series(const struct hp_tcp_state *t, __u8 direction, __u16 port);

#endif
