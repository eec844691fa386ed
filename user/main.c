// SPDX-License-Identifier: GPL-2.0-only
/* Entry point of the hostprof binary: parse the command line, then hand over to the subcommand.
 * Exit codes: 0 success, 1 runtime failure (privileges, BTF, attach), 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>

#include "app/agent.h"
#include "app/cli.h"
#include "base/log.h"
#include "app/record.h"
#include "app/target_pid.h"

int main(int argc, char **argv)
{
	struct hp_config cfg;

	enum hp_cli_action action = hp_cli__parse(argc, argv, &cfg);

	switch (action) {
	case HP_CLI_DONE:
		return 0;
	case HP_CLI_USAGE:
		return 2;
	case HP_CLI_SERVE:
	case HP_CLI_RECORD:
		break;
	}
	if (cfg.pid) {
		char msg[256];

		if (hp_target_pid__check(NULL, cfg.pid, msg, sizeof(msg))) {
			fprintf(stderr, "hostprof: %s\n", msg);
			return 1;
		}
	}
	if (cfg.verbose)
		hp_log__set_level(HP_LOG_DEBUG);
	hp_log__hook_libbpf();
	if (action == HP_CLI_RECORD)
		return hp_record__run(&cfg);
	return hp_agent__run(&cfg);
}
