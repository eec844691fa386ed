/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line parsing for every hostprof subcommand: flags to hp_config, usage text, and the
 * exit-code contract (bad flags: usage on stderr and exit 2). */
#ifndef HOSTPROF_CLI_H
#define HOSTPROF_CLI_H

#include <stdio.h>

#include "collectors/config.h"

enum hp_cli_action {
	HP_CLI_SERVE,  /* run the agent with cfg */
	HP_CLI_RECORD, /* record a CPU profile to cfg->output */
	HP_CLI_DONE,   /* --help or --version printed; exit 0 */
	HP_CLI_USAGE,  /* bad input reported; exit 2 */
};

/*
 * Fills cfg from argv: defaults (hp_config__defaults and the CLI's own), then each option of the
 * CLI's table or of a registered collector's (ops->options), each value checked against its
 * option's bounds. --help prints the usage of the command given so far (all of it before one).
 * Errors: a "hostprof: ..." line and the usage on stderr, HP_CLI_USAGE. Pointers in cfg point into
 * argv; --collectors is split in place.
 */
enum hp_cli_action hp_cli__parse(int argc, char **argv, struct hp_config *cfg);

#endif
