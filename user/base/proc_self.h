/* SPDX-License-Identifier: GPL-2.0-only */
/* The agent's own process figures (CPU time, memory, file descriptors, start time) read from
 * /proc/self, as the Prometheus clients' standard process_* metrics report them. */
#ifndef HOSTPROF_PROC_SELF_H
#define HOSTPROF_PROC_SELF_H

#include <stddef.h>

/* The fields of /proc/PID/stat that the process metrics use (proc(5) numbering). */
struct hp_proc_stat {
	unsigned long long utime_ticks;	    /* (14) user CPU time, clock ticks */
	unsigned long long stime_ticks;	    /* (15) system CPU time, clock ticks */
	unsigned long long starttime_ticks; /* (22) start, clock ticks after boot */
	unsigned long long vsize_bytes;	    /* (23) virtual memory size */
	long long rss_pages;		    /* (24) resident set size, pages */
};

/*
 * Parses the text of /proc/PID/stat (len bytes, need not be NUL-terminated). The command name
 * (2) is skipped up to the last ')' of the text, since it may hold spaces and parentheses.
 * 0, or -EINVAL if the text is cut short or a field is not a number.
 */
int hp_proc_stat__parse(const char *text, size_t len, struct hp_proc_stat *out);
/* The "btime N" line of /proc/stat (len bytes): boot time, Unix seconds. 0 or -EINVAL. */
int hp_proc_stat__btime(const char *text, size_t len, unsigned long long *btime);

/* The Prometheus process metrics' values. */
struct hp_proc_self {
	double cpu_seconds;	   /* user + system CPU time */
	double resident_bytes;	   /* resident set size */
	double virtual_bytes;	   /* virtual memory size */
	double open_fds;	   /* entries of /proc/self/fd, the one reading it excluded */
	double max_fds;		   /* RLIMIT_NOFILE soft limit */
	double start_time_seconds; /* Unix time the process started (boot time + starttime) */
};

/* Reads /proc/self/stat, /proc/stat, /proc/self/fd and RLIMIT_NOFILE. 0 or a negative errno. */
int hp_proc_self__read(struct hp_proc_self *out);

#endif
