// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the agent-level services: one symbolizer sized from the configuration, its
 * metric families rendered exactly once, its tables reported for hostprof_map_entries. */
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

#include "base/cpulist.h"
#include "collectors/collector.h"
#include "collectors/services.h"

static size_t online_cpus(void)
{
	int *cpus = NULL;
	size_t n = 0;

	assert_int_equal(hp_cpulist__online(NULL, &cpus, &n), 0);
	free(cpus);
	return n;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The process cache: 4 x frequency x online CPUs, within 1024..4096. */
static void test_sizing(void **state)
{
	struct hp_services_opts opts = { .symbol_cache_bytes = 16 << 20, .sample_hz = 99 };
	struct hp_services svc;
	size_t want = 4 * 99 * online_cpus();

	(void)state;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	assert_int_equal(svc.sym_processes, want < 1024 ? 1024 : want > 4096 ? 4096 : want);
	hp_services__free(&svc);
	opts.sample_hz = 1;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	assert_int_equal(svc.sym_processes, 1024);
	hp_services__free(&svc);
	opts.sample_hz = 100000;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	assert_int_equal(svc.sym_processes, 4096);
	hp_services__free(&svc);
	hp_services__free(&svc); /* twice: a no-op */
}

/* Every hostprof_symbolizer_* family once per page, whatever number of collectors there are. */
static void test_metrics_once(void **state)
{
	static const char *const families[] = {
		"hostprof_symbolizer_elf_cache_lookups_total",
		"hostprof_symbolizer_cache_bytes",
		"hostprof_symbolizer_cache_entries",
		"hostprof_symbolizer_cache_budget_bytes",
		"hostprof_symbolizer_evictions_total",
		"hostprof_symbolizer_files_refused_total",
		"hostprof_symbolizer_unresolved_total",
		"hostprof_kubelet_pods",
		"hostprof_kubelet_pod_dirs_malformed_total",
		"hostprof_kubelet_pods_over_bound_total",
		"hostprof_kubelet_pod_dir_rescans_total",
	};
	struct hp_services_opts opts = { .symbol_cache_bytes = 16 << 20, .sample_hz = 99 };
	struct hp_self_stats st = { 0 };
	struct hp_services svc;
	struct hp_buf out;
	char type[128];

	(void)state;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	hp_buf__init(&out);
	hp_services__metrics(&svc, &out);
	assert_false(out.oom);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(type, sizeof(type), "# TYPE %s ", families[i]);
		if (count(out.data, type) != 1)
			fail_msg("%s: %zu TYPE lines", families[i], count(out.data, type));
	}
	assert_int_equal(count(out.data, "# TYPE "), sizeof(families) / sizeof(families[0]));
	assert_non_null(strstr(out.data, "hostprof_symbolizer_cache_budget_bytes 16777216\n"));
	hp_buf__free(&out);

	hp_services__self_stats(&svc, &st);
	assert_int_equal(st.nmaps, 4);
	assert_string_equal(st.maps[0].name, "symbolizer_elf_cache");
	assert_int_equal(st.maps[0].max_entries, HP_SYM_ELF_FILES);
	assert_string_equal(st.maps[1].name, "symbolizer_processes");
	assert_int_equal(st.maps[1].max_entries, svc.sym_processes);
	assert_int_equal(st.maps[1].entries, 0);
	assert_string_equal(st.maps[2].name, "kubelet_pods");
	assert_int_equal(st.maps[2].max_entries, HP_SERVICES_MAX_PODS);
	assert_string_equal(st.maps[3].name, "workload_cache");
	assert_int_equal(st.maps[3].entries, 0);
	assert_int_equal(st.maps[3].max_entries, HP_SERVICES_WORKLOAD_SLOTS);
	hp_services__free(&svc);
}

/* This process's cgroup, copied out of the shared cache into the caller's buffer (cut to fit). */
static void test_cgroup_path_copied(void **state)
{
	struct hp_services_opts opts = { .symbol_cache_bytes = 16 << 20, .sample_hz = 99 };
	char line[512], full[1024], buf[HP_CGROUP_PATH_MAX], tiny[4];
	struct hp_services svc;
	struct stat st;
	FILE *f;

	(void)state;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	/* id 0 is never a cgroup: unknown, and buf untouched */
	memset(buf, 'x', sizeof(buf));
	assert_null(hp_services__cgroup_path(&svc, 0, getpid(), buf, sizeof(buf)));
	assert_int_equal(buf[0], 'x');
	f = fopen("/proc/self/cgroup", "r");
	if (!svc.cgroups->root || !f) {
		if (f)
			fclose(f);
		hp_services__free(&svc);
		skip();
	}
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::", 3) != 0)
		;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(full, sizeof(full), "%s%s", svc.cgroups->root, line + 3);
	assert_int_equal(stat(full, &st), 0);
	assert_ptr_equal(
	    hp_services__cgroup_path(&svc, (uint64_t)st.st_ino, getpid(), buf, sizeof(buf)), buf);
	assert_string_equal(buf, line + 3);
	assert_ptr_equal(
	    hp_services__cgroup_path(&svc, (uint64_t)st.st_ino, getpid(), tiny, sizeof(tiny)),
	    tiny);
	assert_int_equal(strlen(tiny), strlen(line + 3) < 3 ? strlen(line + 3) : 3);
	assert_memory_equal(tiny, line + 3, strlen(tiny));
	hp_services__free(&svc);
}

#define UID "11111111-2222-3333-4444-555555555555"
#define UID_U "11111111_2222_3333_4444_555555555555"
#define CID_A "a000000000000000000000000000000000000000000000000000000000000001"
#define CID_B "b000000000000000000000000000000000000000000000000000000000000002"
#define POD_SLICE "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U ".slice"

/* Seeds the cgroup path cache with id -> path (a cache hit is never re-verified). */
static void seed(struct hp_services *svc, uint64_t id, const char *path)
{
	svc->cgroups->slots[id % HP_CGROUP_NAMES_SLOTS].id = id;
	snprintf(svc->cgroups->slots[id % HP_CGROUP_NAMES_SLOTS].path, HP_CGROUP_PATH_MAX, "%s",
		 path);
}

static void expect_wl(struct hp_services *svc, uint64_t id, const char *ns, const char *pod,
		      const char *container, const char *service)
{
	struct hp_workload w;

	memset(&w, 0x5a, sizeof(w));
	assert_ptr_equal(hp_services__workload(svc, id, 1, &w), &w);
	assert_string_equal(w.namespace_, ns);
	assert_string_equal(w.pod, pod);
	assert_string_equal(w.container, container);
	assert_string_equal(w.service, service);
}

/* Who ran in a cgroup: pod UID and short container id until the kubelet's directories name
 * them, the names once they do (after a tick), a service, nothing on the host. */
static void test_workload(void **state)
{
	char root[] = "/tmp/hp-svc-XXXXXX", pods[64], cmd[256];
	struct hp_services_opts opts = { .symbol_cache_bytes = 16 << 20, .sample_hz = 99 };
	struct hp_services svc;
	struct hp_workload w;
	struct hp_buf out;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(pods, sizeof(pods), "%s/pods", root);
	assert_int_equal(mkdir(pods, 0755), 0);
	opts.kubelet_pods_dir = pods;
	assert_int_equal(hp_services__init(&svc, &opts), 0);
	seed(&svc, 1001, POD_SLICE "/cri-containerd-" CID_A ".scope");
	seed(&svc, 1002, POD_SLICE "/cri-containerd-" CID_B ".scope");
	seed(&svc, 1003, POD_SLICE);
	seed(&svc, 1004, "/system.slice/nginx.service");
	seed(&svc, 1005, "/user.slice/user-0.slice/session-1.scope");
	expect_wl(&svc, 1001, "", UID, "a00000000000", "");
	expect_wl(&svc, 1003, "", UID, "", "");
	expect_wl(&svc, 1004, "", "", "", "nginx");
	expect_wl(&svc, 1005, "", "", "", "");
	assert_ptr_equal(hp_services__workload(&svc, 1001, 1, &w), &w);
	assert_string_equal(w.cgroup, POD_SLICE "/cri-containerd-" CID_A ".scope");
	assert_string_equal(w.pod_uid, UID);
	assert_string_equal(w.container_id, CID_A);
	/* the kubelet names the pod: one container directory names both ids */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/shop_cart-0_%s/app", pods, UID);
	assert_int_equal(system(cmd), 0);
	usleep(1100 * 1000); /* the tick re-reads the directory at most once a second */
	hp_services__tick(&svc);
	expect_wl(&svc, 1001, "shop", "cart-0", "app", "");
	expect_wl(&svc, 1002, "shop", "cart-0", "app", "");
	expect_wl(&svc, 1003, "shop", "cart-0", "", "");
	hp_buf__init(&out);
	hp_services__metrics(&svc, &out);
	assert_non_null(strstr(out.data, "\nhostprof_kubelet_pods 1\n"));
	hp_buf__free(&out);
	{
		struct hp_self_stats st = { 0 };

		hp_services__self_stats(&svc, &st);
		assert_string_equal(st.maps[2].name, "kubelet_pods");
		assert_int_equal(st.maps[2].entries, 1);
		assert_int_equal(st.maps[3].entries, 5); /* the five ids looked up */
	}
	/* an id whose path is unknown */
	assert_null(hp_services__workload(&svc, 0, 0, &w));
	hp_services__free(&svc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizing),
		cmocka_unit_test(test_metrics_once),
		cmocka_unit_test(test_cgroup_path_copied),
		cmocka_unit_test(test_workload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
