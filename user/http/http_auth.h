/* SPDX-License-Identifier: GPL-2.0-only */
/* Bearer-token authentication of HTTP requests (--auth-token-file). The token file is re-read when
 * it changes, so a rotated Kubernetes Secret takes effect without restarting the agent. */
#ifndef HOSTPROF_HTTP_AUTH_H
#define HOSTPROF_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* Shortest token accepted: a guessable one would make authentication a formality. */
#define HP_HTTP_TOKEN_MIN 16
/* Longest token accepted (a Kubernetes service-account JWT is ~1 KiB); also the fixed length of
 * every comparison. */
#define HP_HTTP_TOKEN_MAX 4096
/* The token file is looked at (stat) at most this often, in seconds. */
#define HP_HTTP_AUTH_RECHECK_S 1.0

/*
 * Reads token file path: its content with trailing whitespace (newlines too) removed, which must
 * be HP_HTTP_TOKEN_MIN..HP_HTTP_TOKEN_MAX bytes of visible ASCII (0x21..0x7e: what an
 * Authorization header carries unchanged). path may be a symlink (a Secret's ..data link).
 * Returns 0 with the token in out (out_size > HP_HTTP_TOKEN_MAX; NUL-terminated, *len bytes), or
 * a negative errno with a one-line reason in err ("empty", "too short", the open error, ...).
 */
int hp_http_auth__read(const char *path, char *out, size_t out_size, size_t *len, char *err,
		       size_t err_size);

/*
 * Whether given (glen bytes) equals secret (slen bytes, stored zero-padded in a buffer of
 * HP_HTTP_TOKEN_MAX bytes). The time taken depends on neither the secret's bytes nor its
 * length: every comparison runs over all HP_HTTP_TOKEN_MAX bytes. A given value longer than
 * HP_HTTP_TOKEN_MAX is unequal at once (its length is the client's own).
 */
bool hp_http_auth__equal(const unsigned char *secret, size_t slen, const char *given, size_t glen);

/*
 * The credentials of an Authorization header value of the Bearer scheme ("Bearer" in any case,
 * one or more spaces, then the token; trailing spaces ignored): a pointer into value and *len,
 * or NULL for an absent value (NULL), another scheme or no token.
 */
const char *hp_http_auth__bearer(const char *value, size_t *len);

enum hp_http_auth_verdict {
	HP_AUTH_OK,
	HP_AUTH_MISSING, /* no Authorization header, or not a Bearer token */
	HP_AUTH_INVALID, /* a Bearer token that is not the configured one */
};

struct hp_http_auth;

/* Loads the token from path (see hp_http_auth__read). NULL with the reason in err on failure. */
struct hp_http_auth *hp_http_auth__new(const char *path, char *err, size_t err_size);
void hp_http_auth__free(struct hp_http_auth *a);

/*
 * Checks an Authorization header value (NULL: absent) against the current token. now is
 * CLOCK_MONOTONIC seconds (hp_now()): when HP_HTTP_AUTH_RECHECK_S has passed since the last look,
 * the file is stat()ed (following symlinks) and re-read if its device, inode, size, mtime or
 * ctime changed, or if it had been written less than 2 s before the last read (file times are
 * coarse: a second write within the same tick changes none of them). A file that cannot be read, or holds no valid token, keeps the previous token
 * (logged once per change of the file, counted in reload_errors). Thread-safe.
 */
enum hp_http_auth_verdict hp_http_auth__check(struct hp_http_auth *a, const char *authorization,
					      double now);

struct hp_http_auth_stats {
	unsigned long long missing, invalid; /* requests refused, by verdict */
	unsigned long long reloads;	     /* new tokens taken from the file after start */
	unsigned long long reload_errors;    /* changes of the file that gave no valid token */
};
/* Counters since start; all zero for a == NULL. */
void hp_http_auth__stats(const struct hp_http_auth *a, struct hp_http_auth_stats *out);

#endif
