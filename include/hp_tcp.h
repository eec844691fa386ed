/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the TCP collector, shared by bpf/tcp.bpf.c and userspace so the kernel writer and
 * the reader agree: per-flow connect/handshake, RTT and lifetime histograms, outcomes, resets. */
#ifndef HOSTPROF_HP_TCP_H
#define HOSTPROF_HP_TCP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hp_hist.h"

/* Which side opened the connection: the key's port is the service's port either way. */
enum hp_tcp_direction {
	HP_TCP_DIR_UNKNOWN = 0, /* (never in a flows key) */
	HP_TCP_ACTIVE = 1,	/* we connected: port = remote port */
	HP_TCP_PASSIVE = 2,	/* we accepted: port = local (listening) port */
};

/* How an open ended. Active: SYN_SENT -> ESTABLISHED or -> CLOSE; passive: every child that
 * reached ESTABLISHED counts as HP_TCP_OK (a listener never sees the others as sockets). */
enum hp_tcp_result {
	HP_TCP_OK = 0,	    /* ESTABLISHED */
	HP_TCP_REFUSED,	    /* CLOSE after a RST from the peer (ECONNREFUSED) */
	HP_TCP_TIMEOUT,	    /* CLOSE without an answer: the kernel gave up after its SYN retries
			       (sk_err ETIMEDOUT) or the caller closed the socket first (its own
			       connect timeout, sk_err 0) */
	HP_TCP_UNREACHABLE, /* CLOSE with sk_err EHOSTUNREACH / ENETUNREACH (ICMP) */
	HP_TCP_OTHER,	    /* CLOSE with any other error */
	HP_TCP_RESULT__COUNT,
};

/*
 * Lifetimes are bucketed on (ns >> 10), i.e. in units of 1.024 us: the shared log2 layout then
 * spans 262 us to 2^44 ns = 4.9 hours instead of 256 ns to 17 s. Bounds, quantiles and "le"
 * labels are the shared ones times 2^10 (exact: powers of two).
 */
#define HP_TCP_DURATION_SHIFT 10

/*
 * The BPF map key of `flows`: one row per (peer address, service port, direction[, cgroup]) and
 * generation. Never an ephemeral port: a passive flow is keyed by its local port, an active one by
 * its remote port. Userspace folds rows into bounded series (top-K peers + "other"). When `flows`
 * is full (a server with more clients than rows), the event goes to `flows_spill` under the same
 * key with an all-zero address (never a real peer): counted for its port as peer "other".
 */
struct hp_tcp_key {
	__u8 addr[16];	 /* peer address: IPv6, or IPv4 as v4-mapped ::ffff:a.b.c.d */
	__u64 cgroup_id; /* the socket's cgroup v2 id with tcp_by_cgroup, else 0 */
	__u16 port;	 /* service port, host order */
	__u8 direction;	 /* enum hp_tcp_direction */
	__u8 gen;	 /* generation the row was written in (see `gen` in tcp.bpf.c) */
	__u32 pad;	 /* zero */
};

/*
 * The value of `flows` (shared between CPUs: every field is added with an atomic add). TCP events
 * happen per connection, not per packet (RTT is rate-limited per socket), so contention is low and
 * a row costs the same on 2 or 200 CPUs. All durations in nanoseconds; buckets: hp_hist__bucket().
 */
struct hp_tcp_val {
	/* active: connect latency (CLOSE -> SYN_SENT to ESTABLISHED) of opens that succeeded;
	 * passive: handshake latency (first SYN-ACK sent to the final ACK: ESTABLISHED) */
	__u64 open_buckets[HP_HIST_BUCKETS];
	__u64 open_sum_ns;
	/* smoothed RTT (tcp_sock.srtt_us) sampled at most once per socket per rtt_interval_ns */
	__u64 rtt_buckets[HP_HIST_BUCKETS];
	__u64 rtt_sum_ns;
	/* connections that closed after reaching ESTABLISHED while hostprof ran: ESTABLISHED -> CLOSE;
	 * bucketed on ns >> HP_TCP_DURATION_SHIFT (lifetimes run to hours), the sum in ns */
	__u64 duration_buckets[HP_HIST_BUCKETS];
	__u64 duration_sum_ns;
	__u64 bytes_sent;     /* of those connections: tcp_sock.bytes_acked (sent and acked) */
	__u64 bytes_received; /* tcp_sock.bytes_received */
	__u64 results[HP_TCP_RESULT__COUNT]; /* opens by outcome (passive: only HP_TCP_OK) */
	__u64 syn_retransmits; /* active: SYNs resent (tcp_retransmit_skb in SYN_SENT);
				  passive: SYN-ACKs resent (tcp_retransmit_synack) */
	__u64 retransmits;     /* data segments resent (tcp_retransmit_skb in any other state) */
	__u64 resets_received; /* tcp_receive_reset */
	__u64 resets_sent;     /* tcp_send_reset with a socket */
};

/*
 * Per-socket state: socket storage on tp_btf (freed with the socket), an LRU hash keyed by the
 * socket's address on raw_tp. The flow key is decided once per connection and kept here, because
 * at CLOSE the kernel has already released the local port (inet_put_port() zeroes it) and may
 * send a reset after that.
 */
struct hp_tcp_sock {
	__u64 t_syn;	 /* bpf_ktime_get_ns() at CLOSE -> SYN_SENT; 0 once the open ended */
	__u64 t_est;	 /* at -> ESTABLISHED while we watched; 0: unknown or counted at CLOSE */
	__u64 t_rtt;	 /* last RTT sample */
	__u64 cgroup_id; /* active: the caller's cgroup at SYN_SENT */
	__u8 addr[16];	 /* the flow key's peer address, once direction is set */
	__u32 tgid;	 /* active: the caller at SYN_SENT (the later transitions run in softirq) */
	__u16 port;	 /* the flow key's service port, once direction is set */
	__u8 direction;	 /* enum hp_tcp_direction; UNKNOWN: not decided yet */
	__u8 flags;	 /* HP_TCP_SOCK_* */
};

#define HP_TCP_SOCK_RST_RX (1u << 0) /* a RST arrived while SYN_SENT: the open was refused */
#define HP_TCP_SOCK_MATCH (1u << 1)  /* opened by a process that passed --pid / --cgroup */

/* Host-wide counters, a per-CPU array indexed by these (no key, never full). */
enum hp_tcp_total {
	HP_TCP_TOTAL_RESETS_SENT_NO_SOCKET = 0, /* tcp_send_reset without a socket (closed port) */
	HP_TCP_TOTAL_RTT_SAMPLES,		/* srtt samples taken */
	HP_TCP_TOTAL_SPILLED, /* events counted in `flows_spill` (peer folded) because flows was full */
	HP_TCP_TOTAL__COUNT,
};

/* Resets sent by the kernel's reason (enum sk_rst_reason, kernel 6.10+; commit 5cb2cb3cb271),
 * a per-CPU array of this many slots; the last slot counts reasons beyond it. */
#define HP_TCP_RST_REASONS 64

enum hp_tcp_drop {
	HP_TCP_DROP_STORAGE = 0, /* per-socket state not created: that socket is not timed */
	HP_TCP_DROP_FLOWS_FULL,	 /* `flows` and `flows_spill` full: the event is not counted */
	HP_TCP_DROP_OPEN_UNSEEN, /* an open ended (SYN_SENT -> *) whose start hostprof had not seen */
	HP_TCP_DROP__COUNT,
};

#endif
