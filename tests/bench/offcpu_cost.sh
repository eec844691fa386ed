#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What off-CPU tracing adds to a context switch: `perf bench sched pipe` pinned to one CPU with
# nothing attached, with empty programs on the four sched hooks, and with a bpftrace off-CPU script.
#
# Usage: offcpu_cost.sh EMPTY_SCHED_LOADER [LOOPS] [PASSES]
#   EMPTY_SCHED_LOADER  build/bench/empty_sched (holds tests/bench/empty_sched.bpf.c attached)
#   LOOPS               pipe round trips per measurement (default 100000)
#   PASSES              passes over every mode, interleaved so drift hits all modes (default 5)
# With HOSTPROF=build/hostprof, also the agent with only the offcpu collector at its defaults
# (`serve --collectors offcpu`), on tp_btf (and with HOSTPROF_RAW=1 forced onto raw_tp).
# With OFFCPU_CHECK=build/tools/offcpu_check, also the bare bpf/offcpu.bpf.c program host-wide
# (min 1 µs, kernel+user stacks; OFFCPU_PERIOD / OFFCPU_WAKERS as in offcpu_check), on tp_btf and
# on raw_tp, without the agent.
# With OFFCPU_SPLIT=1 as well, the tp_btf program without stacks, with the kernel stack only and
# with the user stack only (OFFCPU_STACKS of offcpu_check), to split its cost.
# Prints µs/op per mode (median of the passes) and the cost each mode adds over the baseline, as
# ratios from this one run. Needs root, perf (linux-perf) and bpftrace (Makefile BENCH_DEBS).
# The issue-8 target is hostprof's added cost <= 1/5 of bpftrace's.
#
# bpftrace 0.17 (bookworm) attaches sched_switch only as `tracepoint:` (it has no rawtracepoint
# support that works here), which needs tracefs. If tracefs is not mounted, bpftrace runs in a
# private mount namespace with its own tracefs mount, so the host's mounts are left untouched.
set -euo pipefail
loader=${1:?usage: offcpu_cost.sh path/to/empty_sched [loops] [passes]}
loops=${2:-100000}
passes=${3:-5}
cpu=0
tmp=$(mktemp -d)
holder=
cleanup() {
	if [ -n "$holder" ]; then
		kill -INT "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in perf bpftrace taskset; do
	command -v "$tool" >/dev/null || { echo "offcpu_cost: $tool not found" >&2; exit 1; }
done
[ -x "$loader" ] || { echo "offcpu_cost: $loader is not an executable" >&2; exit 1; }

# Off-CPU time by kernel + user stack the way hostprof's design does it on tracepoints only:
# stacks taken at switch-out (prev is current), interval summed at switch-in of the same thread.
cat >"$tmp/offcpu.bt" <<'BT'
tracepoint:sched:sched_switch {
  @t[tid] = nsecs; @ks[tid] = kstack; @us[tid] = ustack;
  $t = @t[args->next_pid];
  if ($t) {
    @off[@ks[args->next_pid], @us[args->next_pid], args->next_comm] = sum(nsecs - $t);
    delete(@t[args->next_pid]);
  }
}
END { clear(@t); clear(@ks); clear(@us); clear(@off); }
BT

# One measurement: µs per pipe round trip, both ends pinned to $cpu.
run_bench() {
	taskset -c "$cpu" perf bench sched pipe -l "$loops" 2>&1 |
		awk '/usecs\/op/ {print $1; found=1} END {exit !found}'
}

# Starts a holder process ($@), waits until its output ($tmp/holder.out) contains $ready.
start_holder() {
	local ready=$1
	shift
	: >"$tmp/holder.out"
	"$@" >"$tmp/holder.out" 2>&1 &
	holder=$!
	for _ in $(seq 300); do
		grep -q "$ready" "$tmp/holder.out" && { sleep 0.5; return 0; }
		kill -0 "$holder" 2>/dev/null || break
		sleep 0.1
	done
	echo "offcpu_cost: holder did not get ready:" >&2
	cat "$tmp/holder.out" >&2
	return 1
}

stop_holder() {
	kill -INT "$holder"
	wait "$holder" || true
	holder=
}

if [ -d /sys/kernel/tracing/events/sched ]; then
	bpftrace_cmd=(bpftrace "$tmp/offcpu.bt")
else
	bpftrace_cmd=(unshare -m --propagation private sh -c
		"mount -t tracefs tracefs /sys/kernel/tracing && exec bpftrace $tmp/offcpu.bt")
fi

modes=(base empty bpftrace)
if [ -n "${HOSTPROF:-}" ]; then
	[ -x "$HOSTPROF" ] || { echo "offcpu_cost: $HOSTPROF is not an executable" >&2; exit 1; }
	modes+=(hostprof)
	[ -n "${HOSTPROF_RAW:-}" ] && modes+=(hostprof_raw)
fi
if [ -n "${OFFCPU_CHECK:-}" ]; then
	[ -x "$OFFCPU_CHECK" ] || { echo "offcpu_cost: $OFFCPU_CHECK is not an executable" >&2; exit 1; }
	modes+=(offcpu_btf offcpu_raw)
	[ -n "${OFFCPU_SPLIT:-}" ] && modes+=(offcpu_nostack offcpu_kstack offcpu_ustack)
fi
declare -A results
for pass in $(seq "$passes"); do
	for mode in "${modes[@]}"; do
		case $mode in
		base) v=$(run_bench) ;;
		empty)
			start_holder attached "$loader"
			v=$(run_bench)
			stop_holder
			;;
		bpftrace)
			start_holder Attaching "${bpftrace_cmd[@]}"
			v=$(run_bench)
			stop_holder
			;;
		hostprof | hostprof_raw)
			attach=()
			[ "$mode" = hostprof_raw ] && attach=(--attach raw_tp)
			port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
			start_holder "serving HTTP" "$HOSTPROF" serve --collectors offcpu "${attach[@]}" \
				--listen "127.0.0.1:$port"
			for _ in $(seq 100); do
				curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
				sleep 0.1
			done
			v=$(run_bench)
			curl -sf "http://127.0.0.1:$port/metrics" |
				grep -E '^hostprof_events_dropped_total\{collector="offcpu"' |
				sed 's/^/    /' >&2 || true
			stop_holder
			;;
		offcpu_btf | offcpu_raw)
			path=tp_btf
			[ "$mode" = offcpu_raw ] && path=raw_tp
			start_holder attached "$OFFCPU_CHECK" "$path" hold
			v=$(run_bench)
			stop_holder
			sed 's/^/    /' "$tmp/holder.out" >&2
			;;
		offcpu_nostack | offcpu_kstack | offcpu_ustack)
			case $mode in
			offcpu_nostack) stacks=none ;;
			offcpu_kstack) stacks=kernel ;;
			*) stacks=user ;;
			esac
			start_holder attached env OFFCPU_STACKS=$stacks "$OFFCPU_CHECK" tp_btf hold
			v=$(run_bench)
			stop_holder
			;;
		esac
		results[$mode]+="$v "
		echo "pass $pass $mode: $v us/op" >&2
	done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(echo "${results[base]}" | median)
echo "perf bench sched pipe, taskset -c $cpu, $loops loops, median of $passes interleaved passes:"
for mode in "${modes[@]}"; do
	m=$(echo "${results[$mode]}" | median)
	awk -v mode="$mode" -v m="$m" -v b="$base" -v all="${results[$mode]}" \
		'BEGIN {printf "  %-9s %8.3f us/op  adds %+7.3f us/op (%+6.1f %%)   [%s]\n", mode, m, m-b, 100*(m-b)/b, all}'
done
empty=$(echo "${results[empty]}" | median)
bpft=$(echo "${results[bpftrace]}" | median)
awk -v b="$base" -v e="$empty" -v t="$bpft" 'BEGIN {
	if (e - b > 0) printf "  bpftrace adds %.1fx what empty programs add\n", (t-b)/(e-b);
	else printf "  empty programs add nothing measurable (%+.3f us/op)\n", e-b }'
for mode in hostprof hostprof_raw offcpu_btf offcpu_raw offcpu_nostack offcpu_kstack offcpu_ustack; do
	[ -n "${results[$mode]:-}" ] || continue
	m=$(echo "${results[$mode]}" | median)
	awk -v mode="$mode" -v m="$m" -v b="$base" -v t="$bpft" \
		'BEGIN {printf "  %-14s adds %.3f of what bpftrace adds (issue-8 target for the agent: <= 0.2)\n", mode, (m-b)/(t-b)}'
done
