/* SPDX-License-Identifier: GPL-2.0-only */
/* Leveled logging to stderr with timestamps; the agent's start-up log is the record of which
 * kernel features were probed and which attach path each program took. */
#ifndef HOSTPROF_LOG_H
#define HOSTPROF_LOG_H

enum hp_log_level { HP_LOG_DEBUG, HP_LOG_INFO, HP_LOG_WARN, HP_LOG_ERROR };

void hp_log__set_level(enum hp_log_level level);
void hp_log__msg(enum hp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Routes libbpf's own messages through hp_log (debug level unless verbose). */
void hp_log__hook_libbpf(void);

#define hp_debug(...) hp_log__msg(HP_LOG_DEBUG, __VA_ARGS__)
#define hp_info(...) hp_log__msg(HP_LOG_INFO, __VA_ARGS__)
#define hp_warn(...) hp_log__msg(HP_LOG_WARN, __VA_ARGS__)
#define hp_error(...) hp_log__msg(HP_LOG_ERROR, __VA_ARGS__)

#endif
