// SPDX-License-Identifier: GPL-2.0-only
/* The /metrics families of the HTTP server's exposure controls (bearer tokens, TLS), rendered
 * from hp_http__stats, so the agent adds them with one call and the names live beside the code. */
#include "http.h"

#include "export/prom.h"

void hp_http__render_security(const struct hp_http_stats *st, struct hp_buf *out)
{
	struct hp_label l;

	hp_prom__family(out, "hostprof_http_unauthorized_total", HP_PROM_COUNTER,
			"Requests answered 401 (--auth-token-file): no bearer token "
			"(reason=\"missing_token\") or a wrong one (reason=\"invalid_token\").");
	l = (struct hp_label){ "reason", "missing_token" };
	hp_prom__sample(out, "hostprof_http_unauthorized_total", &l, 1,
			(double)st->unauthorized_missing);
	l = (struct hp_label){ "reason", "invalid_token" };
	hp_prom__sample(out, "hostprof_http_unauthorized_total", &l, 1,
			(double)st->unauthorized_invalid);
	hp_prom__family(out, "hostprof_http_auth_token_reloads_total", HP_PROM_COUNTER,
			"Changes of the --auth-token-file seen: a new token taken "
			"(result=\"ok\"), or none valid in it, the previous one kept "
			"(result=\"error\").");
	l = (struct hp_label){ "result", "ok" };
	hp_prom__sample(out, "hostprof_http_auth_token_reloads_total", &l, 1,
			(double)st->auth_reloads);
	l = (struct hp_label){ "result", "error" };
	hp_prom__sample(out, "hostprof_http_auth_token_reloads_total", &l, 1,
			(double)st->auth_reload_errors);
	hp_prom__family(out, "hostprof_http_tls_head_timeouts_total", HP_PROM_COUNTER,
			"HTTPS connections shut down because the TLS handshake and the request "
			"head took longer than 5 s after the ClientHello.");
	hp_prom__sample(out, "hostprof_http_tls_head_timeouts_total", NULL, 0,
			(double)st->tls_head_timeout);
}
