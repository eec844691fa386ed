// SPDX-License-Identifier: GPL-2.0-only
/* window=/since= of the windowed JSON APIs (see http_window.h): written once instead of in each
 * collector's API. */
#include "http_window.h"

int hp_request__window(const struct hp_request *req, struct hp_response *resp, double tick,
		       double retention, double *seconds)
{
	const char *window = hp_request__param(req, "window");
	const char *since = hp_request__param(req, "since");
	const char *name = since ? "since" : "window";
	int ret;

	*seconds = 0;
	if (window && since) {
		hp_response__error(resp, 400,
				   "give either window or since (the same look-back), not both");
		return -1;
	}
	ret = hp_request__lookback(req, resp, name, retention, seconds);
	if (ret < 0)
		return -1;
	if (ret == 0 && *seconds < tick) {
		hp_response__error(resp, 400, "%s=%s is shorter than the snapshot interval of %g s",
				   name, since ? since : window, tick);
		return -1;
	}
	return 0;
}
