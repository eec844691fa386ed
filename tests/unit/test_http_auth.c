// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the HTTP exposure pieces: bearer tokens (file rules, comparison, the header,
 * re-reading a rotated file and a Kubernetes Secret's ..data swap) and the TLS ClientHello test
 * the front door applies on an HTTPS port. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/http_auth.h"
#include "http/http_tls.h"

static char dir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hostprof-auth-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name with content (written in place, truncating). */
static const char *put(const char *name, const char *content)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
	return path;
}

static int read_token(const char *path, char *out, size_t *len, char *err)
{
	return hp_http_auth__read(path, out, HP_HTTP_TOKEN_MAX + 1, len, err, 256);
}

static void test_token_file_rules(void **state)
{
	char out[HP_HTTP_TOKEN_MAX + 1], err[256], *big;
	size_t len;

	(void)state;
	/* trailing whitespace of any kind goes; the rest is the token, byte for byte */
	assert_int_equal(read_token(put("t", "s3cr3t-T0ken_value/+=\r\n\n \t"), out, &len, err), 0);
	assert_string_equal(out, "s3cr3t-T0ken_value/+=");
	assert_int_equal(len, 21);
	assert_int_equal(read_token(put("t", "0123456789abcdef"), out, &len, err), 0);
	assert_int_equal(len, HP_HTTP_TOKEN_MIN);

	assert_int_equal(read_token(put("t", ""), out, &len, err), -EINVAL);
	assert_non_null(strstr(err, "is empty"));
	assert_int_equal(read_token(put("t", "\n\n  \n"), out, &len, err), -EINVAL);
	assert_non_null(strstr(err, "is empty"));
	assert_int_equal(read_token(put("t", "0123456789abcde\n"), out, &len, err), -EINVAL);
	assert_non_null(strstr(err, "15 bytes"));
	/* a space inside, a leading space, a control or non-ASCII byte: not a header-safe token */
	assert_int_equal(read_token(put("t", "0123456789 abcdef"), out, &len, err), -EINVAL);
	assert_non_null(strstr(err, "byte 11"));
	assert_int_equal(read_token(put("t", " 0123456789abcdef"), out, &len, err), -EINVAL);
	assert_int_equal(read_token(put("t", "0123456789abcdef\x01"), out, &len, err), -EINVAL);
	assert_int_equal(read_token(put("t", "0123456789abcdef\xc3\xa9"), out, &len, err), -EINVAL);
	assert_int_equal(read_token("/nonexistent/token", out, &len, err), -ENOENT);
	assert_int_equal(read_token(dir, out, &len, err), -EINVAL); /* a directory */
	assert_non_null(strstr(err, "not a regular file"));

	/* exactly HP_HTTP_TOKEN_MAX bytes pass, one more does not */
	big = malloc(HP_HTTP_TOKEN_MAX + 3);
	assert_non_null(big);
	memset(big, 'x', HP_HTTP_TOKEN_MAX);
	strcpy(big + HP_HTTP_TOKEN_MAX, "\n");
	assert_int_equal(read_token(put("t", big), out, &len, err), 0);
	assert_int_equal(len, HP_HTTP_TOKEN_MAX);
	strcpy(big + HP_HTTP_TOKEN_MAX, "x\n");
	assert_int_equal(read_token(put("t", big), out, &len, err), -EINVAL);
	free(big);
}

static void test_token_equal(void **state)
{
	unsigned char secret[HP_HTTP_TOKEN_MAX] = { 0 };
	const char *tok = "0123456789abcdefXYZ";
	size_t n = strlen(tok);
	char given[64], *huge;

	(void)state;
	memcpy(secret, tok, n);
	assert_true(hp_http_auth__equal(secret, n, tok, n));
	/* a prefix, an extension, one byte off at the start or at the end */
	assert_false(hp_http_auth__equal(secret, n, tok, n - 1));
	assert_false(hp_http_auth__equal(secret, n, "0123456789abcdefXYZ0", n + 1));
	strcpy(given, tok);
	given[0] ^= 1;
	assert_false(hp_http_auth__equal(secret, n, given, n));
	strcpy(given, tok);
	given[n - 1] ^= 0x80;
	assert_false(hp_http_auth__equal(secret, n, given, n));
	/* trailing NUL bytes are not a way to match the padding */
	memcpy(given, tok, n);
	given[n] = '\0';
	assert_false(hp_http_auth__equal(secret, n, given, n + 1));
	assert_false(hp_http_auth__equal(secret, n, "", 0));
	/* longer than any token: unequal, nothing read past the comparison buffer */
	huge = malloc(HP_HTTP_TOKEN_MAX + 100);
	assert_non_null(huge);
	memset(huge, 'a', HP_HTTP_TOKEN_MAX + 100);
	assert_false(hp_http_auth__equal(secret, n, huge, HP_HTTP_TOKEN_MAX + 100));
	/* the longest token compares like any other */
	memset(secret, 'a', sizeof(secret));
	assert_true(hp_http_auth__equal(secret, HP_HTTP_TOKEN_MAX, huge, HP_HTTP_TOKEN_MAX));
	huge[HP_HTTP_TOKEN_MAX - 1] = 'b';
	assert_false(hp_http_auth__equal(secret, HP_HTTP_TOKEN_MAX, huge, HP_HTTP_TOKEN_MAX));
	free(huge);
}

static void expect_bearer(const char *value, const char *want)
{
	size_t len = 0;
	const char *got = hp_http_auth__bearer(value, &len);

	if (!want) {
		if (got)
			fail_msg("'%s': token '%.*s', want none", value ? value : "(null)",
				 (int)len, got);
		return;
	}
	if (!got || len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("'%s': token '%.*s', want '%s'", value ? value : "(null)",
			 got ? (int)len : 0, got ? got : "", want);
}

static void test_bearer_header(void **state)
{
	(void)state;
	expect_bearer("Bearer abc.def", "abc.def");
	expect_bearer("bearer abc", "abc"); /* the scheme is case-insensitive (RFC 9110 11.1) */
	expect_bearer("BEARER   abc  ", "abc");
	expect_bearer(NULL, NULL);
	expect_bearer("", NULL);
	expect_bearer("Bearer", NULL);
	expect_bearer("Bearer ", NULL);
	expect_bearer("Bearerabc", NULL);
	expect_bearer("Basic dXNlcjpwYXNz", NULL);
	expect_bearer("Token abc", NULL);
}

static void test_auth_check_and_reload(void **state)
{
	struct hp_http_auth_stats st;
	struct hp_http_auth *auth;
	char path[PATH_MAX], err[256];
	double t = 1000;

	(void)state;
	strcpy(path, put("token", "aaaaaaaaaaaaaaaaaaaa\n"));
	auth = hp_http_auth__new(path, err, sizeof(err));
	assert_non_null(auth);
	assert_int_equal(hp_http_auth__check(auth, "Bearer aaaaaaaaaaaaaaaaaaaa", t), HP_AUTH_OK);
	assert_int_equal(hp_http_auth__check(auth, NULL, t), HP_AUTH_MISSING);
	assert_int_equal(hp_http_auth__check(auth, "Basic YWFh", t), HP_AUTH_MISSING);
	assert_int_equal(hp_http_auth__check(auth, "Bearer bbbbbbbbbbbbbbbbbbbb", t),
			 HP_AUTH_INVALID);

	/* rotated in place: not looked at again within the second, taken after it */
	put("token", "bbbbbbbbbbbbbbbbbbbb\n");
	assert_int_equal(hp_http_auth__check(auth, "Bearer bbbbbbbbbbbbbbbbbbbb", t + 0.5),
			 HP_AUTH_INVALID);
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer bbbbbbbbbbbbbbbbbbbb", t), HP_AUTH_OK);
	assert_int_equal(hp_http_auth__check(auth, "Bearer aaaaaaaaaaaaaaaaaaaa", t),
			 HP_AUTH_INVALID);

	/* emptied (a writer caught in the middle): the last good token stays */
	put("token", "");
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer bbbbbbbbbbbbbbbbbbbb", t), HP_AUTH_OK);
	/* then removed: still the last good one */
	assert_int_equal(unlink(path), 0);
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer bbbbbbbbbbbbbbbbbbbb", t), HP_AUTH_OK);
	/* and back with a new one */
	put("token", "aaaaaaaaaaaaaaaaaaaa");
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer aaaaaaaaaaaaaaaaaaaa", t), HP_AUTH_OK);

	hp_http_auth__stats(auth, &st);
	assert_int_equal(st.missing, 2);
	assert_int_equal(st.invalid, 3);
	assert_int_equal(st.reloads, 2);
	assert_int_equal(st.reload_errors, 2);
	hp_http_auth__free(auth);
}

/*
 * A Kubernetes Secret volume: token -> ..data/token, ..data -> ..<timestamp>/, and an update
 * writes a new ..<timestamp>/ directory and renames a new ..data link over the old one.
 */
static void secret_version(const char *version, const char *token)
{
	char path[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, version);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/token", version);
	put(path, token);
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	assert_int_equal(symlink(version, tmp), 0);
	snprintf(link, sizeof(link), "%s/..data", dir);
	assert_int_equal(rename(tmp, link), 0);
}

static void test_auth_kubernetes_secret(void **state)
{
	char path[PATH_MAX], target[PATH_MAX], err[256];
	struct hp_http_auth_stats st;
	struct hp_http_auth *auth;
	double t = 50;

	(void)state;
	secret_version("..2026_01_01_00_00_00.1", "first-token-0123456789\n");
	snprintf(path, sizeof(path), "%s/token", dir);
	assert_int_equal(symlink("..data/token", path), 0);
	auth = hp_http_auth__new(path, err, sizeof(err));
	if (!auth)
		fail_msg("%s", err);
	assert_int_equal(hp_http_auth__check(auth, "Bearer first-token-0123456789", t), HP_AUTH_OK);
	/* same size, same second: only the inode tells the versions apart */
	secret_version("..2026_01_01_00_00_00.2", "other-token-0123456789\n");
	snprintf(target, sizeof(target), "%s/..2026_01_01_00_00_00.1/token", dir);
	assert_int_equal(unlink(target), 0); /* the kubelet removes the old version */
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer other-token-0123456789", t), HP_AUTH_OK);
	assert_int_equal(hp_http_auth__check(auth, "Bearer first-token-0123456789", t),
			 HP_AUTH_INVALID);
	/* nothing changed: no reload */
	t += HP_HTTP_AUTH_RECHECK_S;
	assert_int_equal(hp_http_auth__check(auth, "Bearer other-token-0123456789", t), HP_AUTH_OK);
	hp_http_auth__stats(auth, &st);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.reload_errors, 0);
	hp_http_auth__free(auth);
}

static void test_auth_new_errors(void **state)
{
	char err[256];

	(void)state;
	assert_null(hp_http_auth__new(put("e", "\n"), err, sizeof(err)));
	assert_non_null(strstr(err, "is empty"));
	assert_null(hp_http_auth__new("/nonexistent/x", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x"));
}

/* ---- the ClientHello test of an HTTPS port ---------------------------------------------------- */

static void test_tls_client_hello(void **state)
{
	/* a record header (handshake, TLS 1.0 record version, 6 bytes) and a ClientHello's start */
	const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x00, 0x06, 0x01,
					0x00, 0x00, 0x02, 0x03, 0x03 };
	unsigned char big[HP_HTTP_TLS_RECORD_MAX + 1] = { 0x16, 0x03, 0x03, 0x40, 0x00, 0x01 };
	struct hp_http_head_result res;

	(void)state;
	for (size_t n = 0; n < sizeof(hello); n++)
		if (hp_http_tls__check_hello(hello, n, &res) != HP_HEAD_MORE)
			fail_msg("%zu bytes of a ClientHello: not MORE", n);
	assert_int_equal(hp_http_tls__check_hello(hello, sizeof(hello), &res), HP_HEAD_OK);
	assert_int_equal(res.head_len, sizeof(hello));
	/* the largest record (2^14 bytes) is waited for whole */
	assert_int_equal(hp_http_tls__check_hello(big, HP_HTTP_TLS_RECORD_MAX - 1, &res),
			 HP_HEAD_MORE);
	assert_int_equal(hp_http_tls__check_hello(big, HP_HTTP_TLS_RECORD_MAX, &res), HP_HEAD_OK);

	/* plain HTTP: a 400 that says what to use */
	assert_int_equal(hp_http_tls__check_hello((const unsigned char *)"GET / HTTP/1.1", 3, &res),
			 HP_HEAD_ERROR);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(res.message, "https://"));
	/* not a handshake, not TLS 3.x, an empty or oversized record, not a ClientHello */
	{
		const unsigned char bad[][6] = {
			{ 0x17, 0x03, 0x03, 0x00, 0x01, 0x01 },
			{ 0x16, 0x02, 0x00, 0x00, 0x01, 0x01 },
			{ 0x16, 0x03, 0x05, 0x00, 0x01, 0x01 },
			{ 0x16, 0x03, 0x01, 0x00, 0x00, 0x01 },
			{ 0x16, 0x03, 0x01, 0x40, 0x01, 0x01 },
			{ 0x16, 0x03, 0x01, 0x00, 0x10, 0x02 },
			{ 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00 }, /* SSLv2-style hello */
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (hp_http_tls__check_hello(bad[i], sizeof(bad[i]), &res) != HP_HEAD_ERROR)
				fail_msg("bad record %zu accepted", i);
			assert_int_equal(res.status, 400);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_file_rules, setup_dir, teardown_dir),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_bearer_header),
		cmocka_unit_test_setup_teardown(test_auth_check_and_reload, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_auth_kubernetes_secret, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_auth_new_errors, setup_dir, teardown_dir),
		cmocka_unit_test(test_tls_client_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
