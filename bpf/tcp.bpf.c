// SPDX-License-Identifier: GPL-2.0
/* TCP collector: connect and handshake latency, connect outcomes, sampled srtt, retransmits, resets
 * and connection lifetimes per (peer, service port), from tracepoints only (no kprobe, no fentry). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "hp_tcp.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* TCP states (include/net/tcp_states.h) and errno values: vmlinux.h has no macros */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12
#define TCP_FIN_WAIT2 5
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11
#define AF_INET 2
#define AF_INET6 10
#define ENETUNREACH 101
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* Set by userspace before load. */
const volatile __u64 rtt_interval_ns = 100000000; /* one srtt sample per socket per this */
const volatile bool by_cgroup = false;		  /* key flows by the socket's cgroup too */
const volatile bool skip_loopback = false;	  /* ignore sockets whose peer is loopback */
/* The local port range (net.ipv4.ip_local_port_range): decides the direction of a socket first
 * seen after its open (it existed before hostprof): the side whose port is in it is the client. */
const volatile __u16 ephemeral_lo = 32768;
const volatile __u16 ephemeral_hi = 60999;

/* Flipped by the drain: rows are written in generation `gen`; the drain reads and deletes rows of
 * generations older than the previous one, which no program can still be writing to. */
volatile __u8 gen;

HP_DROPS_MAP(HP_TCP_DROP__COUNT);

/* Preallocated: a row is created in softirq at the first event after every drain, where a
 * non-preallocated map's allocation can fail (ENOMEM from its per-CPU cache, seen as ~1 lost
 * event in 200 shaped connects); a preallocated map fails only when full. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* userspace sets --tcp-max-flows */
	__type(key, struct hp_tcp_key);
	__type(value, struct hp_tcp_val);
} flows SEC(".maps");

/* Where events go when `flows` is full: their (port, direction, cgroup) row with the peer address
 * zeroed, so a host with more peers than flows rows still counts every event by port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hp_tcp_key);
	__type(value, struct hp_tcp_val);
} flows_spill SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_TCP_TOTAL__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_TCP_RST_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} rst_reasons SEC(".maps");

/* Per-socket state on tp_btf: freed by the kernel with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_tcp_sock);
} socks SEC(".maps");

/* Per-socket state on raw_tp (no socket storage there), keyed by the socket's address. Kept past
 * CLOSE (a reset can follow it), so least recently used entries make room: a reused address is
 * re-initialised by the open that reuses it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct hp_tcp_sock);
} socks_raw SEC(".maps");

static const struct hp_tcp_val zero_val;
static const struct hp_tcp_sock zero_sock;

static __always_inline void tcp__total(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&totals, &slot);

	if (v)
		*v += 1;
}

/* The socket's state, created on demand; NULL if it cannot be (counted when creating). */
static __always_inline struct hp_tcp_sock *tcp__sock(const struct sock *sk, bool create, bool raw)
{
	struct hp_tcp_sock *s;
	__u64 k = (__u64)sk;

	if (!raw) {
		s = bpf_sk_storage_get(&socks, (struct sock *)sk, 0,
				       create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
		if (!s && create)
			HP_DROP(HP_TCP_DROP_STORAGE);
		return s;
	}
	s = bpf_map_lookup_elem(&socks_raw, &k);
	if (s || !create)
		return s;
	if (bpf_map_update_elem(&socks_raw, &k, &zero_sock, BPF_NOEXIST) == -E2BIG) {
		HP_DROP(HP_TCP_DROP_STORAGE);
		return NULL;
	}
	return bpf_map_lookup_elem(&socks_raw, &k);
}

static __always_inline bool tcp__in_ephemeral(__u16 port)
{
	return port >= ephemeral_lo && port <= ephemeral_hi;
}

/* Direction of a socket first seen established: the side whose port is ephemeral is the client;
 * when neither or both are, the lower port is taken as the service's. */
static __always_inline __u8 tcp__guess_direction(__u16 lport, __u16 rport)
{
	bool l = tcp__in_ephemeral(lport), r = tcp__in_ephemeral(rport);

	if (l != r)
		return l ? HP_TCP_ACTIVE : HP_TCP_PASSIVE;
	return lport < rport ? HP_TCP_PASSIVE : HP_TCP_ACTIVE;
}

static __always_inline bool tcp__addr_loopback(const __u8 a[16])
{
	const __u32 *w = (const __u32 *)a;

	if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff))
		return a[12] == 127; /* 127.0.0.0/8, v4-mapped */
	return w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == bpf_htonl(1); /* ::1 */
}

/* Reads the peer address of any socket (full, request or time-wait: all start with sock_common)
 * into a[16], IPv4 as v4-mapped. False for other families. */
static __always_inline bool tcp__peer(const struct sock_common *skc, __u8 a[16])
{
	__u16 family = BPF_CORE_READ(skc, skc_family);
	__u32 *w = (__u32 *)a;

	if (family == AF_INET) {
		w[0] = 0;
		w[1] = 0;
		w[2] = bpf_htonl(0xffff);
		w[3] = BPF_CORE_READ(skc, skc_daddr);
		return true;
	}
	if (family == AF_INET6) {
		bpf_core_read(a, 16, &skc->skc_v6_daddr);
		return true;
	}
	return false;
}

/* The cgroup v2 id of a full socket (its creator's), or 0. */
static __always_inline __u64 tcp__sock_cgroup(const struct sock *sk)
{
	if (!bpf_core_field_exists(sk->sk_cgrp_data))
		return 0;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* The row of key in map, created if needed; NULL when the map cannot take it (full). */
static __always_inline struct hp_tcp_val *tcp__row(void *map, const struct hp_tcp_key *key)
{
	struct hp_tcp_val *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, &zero_val, BPF_NOEXIST); /* -EEXIST: another CPU's, fine */
	return bpf_map_lookup_elem(map, key);
}

/*
 * The flow row of (peer address, port, direction, cgroup) in generation gen, created if needed;
 * NULL when it is not ours to count (loopback when skipped) or the map is full (counted).
 */
static __always_inline struct hp_tcp_val *tcp__flow(const __u8 addr[16], __u16 port, __u8 direction,
						    __u64 cgroup_id)
{
	struct hp_tcp_key key = {};
	struct hp_tcp_val *v;

	__builtin_memcpy(key.addr, addr, 16);
	if (skip_loopback && tcp__addr_loopback(key.addr))
		return NULL;
	key.port = port;
	key.direction = direction;
	key.cgroup_id = by_cgroup ? cgroup_id : 0;
	key.gen = gen;
	v = tcp__row(&flows, &key);
	if (v)
		return v;
	/* flows is full: the event still counts for its port, as peer "other" */
	__builtin_memset(key.addr, 0, sizeof(key.addr));
	v = tcp__row(&flows_spill, &key);
	if (v)
		tcp__total(HP_TCP_TOTAL_SPILLED);
	else
		HP_DROP(HP_TCP_DROP_FLOWS_FULL);
	return v;
}

/* The flow row of any socket (full, request or time-wait) from its own fields, direction given. */
static __always_inline struct hp_tcp_val *tcp__skc_flow(const struct sock_common *skc,
							__u8 direction, __u64 cgroup_id)
{
	__u8 addr[16];
	__u16 port;

	if (!tcp__peer(skc, addr))
		return NULL;
	if (direction == HP_TCP_PASSIVE)
		port = BPF_CORE_READ(skc, skc_num);
	else
		port = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	return tcp__flow(addr, port, direction, cgroup_id);
}

/* Decides a socket's flow key (peer, service port, direction) now, while its ports are set. */
static __always_inline void tcp__decide(const struct sock *sk, struct hp_tcp_sock *s, __u8 d)
{
	const struct sock_common *skc = &sk->__sk_common;

	if (!tcp__peer(skc, s->addr))
		return;
	if (d == HP_TCP_PASSIVE)
		s->port = BPF_CORE_READ(skc, skc_num);
	else
		s->port = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	s->direction = d;
}

/*
 * The flow row of a full socket: its decided key, or for a socket first seen after its open
 * (it existed before hostprof) one decided now from its ports; without state, from its fields.
 */
static __always_inline struct hp_tcp_val *tcp__sock_flow(const struct sock *sk,
							 struct hp_tcp_sock *s)
{
	__u16 lport, rport;
	__u64 cg = 0;
	__u8 d;

	/* with --pid/--cgroup, only connections a matching process opened: the other events run in
	 * softirq, where the current task says nothing about the socket */
	if ((filter_tgid || filter_cgroup) && !(s && (s->flags & HP_TCP_SOCK_MATCH)))
		return NULL;

	if (by_cgroup)
		cg = s && s->cgroup_id ? s->cgroup_id : tcp__sock_cgroup(sk);
	if (s && s->direction)
		return tcp__flow(s->addr, s->port, s->direction, cg);
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	d = tcp__guess_direction(lport, rport);
	if (!s)
		return tcp__skc_flow(&sk->__sk_common, d, cg);
	tcp__decide(sk, s, d);
	if (!s->direction)
		return NULL;
	return tcp__flow(s->addr, s->port, s->direction, cg);
}

/* Adds ns to a histogram bucketed on ns >> shift, and to its sum (ns). */
static __always_inline void tcp__hist(__u64 *buckets, __u64 *sum, __u64 ns, __u32 shift)
{
	__u32 b = hp_hist__bucket(ns >> shift);

	if (b >= HP_HIST_BUCKETS)
		b = HP_HIST_BUCKETS - 1;
	__sync_fetch_and_add(&buckets[b], 1);
	__sync_fetch_and_add(sum, ns);
}

/* CLOSE -> SYN_SENT: runs in connect(), so current is the caller. */
static __always_inline void tcp__syn_sent(const struct sock *sk, bool raw)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hp_tcp_sock *s;

	if (!hp_filter__pass(id >> 32))
		return;
	s = tcp__sock(sk, true, raw);
	if (!s)
		return;
	s->t_syn = bpf_ktime_get_ns();
	s->t_est = 0;
	s->t_rtt = 0;
	s->tgid = id >> 32;
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->flags = HP_TCP_SOCK_MATCH;
	s->direction = HP_TCP_DIR_UNKNOWN;
	tcp__decide(sk, s, HP_TCP_ACTIVE);
}

/* SYN_SENT -> ESTABLISHED or CLOSE: the active open ended (softirq or the caller's close()). */
static __always_inline void tcp__open_ended(const struct sock *sk, int newstate, bool raw)
{
	struct hp_tcp_sock *s = tcp__sock(sk, false, raw);
	struct hp_tcp_val *v;
	__u64 now, d;
	__u32 r;
	int err;

	if (!s || !s->t_syn) {
		HP_DROP(HP_TCP_DROP_OPEN_UNSEEN);
		return;
	}
	now = bpf_ktime_get_ns();
	d = now - s->t_syn;
	s->t_syn = 0;
	v = tcp__sock_flow(sk, s);
	if (newstate == TCP_ESTABLISHED) {
		s->t_est = now;
		if (v) {
			tcp__hist(v->open_buckets, &v->open_sum_ns, d, 0);
			__sync_fetch_and_add(&v->results[HP_TCP_OK], 1);
		}
		return;
	}
	if (!v)
		return;
	err = BPF_CORE_READ(sk, sk_err);
	if ((s->flags & HP_TCP_SOCK_RST_RX) || err == ECONNREFUSED)
		r = HP_TCP_REFUSED;
	else if (err == ETIMEDOUT || err == 0) /* the kernel or the caller stopped waiting */
		r = HP_TCP_TIMEOUT;
	else if (err == EHOSTUNREACH || err == ENETUNREACH)
		r = HP_TCP_UNREACHABLE;
	else
		r = HP_TCP_OTHER;
	if (r < HP_TCP_RESULT__COUNT)
		__sync_fetch_and_add(&v->results[r], 1);
}

/*
 * SYN_RECV -> ESTABLISHED of a passive child (softirq). The handshake ran from the first SYN-ACK
 * to this final ACK: tcp_check_req() stored that round trip in srtt_us (tcp_synack_rtt_meas(),
 * exact when the SYN-ACK was sent once); when SYN-ACKs were resent on timeout, the child's
 * total_rto_time holds the ms since the first one (kernel 6.7+, commit 3868ab0f1925).
 */
static __always_inline void tcp__accepted(const struct sock *sk, bool raw)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct hp_tcp_sock *s = tcp__sock(sk, true, raw);
	struct hp_tcp_val *v;
	__u64 ns = 0;

	if (s) {
		/* a new child, maybe at the address of a freed socket (raw_tp): start afresh */
		s->t_syn = 0;
		s->t_rtt = 0;
		s->cgroup_id = 0;
		s->tgid = 0;
		s->flags = 0;
		s->direction = HP_TCP_DIR_UNKNOWN;
		tcp__decide(sk, s, HP_TCP_PASSIVE);
		s->t_est = bpf_ktime_get_ns();
	}
	v = tcp__sock_flow(sk, s);
	if (!v)
		return;
	__sync_fetch_and_add(&v->results[HP_TCP_OK], 1);
	if (bpf_core_field_exists(tp->total_rto) && BPF_CORE_READ(tp, total_rto))
		ns = (__u64)BPF_CORE_READ(tp, total_rto_time) * 1000000;
	else
		ns = (__u64)(BPF_CORE_READ(tp, srtt_us) >> 3) * 1000;
	if (ns)
		tcp__hist(v->open_buckets, &v->open_sum_ns, ns, 0);
}

/*
 * Payload bytes of a connection closing from oldstate. bytes_acked and bytes_received (RFC 4898)
 * count sequence space, so they include the SYN of an active open and the FINs: those are taken
 * out. Our FIN was acked when we close from FIN_WAIT2, or from LAST_ACK or CLOSING with snd_una
 * at write_seq; the peer's FIN was taken in when SOCK_DONE is set (tcp_fin(); tcp_disconnect()
 * clears it only after this tracepoint). sk_shutdown cannot say either: close() sets it first.
 */
static __always_inline void tcp__bytes(const struct sock *sk, int oldstate, __u8 direction,
				       __u64 *sent, __u64 *received)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 out = BPF_CORE_READ(tp, bytes_acked), in = BPF_CORE_READ(tp, bytes_received);
	bool fin_acked = oldstate == TCP_FIN_WAIT2;

	if ((oldstate == TCP_LAST_ACK || oldstate == TCP_CLOSING) &&
	    BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		fin_acked = true;
	if (direction == HP_TCP_ACTIVE && out)
		out--; /* the SYN */
	if (fin_acked && out)
		out--;
	if ((BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)) && in)
		in--;
	*sent = out;
	*received = in;
}

/* -> CLOSE from an established connection: its lifetime and bytes, in the spirit of tcplife. The
 * state stays: a reset may still be sent, and the socket may connect again (re-initialised). */
static __always_inline void tcp__closed(const struct sock *sk, int oldstate, bool raw)
{
	struct hp_tcp_sock *s = tcp__sock(sk, false, raw);
	struct hp_tcp_val *v;
	__u64 sent, received;

	if (!s || !s->t_est)
		return;
	v = tcp__sock_flow(sk, s);
	if (v) {
		tcp__hist(v->duration_buckets, &v->duration_sum_ns, bpf_ktime_get_ns() - s->t_est,
			  HP_TCP_DURATION_SHIFT);
		tcp__bytes(sk, oldstate, s->direction, &sent, &received);
		__sync_fetch_and_add(&v->bytes_sent, sent);
		__sync_fetch_and_add(&v->bytes_received, received);
	}
	s->t_est = 0;
}

static __always_inline void tcp__set_state(const struct sock *sk, int oldstate, int newstate,
					   bool raw)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		tcp__syn_sent(sk, raw);
	else if (oldstate == TCP_SYN_SENT)
		tcp__open_ended(sk, newstate, raw);
	else if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)
		tcp__accepted(sk, raw);
	else if (newstate == TCP_CLOSE)
		tcp__closed(sk, oldstate, raw);
}

/*
 * Every received segment of an established socket (tcp_rcv_established): the only per-packet
 * hook. The common case is one socket-state lookup and a clock read; srtt is sampled at most once
 * per rtt_interval_ns per socket, so a 10 Gbit/s flow costs the same samples as an idle one.
 */
static __always_inline void tcp__probe(const struct sock *sk, bool raw)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct hp_tcp_sock *s = tcp__sock(sk, true, raw);
	struct hp_tcp_val *v;
	__u64 now = bpf_ktime_get_ns();
	__u32 srtt;

	if (!s || now - s->t_rtt < rtt_interval_ns)
		return;
	s->t_rtt = now;
	srtt = BPF_CORE_READ(tp, srtt_us) >> 3; /* srtt_us is 8 x the smoothed RTT in us */
	if (!srtt)
		return;
	v = tcp__sock_flow(sk, s);
	if (!v)
		return;
	tcp__hist(v->rtt_buckets, &v->rtt_sum_ns, (__u64)srtt * 1000, 0);
	tcp__total(HP_TCP_TOTAL_RTT_SAMPLES);
}

static __always_inline void tcp__retransmit(const struct sock *sk, bool raw)
{
	struct hp_tcp_sock *s = tcp__sock(sk, false, raw);
	struct hp_tcp_val *v = tcp__sock_flow(sk, s);

	if (!v)
		return;
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_SYN_SENT)
		__sync_fetch_and_add(&v->syn_retransmits, 1);
	else
		__sync_fetch_and_add(&v->retransmits, 1);
}

/* A SYN-ACK resent for a request socket of listener sk: keyed like the child it would become. */
static __always_inline void tcp__retransmit_synack(const struct sock *sk,
						   const struct request_sock *req)
{
	struct hp_tcp_val *v;

	if (filter_tgid || filter_cgroup) /* a passive open: never a filtered process's connect */
		return;
	v = tcp__skc_flow(&req->__req_common, HP_TCP_PASSIVE, by_cgroup ? tcp__sock_cgroup(sk) : 0);
	if (v)
		__sync_fetch_and_add(&v->syn_retransmits, 1);
}

static __always_inline void tcp__receive_reset(const struct sock *sk, bool raw)
{
	struct hp_tcp_sock *s = tcp__sock(sk, false, raw);
	struct hp_tcp_val *v;

	if (s && s->t_syn)
		s->flags |= HP_TCP_SOCK_RST_RX;
	v = tcp__sock_flow(sk, s);
	if (v)
		__sync_fetch_and_add(&v->resets_received, 1);
}

/* sk may be NULL (no socket: a closed port), a full, request or time-wait socket. */
static __always_inline void tcp__send_reset(const struct sock *sk, __u32 reason, bool raw)
{
	struct hp_tcp_val *v;
	__u8 state;
	__u64 *n;

	if (reason >= HP_TCP_RST_REASONS)
		reason = HP_TCP_RST_REASONS - 1;
	n = bpf_map_lookup_elem(&rst_reasons, &reason);
	if (n)
		*n += 1;
	if (!sk) {
		tcp__total(HP_TCP_TOTAL_RESETS_SENT_NO_SOCKET);
		return;
	}
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV) {
		if (filter_tgid || filter_cgroup)
			return;
		/* not a full socket: no state, no cgroup; the direction from its ports */
		const struct sock_common *skc = &sk->__sk_common;

		v = tcp__skc_flow(skc,
				  tcp__guess_direction(BPF_CORE_READ(skc, skc_num),
						       bpf_ntohs(BPF_CORE_READ(skc, skc_dport))),
				  0);
	} else {
		v = tcp__sock_flow(sk, tcp__sock(sk, false, raw));
	}
	if (v)
		__sync_fetch_and_add(&v->resets_sent, 1);
}

/* tp_btf: the kernel passes typed pointers; the default path. */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	tcp__set_state(sk, oldstate, newstate, false);
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(probe_btf, struct sock *sk, const struct sk_buff *skb)
{
	tcp__probe(sk, false);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf, const struct sock *sk, const struct sk_buff *skb)
{
	tcp__retransmit(sk, false);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(retransmit_synack_btf, const struct sock *sk, const struct request_sock *req)
{
	tcp__retransmit_synack(sk, req);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset_btf, struct sock *sk)
{
	tcp__receive_reset(sk, false);
	return 0;
}

/* The reason argument exists since kernel 6.10: read only when this kernel's BTF has its enum
 * (the branch is a CO-RE constant, so the verifier never sees the read on older kernels). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf, const struct sock *sk, const struct sk_buff *skb)
{
	__u32 reason = 0;

	if (bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_NOT_SPECIFIED))
		reason = (__u32)ctx[2];
	tcp__send_reset(sk, reason, false);
	return 0;
}

/* raw_tp: the fallback where tp_btf does not attach; the same bodies, per-socket state in a hash. */

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(set_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	tcp__set_state(sk, oldstate, newstate, true);
	return 0;
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(probe_raw, struct sock *sk, const struct sk_buff *skb)
{
	tcp__probe(sk, true);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw, const struct sock *sk, const struct sk_buff *skb)
{
	tcp__retransmit(sk, true);
	return 0;
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(retransmit_synack_raw, const struct sock *sk, const struct request_sock *req)
{
	tcp__retransmit_synack(sk, req);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(receive_reset_raw, struct sock *sk)
{
	tcp__receive_reset(sk, true);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw, const struct sock *sk, const struct sk_buff *skb)
{
	__u32 reason = 0;

	if (bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_NOT_SPECIFIED))
		reason = (__u32)ctx[2];
	tcp__send_reset(sk, reason, true);
	return 0;
}
