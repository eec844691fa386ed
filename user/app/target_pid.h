/* SPDX-License-Identifier: GPL-2.0-only */
/* Checks the process named by --pid before anything is attached: a filter on a pid that does not
 * exist, or on a thread id instead of its process, would record nothing without a word. */
#ifndef HOSTPROF_TARGET_PID_H
#define HOSTPROF_TARGET_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Parses the "Tgid:" line of a /proc/PID/status text (len bytes, need not be NUL-terminated).
 * The thread group id, or -EINVAL when the line is missing or malformed. */
long hp_target_pid__parse_tgid(const char *status, size_t len);

/* 0 when pid is a live thread group leader under proc_root ("/proc" unless a test points it
 * elsewhere). Otherwise a negative errno and one line for the user in msg: -ESRCH (no such
 * process), -EINVAL (pid is a thread of another process; the line names that process), or the
 * error reading proc_root/PID/status. */
int hp_target_pid__check(const char *proc_root, pid_t pid, char *msg, size_t msglen);

/* Whether pid still runs: false once it is gone or a zombie (exited, not yet reaped by its
 * parent; /proc/PID/stat state Z or X, see proc(5)). */
bool hp_target_pid__running(const char *proc_root, pid_t pid);
/* The state letter of a /proc/PID/stat text: the field after the last ')' (comm may hold ')'
 * and spaces). 0 when malformed. */
char hp_target_pid__parse_state(const char *stat, size_t len);

#endif
