// SPDX-License-Identifier: GPL-2.0-only
/* hp_profile_view_api__collect (see profile_view_api.h): the request-side loop of a view, kept out
 * of profile_api.c, which serves one source: here every part is subscribed and waited for. */
#include "profile_view_api.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

/* A request recording a view looks this often whether its client is still there. */
#define VIEW_GONE_POLL_S 0.2

/* Sleeps on the first part's condition until end (monotonic seconds), the client leaves or a
 * source shuts down (each source's shutdown wakes its own waiters; the others are looked at
 * every VIEW_GONE_POLL_S). Returns 499, 503 or 200. */
static unsigned int view__wait(struct hp_view_recording *rec, const struct hp_request *req,
			       double end)
{
	struct hp_profile_source *first = rec->srcs[0];

	for (;;) {
		double now = hp_now();
		struct timespec deadline;

		if (hp_view_recording__stopping(rec))
			return 503;
		if (now >= end)
			return 200;
		if (hp_request__gone(req))
			return 499;
		hp_timespec__in(&deadline,
				end - now < VIEW_GONE_POLL_S ? end - now : VIEW_GONE_POLL_S);
		pthread_mutex_lock(first->lock);
		if (!first->stopping)
			pthread_cond_timedwait(&first->wake, first->lock, &deadline);
		pthread_mutex_unlock(first->lock);
	}
}

unsigned int hp_profile_view_api__collect(const struct hp_profile_view *view,
					  struct hp_profile_source *const *srcs,
					  const struct hp_request *req, double seconds,
					  double since, uint32_t pid, struct hp_profile *out,
					  struct hp_response *resp)
{
	struct hp_view_recording rec;
	unsigned int status;
	double covered, t0 = hp_now();
	int err;

	hp_profile__init(out, view->kind, 0); /* empty, nothing to free, until composed */
	if (since > 0) {
		err = hp_profile_view__since(view, srcs, since, pid, out, &covered);
		if (err) {
			hp_response__error(resp, 500, "collecting the %s view failed: %s",
					   view->kind->name, strerror(-err));
			return 500;
		}
		hp_profile_store__stamp(out, covered);
		return 200;
	}
	err = hp_view_recording__start(&rec, view, srcs);
	if (err == -EBUSY) {
		hp_response__error(resp, 503, "too many profiles being recorded at once");
		return 503;
	}
	if (err) {
		hp_response__error(resp, 500, "draining samples failed: %s", strerror(-err));
		return 500;
	}
	status = view__wait(&rec, req, t0 + seconds);
	if (status != 200) {
		hp_view_recording__cancel(&rec);
		if (status == 499) /* never sent: the HTTP layer closes the connection */
			hp_response__error(resp, status, "client closed the connection");
		else
			hp_response__error(resp, status, "hostprof is shutting down");
		return status;
	}
	err = hp_view_recording__finish(&rec, pid, out, &covered);
	if (err) {
		hp_response__error(resp, 500, "collecting the %s view failed: %s", view->kind->name,
				   strerror(-err));
		return 500;
	}
	hp_profile_store__stamp(out, covered);
	return 200;
}
