/* SPDX-License-Identifier: GPL-2.0-only */
/* Pod and container names by pod UID without the API server: the kubelet's pod log directories
 * (<dir>/<namespace>_<pod>_<uid>/<container>/), re-read when they change, bounded. */
#ifndef HOSTPROF_POD_DIR_H
#define HOSTPROF_POD_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "workload.h"

struct hp_pod_names {
	char namespace_[HP_K8S_NAMESPACE_MAX];
	char pod[HP_K8S_POD_MAX];
	char container[HP_K8S_CONTAINER_MAX]; /* "" when not known for this container id */
};

struct hp_pod_dir;

/*
 * An index of dir (the kubelet's --pod-logs-dir, /var/log/pods) holding at most max_pods pods.
 * Container names by container id come from the kubelet's symlinks in the sibling
 * "containers" directory (<pod>_<namespace>_<container>-<id>.log); a pod with a single
 * container directory names its containers without them. A missing dir is not an error (a
 * host outside Kubernetes): lookups then find nothing. Trailing slashes of dir are ignored.
 * NULL only when out of memory.
 */
struct hp_pod_dir *hp_pod_dir__new(const char *dir, size_t max_pods);
void hp_pod_dir__free(struct hp_pod_dir *d);
/* Re-reads the directories if their mtime changed, at most once per min_interval seconds.
 * Returns the index generation (bumped on every change), so callers can drop cached names. */
unsigned long hp_pod_dir__refresh(struct hp_pod_dir *d, double min_interval);
/* Names of pod_uid (canonical form) and, when container_id is non-empty, its container.
 * When the last scan left pods out (max_pods), a UID missing from the index is looked for in
 * dir itself (one readdir). 0, or -ENOENT when the pod has no directory. */
int hp_pod_dir__lookup(struct hp_pod_dir *d, const char *pod_uid, const char *container_id,
		       struct hp_pod_names *out);
/*
 * Pods in the index; entries skipped as malformed (pod directories, container directories and
 * container links whose names break the Kubernetes rules, or a UID seen twice) and pods (and
 * container links, beyond 16 per pod bound) left out beyond max_pods: both counted again on
 * every re-scan that meets them, so they grow while the cause stays; re-scans done.
 */
struct hp_pod_dir_stats {
	size_t pods;
	unsigned long long malformed, over_bound, rescans;
};
void hp_pod_dir__stats(const struct hp_pod_dir *d, struct hp_pod_dir_stats *out);

/* Pure parsers of the names found in the directories (other users' input; fuzzed). */
/* "<namespace>_<pod>_<uid>": namespace a DNS label, pod a DNS subdomain, uid a pod UID (see
 * k8s_names.h; copied in canonical form). false, outputs unspecified, when malformed. */
bool hp_pod_dir__parse_pod(const char *name, char ns[HP_K8S_NAMESPACE_MAX],
			   char pod[HP_K8S_POD_MAX], char uid[HP_POD_UID_MAX]);
/* "<pod>_<namespace>_<container>-<64 hex id>.log", the kubelet's link in the "containers" dir.
 * false, outputs unspecified, when malformed. */
bool hp_pod_dir__parse_link(const char *name, char ns[HP_K8S_NAMESPACE_MAX],
			    char pod[HP_K8S_POD_MAX], char container[HP_K8S_CONTAINER_MAX],
			    char id[HP_CONTAINER_ID_MAX]);

#endif
