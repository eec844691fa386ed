/* Entry point of the hostprof binary: parse the command line, then hand over to the subcommand.
 * Exit codes: 0 success, 1 runtime failure (privileges, BTF, attach), 2 bad usage. */
#include <stdlib.h>

#include "agent.h"
#include "cli.h"
#include "log.h"

int main(int argc, char **argv)
{
	struct hp_config cfg;

	switch (hp_cli__parse(argc, argv, &cfg)) {
	case HP_CLI_DONE:
		return 0;
	case HP_CLI_USAGE:
		return 2;
	case HP_CLI_SERVE:
		break;
	}
	if (cfg.verbose)
		hp_log__set_level(HP_LOG_DEBUG);
	hp_log__hook_libbpf();
	return hp_agent__run(&cfg);
}
