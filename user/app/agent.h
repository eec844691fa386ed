/* SPDX-License-Identifier: GPL-2.0-only */
/* The long-running agent behind "hostprof serve": probes the kernel, starts the collectors, serves
 * HTTP, folds kernel maps on a ticker thread, and tears everything down on SIGINT/SIGTERM. */
#ifndef HOSTPROF_AGENT_H
#define HOSTPROF_AGENT_H

#include "collectors/config.h"

/* Runs until a stop signal; returns the process exit code. */
int hp_agent__run(const struct hp_config *cfg);

#endif
