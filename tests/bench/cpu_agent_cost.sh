#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of the CPU profiler itself: agent CPU time and peak RSS over a run at 99 Hz with every CPU
# busy (targets: <= 0.5 % of one core, <= 40 MB RSS). Usage: cpu_agent_cost.sh HOSTPROF [SECONDS]
set -euo pipefail
hostprof=${1:?usage: cpu_agent_cost.sh path/to/hostprof [seconds]}
secs=${2:-60}
ncpu=$(nproc)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
burners=()
cleanup() {
	for b in "${burners[@]}"; do kill "$b" 2>/dev/null || true; done
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT

"$hostprof" serve --collectors cpu --frequency 99 --listen "127.0.0.1:$port" 2>"$log" &
agent=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
	sleep 0.1
done
for _ in $(seq "$ncpu"); do
	bash -c 'while :; do :; done' &
	burners+=($!)
done
tick=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$agent/stat")
sleep "$secs"
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$agent/stat")
samples=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^hostprof_cpu_samples_total/ {print $2}')
# a profile request over the whole run, as a scraper would make
t0=$(date +%s.%N)
bytes=$(curl -sf "http://127.0.0.1:$port/api/v1/profile/cpu?since=${secs}s&format=pprof" | wc -c)
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
cpu=$(echo "($u1 + $s1 - $u0 - $s0) / $tick" | bc -l)
printf 'cpu profiler over %d s at 99 Hz, %d CPUs busy\n' "$secs" "$ncpu"
printf '  samples drained           %d (expected ~%d)\n' "$samples" $((99 * ncpu * secs))
printf '  agent CPU time            %.2f s = %.3f %% of one core   (target <= 0.5 %%)\n' \
	"$cpu" "$(echo "100 * $cpu / $secs" | bc -l)"
printf '  agent RSS now / peak      %.1f MB / %.1f MB            (target <= 40 MB)\n' \
	"$(echo "$rss / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
printf '  pprof of the whole run    %d bytes in %.0f ms\n' "$bytes" "$(echo "($t1 - $t0) * 1000" | bc -l)"
