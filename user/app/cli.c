// SPDX-License-Identifier: GPL-2.0-only
/* Parses "hostprof [--help|--version] serve|record [flags]" into an hp_config (see cli.h). The
 * option table is the CLI's own options plus every registered collector's (ops->options); every
 * value is validated here, so the agent never starts with a configuration it would reject later. */
#include "cli.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/option.h"
#include "base/version.h"
#include "collectors/collector.h"
#include "http/http.h"
#include "http/http_auth.h"
#include "http/http_tls.h"
#include "profile/profile.h"
#include "stores/profile_view.h"

static int cli__parse_listen(const struct hp_option *o, const char *arg, void *base)
{
	struct sockaddr_storage ss;
	unsigned int len;

	(void)o;
	if (hp_http__parse_listen(arg, &ss, &len))
		return HP_OPT_INVALID;
	((struct hp_config *)base)->listen = arg;
	return HP_OPT_OK;
}

/* Comma-separated names of registered collectors, each once; reasons go to stderr. */
static int cli__parse_collectors(const struct hp_option *o, const char *arg, void *base)
{
	struct hp_config *cfg = base;
	char *save = NULL, *list = (char *)arg; /* argv storage, as getopt hands it out */

	(void)o;
	cfg->ncollectors = 0;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (!hp_collectors__find(name)) {
			fprintf(stderr, "hostprof: unknown collector '%s'\n", name);
			return HP_OPT_INVALID;
		}
		for (int i = 0; i < cfg->ncollectors; i++) {
			if (strcmp(cfg->collectors[i], name) == 0) {
				fprintf(stderr, "hostprof: collector '%s' given twice\n", name);
				return HP_OPT_INVALID;
			}
		}
		if (cfg->ncollectors == HP_MAX_COLLECTORS)
			return HP_OPT_INVALID;
		cfg->collectors[cfg->ncollectors++] = name;
	}
	if (cfg->ncollectors == 0) {
		fprintf(stderr, "hostprof: --collectors needs at least one name\n");
		return HP_OPT_INVALID;
	}
	return HP_OPT_OK;
}

static int cli__attach_mode(const char *s, enum hp_attach_mode *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = HP_ATTACH_AUTO;
	else if (strcmp(s, "tp_btf") == 0)
		*mode = HP_ATTACH_TP_BTF;
	else if (strcmp(s, "raw_tp") == 0)
		*mode = HP_ATTACH_RAW_TP;
	else
		return -1;
	return 0;
}

static int cli__parse_attach(const struct hp_option *o, const char *arg, void *base)
{
	(void)o;
	return cli__attach_mode(arg, &((struct hp_config *)base)->attach_mode) ? HP_OPT_INVALID
									       : HP_OPT_OK;
}

/* --cgroup must name a cgroup v2 directory: the kernel filter only understands those. */
static int cli__parse_cgroup(const struct hp_option *o, const char *arg, void *base)
{
	struct statfs fs;
	int fd, err = HP_OPT_OK;

	(void)o;
	fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hostprof: --cgroup %s: %s\n", arg, strerror(errno));
		return HP_OPT_REPORTED;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr,
			"hostprof: --cgroup %s is not a cgroup v2 directory (cgroup v2 is "
			"usually mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified)\n",
			arg);
		err = HP_OPT_REPORTED;
	}
	close(fd);
	if (!err)
		((struct hp_config *)base)->cgroup_path = arg;
	return err;
}

/* --require: comma-separated names of registered collectors whose failure to start is fatal. */
static int cli__parse_require(const struct hp_option *o, const char *arg, void *base)
{
	struct hp_config *cfg = base;
	char *save = NULL, *list = (char *)arg; /* argv storage, as getopt hands it out */

	(void)o;
	cfg->nrequired = 0;
	if (!arg[0]) {
		fprintf(stderr, "hostprof: --require needs at least one collector name\n");
		return HP_OPT_REPORTED;
	}
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (!hp_collectors__find(name)) {
			fprintf(stderr, "hostprof: --require: unknown collector '%s'\n", name);
			return HP_OPT_REPORTED;
		}
		for (int i = 0; i < cfg->nrequired; i++)
			if (strcmp(cfg->required[i], name) == 0)
				goto next;
		if (cfg->nrequired == HP_MAX_COLLECTORS)
			return HP_OPT_INVALID;
		cfg->required[cfg->nrequired++] = name;
	next:;
	}
	return HP_OPT_OK;
}

_Static_assert(sizeof(pid_t) == sizeof(unsigned int), "--pid is stored as HP_OPT_UINT");

static void cli__usage(FILE *out, unsigned int cmd);

/* The first part of view that no compiled-in collector produces, or NULL. */
static const char *cli__view_missing(const struct hp_profile_view *view)
{
	for (size_t i = 0; i < view->nparts; i++)
		if (!hp_collectors__find_profile(view->parts[i].kind))
			return view->parts[i].kind;
	return NULL;
}

/* "hostprof: or a view: wall\n" naming the views whose every part a collector produces, or "". */
static const char *cli__views(char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; hp_profile_views_all[i] && n < size; i++) {
		const struct hp_profile_view *view = hp_profile_views_all[i];
		int w;

		if (cli__view_missing(view))
			continue;
		w = snprintf(out + n, size - n, "%s%s",
			     n ? ", " : "hostprof: or a view: ", view->kind->name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n && n + 1 < size) {
		out[n] = '\n';
		out[n + 1] = '\0';
	}
	return out;
}

/* --profile: a kind some collector produces (ops->profiles), or a view (stores/profile_view.h)
 * whose parts they produce; the error names the kinds. */
static int cli__parse_profile(const struct hp_option *o, const char *arg, void *base)
{
	const struct hp_profile_view *view = hp_profile_views__find(arg);
	char kinds[128], views[64];

	(void)o;
	if (view && cli__view_missing(view)) {
		fprintf(stderr,
			"hostprof: --profile %s needs profile kind %s, which no collector "
			"produces\n\n",
			arg, cli__view_missing(view));
		cli__usage(stderr, HP_CMD_RECORD);
		return HP_OPT_REPORTED;
	}
	if (!view && !hp_collectors__find_profile(arg)) {
		fprintf(stderr, "hostprof: unknown --profile '%s' (kinds: %s)\n%s\n", arg,
			hp_collectors__profiles(kinds, sizeof(kinds)),
			cli__views(views, sizeof(views)));
		cli__usage(stderr, HP_CMD_RECORD);
		return HP_OPT_REPORTED;
	}
	((struct hp_config *)base)->profile_kind = arg;
	return HP_OPT_OK;
}

/* --state: one of the names hp_state_filter__parse knows. */
static int cli__parse_state(const struct hp_option *o, const char *arg, void *base)
{
	(void)o;
	if (hp_state_filter__parse(arg) < 0)
		return HP_OPT_INVALID;
	((struct hp_config *)base)->state_name = arg;
	return HP_OPT_OK;
}

enum { CLI_HELP, CLI_VERSION }; /* the ACTION options, first in cli_options */

/* The CLI's own options; collectors add theirs (ops->options). Values go into struct hp_config. */
static const struct hp_option cli_options[] = {
	[CLI_HELP] = { .name = "help",
		       .short_name = 'h',
		       .kind = HP_OPT_ACTION,
		       .help = "print this text and exit" },
	[CLI_VERSION] = { .name = "version",
			  .kind = HP_OPT_ACTION,
			  .help = "print the version and exit" },
	{ .name = "pid",
	  .short_name = 'p', /* as perf record -p */
	  .kind = HP_OPT_UINT,
	  .metavar = "PID",
	  .min = 1,
	  .max = 4194304,
	  .offset = offsetof(struct hp_config, pid),
	  .help = "only trace this process (thread group), filtered in the kernel",
	  .want = "a process id" },
	{ .name = "cgroup",
	  .kind = HP_OPT_STRING,
	  .metavar = "PATH",
	  .offset = offsetof(struct hp_config, cgroup_path),
	  .help = "only trace tasks in this cgroup v2 directory or below it",
	  .parse = cli__parse_cgroup },
	{ .name = "btf",
	  .kind = HP_OPT_STRING,
	  .metavar = "FILE",
	  .offset = offsetof(struct hp_config, btf_path),
	  .help = "kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is missing" },
	{ .name = "attach",
	  .kind = HP_OPT_CUSTOM,
	  .metavar = "MODE",
	  .help = "auto (default), tp_btf or raw_tp; env HOSTPROF_ATTACH sets the default",
	  .want = "auto, tp_btf or raw_tp",
	  .parse = cli__parse_attach },
	{ .name = "verbose",
	  .short_name = 'v',
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct hp_config, verbose),
	  .help = "debug logging, including libbpf and verifier output" },
	{ .name = "symbol-cache-mb",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 16,
	  .max = 65536,
	  .def = 256,
	  .offset = offsetof(struct hp_config, symbol_cache_mb),
	  .help = "memory for symbol tables, perf maps and process mappings,\n"
		  "all processes together (default 256)",
	  .want = "16..65536" },
	{ .name = "retention",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 10,
	  .max = 86400,
	  .def = 600,
	  .offset = offsetof(struct hp_config, retention_seconds),
	  .help = "how far back profiles of every kind can be asked for\n"
		  "(since=; default 10m)",
	  .want = "10s..24h",
	  .scope = HP_CMD_SERVE },
	{ .name = "perf-map-max-mb",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 1,
	  .max = 65536,
	  .def = 0,
	  .offset = offsetof(struct hp_config, perf_map_max_mb),
	  .help = "larger /tmp/perf-PID.map files are not read (default: a\n"
		  "quarter of --symbol-cache-mb)",
	  .want = "1..65536" },
	{ .name = "listen",
	  .kind = HP_OPT_STRING,
	  .metavar = "ADDR",
	  .def_str = "127.0.0.1:7747",
	  .offset = offsetof(struct hp_config, listen),
	  .help = "HTTP address, host:port, [v6]:port or :port (default 127.0.0.1:7747)",
	  .want = "host:port, [v6]:port or :port",
	  .scope = HP_CMD_SERVE,
	  .parse = cli__parse_listen },
	{ .name = "insecure-listen",
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct hp_config, insecure_listen),
	  .help = "serve a non-loopback --listen without --auth-token-file\n"
		  "(anyone who can reach the port can read profiles)",
	  .scope = HP_CMD_SERVE },
	{ .name = "auth-token-file",
	  .kind = HP_OPT_STRING,
	  .metavar = "FILE",
	  .min = 1,
	  .offset = offsetof(struct hp_config, auth_token_file),
	  .help = "require \"Authorization: Bearer <token>\" (the file's content;\n"
		  "re-read when it changes); /healthz and /readyz stay open",
	  .scope = HP_CMD_SERVE },
	{ .name = "tls-cert",
	  .kind = HP_OPT_STRING,
	  .metavar = "FILE",
	  .min = 1,
	  .offset = offsetof(struct hp_config, tls_cert),
	  .help = "serve HTTPS with this PEM certificate (chain); needs --tls-key",
	  .scope = HP_CMD_SERVE },
	{ .name = "tls-key",
	  .kind = HP_OPT_STRING,
	  .metavar = "FILE",
	  .min = 1,
	  .offset = offsetof(struct hp_config, tls_key),
	  .help = "the PEM private key of --tls-cert",
	  .scope = HP_CMD_SERVE },
	{ .name = "max-profile-seconds",
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .min = 1,
	  .max = 3600,
	  .def = 300,
	  .offset = offsetof(struct hp_config, max_profile_seconds),
	  .help = "longest seconds= a profile request may ask for (default 5m)",
	  .want = "1s..1h",
	  .scope = HP_CMD_SERVE },
	{ .name = "http-max-profiles",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 1,
	  .max = 32,
	  .def = 16,
	  .offset = offsetof(struct hp_config, http_max_profiles),
	  .help = "profile requests served at once; more get 429 (default 16)",
	  .want = "1..32",
	  .scope = HP_CMD_SERVE },
	{ .name = "require",
	  .kind = HP_OPT_CUSTOM,
	  .metavar = "LIST",
	  .help = "collectors whose failure to load is fatal (comma-separated); any\n"
		  "other that cannot load is reported, left out, and /readyz is 503",
	  .scope = HP_CMD_SERVE,
	  .parse = cli__parse_require },
	{ .name = "kubelet-pods-dir",
	  .kind = HP_OPT_STRING,
	  .metavar = "DIR",
	  .def_str = "/var/log/pods",
	  .min = 1,
	  .offset = offsetof(struct hp_config, kubelet_pods_dir),
	  .help = "the kubelet's pod log directories, <namespace>_<pod>_<uid>/\n"
		  "<container>/: pod names by UID (default /var/log/pods)" },
	{ .name = "pod-metrics",
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct hp_config, pod_metrics),
	  .help = "per-pod series in /metrics (top --pod-top-k pods, the rest\n"
		  "pod=\"other\")",
	  .scope = HP_CMD_SERVE },
	{ .name = "pod-top-k",
	  .kind = HP_OPT_UINT,
	  .metavar = "N",
	  .min = 1,
	  .max = 500,
	  .def = 20,
	  .offset = offsetof(struct hp_config, pod_top_k),
	  .help = "pods with series of their own under --pod-metrics (default 20)",
	  .want = "1..500",
	  .scope = HP_CMD_SERVE },
	{ .name = "collectors",
	  .kind = HP_OPT_CUSTOM,
	  .metavar = "LIST",
	  .help = "comma-separated collectors to run (default: all but opt-in ones)",
	  .scope = HP_CMD_SERVE,
	  .parse = cli__parse_collectors },
	{ .name = "duration",
	  .short_name = 'd',
	  .kind = HP_OPT_DURATION,
	  .metavar = "D",
	  .max = 86400,
	  .def = 30,
	  .offset = offsetof(struct hp_config, duration_seconds),
	  .help = "how long to record (default 30s); Ctrl-C stops early",
	  .want = "e.g. 30s, 2m; at most 24h",
	  .scope = HP_CMD_RECORD },
	{ .name = "output",
	  .short_name = 'o',
	  .kind = HP_OPT_STRING,
	  .metavar = "FILE",
	  .min = 1,
	  .offset = offsetof(struct hp_config, output),
	  .help = "where to write; the format follows the name: .folded .txt .pb.gz\n"
		  ".pprof .speedscope.json .json .html; - is standard output (folded)",
	  .bad = "--output needs a file name",
	  .scope = HP_CMD_RECORD },
	{ .name = "format",
	  .kind = HP_OPT_STRING,
	  .metavar = "F",
	  .offset = offsetof(struct hp_config, format_name),
	  .help = "folded, pprof, speedscope, json or html (overrides the name)",
	  .scope = HP_CMD_RECORD },
	{ .name = "group-by",
	  .kind = HP_OPT_STRING,
	  .metavar = "L",
	  .offset = offsetof(struct hp_config, group_by_name), /* checked by record */
	  .help = "root boxes of folded, html, speedscope, json: process (default),\n"
		  "pid, thread, cgroup, pod or container (pprof keeps every label)",
	  .scope = HP_CMD_RECORD },
	{ .name = "profile",
	  .kind = HP_OPT_CUSTOM,
	  .metavar = "KIND",
	  .help = "profile kind to record (default cpu; any kind a collector produces)",
	  .scope = HP_CMD_RECORD,
	  .parse = cli__parse_profile },
	{ .name = "state",
	  .kind = HP_OPT_STRING,
	  .metavar = "S",
	  .offset = offsetof(struct hp_config, state_name),
	  .help = "profiles with thread states (offcpu): blocked (default),\n"
		  "runnable or all",
	  .want = HP_STATE_FILTER_NAMES,
	  .scope = HP_CMD_RECORD,
	  .parse = cli__parse_state },
	{ .name = "waker",
	  .kind = HP_OPT_FLAG,
	  .offset = offsetof(struct hp_config, waker),
	  .help = "keep the stack of whoever woke each thread above a\n"
		  "\"[woken by] <process>\" frame (profiles with wakers)",
	  .scope = HP_CMD_RECORD },
	{ 0 },
};

/* Whether "hostprof record" can run a collector (one that produces profiles), so its usage
 * shows that collector's options. */
static bool cli__records(const char *collector)
{
	const struct hp_collector_ops *ops = hp_collectors__find(collector);

	return ops && ops->profiles;
}

static unsigned int cli__scope(enum hp_cli_action command)
{
	return command == HP_CLI_SERVE	  ? HP_CMD_SERVE
	       : command == HP_CLI_RECORD ? HP_CMD_RECORD
					  : 0;
}

#define CLI_ANY_SCOPE (~0u)

/* Every option of table that cmd accepts (cmd 0: all) and whose scope is only (or any). */
static void cli__usage_section(FILE *out, const char *title, const struct hp_option *table,
			       unsigned int cmd, unsigned int only)
{
	bool first = true;

	for (const struct hp_option *o = table; o && o->name; o++) {
		if ((only != CLI_ANY_SCOPE && o->scope != only) ||
		    (cmd && o->scope && !(o->scope & cmd)))
			continue;
		if (first)
			fprintf(out, "\n%s:\n", title);
		first = false;
		hp_option__help(out, o);
	}
}

/* Usage of one subcommand (cmd HP_CMD_*), or of all (cmd 0): the common options, the
 * subcommand's own, then each collector it can run with that collector's options. */
static void cli__usage(FILE *out, unsigned int cmd)
{
	if (!cmd)
		fputs("Usage: hostprof [--help] [--version] <command> [options]\n\nCommands:\n"
		      "  serve              run the agent in the foreground and serve HTTP\n"
		      "  record             record a profile (--profile KIND, default cpu) and "
		      "write a file\n",
		      out);
	else
		fprintf(out, "Usage: hostprof %s [options]\n",
			cmd == HP_CMD_SERVE ? "serve" : "record");
	cli__usage_section(out, cmd ? "Options" : "Options for both", cli_options, cmd, 0);
	if (cmd != HP_CMD_RECORD)
		cli__usage_section(out, "serve options", cli_options, cmd, HP_CMD_SERVE);
	if (cmd != HP_CMD_SERVE)
		cli__usage_section(out, "record options", cli_options, cmd, HP_CMD_RECORD);
	fputs("\nCollectors:\n", out);
	for (int i = 0; hp_collectors_all[i]; i++)
		fprintf(out, "  %-18s %s\n", hp_collectors_all[i]->name,
			hp_collectors_all[i]->summary);
	for (int i = 0; hp_collectors_all[i]; i++) {
		const struct hp_collector_ops *ops = hp_collectors_all[i];
		char title[64];

		if (cmd == HP_CMD_RECORD && !cli__records(ops->name))
			continue;
		snprintf(title, sizeof(title), "%s collector options", ops->name);
		cli__usage_section(out, title, ops->options, cmd, CLI_ANY_SCOPE);
	}
}

/* One parse: the merged option table and what was seen so far. */
struct cli_parse {
	struct hp_config *cfg;
	struct hp_optset set;
	enum hp_cli_action command; /* HP_CLI_USAGE until a command word is seen */
	unsigned int seen_scope;    /* HP_CMD_* of the scoped options given */
};

static enum hp_cli_action cli__bad(const struct cli_parse *p, const char *fmt, const char *arg)
{
	fprintf(stderr, "hostprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n");
	cli__usage(stderr, cli__scope(p->command));
	return HP_CLI_USAGE;
}

/* Defaults, the option table (the CLI's and every collector's), then HOSTPROF_ATTACH. */
static int cli__setup(struct cli_parse *p, struct hp_config *cfg)
{
	const char *env = getenv("HOSTPROF_ATTACH");

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->command = HP_CLI_USAGE;
	hp_config__defaults(cfg);
	hp_option__defaults(cli_options, cfg);
	hp_optset__init(&p->set);
	if (hp_optset__add(&p->set, cli_options, cfg, "hostprof", stderr))
		return -1;
	for (int i = 0; hp_collectors_all[i]; i++) {
		const struct hp_collector_ops *ops = hp_collectors_all[i];

		if (hp_optset__add(&p->set, ops->options, hp_config__collector_mut(cfg, ops),
				   ops->name, stderr))
			return -1;
	}
	if (env && *env && cli__attach_mode(env, &cfg->attach_mode)) {
		cli__bad(p, "HOSTPROF_ATTACH must be auto, tp_btf or raw_tp, not '%s'", env);
		return -1;
	}
	return 0;
}

/* A word that is not an option: the command, "help", or a mistake. */
static enum hp_cli_action cli__word(struct cli_parse *p, const char *word)
{
	if (p->command != HP_CLI_USAGE)
		return cli__bad(p, "unexpected argument '%s'", word);
	if (strcmp(word, "serve") == 0 || strcmp(word, "record") == 0) {
		p->command = word[0] == 's' ? HP_CLI_SERVE : HP_CLI_RECORD;
		return p->command;
	}
	if (strcmp(word, "help") == 0) {
		cli__usage(stdout, 0);
		return HP_CLI_DONE;
	}
	return cli__bad(p, "unknown command '%s'", word);
}

/* One option getopt_long() returned (c) with its value (arg); HP_CLI_SERVE to go on. */
static enum hp_cli_action cli__option(struct cli_parse *p, int c, const char *arg,
				      const char *spelled)
{
	const struct hp_optset_entry *e = hp_optset__entry(&p->set, c);
	int r;

	if (c == ':')
		return cli__bad(p, "option %s needs a value", spelled);
	if (!e)
		return cli__bad(p, "unknown option '%s'", spelled);
	if (e->opt == &cli_options[CLI_HELP]) {
		cli__usage(stdout, cli__scope(p->command));
		return HP_CLI_DONE;
	}
	if (e->opt == &cli_options[CLI_VERSION]) {
		printf("hostprof %s (libbpf %s)\n", HOSTPROF_VERSION, libbpf_version_string());
		return HP_CLI_DONE;
	}
	r = hp_option__parse(e->opt, arg, e->base);
	if (r == HP_OPT_REPORTED)
		return HP_CLI_USAGE;
	if (r != HP_OPT_OK) {
		hp_option__report(stderr, e->opt, arg);
		fputc('\n', stderr);
		cli__usage(stderr, cli__scope(p->command));
		return HP_CLI_USAGE;
	}
	p->seen_scope |= e->opt->scope;
	return HP_CLI_SERVE;
}

/* getopt_long() over argv; "+" stops at the first non-option: global flags, then the command,
 * then its flags. HP_CLI_SERVE when argv is used up without a verdict. */
static enum hp_cli_action cli__scan(struct cli_parse *p, int argc, char **argv)
{
	enum hp_cli_action r;
	int c;

	optind = 0; /* 0, not 1: glibc then also forgets its position inside the previous argv */
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, p->set.shortopts, p->set.longopts, NULL);
		if (c == -1) {
			if (optind >= argc)
				return HP_CLI_SERVE;
			r = cli__word(p, argv[optind++]);
		} else {
			r = cli__option(p, c, optarg, argv[optind - 1]);
		}
		if (r == HP_CLI_DONE || r == HP_CLI_USAGE)
			return r;
	}
}

/* "--a, --b and --c": every option in the set whose scope is exactly scope. */
static void cli__scope_names(const struct cli_parse *p, unsigned int scope, char *out, size_t size)
{
	size_t n = 0, total = 0, len = 0;

	for (size_t i = 0; i < p->set.n; i++)
		total += p->set.e[i].opt->scope == scope;
	out[0] = '\0';
	for (size_t i = 0; i < p->set.n && len < size; i++) {
		if (p->set.e[i].opt->scope != scope)
			continue;
		n++;
		len += (size_t)snprintf(out + len, size - len, "%s--%s",
					n == 1	     ? ""
					: n == total ? " and "
						     : ", ",
					p->set.e[i].opt->name);
	}
}

/* record --profile VIEW: the collectors of its parts, and --pid when the view needs one. 0, or
 * -1 with the reason printed. */
static int cli__record_view(struct cli_parse *p)
{
	const struct hp_profile_view *view = hp_profile_views__find(p->cfg->profile_kind);

	if (!view)
		return 0;
	if (view->needs_pid && !p->cfg->pid) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "--profile %s describes one process: give --pid PID (-p PID)",
			 view->kind->name);
		cli__bad(p, "%s", msg);
		return -1;
	}
	p->cfg->ncollectors = 0;
	for (size_t i = 0; i < view->nparts; i++) {
		const char *name = hp_collectors__find_profile(view->parts[i].kind)->name;
		bool seen = false;

		for (int k = 0; k < p->cfg->ncollectors; k++)
			seen |= strcmp(p->cfg->collectors[k], name) == 0;
		if (!seen && p->cfg->ncollectors < HP_MAX_COLLECTORS)
			p->cfg->collectors[p->cfg->ncollectors++] = name;
	}
	return 0;
}

/* serve's exposure rules (one line on stderr, exit 2): TLS needs both files, a --listen other
 * hosts can reach needs a token (or --insecure-listen), and the files must be usable now, not
 * after the BPF programs are loaded. */
static int cli__check_http(const struct hp_config *cfg)
{
	char err[512], token[HP_HTTP_TOKEN_MAX + 1];
	struct hp_http_tls tls;
	size_t len;

	if (!cfg->tls_cert != !cfg->tls_key) {
		fprintf(stderr,
			"hostprof: %s needs %s too (HTTPS takes a certificate and its key)\n",
			cfg->tls_cert ? "--tls-cert" : "--tls-key",
			cfg->tls_cert ? "--tls-key" : "--tls-cert");
		return -1;
	}
	if (!cfg->auth_token_file && !cfg->insecure_listen &&
	    !hp_http__listen_is_loopback(cfg->listen)) {
		fprintf(
		    stderr,
		    "hostprof: --listen %s is reachable from other hosts: give "
		    "--auth-token-file FILE (or --insecure-listen to serve anyone who connects)\n",
		    cfg->listen);
		return -1;
	}
	if (cfg->auth_token_file) {
		int e = hp_http_auth__read(cfg->auth_token_file, token, sizeof(token), &len, err,
					   sizeof(err));

		explicit_bzero(token, sizeof(token));
		if (e) {
			fprintf(stderr, "hostprof: --auth-token-file %s\n", err);
			return -1;
		}
	}
	if (cfg->tls_cert) {
		if (hp_http_tls__load(&tls, cfg->tls_cert, cfg->tls_key, err, sizeof(err))) {
			fprintf(stderr, "hostprof: %s\n", err);
			return -1;
		}
		hp_http_tls__free(&tls);
	}
	return 0;
}

/* Checks that need the whole command line: a command, flags that belong to it, record's file. */
static enum hp_cli_action cli__finish(struct cli_parse *p)
{
	char names[256], msg[320];

	if (p->command == HP_CLI_USAGE)
		return cli__bad(p, "%s", "missing command (try 'hostprof serve')");
	if ((p->command == HP_CLI_SERVE && p->seen_scope & HP_CMD_RECORD) ||
	    (p->command == HP_CLI_RECORD && p->seen_scope & HP_CMD_SERVE)) {
		bool serve = p->command == HP_CLI_RECORD;

		cli__scope_names(p, serve ? HP_CMD_SERVE : HP_CMD_RECORD, names, sizeof(names));
		snprintf(msg, sizeof(msg), "%s belong to 'hostprof %s'", names,
			 serve ? "serve" : "record");
		return cli__bad(p, "%s", msg);
	}
	for (int i = 0; hp_collectors_all[i]; i++) {
		const struct hp_collector_ops *ops = hp_collectors_all[i];

		if (ops->check_options && ops->check_options(p->cfg, msg, sizeof(msg)))
			return cli__bad(p, "%s", msg);
	}
	if (p->command == HP_CLI_SERVE && cli__check_http(p->cfg))
		return HP_CLI_USAGE;
	for (int i = 0; p->command == HP_CLI_SERVE && i < p->cfg->nrequired; i++) {
		bool selected = false;

		for (int k = 0; k < p->cfg->ncollectors; k++)
			selected |= strcmp(p->cfg->collectors[k], p->cfg->required[i]) == 0;
		if (!selected) {
			snprintf(msg, sizeof(msg),
				 "--require %s: that collector is not in --collectors",
				 p->cfg->required[i]);
			return cli__bad(p, "%s", msg);
		}
	}
	if (p->command == HP_CLI_RECORD) {
		if (!p->cfg->output)
			return cli__bad(p, "%s",
					"record needs --output FILE (e.g. -o profile.pb.gz)");
		/* the collector that produces the kind asked for (checked by its parse hook) */
		if (!p->cfg->profile_kind)
			p->cfg->profile_kind = "cpu";
		if (cli__record_view(p))
			return HP_CLI_USAGE;
		if (!hp_profile_views__find(p->cfg->profile_kind)) {
			p->cfg->collectors[0] =
			    hp_collectors__find_profile(p->cfg->profile_kind)->name;
			p->cfg->ncollectors = 1;
		}
	}
	return p->command;
}

enum hp_cli_action hp_cli__parse(int argc, char **argv, struct hp_config *cfg)
{
	struct cli_parse p;
	enum hp_cli_action r;

	if (cli__setup(&p, cfg))
		return HP_CLI_USAGE;
	r = cli__scan(&p, argc, argv);
	if (r == HP_CLI_DONE || r == HP_CLI_USAGE)
		return r;
	return cli__finish(&p);
}
