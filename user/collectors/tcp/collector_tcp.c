// SPDX-License-Identifier: GPL-2.0-only
/* The TCP collector: loads bpf/tcp.bpf.c on the TCP tracepoints (tp_btf, raw_tp fallback),
 * drains its flow rows every tick into the table of tcp.c and exports them with the host-wide
 * reset reasons and the listen-queue counters of /proc/net/netstat. */
#include "collector_tcp.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "export/prom.h"
#include "tcp.skel.h"
#include "tcp_options.h"
#include "tcp_procfs.h"

static const char *const drop_reasons[HP_TCP_DROP__COUNT] = {
	[HP_TCP_DROP_STORAGE] = "storage_unavailable",
	[HP_TCP_DROP_FLOWS_FULL] = "flows_map_full",
	[HP_TCP_DROP_OPEN_UNSEEN] = "open_start_unseen",
};

static struct tcp_collector *state(struct hp_collector *c)
{
	return c->priv;
}

struct hp_tcp_state *hp_tcp__state(struct hp_collector *c)
{
	struct tcp_collector *s = state(c);

	return s && s->table_ready ? &s->table : NULL;
}

/* The local port range the programs tell clients from servers by (a connection found already
 * open); the programs' defaults (32768-60999) where procfs cannot be read. */
static void tcp__port_range(struct tcp_collector *s)
{
	int err = hp_tcp_procfs__read_port_range(HP_TCP_PORT_RANGE_PATH, &s->port_lo, &s->port_hi);

	s->port_range_read = !err;
	if (err) {
		s->port_lo = s->skel->rodata->ephemeral_lo;
		s->port_hi = s->skel->rodata->ephemeral_hi;
		hp_warn("tcp: cannot read %s (%s): taking %u-%u as the local port range",
			HP_TCP_PORT_RANGE_PATH, strerror(-err), s->port_lo, s->port_hi);
	}
}

/* Names of the reset reasons from the BTF the programs are loaded against (--btf or the
 * kernel's). */
static void tcp__rst_names(struct hp_collector *c, struct tcp_collector *s)
{
	struct btf *btf =
	    c->cfg->btf_path ? btf__parse(c->cfg->btf_path, NULL) : btf__load_vmlinux_btf();

	s->rst_named = hp_tcp_rst_names__init(&s->rst, btf) == 0;
	btf__free(btf);
}

static int tcp__open(struct hp_collector *c, enum hp_attach_path path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const struct hp_config *cfg = c->cfg;
	const struct hp_tcp_options *o = hp_tcp_options_of(cfg);
	struct tcp_collector *s;
	struct tcp_bpf *skel;

	s = hp_collector__alloc(c, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpus = c->ncpus;
	s->svc = c->svc;
	hp_collector__open_opts(c, &opts);
	skel = s->skel = tcp_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	hp_collector__autoload(c, skel->progs.set_state_btf, skel->progs.set_state_raw);
	hp_collector__autoload(c, skel->progs.probe_btf, skel->progs.probe_raw);
	hp_collector__autoload(c, skel->progs.retransmit_btf, skel->progs.retransmit_raw);
	hp_collector__autoload(c, skel->progs.retransmit_synack_btf,
			       skel->progs.retransmit_synack_raw);
	hp_collector__autoload(c, skel->progs.receive_reset_btf, skel->progs.receive_reset_raw);
	hp_collector__autoload(c, skel->progs.send_reset_btf, skel->progs.send_reset_raw);
	/* tcp_probe is the one per-packet hook: not there at all without RTT */
	s->rtt = o->rtt_interval_seconds > 0;
	if (!s->rtt) {
		bpf_program__set_autoload(skel->progs.probe_btf, false);
		bpf_program__set_autoload(skel->progs.probe_raw, false);
	}
	tcp__port_range(s);
	skel->rodata->filter_tgid = (__u32)cfg->pid;
	skel->rodata->filter_cgroup = cfg->cgroup_path != NULL;
	skel->rodata->rtt_interval_ns = (__u64)(o->rtt_interval_seconds * 1e9 + 0.5);
	/* per-pod series need each flow's cgroup: --pod-metrics keys flows by it too */
	skel->rodata->by_cgroup = o->by_cgroup || cfg->pod_metrics;
	skel->rodata->skip_loopback = hp_tcp_options__skip_loopback(o);
	skel->rodata->ephemeral_lo = s->port_lo;
	skel->rodata->ephemeral_hi = s->port_hi;
	bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
	/* per-socket state lives in socket storage on tp_btf: the raw_tp hash (preallocated, being
	 * LRU) is not used there */
	if (path == HP_PATH_TP_BTF)
		bpf_map__set_max_entries(skel->maps.socks_raw, 1);
	tcp__rst_names(c, s);
	return 0;
}

static int tcp__load(struct hp_collector *c)
{
	struct tcp_collector *s = state(c);
	const struct hp_tcp_options *o = hp_tcp_options_of(c->cfg);
	int err;

	err = tcp_bpf__load(s->skel);
	if (err)
		return err;
	err = hp_collector__loaded(c, s->skel->obj, bpf_map__fd(s->skel->maps.cgroup_filter));
	if (err)
		return err;
	s->percpu = calloc((size_t)s->ncpus, sizeof(*s->percpu));
	if (!s->percpu)
		return -ENOMEM;
	err =
	    hp_tcp__init(&s->table,
			 &(struct hp_tcp_config){ .top_peers = o->top_peers,
						  .top_ports = o->top_ports,
						  .by_cgroup = o->by_cgroup || c->cfg->pod_metrics,
						  .retention = c->cfg->retention_seconds },
			 c->cfg->tick_seconds, hp_now());
	if (err)
		return err;
	s->table_ready = true;
	return hp_tcp__pods_init(&s->table, c->cfg, s->svc);
}

static int tcp__attach(struct hp_collector *c)
{
	struct tcp_collector *s = state(c);
	const struct hp_tcp_options *o = hp_tcp_options_of(c->cfg);
	char rtt[64];
	int err;

	err = hp_collector__attach_all(c, s->skel->obj, s->links, HP_TCP_MAX_LINKS, &s->nlinks);
	if (err)
		return err;
	if (s->rtt)
		snprintf(rtt, sizeof(rtt), "srtt at most every %g ms per socket (tcp_probe)",
			 o->rtt_interval_seconds * 1e3);
	else
		snprintf(rtt, sizeof(rtt), "no RTT (tcp_probe not hooked)");
	hp_info("tcp: inet_sock_set_state, tcp_retransmit_skb/synack, tcp_send/receive_reset via "
		"%s; %s; flows map %u; loopback %sd; local ports %u-%u%s; reset reasons %s",
		hp_attach_path__name(c->path), rtt, o->max_flows, o->loopback, s->port_lo,
		s->port_hi, s->port_range_read ? "" : " (default)",
		s->rst_named ? "from BTF" : "not given by this kernel");
	return 0;
}

/*
 * Every refresh drains (the tick, and each API or /metrics request), but two drains stay at least
 * this far apart: a burst of requests answers from the table of the last drain, at most this old,
 * instead of flipping and draining per request under the lock. Where the program barrier works
 * (base/bpf_sync.h) a drain takes every generation but the new one, so that is all the lag there
 * is; without it, a drain leaves the previous generation too (a program may still be adding to it)
 * and answers are a further tick behind.
 */
#define TCP_MIN_COLLECT_GAP 0.1

static int tcp__refresh(struct hp_collector *c, bool tick)
{
	struct tcp_collector *s = state(c);
	double now = hp_now();
	int err;

	(void)tick;
	if (s->collected && now - s->last_collect < TCP_MIN_COLLECT_GAP)
		return 0;
	err = hp_tcp__collect(&s->table, bpf_map__fd(s->skel->maps.flows),
			      bpf_map__fd(s->skel->maps.flows_spill), &s->skel->bss->gen, now);
	s->last_collect = now;
	s->collected = true;
	return err;
}

/* hostprof_tcp_listen_{overflows,drops}_total: the kernel counts these only as SNMP counters. */
static void tcp__metrics_listen(struct tcp_collector *s, struct hp_buf *out)
{
	struct hp_tcp_listen l;
	int err = hp_tcp_procfs__listen(HP_TCP_NETSTAT_PATH, &l);

	if (err) {
		if (!s->netstat_failed)
			hp_warn("tcp: cannot read TcpExt ListenOverflows/ListenDrops from %s (%s): "
				"hostprof_tcp_listen_*_total left out",
				HP_TCP_NETSTAT_PATH, strerror(-err));
		s->netstat_failed = true;
		return;
	}
	hp_prom__family(out, "hostprof_tcp_listen_overflows_total", HP_PROM_COUNTER,
			"Connections a listener dropped because its accept queue was full, from "
			"/proc/net/netstat TcpExt ListenOverflows in hostprof's network namespace "
			"(the kernel has no tracepoint for it).");
	hp_prom__sample(out, "hostprof_tcp_listen_overflows_total", NULL, 0, (double)l.overflows);
	hp_prom__family(
	    out, "hostprof_tcp_listen_drops_total", HP_PROM_COUNTER,
	    "SYNs and handshake ACKs a listener dropped for any reason (overflows "
	    "included), from /proc/net/netstat TcpExt ListenDrops in hostprof's network "
	    "namespace (the kernel has no tracepoint for it).");
	hp_prom__sample(out, "hostprof_tcp_listen_drops_total", NULL, 0, (double)l.drops);
}

static void tcp__metrics(struct hp_collector *c, struct hp_buf *out)
{
	struct tcp_collector *s = state(c);
	__u64 counts[HP_TCP_RST_REASONS];
	int fd = bpf_map__fd(s->skel->maps.rst_reasons);

	hp_tcp__metrics(&s->table, out, s->svc);
	hp_tcp__pods_metrics(&s->table, out);
	for (__u32 i = 0; i < HP_TCP_RST_REASONS; i++)
		counts[i] = hp_self_stats__percpu_sum(fd, i, s->percpu, s->ncpus);
	hp_tcp_rst__metrics(&s->rst, counts, out);
	hp_prom__family(out, "hostprof_tcp_flows_spilled_total", HP_PROM_COUNTER,
			"Events counted under peer=\"other\" of their port because the kernel's "
			"flows map (--tcp-max-flows) was full: not lost, but without their peer.");
	hp_prom__sample(out, "hostprof_tcp_flows_spilled_total", NULL, 0,
			(double)hp_self_stats__percpu_sum(bpf_map__fd(s->skel->maps.totals),
							  HP_TCP_TOTAL_SPILLED, s->percpu,
							  s->ncpus));
	tcp__metrics_listen(s, out);
}

static void tcp__self_stats(struct hp_collector *c, struct hp_self_stats *out)
{
	struct tcp_collector *s = state(c);

	hp_self_stats__add_drops(out, bpf_map__fd(s->skel->maps.drops), s->ncpus, drop_reasons,
				 HP_TCP_DROP__COUNT);
	hp_tcp__self_stats(&s->table, out);
	hp_tcp__pods_self_stats(&s->table, out);
	/* rows evicted from the bounded flow table: their counts stay in the series, but windows
	 * of the API no longer see them */
	if (out->ndrops < HP_SELF_MAX) {
		out->drops[out->ndrops].reason = "flow_table_evicted";
		out->drops[out->ndrops++].count = s->table.evicted_rows;
	}
}

static void tcp__destroy(struct hp_collector *c)
{
	struct tcp_collector *s = state(c);

	if (!s)
		return;
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	tcp_bpf__destroy(s->skel);
	if (s->table_ready)
		hp_tcp__free(&s->table);
	s->table_ready = false;
	free(s->percpu);
}

const struct hp_collector_ops hp_collector_tcp = {
	.name = "tcp",
	.summary = "TCP connect/handshake latency, outcomes, sampled RTT, retransmits, resets, "
		   "lifetimes per peer and port",
	.needs = HP_FEAT_PRIV | HP_FEAT_BTF,
	.paths = HP_PATHS_TRACEPOINT,
	.open = tcp__open,
	.load = tcp__load,
	.attach = tcp__attach,
	.refresh = tcp__refresh,
	.metrics = tcp__metrics,
	.self_stats = tcp__self_stats,
	.destroy = tcp__destroy,
	.routes = hp_tcp_routes,
	.options = hp_tcp_options,
	/* on in the default serve set: its cost met the benchmark target (tests/bench, iperf3
	 * throughput loss <= 2 %); true makes it opt-in (--collectors ...,tcp) */
	.opt_in = false,
};
