// SPDX-License-Identifier: GPL-2.0-only
/* cgroup v2 path -> pod UID, container id, runtime, QoS or systemd service (see workload.h), so
 * a profile can name the pod that burned CPU without asking the API server. */
#include "workload.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "k8s_names.h"

/* One path component: [p, p + n). */
struct wl_comp {
	const char *p;
	size_t n;
};

static bool wl__eq(struct wl_comp c, const char *s)
{
	return c.n == strlen(s) && memcmp(c.p, s, c.n) == 0;
}

static bool wl__has_suffix(struct wl_comp c, const char *s)
{
	size_t n = strlen(s);

	return c.n >= n && memcmp(c.p + c.n - n, s, n) == 0;
}

static bool wl__has_prefix(struct wl_comp c, const char *s)
{
	size_t n = strlen(s);

	return c.n >= n && memcmp(c.p, s, n) == 0;
}

/* c is s or ends with "-" s: a kubepods slice nested below another slice (kind's kubelet.slice
 * names its children "kubelet-kubepods..."). */
static bool wl__is_or_ends_dash(struct wl_comp c, const char *s)
{
	size_t n = strlen(s);

	if (!wl__has_suffix(c, s))
		return false;
	return c.n == n || c.p[c.n - n - 1] == '-';
}

/* The QoS of a systemd slice stem ("...kubepods", "...kubepods-burstable"): NULL if it is not
 * a kubepods stem. */
static const char *wl__systemd_qos(struct wl_comp stem)
{
	if (wl__is_or_ends_dash(stem, "kubepods"))
		return "guaranteed";
	if (wl__is_or_ends_dash(stem, "kubepods-burstable"))
		return "burstable";
	if (wl__is_or_ends_dash(stem, "kubepods-besteffort"))
		return "besteffort";
	return NULL;
}

/*
 * A systemd-driver pod slice "<stem>-pod<uid with _>.slice". Its parent, when the path shows it
 * (not ".." of a cgroup namespace), must be "<stem>.slice": systemd names a slice after its
 * whole ancestry, so anything else was not made by the kubelet.
 */
static bool wl__systemd_pod(struct wl_comp c, const struct wl_comp *parent,
			    struct hp_cgroup_ident *out)
{
	struct wl_comp body, stem;
	const char *qos;
	size_t k;

	if (!wl__has_suffix(c, ".slice"))
		return false;
	body = (struct wl_comp){ c.p, c.n - 6 };
	for (k = body.n; k >= 4; k--)
		if (memcmp(body.p + k - 4, "-pod", 4) == 0)
			break;
	if (k < 4)
		return false;
	stem = (struct wl_comp){ body.p, k - 4 };
	qos = wl__systemd_qos(stem);
	if (!qos)
		return false;
	if (parent && !wl__eq(*parent, "..") &&
	    !(parent->n == stem.n + 6 && memcmp(parent->p, stem.p, stem.n) == 0 &&
	      memcmp(parent->p + stem.n, ".slice", 6) == 0))
		return false;
	if (!hp_k8s__pod_uid(body.p + k, body.n - k, '_', out->pod_uid))
		return false;
	out->qos = qos;
	return true;
}

/* A cgroupfs-driver pod directory "pod<uid>" below "kubepods" (guaranteed) or
 * "kubepods/<qos>"; ".." (a cgroup namespace's view) stands for any ancestor. */
static bool wl__cgroupfs_pod(struct wl_comp c, const struct wl_comp *parent,
			     const struct wl_comp *grand, struct hp_cgroup_ident *out)
{
	const char *qos;

	if (!parent || !wl__has_prefix(c, "pod"))
		return false;
	if (wl__eq(*parent, "kubepods"))
		qos = "guaranteed";
	else if (wl__eq(*parent, "burstable") || wl__eq(*parent, "besteffort"))
		qos = parent->p[1] == 'u' ? "burstable" : "besteffort";
	else if (wl__eq(*parent, ".."))
		qos = "";
	else
		return false;
	if (qos[0] && qos[0] != 'g' &&
	    !(grand && (wl__eq(*grand, "kubepods") || wl__eq(*grand, ".."))))
		return false;
	if (!hp_k8s__pod_uid(c.p + 3, c.n - 3, '-', out->pod_uid))
		return false;
	out->qos = qos;
	return true;
}

/* The component below a pod: a container ("<runtime>-<id>.scope" for systemd, "<id>" or
 * "crio-<id>" for cgroupfs) or not (crio's conmon, anything else: the pod itself). */
static void wl__container(struct wl_comp c, bool systemd, struct hp_cgroup_ident *out)
{
	static const struct {
		const char *prefix, *runtime;
	} rt[] = { { "cri-containerd-", "containerd" },
		   { "crio-", "cri-o" },
		   { "docker-", "docker" } };
	struct wl_comp id = c;
	const char *runtime = "";

	if (systemd) {
		if (!wl__has_suffix(c, ".scope"))
			return;
		id.n -= 6;
	}
	if (wl__has_prefix(id, "crio-conmon-"))
		return; /* the pod's monitor process, not the container */
	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		if (!wl__has_prefix(id, rt[i].prefix))
			continue;
		if (!systemd && rt[i].runtime[0] != 'c')
			continue; /* cgroupfs: bare ids, and cri-o's "crio-<id>" */
		runtime = rt[i].runtime;
		id.p += strlen(rt[i].prefix);
		id.n -= strlen(rt[i].prefix);
		break;
	}
	if (systemd && !runtime[0])
		return;
	if (!hp_k8s__container_id(id.p, id.n))
		return;
	memcpy(out->container_id, id.p, id.n);
	out->container_id[id.n] = '\0';
	out->runtime = runtime;
	out->kind = HP_WL_CONTAINER;
}

/* A systemd unit name without ".service": [A-Za-z0-9:_.\@-], not starting with '@'. */
static bool wl__service(struct wl_comp c, char *out)
{
	size_t n;

	if (!wl__has_suffix(c, ".service"))
		return false;
	n = c.n - 8;
	if (n == 0 || n >= HP_SERVICE_MAX || c.p[0] == '@')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = c.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(":_.\\@-", ch)))
			return false;
	}
	memcpy(out, c.p, n);
	out[n] = '\0';
	return true;
}

void hp_cgroup_ident__parse(const char *path, struct hp_cgroup_ident *out)
{
	struct wl_comp comp[3] = { { 0 } }; /* the current component, its parent, grandparent */
	size_t depth = 0;
	bool delegated = false, pod = false, systemd = false;
	char service[HP_SERVICE_MAX] = "";

	memset(out, 0, sizeof(*out));
	out->runtime = "";
	out->qos = "";
	if (!path)
		return;
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct wl_comp c = { p, n };

		p += n + (e != NULL);
		if (n == 0 || wl__eq(c, "."))
			continue;
		if (pod) { /* the component below the pod decides; deeper ones do not matter */
			wl__container(c, systemd, out);
			return;
		}
		comp[2] = comp[1];
		comp[1] = comp[0];
		comp[0] = c;
		depth++;
		/*
		 * Users and delegated services may create cgroups of any name below their own: a
		 * kubepods-looking name there is not the kubelet's. The outermost match wins, so
		 * a name forged inside a container stays that container's.
		 */
		if (!delegated && wl__systemd_pod(c, depth > 1 ? &comp[1] : NULL, out))
			systemd = pod = true;
		else if (!delegated && wl__cgroupfs_pod(c, depth > 1 ? &comp[1] : NULL,
							depth > 2 ? &comp[2] : NULL, out))
			pod = true;
		if (pod) {
			out->kind = HP_WL_POD;
			continue;
		}
		if (wl__eq(c, "user.slice"))
			delegated = true;
		else if (!delegated && wl__has_suffix(c, ".service")) {
			(void)wl__service(c, service); /* "" for a name systemd would not make */
			delegated = true;	       /* its subtree may be delegated */
		}
	}
	if (pod)
		return;
	if (service[0]) {
		snprintf(out->service, sizeof(out->service), "%s", service);
		out->kind = HP_WL_SERVICE;
	}
}
