// SPDX-License-Identifier: GPL-2.0-only
/* --pid validation (see target_pid.h): reads /proc/PID/status once at start-up, so a typo or a
 * thread id fails with a sentence instead of an empty profile. */
#include "target_pid.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"

long hp_target_pid__parse_tgid(const char *status, size_t len)
{
	static const char key[] = "Tgid:";
	const size_t klen = sizeof(key) - 1;
	size_t i = 0;

	while (i < len) {
		const char *line = status + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		if (n > klen && memcmp(line, key, klen) == 0) {
			long v = 0;
			size_t j = klen, digits = 0;

			while (j < n && (line[j] == ' ' || line[j] == '\t'))
				j++;
			for (; j < n && line[j] >= '0' && line[j] <= '9'; j++, digits++) {
				if (v > (LONG_MAX - 9) / 10)
					return -EINVAL;
				v = v * 10 + (line[j] - '0');
			}
			return digits && j == n ? v : -EINVAL;
		}
		i += n + 1;
	}
	return -EINVAL;
}

int hp_target_pid__check(const char *proc_root, pid_t pid, char *msg, size_t msglen)
{
	char path[PATH_MAX];
	size_t len;
	char *status;
	long tgid;

	snprintf(path, sizeof(path), "%s/%d/status", proc_root ? proc_root : "/proc", (int)pid);
	status = hp_readfile__path(path, 1 << 16, &len);
	if (!status) {
		int err = errno;

		if (err == ENOENT || err == ESRCH) {
			snprintf(msg, msglen, "--pid %d: no such process", (int)pid);
			return -ESRCH;
		}
		snprintf(msg, msglen, "--pid %d: cannot read %s: %s", (int)pid, path,
			 strerror(err));
		return -err;
	}
	tgid = hp_target_pid__parse_tgid(status, len);
	free(status);
	if (tgid < 0) {
		snprintf(msg, msglen, "--pid %d: %s has no Tgid line", (int)pid, path);
		return -EINVAL;
	}
	if (tgid != pid) {
		snprintf(
		    msg, msglen,
		    "--pid %d is a thread of process %ld: pass --pid %ld (filters select whole "
		    "processes)",
		    (int)pid, tgid, tgid);
		return -EINVAL;
	}
	return 0;
}

char hp_target_pid__parse_state(const char *stat, size_t len)
{
	const char *close = NULL;

	for (size_t i = 0; i < len; i++)
		if (stat[i] == ')')
			close = stat + i;
	if (!close || (size_t)(close - stat) + 2 >= len || close[1] != ' ')
		return 0;
	return close[2];
}

bool hp_target_pid__running(const char *proc_root, pid_t pid)
{
	char path[PATH_MAX];
	size_t len;
	char *stat, state;

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root ? proc_root : "/proc", (int)pid);
	stat = hp_readfile__path(path, 1 << 16, &len);
	if (!stat)
		return errno != ENOENT && errno != ESRCH; /* unreadable: assume it runs */
	state = hp_target_pid__parse_state(stat, len);
	free(stat);
	return state != 'Z' && state != 'X' && state != 'x';
}
