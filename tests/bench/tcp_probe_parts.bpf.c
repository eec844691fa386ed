// SPDX-License-Identifier: GPL-2.0
/* The parts of the TCP collector's per-segment hook (tcp_probe), each as its own program attached
 * side by side, so BPF run-time statistics split its cost: storage lookup, clock, alternatives. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct parts_sock {
	__u64 t;
};

/* Own storage maps, so the parts do not see each other's state. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct parts_sock);
} st_a SEC(".maps"), st_b SEC(".maps"), st_c SEC(".maps"), st_d SEC(".maps");

__u64 sink;

SEC("tp_btf/tcp_probe")
int BPF_PROG(part_empty, struct sock *sk, const struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(part_ktime, struct sock *sk, const struct sk_buff *skb)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(part_jiffies, struct sock *sk, const struct sk_buff *skb)
{
	sink = bpf_jiffies64();
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(part_storage, struct sock *sk, const struct sk_buff *skb)
{
	struct parts_sock *s = bpf_sk_storage_get(&st_a, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (s)
		s->t++;
	return 0;
}

/* What tcp.bpf.c does on a segment inside the interval: storage, clock, compare. */
SEC("tp_btf/tcp_probe")
int BPF_PROG(part_storage_ktime, struct sock *sk, const struct sk_buff *skb)
{
	struct parts_sock *s = bpf_sk_storage_get(&st_b, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	__u64 now = bpf_ktime_get_ns();

	if (s && now - s->t >= 100000000)
		s->t = now;
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(part_storage_jiffies, struct sock *sk, const struct sk_buff *skb)
{
	struct parts_sock *s = bpf_sk_storage_get(&st_c, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	__u64 now = bpf_jiffies64();

	if (s && now - s->t >= 25)
		s->t = now;
	return 0;
}

/* The socket's own clock: tcp_mstamp (us), refreshed by the kernel on every segment it handles. */
SEC("tp_btf/tcp_probe")
int BPF_PROG(part_storage_mstamp, struct sock *sk, const struct sk_buff *skb)
{
	struct parts_sock *s = bpf_sk_storage_get(&st_d, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	__u64 now;

	if (!tp)
		return 0;
	now = tp->tcp_mstamp;
	if (s && now - s->t >= 100000)
		s->t = now;
	return 0;
}
