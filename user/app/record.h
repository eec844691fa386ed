/* SPDX-License-Identifier: GPL-2.0-only */
/* "hostprof record": an ad-hoc CPU profiling session written to a file, with a progress line,
 * a summary at the end, and Ctrl-C ending the recording early without losing it. */
#ifndef HOSTPROF_RECORD_H
#define HOSTPROF_RECORD_H

#include "collectors/config.h"

/* Returns the process exit code. */
int hp_record__run(const struct hp_config *cfg);

#endif
