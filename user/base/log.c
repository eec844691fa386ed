// SPDX-License-Identifier: GPL-2.0-only
/* Leveled, timestamped logging to stderr, and the libbpf print hook. One fprintf per line keeps
 * lines from different threads from interleaving. */
#include "log.h"

#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum hp_log_level min_level = HP_LOG_INFO;

/* hp_log__hold: lines kept while held, up to HOLD_MAX bytes */
#define HOLD_MAX (64u << 10)
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static bool holding;
static char *held;
static size_t held_len;

/* hp_log__fold_begin: this thread's fold, if any */
static _Thread_local char *fold_first;
static _Thread_local size_t fold_size;
static _Thread_local bool folding;

void hp_log__set_level(enum hp_log_level level)
{
	min_level = level;
}

/* Keeps or prints one finished line (with its newline). */
static void hp_log__emit(const char *line, size_t len)
{
	pthread_mutex_lock(&hold_lock);
	if (holding) {
		if (!held)
			held = malloc(HOLD_MAX);
		if (held && held_len + len <= HOLD_MAX) {
			memcpy(held + held_len, line, len);
			held_len += len;
			pthread_mutex_unlock(&hold_lock);
			return;
		}
		/* full (or no memory): what is held goes out first, in order, then this line */
		if (held_len)
			fwrite(held, 1, held_len, stderr);
		held_len = 0;
	}
	fwrite(line, 1, len, stderr);
	pthread_mutex_unlock(&hold_lock);
}

/* Copies the first complaint of a fold, if this thread folds and has none yet. */
static void hp_log__fold_note(const char *text)
{
	if (folding && fold_first && fold_size && !fold_first[0])
		snprintf(fold_first, fold_size, "%s", text);
}

static void hp_log__vmsg(enum hp_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char line[1024], stamp[32], out[1100];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;

	if (level < min_level && !(folding && level >= HP_LOG_WARN))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (folding && level >= HP_LOG_WARN) {
		hp_log__fold_note(line);
		level = HP_LOG_DEBUG;
		if (level < min_level)
			return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(out, sizeof(out), "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000,
		     names[level], line);
	if (w < 0)
		return;
	if ((size_t)w >= sizeof(out)) { /* cut: keep the newline */
		w = (int)sizeof(out) - 1;
		out[w - 1] = '\n';
	}
	hp_log__emit(out, (size_t)w);
}

void hp_log__msg(enum hp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hp_log__vmsg(level, fmt, ap);
	va_end(ap);
}

static int hp_log__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings during feature probing are expected; show them only when verbose.
	 * Inside a fold its first warning (e.g. "prog 'x': BPF program load failed: Invalid
	 * argument") is the complaint the caller's line quotes. */
	if (folding && level == LIBBPF_WARN && fold_first && !fold_first[0]) {
		char text[512];
		va_list copy;
		size_t n;

		va_copy(copy, ap);
		vsnprintf(text, sizeof(text), fmt, copy);
		va_end(copy);
		n = strlen(text);
		while (n && text[n - 1] == '\n')
			text[--n] = '\0';
		hp_log__fold_note(text);
	}
	hp_log__vmsg(HP_LOG_DEBUG, fmt, ap);
	return 0;
}

void hp_log__hook_libbpf(void)
{
	libbpf_set_print(hp_log__libbpf_print);
}

void hp_log__hold(void)
{
	pthread_mutex_lock(&hold_lock);
	holding = true;
	pthread_mutex_unlock(&hold_lock);
}

void hp_log__release(bool print)
{
	pthread_mutex_lock(&hold_lock);
	if (print && held_len)
		fwrite(held, 1, held_len, stderr);
	free(held);
	held = NULL;
	held_len = 0;
	holding = false;
	pthread_mutex_unlock(&hold_lock);
}

void hp_log__fold_begin(char *first, size_t size)
{
	fold_first = first;
	fold_size = size;
	if (first && size)
		first[0] = '\0';
	folding = true;
}

void hp_log__fold_end(void)
{
	folding = false;
	fold_first = NULL;
	fold_size = 0;
}
