/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of the kernel's reset reasons (enum sk_rst_reason, from its BTF) for the rst_reasons
 * counters of bpf/tcp.bpf.c, and their /metrics family. */
#ifndef HOSTPROF_TCP_RST_H
#define HOSTPROF_TCP_RST_H

#include <linux/types.h>

#include "hp_tcp.h"

struct btf;
struct hp_buf;

#define HP_TCP_RST_NAME_MAX 48

/* The label of each rst_reasons slot. */
struct hp_tcp_rst_names {
	char name[HP_TCP_RST_REASONS][HP_TCP_RST_NAME_MAX];
};

/*
 * Names every slot from enum sk_rst_reason in btf (the running kernel's, whose values the
 * programs count): SK_RST_REASON_NO_SOCKET -> "no_socket" (prefix stripped, lower case, any
 * character but [a-z0-9_] as '_'); SK_RST_REASON_MAX is a bound, not a reason. A slot the enum
 * does not name (or whose name does not fit) is "reason_<n>"; the last slot, where the programs
 * count every reason from HP_TCP_RST_REASONS - 1 on, is "other". Without the enum (btf NULL, or
 * a kernel before 6.10, whose tcp_send_reset has no reason: every reset lands in slot 0) slot 0
 * is "unknown". 0, or -ENOENT when the enum was not found.
 */
int hp_tcp_rst_names__init(struct hp_tcp_rst_names *n, const struct btf *btf);

/*
 * hostprof_tcp_resets_sent_by_reason_total{reason}: one sample per slot of counts (the
 * rst_reasons array summed over CPUs, HP_TCP_RST_REASONS values) that is not 0.
 */
void hp_tcp_rst__metrics(const struct hp_tcp_rst_names *n, const __u64 *counts, struct hp_buf *out);

#endif
