// SPDX-License-Identifier: GPL-2.0-only
/* Defaults, value parsing, error text and --help lines for option tables (see option.h), so every
 * collector's options behave and read alike. */
#include "option.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "params.h"

/* Column where help text starts; longer option spellings push it two spaces further. */
#define OPTION_HELP_COLUMN 21

void hp_option__defaults(const struct hp_option *table, void *base)
{
	for (const struct hp_option *o = table; o && o->name; o++) {
		void *dest = (char *)base + o->offset;

		switch (o->kind) {
		case HP_OPT_UINT:
			*(unsigned int *)dest = (unsigned int)o->def;
			break;
		case HP_OPT_DURATION:
			*(double *)dest = o->def;
			break;
		case HP_OPT_FLAG:
			*(bool *)dest = o->def != 0;
			break;
		case HP_OPT_STRING:
			*(const char **)dest = o->def_str;
			break;
		case HP_OPT_CUSTOM:
		case HP_OPT_ACTION:
			break;
		}
	}
}

int hp_option__parse(const struct hp_option *o, const char *arg, void *base)
{
	void *dest = (char *)base + o->offset;
	unsigned long long v;
	double d;

	if (o->parse)
		return o->parse(o, arg, base);
	switch (o->kind) {
	case HP_OPT_UINT:
		if (hp_params__uint(arg, (unsigned long long)o->min, (unsigned long long)o->max,
				    &v))
			return HP_OPT_INVALID;
		*(unsigned int *)dest = (unsigned int)v;
		return HP_OPT_OK;
	case HP_OPT_DURATION:
		if (hp_params__duration(arg, false, o->max, &d) || d < o->min)
			return HP_OPT_INVALID;
		*(double *)dest = d;
		return HP_OPT_OK;
	case HP_OPT_FLAG:
		*(bool *)dest = true;
		return HP_OPT_OK;
	case HP_OPT_STRING:
		if ((double)strlen(arg) < o->min)
			return HP_OPT_INVALID;
		*(const char **)dest = arg;
		return HP_OPT_OK;
	case HP_OPT_ACTION:
		return HP_OPT_OK;
	case HP_OPT_CUSTOM:
		break;
	}
	return HP_OPT_INVALID;
}

int hp_option__parse_duration_or_zero(const struct hp_option *o, const char *arg, void *base)
{
	double d;

	if (hp_params__duration(arg, true, o->max, &d) || d < o->min)
		return HP_OPT_INVALID;
	*(double *)((char *)base + o->offset) = d;
	return HP_OPT_OK;
}

void hp_option__report(FILE *out, const struct hp_option *o, const char *arg)
{
	if (o->bad)
		fprintf(out, "hostprof: %s\n", o->bad);
	else if (o->want)
		fprintf(out, "hostprof: invalid --%s '%s' (want %s)\n", o->name, arg ? arg : "",
			o->want);
	else
		fprintf(out, "hostprof: invalid --%s '%s'\n", o->name, arg ? arg : "");
}

void hp_option__help(FILE *out, const struct hp_option *o)
{
	int n;

	if (o->short_name)
		n = fprintf(out, "  -%c, --%s", o->short_name, o->name);
	else
		n = fprintf(out, "  --%s", o->name);
	if (o->metavar)
		n += fprintf(out, " %s", o->metavar);
	if (!o->help || !*o->help) {
		fputc('\n', out);
		return;
	}
	fprintf(out, "%*s", n + 2 <= OPTION_HELP_COLUMN ? OPTION_HELP_COLUMN - n : 2, "");
	for (const char *p = o->help; *p;) {
		size_t len = strcspn(p, "\n");

		fprintf(out, "%.*s\n", (int)len, p);
		p += len;
		if (*p == '\n' && *++p)
			fprintf(out, "%*s", OPTION_HELP_COLUMN, "");
	}
}

size_t hp_option__count(const struct hp_option *table)
{
	size_t n = 0;

	while (table && table[n].name)
		n++;
	return n;
}

void hp_optset__init(struct hp_optset *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->shortopts, "+:"); /* stop at the first non-option; ':' for a missing value */
}

/* The entry already holding o's long or short name, or NULL. */
static const struct hp_optset_entry *optset__clash(const struct hp_optset *s,
						   const struct hp_option *o)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct hp_option *x = s->e[i].opt;

		if (strcmp(x->name, o->name) == 0 ||
		    (o->short_name && x->short_name == o->short_name))
			return &s->e[i];
	}
	return NULL;
}

static bool option__takes_value(const struct hp_option *o)
{
	return o->kind != HP_OPT_FLAG && o->kind != HP_OPT_ACTION;
}

int hp_optset__add(struct hp_optset *s, const struct hp_option *table, void *base,
		   const char *owner, FILE *err)
{
	size_t n = hp_option__count(table);

	if (s->n + n > HP_OPTSET_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const struct hp_optset_entry *x = optset__clash(s, &table[i]);
		const char *other = x ? x->owner : NULL;

		for (size_t k = 0; !other && k < i; k++)
			if (strcmp(table[k].name, table[i].name) == 0 ||
			    (table[i].short_name && table[k].short_name == table[i].short_name))
				other = owner;
		if (other) {
			fprintf(err, "hostprof: option --%s declared by %s and %s\n", table[i].name,
				other, owner);
			return -EEXIST;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct hp_option *o = &table[i];
		size_t len = strlen(s->shortopts);

		s->e[s->n] = (struct hp_optset_entry){ .opt = o, .base = base, .owner = owner };
		s->longopts[s->n] = (struct option){ o->name, option__takes_value(o), NULL,
						     HP_OPTSET_VAL0 + (int)s->n };
		if (o->short_name) {
			s->shortopts[len++] = o->short_name;
			if (option__takes_value(o))
				s->shortopts[len++] = ':';
			s->shortopts[len] = '\0';
		}
		s->n++;
	}
	return 0;
}

const struct hp_optset_entry *hp_optset__entry(const struct hp_optset *s, int c)
{
	if (c >= HP_OPTSET_VAL0 && (size_t)(c - HP_OPTSET_VAL0) < s->n)
		return &s->e[c - HP_OPTSET_VAL0];
	for (size_t i = 0; c > 0 && c < 256 && i < s->n; i++)
		if (s->e[i].opt->short_name == c && c != ':' && c != '?')
			return &s->e[i];
	return NULL;
}
