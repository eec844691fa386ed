/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser for the text of /proc/PID/maps, kept apart from the symbolizer as a pure function of a
 * buffer so that it can be unit-tested and fuzzed: the file comes from processes we do not trust. */
#ifndef HOSTPROF_PROC_MAPS_H
#define HOSTPROF_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_PROC_MAP_R 0x1u
#define HP_PROC_MAP_W 0x2u
#define HP_PROC_MAP_X 0x4u
#define HP_PROC_MAP_SHARED 0x8u /* 's' instead of 'p' */

/* One line of a maps file. */
struct hp_proc_map {
	uint64_t start, end; /* [start, end), bytes of virtual memory; start < end */
	uint64_t offset;     /* file offset of start (0 or the page offset for anonymous memory) */
	uint64_t dev;	     /* major << 32 | minor, as listed (0 for anonymous memory) */
	uint64_t ino;	     /* inode number, 0 for anonymous memory */
	unsigned int perms;  /* HP_PROC_MAP_* bits */
	bool deleted;	     /* the path ended in " (deleted)", which is stripped from path */
	/* Path as the kernel printed it for the reader ("/usr/lib/libc.so.6"), a pseudo name
	 * ("[vdso]", "[heap]", "[anon:name]", "/memfd:x") or "" for anonymous memory; points into
	 * storage owned by the hp_proc_maps. */
	const char *path;
};

struct hp_proc_maps {
	struct hp_proc_map *maps; /* in file order, which the parser checks to be ascending and
				     non-overlapping (binary search over it is valid) */
	size_t n;
	size_t err_line; /* on -EINVAL: the 1-based line that failed, else 0 */
	char *strings;	 /* storage for the paths */
};

/*
 * Parses len bytes of maps text at buf (need not be NUL-terminated; a last line without '\n' is
 * accepted; blank lines are not). Fills *out (free with hp_proc_maps__free, also after an error).
 * Returns 0, -EINVAL on a malformed line (out->err_line tells which: bad numbers, perms that are
 * not [r-][w-][x-][ps], start >= end, or a mapping that starts before the previous one ends),
 * -E2BIG if there are more than max_maps lines, -ENOMEM.
 */
int hp_proc_maps__parse(const char *buf, size_t len, size_t max_maps, struct hp_proc_maps *out);
void hp_proc_maps__free(struct hp_proc_maps *m);

#endif
