// SPDX-License-Identifier: GPL-2.0-only
/* How a TCP flow's peer is written (labels, JSON) and whether it is loopback: one place, so the
 * /metrics peer label, the API's peer/address and its peer= filter always agree. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "tcp.h"

static const __u8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool flow__v4(const __u8 addr[16])
{
	return memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

const char *hp_tcp_flow__address(const struct hp_tcp_flow *f, char *buf, size_t size)
{
	const char *s;

	if (flow__v4(f->addr))
		s = inet_ntop(AF_INET, f->addr + 12, buf, (socklen_t)size);
	else
		s = inet_ntop(AF_INET6, f->addr, buf, (socklen_t)size);
	if (!s && size)
		buf[0] = '\0'; /* buf shorter than INET6_ADDRSTRLEN */
	return buf;
}

bool hp_tcp_flow__spilled(const struct hp_tcp_flow *f)
{
	static const __u8 zero[16];

	return memcmp(f->addr, zero, sizeof(zero)) == 0;
}

const char *hp_tcp_flow__peer(const struct hp_tcp_flow *f, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	bool v4 = flow__v4(f->addr);

	hp_tcp_flow__address(f, addr, sizeof(addr));
	if (hp_tcp_flow__spilled(f))
		snprintf(buf, size, "other");
	else if (f->direction != HP_TCP_ACTIVE) /* the peer's port is ephemeral: never a label */
		snprintf(buf, size, "%s", addr);
	else if (v4)
		snprintf(buf, size, "%s:%u", addr, f->port);
	else
		snprintf(buf, size, "[%s]:%u", addr, f->port);
	return buf;
}

bool hp_tcp_flow__loopback(const struct hp_tcp_flow *f)
{
	static const __u8 v6_loopback[16] = { [15] = 1 };

	if (flow__v4(f->addr))
		return f->addr[12] == 127;
	return memcmp(f->addr, v6_loopback, sizeof(v6_loopback)) == 0;
}

int hp_tcp_flow__parse_address(const char *s, __u8 addr[16])
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		memcpy(addr + 12, &v4, sizeof(v4));
		return 0;
	}
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -1;
}
