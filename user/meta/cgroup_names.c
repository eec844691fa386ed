// SPDX-License-Identifier: GPL-2.0-only
/* cgroup id -> path cache (see cgroup_names.h). On cgroup v2 the id is the inode number of the
 * cgroup's directory, which is what lets a path read from /proc be verified against the id. */
#include "cgroup_names.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/readfile.h"

int hp_cgroup_names__init(struct hp_cgroup_names *c, const char *mounts)
{
	FILE *f = setmntent(mounts ? mounts : "/proc/self/mounts", "r");
	struct mntent *m;

	memset(c, 0, sizeof(*c));
	while (f && (m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			c->root = strdup(m->mnt_dir);
			break;
		}
	}
	if (f)
		endmntent(f);
	return 0;
}

void hp_cgroup_names__free(struct hp_cgroup_names *c)
{
	free(c->root);
	c->root = NULL;
}

int hp_cgroup_names__parse(const char *text, char *out, size_t size)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > 3 && strncmp(line, "0::", 3) == 0) {
			len -= 3;
			if (len >= size)
				return -ENAMETOOLONG;
			memcpy(out, line + 3, len);
			out[len] = '\0';
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/*
 * The path of cgroup id found from the id alone: a cgroup v2 id is its kernfs node id, which
 * open_by_handle_at() takes as a file handle of type FILEID_KERNFS (0xfe, 8 bytes; kernel commit
 * aa8188253474 "kernfs: add exportfs operations") on the cgroup2 mount; the opened directory's
 * /proc/self/fd link is its path. Needs CAP_DAC_READ_SEARCH. 0 or a negative errno.
 */
static int cgroup__path_by_id(const char *root, uint64_t id, char *out, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], full[HP_CGROUP_PATH_MAX * 2];
	size_t rlen = strlen(root);
	int mfd, fd, err = 0;
	ssize_t n;

	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = 0xfe;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(mfd);
	if (err)
		return err;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	full[n] = '\0';
	/* under the mount point, as /proc/PID/cgroup writes it ("/" for the root cgroup) */
	if (strncmp(full, root, rlen) != 0 || (full[rlen] != '/' && full[rlen] != '\0'))
		return -EXDEV;
	if (snprintf(out, size, "%s", full[rlen] ? full + rlen : "/") >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

const char *hp_cgroup_names__path(struct hp_cgroup_names *c, const char *proc_root, uint64_t id,
				  pid_t tgid)
{
	unsigned int slot = (unsigned int)(id % HP_CGROUP_NAMES_SLOTS);
	char file[64], path[HP_CGROUP_PATH_MAX], full[HP_CGROUP_PATH_MAX * 2];
	struct stat st;
	size_t len;
	char *text;
	int err;

	if (!id)
		return NULL;
	if (c->slots[slot].id == id)
		return c->slots[slot].path;
	/*
	 * The id alone first: exact, needs no process (events without a task, e.g. TCP; processes
	 * that have exited) and gives the path under the mount even where /proc/PID/cgroup is
	 * relative to a cgroup namespace ("/../../kubepods.slice/...", the DaemonSet's view of
	 * other pods). /proc/PID/cgroup is the fallback without CAP_DAC_READ_SEARCH.
	 */
	if (c->root && cgroup__path_by_id(c->root, id, path, sizeof(path)) == 0) {
		c->slots[slot].id = id;
		memcpy(c->slots[slot].path, path, sizeof(path));
		return c->slots[slot].path;
	}
	if (tgid <= 0)
		return NULL;
	snprintf(file, sizeof(file), "%s/%d/cgroup", proc_root ? proc_root : "/proc", (int)tgid);
	text = hp_readfile__path(file, 64 * 1024, &len);
	if (!text)
		return NULL;
	err = hp_cgroup_names__parse(text, path, sizeof(path));
	free(text);
	if (err)
		return NULL;
	if (c->root) {
		snprintf(full, sizeof(full), "%s%s", c->root, path);
		if (stat(full, &st) != 0 || (uint64_t)st.st_ino != id)
			return NULL;
	}
	c->slots[slot].id = id;
	memcpy(c->slots[slot].path, path, sizeof(path));
	return c->slots[slot].path;
}
