/* SPDX-License-Identifier: GPL-2.0-only */
/* The two procfs files the TCP collector reads: the local port range (which side of a connection
 * found already open is the client) and the listen-queue counters no tracepoint reports. */
#ifndef HOSTPROF_TCP_PROCFS_H
#define HOSTPROF_TCP_PROCFS_H

#include <linux/types.h>

#define HP_TCP_PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"
#define HP_TCP_NETSTAT_PATH "/proc/net/netstat"

/*
 * The text of ip_local_port_range ("32768\t60999\n": two decimal ports, blanks between, blanks
 * or a newline after) into *lo and *hi. 0, or -EINVAL (anything else: a port 0 or above 65535,
 * lo above hi, a third word, a sign); *lo and *hi untouched then.
 */
int hp_tcp_procfs__port_range(const char *text, __u16 *lo, __u16 *hi);

/*
 * One counter of a /proc/net/netstat or /proc/net/snmp text: lines come in pairs, "Group: Name1
 * Name2 ..." then "Group: v1 v2 ..."; the value under name in the first pair of group that has
 * it, an unsigned decimal, into *value. 0; -ENOENT (no such group or name); -EINVAL (the pair is
 * malformed: no value line after the names, fewer values than names, or the value is not an
 * unsigned decimal that fits 64 bits).
 */
int hp_netstat__value(const char *text, const char *group, const char *name, __u64 *value);

/* Listen-queue counters of TcpExt (the network namespace of the reader). */
struct hp_tcp_listen {
	__u64 overflows; /* ListenOverflows: SYNs or final ACKs dropped, the accept queue full */
	__u64 drops;	 /* ListenDrops: every SYN or ACK dropped on a listener (overflows too) */
};

/* Reads path (HP_TCP_NETSTAT_PATH) into *out. 0, or a negative errno (file unreadable, or either
 * counter missing or malformed: -ENOENT / -EINVAL); *out untouched on error. */
int hp_tcp_procfs__listen(const char *path, struct hp_tcp_listen *out);
/* Reads path (HP_TCP_PORT_RANGE_PATH) into *lo, *hi as hp_tcp_procfs__port_range. */
int hp_tcp_procfs__read_port_range(const char *path, __u16 *lo, __u16 *hi);

#endif
