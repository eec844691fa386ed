// SPDX-License-Identifier: GPL-2.0-only
/* Measures what hostprof's syscall collector adds to every syscall, next to two floors on the same
 * hooks (an empty BPF pair, a minimal latency tracer) and to an equivalent bpftrace script. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "empty.skel.h"
#include "floor_latency.skel.h"

#define BENCH_PASSES 3	       /* passes over all modes, to spread drift over every mode */
#define READY_TIMEOUT_MS 20000 /* hostprof /healthz, bpftrace attach */
#define STOP_TIMEOUT_MS 10000  /* after which a child gets SIGKILL */
#define POLL_MS 100
#define TRACEFS_DIR "/sys/kernel/tracing"

/* Latency histogram keyed by syscall id, start kept per thread: what the collector does. END
 * clears the maps so bpftrace does not spend its exit printing hundreds of histograms. */
static const char bpftrace_prog[] = "tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; }\n"
				    "tracepoint:raw_syscalls:sys_exit /@start[tid]/ {\n"
				    "  @lat[args->id] = hist(nsecs - @start[tid]);\n"
				    "  delete(@start[tid]);\n"
				    "}\n"
				    "END { clear(@start); clear(@lat); }\n";

enum mode_id {
	MODE_BASE,
	MODE_EMPTY,
	MODE_MIN_LATENCY,
	MODE_HOSTPROF,
	MODE_HOSTPROF_POD, /* with --pod-metrics: the per-cgroup breakdown on every call */
	MODE_BPFTRACE,
	MODE__COUNT,
};

struct mode {
	const char *label;
	double *ns; /* ns/call of each round */
	int rounds;
	char skip[256]; /* non-empty: not measured, and why */
	/* the kernel's run-time statistics of the mode's programs over its blocks */
	__u64 bpf_ns;	 /* run time of its sys_enter and sys_exit programs */
	__u64 bpf_calls; /* runs of its sys_exit program */
	bool failed;	 /* the skip is an unexpected failure: exit 1 */
};

struct bench {
	long calls;
	int rounds;
	const char *hostprof;
	char bpftrace[4096];
	cpu_set_t child_cpus; /* affinity before pinning, restored in children */
	struct empty_bpf *skel;
	struct floor_latency_bpf *min_latency; /* NULL if it did not load: mode skipped */
	struct mode modes[MODE__COUNT];
	__u32 own_progs[4]; /* ids of both floor pairs, which stay loaded while detached */
	int tainted;	    /* baseline blocks that saw someone else's tracing programs */
	int stats_fd;	    /* BPF_ENABLE_STATS held for the run, or < 0 */
};

/* Shared with the signal handler so an interrupted run leaves no child or mount behind. */
static volatile pid_t child_pid;
static volatile sig_atomic_t tracefs_mounted;

static char agent_log[64], tracer_log[64];

/* Async-signal-safe: stop the child (SIGKILL after 5 s), unmount, drop the logs, exit. */
static void bench__cleanup_signal(int sig)
{
	struct timespec tick = { .tv_nsec = 50000000L };

	if (child_pid > 0) {
		int i = 0;

		kill(child_pid, SIGTERM);
		while (waitpid(child_pid, NULL, WNOHANG) == 0 && i++ < 100)
			nanosleep(&tick, NULL);
		if (i > 100)
			kill(child_pid, SIGKILL);
	}
	if (tracefs_mounted)
		umount2(TRACEFS_DIR, MNT_DETACH);
	unlink(agent_log);
	unlink(tracer_log);
	_exit(128 + sig);
}

static void tracefs__release(void)
{
	if (!tracefs_mounted)
		return;
	if (umount2(TRACEFS_DIR, 0) && umount2(TRACEFS_DIR, MNT_DETACH))
		fprintf(stderr, "warning: could not unmount %s: %s\n", TRACEFS_DIR,
			strerror(errno));
	tracefs_mounted = 0;
}

static int libbpf__print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

static long time__ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void time__sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- measuring ---------------------------------------------------------------------------- */

static double bench__round(long calls)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / calls;
}

static __u32 prog__id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static bool bench__own_prog(const struct bench *b, __u32 id)
{
	for (size_t i = 0; i < sizeof(b->own_progs) / sizeof(*b->own_progs); i++)
		if (id == b->own_progs[i])
			return true;
	return false;
}

/* Tracing programs loaded by anyone else (another agent, a test run): the baseline is not clean. */
static int bench__foreign_progs(struct bench *b)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (bench__own_prog(b, id))
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type == BPF_PROG_TYPE_TRACING ||
		     info.type == BPF_PROG_TYPE_RAW_TRACEPOINT ||
		     info.type == BPF_PROG_TYPE_TRACEPOINT || info.type == BPF_PROG_TYPE_KPROBE))
			n++;
		close(fd);
	}
	return n;
}

/* A stopped child's programs are freed a little after it exits (RCU); wait so the next baseline
 * block does not count them as someone else's. */
static void bench__settle(struct bench *b)
{
	long deadline = time__ms() + 3000;

	while (bench__foreign_progs(b) && time__ms() < deadline)
		time__sleep_ms(50);
}

/*
 * Run time (ns) of the sys_enter/sys_exit programs of mode id into *ns, runs of its sys_exit
 * program into *calls, as the kernel counts them with BPF_ENABLE_STATS: the floors' own
 * programs, or hostprof's (by name; bpftrace's are not told apart: 0).
 */
static void mode__bpf_stats(const struct bench *b, enum mode_id id, __u64 *ns, __u64 *calls)
{
	__u32 pid = 0;

	*ns = *calls = 0;
	while (!bpf_prog_get_next_id(pid, &pid)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		bool mine = false, exit_prog = false;
		int fd = bpf_prog_get_fd_by_id(pid);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		switch (id) {
		case MODE_EMPTY:
			mine = pid == b->own_progs[0] || pid == b->own_progs[1];
			exit_prog = pid == b->own_progs[1];
			break;
		case MODE_MIN_LATENCY:
			mine = pid == b->own_progs[2] || pid == b->own_progs[3];
			exit_prog = pid == b->own_progs[3];
			break;
		case MODE_HOSTPROF:
		case MODE_HOSTPROF_POD:
			mine = !bench__own_prog(b, pid) &&
			       (strncmp(info.name, "sys_enter_", 10) == 0 ||
				strncmp(info.name, "sys_exit_", 9) == 0);
			exit_prog = strncmp(info.name, "sys_exit_", 9) == 0;
			break;
		default:
			break;
		}
		if (!mine)
			continue;
		*ns += info.run_time_ns;
		if (exit_prog) /* names are cut at 15 characters: told apart by id */
			*calls += info.run_cnt;
	}
}

/* One block of rounds for a mode, after a short unrecorded warm-up. */
static void bench__measure(struct bench *b, enum mode_id id, int rounds)
{
	struct mode *m = &b->modes[id];
	__u64 ns0, calls0, ns1, calls1;

	bench__round(b->calls / 10 + 1);
	mode__bpf_stats(b, id, &ns0, &calls0);
	for (int i = 0; i < rounds; i++)
		m->ns[m->rounds++] = bench__round(b->calls);
	mode__bpf_stats(b, id, &ns1, &calls1);
	if (calls1 > calls0 && ns1 >= ns0) {
		m->bpf_ns += ns1 - ns0;
		m->bpf_calls += calls1 - calls0;
	}
	if (id == MODE_BASE && bench__foreign_progs(b))
		b->tainted++;
}

static int double__cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double mode__median(struct mode *m)
{
	qsort(m->ns, m->rounds, sizeof(*m->ns), double__cmp);
	if (m->rounds % 2)
		return m->ns[m->rounds / 2];
	return (m->ns[m->rounds / 2 - 1] + m->ns[m->rounds / 2]) / 2;
}

static bool mode__measured(const struct mode *m)
{
	return !m->skip[0] && m->rounds > 0;
}

static void mode__skip(struct mode *m, bool failed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mode__skip(struct mode *m, bool failed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->skip, sizeof(m->skip), fmt, ap);
	va_end(ap);
	m->failed = failed;
}

/* ---- child processes ---------------------------------------------------------------------- */

/* Starts argv with stdout/stderr to log; the child runs unpinned and dies with us. */
static pid_t proc__spawn(struct bench *b, char *const argv[], const char *log)
{
	pid_t parent = getpid(), pid;
	sigset_t block, old;
	int fd;

	/* No signal between fork and child_pid being set, nor into our handler inside the child */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	pid = fork();
	if (pid != 0) {
		if (pid > 0)
			child_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return pid;
	}

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sched_setaffinity(0, sizeof(b->child_cpus), &b->child_cpus);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execv(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* True while pid runs; once it has exited, reaps it and describes how into why. */
static bool proc__alive(pid_t pid, char *why, size_t len)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) == 0)
		return true;
	if (WIFEXITED(status))
		snprintf(why, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, len, "gone");
	child_pid = 0;
	return false;
}

static void proc__stop(pid_t pid, int sig)
{
	long deadline = time__ms() + STOP_TIMEOUT_MS;

	kill(pid, sig);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (time__ms() > deadline) {
			fprintf(stderr, "warning: pid %d ignored signal %d, sending SIGKILL\n", pid,
				sig);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		time__sleep_ms(20);
	}
	child_pid = 0;
}

/* ---- (c) hostprof ------------------------------------------------------------------------- */

static int net__free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* HTTP status of GET /healthz on 127.0.0.1:port, or -1 if nothing usable answered. */
static int http__healthz(int port)
{
	static const char req[] = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 1 };
	char buf[64] = "", sink[4096];
	size_t got = 0, total = 0;
	int fd, status = -1;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto out;
	/* Only the status line "HTTP/1.x NNN" matters, but read to EOF: closing on unread data
	 * would reset the connection under the server while it is still writing. */
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	while (total < (1 << 20) && (n = read(fd, sink, sizeof(sink))) > 0)
		total += n;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
		status = -1;
out:
	close(fd);
	return status;
}

/*
 * Spawns argv with its output in log and polls ready(pid, ctx) until it says yes. A child that
 * dies or never gets ready is reported in why (what: the step it did not reach) and stopped
 * with stop_sig.
 */
static pid_t proc__spawn_ready(struct bench *b, char **argv, const char *log,
			       bool (*ready)(pid_t pid, void *ctx), void *ctx, int stop_sig,
			       const char *what, char *why, size_t len)
{
	long deadline = time__ms() + READY_TIMEOUT_MS;
	pid_t pid = proc__spawn(b, argv, log);

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	while (time__ms() < deadline) {
		if (!proc__alive(pid, why, len)) {
			snprintf(why + strlen(why), len - strlen(why), " before %s (log: %s)", what,
				 log);
			return -1;
		}
		if (ready(pid, ctx))
			return pid;
		time__sleep_ms(POLL_MS);
	}
	proc__stop(pid, stop_sig);
	snprintf(why, len, "not %s after %d s (log: %s)", what, READY_TIMEOUT_MS / 1000, log);
	return -1;
}

static bool agent__healthy(pid_t pid, void *ctx)
{
	(void)pid;
	return http__healthz(*(int *)ctx) == 200;
}

/* Starts hostprof's syscall collector (pod: with --pod-metrics) and waits for /healthz to
 * answer 200. */
static pid_t agent__spawn(struct bench *b, bool pod, char *why, size_t len)
{
	char listen[32];
	char *argv[] = {
		(char *)b->hostprof,
		"serve",
		"--listen",
		listen,
		"--collectors",
		"syscalls",
		pod ? "--pod-metrics" : NULL,
		NULL,
	};
	int port = net__free_port();

	if (port < 0) {
		snprintf(why, len, "no free port: %s", strerror(errno));
		return -1;
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	return proc__spawn_ready(b, argv, agent_log, agent__healthy, &port, SIGTERM,
				 "/healthz answered 200", why, len);
}

/* ---- (d) bpftrace ------------------------------------------------------------------------- */

static bool path__find(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	bool found = false;

	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	if (!dirs)
		return false;
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		found = access(out, X_OK) == 0;
	}
	free(dirs);
	return found;
}

/* bpftrace 0.17 reads tracepoint formats from tracefs; mount it for the run if it is missing. */
static int tracefs__ensure(char *why, size_t len)
{
	struct stat st;

	if (!stat(TRACEFS_DIR "/events/raw_syscalls", &st) ||
	    !stat("/sys/kernel/debug/tracing/events/raw_syscalls", &st))
		return 0;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL)) {
		snprintf(why, len, "tracefs not mounted and mounting it failed: %s",
			 strerror(errno));
		return -1;
	}
	tracefs_mounted = 1;
	if (stat(TRACEFS_DIR "/events/raw_syscalls", &st)) {
		snprintf(why, len, "no raw_syscalls tracepoints in tracefs");
		return -1;
	}
	return 0;
}

/* How many of pid's fds are perf events with a BPF program attached to raw_syscalls tracepoints. */
static int tracer__attached(pid_t pid)
{
	char dir[64], name[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		__u32 name_len = sizeof(name), prog_id, fd_type;
		__u64 off, addr;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (bpf_task_fd_query(pid, fd, 0, name, &name_len, &prog_id, &fd_type, &off, &addr))
			continue;
		if (fd_type == BPF_FD_TYPE_TRACEPOINT &&
		    (!strcmp(name, "sys_enter") || !strcmp(name, "sys_exit")))
			n++;
	}
	closedir(d);
	return n;
}

static bool tracer__ready(pid_t pid, void *ctx)
{
	(void)ctx;
	return tracer__attached(pid) >= 2;
}

/* Starts the bpftrace script and waits until both tracepoints have their program attached. */
static pid_t tracer__spawn(struct bench *b, char *why, size_t len)
{
	char *argv[] = { b->bpftrace, "-e", (char *)bpftrace_prog, NULL };

	if (tracefs__ensure(why, len))
		return -1;
	return proc__spawn_ready(b, argv, tracer_log, tracer__ready, NULL, SIGINT, "attached", why,
				 len);
}

/* ---- driver ------------------------------------------------------------------------------- */

/* Attaches mode id, measures a block of rounds, detaches; a mode that fails is skipped after. */
static void bench__run_mode(struct bench *b, enum mode_id id, int rounds)
{
	struct mode *m = &b->modes[id];
	char why[sizeof(m->skip)] = "";
	pid_t pid = -1;
	int err;

	switch (id) {
	case MODE_EMPTY:
		err = empty_bpf__attach(b->skel);
		if (err) {
			mode__skip(m, true, "attach failed: %s", strerror(-err));
			return;
		}
		bench__measure(b, id, rounds);
		empty_bpf__detach(b->skel);
		return;
	case MODE_MIN_LATENCY:
		err = floor_latency_bpf__attach(b->min_latency);
		if (err) {
			mode__skip(m, true, "attach failed: %s", strerror(-err));
			return;
		}
		bench__measure(b, id, rounds);
		floor_latency_bpf__detach(b->min_latency);
		return;
	case MODE_HOSTPROF:
	case MODE_HOSTPROF_POD:
		pid = agent__spawn(b, id == MODE_HOSTPROF_POD, why, sizeof(why));
		if (pid < 0) {
			mode__skip(m, true, "%s", why);
			fprintf(stderr, "hostprof: failed (%s)\n", why);
			return;
		}
		bench__measure(b, id, rounds);
		proc__stop(pid, SIGTERM);
		bench__settle(b);
		return;
	case MODE_BPFTRACE:
		pid = tracer__spawn(b, why, sizeof(why));
		if (pid < 0) {
			mode__skip(m, false, "%s", why);
			printf("bpftrace: skipped (%s)\n", why);
			return;
		}
		bench__measure(b, id, rounds);
		proc__stop(pid, SIGINT);
		bench__settle(b);
		return;
	default:
		bench__measure(b, id, rounds);
	}
}

/*
 * BENCH_PASSES passes; each measures a block of baseline rounds right before every attached mode,
 * so slow drift of the VM hits baseline and modes alike; one last baseline block closes the run.
 */
static void bench__run(struct bench *b)
{
	int passes = b->rounds < BENCH_PASSES ? b->rounds : BENCH_PASSES;

	for (int p = 0; p < passes; p++) {
		int rounds = b->rounds / passes + (p < b->rounds % passes);

		for (int id = MODE_EMPTY; id < MODE__COUNT; id++) {
			if (b->modes[id].skip[0])
				continue;
			fprintf(stderr, "pass %d/%d: %s\n", p + 1, passes, b->modes[id].label);
			bench__measure(b, MODE_BASE, rounds);
			bench__run_mode(b, id, rounds);
		}
	}
	bench__measure(b, MODE_BASE, b->rounds / passes);
}

/* One "ratio" line, in columns; n/a when the denominator shows no measurable cost. */
static void bench__ratio(const char *name, const char *formula, double num, double den,
			 const char *note)
{
	char label[64];

	snprintf(label, sizeof(label), "ratio %s", name);
	if (den <= 0)
		printf("%-30s%-14sn/a   (denominator not above the baseline; rerun)\n", label,
		       formula);
	else
		printf("%-30s%-14s%.2f%s%s\n", label, formula, num / den, *note ? "   " : "", note);
}

/*
 * The same modes through the kernel's own statistics (BPF_ENABLE_STATS): run time of the
 * sys_enter + sys_exit programs per sys_exit run, every syscall of the host during the blocks
 * (the getppid loop dominates). Scheduling noise of a loaded machine is not in it, which the
 * wall-clock medians above cannot say.
 */
static void bench__report_bpf(struct bench *b)
{
	static const enum mode_id ids[] = { MODE_EMPTY, MODE_MIN_LATENCY, MODE_HOSTPROF,
					    MODE_HOSTPROF_POD };
	double per[MODE__COUNT] = { 0 };

	if (b->stats_fd < 0) {
		printf("\nBPF run-time statistics: n/a (BPF_ENABLE_STATS refused)\n");
		return;
	}
	printf("\nBPF run time per syscall (kernel statistics; sys_enter + sys_exit programs)\n");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct mode *m = &b->modes[ids[i]];

		if (!mode__measured(m) || !m->bpf_calls) {
			printf("%-36s n/a\n", m->label);
			continue;
		}
		per[ids[i]] = (double)m->bpf_ns / (double)m->bpf_calls;
		printf("%-36s %10.1f ns  (%llu runs)\n", m->label, per[ids[i]],
		       (unsigned long long)m->bpf_calls);
	}
	if (per[MODE_EMPTY] <= 0)
		return;
	if (per[MODE_MIN_LATENCY] > 0)
		bench__ratio("bpf min-latency/empty", "b2/b:", per[MODE_MIN_LATENCY],
			     per[MODE_EMPTY], "");
	if (per[MODE_HOSTPROF] > 0)
		bench__ratio("bpf hostprof/empty", "c/b:", per[MODE_HOSTPROF], per[MODE_EMPTY], "");
	if (per[MODE_HOSTPROF_POD] > 0)
		bench__ratio("bpf pod/empty", "c2/b:", per[MODE_HOSTPROF_POD], per[MODE_EMPTY],
			     "(--pod-metrics)");
	if (per[MODE_HOSTPROF_POD] > 0 && per[MODE_HOSTPROF] > 0)
		bench__ratio("bpf pod/hostprof", "c2/c:", per[MODE_HOSTPROF_POD],
			     per[MODE_HOSTPROF], "(what the per-cgroup breakdown adds)");
}

static void bench__report(struct bench *b)
{
	double med[MODE__COUNT] = { 0 }, base, floor, floor2;

	printf("\nns per syscall(SYS_getppid), %ld calls x %d rounds per mode, CPU 0, "
	       "median of rounds\n",
	       b->calls, b->rounds);
	printf("%-36s %10s %10s %10s\n", "mode", "median", "min", "added");
	for (int id = 0; id < MODE__COUNT; id++) {
		struct mode *m = &b->modes[id];

		if (!mode__measured(m)) {
			printf("%-36s %s (%s)\n", m->label, m->failed ? "FAILED" : "skipped",
			       m->skip[0] ? m->skip : "no rounds");
			continue;
		}
		med[id] = mode__median(m); /* sorts the rounds: ns[0] is the minimum */
		printf("%-36s %10.1f %10.1f", m->label, med[id], m->ns[0]);
		if (id == MODE_BASE)
			printf(" %10s  (%d rounds)\n", "-", m->rounds);
		else
			printf(" %+10.1f\n", med[id] - med[MODE_BASE]);
	}
	printf("\n");
	if (b->tainted)
		printf("warning: %d baseline blocks ran while other BPF tracing programs were "
		       "loaded; something else is tracing this host, numbers are suspect\n",
		       b->tainted);
	base = med[MODE_BASE];
	floor = med[MODE_EMPTY] - base;
	floor2 = med[MODE_MIN_LATENCY] - base;
	if (!mode__measured(&b->modes[MODE_EMPTY]))
		return;
	if (floor <= 0) {
		printf("ratios: n/a (the empty pair added no measurable cost; rerun)\n");
		return;
	}
	if (mode__measured(&b->modes[MODE_HOSTPROF]))
		bench__ratio("hostprof/empty", "(c-a)/(b-a):", med[MODE_HOSTPROF] - base, floor,
			     "(target <= 1.3)");
	if (mode__measured(&b->modes[MODE_HOSTPROF_POD])) {
		bench__ratio("hostprof-pod/empty", "(c2-a)/(b-a):", med[MODE_HOSTPROF_POD] - base,
			     floor, "(--pod-metrics)");
		if (mode__measured(&b->modes[MODE_HOSTPROF]))
			bench__ratio(
			    "hostprof-pod/hostprof", "(c2-a)/(c-a):", med[MODE_HOSTPROF_POD] - base,
			    med[MODE_HOSTPROF] - base, "(what the per-cgroup breakdown adds)");
	}
	if (mode__measured(&b->modes[MODE_MIN_LATENCY])) {
		bench__ratio("min-latency/empty", "(b2-a)/(b-a):", floor2, floor,
			     "(two timestamps + task storage: the cost any latency tracer pays)");
		if (mode__measured(&b->modes[MODE_HOSTPROF]))
			bench__ratio("hostprof/min-latency",
				     "(c-a)/(b2-a):", med[MODE_HOSTPROF] - base, floor2,
				     "(hostprof's own work on top of that)");
	}
	if (mode__measured(&b->modes[MODE_BPFTRACE]))
		bench__ratio("bpftrace/empty", "(d-a)/(b-a):", med[MODE_BPFTRACE] - base, floor,
			     "");
	bench__report_bpf(b);
}

static void bench__usage(FILE *f)
{
	fprintf(f, "usage: syscall_overhead [--hostprof PATH] [--calls N] [--rounds R]\n");
}

static int bench__parse(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hostprof", required_argument, NULL, 'p' },
		{ "calls", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			b->hostprof = optarg;
			break;
		case 'n':
			b->calls = strtol(optarg, &end, 10);
			if (*end || b->calls <= 0)
				goto bad;
			break;
		case 'r':
			b->rounds = (int)strtol(optarg, &end, 10);
			if (*end || b->rounds <= 0 || b->rounds > 10000)
				goto bad;
			break;
		case 'h':
			bench__usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	bench__usage(stderr);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *labels[MODE__COUNT] = {
		[MODE_BASE] = "(a) nothing attached",
		[MODE_EMPTY] = "(b) empty BPF pair (floor)",
		[MODE_MIN_LATENCY] = "(b2) minimal latency tracer",
		[MODE_HOSTPROF] = "(c) hostprof --collectors syscalls",
		[MODE_HOSTPROF_POD] = "(c2) hostprof ... --pod-metrics",
		[MODE_BPFTRACE] = "(d) bpftrace latency hist",
	};
	struct bench b = { .calls = 1000000, .rounds = 15, .stats_fd = -1 };
	struct sigaction sa = { .sa_handler = bench__cleanup_signal };
	cpu_set_t cpu0;
	int ret = 0;

	if (bench__parse(&b, argc, argv))
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "syscall_overhead: must run as root (loads BPF programs)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(libbpf__print);

	for (int id = 0; id < MODE__COUNT; id++) {
		b.modes[id].label = labels[id];
		/* baseline: one block per attached mode and pass, plus the closing block */
		b.modes[id].ns =
		    calloc(id == MODE_BASE ? MODE__COUNT * b.rounds : b.rounds, sizeof(double));
		if (!b.modes[id].ns) {
			fprintf(stderr, "syscall_overhead: out of memory\n");
			return 1;
		}
	}
	snprintf(agent_log, sizeof(agent_log), "/tmp/syscall_overhead.%d.hostprof.log", getpid());
	snprintf(tracer_log, sizeof(tracer_log), "/tmp/syscall_overhead.%d.bpftrace.log", getpid());

	for (int id = MODE_HOSTPROF; id <= MODE_HOSTPROF_POD; id++) {
		if (!b.hostprof)
			mode__skip(&b.modes[id], false, "no --hostprof given");
		else if (access(b.hostprof, X_OK))
			mode__skip(&b.modes[id], false, "%s: %s", b.hostprof, strerror(errno));
	}
	if (!path__find("bpftrace", b.bpftrace, sizeof(b.bpftrace))) {
		mode__skip(&b.modes[MODE_BPFTRACE], false, "not in PATH");
		printf("bpftrace: skipped (not in PATH)\n");
	}

	/* the kernel's run-time statistics for the whole run (a few ns per program run, the same
	 * in every mode) */
	b.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	b.skel = empty_bpf__open_and_load();
	if (!b.skel) {
		fprintf(stderr,
			"syscall_overhead: loading the empty BPF pair (tp_btf sys_enter/sys_exit) "
			"failed: %s\n",
			strerror(errno));
		return 1;
	}

	b.own_progs[0] = prog__id(bpf_program__fd(b.skel->progs.empty_enter));
	b.own_progs[1] = prog__id(bpf_program__fd(b.skel->progs.empty_exit));

	b.min_latency = floor_latency_bpf__open_and_load();
	if (!b.min_latency) {
		mode__skip(&b.modes[MODE_MIN_LATENCY], true,
			   "loading tests/bench/floor_latency.bpf.c failed: %s", strerror(errno));
	} else {
		b.own_progs[2] =
		    prog__id(bpf_program__fd(b.min_latency->progs.floor_latency_enter));
		b.own_progs[3] = prog__id(bpf_program__fd(b.min_latency->progs.floor_latency_exit));
	}

	if (sched_getaffinity(0, sizeof(b.child_cpus), &b.child_cpus))
		CPU_ZERO(&b.child_cpus);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0)) {
		fprintf(stderr, "syscall_overhead: pinning to CPU 0 failed: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}

	bench__run(&b);
	bench__report(&b);

	for (int id = 0; id < MODE__COUNT; id++)
		if (b.modes[id].failed) {
			fprintf(stderr, "syscall_overhead: %s: %s\n", b.modes[id].label,
				b.modes[id].skip);
			ret = 1;
		}
	if (!b.modes[MODE_HOSTPROF].failed && !b.modes[MODE_HOSTPROF_POD].failed)
		unlink(agent_log);
	if (!b.modes[MODE_BPFTRACE].skip[0])
		unlink(tracer_log);
out:
	tracefs__release();
	floor_latency_bpf__destroy(b.min_latency);
	empty_bpf__destroy(b.skel);
	for (int id = 0; id < MODE__COUNT; id++)
		free(b.modes[id].ns);
	return ret;
}
