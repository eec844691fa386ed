#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What TCP tracing adds per connection: tcp_connect_loop's own connect/accept/close loop over
# loopback and across a veth into a network namespace, with nothing attached, empty programs on the
# TCP collector's six hooks (the floor), the TCP programs or the agent, and bpftrace.
#
# Usage: tcp_connect_cost.sh TCP_HOLD TCP_CONNECT_LOOP [CONNECTIONS] [PASSES]
#   TCP_HOLD          build/bench/tcp_hold
#   TCP_CONNECT_LOOP  build/bench/tcp_connect_loop
#   CONNECTIONS       per measurement (default 5000)
#   PASSES            passes over every mode, interleaved so drift hits all modes (default 5)
# Modes as in tcp_cost.sh (TCP_MODES overrides): base empty hostprof tcp_nortt tcp_stats bpftrace
# (tcp instead of hostprof while $HOSTPROF has no tcp collector or HOSTPROF is unset). tcp_stats
# holds bpf/tcp.bpf.c with BPF run-time statistics on (empty programs alongside as their zero) and
# prints each program's runs and ns per connection: the direct cost, steadier than wall or CPU
# time on a busy machine.
# Prints per path and mode the median wall ns and CPU ns (the loop process: both of its threads,
# user + system, softirq work included when it ran on them) per connection, and what each mode adds
# over nothing attached and over the empty programs, as figures from this one run. Needs root and
# bpftrace (Makefile BENCH_DEBS).
set -euo pipefail
TCP_HOLD=${1:?usage: tcp_connect_cost.sh tcp_hold tcp_connect_loop [connections] [passes]}
loop=${2:?usage: tcp_connect_cost.sh tcp_hold tcp_connect_loop [connections] [passes]}
conns=${3:-5000}
passes=${4:-5}
tmp=$(mktemp -d)
# shellcheck source=tests/bench/tcp_bench_lib.sh
. "$(dirname "$0")/tcp_bench_lib.sh"
trap 'tcpb_cleanup; rm -rf "$tmp"' EXIT

command -v bpftrace >/dev/null || { echo "tcp_connect_cost: bpftrace not found" >&2; exit 1; }
for f in "$TCP_HOLD" "$loop"; do
	[ -x "$f" ] || { echo "tcp_connect_cost: $f is not an executable" >&2; exit 1; }
done
tcpb_default_modes tcp_nortt tcp_stats
modes=("${tcpb_modes[@]}")
tcpb_netns_up
tcpb_bpftrace_cmd

declare -A wall cpu pnc
skip=" "
# connections a hold sees: both paths, each with tcp_connect_loop's untimed warm-up (n/10, >= 100)
per_hold=$((2 * (conns + (conns / 10 < 100 ? 100 : conns / 10))))
for pass in $(seq "$passes"); do
	tcpb_check_foreign
	for mode in "${modes[@]}"; do
		[[ $skip == *" $mode "* ]] && continue
		if ! tcpb_attach "$mode"; then
			echo "tcp_connect_cost: $mode cannot attach here: row skipped" >&2
			skip+="$mode "
			continue
		fi
		for path in lo veth; do
			if [ $path = lo ]; then
				out=$("$loop" 127.0.0.1 "$conns")
			else
				out=$("$loop" --netns "$tcpb_ns" "$tcpb_addr_n" "$conns")
			fi
			read -r w c < <(echo "$out" | awk '{print $3, $6}')
			[[ $mode == *_stats ]] || wall[$path.$mode]+="$w "
			[[ $mode == *_stats ]] || cpu[$path.$mode]+="$c "
			echo "pass $pass $mode $path: $out" >&2
		done
		tcpb_detach "$mode"
		if [[ $mode == *_stats ]]; then
			# "prog NAME runs N ns/run X": runs and BPF ns per connection of the loop
			while read -r _ name _ n _ x; do
				pnc[$name]+="$(awk -v n="$n" -v x="$x" -v c="$per_hold" \
					'BEGIN {printf "%.2f:%.0f", n / c, n * x / c}') "
				echo "    $name: $n runs, $x ns/run" >&2
			done < <(grep '^prog ' "$tmp/holder.out")
		fi
	done
done

echo "connect/accept/close loop, $conns connections per run, median of $passes interleaved passes:"
printf "  %-5s %-10s %9s %9s %9s %9s %9s %9s   %s\n" path mode wall-ns +base +empty CPU-ns +base +empty \
	"[CPU ns per pass]"
for path in lo veth; do
	bw=$(echo "${wall[$path.base]}" | tcpb_median)
	bc=$(echo "${cpu[$path.base]}" | tcpb_median)
	ew=$(echo "${wall[$path.empty]:-}" | tcpb_median)
	ec=$(echo "${cpu[$path.empty]:-}" | tcpb_median)
	for mode in "${modes[@]}"; do
		[[ $mode == *_stats ]] && continue
		[ -n "${wall[$path.$mode]:-}" ] || { printf "  %-5s %-10s skipped (cannot attach here)\n" $path "$mode"; continue; }
		w=$(echo "${wall[$path.$mode]}" | tcpb_median)
		c=$(echo "${cpu[$path.$mode]}" | tcpb_median)
		awk -v p=$path -v mode="$mode" -v w="$w" -v c="$c" -v bw="$bw" -v bc="$bc" \
			-v ew="${ew:-}" -v ec="${ec:-}" -v all="${cpu[$path.$mode]}" '
			function d(x, y) { return y == "" ? "n/a" : sprintf("%+.0f", x - y) }
			BEGIN {printf "  %-5s %-10s %9.0f %9s %9s %9.0f %9s %9s   [%s]\n",
				p, mode, w, d(w, bw), d(w, ew), c, d(c, bc), d(c, ec), all}'
	done
done
echo "  (ns per connection; +base / +empty: added over nothing attached / over the empty programs)"
if [ -n "${pnc[*]:-}" ]; then
	echo "BPF run time per connection (BPF_ENABLE_STATS, both paths, medians of the *_stats passes;"
	echo "other sessions' connections during the run count too, see runs/conn):"
	tot=0 zero=0
	for name in $(printf '%s\n' "${!pnc[@]}" | sort); do
		r=$(echo "${pnc[$name]}" | tr ' ' '\n' | cut -d: -f1 | tr '\n' ' ' | tcpb_median)
		t=$(echo "${pnc[$name]}" | tr ' ' '\n' | cut -d: -f2 | tr '\n' ' ' | tcpb_median)
		printf "  %-24s %7.2f runs/conn %8.0f ns/conn\n" "$name" "$r" "$t"
		if [[ $name == empty_* ]]; then zero=$((zero + ${t%.*})); else tot=$((tot + ${t%.*})); fi
	done
	echo "  bpf/tcp.bpf.c: $tot ns/conn; empty programs in the same run (the statistics' own cost): $zero ns/conn;"
	echo "  net: $((tot - zero)) ns per connection"
fi
