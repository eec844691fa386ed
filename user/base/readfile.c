// SPDX-License-Identifier: GPL-2.0-only
/* Whole-file reads for procfs/sysfs (see readfile.h). Grows by doubling from 16 KiB, which holds
 * most /proc/PID/maps files in one read. */
#include "readfile.h"
#include "safe_open.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

char *hp_readfile__fd(int fd, size_t max, size_t *len)
{
	size_t n = 0, cap = max < 16384 ? max : 16384;
	char *buf = malloc(cap + 1);

	if (!buf)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb, probe;

			if (cap >= max) {
				/* exactly max bytes is fine; one more is not */
				do
					r = read(fd, &probe, 1);
				while (r < 0 && errno == EINTR);
				if (r == 0)
					break;
				free(buf);
				errno = r < 0 ? errno : EFBIG;
				return NULL;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;

			free(buf);
			errno = err;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *hp_readfile__path(const char *path, size_t max, size_t *len)
{
	/* the kernel makes these files, yet non-blocking and checked all the same */
	return hp_safe_open__read(
	    path, &(struct hp_safe_open_opts){ .no_symlinks = true, .kernel_file = true }, max,
	    len);
}
