/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal HTTP/1.1 GET for unit tests that start the real server on a loopback port: status,
 * Content-Type and body, checked with cmocka asserts (include cmocka.h first). */
#ifndef HOSTPROF_TESTS_HTTP_GET_H
#define HOSTPROF_TESTS_HTTP_GET_H

/* strcasestr needs _GNU_SOURCE before the first system header of the including file */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* GET path from 127.0.0.1:port; returns the status, the Content-Type value into ctype (size
 * ctype_size; NULL: not wanted) and the body into *body (malloc'd, NUL-terminated). */
static inline int test_http_get(int port, const char *path, char *ctype, size_t ctype_size,
				char **body)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *head_end, *ct;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	ssize_t r;

	assert_non_null(buf);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	dprintf(fd, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	close(fd);
	buf[n] = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &status), 1);
	head_end = strstr(buf, "\r\n\r\n");
	assert_non_null(head_end);
	*head_end = '\0';
	if (ctype) {
		ct = strcasestr(buf, "\r\nContent-Type: ");
		snprintf(ctype, ctype_size, "%.*s", ct ? (int)strcspn(ct + 16, "\r\n") : 0,
			 ct ? ct + 16 : "");
	}
	*body = strdup(head_end + 4);
	assert_non_null(*body);
	free(buf);
	return status;
}

#endif
