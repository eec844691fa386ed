// SPDX-License-Identifier: GPL-2.0-only
/* Leveled, timestamped logging to stderr, and the libbpf print hook. One fprintf per line keeps
 * lines from different threads from interleaving. */
#include "log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum hp_log_level min_level = HP_LOG_INFO;

void hp_log__set_level(enum hp_log_level level)
{
	min_level = level;
}

static void hp_log__vmsg(enum hp_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, names[level], line);
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
	/* libbpf's warnings during feature probing are expected; show them only when verbose. */
	(void)level;
	hp_log__vmsg(HP_LOG_DEBUG, fmt, ap);
	return 0;
}

void hp_log__hook_libbpf(void)
{
	libbpf_set_print(hp_log__libbpf_print);
}
