// SPDX-License-Identifier: GPL-2.0-only
/* Parses "hostprof [--help|--version] serve|record [flags]" into an hp_config (see cli.h). Every
 * value is validated here, so the agent never starts with a configuration it would reject later. */
#include "cli.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "http/http.h"
#include "base/log.h"
#include "base/params.h"
#include "base/version.h"

void hp_config__defaults(struct hp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1:7747";
	cfg->collectors[0] = "syscalls";
	cfg->collectors[1] = "cpu";
	cfg->ncollectors = 2;
	cfg->comm_map_entries = 16384;
	cfg->attach_mode = HP_ATTACH_AUTO;
	cfg->tick_seconds = 1.0;
	cfg->frequency = 99;
	cfg->kernel_stacks = true;
	cfg->user_stacks = true;
	cfg->retention_seconds = 600;
	cfg->cpu_map_entries = 16384;
	cfg->symbol_cache_mb = 256;
	cfg->duration_seconds = 30;
}

void hp_cli__usage(FILE *out)
{
	fputs(
	    "Usage: hostprof [--help] [--version] <command> [options]\n"
	    "\n"
	    "Commands:\n"
	    "  serve              run the agent in the foreground and serve HTTP\n"
	    "  record             profile the CPU for a while and write a file\n"
	    "\n"
	    "Options for both:\n"
	    "  --pid PID          only trace this process (thread group), filtered in the kernel\n"
	    "  --cgroup PATH      only trace tasks in this cgroup v2 directory or below it\n"
	    "  -F, --frequency HZ CPU samples per second per CPU (default 99)\n"
	    "  --kernel-only      CPU profiles: kernel stacks only\n"
	    "  --user-only        CPU profiles: user stacks only\n"
	    "  --max-stacks N     cap on distinct stacks per 1 s drain (default 16384; sized\n"
	    "                     4 x frequency x CPUs below that)\n"
	    "  --symbol-cache-mb N  memory for symbol tables, perf maps and process mappings,\n"
	    "                     all processes together (default 256)\n"
	    "  --perf-map-max-mb N  larger /tmp/perf-PID.map files are not read (default: a\n"
	    "                     quarter of --symbol-cache-mb)\n"
	    "  --btf FILE         kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is missing\n"
	    "  -v, --verbose      debug logging, including libbpf and verifier output\n"
	    "\n"
	    "serve options:\n"
	    "  --listen ADDR      HTTP address, host:port, [v6]:port or :port (default "
	    "127.0.0.1:7747)\n"
	    "  --collectors LIST  comma-separated collectors to run (default: syscalls,cpu)\n"
	    "  --retention D      how far back CPU profiles can be asked for (default 10m)\n"
	    "  --comm-top K       syscalls per process name: top K names, the rest as "
	    "comm=\"other\"\n"
	    "  --comm-map-size N  (comm, syscall) keys the breakdown holds (default 16384)\n"
	    "  --attach MODE      auto (default), tp_btf or raw_tp; env HOSTPROF_ATTACH sets the "
	    "default\n"
	    "\n"
	    "record options:\n"
	    "  -d, --duration D   how long to record (default 30s); Ctrl-C stops early\n"
	    "  -o, --output FILE  where to write; the format follows the name: .folded .txt "
	    ".pb.gz\n"
	    "                     .pprof .speedscope.json .json .html; - is standard output "
	    "(folded)\n"
	    "  --format F         folded, pprof, speedscope, json or html (overrides the name)\n"
	    "  --group-by L       root boxes of folded, html, speedscope, json: process "
	    "(default),\n"
	    "                     pid, thread or cgroup (pprof keeps every label)\n"
	    "\n"
	    "Collectors:\n",
	    out);
	for (int i = 0; hp_collectors_all[i]; i++)
		fprintf(out, "  %-18s %s\n", hp_collectors_all[i]->name,
			hp_collectors_all[i]->summary);
}

/* The kernel refuses sampling frequencies above kernel.perf_event_max_sample_rate. */
static unsigned long long cli__max_frequency(void)
{
	unsigned long long max = 100000;
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");

	if (f) {
		if (fscanf(f, "%llu", &max) != 1)
			max = 100000;
		fclose(f);
	}
	return max;
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

/* --cgroup must name a cgroup v2 directory: the kernel filter only understands those. */
static int cli__check_cgroup(const char *path)
{
	struct statfs fs;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hostprof: --cgroup %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr,
			"hostprof: --cgroup %s is not a cgroup v2 directory (cgroup v2 is "
			"usually mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified)\n",
			path);
		err = -1;
	}
	close(fd);
	return err;
}

static int cli__collectors(char *list, struct hp_config *cfg)
{
	char *save = NULL;

	cfg->ncollectors = 0;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (!hp_collectors__find(name)) {
			fprintf(stderr, "hostprof: unknown collector '%s'\n", name);
			return -1;
		}
		for (int i = 0; i < cfg->ncollectors; i++) {
			if (strcmp(cfg->collectors[i], name) == 0) {
				fprintf(stderr, "hostprof: collector '%s' given twice\n", name);
				return -1;
			}
		}
		if (cfg->ncollectors == HP_MAX_COLLECTORS)
			return -1;
		cfg->collectors[cfg->ncollectors++] = name;
	}
	if (cfg->ncollectors == 0) {
		fprintf(stderr, "hostprof: --collectors needs at least one name\n");
		return -1;
	}
	return 0;
}

static enum hp_cli_action cli__bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "hostprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n");
	hp_cli__usage(stderr);
	return HP_CLI_USAGE;
}

enum hp_cli_action hp_cli__parse(int argc, char **argv, struct hp_config *cfg)
{
	enum {
		OPT_LISTEN = 256,
		OPT_COLLECTORS,
		OPT_PID,
		OPT_CGROUP,
		OPT_COMM_TOP,
		OPT_COMM_MAP,
		OPT_ATTACH,
		OPT_BTF,
		OPT_VERSION,
		OPT_KERNEL_ONLY,
		OPT_USER_ONLY,
		OPT_MAX_STACKS,
		OPT_SYMBOL_CACHE,
		OPT_PERF_MAP_MAX,
		OPT_RETENTION,
		OPT_FORMAT,
		OPT_GROUP_BY,
	};
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "verbose", no_argument, NULL, 'v' },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "collectors", required_argument, NULL, OPT_COLLECTORS },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "comm-top", required_argument, NULL, OPT_COMM_TOP },
		{ "comm-map-size", required_argument, NULL, OPT_COMM_MAP },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "frequency", required_argument, NULL, 'F' },
		{ "kernel-only", no_argument, NULL, OPT_KERNEL_ONLY },
		{ "user-only", no_argument, NULL, OPT_USER_ONLY },
		{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
		{ "symbol-cache-mb", required_argument, NULL, OPT_SYMBOL_CACHE },
		{ "perf-map-max-mb", required_argument, NULL, OPT_PERF_MAP_MAX },
		{ "retention", required_argument, NULL, OPT_RETENTION },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "group-by", required_argument, NULL, OPT_GROUP_BY },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("HOSTPROF_ATTACH");
	enum hp_cli_action command = HP_CLI_USAGE;
	bool saw_command = false, saw_serve_flag = false, saw_record_flag = false;
	double d;
	unsigned long long v;
	int c;

	hp_config__defaults(cfg);
	if (env && *env && cli__attach_mode(env, &cfg->attach_mode))
		return cli__bad("HOSTPROF_ATTACH must be auto, tp_btf or raw_tp, not '%s'", env);

	/* "+" stops at the first non-option: global flags, then the command, then its flags. */
	optind = 0; /* 0, not 1: glibc then also forgets its position inside the previous argv */
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "+:hvF:d:o:", opts, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (saw_command)
				return cli__bad("unexpected argument '%s'", argv[optind]);
			if (strcmp(argv[optind], "serve") == 0 ||
			    strcmp(argv[optind], "record") == 0) {
				command = argv[optind][0] == 's' ? HP_CLI_SERVE : HP_CLI_RECORD;
				saw_command = true;
				optind++;
				continue;
			}
			if (strcmp(argv[optind], "help") == 0) {
				hp_cli__usage(stdout);
				return HP_CLI_DONE;
			}
			return cli__bad("unknown command '%s'", argv[optind]);
		}
		switch (c) {
		case 'h':
			hp_cli__usage(stdout);
			return HP_CLI_DONE;
		case OPT_VERSION:
			printf("hostprof %s (libbpf %s)\n", HOSTPROF_VERSION,
			       libbpf_version_string());
			return HP_CLI_DONE;
		case 'v':
			cfg->verbose = true;
			break;
		case OPT_LISTEN: {
			struct sockaddr_storage ss;
			unsigned int len;

			if (hp_http__parse_listen(optarg, &ss, &len))
				return cli__bad(
				    "invalid --listen '%s' (want host:port, [v6]:port or :port)",
				    optarg);
			cfg->listen = optarg;
			saw_serve_flag = true;
			break;
		}
		case OPT_COLLECTORS:
			if (cli__collectors(optarg, cfg))
				return cli__bad("invalid --collectors '%s'", optarg);
			saw_serve_flag = true;
			break;
		case OPT_PID:
			if (hp_params__uint(optarg, 1, 4194304, &v))
				return cli__bad("invalid --pid '%s' (want a process id)", optarg);
			cfg->pid = (pid_t)v;
			break;
		case OPT_CGROUP:
			if (cli__check_cgroup(optarg))
				return HP_CLI_USAGE;
			cfg->cgroup_path = optarg;
			break;
		case OPT_COMM_TOP:
			if (hp_params__uint(optarg, 0, 1000, &v))
				return cli__bad("invalid --comm-top '%s' (want 0..1000)", optarg);
			cfg->comm_top = (unsigned int)v;
			break;
		case OPT_COMM_MAP:
			if (hp_params__uint(optarg, 64, 1 << 20, &v))
				return cli__bad("invalid --comm-map-size '%s' (want 64..1048576)",
						optarg);
			cfg->comm_map_entries = (unsigned int)v;
			break;
		case OPT_ATTACH:
			if (cli__attach_mode(optarg, &cfg->attach_mode))
				return cli__bad(
				    "invalid --attach '%s' (want auto, tp_btf or raw_tp)", optarg);
			break;
		case OPT_BTF:
			cfg->btf_path = optarg;
			break;
		case 'F':
			if (hp_params__uint(optarg, 1, cli__max_frequency(), &v))
				return cli__bad("invalid --frequency '%s' (want 1 up to "
						"kernel.perf_event_max_sample_rate)",
						optarg);
			cfg->frequency = (unsigned int)v;
			break;
		case OPT_KERNEL_ONLY:
			cfg->user_stacks = false;
			if (!cfg->kernel_stacks)
				return cli__bad("%s",
						"--kernel-only and --user-only exclude each other");
			break;
		case OPT_USER_ONLY:
			cfg->kernel_stacks = false;
			if (!cfg->user_stacks)
				return cli__bad("%s",
						"--kernel-only and --user-only exclude each other");
			break;
		case OPT_MAX_STACKS:
			if (hp_params__uint(optarg, 256, 1 << 20, &v))
				return cli__bad("invalid --max-stacks '%s' (want 256..1048576)",
						optarg);
			cfg->cpu_map_entries = (unsigned int)v;
			break;
		case OPT_SYMBOL_CACHE:
			if (hp_params__uint(optarg, 16, 65536, &v))
				return cli__bad("invalid --symbol-cache-mb '%s' (want 16..65536)",
						optarg);
			cfg->symbol_cache_mb = (unsigned int)v;
			break;
		case OPT_PERF_MAP_MAX:
			if (hp_params__uint(optarg, 1, 65536, &v))
				return cli__bad("invalid --perf-map-max-mb '%s' (want 1..65536)",
						optarg);
			cfg->perf_map_max_mb = (unsigned int)v;
			break;
		case OPT_RETENTION:
			if (hp_params__duration(optarg, false, 86400, &d) || d < 10)
				return cli__bad("invalid --retention '%s' (want 10s..24h)", optarg);
			cfg->retention_seconds = d;
			saw_serve_flag = true;
			break;
		case 'd':
			if (hp_params__duration(optarg, false, 86400, &d))
				return cli__bad(
				    "invalid --duration '%s' (want e.g. 30s, 2m; at most 24h)",
				    optarg);
			cfg->duration_seconds = d;
			saw_record_flag = true;
			break;
		case 'o':
			if (!*optarg)
				return cli__bad("%s", "--output needs a file name");
			cfg->output = optarg;
			saw_record_flag = true;
			break;
		case OPT_FORMAT:
			cfg->format_name = optarg;
			saw_record_flag = true;
			break;
		case OPT_GROUP_BY:
			cfg->group_by_name = optarg; /* checked by record, like --format */
			saw_record_flag = true;
			break;
		case ':':
			return cli__bad("option %s needs a value", argv[optind - 1]);
		default:
			return cli__bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!saw_command)
		return cli__bad("%s", "missing command (try 'hostprof serve')");
	if (command == HP_CLI_SERVE && saw_record_flag)
		return cli__bad("%s", "--duration, --output, --format and --group-by belong to "
				      "'hostprof record'");
	if (command == HP_CLI_RECORD) {
		if (saw_serve_flag)
			return cli__bad("%s", "--listen, --collectors and --retention belong to "
					      "'hostprof serve'");
		if (!cfg->output)
			return cli__bad("%s", "record needs --output FILE (e.g. -o profile.pb.gz)");
		cfg->collectors[0] = "cpu";
		cfg->ncollectors = 1;
	}
	return command;
}
