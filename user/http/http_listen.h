/* SPDX-License-Identifier: GPL-2.0-only */
/* The --listen address: parsing, the listening socket, and whether other hosts can reach it (a
 * reachable address needs authentication, see hp_cli__parse). */
#ifndef HOSTPROF_HTTP_LISTEN_H
#define HOSTPROF_HTTP_LISTEN_H

#include <stdbool.h>

struct sockaddr;

/* Parses "host:port", "[v6]:port" or ":port" into a sockaddr (NULL host: all interfaces).
 * 0, or -EINVAL for anything else (including a host name that does not resolve). */
int hp_http__parse_listen(const char *listen, void *sockaddr_storage, unsigned int *len);
/* Creates the listening socket for "host:port" (bound, listening, non-blocking, close-on-exec):
 * done first, before any BPF work, so a taken port fails start-up at once. Returns the fd, or a
 * negative errno (logged: -EINVAL for a bad address, else the bind/listen error). */
int hp_http__listen(const char *listen);
/* Whether addr (AF_INET or AF_INET6) is reachable only from this host: 127.0.0.0/8, ::1 or an
 * IPv4-mapped 127.0.0.0/8. The wildcards (0.0.0.0, ::) and every other address are not. */
bool hp_http__addr_is_loopback(const struct sockaddr *addr);
/* hp_http__addr_is_loopback of a --listen value (":port" is all interfaces); false when it does
 * not parse. */
bool hp_http__listen_is_loopback(const char *listen);

#endif
