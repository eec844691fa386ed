/* SPDX-License-Identifier: GPL-2.0-only */
/* The look-back parameters of the JSON APIs that answer over windows of snapshots (run-queue,
 * TCP): one rule for window=/since=, so every such endpoint accepts and refuses the same. */
#ifndef HOSTPROF_HTTP_WINDOW_H
#define HOSTPROF_HTTP_WINDOW_H

#include "http.h"

/*
 * window=D or since=D (two names of one look-back; both given: 400), a duration of at most
 * retention seconds (hp_request__lookback) and not below tick seconds (the snapshot interval: no
 * shorter window can be answered). 0: *seconds set (0 when neither is given: since start);
 * -1: a 400 JSON error naming the parameter is in resp.
 */
int hp_request__window(const struct hp_request *req, struct hp_response *resp, double tick,
		       double retention, double *seconds);

#endif
