/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2 id -> path, so CPU samples carry the cgroup (container, pod) they ran in as a
 * readable label. Bounded, direct-mapped cache; a miss reads /proc/PID/cgroup. */
#ifndef HOSTPROF_CGROUP_NAMES_H
#define HOSTPROF_CGROUP_NAMES_H

#include <stdint.h>
#include <sys/types.h>

#define HP_CGROUP_NAMES_SLOTS 1024
#define HP_CGROUP_PATH_MAX 256

struct hp_cgroup_names {
	char *root; /* cgroup2 mount point used to verify ids; NULL if none is mounted */
	struct {
		uint64_t id;
		char path[HP_CGROUP_PATH_MAX];
	} slots[HP_CGROUP_NAMES_SLOTS];
};

/* proc_root: "/proc" unless a test points it elsewhere; mounts: "/proc/self/mounts" likewise. */
int hp_cgroup_names__init(struct hp_cgroup_names *c, const char *mounts);
void hp_cgroup_names__free(struct hp_cgroup_names *c);
/*
 * Path of cgroup id under the cgroup2 mount, when not cached: first from the id alone through
 * open_by_handle_at() on the mount (needs CAP_DAC_READ_SEARCH; exact, no process needed, and
 * right inside a cgroup namespace, where /proc/PID/cgroup of other pods reads "/../.."), else
 * from the "0::" line of proc_root/tgid/cgroup (tgid > 0), accepted only if that directory's
 * inode is id (a process that moved since the sample is not mislabelled). NULL when unknown.
 */
const char *hp_cgroup_names__path(struct hp_cgroup_names *c, const char *proc_root, uint64_t id,
				  pid_t tgid);
/* The v2 path in the text of a /proc/PID/cgroup file, copied into out; -ENOENT if no "0::" line. */
int hp_cgroup_names__parse(const char *text, char *out, size_t size);

#endif
