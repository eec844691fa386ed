// SPDX-License-Identifier: GPL-2.0-only
/* Writes a CPU profile with known content in every export format, so external consumers (go tool
 * pprof, a browser, flamegraph.pl) can be checked against the exporters without BPF or root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cpu_profile.h"
#include "export/export.h"
#include "profile/profile.h"

/*
 * The known profile (leaf last here, for reading); tests/e2e/pprof_go_check.sh relies on it:
 *   app  100  main;compute;hot_leaf                                          70
 *   app  100  main;compute;std::vector<...>::push_back(int const&);memcpy    20
 *   app  100  main;__libc_write;entry_SYSCALL_64;do_syscall_64;ksys_write   10
 *   app  200  main;compute;hot_leaf                                           3
 *   tool 300  main;weird;name                                                 5
 */
static const char *const known_frames[] = {
	"main",
	"compute",
	"hot_leaf",
	"std::vector<int, std::allocator<int> >::push_back(int const&)",
	"memcpy",
	"__libc_write",
	"entry_SYSCALL_64",
	"do_syscall_64",
	"ksys_write",
	"weird;name",
};

static int known__build(struct hp_profile *p)
{
	static const struct hp_prof_mapping maps[] = {
		/* libc first: the pprof writer must still put the main binary (app) first */
		{ 0x7f0000000000, 0x7f0000200000, 0, "/usr/lib/x86_64-linux-gnu/libc.so.6",
		  "c0ffee0123456789", false },
		{ 0x400000, 0x500000, 0, "/usr/bin/app", "4a2f1c0de0ad", false },
		{ 0xffffffff81000000, 0xffffffffa0000000, 0, "[kernel.kallsyms]", "", true },
	};
	static const struct {
		uint32_t pid;
		const char *comm, *thread; /* process and thread name */
		int frames[6];		   /* indices into known_frames, root first */
		uint32_t n;
		uint64_t count;
	} stacks[] = {
		{ 100, "app", "app-worker", { 0, 1, 2 }, 3, 70 },	/* hot_leaf */
		{ 100, "app", "app-worker", { 0, 1, 3, 4 }, 4, 20 },	/* memcpy, C++ frame */
		{ 100, "app", "app-worker", { 0, 5, 6, 7, 8 }, 5, 10 }, /* kernel at the leaf */
		{ 200, "app", "app", { 0, 1, 2 }, 3, 3 }, /* same stack, other process */
		{ 300, "tool", "tool", { 0, 9 }, 2, 5 },  /* a name with ';' */
	};
	/* mapping number of each known frame: 1 libc, 2 app, 3 kernel */
	static const uint32_t frame_mapping[10] = { 2, 2, 2, 2, 1, 1, 3, 3, 3, 2 };
	uint32_t ids[10];

	for (size_t i = 0; i < 3; i++)
		if (hp_profile__mapping(p, &maps[i]) != i + 1)
			return -ENOMEM;
	for (int i = 0; i < 10; i++) {
		uint32_t m = frame_mapping[i];
		struct hp_prof_frame f = {
			.function = known_frames[i],
			.system_name = i == 3 ? "_ZNSt6vectorIiSaIiEE9push_backERKi" : NULL,
			.address = maps[m - 1].start + 0x1000 + (uint64_t)i * 0x40,
			.mapping = m,
			.kernel = maps[m - 1].kernel,
		};
		int64_t id = hp_profile__frame(p, &f);

		if (id < 0)
			return -ENOMEM;
		ids[i] = (uint32_t)id;
	}
	for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
		uint32_t fr[6];
		int err;

		for (uint32_t j = 0; j < stacks[i].n; j++) /* leaf first */
			fr[j] = ids[stacks[i].frames[stacks[i].n - 1 - j]];
		err =
		    hp_profile__add(p,
				    &(struct hp_prof_labels){ .pid = stacks[i].pid,
							      .process = stacks[i].comm,
							      .thread = stacks[i].thread },
				    fr, stacks[i].n, stacks[i].count, stacks[i].count * p->period);
		if (err)
			return err;
	}
	return 0;
}

/* --- synthetic: a plausible host (web server, database, interpreter, kernel paths) -------- */

struct synth_proc {
	const char *comm, *binary;
	uint32_t pid, weight;
	const char *const *roots; /* the fixed outer frames, NULL-terminated */
	const char *const *pool;  /* functions the random part of the stacks draws from */
};

/* clang-format off */
static const char *const nginx_roots[] = { "_start", "__libc_start_main", "main",
					   "ngx_master_process_cycle",
					   "ngx_worker_process_cycle",
					   "ngx_process_events_and_timers", NULL };
static const char *const nginx_pool[] = {
	"ngx_epoll_process_events", "ngx_http_wait_request_handler", "ngx_http_process_request",
	"ngx_http_core_run_phases", "ngx_http_static_handler", "ngx_output_chain",
	"ngx_http_write_filter", "ngx_linux_sendfile_chain", "ngx_http_parse_request_line",
	"ngx_http_process_request_headers", "ngx_palloc", "ngx_pcalloc", "ngx_http_log_handler",
	"ngx_http_gzip_body_filter", "deflate", "deflate_slow", "longest_match", "ngx_sprintf",
	"ngx_open_cached_file", "ngx_http_finalize_request", NULL
};
static const char *const pg_roots[] = { "_start", "__libc_start_main", "main", "PostmasterMain",
					"ServerLoop", "BackendStartup", "PostgresMain", NULL };
static const char *const pg_pool[] = {
	"exec_simple_query", "PortalRun", "PortalRunSelect", "standard_ExecutorRun", "ExecScan",
	"SeqNext", "heap_getnextslot", "heapgettup_pagemode", "ExecQual", "ExecInterpExpr",
	"hash_search_with_hash_value", "LWLockAcquire", "ReadBuffer_common", "pg_parse_query",
	"base_yyparse", "pg_plan_queries", "standard_planner", "ExecHashJoin", "MultiExecHash",
	"tuplesort_performsort", "qsort_tuple", "comparetup_heap", "slot_deform_heap_tuple",
	"textout", "printtup", NULL
};
static const char *const py_roots[] = { "_start", "__libc_start_main", "Py_BytesMain", "Py_RunMain",
					"pymain_run_python", "_PyRun_SimpleFileObject",
					"_PyEval_EvalFrameDefault", NULL };
static const char *const py_pool[] = {
	"_PyEval_EvalFrameDefault", "_PyFunction_Vectorcall", "PyObject_Call", "dict_subscript",
	"PyDict_SetItem", "insertdict", "list_append", "PyUnicode_Concat", "unicode_hash",
	"PyObject_GetAttr", "_PyObject_GenericGetAttrWithDict", "long_add", "PyNumber_Add",
	"json_encode_dict", "encoder_listencode_obj", "PyObject_Malloc", "_PyObject_Free",
	"gc_collect_main", "subtract_refs", "visit_decref", NULL
};
static const char *const agent_roots[] = { "start_thread", "MHD_thread_main", "http__handle",
					   NULL };
static const char *const agent_pool[] = {
	"hp_export__pprof", "hp_export__html", "hp_profile__add", "hp_profile__frame",
	"hp_hash__bytes", "deflate", "hp_json__string", "hp_symbolizer__user", "elf_getdata", NULL
};
static const char *const kernel_entry[] = { "entry_SYSCALL_64_after_hwframe", "do_syscall_64",
					    NULL };
static const char *const kernel_pool[] = {
	"__x64_sys_sendfile64", "do_sendfile", "splice_direct_to_actor", "__x64_sys_epoll_wait",
	"do_epoll_wait", "ep_poll", "schedule_hrtimeout_range", "__x64_sys_write", "ksys_write",
	"vfs_write", "sock_write_iter", "tcp_sendmsg", "tcp_sendmsg_locked", "tcp_push",
	"__tcp_transmit_skb", "ip_queue_xmit", "__dev_queue_xmit", "__x64_sys_read", "vfs_read",
	"filemap_read", "copy_page_to_iter", "copy_user_enhanced_fast_string", "__x64_sys_futex",
	"futex_wait", "__schedule", "finish_task_switch.isra.0", "__handle_mm_fault",
	"clear_page_erms", NULL
};

/* clang-format on */

static const struct synth_proc synth_procs[] = {
	{ "nginx", "/usr/sbin/nginx", 1201, 30, nginx_roots, nginx_pool },
	{ "nginx", "/usr/sbin/nginx", 1202, 22, nginx_roots, nginx_pool },
	{ "postgres", "/usr/lib/postgresql/15/bin/postgres", 2210, 28, pg_roots, pg_pool },
	{ "python3", "/usr/bin/python3.11", 3305, 15, py_roots, py_pool },
	{ "hostprof", "/usr/local/bin/hostprof", 4400, 5, agent_roots, agent_pool },
};

static uint64_t synth__rand(uint64_t *s)
{
	/* xorshift64*: deterministic across runs and platforms */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static size_t synth__len(const char *const *list)
{
	size_t n = 0;

	while (list[n])
		n++;
	return n;
}

static uint64_t synth__str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int synth__frame(struct hp_profile *p, uint32_t mapping, uint64_t base, const char *name,
			bool kernel, uint32_t *out)
{
	struct hp_prof_frame f = { .function = name,
				   .address = base + (synth__str_hash(name) & 0xfffff0),
				   .mapping = mapping,
				   .kernel = kernel };
	int64_t id = hp_profile__frame(p, &f);

	if (id < 0)
		return -ENOMEM;
	*out = (uint32_t)id;
	return 0;
}

/*
 * Each sample is a random walk: the process's fixed outer frames, then up to 14 frames where the
 * choice at each depth is a skewed function of the path so far (so hot paths repeat and the
 * graph has structure), and for a third of the samples a kernel tail under a syscall entry.
 */
static int synth__build(struct hp_profile *p, uint32_t nsamples, uint64_t seed)
{
	static const struct hp_prof_mapping kmap = {
		0xffffffff81000000, 0xffffffffa0000000, 0, "[kernel.kallsyms]", "", true
	};
	uint32_t total_weight = 0, kmapping = hp_profile__mapping(p, &kmap);
	uint64_t rng = seed ? seed : 1;

	if (!kmapping)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(synth_procs) / sizeof(synth_procs[0]); i++)
		total_weight += synth_procs[i].weight;
	for (uint32_t n = 0; n < nsamples; n++) {
		const struct synth_proc *pr = synth_procs;
		struct hp_prof_mapping m = { 0 };
		uint32_t stack[64], depth = 0, r, mapping;
		uint64_t path, base = 0x55d000000000ull;
		size_t npool;
		int err;

		r = (uint32_t)(synth__rand(&rng) % total_weight);
		while (r >= pr->weight) {
			r -= pr->weight;
			pr++;
		}
		m.start = base;
		m.limit = base + 0x1000000;
		m.file = pr->binary;
		m.build_id = "5f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccdd";
		mapping = hp_profile__mapping(p, &m);
		if (!mapping)
			return -ENOMEM;
		for (size_t i = 0; pr->roots[i]; i++)
			if ((err = synth__frame(p, mapping, base, pr->roots[i], false,
						&stack[depth++])))
				return err;
		npool = synth__len(pr->pool);
		path = pr->pid;
		for (int d = 0; d < 14 && synth__rand(&rng) % 100 >= 6 + 3 * (uint64_t)d; d++) {
			/* up to 3 candidate children per path; the first is picked most often */
			uint64_t pick = synth__rand(&rng) % 100;
			uint64_t k = pick < 72 ? 0 : pick < 92 ? 1 : 2;
			const char *fn = pr->pool[(path * 31 + k * 7 + (uint64_t)d) % npool];

			path = path * 1000003 + synth__str_hash(fn);
			if ((err = synth__frame(p, mapping, base, fn, false, &stack[depth++])))
				return err;
		}
		if (synth__rand(&rng) % 3 == 0) {
			size_t nk = synth__len(kernel_pool);
			uint64_t kp = synth__rand(&rng) % 4;

			for (size_t i = 0; kernel_entry[i]; i++)
				if ((err = synth__frame(p, kmapping, kmap.start, kernel_entry[i],
							true, &stack[depth++])))
					return err;
			for (uint64_t d = 0; d < 2 + kp; d++) {
				const char *fn = kernel_pool[(kp * 5 + d * 3 + depth) % nk];

				if ((err = synth__frame(p, kmapping, kmap.start, fn, true,
							&stack[depth++])))
					return err;
			}
		}
		/* the walk built the stack root first; profiles want leaf first */
		for (uint32_t i = 0; i < depth / 2; i++) {
			uint32_t t = stack[i];

			stack[i] = stack[depth - 1 - i];
			stack[depth - 1 - i] = t;
		}
		if ((err = tp_add(p, pr->pid, pr->comm, stack, depth, 1)))
			return err;
	}
	return 0;
}

static int write_file(const char *path, const struct hp_buf *b)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(b->data, 1, b->len, f) != b->len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static void usage(void)
{
	fprintf(stderr, "usage: make_profile [--synthetic SAMPLES [--seed N]] OUTDIR\n"
			"writes OUTDIR/profile.{folded,pb.gz,speedscope.json,json,html}\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "profile.folded", "profile.pb.gz",
					     "profile.speedscope.json", "profile.json",
					     "profile.html" };
	unsigned long synthetic = 0, seed = 42;
	const char *dir = NULL;
	struct hp_profile p;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--synthetic") == 0 && i + 1 < argc)
			synthetic = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			usage();
	}
	if (!dir)
		usage();
	tp_init(&p, 99);
	p.start_unix_ns = 1700000000000000000ull;
	p.duration_ns = 30000000000ull;
	err = synthetic ? synth__build(&p, (uint32_t)synthetic, seed) : known__build(&p);
	if (err) {
		fprintf(stderr, "make_profile: building the profile: %s\n", strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[4096];
		struct hp_buf out;
		int fmt;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fmt = hp_export__format_from_path(path);
		hp_buf__init(&out);
		err = fmt < 0 ? -EINVAL : hp_export__render(&p, fmt, NULL, &out);
		if (!err)
			err = write_file(path, &out);
		hp_buf__free(&out);
		if (err) {
			fprintf(stderr, "make_profile: %s: %s\n", path, strerror(-err));
			return 1;
		}
		printf("%s\n", path);
	}
	fprintf(stderr, "make_profile: %zu stacks, %zu frames, %llu samples\n", p.nsamples,
		p.nframes, (unsigned long long)p.total);
	hp_profile__free(&p);
	return 0;
}
