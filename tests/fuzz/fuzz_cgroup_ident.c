// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the cgroup path reader: any process may name cgroups in a delegated
 * subtree, so any path must give a consistent identity or none, never a malformed label. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/k8s_names.h"
#include "meta/workload.h"

static int fuzz__one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const runtimes[] = { "", "containerd", "cri-o", "docker" };
	static const char *const qos[] = { "", "guaranteed", "burstable", "besteffort" };
	char *path = malloc(size + 1), uid[HP_POD_UID_MAX];
	struct hp_cgroup_ident id;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	memset(&id, 0x5a, sizeof(id));
	hp_cgroup_ident__parse(path, &id);
	if (strnlen(id.pod_uid, sizeof(id.pod_uid)) == sizeof(id.pod_uid) ||
	    strnlen(id.container_id, sizeof(id.container_id)) == sizeof(id.container_id) ||
	    strnlen(id.service, sizeof(id.service)) == sizeof(id.service))
		__builtin_trap(); /* not terminated */
	if (!fuzz__one_of(id.runtime, runtimes, 4) || !fuzz__one_of(id.qos, qos, 4))
		__builtin_trap();
	switch (id.kind) {
	case HP_WL_CONTAINER:
		if (!hp_k8s__container_id(id.container_id, strlen(id.container_id)))
			__builtin_trap();
		/* fallthrough */
	case HP_WL_POD:
		if (!hp_k8s__pod_uid(id.pod_uid, strlen(id.pod_uid), '-', uid) || id.service[0])
			__builtin_trap();
		break;
	case HP_WL_SERVICE:
		if (!id.service[0] || id.pod_uid[0] || id.container_id[0] ||
		    strspn(id.service, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789:_.\\@-") != strlen(id.service))
			__builtin_trap(); /* only what systemd puts in a unit name */
		break;
	case HP_WL_NONE:
		if (id.service[0] || id.pod_uid[0] || id.container_id[0])
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	free(path);
	return 0;
}
