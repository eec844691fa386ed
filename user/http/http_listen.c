// SPDX-License-Identifier: GPL-2.0-only
/* --listen (see http_listen.h): one parser for the CLI's check and the agent's socket, so the
 * address judged loopback is the address bound. */
#include "http_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

int hp_http__parse_listen(const char *listen, void *storage, unsigned int *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon, *port;
	size_t hlen;
	int err;

	if (!listen)
		return -EINVAL;
	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hlen = (size_t)(end - listen - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, listen + 1, hlen);
		host[hlen] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - listen);
		if (hlen >= sizeof(host) || memchr(listen, ':', hlen))
			return -EINVAL;
		memcpy(host, listen, hlen);
		host[hlen] = '\0';
	}
	port = colon + 1;
	if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    strtoul(port, NULL, 10) > 65535)
		return -EINVAL;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (err || !res)
		return -EINVAL;
	memcpy(storage, res->ai_addr, res->ai_addrlen);
	*len = (unsigned int)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int hp_http__listen(const char *where)
{
	struct sockaddr_storage addr;
	unsigned int addrlen = 0;
	int fd, one = 1, err;

	if (hp_http__parse_listen(where, &addr, &addrlen)) {
		hp_error("invalid --listen address '%s' (want host:port, [v6]:port or :port)",
			 where);
		return -EINVAL;
	}
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, addrlen) || listen(fd, SOMAXCONN))
		goto fail;
	return fd;
fail:
	err = -errno;
	if (fd >= 0)
		close(fd);
	hp_error("cannot listen on %s: %s", where, strerror(-err));
	return err;
}

bool hp_http__addr_is_loopback(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

bool hp_http__listen_is_loopback(const char *listen)
{
	struct sockaddr_storage ss;
	unsigned int len;

	return hp_http__parse_listen(listen, &ss, &len) == 0 &&
	       hp_http__addr_is_loopback((const struct sockaddr *)&ss);
}
