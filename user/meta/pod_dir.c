// SPDX-License-Identifier: GPL-2.0-only
/* The kubelet's pod log directories as a pod UID -> namespace/pod/container index (see
 * pod_dir.h): names for profile labels on a node where hostprof has no API server access. */
#include "pod_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fnv.h"
#include "k8s_names.h"

/* Container links kept per pod of the bound (init containers, sidecars, restarts). */
#define POD_DIR_LINKS_PER_POD 16
/* A directory whose mtime is this close to now may still change within the same tick of the
 * file system clock: it is read again at the next refresh. */
#define POD_DIR_RECHECK_NS 2000000000LL

struct pd_pod {
	char uid[HP_POD_UID_MAX];
	char ns[HP_K8S_NAMESPACE_MAX];
	char pod[HP_K8S_POD_MAX];
	char single[HP_K8S_CONTAINER_MAX]; /* the container directory's name if it is the only one */
	unsigned int ncontainers;
	int64_t mtime_ns; /* of the pod's directory at the scan */
};

struct pd_link {
	char id[HP_CONTAINER_ID_MAX];
	char container[HP_K8S_CONTAINER_MAX];
	uint64_t podkey; /* hash of namespace and pod name: a link only names its own pod */
};

struct hp_pod_dir {
	char *dir, *links_dir;
	size_t max_pods;
	struct pd_pod *pods; /* sorted by uid */
	size_t npods;
	struct pd_link *links; /* sorted by id */
	size_t nlinks;
	unsigned long gen;
	uint64_t content;     /* hash of the index, to bump gen only on a change */
	uint64_t fingerprint; /* of the mtimes checked by refresh */
	bool scanned, recheck;
	bool truncated;	   /* the last scan left pods out (max_pods): lookups miss to the dir */
	double last_check; /* CLOCK_MONOTONIC seconds */
	struct hp_pod_dir_stats st;
};

/* Copies s[0..n) into out (n < size known by the caller's checks). */
static void pd__copy(char *out, const char *s, size_t n)
{
	memcpy(out, s, n);
	out[n] = '\0';
}

bool hp_pod_dir__parse_pod(const char *name, char ns[HP_K8S_NAMESPACE_MAX],
			   char pod[HP_K8S_POD_MAX], char uid[HP_POD_UID_MAX])
{
	const char *a = strchr(name, '_'), *b = a ? strchr(a + 1, '_') : NULL;

	if (!b || strchr(b + 1, '_'))
		return false;
	if (!hp_k8s__dns_label(name, (size_t)(a - name)) ||
	    !hp_k8s__dns_subdomain(a + 1, (size_t)(b - a - 1)) ||
	    !hp_k8s__pod_uid(b + 1, strlen(b + 1), '-', uid))
		return false;
	pd__copy(ns, name, (size_t)(a - name));
	pd__copy(pod, a + 1, (size_t)(b - a - 1));
	return true;
}

bool hp_pod_dir__parse_link(const char *name, char ns[HP_K8S_NAMESPACE_MAX],
			    char pod[HP_K8S_POD_MAX], char container[HP_K8S_CONTAINER_MAX],
			    char id[HP_CONTAINER_ID_MAX])
{
	const char *a = strchr(name, '_'), *b = a ? strchr(a + 1, '_') : NULL, *c;
	size_t n;

	if (!b || strchr(b + 1, '_'))
		return false;
	c = b + 1;
	n = strlen(c);
	/* "<container>-<64 hex>.log": at least one name byte, the dash, the id and ".log" */
	if (n < 1 + 1 + 64 + 4 || strcmp(c + n - 4, ".log") != 0 || c[n - 4 - 64 - 1] != '-')
		return false;
	if (!hp_k8s__dns_subdomain(name, (size_t)(a - name)) ||
	    !hp_k8s__dns_label(a + 1, (size_t)(b - a - 1)) ||
	    !hp_k8s__dns_label(c, n - 4 - 64 - 1) || !hp_k8s__container_id(c + n - 4 - 64, 64))
		return false;
	pd__copy(pod, name, (size_t)(a - name));
	pd__copy(ns, a + 1, (size_t)(b - a - 1));
	pd__copy(container, c, n - 4 - 64 - 1);
	pd__copy(id, c + n - 4 - 64, 64);
	return true;
}

static uint64_t pd__podkey(const char *ns, const char *pod)
{
	uint64_t h = hp_fnv1a(HP_FNV1A_SEED, ns, strlen(ns) + 1);

	return hp_fnv1a(h, pod, strlen(pod) + 1);
}

static int pd__cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pd_pod *)a)->uid, ((const struct pd_pod *)b)->uid);
}

static int pd__cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct pd_link *)a)->id, ((const struct pd_link *)b)->id);
}

static double pd__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t pd__mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

struct hp_pod_dir *hp_pod_dir__new(const char *dir, size_t max_pods)
{
	struct hp_pod_dir *d = calloc(1, sizeof(*d));
	const char *slash;

	if (!d)
		return NULL;
	d->dir = strdup(dir);
	/* "/var/log/pods/" is "/var/log/pods": its sibling is not "/var/log/pods/containers" */
	for (size_t n = d->dir ? strlen(d->dir) : 0; n > 1 && d->dir[n - 1] == '/'; n--)
		d->dir[n - 1] = '\0';
	dir = d->dir ? d->dir : dir;
	slash = strrchr(dir, '/');
	/* the sibling "containers" directory: /var/log/pods -> /var/log/containers */
	if (d->dir &&
	    asprintf(&d->links_dir, "%.*scontainers", slash ? (int)(slash - dir + 1) : 0, dir) < 0)
		d->links_dir = NULL;
	d->max_pods = max_pods;
	d->content = HP_FNV1A_SEED; /* an empty index: generation 0 until a pod is seen */
	if (!d->dir || !d->links_dir) {
		hp_pod_dir__free(d);
		return NULL;
	}
	return d;
}

void hp_pod_dir__free(struct hp_pod_dir *d)
{
	if (!d)
		return;
	free(d->dir);
	free(d->links_dir);
	free(d->pods);
	free(d->links);
	free(d);
}

/* Container directories of the pod directory name below dirfd into p. */
static void pd__scan_containers(struct hp_pod_dir *d, int dirfd, const char *name, struct pd_pod *p)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	struct stat st;
	DIR *sub;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		p->mtime_ns = pd__mtime_ns(&st);
	sub = fdopendir(fd);
	if (!sub) {
		close(fd);
		return;
	}
	while ((e = readdir(sub))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (!hp_k8s__dns_label(e->d_name, n)) {
			d->st.malformed++;
			continue;
		}
		if (p->ncontainers++ == 0)
			pd__copy(p->single, e->d_name, n);
	}
	closedir(sub);
	if (p->ncontainers != 1)
		p->single[0] = '\0';
}

/* Reads dir into a new pod array (sorted, unique uids); *n its length. */
static struct pd_pod *pd__scan_pods(struct hp_pod_dir *d, size_t *n)
{
	struct pd_pod *pods = NULL, *p;
	struct dirent *e;
	size_t cap = 0, k = 0;
	DIR *dir = opendir(d->dir);

	*n = 0;
	d->truncated = false;
	if (!dir)
		return NULL;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
			continue;
		if (k == cap) {
			size_t want = cap ? 2 * cap : 64;
			struct pd_pod *grown;

			want = want > d->max_pods ? d->max_pods : want;
			if (want == cap) {
				d->st.over_bound++;
				d->truncated = true;
				continue;
			}
			grown = realloc(pods, want * sizeof(*pods));
			if (!grown)
				break; /* keep what fits: names are best effort */
			pods = grown;
			cap = want;
		}
		p = &pods[k];
		memset(p, 0, sizeof(*p));
		if (!hp_pod_dir__parse_pod(e->d_name, p->ns, p->pod, p->uid)) {
			d->st.malformed++;
			continue;
		}
		pd__scan_containers(d, dirfd(dir), e->d_name, p);
		k++;
	}
	closedir(dir);
	if (!k) {
		free(pods);
		return NULL;
	}
	qsort(pods, k, sizeof(*pods), pd__cmp_pod);
	*n = 1;
	for (size_t i = 1; i < k; i++) {
		if (strcmp(pods[i].uid, pods[*n - 1].uid) == 0) {
			d->st.malformed++; /* one UID under two names: neither is trusted more */
			continue;
		}
		pods[(*n)++] = pods[i];
	}
	return pods;
}

/* Reads the "containers" links into a new array sorted by id (bounded per pod of the bound). */
static struct pd_link *pd__scan_links(struct hp_pod_dir *d, size_t *n)
{
	size_t max = d->max_pods * POD_DIR_LINKS_PER_POD, cap = 0, k = 0;
	char ns[HP_K8S_NAMESPACE_MAX], pod[HP_K8S_POD_MAX];
	struct pd_link *links = NULL, *l;
	DIR *dir = opendir(d->links_dir);
	struct dirent *e;

	*n = 0;
	if (!dir)
		return NULL;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (k == cap) {
			size_t want = cap ? 2 * cap : 64;
			struct pd_link *grown;

			want = want > max ? max : want;
			if (want == cap) {
				d->st.over_bound++;
				continue;
			}
			grown = realloc(links, want * sizeof(*links));
			if (!grown)
				break;
			links = grown;
			cap = want;
		}
		l = &links[k];
		if (!hp_pod_dir__parse_link(e->d_name, ns, pod, l->container, l->id)) {
			d->st.malformed++;
			continue;
		}
		l->podkey = pd__podkey(ns, pod);
		k++;
	}
	closedir(dir);
	if (!k) {
		free(links);
		return NULL;
	}
	qsort(links, k, sizeof(*links), pd__cmp_link);
	*n = k;
	return links;
}

/* Hash of what lookups can return, so an unchanged re-scan keeps the generation. */
static uint64_t pd__content(const struct hp_pod_dir *d)
{
	uint64_t h = HP_FNV1A_SEED;

	for (size_t i = 0; i < d->npods; i++) {
		const struct pd_pod *p = &d->pods[i];

		h = hp_fnv1a(h, p->uid, sizeof(p->uid));
		h = hp_fnv1a(h, p->ns, sizeof(p->ns));
		h = hp_fnv1a(h, p->pod, sizeof(p->pod));
		h = hp_fnv1a(h, p->single, sizeof(p->single));
	}
	for (size_t i = 0; i < d->nlinks; i++)
		h = hp_fnv1a(h, &d->links[i], sizeof(d->links[i]));
	return h;
}

/*
 * Hash of the mtimes that change when a pod or container appears or goes: the pod log dir, the
 * links dir and every indexed pod's directory (a new container directory of an existing pod
 * changes only its pod's). *recent: one of them is too recent to trust (POD_DIR_RECHECK_NS).
 */
static uint64_t pd__fingerprint(const struct hp_pod_dir *d, bool *recent)
{
	uint64_t h = HP_FNV1A_SEED;
	int64_t latest = 0;
	struct timespec now;
	char path[PATH_MAX];

	for (size_t i = 0; i < d->npods + 2; i++) {
		const struct pd_pod *p = i >= 2 ? &d->pods[i - 2] : NULL;
		struct stat st;
		int64_t m = -1;

		if (p)
			snprintf(path, sizeof(path), "%s/%s_%s_%s", d->dir, p->ns, p->pod, p->uid);
		if (stat(p ? path : i == 0 ? d->dir : d->links_dir, &st) == 0) {
			m = pd__mtime_ns(&st);
			latest = m > latest ? m : latest;
			m ^= (int64_t)st.st_ino; /* a directory replaced by another */
		}
		h = hp_fnv1a(h, &m, sizeof(m));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	*recent = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec - latest < POD_DIR_RECHECK_NS;
	return h;
}

unsigned long hp_pod_dir__refresh(struct hp_pod_dir *d, double min_interval)
{
	double now = pd__now();
	struct pd_pod *pods;
	struct pd_link *links;
	size_t npods, nlinks;
	uint64_t fp, content;
	bool recent;

	if (d->scanned && now - d->last_check < min_interval)
		return d->gen;
	d->last_check = now;
	fp = pd__fingerprint(d, &recent);
	if (d->scanned && fp == d->fingerprint && !d->recheck)
		return d->gen;
	pods = pd__scan_pods(d, &npods);
	links = pd__scan_links(d, &nlinks);
	free(d->pods);
	free(d->links);
	d->pods = pods;
	d->npods = npods;
	d->links = links;
	d->nlinks = nlinks;
	d->st.rescans++;
	d->st.pods = npods;
	d->scanned = true;
	/* the pod set may have changed: the fingerprint covers the pods now indexed */
	d->fingerprint = pd__fingerprint(d, &recent);
	d->recheck = recent;
	content = pd__content(d);
	if (content != d->content)
		d->gen++;
	d->content = content;
	return d->gen;
}

/*
 * pod_uid's directory looked for in dir itself, into *p: for a pod the bounded index left out (a
 * node keeps the log directories of finished pods until they are garbage-collected, so thousands
 * may crowd out the running ones). One readdir per call; callers cache the answer per cgroup.
 */
static bool pd__find_unindexed(struct hp_pod_dir *d, const char *pod_uid, struct pd_pod *p)
{
	DIR *dir = opendir(d->dir);
	struct dirent *e;
	bool found = false;

	if (!dir)
		return false;
	while (!found && (e = readdir(dir))) {
		size_t len = strlen(e->d_name), ulen = strlen(pod_uid);

		if (len <= ulen || e->d_name[len - ulen - 1] != '_' ||
		    strcmp(e->d_name + len - ulen, pod_uid) != 0)
			continue;
		memset(p, 0, sizeof(*p));
		if (!hp_pod_dir__parse_pod(e->d_name, p->ns, p->pod, p->uid) ||
		    strcmp(p->uid, pod_uid) != 0)
			continue;
		pd__scan_containers(d, dirfd(dir), e->d_name, p);
		found = true;
	}
	closedir(dir);
	return found;
}

int hp_pod_dir__lookup(struct hp_pod_dir *d, const char *pod_uid, const char *container_id,
		       struct hp_pod_names *out)
{
	struct pd_pod key, *p = NULL, unindexed;
	struct pd_link lkey, *l = NULL;

	memset(out, 0, sizeof(*out));
	if (!d || strlen(pod_uid) >= sizeof(key.uid))
		return -ENOENT;
	snprintf(key.uid, sizeof(key.uid), "%s", pod_uid);
	if (d->npods)
		p = bsearch(&key, d->pods, d->npods, sizeof(*p), pd__cmp_pod);
	if (!p && d->truncated && pd__find_unindexed(d, pod_uid, &unindexed))
		p = &unindexed;
	if (!p)
		return -ENOENT;
	snprintf(out->namespace_, sizeof(out->namespace_), "%s", p->ns);
	snprintf(out->pod, sizeof(out->pod), "%s", p->pod);
	if (!container_id || !container_id[0])
		return 0;
	if (d->nlinks && strlen(container_id) < sizeof(lkey.id)) {
		snprintf(lkey.id, sizeof(lkey.id), "%s", container_id);
		l = bsearch(&lkey, d->links, d->nlinks, sizeof(*l), pd__cmp_link);
	}
	if (l && l->podkey == pd__podkey(p->ns, p->pod))
		snprintf(out->container, sizeof(out->container), "%s", l->container);
	else if (p->ncontainers == 1)
		snprintf(out->container, sizeof(out->container), "%s", p->single);
	return 0;
}

void hp_pod_dir__stats(const struct hp_pod_dir *d, struct hp_pod_dir_stats *out)
{
	*out = d->st;
}
