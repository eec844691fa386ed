// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the agent's front door: --listen address parsing and the command line as a whole.
 * A bad value must stop the agent with a usage error, never start it listening somewhere else,
 * nor reachable from other hosts without a token. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/cli.h"
#include "collectors/collector.h"
#include "collectors/cpu/cpu_options.h"
#include "collectors/offcpu/offcpu_options.h"
#include "collectors/syscalls/syscall_options.h"
#include "collectors/tcp/tcp_options.h"
#include "http/http.h"

/* ---- hp_http__parse_listen ------------------------------------------------------------------ */

static int listen_parse(const char *s, struct sockaddr_storage *ss, unsigned int *len)
{
	memset(ss, 0xAA, sizeof(*ss));
	*len = 0;
	return hp_http__parse_listen(s, ss, len);
}

static void expect_ipv4(const char *s, uint32_t host_addr, uint16_t port)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
	unsigned int len;

	if (listen_parse(s, &ss, &len) != 0)
		fail_msg("\"%s\" rejected", s);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in->sin_port), port);
	assert_int_equal(ntohl(in->sin_addr.s_addr), host_addr);
}

static void test_listen_ipv4(void **state)
{
	(void)state;
	expect_ipv4("127.0.0.1:7747", 0x7F000001, 7747);
	expect_ipv4("0.0.0.0:80", 0, 80);
	expect_ipv4("1.2.3.4:1", 0x01020304, 1);
	expect_ipv4("1.2.3.4:65535", 0x01020304, 65535);
}

static void test_listen_all_interfaces(void **state)
{
	struct sockaddr_storage ss;
	unsigned int len;

	(void)state;
	assert_int_equal(listen_parse(":7747", &ss, &len), 0);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		assert_int_equal(len, sizeof(*in));
		assert_int_equal(ntohs(in->sin_port), 7747);
		assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_ANY));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		assert_int_equal(ss.ss_family, AF_INET6);
		assert_int_equal(len, sizeof(*in6));
		assert_int_equal(ntohs(in6->sin6_port), 7747);
		assert_memory_equal(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any));
	}
}

static void test_listen_ipv6(void **state)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	unsigned int len;

	(void)state;
	assert_int_equal(listen_parse("[::1]:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(*in6));
	assert_int_equal(ntohs(in6->sin6_port), 80);
	assert_memory_equal(&in6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback));

	assert_int_equal(listen_parse("[::]:9000", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 9000);
	assert_memory_equal(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any));
}

static void test_listen_hostname(void **state)
{
	struct sockaddr_storage ss;
	unsigned int len;

	(void)state;
	/* resolved from /etc/hosts; either loopback family is fine */
	assert_int_equal(listen_parse("localhost:80", &ss, &len), 0);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		assert_int_equal(ntohs(in->sin_port), 80);
		assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7F000001);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		assert_int_equal(ss.ss_family, AF_INET6);
		assert_int_equal(ntohs(in6->sin6_port), 80);
		assert_memory_equal(&in6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback));
	}
}

static void expect_listen_rejected(const char *s)
{
	struct sockaddr_storage ss;
	unsigned int len;
	int err = listen_parse(s, &ss, &len);

	if (err == 0)
		fail_msg("\"%s\" accepted (family %d, port %u)", s ? s : "(null)", ss.ss_family,
			 ntohs(((const struct sockaddr_in *)&ss)->sin_port));
	assert_true(err < 0);
}

static void test_listen_rejected(void **state)
{
	(void)state;
	expect_listen_rejected("7747");
	expect_listen_rejected("1.2.3.4:");
	expect_listen_rejected("1.2.3.4:99999");
	expect_listen_rejected("1.2.3.4:65536");
	expect_listen_rejected("[::1]80");
	expect_listen_rejected("a:b:c");
	expect_listen_rejected("::1:80"); /* IPv6 needs brackets */
	expect_listen_rejected("");
	expect_listen_rejected(NULL);
	expect_listen_rejected(":");
	expect_listen_rejected("[::1]");
	expect_listen_rejected("[::1");
	expect_listen_rejected("[::1]:");
	expect_listen_rejected("1.2.3.4:-1");
	expect_listen_rejected("1.2.3.4:+80");
	expect_listen_rejected("1.2.3.4:0x50");
	expect_listen_rejected("1.2.3.4:8o");
	expect_listen_rejected("1.2.3.4: 80");
	expect_listen_rejected("1.2.3.4:80 ");
	expect_listen_rejected("1.2.3.4:http");
}

static void test_listen_port_overflow(void **state)
{
	(void)state;
	/* 2^16 + 80 and 2^32 + 80 must not wrap around to port 80 */
	expect_listen_rejected("1.2.3.4:65616");
	expect_listen_rejected("127.0.0.1:4294967376");
	expect_listen_rejected(":4294967376");
	expect_listen_rejected("127.0.0.1:18446744073709551696");
}

/* ---- hp_cli__parse -------------------------------------------------------------------------- */

/*
 * argv is modified by the parser (strtok_r on --collectors), so it lives in writable storage. Each
 * parse gets fresh storage from this pool, as separate processes would; test_cli_reparse_in_place
 * checks reusing one buffer on purpose.
 */
static char arg_pool[1 << 16];
static size_t arg_pool_used;
static char *arg_v[33];

static char *arg_copy(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = &arg_pool[arg_pool_used];

	assert_true(arg_pool_used + n <= sizeof(arg_pool));
	memcpy(p, s, n);
	arg_pool_used += n;
	return p;
}

/* stdout and stderr of one parse, captured so the usage contract can be checked. */
static char out_text[16384], err_text[16384];

static void capture_read(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static enum hp_cli_action parse_argv(struct hp_config *cfg, int argc, char **argv);

static enum hp_cli_action parse_v(struct hp_config *cfg, const char *first, va_list ap)
{
	int argc = 0;

	arg_v[argc++] = arg_copy("hostprof");
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < 32);
		arg_v[argc++] = arg_copy(a);
	}
	arg_v[argc] = NULL;
	return parse_argv(cfg, argc, arg_v);
}

static enum hp_cli_action parse_argv(struct hp_config *cfg, int argc, char **argv)
{
	FILE *out = tmpfile(), *err = tmpfile(), *real_out = stdout, *real_err = stderr;
	enum hp_cli_action act;

	assert_non_null(out);
	assert_non_null(err);
	/*
	 * Swap the stdio streams rather than the file descriptors, so a sanitizer report (written
	 * to fd 2 directly) still reaches the terminal if the parser crashes.
	 */
	fflush(stdout);
	fflush(stderr);
	stdout = out;
	stderr = err;
	act = hp_cli__parse(argc, argv, cfg);
	stdout = real_out;
	stderr = real_err;
	capture_read(out, out_text, sizeof(out_text));
	capture_read(err, err_text, sizeof(err_text));
	return act;
}

/* parse(cfg, "serve", "--pid", "1", NULL): runs "hostprof serve --pid 1". */
static enum hp_cli_action parse(struct hp_config *cfg, const char *first, ...)
{
	enum hp_cli_action act;
	va_list ap;

	va_start(ap, first);
	act = parse_v(cfg, first, ap);
	va_end(ap);
	return act;
}

static void expect_usage(const char *first, ...)
{
	struct hp_config cfg;
	enum hp_cli_action act;
	va_list ap;

	va_start(ap, first);
	act = parse_v(&cfg, first, ap);
	va_end(ap);
	if (act != HP_CLI_USAGE)
		fail_msg("\"hostprof %s ...\": action %d, expected usage error", first ? first : "",
			 act);
	/* the reason, then the usage text, both on stderr; nothing on stdout */
	assert_non_null(strstr(err_text, "hostprof: "));
	assert_non_null(strstr(err_text, "Usage: hostprof"));
	assert_string_equal(out_text, "");
}

static int setup_env(void **state)
{
	(void)state;
	return unsetenv("HOSTPROF_ATTACH");
}

static void test_cli_defaults(void **state)
{
	struct hp_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, "serve", NULL), HP_CLI_SERVE);
	assert_string_equal(cfg.listen, "127.0.0.1:7747");
	/* tcp is on by default unless its ops say opt_in (the benchmark decides) */
	assert_int_equal(cfg.ncollectors, 3 + !hp_collector_tcp.opt_in);
	assert_string_equal(cfg.collectors[0], "syscalls");
	assert_string_equal(cfg.collectors[1], "cpu");
	assert_string_equal(cfg.collectors[2], "offcpu"); /* on by default */
	if (!hp_collector_tcp.opt_in)
		assert_string_equal(cfg.collectors[3], "tcp");
	assert_true(hp_offcpu_config(&cfg)->min_seconds == 1e-6);
	assert_true(hp_offcpu_config(&cfg)->max_seconds == 0);
	assert_string_equal(hp_offcpu_config(&cfg)->max_mode, "clamp");
	assert_true(hp_offcpu_config(&cfg)->period_seconds == 0.01);
	assert_true(hp_offcpu_config(&cfg)->wakers);
	assert_string_equal(hp_offcpu_config(&cfg)->stacks, "both");
	assert_int_equal(hp_offcpu_config(&cfg)->top_k, 20);
	assert_null(cfg.state_name);
	assert_false(cfg.waker);
	assert_int_equal(hp_cpu_config(&cfg)->frequency, 99);
	assert_true(hp_cpu_config(&cfg)->kernel_stacks && hp_cpu_config(&cfg)->user_stacks);
	assert_true(cfg.retention_seconds == 600);
	assert_int_equal(cfg.pid, 0);
	assert_null(cfg.cgroup_path);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 0);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_map_entries, 16384);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_AUTO);
	assert_null(cfg.btf_path);
	assert_true(cfg.tick_seconds == 1.0);
	assert_int_equal(cfg.symbol_cache_mb, 256);
	assert_int_equal(cfg.perf_map_max_mb, 0); /* a quarter of the cache */
	assert_false(cfg.verbose);
	assert_string_equal(out_text, "");
	assert_string_equal(err_text, "");
	assert_int_equal(
	    parse(&cfg, "serve", "--symbol-cache-mb", "64", "--perf-map-max-mb", "8", NULL),
	    HP_CLI_SERVE);
	assert_int_equal(cfg.symbol_cache_mb, 64);
	assert_int_equal(cfg.perf_map_max_mb, 8);
	/* the shared symbolizer serves record too */
	assert_int_equal(parse(&cfg, "record", "-o", "x", "--symbol-cache-mb", "32", NULL),
			 HP_CLI_RECORD);
	assert_int_equal(cfg.symbol_cache_mb, 32);
}

/* Mount point of a cgroup v2 hierarchy (--cgroup accepts only those); skips when none. */
static const char *cgroup2_mount(void)
{
	static char path[256];
	struct mntent *m;
	FILE *f = setmntent("/proc/self/mounts", "r");

	path[0] = '\0';
	while (f && (m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(path, sizeof(path), "%s", m->mnt_dir);
			break;
		}
	}
	if (f)
		endmntent(f);
	return path[0] ? path : NULL;
}

static void test_cli_full_serve_line(void **state)
{
	const char *cg = cgroup2_mount();
	struct hp_config cfg;

	(void)state;
	if (!cg)
		skip();
	assert_int_equal(parse(&cfg, "-v", "serve", "--listen", "[::1]:9000", "--collectors",
			       "syscalls", "--pid", "4242", "--cgroup", cg, "--comm-top", "20",
			       "--comm-map-size", "4096", "--attach", "raw_tp", "--btf",
			       "/tmp/vmlinux.btf", NULL),
			 HP_CLI_SERVE);
	assert_true(cfg.verbose);
	assert_string_equal(cfg.listen, "[::1]:9000");
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.collectors[0], "syscalls");
	assert_int_equal(cfg.pid, 4242);
	assert_string_equal(cfg.cgroup_path, cg);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 20);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_map_entries, 4096);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_RAW_TP);
	assert_string_equal(cfg.btf_path, "/tmp/vmlinux.btf");
	/* not cgroup v2, or missing: bad usage */
	assert_int_equal(parse(&cfg, "serve", "--cgroup", "/tmp", NULL), HP_CLI_USAGE);
	assert_int_equal(parse(&cfg, "serve", "--cgroup", "/nonexistent/cg", NULL), HP_CLI_USAGE);

	/* "--flag=value" spelling, flags before and after each other */
	assert_int_equal(parse(&cfg, "serve", "--attach=tp_btf", "--verbose", "--listen=:8080",
			       "--insecure-listen", "--pid=1", "--comm-top=0", NULL),
			 HP_CLI_SERVE);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_TP_BTF);
	assert_true(cfg.verbose);
	assert_string_equal(cfg.listen, ":8080");
	assert_int_equal(cfg.pid, 1);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 0);

	/* range ends */
	assert_int_equal(parse(&cfg, "serve", "--pid", "4194304", "--comm-top", "1000",
			       "--comm-map-size", "64", "--attach", "auto", NULL),
			 HP_CLI_SERVE);
	assert_int_equal(cfg.pid, 4194304);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 1000);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_map_entries, 64);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_AUTO);
	assert_int_equal(parse(&cfg, "serve", "--comm-map-size", "1048576", NULL), HP_CLI_SERVE);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_map_entries, 1048576);
}

/* ---- exposure: --listen reachable from other hosts, tokens, TLS ---------------------------- */

static void test_listen_loopback(void **state)
{
	static const struct {
		const char *listen;
		bool loopback;
	} cases[] = {
		{ "127.0.0.1:7747", true },
		{ "127.255.0.9:1", true },
		{ "[::1]:7747", true },
		{ "localhost:7747", true },
		{ "[::ffff:127.0.0.1]:1", true },
		{ ":7747", false },
		{ "0.0.0.0:7747", false },
		{ "[::]:7747", false },
		{ "10.1.2.3:7747", false },
		{ "128.0.0.1:1", false },
		{ "126.255.255.255:1", false },
		{ "[fe80::1]:7747", false },
		{ "[::2]:1", false },
		{ "[::ffff:10.0.0.1]:1", false },
		{ "192.168.1.1:80", false },
		{ "bogus", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (hp_http__listen_is_loopback(cases[i].listen) != cases[i].loopback)
			fail_msg("%s: loopback %d, want %d", cases[i].listen, !cases[i].loopback,
				 cases[i].loopback);
}

/* A start-up refusal of serve: a usage error (exit 2) in exactly one line that names want. */
static void expect_refused(const char *want, const char *first, ...)
{
	struct hp_config cfg;
	enum hp_cli_action act;
	va_list ap;

	va_start(ap, first);
	act = parse_v(&cfg, first, ap);
	va_end(ap);
	if (act != HP_CLI_USAGE || !strstr(err_text, want) ||
	    strchr(err_text, '\n') != err_text + strlen(err_text) - 1)
		fail_msg("action %d, stderr %s; want one line naming %s", act, err_text, want);
	assert_string_equal(out_text, "");
}

static const char *temp_file(char *path, const char *content)
{
	int fd;

	strcpy(path, "/tmp/hostprof-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_cli_exposure(void **state)
{
	char good[64], empty[64];
	struct hp_config cfg;

	(void)state;
	temp_file(good, "0123456789abcdef0123\n");
	temp_file(empty, "\n \n");
	expect_refused("--auth-token-file FILE", "serve", "--listen", ":8080", NULL);
	expect_refused("--insecure-listen", "serve", "--listen", "0.0.0.0:8080", NULL);
	expect_refused("--auth-token-file FILE", "serve", "--listen", "[::]:8080", NULL);
	expect_refused("--auth-token-file FILE", "serve", "--listen", "10.9.8.7:8080", NULL);
	/* either way out is accepted; loopback needs neither */
	assert_int_equal(parse(&cfg, "serve", "--listen", ":8080", "--insecure-listen", NULL),
			 HP_CLI_SERVE);
	assert_int_equal(
	    parse(&cfg, "serve", "--listen", "0.0.0.0:8080", "--auth-token-file", good, NULL),
	    HP_CLI_SERVE);
	assert_string_equal(cfg.auth_token_file, good);
	assert_int_equal(parse(&cfg, "serve", "--listen", "127.0.0.2:8080", NULL), HP_CLI_SERVE);
	assert_int_equal(parse(&cfg, "serve", "--listen", "[::1]:8080", NULL), HP_CLI_SERVE);
	/* a token file that cannot serve is refused at once, not after the BPF programs load */
	expect_refused("is empty", "serve", "--auth-token-file", empty, NULL);
	expect_refused("No such file", "serve", "--auth-token-file", "/nonexistent/token", NULL);
	/* TLS takes both files */
	expect_refused("--tls-cert needs --tls-key", "serve", "--tls-cert", good, NULL);
	expect_refused("--tls-key needs --tls-cert", "serve", "--tls-key", good, NULL);
	expect_refused("--tls-cert /nonexistent/c", "serve", "--tls-cert", "/nonexistent/c",
		       "--tls-key", good, NULL);
	/* not PEM: GnuTLS's reason */
	expect_refused("--tls-cert", "serve", "--tls-cert", good, "--tls-key", good, NULL);
	/* the bounds of the work options */
	assert_int_equal(
	    parse(&cfg, "serve", "--http-max-profiles", "2", "--max-profile-seconds", "90s", NULL),
	    HP_CLI_SERVE);
	assert_int_equal(cfg.http_max_profiles, 2);
	assert_true(cfg.max_profile_seconds == 90);
	assert_int_equal(parse(&cfg, "serve", NULL), HP_CLI_SERVE);
	assert_int_equal(cfg.http_max_profiles, 16);
	assert_true(cfg.max_profile_seconds == 300);
	expect_usage("serve", "--http-max-profiles", "0", NULL);
	expect_usage("serve", "--http-max-profiles", "33", NULL);
	expect_usage("serve", "--max-profile-seconds", "2h", NULL);
	unlink(good);
	unlink(empty);
}

static void test_cli_usage_errors(void **state)
{
	(void)state;
	expect_usage(NULL);				 /* no command */
	expect_usage("frobnicate", NULL);		 /* unknown command */
	expect_usage("serve", "extra", NULL);		 /* stray argument */
	expect_usage("serve", "serve", NULL);		 /* command twice */
	expect_usage("serve", "--bogus", NULL);		 /* unknown long flag */
	expect_usage("serve", "-x", NULL);		 /* unknown short flag */
	expect_usage("--bogus", "serve", NULL);		 /* unknown global flag */
	expect_usage("serve", "--pid", NULL);		 /* missing value */
	expect_usage("serve", "--listen", NULL);	 /* missing value */
	expect_usage("serve", "--pid", "0", NULL);	 /* not a process */
	expect_usage("serve", "--pid", "-5", NULL);	 /* negative */
	expect_usage("serve", "--pid", "4194305", NULL); /* past PID_MAX_LIMIT */
	expect_usage("serve", "--pid", "12abc", NULL);
	expect_usage("serve", "--attach", "bogus", NULL);
	expect_usage("serve", "--attach", "", NULL);
	expect_usage("serve", "--listen", "7747", NULL);
	expect_usage("serve", "--listen", "1.2.3.4:99999", NULL);
	expect_usage("serve", "--comm-top", "1001", NULL);
	expect_usage("serve", "--comm-top", "-1", NULL);
	expect_usage("serve", "--comm-map-size", "63", NULL);
	expect_usage("serve", "--symbol-cache-mb", "15", NULL);
	expect_usage("serve", "--symbol-cache-mb", "1e3", NULL);
	expect_usage("serve", "--perf-map-max-mb", "0", NULL);
	expect_usage("serve", "--comm-map-size", "1048577", NULL);
	expect_usage("serve", "--collectors", "nosuch", NULL);
	expect_usage("serve", "--collectors", "syscalls,syscalls", NULL);
	expect_usage("serve", "--collectors", ",", NULL);
	expect_usage("serve", "--collectors", "", NULL);
	expect_usage("serve", "--verbose=yes", NULL); /* flag takes no value */
}

static void test_cli_help_and_version(void **state)
{
	struct hp_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, "--help", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "Usage: hostprof"));
	assert_non_null(strstr(out_text, "syscalls")); /* the collector list */
	assert_string_equal(err_text, "");
	assert_int_equal(parse(&cfg, "-h", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "Usage: hostprof"));
	assert_int_equal(parse(&cfg, "serve", "--help", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "Usage: hostprof"));
	assert_int_equal(parse(&cfg, "help", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "Usage: hostprof"));
	/* --help wins even after a flag with an error-free value */
	assert_int_equal(parse(&cfg, "serve", "--pid", "5", "--help", NULL), HP_CLI_DONE);
	assert_int_equal(parse(&cfg, "--version", NULL), HP_CLI_DONE);
	assert_true(strncmp(out_text, "hostprof ", 9) == 0);
	assert_string_equal(err_text, "");
}

static void test_cli_attach_env(void **state)
{
	struct hp_config cfg;

	(void)state;
	assert_int_equal(setenv("HOSTPROF_ATTACH", "raw_tp", 1), 0);
	assert_int_equal(parse(&cfg, "serve", NULL), HP_CLI_SERVE);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_RAW_TP);
	/* the flag overrides the environment */
	assert_int_equal(parse(&cfg, "serve", "--attach", "tp_btf", NULL), HP_CLI_SERVE);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_TP_BTF);
	assert_int_equal(setenv("HOSTPROF_ATTACH", "bogus", 1), 0);
	expect_usage("serve", NULL);
	assert_int_equal(setenv("HOSTPROF_ATTACH", "", 1), 0);
	assert_int_equal(parse(&cfg, "serve", NULL), HP_CLI_SERVE);
	assert_int_equal(cfg.attach_mode, HP_ATTACH_AUTO);
	assert_int_equal(unsetenv("HOSTPROF_ATTACH"), 0);
}

static void test_cli_reparse(void **state)
{
	struct hp_config cfg;

	(void)state;
	/* a failed parse, stopped in the middle of argv, must not leak state into the next one */
	expect_usage("serve", "--pid", "7", "--bogus", "--comm-top", "3", NULL);
	expect_usage("-vx", "serve", NULL);
	assert_int_equal(parse(&cfg, "serve", "--comm-top", "3", NULL), HP_CLI_SERVE);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 3);
	assert_int_equal(cfg.pid, 0);
	assert_false(cfg.verbose);
	assert_int_equal(parse(&cfg, "serve", NULL), HP_CLI_SERVE);
	assert_int_equal(hp_syscalls_config(&cfg)->comm_top, 0);
}

/*
 * The same argv storage parsed twice, as a caller reusing one buffer (or a test) would: the
 * second parse must see only the new arguments, not a position left over from the first.
 */
static void test_cli_reparse_in_place(void **state)
{
	static char buf[3][16];
	char *argv[4] = { buf[0], buf[1], buf[2], NULL };
	struct hp_config cfg;

	(void)state;
	strcpy(buf[0], "hostprof");
	strcpy(buf[1], "-h");
	assert_int_equal(parse_argv(&cfg, 2, argv), HP_CLI_DONE);
	strcpy(buf[1], "serve");
	if (parse_argv(&cfg, 2, argv) != HP_CLI_SERVE)
		fail_msg("\"hostprof serve\" after \"hostprof -h\" in the same buffer: %.*s",
			 (int)strcspn(err_text, "\n"), err_text);

	strcpy(buf[1], "-vx");
	assert_int_equal(parse_argv(&cfg, 2, argv), HP_CLI_USAGE);
	strcpy(buf[1], "serve");
	strcpy(buf[2], "-v");
	if (parse_argv(&cfg, 3, argv) != HP_CLI_SERVE)
		fail_msg("\"hostprof serve -v\" after \"hostprof -vx\" in the same buffer: %.*s",
			 (int)strcspn(err_text, "\n"), err_text);
	assert_true(cfg.verbose);
}

/* --help is built from every registered collector's own table: each option of each appears. */
static void test_cli_help_lists_collector_options(void **state)
{
	struct hp_config cfg;
	char want[128];

	(void)state;
	assert_int_equal(parse(&cfg, "--help", NULL), HP_CLI_DONE);
	for (int i = 0; hp_collectors_all[i]; i++) {
		const struct hp_collector_ops *ops = hp_collectors_all[i];

		snprintf(want, sizeof(want), "\n%s collector options:\n", ops->name);
		if (ops->options && !strstr(out_text, want))
			fail_msg("--help lacks \"%s\"", want);
		for (const struct hp_option *o = ops->options; o && o->name; o++) {
			snprintf(want, sizeof(want), "--%s%s%s ", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
			if (!strstr(out_text, want))
				fail_msg("--help lacks %s of collector %s", want, ops->name);
		}
	}
	/* per subcommand: record runs only cpu, so only cpu's options (and not serve's) */
	assert_int_equal(parse(&cfg, "record", "--help", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "Usage: hostprof record"));
	assert_non_null(strstr(out_text, "--frequency HZ"));
	assert_non_null(strstr(out_text, "--output FILE"));
	assert_null(strstr(out_text, "--comm-top"));
	assert_null(strstr(out_text, "--retention"));
	assert_null(strstr(out_text, "--listen"));
	assert_int_equal(parse(&cfg, "serve", "--help", NULL), HP_CLI_DONE);
	assert_non_null(strstr(out_text, "--comm-top K"));
	assert_non_null(strstr(out_text, "--retention D"));
	assert_null(strstr(out_text, "--output"));
}

/* The off-CPU collector's options: durations where 0 means none, words, the wakers pair, and
 * record's --state and --waker; bad values name what is wanted. */
static void test_cli_offcpu_options(void **state)
{
	struct hp_config cfg;
	const struct hp_offcpu_config *oc;

	(void)state;
	assert_int_equal(parse(&cfg, "serve", "--offcpu-min", "50us", "--offcpu-max", "10s",
			       "--offcpu-max-mode", "drop", "--offcpu-period", "0",
			       "--no-offcpu-wakers", "--offcpu-stacks", "user", "--runqueue-top-k",
			       "0", NULL),
			 HP_CLI_SERVE);
	oc = hp_offcpu_config(&cfg);
	assert_true(oc->min_seconds > 49e-6 && oc->min_seconds < 51e-6);
	assert_true(oc->max_seconds == 10);
	assert_string_equal(oc->max_mode, "drop");
	assert_true(oc->period_seconds == 0);
	assert_false(oc->wakers);
	assert_false(hp_offcpu_config__kernel_stacks(oc));
	assert_true(hp_offcpu_config__user_stacks(oc));
	assert_int_equal(oc->top_k, 0);
	assert_int_equal(
	    parse(&cfg, "serve", "--offcpu-stacks", "kernel", "--offcpu-min", "0", NULL),
	    HP_CLI_SERVE);
	oc = hp_offcpu_config(&cfg);
	assert_true(hp_offcpu_config__kernel_stacks(oc));
	assert_false(hp_offcpu_config__user_stacks(oc));
	assert_true(oc->min_seconds == 0);
	expect_usage("serve", "--offcpu-stacks", "all", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --offcpu-stacks 'all' (want kernel, "
					 "user or both)\n"));
	expect_usage("serve", "--offcpu-max-mode", "cut", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: invalid --offcpu-max-mode 'cut' (want clamp or drop)\n"));
	expect_usage("serve", "--offcpu-period", "5s", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --offcpu-period '5s'"));
	expect_usage("serve", "--offcpu-min", "-1us", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --offcpu-min '-1us'"));
	/* record: --profile offcpu runs the offcpu collector; --state and --waker */
	assert_int_equal(parse(&cfg, "record", "-o", "x", "--profile", "offcpu", "--state",
			       "runnable", "--waker", NULL),
			 HP_CLI_RECORD);
	assert_string_equal(cfg.collectors[0], "offcpu");
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.state_name, "runnable");
	assert_true(cfg.waker);
	expect_usage("record", "-o", "x", "--state", "asleep", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --state 'asleep' (want blocked, "
					 "runnable or all)\n"));
}

/* Collector options: bounds and messages as declared, unknown spellings refused. */
static void test_cli_collector_options(void **state)
{
	struct hp_config cfg;

	(void)state;
	expect_usage("serve", "--comm-topp", "3", NULL);
	assert_non_null(strstr(err_text, "hostprof: unknown option '--comm-topp'\n"));
	expect_usage("serve", "--comm-top", "1001", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --comm-top '1001' (want 0..1000)\n"));
	expect_usage("serve", "--max-stacks", "255", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: invalid --max-stacks '255' (want 256..1048576)\n"));
	expect_usage("serve", "--retention", "9s", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --retention '9s' (want 10s..24h)\n"));
	expect_usage("serve", "--kernel-only", "--user-only", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: --kernel-only and --user-only exclude each other\n"));
	expect_usage("record", "-o", "x", "--retention", "1m", NULL);
	/* every serve option in table order; the list grows with each one added */
	assert_non_null(strstr(err_text, "hostprof: --retention, --listen, --insecure-listen, "));
	assert_non_null(strstr(err_text, " and --collectors belong to 'hostprof serve'\n"));
	/* --require names collectors that run: one left out by --collectors could never start */
	expect_usage("serve", "--collectors", "syscalls", "--require", "cpu", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: --require cpu: that collector is not in --collectors\n"));
	expect_usage("serve", "-d", "5s", NULL);
	assert_non_null(strstr(err_text, "hostprof: --duration, --output, --format, --group-by, "
					 "--profile, --state and --waker belong to 'hostprof "
					 "record'\n"));
	/* record --profile KIND: a kind some collector produces, which picks the collector */
	expect_usage("record", "-o", "x", "--profile", "nosuch", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: unknown --profile 'nosuch' (kinds: cpu, offcpu)\n"));
	assert_non_null(strstr(err_text, "Usage: hostprof record"));
	assert_int_equal(parse(&cfg, "record", "-o", "x", "--profile", "cpu", NULL), HP_CLI_RECORD);
	assert_string_equal(cfg.profile_kind, "cpu");
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.collectors[0], "cpu");
	assert_int_equal(parse(&cfg, "record", "-o", "x", NULL), HP_CLI_RECORD);
	assert_string_equal(cfg.profile_kind, "cpu"); /* the default */
	assert_int_equal(parse(&cfg, "serve", "--max-stacks", "256", "--retention", "24h",
			       "--kernel-only", "-F", "1", NULL),
			 HP_CLI_SERVE);
	assert_int_equal(hp_cpu_config(&cfg)->cpu_map_entries, 256);
	assert_true(cfg.retention_seconds == 86400);
	assert_true(hp_cpu_config(&cfg)->kernel_stacks && !hp_cpu_config(&cfg)->user_stacks);
	assert_int_equal(hp_cpu_config(&cfg)->frequency, 1);
	/* record keeps only the collectors it runs */
	assert_int_equal(parse(&cfg, "record", "-o", "-", "--user-only", NULL), HP_CLI_RECORD);
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.collectors[0], "cpu");
	assert_true(!hp_cpu_config(&cfg)->kernel_stacks && hp_cpu_config(&cfg)->user_stacks);
}

/* The TCP collector's options: defaults as documented, every value read, bad values a usage
 * error naming what is wanted. */
static void test_cli_tcp_options(void **state)
{
	struct hp_config cfg;
	const struct hp_tcp_options *o;

	(void)state;
	assert_int_equal(parse(&cfg, "serve", "--collectors", "tcp", NULL), HP_CLI_SERVE);
	o = hp_tcp_options_of(&cfg);
	assert_true(o->rtt_interval_seconds == 0.1);
	assert_int_equal(o->top_peers, 20);
	assert_int_equal(o->top_ports, 50);
	assert_false(o->by_cgroup);
	assert_string_equal(o->loopback, "include");
	assert_false(hp_tcp_options__skip_loopback(o));
	assert_int_equal(o->max_flows, 4096);
	assert_int_equal(cfg.ncollectors, 1);
	assert_string_equal(cfg.collectors[0], "tcp");

	assert_int_equal(parse(&cfg, "serve", "--tcp-rtt-interval", "250ms", "--tcp-top-peers", "0",
			       "--tcp-top-ports", "1000", "--tcp-by-cgroup", "--tcp-loopback",
			       "exclude", "--tcp-max-flows", "256", NULL),
			 HP_CLI_SERVE);
	o = hp_tcp_options_of(&cfg);
	assert_true(o->rtt_interval_seconds > 0.2499 && o->rtt_interval_seconds < 0.2501);
	assert_int_equal(o->top_peers, 0);
	assert_int_equal(o->top_ports, 1000);
	assert_true(o->by_cgroup);
	assert_string_equal(o->loopback, "exclude");
	assert_true(hp_tcp_options__skip_loopback(o));
	assert_int_equal(o->max_flows, 256);
	/* 0 turns RTT off (tcp_probe not loaded); the largest values are taken */
	assert_int_equal(parse(&cfg, "serve", "--tcp-rtt-interval", "0", "--tcp-max-flows",
			       "1048576", "--tcp-loopback", "include", NULL),
			 HP_CLI_SERVE);
	o = hp_tcp_options_of(&cfg);
	assert_true(o->rtt_interval_seconds == 0);
	assert_int_equal(o->max_flows, 1048576);
	assert_false(hp_tcp_options__skip_loopback(o));

	expect_usage("serve", "--tcp-rtt-interval", "-1ms", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --tcp-rtt-interval '-1ms' (want "
					 "0..1h, e.g. 100ms)\n"));
	expect_usage("serve", "--tcp-rtt-interval", "2h", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --tcp-rtt-interval '2h'"));
	expect_usage("serve", "--tcp-rtt-interval", "fast", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --tcp-rtt-interval 'fast'"));
	expect_usage("serve", "--tcp-top-peers", "1001", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: invalid --tcp-top-peers '1001' (want 0..1000)\n"));
	expect_usage("serve", "--tcp-top-ports", "-1", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: invalid --tcp-top-ports '-1' (want 0..1000)\n"));
	expect_usage("serve", "--tcp-loopback", "maybe", NULL);
	assert_non_null(strstr(err_text, "hostprof: invalid --tcp-loopback 'maybe' (want include "
					 "or exclude)\n"));
	expect_usage("serve", "--tcp-loopback", "", NULL);
	expect_usage("serve", "--tcp-max-flows", "255", NULL);
	assert_non_null(
	    strstr(err_text, "hostprof: invalid --tcp-max-flows '255' (want 256..1048576)\n"));
	expect_usage("serve", "--tcp-max-flows", "1048577", NULL);
	expect_usage("serve", "--tcp-by-cgroup=yes", NULL);
	/* the usage lists them under the collector */
	assert_non_null(strstr(err_text, "tcp collector options:"));
	assert_non_null(strstr(err_text, "--tcp-rtt-interval D"));
	assert_non_null(strstr(err_text, "--tcp-max-flows N"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_ipv4),
		cmocka_unit_test(test_listen_all_interfaces),
		cmocka_unit_test(test_listen_ipv6),
		cmocka_unit_test(test_listen_hostname),
		cmocka_unit_test(test_listen_rejected),
		cmocka_unit_test(test_listen_port_overflow),
		cmocka_unit_test(test_listen_loopback),
		cmocka_unit_test_setup(test_cli_exposure, setup_env),
		cmocka_unit_test_setup(test_cli_defaults, setup_env),
		cmocka_unit_test_setup(test_cli_full_serve_line, setup_env),
		cmocka_unit_test_setup(test_cli_usage_errors, setup_env),
		cmocka_unit_test_setup(test_cli_help_and_version, setup_env),
		cmocka_unit_test_setup(test_cli_attach_env, setup_env),
		cmocka_unit_test_setup(test_cli_reparse, setup_env),
		cmocka_unit_test_setup(test_cli_reparse_in_place, setup_env),
		cmocka_unit_test_setup(test_cli_help_lists_collector_options, setup_env),
		cmocka_unit_test_setup(test_cli_collector_options, setup_env),
		cmocka_unit_test_setup(test_cli_offcpu_options, setup_env),
		cmocka_unit_test_setup(test_cli_tcp_options, setup_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
