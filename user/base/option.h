/* SPDX-License-Identifier: GPL-2.0-only */
/* A command-line option described as data (name, kind, bounds, default, help, where the value
 * goes), so each collector declares its own options in its folder and the CLI is built from them. */
#ifndef HOSTPROF_OPTION_H
#define HOSTPROF_OPTION_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

enum hp_option_kind {
	HP_OPT_UINT,	 /* unsigned int; decimal in [min, max] */
	HP_OPT_DURATION, /* double seconds; "10s", "2m", ... (hp_params__duration) in [min, max] */
	HP_OPT_FLAG,	 /* bool; takes no value, sets true */
	HP_OPT_STRING,	 /* const char * pointing into argv; at least min bytes long */
	HP_OPT_CUSTOM,	 /* takes a value; parse hook and the owner's defaults do the rest */
	HP_OPT_ACTION,	 /* takes no value and stores nothing; the caller acts (--help) */
};

/* What hp_option__parse() and parse hooks return. */
enum hp_option_result {
	HP_OPT_OK = 0,
	HP_OPT_INVALID = -1,  /* caller reports it (hp_option__report) and shows usage */
	HP_OPT_REPORTED = -2, /* the hook already printed why; caller shows nothing more */
};

struct hp_option {
	const char *name; /* long name without "--"; NULL terminates a table */
	char short_name;  /* -X spelling; 0: none */
	enum hp_option_kind kind;
	const char *metavar; /* value name in --help ("HZ", "D"); NULL for flags */
	double min, max;     /* bounds (UINT, DURATION), minimum length (STRING) */
	double def;	     /* default of UINT, DURATION and FLAG (0 or 1) */
	const char *def_str; /* default of STRING (may be NULL) */
	size_t offset;	     /* where the value goes: byte offset into the table's config struct */
	const char *help;    /* --help text; '\n' starts an indented continuation line */
	/* Error on a bad value: "invalid --NAME 'VALUE' (want WANT)"; without want, no "(want ...)". */
	const char *want;
	const char *bad; /* fixed error text instead of the form above (e.g. "--output needs ...") */
	unsigned int scope; /* caller-defined bits (e.g. which subcommands accept it); 0: all */
	/* Optional: replaces the parsing of kind; base is the config struct of the table. Returns
	 * an enum hp_option_result. */
	int (*parse)(const struct hp_option *o, const char *arg, void *base);
};

/* Writes every option's default into base (CUSTOM and ACTION options excepted) (the struct the table's offsets point into). */
void hp_option__defaults(const struct hp_option *table, void *base);
/* Parses arg (NULL for a flag) into base; an enum hp_option_result. */
int hp_option__parse(const struct hp_option *o, const char *arg, void *base);
/* A parse hook for HP_OPT_DURATION options where 0 means something (off, none): a duration as
 * hp_params__duration reads it, 0 accepted, within [o->min, o->max]. */
int hp_option__parse_duration_or_zero(const struct hp_option *o, const char *arg, void *base);
/* Prints the error for a value that hp_option__parse() found HP_OPT_INVALID: "hostprof: ..." */
void hp_option__report(FILE *out, const struct hp_option *o, const char *arg);
/* One --help entry: "  -F, --frequency HZ  text", continuation lines indented alike. */
void hp_option__help(FILE *out, const struct hp_option *o);
/* Entries in a NULL-name-terminated table (0 for NULL). */
size_t hp_option__count(const struct hp_option *table);

/*
 * Several option tables merged into one getopt_long() table: the CLI adds its own options and
 * every collector's, each with the struct its values go to.
 */
#define HP_OPTSET_MAX 64
#define HP_OPTSET_VAL0 256 /* getopt_long() returns HP_OPTSET_VAL0 + index for a long option */

struct hp_optset {
	size_t n;
	struct hp_optset_entry {
		const struct hp_option *opt;
		void *base;
		const char *owner; /* who declared it, for the duplicate error */
	} e[HP_OPTSET_MAX];
	struct option longopts[HP_OPTSET_MAX + 1];
	char shortopts[3 * HP_OPTSET_MAX + 3]; /* "+:" then "X" or "X:" per short name */
};

void hp_optset__init(struct hp_optset *s);
/*
 * Adds every option of table (values go into base). A long or short name already in the set is a
 * declaration bug: -EEXIST, with "hostprof: option --NAME declared by OWNER and OWNER" on err;
 * -E2BIG past HP_OPTSET_MAX. The set is unchanged on error.
 */
int hp_optset__add(struct hp_optset *s, const struct hp_option *table, void *base,
		   const char *owner, FILE *err);
/* The entry a getopt_long() return value c stands for, or NULL (':', '?', unknown). */
const struct hp_optset_entry *hp_optset__entry(const struct hp_optset *s, int c);

#endif
