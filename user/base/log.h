/* SPDX-License-Identifier: GPL-2.0-only */
/* Leveled logging to stderr with timestamps; the agent's start-up log is the record of which
 * kernel features were probed and which attach path each program took. */
#ifndef HOSTPROF_LOG_H
#define HOSTPROF_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum hp_log_level { HP_LOG_DEBUG, HP_LOG_INFO, HP_LOG_WARN, HP_LOG_ERROR };

void hp_log__set_level(enum hp_log_level level);
void hp_log__msg(enum hp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Routes libbpf's own messages through hp_log (debug level unless verbose). */
void hp_log__hook_libbpf(void);

/*
 * Start-up quiet: from hp_log__hold() on, the lines that would be printed are kept in memory
 * (up to 64 KiB; beyond, what is held is printed and the rest goes out as usual), and
 * hp_log__release(print) prints them (true) or drops them (false). A start-up failure then
 * prints its one line alone, a successful start-up its whole log.
 */
void hp_log__hold(void);
void hp_log__release(bool print);
/*
 * Folds one step's complaints into the caller's own line: between hp_log__fold_begin() and
 * hp_log__fold_end(), warn and error lines of the calling thread (and libbpf's warnings) are
 * logged at debug level instead (shown with -v), and the text of the first one is copied into
 * first (size bytes; "" while there is none). One fold per thread at a time.
 */
void hp_log__fold_begin(char *first, size_t size);
void hp_log__fold_end(void);

#define hp_debug(...) hp_log__msg(HP_LOG_DEBUG, __VA_ARGS__)
#define hp_info(...) hp_log__msg(HP_LOG_INFO, __VA_ARGS__)
#define hp_warn(...) hp_log__msg(HP_LOG_WARN, __VA_ARGS__)
#define hp_error(...) hp_log__msg(HP_LOG_ERROR, __VA_ARGS__)

#endif
