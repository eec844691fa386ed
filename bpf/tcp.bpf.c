// SPDX-License-Identifier: GPL-2.0
/* TCP collector (work in progress): connect latency and outcomes of active opens, retransmits
 * and resets, per remote port, from tracepoints only (inet_sock_set_state, tcp_*). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "hp_tcp.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define HP_TCP_ESTABLISHED 1
#define HP_TCP_SYN_SENT 2
#define HP_TCP_CLOSE 7
#define ETIMEDOUT 110
#define EHOSTUNREACH 113
#define ENETUNREACH 101

HP_DROPS_MAP(HP_TCP_DROP__COUNT);

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_tcp_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct hp_tcp_port_key);
	__type(value, struct hp_tcp_port_val);
} ports SEC(".maps");

static __always_inline struct hp_tcp_port_val *tcp__port(const struct sock *sk)
{
	struct hp_tcp_port_key key = { .port = bpf_ntohs(sk->__sk_common.skc_dport) };
	struct hp_tcp_port_val *v, zero = {};

	v = bpf_map_lookup_elem(&ports, &key);
	if (v)
		return v;
	if (bpf_map_update_elem(&ports, &key, &zero, BPF_NOEXIST) == -E2BIG) {
		HP_DROP(HP_TCP_DROP_PORTS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&ports, &key);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, struct sock *sk, int oldstate, int newstate)
{
	struct hp_tcp_port_val *v;
	struct hp_tcp_conn *c;
	__u64 now, d;
	__u32 b, r;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (oldstate == HP_TCP_CLOSE && newstate == HP_TCP_SYN_SENT) {
		__u64 id = bpf_get_current_pid_tgid();

		if (!hp_filter__pass(id >> 32))
			return 0;
		c = bpf_sk_storage_get(&conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (!c) {
			HP_DROP(HP_TCP_DROP_STORAGE);
			return 0;
		}
		c->t_syn = bpf_ktime_get_ns();
		c->tgid = id >> 32;
		c->flags = 0;
		c->cgroup_id = bpf_get_current_cgroup_id();
		return 0;
	}
	if (oldstate != HP_TCP_SYN_SENT)
		return 0;
	c = bpf_sk_storage_get(&conns, sk, 0, 0);
	if (!c || !c->t_syn)
		return 0;
	now = bpf_ktime_get_ns();
	d = now - c->t_syn;
	c->t_syn = 0;
	v = tcp__port(sk);
	if (!v)
		return 0;
	if (newstate == HP_TCP_ESTABLISHED) {
		b = hp_hist__bucket(d);
		if (b >= HP_HIST_BUCKETS)
			b = HP_HIST_BUCKETS - 1;
		v->connect_buckets[b] += 1;
		v->connect_sum_ns += d;
		v->results[HP_TCP_OK] += 1;
		return 0;
	}
	if (c->flags & HP_TCP_CONN_RST_RX)
		r = HP_TCP_REFUSED;
	else if (sk->sk_err == ETIMEDOUT)
		r = HP_TCP_TIMEOUT;
	else if (sk->sk_err == EHOSTUNREACH || sk->sk_err == ENETUNREACH)
		r = HP_TCP_UNREACHABLE;
	else
		r = HP_TCP_OTHER;
	if (r < HP_TCP_RESULT__COUNT)
		v->results[r] += 1;
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset, struct sock *sk)
{
	struct hp_tcp_port_val *v = tcp__port(sk);
	struct hp_tcp_conn *c;

	if (v)
		v->resets_rx += 1;
	c = bpf_sk_storage_get(&conns, sk, 0, 0);
	if (c && c->t_syn)
		c->flags |= HP_TCP_CONN_RST_RX;
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct hp_tcp_port_val *v;

	if (!sk)
		return 0; /* a RST for no socket (closed port): not ours to key */
	v = tcp__port(sk);
	if (v)
		v->resets_tx += 1;
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct hp_tcp_port_val *v = tcp__port(sk);

	if (!v)
		return 0;
	if (sk->__sk_common.skc_state == HP_TCP_SYN_SENT)
		v->syn_retransmits += 1;
	else
		v->retransmits += 1;
	return 0;
}
