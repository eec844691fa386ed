// SPDX-License-Identifier: GPL-2.0-only
/* The TCP families of /metrics (see tcp.h): every bounded series (top flows, their ports'
 * "other", each direction's "other") written once per family, with the shared log2 buckets. */
#include "tcp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/services.h"
#include "export/prom.h"
#include "tcp_table.h"

#define TCP_LABEL_MAX 64 /* a peer label: "[v6]:port" */

/* One series of the page: its labels and its counters. */
struct tcp_view {
	__u8 direction;
	char port[8];
	char peer[TCP_LABEL_MAX];
	const char *cgroup; /* with by_cgroup */
	__u64 cgroup_id;    /* flow series: the cgroup's id (0: the "other" series) */
	char cgroup_buf[HP_CGROUP_PATH_MAX];
	const struct hp_tcp_val *v;
};

/* Which series a family has and how it reads a value. */
struct tcp_family {
	const char *name;
	enum hp_prom_type type;
	__u8 direction; /* only this direction's series, without a direction label; 0: both */
	size_t hist;	/* offset of the buckets (histograms), then the sum_ns right after */
	size_t counter; /* offset of a counter (counters) */
	bool by_result; /* one sample per result of results[] (with a result label) */
	const char *help;
	unsigned int shift; /* histograms: buckets count ns >> shift */
};

#define VAL_OFF(f) offsetof(struct hp_tcp_val, f)

static const struct tcp_family tcp_families[] = {
	{ "hostprof_tcp_connect_latency_seconds", HP_PROM_HISTOGRAM, HP_TCP_ACTIVE,
	  VAL_OFF(open_buckets), 0, false,
	  "Connect latency of active opens that succeeded: connect() (CLOSE -> SYN_SENT) to "
	  "ESTABLISHED, by service port and peer (top flows by recent events, the rest as "
	  "peer=\"other\", ports beyond the top as port=\"other\").",
	  0 },
	{ "hostprof_tcp_connects_total", HP_PROM_COUNTER, HP_TCP_ACTIVE, 0, VAL_OFF(results), true,
	  "Active opens by how they ended: ok (ESTABLISHED), refused (RST), timeout (no answer "
	  "before the kernel's SYN retries or the caller gave up), unreachable (ICMP), other "
	  "(any other error).",
	  0 },
	{ "hostprof_tcp_handshake_latency_seconds", HP_PROM_HISTOGRAM, HP_TCP_PASSIVE,
	  VAL_OFF(open_buckets), 0, false,
	  "Handshake latency of accepted connections, by local port: first SYN-ACK sent to the "
	  "final ACK (the kernel's SYN-ACK RTT measurement).",
	  0 },
	{ "hostprof_tcp_accepts_total", HP_PROM_COUNTER, HP_TCP_PASSIVE, 0,
	  VAL_OFF(results[HP_TCP_OK]), false,
	  "Passive opens (accepted connections) that reached ESTABLISHED.", 0 },
	{ "hostprof_tcp_rtt_seconds", HP_PROM_HISTOGRAM, 0, VAL_OFF(rtt_buckets), 0, false,
	  "Smoothed RTT (tcp_sock.srtt_us) sampled on received segments at most once per socket "
	  "per --tcp-rtt-interval.",
	  0 },
	{ "hostprof_tcp_connection_duration_seconds", HP_PROM_HISTOGRAM, 0,
	  VAL_OFF(duration_buckets), 0, false,
	  "Lifetime (ESTABLISHED -> CLOSE) of connections established while hostprof ran, "
	  "counted when they close (buckets from 262 us to 4.9 h).",
	  HP_TCP_DURATION_SHIFT },
	{ "hostprof_tcp_sent_bytes_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(bytes_sent), false,
	  "Payload bytes sent and acknowledged (tcp_sock.bytes_acked) by connections that "
	  "closed.",
	  0 },
	{ "hostprof_tcp_received_bytes_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(bytes_received),
	  false, "Payload bytes received (tcp_sock.bytes_received) by connections that closed.",
	  0 },
	{ "hostprof_tcp_syn_retransmits_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(syn_retransmits),
	  false, "SYNs resent (active) and SYN-ACKs resent (passive).", 0 },
	{ "hostprof_tcp_retransmits_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(retransmits), false,
	  "Data segments retransmitted (tcp:tcp_retransmit_skb outside SYN_SENT).", 0 },
	{ "hostprof_tcp_resets_received_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(resets_received),
	  false, "Resets received on a connection (tcp:tcp_receive_reset).", 0 },
	{ "hostprof_tcp_resets_sent_total", HP_PROM_COUNTER, 0, 0, VAL_OFF(resets_sent), false,
	  "Resets sent on a connection (tcp:tcp_send_reset with a socket).", 0 },
};

static const char *const tcp_results[HP_TCP_RESULT__COUNT] = {
	"ok", "refused", "timeout", "unreachable", "other",
};

static const char *tcp__direction(__u8 d)
{
	return d == HP_TCP_ACTIVE ? "active" : d == HP_TCP_PASSIVE ? "passive" : "unknown";
}

/* The cgroup label of flow series i: its path when known, else "id:N" (also when an earlier
 * series of the page has that path for another id: a cgroup re-created under the same path). */
static void tcp__cgroup(struct tcp_view *views, size_t i, __u64 id, struct hp_services *svc)
{
	struct tcp_view *v = &views[i];
	const char *path =
	    svc ? hp_services__cgroup_path(svc, id, 0, v->cgroup_buf, sizeof(v->cgroup_buf)) : NULL;

	v->cgroup_id = id;
	for (size_t j = 0; path && j < i; j++)
		if (views[j].cgroup_id != id && strcmp(views[j].cgroup, path) == 0)
			path = NULL;
	if (!path)
		snprintf(v->cgroup_buf, sizeof(v->cgroup_buf), "id:%" PRIu64, (uint64_t)id);
	v->cgroup = v->cgroup_buf;
}

/* Every series of the page into views (top_peers + top_ports + 2 at most); how many. */
static size_t tcp__views(struct hp_tcp_state *t, struct tcp_view *views, struct hp_services *svc)
{
	struct tcp_priv *p = t->priv;
	size_t n = 0;

	for (unsigned int s = 0; s < t->cfg.top_peers; s++) {
		const struct tcp_flow_series *fs = &p->flows[s];
		struct tcp_view *v = &views[n];

		if (!fs->used)
			continue;
		v->direction = fs->id.direction;
		snprintf(v->port, sizeof(v->port), "%u", (unsigned int)fs->id.port);
		hp_tcp_flow__peer(&fs->id, v->peer, sizeof(v->peer));
		v->v = &fs->v;
		v->cgroup = "other";
		if (t->cfg.by_cgroup)
			tcp__cgroup(views, n, fs->id.cgroup_id, svc);
		n++;
	}
	for (unsigned int s = 0; s < t->cfg.top_ports; s++) {
		const struct tcp_port_series *ps = &p->ports[s];
		struct tcp_view *v = &views[n];

		if (!ps->used)
			continue;
		v->direction = ps->direction;
		snprintf(v->port, sizeof(v->port), "%u", (unsigned int)ps->port);
		snprintf(v->peer, sizeof(v->peer), "other");
		v->cgroup = "other";
		v->cgroup_id = 0;
		v->v = &ps->v;
		n++;
	}
	for (__u8 d = HP_TCP_ACTIVE; d <= HP_TCP_PASSIVE; d++) {
		struct tcp_view *v = &views[n++];

		v->direction = d;
		snprintf(v->port, sizeof(v->port), "other");
		snprintf(v->peer, sizeof(v->peer), "other");
		v->cgroup = "other";
		v->cgroup_id = 0;
		v->v = &p->other[d];
	}
	return n;
}

/* One family's series (the connects' one per result). */
static void tcp__family(struct hp_tcp_state *t, struct hp_buf *out, const struct tcp_family *f,
			const struct tcp_view *views, size_t n)
{
	struct hp_label l[5];

	hp_prom__family(out, f->name, f->type, f->help);
	for (size_t i = 0; i < n; i++) {
		const struct tcp_view *v = &views[i];
		const char *val = (const char *)v->v;
		int nl = 0;

		if (f->direction && v->direction != f->direction)
			continue;
		if (!f->direction)
			l[nl++] = (struct hp_label){ "direction", tcp__direction(v->direction) };
		l[nl++] = (struct hp_label){ "port", v->port };
		l[nl++] = (struct hp_label){ "peer", v->peer };
		if (t->cfg.by_cgroup)
			l[nl++] = (struct hp_label){ "cgroup", v->cgroup };
		if (f->type == HP_PROM_HISTOGRAM) {
			const __u64 *b = (const __u64 *)(val + f->hist);

			/* each histogram's sum_ns follows its buckets (include/hp_tcp.h) */
			hp_prom__histogram_shifted(out, f->name, l, nl, b,
						   (double)b[HP_HIST_BUCKETS] / 1e9, f->shift);
		} else if (f->by_result) {
			for (int r = 0; r < HP_TCP_RESULT__COUNT; r++) {
				l[nl] = (struct hp_label){ "result", tcp_results[r] };
				hp_prom__sample(out, f->name, l, nl + 1, (double)v->v->results[r]);
			}
		} else {
			hp_prom__sample(out, f->name, l, nl,
					(double)*(const __u64 *)(val + f->counter));
		}
	}
}

void hp_tcp__metrics(struct hp_tcp_state *t, struct hp_buf *out, struct hp_services *svc)
{
	struct tcp_priv *p = t->priv;
	struct tcp_view *views = calloc(t->cfg.top_peers + t->cfg.top_ports + 2, sizeof(*views));
	size_t n, folded = 0;

	if (!views) {
		out->oom = true;
		return;
	}
	n = tcp__views(t, views, svc);
	for (size_t i = 0; i < sizeof(tcp_families) / sizeof(tcp_families[0]); i++)
		tcp__family(t, out, &tcp_families[i], views, n);
	free(views);
	for (size_t i = 0; i < p->nrows; i++)
		folded += p->rows[i].series < 0;
	hp_prom__family(
	    out, "hostprof_tcp_flows_folded", HP_PROM_GAUGE,
	    "Flows (peer, service port, direction) of the table summed into a "
	    "peer=\"other\" series of the TCP families now (not among --tcp-top-peers).");
	hp_prom__sample(out, "hostprof_tcp_flows_folded", NULL, 0, (double)folded);
}

/* tcp__family() reads a histogram's sum right after its buckets */
_Static_assert(offsetof(struct hp_tcp_val, open_sum_ns) ==
		   offsetof(struct hp_tcp_val, open_buckets) + HP_HIST_BUCKETS * sizeof(__u64),
	       "open_sum_ns after open_buckets");
_Static_assert(offsetof(struct hp_tcp_val, rtt_sum_ns) ==
		   offsetof(struct hp_tcp_val, rtt_buckets) + HP_HIST_BUCKETS * sizeof(__u64),
	       "rtt_sum_ns after rtt_buckets");
_Static_assert(offsetof(struct hp_tcp_val, duration_sum_ns) ==
		   offsetof(struct hp_tcp_val, duration_buckets) + HP_HIST_BUCKETS * sizeof(__u64),
	       "duration_sum_ns after duration_buckets");
