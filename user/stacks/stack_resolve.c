// SPDX-License-Identifier: GPL-2.0-only
/* Raw addresses -> profile frames (see stack_resolve.h). Unresolved addresses keep their module
 * and offset ("libfoo.so+0x1234"); only an address in no known mapping is "[unknown]". */
#include "stack_resolve.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *resolve__basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static int resolve__push(struct hp_profile *p, const struct hp_prof_frame *f, uint32_t *frames,
			 uint32_t *n, uint32_t cap)
{
	int64_t idx;

	if (*n >= cap)
		return -E2BIG;
	idx = hp_profile__frame(p, f);
	if (idx < 0)
		return -ENOMEM;
	frames[(*n)++] = (uint32_t)idx;
	return 0;
}

static int resolve__one(struct hp_profile *p, const struct hp_sym *hs, uint64_t ip, bool found,
			uint32_t *frames, uint32_t *n, uint32_t cap)
{
	struct hp_prof_frame f = { .address = ip, .kernel = hs->kernel };
	char fallback[320];

	if (found && hs->module[0]) {
		struct hp_prof_mapping m = {
			.start = hs->map_start,
			.limit = hs->map_limit,
			.offset = hs->map_offset,
			.file = hs->module,
			.build_id = hs->build_id,
			.kernel = hs->kernel,
		};

		f.mapping = hp_profile__mapping(p, &m);
		if (!f.mapping)
			return -ENOMEM;
	}
	if (found && hs->function[0]) {
		f.function = hs->function;
		f.system_name = hs->mangled[0] ? hs->mangled : hs->function;
	} else if (found && hs->module[0]) {
		snprintf(fallback, sizeof(fallback), "%s+0x%" PRIx64, resolve__basename(hs->module),
			 hs->offset);
		f.function = f.system_name = fallback;
	} else {
		f.function = f.system_name = "[unknown]";
	}
	return resolve__push(p, &f, frames, n, cap);
}

int hp_stack__resolve_kernel(struct hp_profile *p, struct hp_symbolizer *sym, const __u64 *ips,
			     uint32_t nips, uint32_t *frames, uint32_t *n, uint32_t cap)
{
	for (uint32_t i = 0; i < nips; i++) {
		struct hp_sym hs;
		int err;

		memset(&hs, 0, sizeof(hs));
		err = hp_symbolizer__kernel(sym, ips[i], &hs);
		hs.kernel = true;
		err = resolve__one(p, &hs, ips[i], err == 0, frames, n, cap);
		if (err)
			return err;
	}
	return 0;
}

int hp_stack__resolve_user(struct hp_profile *p, struct hp_symbolizer *sym, pid_t pid,
			   const __u64 *ips, uint32_t nips, uint32_t *frames, uint32_t *n,
			   uint32_t cap)
{
	for (uint32_t i = 0; i < nips; i++) {
		uint64_t lookup = i ? ips[i] - 1 : ips[i];
		struct hp_sym hs;
		int err;

		memset(&hs, 0, sizeof(hs));
		err = hp_symbolizer__user(sym, pid, lookup, &hs);
		if (err == 0 && i)
			hs.offset += 1; /* report the return address itself */
		err = resolve__one(p, &hs, ips[i], err == 0, frames, n, cap);
		if (err)
			return err;
	}
	return 0;
}

int hp_stack__marker(struct hp_profile *p, const char *name, uint32_t *frames, uint32_t *n,
		     uint32_t cap)
{
	struct hp_prof_frame f = { .function = name, .system_name = name };

	return resolve__push(p, &f, frames, n, cap);
}
