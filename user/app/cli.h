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

enum hp_cli_action hp_cli__parse(int argc, char **argv, struct hp_config *cfg);
void hp_cli__usage(FILE *out);

#endif
