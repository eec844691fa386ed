#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The agent's own cost with every default collector on while both CPUs do nothing but switch
# context (stress-ng --switch): context switches per second handled, agent CPU and RSS, drops.
# Usage: offcpu_agent_cost.sh HOSTPROF [SECONDS]. Needs root and stress-ng (Makefile BENCH_DEBS).
set -euo pipefail
hostprof=${1:?usage: offcpu_agent_cost.sh path/to/hostprof [seconds]}
secs=${2:-30}
ncpu=$(nproc)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
stress=
cleanup() {
	[ -n "$stress" ] && kill "$stress" 2>/dev/null || true
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT
command -v stress-ng >/dev/null || { echo "offcpu_agent_cost: stress-ng not found" >&2; exit 1; }

ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }
# context switches per second with nothing attached, for comparison
stress-ng --switch "$ncpu" --timeout "$((secs / 3 + 1))s" --quiet &
stress=$!
sleep 1
c0=$(ctxt)
t0=$(date +%s.%N)
sleep "$((secs / 3))"
c1=$(ctxt)
t1=$(date +%s.%N)
wait "$stress" || true
stress=
bare=$(echo "($c1 - $c0) / ($t1 - $t0)" | bc -l)

"$hostprof" serve --listen "127.0.0.1:$port" 2>"$log" &
agent=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
	sleep 0.1
done
stress-ng --switch "$ncpu" --timeout "$((secs + 2))s" --quiet &
stress=$!
sleep 1
tick=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$agent/stat")
c0=$(ctxt)
t0=$(date +%s.%N)
sleep "$secs"
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$agent/stat")
c1=$(ctxt)
t1=$(date +%s.%N)
metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
rate=$(echo "($c1 - $c0) / ($t1 - $t0)" | bc -l)
cpu=$(echo "($u1 + $s1 - $u0 - $s0) / $tick" | bc -l)
collectors=$(grep -o 'collector="[a-z]*"' <<<"$metrics" | sort -u | tr '\n' ' ')
printf 'agent with default collectors (%s) over %d s, stress-ng --switch %d\n' "$collectors" "$secs" "$ncpu"
printf '  context switches/s        %.0f with the agent, %.0f without (%.1f %% fewer)\n' \
	"$rate" "$bare" "$(echo "100 * ($bare - $rate) / $bare" | bc -l)"
printf '  agent CPU time            %.2f s = %.2f %% of one core\n' "$cpu" "$(echo "100 * $cpu / $secs" | bc -l)"
printf '  agent peak RSS            %.1f MB\n' "$(echo "$hwm / 1024" | bc -l)"
events=$(awk '/^hostprof_offcpu_events_total/ {print $2}' <<<"$metrics")
below=$(grep -E '^hostprof_events_dropped_total\{collector="offcpu",reason="offcpu_below_min"\}' <<<"$metrics" | awk '{print $2}')
printf '  off-CPU intervals         %.0f counted (estimated), %.0f shorter than --offcpu-min (%.2f %% of all)\n' \
	"${events:-0}" "${below:-0}" "$(echo "100 * ${below:-0} / (${events:-0} + ${below:-0} + 1)" | bc -l)"
echo "  off-CPU drops (all reasons, cumulative):"
grep -E '^hostprof_events_dropped_total\{collector="offcpu"' <<<"$metrics" | sed 's/^/    /' || echo "    none"
