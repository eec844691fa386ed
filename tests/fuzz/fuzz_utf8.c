// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the one U+FFFD rule (base/utf8.h) and the writers that use it: whatever
 * bytes a thread or symbol name holds, folded, JSON and metrics output must be valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/json_str.h"
#include "base/utf8.h"
#include "export/export.h"
#include "export/prom.h"

static void check_valid(const struct hp_buf *b)
{
	if (b->oom || !hp_utf8__valid(b->data ? b->data : "", b->len))
		__builtin_trap();
}

/* The name as a thread and a function name: the folded text is one valid line. */
static void fuzz_folded(const char *name)
{
	struct hp_export_opts by_thread = { .group_by = HP_GROUP_BY_THREAD };
	struct hp_prof_frame f = { .function = name, .address = 1 };
	struct hp_prof_labels l = { .pid = 1, .process = name, .thread = name, .cgroup = name };
	struct hp_profile p;
	struct hp_buf out;
	int64_t fr;

	hp_profile__init(&p, NULL, 0);
	hp_buf__init(&out);
	fr = hp_profile__frame(&p, &f);
	if (fr >= 0) {
		uint32_t id = (uint32_t)fr;

		if (hp_profile__add(&p, &l, &id, 1, 3, 3) == 0 &&
		    hp_export__render(&p, HP_EXPORT_FOLDED, &by_thread, &out) == 0) {
			check_valid(&out);
			/* one line: ';' and '\n' in names were replaced */
			if (!out.len || strchr(out.data, '\n') != out.data + out.len - 1)
				__builtin_trap();
		}
	}
	hp_buf__free(&out);
	hp_profile__free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct hp_buf out;
	cJSON *j;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* raw bytes, NULs included: valid output; valid input unchanged */
	hp_buf__init(&out);
	hp_utf8__append(&out, s, size);
	check_valid(&out);
	if (hp_utf8__valid(s, size) && (out.len != size || memcmp(out.data, s, size) != 0))
		__builtin_trap();
	hp_buf__free(&out);

	/* the C-string writers: a JSON string that parses, a label value that is UTF-8 */
	hp_buf__init(&out);
	hp_json__string(&out, s);
	check_valid(&out);
	j = cJSON_Parse(out.data);
	if (!j || !cJSON_IsString(j))
		__builtin_trap();
	cJSON_Delete(j);
	hp_buf__reset(&out);
	hp_prom__escape(&out, s);
	check_valid(&out);
	hp_buf__free(&out);

	fuzz_folded(s);
	free(s);
	return 0;
}
