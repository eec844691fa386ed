// SPDX-License-Identifier: GPL-2.0-only
/* Request head checker (see http_head.h): the one place that decides which requests reach
 * libmicrohttpd, so none of them can make it answer with its own, non-JSON, error pages. */
#include "http_head.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX_FIELDS 100
#define METHOD_MAX 32

static enum hp_http_head_verdict head__error(struct hp_http_head_result *res, unsigned int status,
					     const char *message)
{
	res->status = status;
	res->message = message;
	return HP_HEAD_ERROR;
}

/* RFC 9110 tchar. */
static bool head__tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool head__token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!head__tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* Field value bytes: HTAB, visible ASCII, space and obs-text; no other control characters. */
static bool head__value_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static size_t head__trim(const char **s, size_t n)
{
	while (n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

/* Line [start, end of line) without its CR; *next is the byte after the LF. false: no LF yet. */
static bool head__line(const char *buf, size_t len, size_t start, size_t *line_len, size_t *next)
{
	const char *nl = memchr(buf + start, '\n', len - start);

	if (!nl)
		return false;
	*next = (size_t)(nl - buf) + 1;
	*line_len = (size_t)(nl - buf) - start;
	if (*line_len && buf[start + *line_len - 1] == '\r')
		(*line_len)--;
	return true;
}

static enum hp_http_head_verdict head__request_line(const char *line, size_t n, bool *http11,
						    struct hp_http_head_result *res)
{
	const char *sp1, *sp2, *target, *version;
	size_t mlen, tlen;
	bool get;

	if (!head__value_ok(line, n))
		return head__error(res, 400, "request line contains control characters");
	sp1 = memchr(line, ' ', n);
	if (!sp1)
		return head__error(res, 400, "malformed request line");
	mlen = (size_t)(sp1 - line);
	if (mlen > METHOD_MAX || !head__token(line, mlen))
		return head__error(res, 400, "malformed request method");
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2)
		return head__error(res, 505,
				   "HTTP/0.9 requests are not supported; use HTTP/1.0 or HTTP/1.1");
	tlen = (size_t)(sp2 - target);
	version = sp2 + 1;
	if (!tlen)
		return head__error(res, 400, "malformed request line (empty target)");
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return head__error(res, 400, "request target contains invalid characters");
	if ((size_t)(line + n - version) != 8 || memcmp(version, "HTTP/", 5) != 0 ||
	    version[5] < '0' || version[5] > '9' || version[6] != '.' || version[7] < '0' ||
	    version[7] > '9')
		return head__error(res, 400, "malformed HTTP version in the request line");
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return head__error(res, 505,
				   "HTTP version not supported; use HTTP/1.0 or HTTP/1.1");
	*http11 = version[7] == '1';
	get = mlen == 3 && memcmp(line, "GET", 3) == 0;
	if (!get && !(mlen == 4 && memcmp(line, "HEAD", 4) == 0))
		return head__error(res, 405, "method not allowed; use GET");
	if (target[0] != '/')
		return head__error(res, 400, "request target must be a path starting with /");
	return HP_HEAD_OK;
}

/* One "name: value" line; updates *host. */
static enum hp_http_head_verdict head__field(const char *line, size_t n, int *host,
					     struct hp_http_head_result *res)
{
	const char *colon, *value;
	size_t nlen, vlen;

	if (line[0] == ' ' || line[0] == '\t')
		return head__error(res, 400, "folded header lines are not accepted");
	colon = memchr(line, ':', n);
	if (!colon)
		return head__error(res, 400, "malformed header line (no colon)");
	nlen = (size_t)(colon - line);
	if (!head__token(line, nlen))
		return head__error(res, 400, "malformed header field name");
	value = colon + 1;
	vlen = head__trim(&value, n - nlen - 1);
	if (!head__value_ok(value, vlen))
		return head__error(res, 400, "header value contains control characters");
	if (nlen == 4 && strncasecmp(line, "host", 4) == 0)
		(*host)++;
	else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0)
		return head__error(res, 400, "request bodies are not accepted");
	else if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0 &&
		 !(vlen && strspn(value, "0") == vlen))
		return head__error(res, 400, "request bodies are not accepted");
	return HP_HEAD_OK;
}

enum hp_http_head_verdict hp_http_head__check(const char *buf, size_t len,
					      struct hp_http_head_result *res)
{
	enum hp_http_head_verdict v;
	size_t line_len, pos = 0, next;
	bool http11 = false;
	int host = 0, fields = 0;

	memset(res, 0, sizeof(*res));
	if (!head__line(buf, len, 0, &line_len, &next)) {
		if (len > HP_HTTP_HEAD_MAX_LINE + 1)
			return head__error(res, 414, "request line too long (limit 4096 bytes)");
		if (memchr(buf, '\0', len))
			return head__error(res, 400, "request line contains control characters");
		return HP_HEAD_MORE;
	}
	if (line_len > HP_HTTP_HEAD_MAX_LINE)
		return head__error(res, 414, "request line too long (limit 4096 bytes)");
	v = head__request_line(buf, line_len, &http11, res);
	if (v != HP_HEAD_OK)
		return v;
	for (pos = next;; pos = next) {
		if (pos > HP_HTTP_HEAD_MAX)
			break;
		if (!head__line(buf, len, pos, &line_len, &next)) {
			if (len > HP_HTTP_HEAD_MAX)
				break;
			return HP_HEAD_MORE;
		}
		if (next > HP_HTTP_HEAD_MAX)
			break;
		if (!line_len) {
			if (host > 1)
				return head__error(res, 400, "more than one Host header");
			if (http11 && !host)
				return head__error(res, 400,
						   "HTTP/1.1 request without Host header");
			res->head_len = next;
			return HP_HEAD_OK;
		}
		if (++fields > HEAD_MAX_FIELDS)
			return head__error(res, 431, "too many header fields (limit 100)");
		v = head__field(buf + pos, line_len, &host, res);
		if (v != HP_HEAD_OK)
			return v;
	}
	return head__error(res, 431, "request header fields too large (limit 16384 bytes)");
}
