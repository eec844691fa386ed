/* SPDX-License-Identifier: GPL-2.0-only */
/* The TCP collector in userspace: drains the kernel's per-generation flow rows into a bounded
 * cumulative table, folds it into bounded /metrics series, and serves GET /api/v1/tcp windows. */
#ifndef HOSTPROF_TCP_H
#define HOSTPROF_TCP_H

/*
 * Data path: bpf/tcp.bpf.c adds every event to the `flows` row of (peer address, service port,
 * direction[, cgroup]) in generation `gen` (include/hp_tcp.h). Each tick hp_tcp__collect() moves
 * `gen` on, then reads and deletes the rows of generations older than the previous one (no
 * program can still be adding to them), and adds them to the cumulative table of hp_tcp_row
 * (at most cfg.max_rows rows; the least recently active is evicted, counted). A snapshot of the
 * table (an hp_khist of hp_tcp_row, ascending identity) is kept per tick in a window ring, as
 * for run-queue latency; /metrics folds the table into series: the top cfg.top_peers flows by
 * decayed activity keep their own peer label, every other flow is summed into its port's
 * peer="other" series (ports beyond cfg.top_ports into port="other"), so series never decrease
 * and their number stays <= top_peers + top_ports + 1 per direction.
 *
 * Labels: never a pid or an ephemeral port. port = the service port (remote port of an active
 * open, local port of an accepted connection); peer = "10.0.0.7:5432" (active) or "10.0.0.7"
 * (passive: the peer's port is ephemeral) or "other"; IPv6 as "[2001:db8::1]:443" / "2001:db8::1",
 * v4-mapped IPv6 shown as IPv4; direction = "active" | "passive"; cgroup = path, with --tcp-by-cgroup.
 */

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hp_tcp.h"
#include "http/http.h"
#include "stores/keyed_hist.h"
#include "stores/window.h"

struct hp_buf;
struct hp_collector;
struct hp_config;
struct hp_pod_drain;
struct hp_services;
struct hp_self_stats;

#define HP_TCP_TOP_PEERS_DEFAULT 20	    /* per-flow series in /metrics, besides the "other"s */
#define HP_TCP_TOP_PORTS_DEFAULT 50	    /* ports with their own peer="other" series */
#define HP_TCP_ROWS_DEFAULT 1024	    /* cumulative table rows (flows) kept: bounds memory */
#define HP_TCP_FLOWS_DEFAULT 4096	    /* BPF `flows` max_entries (preallocated: ~3.7 MB) */
#define HP_TCP_RTT_INTERVAL_NS 100000000ULL /* one srtt sample per socket per 100 ms */

struct hp_tcp_config {
	unsigned int top_peers; /* flow series (0: only "other" series) */
	unsigned int top_ports; /* ports with an "other" series of their own */
	unsigned int max_rows;	/* table rows (0: HP_TCP_ROWS_DEFAULT) */
	bool by_cgroup;		/* rows and series carry the socket's cgroup */
	double retention;	/* how far back windows reach, s (the agent's --retention) */
};

/* The identity of a flow: the kernel's key without its generation, plus the table's epoch. */
struct hp_tcp_flow {
	__u8 addr[16];	 /* peer, IPv6 or v4-mapped */
	__u64 cgroup_id; /* 0 unless by_cgroup */
	__u16 port;	 /* service port */
	__u8 direction;	 /* enum hp_tcp_direction */
	__u8 pad;
	__u32 epoch; /* collect that (re)created the row: an evicted flow seen again is a new row,
			so a window never subtracts the old row's counts from the new one's */
};

/* One cumulative row of the table and of its snapshots (hp_tcp_row_type). */
struct hp_tcp_row {
	struct hp_tcp_flow id;
	/* cumulative counters from here on */
	__u64 events;	     /* every event added to v: opens, RTT samples, closes, retransmits,
				 resets (the row's live counter: 0 in a window = idle, left out) */
	struct hp_tcp_val v; /* as the kernel counts them (include/hp_tcp.h) */
};

/* Histograms of a row, for hp_khist__quantile_at() / hp_khist__max_at(). */
#define HP_TCP_HIST_OPEN offsetof(struct hp_tcp_row, v.open_buckets)
#define HP_TCP_HIST_RTT offsetof(struct hp_tcp_row, v.rtt_buckets)
#define HP_TCP_HIST_DURATION offsetof(struct hp_tcp_row, v.duration_buckets)

/* key: id without epoch ordering first (addr, cgroup_id, port, direction), then epoch */
extern const struct hp_khist_type hp_tcp_row_type;
int hp_tcp_flow__cmp(const void *a, const void *b);
/* The peer label of a flow ("10.0.0.7:5432", "10.0.0.7", "[::1]:80", "::1") into buf (>= 64
 * bytes); returns buf. */
const char *hp_tcp_flow__peer(const struct hp_tcp_flow *f, char *buf, size_t size);
/* True when the flow's peer is loopback (127.0.0.0/8, ::1, v4-mapped 127/8). */
bool hp_tcp_flow__loopback(const struct hp_tcp_flow *f);
/* True for the flows the kernel spilled when its flows map was full (all-zero address): their
 * peer is "other", and they never get a series of their own. */
bool hp_tcp_flow__spilled(const struct hp_tcp_flow *f);
/* The peer's bare address ("10.0.0.7", "2001:db8::1"; v4-mapped as IPv4) into buf (>= 46 bytes:
 * INET6_ADDRSTRLEN; shorter: ""); returns buf. (tcp_flow.c, with peer and loopback above.) */
const char *hp_tcp_flow__address(const struct hp_tcp_flow *f, char *buf, size_t size);
/* Parses an address as hp_tcp_flow__address() writes it, or any inet_pton() IPv4/IPv6 form, into
 * the 16-byte key form (IPv4 as v4-mapped). 0, or -1 when s is not an address (a port or a
 * prefix length included). */
int hp_tcp_flow__parse_address(const char *s, __u8 addr[16]);

/* The collector's userspace state. Fields marked (api) are what tcp_api.c reads. */
struct hp_tcp_state {
	struct hp_tcp_config cfg;
	struct hp_khist *latest;   /* (api) hp_tcp_row table as of the last collect, refs held */
	struct hp_window window;   /* (api) snapshots of the table, hp_khist_window_ops */
	bool window_ready;	   /* (api) */
	__u64 evicted_rows;	   /* (api) rows evicted from the table since start */
	void *priv;		   /* tables, series and drain buffers (tcp.c, tcp_series.c) */
	struct hp_pod_drain *pods; /* per-pod series (--pod-metrics, tcp_pods.c), NULL when off;
				      freed by hp_tcp__free */
};

/*
 * Empty table and window ring (fine steps of tick s for 30 s, 30 s steps up to cfg->retention),
 * now = CLOCK_MONOTONIC s. 0 or -ENOMEM (nothing left to free).
 */
int hp_tcp__init(struct hp_tcp_state *t, const struct hp_tcp_config *cfg, double tick, double now);
void hp_tcp__free(struct hp_tcp_state *t);
/*
 * One drain: sets the BPF global gen (through *gen, the skeleton's mmapped .bss) to (*gen + 1) &
 * 0xff, waits for programs still on the old one (base/bpf_sync.h), then reads every row of
 * flows_fd and spill_fd (-1: none) once and deletes those of every generation but the new one
 * (without the barrier: but the new and the previous one), adding them to the table; takes a
 * snapshot at now. 0 or a negative errno (rows that could not be read or deleted are counted).
 */
int hp_tcp__collect(struct hp_tcp_state *t, int flows_fd, int spill_fd, volatile __u8 *gen,
		    double now);
/* The part of collect after the kernel reads (tests call it): n rows (keys[i] -> vals[i]). */
int hp_tcp__ingest(struct hp_tcp_state *t, const struct hp_tcp_key *keys,
		   const struct hp_tcp_val *vals, size_t n, double now);
/*
 * /metrics families (all with labels direction/port/peer[/cgroup] unless said):
 *   hostprof_tcp_connect_latency_seconds{port,peer}     histogram, active opens that succeeded
 *   hostprof_tcp_connects_total{port,peer,result}       active opens by ok|refused|timeout|
 *                                                        unreachable|other
 *   hostprof_tcp_handshake_latency_seconds{port,peer}   histogram, passive: first SYN-ACK -> ACK
 *   hostprof_tcp_accepts_total{port,peer}               passive opens that reached ESTABLISHED
 *   hostprof_tcp_rtt_seconds{direction,port,peer}       histogram of sampled srtt
 *   hostprof_tcp_connection_duration_seconds{direction,port,peer}  histogram, ESTABLISHED->CLOSE
 *   hostprof_tcp_sent_bytes_total / hostprof_tcp_received_bytes_total{direction,port,peer}
 *   hostprof_tcp_syn_retransmits_total{direction,port,peer}  SYNs (active) / SYN-ACKs (passive)
 *   hostprof_tcp_retransmits_total{direction,port,peer}      data segments
 *   hostprof_tcp_resets_received_total / hostprof_tcp_resets_sent_total{direction,port,peer}
 *   hostprof_tcp_flows_folded gauge: flows summed into an "other" series now
 */
void hp_tcp__metrics(struct hp_tcp_state *t, struct hp_buf *out, struct hp_services *svc);
/* Fill levels for hostprof_map_entries ("tcp_flows_table": table rows / max_rows; "flows": rows
 * the last collect found / max_entries) and the drop "flows_read_error" (flows rows that could
 * not be read or deleted, or had no direction); table evictions are evicted_rows above. */
void hp_tcp__self_stats(const struct hp_tcp_state *t, struct hp_self_stats *out);
double hp_tcp__retention(const struct hp_tcp_state *t);

/*
 * Per-pod series (tcp_pods.c; need cgroup ids in the rows: --pod-metrics keys flows by cgroup):
 * init after hp_tcp__init (t->pods stays NULL without cfg->pod_metrics; 0 or -ENOMEM); the
 * ingest hook (the m flow deltas of this drain: active connect latency and data retransmits
 * summed per pod, committed at now); hostprof_pod_tcp_connect_latency_seconds and
 * hostprof_pod_tcp_retransmits_total; the pod-series figures. No-ops without t->pods.
 */
int hp_tcp__pods_init(struct hp_tcp_state *t, const struct hp_config *cfg, struct hp_services *svc);
void hp_tcp__pods(struct hp_tcp_state *t, const struct hp_tcp_row *delta, size_t m, double now);
void hp_tcp__pods_metrics(const struct hp_tcp_state *t, struct hp_buf *out);
void hp_tcp__pods_self_stats(const struct hp_tcp_state *t, struct hp_self_stats *out);

/* Provided by collector_tcp.c: the state of collector c (NULL when not running). c->lock held. */
struct hp_tcp_state *hp_tcp__state(struct hp_collector *c);

/*
 * GET /api/v1/tcp on collector c (tcp_api.c): takes c->lock, gets the state (NULL: 404 JSON
 * error), checks parameters (400 JSON error naming the bad one), refreshes through
 * c->ops->refresh(c, false), answers JSON (documented in tcp_api.c).
 */
void hp_tcp__serve(struct hp_collector *c, struct hp_tcp_state *(*get)(struct hp_collector *),
		   const struct hp_request *req, struct hp_response *resp);
extern const char *const hp_tcp_params[];
extern const struct hp_route hp_tcp_routes[]; /* tcp_route.c */

#endif
