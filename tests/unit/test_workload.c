// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for cgroup path -> pod/container/service (meta/workload.h) on a table of the path
 * shapes kubelets, container runtimes and systemd really make, plus junk and forged names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meta/k8s_names.h"
#include "meta/workload.h"

#define UID_D "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" /* canonical */
#define UID_U "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0" /* as systemd slice names carry it */
#define UID_S "5e8f2b7a9c1d3e4f5a6b7c8d9e0f1a2b"     /* a static pod's (md5 hex) */
#define CID "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define SD_BU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U ".slice"
#define SD_BE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U ".slice"
#define SD_GU "/kubepods.slice/kubepods-pod" UID_U ".slice"

struct row {
	const char *path;
	enum hp_workload_kind kind;
	const char *uid, *cid, *runtime, *qos, *service;
};

#define C(p, u, r, q)                                                                              \
	{                                                                                          \
		p, HP_WL_CONTAINER, u, CID, r, q, ""                                               \
	}
#define P(p, u, q)                                                                                 \
	{                                                                                          \
		p, HP_WL_POD, u, "", "", q, ""                                                     \
	}
#define S(p, s)                                                                                    \
	{                                                                                          \
		p, HP_WL_SERVICE, "", "", "", "", s                                                \
	}
#define N(p)                                                                                       \
	{                                                                                          \
		p, HP_WL_NONE, "", "", "", "", ""                                                  \
	}

static const struct row rows[] = {
	/* systemd driver, every QoS, every runtime prefix */
	C(SD_BU "/cri-containerd-" CID ".scope", UID_D, "containerd", "burstable"),
	C(SD_BE "/cri-containerd-" CID ".scope", UID_D, "containerd", "besteffort"),
	C(SD_GU "/cri-containerd-" CID ".scope", UID_D, "containerd", "guaranteed"),
	C(SD_BU "/crio-" CID ".scope", UID_D, "cri-o", "burstable"),
	C(SD_GU "/crio-" CID ".scope", UID_D, "cri-o", "guaranteed"),
	C(SD_BE "/docker-" CID ".scope", UID_D, "docker", "besteffort"),
	/* a process in a sub-cgroup its container made (e.g. systemd inside it) */
	C(SD_BU "/cri-containerd-" CID ".scope/init.scope", UID_D, "containerd", "burstable"),
	/* a name forged inside the container stays the container's */
	C(SD_BU "/cri-containerd-" CID ".scope/kubepods-pod" UID_S ".slice", UID_D, "containerd",
	  "burstable"),
	/* static pods: the kubelet's md5 UIDs */
	C("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_S
	  ".slice/cri-containerd-" CID ".scope",
	  UID_S, "containerd", "burstable"),
	/* pod-level: the pod slice, crio's conmon, a sub-cgroup without a container id */
	P(SD_BU, UID_D, "burstable"),
	P(SD_GU "/", UID_D, "guaranteed"),
	P(SD_BU "/crio-conmon-" CID ".scope", UID_D, "burstable"),
	P("/kubepods/burstable/pod" UID_D "/crio-conmon-" CID, UID_D, "burstable"),
	P(SD_BU "/cri-containerd-" CID ".scop", UID_D, "burstable"),
	P(SD_BU "/cri-containerd-" CID "0.scope", UID_D, "burstable"), /* 65 digits */
	P(SD_BU "/cri-containerd-A3F1C2D4E5B60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90"
		".scope",
	  UID_D, "burstable"), /* upper case: not a runtime's */
	P(SD_BU "/podman-" CID ".scope", UID_D, "burstable"),
	P(SD_BU "/" CID, UID_D, "burstable"), /* cgroupfs id under a systemd pod */
	/* cgroupfs driver */
	C("/kubepods/burstable/pod" UID_D "/" CID, UID_D, "", "burstable"),
	C("/kubepods/besteffort/pod" UID_D "/" CID, UID_D, "", "besteffort"),
	C("/kubepods/pod" UID_D "/" CID, UID_D, "", "guaranteed"),
	C("/kubepods/burstable/pod" UID_D "/crio-" CID, UID_D, "cri-o", "burstable"),
	P("/kubepods/burstable/pod" UID_D, UID_D, "burstable"),
	P("/kubepods/burstable/pod" UID_D "/docker-" CID, UID_D, "burstable"),
	/* nested: kind's kubelet.slice, k3d's node in a docker scope, a cgroup namespace's view */
	C("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_U ".slice/cri-containerd-" CID ".scope",
	  UID_D, "containerd", "besteffort"),
	C("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UID_U
	  ".slice/cri-containerd-" CID ".scope",
	  UID_D, "containerd", "guaranteed"),
	C("/system.slice/docker-" CID ".scope/kubepods/burstable/pod" UID_D "/" CID, UID_D, "",
	  "burstable"),
	C("/kubelet/kubepods/besteffort/pod" UID_D "/" CID, UID_D, "", "besteffort"),
	C("/../kubepods-burstable-pod" UID_U ".slice/cri-containerd-" CID ".scope", UID_D,
	  "containerd", "burstable"),
	C("/../../../kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U ".slice/crio-" CID
	  ".scope",
	  UID_D, "cri-o", "besteffort"),
	C("/../burstable/pod" UID_D "/" CID, UID_D, "", "burstable"),
	C("/../pod" UID_D "/" CID, UID_D, "", ""),
	C("//kubepods.slice/./kubepods-pod" UID_U ".slice//cri-containerd-" CID ".scope", UID_D,
	  "containerd", "guaranteed"),
	/* systemd services */
	S("/system.slice/nginx.service", "nginx"),
	S("/system.slice/getty.slice/getty@tty1.service", "getty@tty1"),
	S("/system.slice/systemd-journald.service", "systemd-journald"),
	S("/system.slice/dev-disk-by\\x2duuid-x.service", "dev-disk-by\\x2duuid-x"),
	S("/system.slice/containerd.service", "containerd"),
	S("/system.slice/app.service/worker", "app"),
	S("/system.slice/app.service/evil.service", "app"), /* its delegated subtree */
	/* a delegated service cannot make its cgroups a pod */
	S("/system.slice/app.service/kubepods/pod" UID_D "/" CID, "app"),
	/* not recognised */
	N(NULL),
	N(""),
	N("/"),
	N("/init.scope"),
	N("/system.slice"),
	N("/system.slice/docker-" CID ".scope"),
	N("/user.slice/user-1000.slice/session-3.scope"),
	N("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service"),
	N("/user.slice/kubepods.slice/kubepods-pod" UID_U ".slice/cri-containerd-" CID ".scope"),
	N("/kubepods.slice"),
	N("/kubepods.slice/kubepods-burstable.slice"),
	N("/kubepods"),
	N("/kubepods/burstable"),
	N("/system.slice/.service"),
	N("/system.slice/@x.service"),
	N("/system.slice/a b.service"),
	N("/system.slice/a$(rm).service"),
	/* malformed UIDs: wrong separator, length, case, digits; forged parents */
	N("/kubepods.slice/kubepods-pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.slice"),
	N("/kubepods.slice/kubepods-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f.slice"),
	N("/kubepods.slice/kubepods-pod0F1E2D3C_4B5A_6978_8796_A5B4C3D2E1F0.slice"),
	N("/kubepods.slice/kubepods-pod0g1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice"),
	N("/kubepods.slice/kubepods-pod0f1e2d3c_4b5a-6978_8796_a5b4c3d2e1f0.slice"),
	N("/kubepods.slice/kubepods-pod" UID_U ".slice.slice"),
	N("/kubepods.slice/kubepods-pod" UID_U),
	N("/kubepods.slice/kubepods-pod.slice"),
	N("/kubepods-burstable.slice/kubepods-pod" UID_U ".slice"), /* wrong parent */
	N("/other.slice/kubepods-pod" UID_U ".slice"),
	N("/kubepods.slice/xkubepods-pod" UID_U ".slice"),
	N("/kubepods.slice/kubepods-guaranteed-pod" UID_U ".slice"),
	N("/kubepods/pod" UID_U "/" CID),
	N("/kubepods/burstable/pod" UID_D "x/" CID),
	N("/kubepods/burstable/pod../" CID),
	N("/kubepods/other/pod" UID_D "/" CID),
	N("/burstable/pod" UID_D "/" CID), /* a QoS dir without kubepods above it */
	N("/x/pod" UID_D "/" CID),
	N("/kubepods/burstable/pod" UID_D "\n/" CID),
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct hp_cgroup_ident id;

		memset(&id, 0x5a, sizeof(id));
		hp_cgroup_ident__parse(r->path, &id);
		if (id.kind != r->kind || strcmp(id.pod_uid, r->uid) ||
		    strcmp(id.container_id, r->cid) || strcmp(id.runtime, r->runtime) ||
		    strcmp(id.qos, r->qos) || strcmp(id.service, r->service))
			fail_msg("row %zu %s: kind %d uid '%s' id '%s' runtime '%s' qos '%s' "
				 "service '%s'",
				 i, r->path ? r->path : "(null)", id.kind, id.pod_uid,
				 id.container_id, id.runtime, id.qos, id.service);
	}
}

/* A service name too long for the field is not cut into another name. */
static void test_long_service(void **state)
{
	char path[400] = "/system.slice/";
	struct hp_cgroup_ident id;

	(void)state;
	memset(path + 14, 'a', HP_SERVICE_MAX - 1);
	strcpy(path + 14 + HP_SERVICE_MAX - 1, ".service");
	hp_cgroup_ident__parse(path, &id);
	assert_int_equal(id.kind, HP_WL_SERVICE);
	assert_int_equal(strlen(id.service), HP_SERVICE_MAX - 1);
	memset(path + 14, 'a', HP_SERVICE_MAX);
	strcpy(path + 14 + HP_SERVICE_MAX, ".service");
	hp_cgroup_ident__parse(path, &id);
	assert_int_equal(id.kind, HP_WL_NONE);
	assert_string_equal(id.service, "");
}

/* The name rules the pod directory shares. */
static void test_k8s_names(void **state)
{
	char uid[HP_POD_UID_MAX], sub[300];

	(void)state;
	assert_true(hp_k8s__dns_label("a", 1));
	assert_true(hp_k8s__dns_label("kube-system", 11));
	assert_false(hp_k8s__dns_label("", 0));
	assert_false(hp_k8s__dns_label("-a", 2));
	assert_false(hp_k8s__dns_label("a-", 2));
	assert_false(hp_k8s__dns_label("A", 1));
	assert_false(hp_k8s__dns_label("a.b", 3));
	memset(sub, 'a', sizeof(sub));
	assert_true(hp_k8s__dns_label(sub, 63));
	assert_false(hp_k8s__dns_label(sub, 64));
	assert_true(hp_k8s__dns_subdomain("web-0.x", 7));
	assert_false(hp_k8s__dns_subdomain("web..x", 6));
	assert_false(hp_k8s__dns_subdomain(".x", 2));
	assert_false(hp_k8s__dns_subdomain("x.", 2));
	for (int i = 63; i < 253; i += 64)
		sub[i] = '.';
	assert_true(hp_k8s__dns_subdomain(sub, 253));
	assert_false(hp_k8s__dns_subdomain(sub, 254));
	assert_true(hp_k8s__pod_uid(UID_U, 36, '_', uid));
	assert_string_equal(uid, UID_D);
	assert_false(hp_k8s__pod_uid(UID_U, 36, '-', uid));
	assert_true(hp_k8s__pod_uid(UID_S, 32, '-', uid));
	assert_string_equal(uid, UID_S);
	assert_false(hp_k8s__pod_uid(UID_S, 31, '-', uid));
	assert_true(hp_k8s__container_id(CID, 64));
	assert_false(hp_k8s__container_id(CID, 63));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_service),
		cmocka_unit_test(test_k8s_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
