// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the parsers of HTTP query and CLI values (durations, integers, listen
 * addresses, thread-state filters): they take input from any client that reaches the port. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http.h"
#include "base/params.h"
#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct sockaddr_storage ss;
	unsigned long long v;
	unsigned int len;
	double d;
	int state;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hp_params__duration(s, false, 3600, &d) == 0 && !(d > 0 && d <= 3600))
		__builtin_trap(); /* accepted out of range (or NaN) */
	if (hp_params__duration(s, true, 86400, &d) == 0 && !(d >= 0 && d <= 86400))
		__builtin_trap();
	if (hp_params__uint(s, 1, 1000, &v) == 0 && (v < 1 || v > 1000))
		__builtin_trap();
	(void)hp_params__uint(s, 0, ULLONG_MAX, &v);
	if (hp_http__parse_listen(s, &ss, &len) == 0 && (len == 0 || len > sizeof(ss)))
		__builtin_trap();
	state = hp_state_filter__parse(s); /* state=: one of three words or an error */
	if (state >= 0 && strcmp(s, "blocked") && strcmp(s, "runnable") && strcmp(s, "all"))
		__builtin_trap();
	free(s);
	return 0;
}
