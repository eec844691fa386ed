// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the six hooks the TCP collector uses (tp_btf): the cost of merely having BPF
 * on them, the floor tests/bench/tcp_cost.sh and tcp_connect_loop compare the collector against. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_set_state, const struct sock *sk, int oldstate, int newstate)
{
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(empty_probe, struct sock *sk, const struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(empty_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(empty_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(empty_receive_reset, struct sock *sk)
{
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(empty_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	return 0;
}
