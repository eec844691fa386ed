// SPDX-License-Identifier: GPL-2.0-only
/* Kubernetes name and id checks (see k8s_names.h): labels built from cgroup and directory names
 * that other users may choose must follow the rules the API server itself enforces. */
#include "k8s_names.h"

#include <string.h>

static bool k8s__lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool k8s__hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool hp_k8s__dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !k8s__lower_alnum(s[0]) || !k8s__lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!k8s__lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool hp_k8s__dns_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!hp_k8s__dns_label(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

bool hp_k8s__pod_uid(const char *s, size_t n, char sep, char *out)
{
	if (n == 32) {
		for (size_t i = 0; i < n; i++)
			if (!k8s__hex(s[i]))
				return false;
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !k8s__hex(s[i]))
			return false;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == sep ? '-' : s[i];
	out[n] = '\0';
	return true;
}

bool hp_k8s__container_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!k8s__hex(s[i]))
			return false;
	return true;
}
