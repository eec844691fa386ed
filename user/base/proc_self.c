// SPDX-License-Identifier: GPL-2.0-only
/* /proc/self readers (see proc_self.h): the parsers are pure functions over the file's text so
 * the unit tests and tests/fuzz/fuzz_proc_stat.c can feed them anything. */
#include "proc_self.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "readfile.h"

/* One decimal field at *p (< end; a '-' first if negative_ok), then the space or newline that
 * follows (or, unless sep, the end); advances *p past it. */
static bool proc__field(const char **p, const char *end, bool negative_ok, bool sep,
			unsigned long long *v, bool *neg)
{
	const char *s = *p;
	unsigned long long x = 0;
	bool minus = false;

	if (negative_ok && s < end && *s == '-') {
		minus = true;
		s++;
	}
	if (s == end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (x > (~0ULL - d) / 10)
			return false; /* does not fit */
		x = x * 10 + d;
	}
	if (s < end ? *s != ' ' && *s != '\n' : sep)
		return false; /* a cut text ends inside its last field: not taken as a number */
	*p = s < end ? s + 1 : s;
	*v = x;
	if (neg)
		*neg = minus;
	return true;
}

/* Skips one space-separated field of any content (state, flags, ...). */
static bool proc__skip(const char **p, const char *end)
{
	const char *s = *p;

	if (s == end || *s == ' ')
		return false;
	while (s < end && *s != ' ')
		s++;
	*p = s < end ? s + 1 : s;
	return true;
}

int hp_proc_stat__parse(const char *text, size_t len, struct hp_proc_stat *out)
{
	const char *end = text + len, *p = NULL;
	unsigned long long v;
	bool neg;

	for (const char *s = text; s < end; s++) /* the comm ends at the last ')' */
		if (*s == ')')
			p = s;
	if (!p || end - p < 2 || p[1] != ' ')
		return -EINVAL;
	p += 2; /* now at field 3, the state */
	memset(out, 0, sizeof(*out));
	for (int field = 3; field <= 24; field++) {
		switch (field) {
		case 14:
		case 15:
		case 22:
		case 23:
			if (!proc__field(&p, end, false, true, &v, NULL))
				return -EINVAL;
			if (field == 14)
				out->utime_ticks = v;
			else if (field == 15)
				out->stime_ticks = v;
			else if (field == 22)
				out->starttime_ticks = v;
			else
				out->vsize_bytes = v;
			break;
		case 24:
			if (!proc__field(&p, end, true, true, &v, &neg) || v > ~0ULL >> 1)
				return -EINVAL;
			out->rss_pages = neg ? -(long long)v : (long long)v;
			break;
		default:
			if (!proc__skip(&p, end))
				return -EINVAL;
		}
	}
	return 0;
}

int hp_proc_stat__btime(const char *text, size_t len, unsigned long long *btime)
{
	const char *end = text + len, *line = text;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;

		if (stop - line > 6 && memcmp(line, "btime ", 6) == 0) {
			const char *p = line + 6;

			return proc__field(&p, stop, false, false, btime, NULL) && p == stop
				   ? 0
				   : -EINVAL;
		}
		line = nl ? nl + 1 : end;
	}
	return -EINVAL;
}

/* Entries of /proc/self/fd but the directory's own descriptor; a negative errno on failure. */
static int proc__open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, own;

	if (!d)
		return -errno;
	own = dirfd(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != own)
			n++;
	closedir(d);
	return n;
}

int hp_proc_self__read(struct hp_proc_self *out)
{
	struct hp_proc_stat st;
	unsigned long long btime;
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	size_t len;
	char *text;
	int err, fds;

	if (ticks <= 0 || page <= 0)
		return -EINVAL;
	text = hp_readfile__path("/proc/self/stat", 4096, &len);
	if (!text)
		return -errno;
	err = hp_proc_stat__parse(text, len, &st);
	free(text);
	if (err)
		return err;
	text = hp_readfile__path("/proc/stat", 1 << 20, &len);
	if (!text)
		return -errno;
	err = hp_proc_stat__btime(text, len, &btime);
	free(text);
	if (err)
		return err;
	fds = proc__open_fds();
	if (fds < 0)
		return fds;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	out->cpu_seconds = (double)(st.utime_ticks + st.stime_ticks) / (double)ticks;
	out->resident_bytes = (double)st.rss_pages * (double)page;
	out->virtual_bytes = (double)st.vsize_bytes;
	out->open_fds = fds;
	out->max_fds = (double)rl.rlim_cur; /* RLIM_INFINITY: 2^64 - 1, as the clients report it */
	out->start_time_seconds = (double)btime + (double)st.starttime_ticks / (double)ticks;
	return 0;
}
