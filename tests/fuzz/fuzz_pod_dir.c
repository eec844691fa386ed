// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the kubelet log directory name parsers: the names are outside input, so
 * any name is either refused or gives names that pass the Kubernetes rules, terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/k8s_names.h"
#include "meta/pod_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), ns[HP_K8S_NAMESPACE_MAX], pod[HP_K8S_POD_MAX],
	     c[HP_K8S_CONTAINER_MAX], id[HP_CONTAINER_ID_MAX], uid[HP_POD_UID_MAX],
	     uid2[HP_POD_UID_MAX];

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	memset(ns, 0x5a, sizeof(ns));
	memset(pod, 0x5a, sizeof(pod));
	memset(uid, 0x5a, sizeof(uid));
	if (hp_pod_dir__parse_pod(name, ns, pod, uid) &&
	    (strnlen(ns, sizeof(ns)) == sizeof(ns) || strnlen(pod, sizeof(pod)) == sizeof(pod) ||
	     strnlen(uid, sizeof(uid)) == sizeof(uid) || !hp_k8s__dns_label(ns, strlen(ns)) ||
	     !hp_k8s__dns_subdomain(pod, strlen(pod)) ||
	     !hp_k8s__pod_uid(uid, strlen(uid), '-', uid2)))
		__builtin_trap();
	memset(c, 0x5a, sizeof(c));
	memset(id, 0x5a, sizeof(id));
	if (hp_pod_dir__parse_link(name, ns, pod, c, id) &&
	    (strnlen(c, sizeof(c)) == sizeof(c) || strnlen(id, sizeof(id)) == sizeof(id) ||
	     !hp_k8s__dns_label(ns, strlen(ns)) || !hp_k8s__dns_subdomain(pod, strlen(pod)) ||
	     !hp_k8s__dns_label(c, strlen(c)) || !hp_k8s__container_id(id, strlen(id))))
		__builtin_trap();
	free(name);
	return 0;
}
