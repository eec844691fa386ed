// SPDX-License-Identifier: GPL-2.0-only
/* Export format names, file extensions, content types and dispatch (see export.h): the one table
 * the CLI ("record -o x.pb.gz"), HTTP (?format=) and the landing page agree on. */
#include "export.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	const char *content_type;
	int (*render)(const struct hp_profile *p, const struct hp_export_opts *o,
		      struct hp_buf *out);
} export_formats[HP_EXPORT__COUNT] = {
	[HP_EXPORT_FOLDED] = { "folded", "text/plain; charset=utf-8", hp_export__folded },
	[HP_EXPORT_PPROF] = { "pprof", "application/octet-stream", hp_export__pprof },
	[HP_EXPORT_SPEEDSCOPE] = { "speedscope", "application/json", hp_export__speedscope },
	[HP_EXPORT_JSON] = { "json", "application/json", hp_export__json },
	[HP_EXPORT_HTML] = { "html", "text/html; charset=utf-8", hp_export__html },
};

/* Longest suffix first: ".speedscope.json" must win over ".json". */
static const struct {
	const char *suffix;
	enum hp_export_format format;
} export_suffixes[] = {
	{ ".speedscope.json", HP_EXPORT_SPEEDSCOPE },
	{ ".pb.gz", HP_EXPORT_PPROF },
	{ ".pprof", HP_EXPORT_PPROF },
	{ ".folded", HP_EXPORT_FOLDED },
	{ ".txt", HP_EXPORT_FOLDED },
	{ ".json", HP_EXPORT_JSON },
	{ ".html", HP_EXPORT_HTML },
	{ ".htm", HP_EXPORT_HTML },
};

int hp_export__parse_format(const char *name)
{
	if (!name)
		return -1;
	for (int f = 0; f < HP_EXPORT__COUNT; f++)
		if (strcmp(name, export_formats[f].name) == 0)
			return f;
	return -1;
}

const char *hp_export__format_name(enum hp_export_format f)
{
	return (unsigned int)f < HP_EXPORT__COUNT ? export_formats[f].name : NULL;
}

int hp_export__format_from_path(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	for (size_t i = 0; i < sizeof(export_suffixes) / sizeof(export_suffixes[0]); i++) {
		size_t n = strlen(export_suffixes[i].suffix);

		/* the name must be more than the extension: ".json" alone says nothing */
		if (len > n && strcasecmp(path + len - n, export_suffixes[i].suffix) == 0 &&
		    path[len - n - 1] != '/')
			return export_suffixes[i].format;
	}
	return -1;
}

const char *hp_export__content_type(enum hp_export_format f)
{
	return (unsigned int)f < HP_EXPORT__COUNT ? export_formats[f].content_type
						  : "application/octet-stream";
}

int hp_export__render(const struct hp_profile *p, enum hp_export_format f,
		      const struct hp_export_opts *opts, struct hp_buf *out)
{
	static const struct hp_export_opts defaults = { .group_by = HP_GROUP_BY_PROCESS };
	int err;

	if (!opts)
		opts = &defaults;
	if ((unsigned int)f >= HP_EXPORT__COUNT ||
	    (unsigned int)opts->group_by >= HP_GROUP_BY__COUNT)
		return -EINVAL;
	err = export_formats[f].render(p, opts, out);
	if (!err && out->oom)
		err = -ENOMEM;
	return err;
}
