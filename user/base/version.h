/* SPDX-License-Identifier: GPL-2.0-only */
/* The version string reported by --version, /metrics and the landing page; the Makefile passes
 * HOSTPROF_VERSION (with the git commit) so a binary always says what it was built from. */
#ifndef HOSTPROF_VERSION_H
#define HOSTPROF_VERSION_H

#ifndef HOSTPROF_VERSION
#define HOSTPROF_VERSION "0.1.0-dev"
#endif

#endif
