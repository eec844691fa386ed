// SPDX-License-Identifier: GPL-2.0-only
/* Kernel feature probes (see probe.h). Each probe does the real thing in miniature -- load a
 * two-instruction program and attach it, open a perf event -- because "the type exists" is not
 * "it attaches here" (fentry loads on this kind of VM but its attach fails with EPERM). */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool probe__has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static bool probe__privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return probe__has_cap(data, CAP_SYS_ADMIN) ||
	       (probe__has_cap(data, CAP_BPF) && probe__has_cap(data, CAP_PERFMON));
}

/* r0 = 0; exit */
static const struct bpf_insn return_zero[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* Loads return_zero as a tracing program bound to BTF type btf_name and attaches it. */
static bool probe__tracing(struct btf *vmlinux, const char *btf_name, __u32 kind,
			   enum bpf_attach_type type)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type);
	int id, prog, link;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, btf_name, kind);
	if (id < 0)
		return false;
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "hp_probe", "GPL", return_zero, 2, &opts);
	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (link < 0)
		return false;
	close(link);
	return true;
}

static bool probe__raw_tp(void)
{
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "hp_probe", "GPL", return_zero, 2, NULL);
	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open("sys_enter", prog);
	close(prog);
	if (link < 0)
		return false;
	close(link);
	return true;
}

static int probe__perf_event_open(struct perf_event_attr *attr, int cpu)
{
	return (int)syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static bool probe__perf_cpu_clock(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = 99,
		.disabled = 1,
	};
	int fd = probe__perf_event_open(&attr, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool probe__kprobe(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	unsigned int type;
	FILE *f;
	int fd;

	f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	if (!f)
		return false;
	if (fscanf(f, "%u", &type) != 1) {
		fclose(f);
		return false;
	}
	fclose(f);
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)"do_nanosleep";
	fd = probe__perf_event_open(&attr, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void hp_probe__run(struct hp_features *f, const char *btf_path)
{
	struct btf *kernel_btf = NULL, *custom;
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->kernel_release, sizeof(f->kernel_release), "%s", u.release);
	snprintf(f->btf_path, sizeof(f->btf_path), "%s", btf_path ? btf_path : KERNEL_BTF);

	if (probe__privileged())
		f->have |= HP_FEAT_PRIV;
	custom = btf__parse(f->btf_path, NULL);
	if (custom)
		f->have |= HP_FEAT_BTF;
	if (btf_path)
		kernel_btf =
		    btf__parse(KERNEL_BTF, NULL); /* tp_btf needs the running kernel's own */
	else
		kernel_btf = custom;

	if (!(f->have & HP_FEAT_PRIV))
		goto out; /* every remaining probe needs privileges */
	if (probe__tracing(kernel_btf, "btf_trace_sys_enter", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP))
		f->have |= HP_FEAT_TP_BTF;
	if (probe__raw_tp())
		f->have |= HP_FEAT_RAW_TP;
	if (probe__tracing(kernel_btf, "do_nanosleep", BTF_KIND_FUNC, BPF_TRACE_FENTRY))
		f->have |= HP_FEAT_FENTRY;
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1)
		f->have |= HP_FEAT_TASK_STORAGE;
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1)
		f->have |= HP_FEAT_RINGBUF;
	if (probe__perf_cpu_clock())
		f->have |= HP_FEAT_PERF_EVENT;
	if (probe__kprobe())
		f->have |= HP_FEAT_KPROBE;
out:
	if (kernel_btf != custom)
		btf__free(kernel_btf);
	btf__free(custom);
}

static const struct {
	enum hp_feature feat;
	const char *name;
	const char *fix; /* what to do when a collector needs it and it is missing */
} features[] = {
	{ HP_FEAT_PRIV, "privileges", NULL /* depends on the kernel: hp_probe__caps_needed */ },
	{ HP_FEAT_BTF, "btf",
	  "use a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE" },
	{ HP_FEAT_TP_BTF, "tp_btf", "needs kernel >= 5.5 with BTF" },
	{ HP_FEAT_RAW_TP, "raw_tp", "needs kernel >= 4.17" },
	{ HP_FEAT_TASK_STORAGE, "task_storage", "needs kernel >= 5.11 with BPF task storage" },
	{ HP_FEAT_PERF_EVENT, "perf_event",
	  "perf_event_open(cpu-clock) at 99 Hz failed: check kernel.perf_event_paranoid, "
	  "kernel.perf_event_max_sample_rate and seccomp" },
	{ HP_FEAT_RINGBUF, "ringbuf", "needs kernel >= 5.8" },
	{ HP_FEAT_FENTRY, "fentry", "optional" },
	{ HP_FEAT_KPROBE, "kprobe", "optional" },
};

const char *hp_probe__caps_needed(const char *release)
{
	unsigned int major = 0, minor = 0;

	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
		return "CAP_BPF and CAP_PERFMON, plus CAP_SYS_RESOURCE on kernels before 5.11";
	if (major < 5 || (major == 5 && minor < 8))
		return "CAP_SYS_ADMIN and CAP_SYS_RESOURCE";
	if (major == 5 && minor < 11)
		return "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE";
	return "CAP_BPF and CAP_PERFMON";
}

const char *hp_feature__name(enum hp_feature feat)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (features[i].feat == feat)
			return features[i].name;
	return "?";
}

void hp_probe__log(const struct hp_features *f)
{
	char line[512];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s", features[i].name,
				      f->have & features[i].feat ? "yes" : "no");
	hp_info("kernel %s, BTF %s; probed:%s", f->kernel_release, f->btf_path, line);
}

unsigned int hp_probe__missing(const struct hp_features *f, unsigned int needs, const char *who,
			       char *msg, size_t size)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!(needs & features[i].feat) || (f->have & features[i].feat))
			continue;
		if (features[i].feat == HP_FEAT_PRIV)
			snprintf(msg, size,
				 "not allowed to load BPF programs (euid %u): run as root "
				 "(or grant %s)",
				 (unsigned int)geteuid(), hp_probe__caps_needed(f->kernel_release));
		else if (features[i].feat == HP_FEAT_BTF)
			snprintf(msg, size,
				 "%s needs kernel BTF, but %s is missing or unreadable: %s", who,
				 f->btf_path, features[i].fix);
		else
			snprintf(msg, size, "%s needs %s, which is missing: %s", who,
				 features[i].name, features[i].fix);
		return features[i].feat;
	}
	if (size)
		msg[0] = '\0';
	return 0;
}

int hp_probe__require(const struct hp_features *f, unsigned int needs, const char *who)
{
	char msg[512];

	if (!hp_probe__missing(f, needs, who, msg, sizeof(msg)))
		return 0;
	fprintf(stderr, "hostprof: %s\n", msg);
	return -1;
}
