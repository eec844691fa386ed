/* SPDX-License-Identifier: GPL-2.0-only */
/* Who runs in a cgroup: a Kubernetes pod's container, a pod-level cgroup or a systemd service,
 * read from the cgroup v2 path alone (no API server); names come from meta/pod_dir.h. */
#ifndef HOSTPROF_WORKLOAD_H
#define HOSTPROF_WORKLOAD_H

#include <stddef.h>

/* Kubernetes bounds: a namespace and a container name are DNS labels (63), a pod name a DNS
 * subdomain (253); a pod UID is a 36-character UUID; container ids are 64 hex digits. */
#define HP_K8S_NAMESPACE_MAX 64
#define HP_K8S_POD_MAX 254
#define HP_K8S_CONTAINER_MAX 64
#define HP_POD_UID_MAX 40
#define HP_CONTAINER_ID_MAX 72
#define HP_SERVICE_MAX 128

enum hp_workload_kind {
	HP_WL_NONE,	 /* nothing recognised (the root, user slices, a hand-made cgroup) */
	HP_WL_CONTAINER, /* a container of a pod: pod_uid and container_id set */
	HP_WL_POD,	 /* the pod's own cgroup (or a sub-cgroup without a container id) */
	HP_WL_SERVICE,	 /* a systemd service (or scope) outside Kubernetes: service set */
};

/* What a cgroup path says, before any name lookup. Strings are NUL-terminated, "" when absent. */
struct hp_cgroup_ident {
	enum hp_workload_kind kind;
	char pod_uid[HP_POD_UID_MAX];		/* canonical: lowercase, dashes ("0f1e...-...") */
	char container_id[HP_CONTAINER_ID_MAX]; /* as the runtime names it (hex) */
	const char *runtime;			/* static: "containerd", "cri-o", "docker", "" */
	const char *qos;	      /* static: "guaranteed", "burstable", "besteffort", "" */
	char service[HP_SERVICE_MAX]; /* unit name without ".service"/".scope" */
};

/*
 * Parses a cgroup v2 path relative to the cgroup2 mount ("/kubepods.slice/...") into out.
 * Layouts: systemd driver (kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/
 * <runtime>-<id>.scope, uid with '_' for '-'; guaranteed pods sit directly under
 * kubepods.slice), cgroupfs driver (/kubepods/<qos>/pod<uid>/<id>), runtime prefixes
 * cri-containerd-, crio-, docker-; a path with a leading cgroup namespace prefix
 * (/../kubepods...) or nested below a node slice is matched by its kubepods component; systemd
 * services (system.slice/nginx.service -> "nginx"). Pure and bounded by the string; never
 * fails: out->kind is HP_WL_NONE when nothing is recognised. path NULL is HP_WL_NONE.
 */
void hp_cgroup_ident__parse(const char *path, struct hp_cgroup_ident *out);

#endif
