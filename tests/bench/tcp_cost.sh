#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What TCP tracing costs a bulk flow: iperf3 across a veth pair into a network namespace this
# script creates, with nothing attached, empty programs on the TCP collector's six hooks, the agent.
#
# Usage: tcp_cost.sh TCP_HOLD [SECONDS] [PASSES]
#   TCP_HOLD  build/bench/tcp_hold (holds tests/bench/empty_tcp.bpf.c or bpf/tcp.bpf.c attached)
#   SECONDS   length of one iperf3 run (default 10)
#   PASSES    passes over every mode, interleaved so drift hits all modes (default 3)
# Modes (TCP_MODES overrides the list, space separated):
#   base       nothing attached
#   empty      empty tp_btf programs on inet_sock_set_state, tcp_probe, tcp_retransmit_skb,
#              tcp_retransmit_synack, tcp_receive_reset, tcp_send_reset (the floor)
#   tcp        bpf/tcp.bpf.c at the collector's defaults (RTT every 100 ms per socket), no agent
#   tcp_nortt  the same without the tcp_probe program (--tcp-rtt-interval 0)
#   tcp_raw    bpf/tcp.bpf.c on the raw_tp path
#   tcp_stats  tcp with the kernel's BPF run-time statistics on (BPF_ENABLE_STATS): per program
#              runs and ns per run, and their CPU time as a share of iperf3's own CPU time (the
#              direct cost, which throughput on a busy machine cannot resolve). The statistics cost
#              every BPF program two clock reads a run, so this row is not in the ratios; empty
#              programs attached alongside in the same run measure that zero.
#   empty_stats, parts_stats, part_NAME: the same statistics for the empty programs, for the parts
#              of the probe side by side (tcp_probe_parts.bpf.c), or for one part alone.
#   every, every_stats: tcp sampling srtt on every segment (no rate limit; names every:PROG).
#   raw_stats: tcp_stats on the raw_tp path (names raw:PROG).
#   hostprof   HOSTPROF=build/hostprof: `serve --collectors tcp` at its defaults
#   bpftrace   bpftrace on the tracepoints sock:inet_sock_set_state and tcp:* (connect latency and
#              srtt per remote port on every segment, retransmits, resets: what bcc-style tools do)
# Default modes: base empty hostprof tcp_stats bpftrace (tcp instead of hostprof while $HOSTPROF has
# no tcp collector or HOSTPROF is unset). IPERF_ARGS adds client options (e.g. "-P 4", "-l 1K");
# TCP_SEGMENTS=mtu limits GSO on the veth to one segment, so each MTU-sized segment is an skb and a
# tcp_probe (a NIC without offloads; on this VM it cuts throughput to ~0.2 Gbit/s).
# Prints per mode the median throughput (receiver side), host CPU busy % over the run (all CPUs,
# /proc/stat), iperf3's own CPU (client + server processes, % of one CPU) and those CPU seconds per
# GB, each vs nothing attached and vs the empty programs, as ratios from this one run. On a shared
# machine throughput follows whatever else runs; CPU per byte much less. Needs root, iperf3 and
# bpftrace (Makefile BENCH_DEBS). Issue-9 target: loss <= 2 % and within noise of the empty programs.
set -euo pipefail
TCP_HOLD=${1:?usage: tcp_cost.sh path/to/tcp_hold [seconds] [passes]}
secs=${2:-10}
passes=${3:-3}
tmp=$(mktemp -d)
# shellcheck source=tests/bench/tcp_bench_lib.sh
. "$(dirname "$0")/tcp_bench_lib.sh"
trap 'tcpb_cleanup; rm -rf "$tmp"' EXIT

for tool in iperf3 bpftrace ip python3; do
	command -v "$tool" >/dev/null || { echo "tcp_cost: $tool not found" >&2; exit 1; }
done
[ -x "$TCP_HOLD" ] || { echo "tcp_cost: $TCP_HOLD is not an executable" >&2; exit 1; }
tcpb_default_modes tcp_stats
modes=("${tcpb_modes[@]}")
tcpb_netns_up "${TCP_SEGMENTS:-gso}"
tcpb_bpftrace_cmd
ip netns exec "$tcpb_ns" iperf3 -s -B "$tcpb_addr_n" >"$tmp/server.log" 2>&1 &
tcpb_server=$!
for _ in $(seq 50); do
	ip netns exec "$tcpb_ns" ss -Hltn "sport = :5201" | grep -q . && break
	sleep 0.1
done

# Busy and total jiffies over all CPUs from /proc/stat.
cpu_jiffies() { awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6; exit}' /proc/stat; }

# One iperf3 run: prints "Gbit/s host_busy_% iperf3_cpu_% iperf3_cpu_s_per_GB".
run_iperf() {
	local j0 j1
	j0=$(cpu_jiffies)
	# shellcheck disable=SC2086
	timeout $((secs + 20)) iperf3 -c "$tcpb_addr_n" -t "$secs" -J ${IPERF_ARGS:-} >"$tmp/run.json"
	j1=$(cpu_jiffies)
	python3 - "$tmp/run.json" "$j0" "$j1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
b0, t0 = map(int, sys.argv[2].split()); b1, t1 = map(int, sys.argv[3].split())
c = r["end"]["cpu_utilization_percent"]
g = r["end"]["sum_received"]["bits_per_second"] / 1e9
i = c["host_total"] + c["remote_total"]
print("%.3f %.1f %.1f %.3f" % (g, 100.0 * (b1 - b0) / (t1 - t0), i, i / 100 * 8 / g))
PY
}

declare -A tput cpu icpu spg pruns pns
skip=" "
for pass in $(seq "$passes"); do
	tcpb_check_foreign
	for mode in "${modes[@]}"; do
		[[ $skip == *" $mode "* ]] && continue
		if ! tcpb_attach "$mode"; then
			echo "tcp_cost: $mode cannot attach here: row skipped" >&2
			skip+="$mode "
			continue
		fi
		read -r g c i p < <(run_iperf)
		tcpb_detach "$mode"
		if [[ $mode == *_stats || $mode == part_* ]]; then
			# "prog NAME runs N ns/run X": runs per second and the share of iperf3's CPU
			while read -r _ name _ n _ x; do
				[ "$mode" = every_stats ] && name=every:$name
				[ "$mode" = raw_stats ] && name=raw:$name
				pruns[$name]+="$(awk -v n="$n" -v s="$secs" 'BEGIN {printf "%.0f", n/s}') "
				pns[$name]+="$x "
				share=$(awk -v n="$n" -v x="$x" -v i="$i" -v s="$secs" \
					'BEGIN {printf "%.3f", 100 * n * x / 1e9 / (i / 100 * s)}')
				echo "    $name: $n runs, $x ns/run: $share % of iperf3's CPU" >&2
			done < <(grep '^prog ' "$tmp/holder.out")
			continue
		fi
		tput[$mode]+="$g "
		cpu[$mode]+="$c "
		icpu[$mode]+="$i "
		spg[$mode]+="$p "
		echo "pass $pass $mode: $g Gbit/s, host CPU $c %, iperf3 CPU $i % ($p s/GB)" >&2
	done
done

base=$(echo "${tput[base]}" | tcpb_median)
empty=$(echo "${tput[empty]:-}" | tcpb_median)
base_s=$(echo "${spg[base]}" | tcpb_median)
empty_s=$(echo "${spg[empty]:-}" | tcpb_median)
echo "iperf3 ${IPERF_ARGS:-(1 stream)} over veth (segments: ${TCP_SEGMENTS:-gso}) into a netns," \
	"${secs} s runs, median of $passes interleaved passes:"
printf "  %-10s %8s %9s %9s %9s %9s %9s %9s %9s   %s\n" mode Gbit/s vs-base vs-empty \
	host-CPU% iperf-CPU% "CPU s/GB" vs-base vs-empty "[Gbit/s per pass]"
for mode in "${modes[@]}"; do
	[[ $mode == *_stats || $mode == part_* ]] && continue
	[ -n "${tput[$mode]:-}" ] || { printf "  %-10s skipped (cannot attach here)\n" "$mode"; continue; }
	m=$(echo "${tput[$mode]}" | tcpb_median)
	c=$(echo "${cpu[$mode]}" | tcpb_median)
	i=$(echo "${icpu[$mode]}" | tcpb_median)
	p=$(echo "${spg[$mode]}" | tcpb_median)
	awk -v mode="$mode" -v m="$m" -v c="$c" -v i="$i" -v p="$p" -v b="$base" -v e="${empty:-0}" \
		-v bs="$base_s" -v es="${empty_s:-0}" -v all="${tput[$mode]}" 'BEGIN {
		de = (e > 0) ? sprintf("%+.2f%%", 100*(m-e)/e) : "n/a"
		dse = (es > 0) ? sprintf("%+.2f%%", 100*(p-es)/es) : "n/a"
		printf "  %-10s %8.3f %+8.2f%% %9s %9.1f %9.1f %9.3f %+8.2f%% %9s   [%s]\n",
			mode, m, 100*(m-b)/b, de, c, i, p, 100*(p-bs)/bs, dse, all}'
done
if [ -n "${pns[*]:-}" ]; then
	echo "BPF run time per program (BPF_ENABLE_STATS, medians of the *_stats passes; share of base iperf3 CPU):"
	i=$(echo "${icpu[base]}" | tcpb_median)
	for name in "${!pns[@]}"; do
		r=$(echo "${pruns[$name]}" | tcpb_median)
		x=$(echo "${pns[$name]}" | tcpb_median)
		awk -v name="$name" -v r="$r" -v x="$x" -v i="$i" 'BEGIN {
			printf "  %-22s %10.0f runs/s %8.1f ns/run  %6.3f %% of one CPU = %6.3f %% of the iperf3 CPU (base)\n",
				name, r, x, 100 * r * x / 1e9, 100 * (r * x / 1e9) / (i / 100)}'
	done | sort
	if [ -n "${pns[probe_btf]:-}" ] && [ -n "${pns[empty_probe]:-}" ]; then
		r=$(echo "${pruns[probe_btf]}" | tcpb_median)
		x=$(echo "${pns[probe_btf]}" | tcpb_median)
		z=$(echo "${pns[empty_probe]}" | tcpb_median)
		awk -v r="$r" -v x="$x" -v z="$z" -v i="$i" 'BEGIN {
			printf "  probe_btf net of the statistics (empty_probe in the same run): %.0f ns/run, %.3f %% of the iperf3 CPU (base)\n",
				x - z, 100 * (r * (x - z) / 1e9) / (i / 100)}'
	fi
fi
echo "  (Gbit/s: negative = throughput lost; CPU s/GB: positive = more CPU per byte. Issue-9 target"
echo "   for the agent: throughput >= -2 % vs base and within noise of empty)"
