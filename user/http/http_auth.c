// SPDX-License-Identifier: GPL-2.0-only
/* Bearer tokens (see http_auth.h): the file is read into a zero-padded buffer of fixed size, so a
 * comparison always walks the same number of bytes whatever the token is. */
#include "http_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/readfile.h"

/* Bytes read from a token file at most: the token plus generous trailing whitespace. */
#define AUTH_FILE_MAX (HP_HTTP_TOKEN_MAX + 4096)
/* File times come from a coarse clock (one tick, ~4 ms): two writes within a tick can leave size,
 * inode and mtime alike. A file written this recently (s) when read is read again next time. */
#define AUTH_RECENT_S 2.0

/* What identifies one version of the token file (stat() of the path, symlinks followed). */
struct auth_file_id {
	bool ok; /* stat() succeeded */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct hp_http_auth {
	char *path;
	pthread_mutex_t lock; /* guards everything below but the counters */
	double next_check;    /* CLOCK_MONOTONIC seconds */
	struct auth_file_id id;
	bool reread; /* the version read was fresh (AUTH_RECENT_S): read again at the next look */
	unsigned char token[HP_HTTP_TOKEN_MAX]; /* zero-padded */
	size_t len;
	_Atomic unsigned long long missing, invalid, reloads, reload_errors;
};

static void auth__id_of(const struct stat *st, struct auth_file_id *id)
{
	*id = (struct auth_file_id){ .ok = true,
				     .dev = st->st_dev,
				     .ino = st->st_ino,
				     .size = st->st_size,
				     .mtime = st->st_mtim,
				     .ctime = st->st_ctim };
}

static bool auth__recent(const struct auth_file_id *id)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - id->mtime.tv_sec) + (now.tv_nsec - id->mtime.tv_nsec) / 1e9 <
	       AUTH_RECENT_S;
}

static bool auth__id_equal(const struct auth_file_id *a, const struct auth_file_id *b)
{
	if (!a->ok || !b->ok)
		return a->ok == b->ok;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* hp_http_auth__read, also giving the identity of the file actually read (id->ok false when it
 * could not be opened). */
static int auth__read(const char *path, char *out, size_t out_size, size_t *len,
		      struct auth_file_id *id, char *err, size_t err_size)
{
	struct stat st;
	size_t n = 0;
	char *text;
	int fd, e;

	id->ok = false;
	/* non-blocking: a FIFO put there by mistake must not hang start-up */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		snprintf(err, err_size, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		snprintf(err, err_size, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, err_size, "%s: not a regular file", path);
		return -EINVAL;
	}
	auth__id_of(&st, id);
	text = hp_readfile__fd(fd, AUTH_FILE_MAX, &n);
	e = errno;
	close(fd);
	if (!text) {
		snprintf(err, err_size, "%s: %s", path,
			 e == EFBIG ? "larger than any token" : strerror(e));
		return -(e ? e : EIO);
	}
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' ||
		     text[n - 1] == '\r' || text[n - 1] == '\v' || text[n - 1] == '\f'))
		n--;
	e = 0;
	if (n == 0) {
		snprintf(err, err_size, "%s is empty: put the token in it", path);
		e = EINVAL;
	} else if (n < HP_HTTP_TOKEN_MIN || n > HP_HTTP_TOKEN_MAX) {
		snprintf(err, err_size,
			 "%s: the token has %zu bytes, want %d..%d (e.g. openssl rand -hex 32)",
			 path, n, HP_HTTP_TOKEN_MIN, HP_HTTP_TOKEN_MAX);
		e = EINVAL;
	} else if (n >= out_size) {
		snprintf(err, err_size, "%s: token too long", path);
		e = EINVAL;
	}
	for (size_t i = 0; !e && i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x21 || c > 0x7e) {
			snprintf(err, err_size,
				 "%s: byte %zu of the token is a space, control or non-ASCII "
				 "character (0x%02x); a bearer token is visible ASCII",
				 path, i + 1, c);
			e = EINVAL;
		}
	}
	if (!e) {
		memcpy(out, text, n);
		out[n] = '\0';
		*len = n;
	}
	explicit_bzero(text, n);
	free(text);
	return -e;
}

int hp_http_auth__read(const char *path, char *out, size_t out_size, size_t *len, char *err,
		       size_t err_size)
{
	struct auth_file_id id;

	return auth__read(path, out, out_size, len, &id, err, err_size);
}

bool hp_http_auth__equal(const unsigned char *secret, size_t slen, const char *given, size_t glen)
{
	unsigned char padded[HP_HTTP_TOKEN_MAX];
	uint64_t diff = 0;

	if (glen > HP_HTTP_TOKEN_MAX)
		return false;
	memset(padded, 0, sizeof(padded));
	memcpy(padded, given, glen);
	for (size_t i = 0; i < HP_HTTP_TOKEN_MAX; i += sizeof(diff)) {
		uint64_t x, y;

		memcpy(&x, secret + i, sizeof(x));
		memcpy(&y, padded + i, sizeof(y));
		diff |= x ^ y;
		/* an empty asm the compiler must assume reads diff: no early exit can be made of
		 * the loop, whatever diff holds */
		__asm__ volatile("" : "+r"(diff));
	}
	/* the lengths last: equal bytes with a different length (a prefix) must not pass */
	diff |= (uint64_t)(slen != glen);
	explicit_bzero(padded, sizeof(padded));
	return diff == 0;
}

const char *hp_http_auth__bearer(const char *value, size_t *len)
{
	size_t n;

	if (!value || strncasecmp(value, "Bearer", 6) != 0 || value[6] != ' ')
		return NULL;
	value += 6;
	while (*value == ' ')
		value++;
	n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (!n)
		return NULL;
	*len = n;
	return value;
}

struct hp_http_auth *hp_http_auth__new(const char *path, char *err, size_t err_size)
{
	struct hp_http_auth *a = calloc(1, sizeof(*a));
	char token[HP_HTTP_TOKEN_MAX + 1];

	if (!a || !(a->path = strdup(path))) {
		free(a);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (auth__read(path, token, sizeof(token), &a->len, &a->id, err, err_size)) {
		free(a->path);
		free(a);
		return NULL;
	}
	memcpy(a->token, token, a->len);
	explicit_bzero(token, sizeof(token));
	a->reread = auth__recent(&a->id);
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void hp_http_auth__free(struct hp_http_auth *a)
{
	if (!a)
		return;
	explicit_bzero(a->token, sizeof(a->token));
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

/* Re-reads the file if stat() shows another version than the one last read. Under a->lock. */
static void auth__refresh(struct hp_http_auth *a)
{
	char token[HP_HTTP_TOKEN_MAX + 1], err[256];
	struct auth_file_id seen = { 0 }, read_id;
	struct stat st;
	size_t len = 0;

	if (stat(a->path, &st) == 0)
		auth__id_of(&st, &seen);
	if (!a->reread && auth__id_equal(&seen, &a->id))
		return;
	if (auth__read(a->path, token, sizeof(token), &len, &read_id, err, sizeof(err))) {
		/* keep serving with the last good token; say so once per version of the file */
		atomic_fetch_add(&a->reload_errors, 1);
		hp_warn("http: cannot reload the auth token (%s); keeping the previous one", err);
		a->id = seen;
		a->reread = false;
		return;
	}
	a->id = read_id; /* what was read, even if it changed again since the stat() */
	a->reread = auth__recent(&read_id);
	if (len != a->len || memcmp(token, a->token, len) != 0) {
		memset(a->token, 0, sizeof(a->token));
		memcpy(a->token, token, len);
		a->len = len;
		atomic_fetch_add(&a->reloads, 1);
		hp_info("http: auth token reloaded from %s", a->path);
	}
	explicit_bzero(token, sizeof(token));
}

enum hp_http_auth_verdict hp_http_auth__check(struct hp_http_auth *a, const char *authorization,
					      double now)
{
	size_t glen = 0;
	const char *given = hp_http_auth__bearer(authorization, &glen);
	bool ok;

	pthread_mutex_lock(&a->lock);
	if (now >= a->next_check) {
		a->next_check = now + HP_HTTP_AUTH_RECHECK_S;
		auth__refresh(a);
	}
	ok = given && hp_http_auth__equal(a->token, a->len, given, glen);
	pthread_mutex_unlock(&a->lock);
	if (ok)
		return HP_AUTH_OK;
	atomic_fetch_add(given ? &a->invalid : &a->missing, 1);
	return given ? HP_AUTH_INVALID : HP_AUTH_MISSING;
}

void hp_http_auth__stats(const struct hp_http_auth *a, struct hp_http_auth_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	out->missing = atomic_load(&a->missing);
	out->invalid = atomic_load(&a->invalid);
	out->reloads = atomic_load(&a->reloads);
	out->reload_errors = atomic_load(&a->reload_errors);
}
