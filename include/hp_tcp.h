/* SPDX-License-Identifier: GPL-2.0-only */
/* Map layouts of the TCP collector, shared by bpf/tcp.bpf.c and userspace so the kernel writer and
 * the reader agree: per-port connect latency histograms, connect outcomes, retransmits, resets. */
#ifndef HOSTPROF_HP_TCP_H
#define HOSTPROF_HP_TCP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hp_hist.h"

/* How an active open ended (SYN_SENT -> ESTABLISHED or -> CLOSE). */
enum hp_tcp_result {
	HP_TCP_OK = 0,	    /* ESTABLISHED */
	HP_TCP_REFUSED,	    /* CLOSE after a RST from the peer (tcp_receive_reset) */
	HP_TCP_TIMEOUT,	    /* CLOSE with sk_err ETIMEDOUT: SYNs unanswered */
	HP_TCP_UNREACHABLE, /* CLOSE with sk_err EHOSTUNREACH / ENETUNREACH */
	HP_TCP_OTHER,	    /* CLOSE for any other reason (the caller gave up, other errors) */
	HP_TCP_RESULT__COUNT,
};

/* Per-socket state of an active open, in socket storage (freed with the socket). */
struct hp_tcp_conn {
	__u64 t_syn; /* bpf_ktime_get_ns() at CLOSE -> SYN_SENT, in the caller's context */
	__u32 tgid;  /* the caller */
	__u32 flags; /* HP_TCP_CONN_* */
	__u64 cgroup_id;
};

#define HP_TCP_CONN_RST_RX (1u << 0) /* a RST arrived while SYN_SENT */

/* Per remote port (active opens): what the counters and the histogram are keyed by. */
struct hp_tcp_port_key {
	__u16 port; /* remote port, host order */
	__u16 pad;
	__u32 pad2;
};

/* Per-CPU value per remote port. */
struct hp_tcp_port_val {
	__u64 connect_buckets[HP_HIST_BUCKETS]; /* hp_hist__bucket() of connect latency, ok only */
	__u64 connect_sum_ns;
	__u64 results[HP_TCP_RESULT__COUNT];
	__u64 syn_retransmits; /* tcp_retransmit_skb while SYN_SENT */
	__u64 retransmits;     /* other retransmitted segments */
	__u64 resets_rx;       /* tcp_receive_reset */
	__u64 resets_tx;       /* tcp_send_reset */
};

enum hp_tcp_drop {
	HP_TCP_DROP_STORAGE = 0, /* socket storage not created: that connect is not timed */
	HP_TCP_DROP_PORTS_FULL,	 /* per-port map full: the event is not counted */
	HP_TCP_DROP__COUNT,
};

#endif
