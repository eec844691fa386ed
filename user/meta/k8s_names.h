/* SPDX-License-Identifier: GPL-2.0-only */
/* The Kubernetes name rules hostprof checks before a name from a cgroup path or the kubelet's
 * log directories becomes a label: one definition shared by workload.c and pod_dir.c. */
#ifndef HOSTPROF_K8S_NAMES_H
#define HOSTPROF_K8S_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* s[0..n) is an RFC 1123 DNS label: [a-z0-9-], 1..63 bytes, alphanumeric at both ends
 * (namespaces and container names). */
bool hp_k8s__dns_label(const char *s, size_t n);
/* s[0..n) is an RFC 1123 DNS subdomain: dot-separated DNS labels, 1..253 bytes (pod names). */
bool hp_k8s__dns_subdomain(const char *s, size_t n);
/*
 * s[0..n) is a pod UID: a UUID (8-4-4-4-12 lowercase hex) whose 4 separators are all sep
 * ('-' in the cgroupfs driver and the log directories, '_' in systemd slice names), or the
 * 32 lowercase hex digits the kubelet gives static pods. Copies the canonical form (dashes)
 * into out (at least 37 bytes). false, out untouched, for anything else.
 */
bool hp_k8s__pod_uid(const char *s, size_t n, char sep, char *out);
/* s[0..n) is a container id: exactly 64 lowercase hex digits. */
bool hp_k8s__container_id(const char *s, size_t n);

#endif
