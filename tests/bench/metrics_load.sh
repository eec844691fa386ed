#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# /metrics under 50 concurrent clients (issue 6 target: p99 <= 10 ms, agent CPU <= 10 % of a
# core for that load). Runs tests/bench/http_load against a fresh agent on 127.0.0.1: paced at
# 128 req/s in all (the old server's ceiling), then closed-loop; plain and gzip each. Agent CPU
# comes from /proc/PID/stat, net of an idle baseline measured first; RSS before and after.
# Usage: metrics_load.sh HOSTPROF HTTP_LOAD [SECONDS per run]   (env COLLECTORS=syscalls,cpu)
set -euo pipefail
hostprof=${1:?usage: metrics_load.sh path/to/hostprof path/to/http_load [seconds]}
load=${2:?usage: metrics_load.sh path/to/hostprof path/to/http_load [seconds]}
secs=${3:-10}
clients=50
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
cleanup() {
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT

args=(serve --listen "127.0.0.1:$port")
[ -n "${COLLECTORS:-}" ] && args+=(--collectors "$COLLECTORS")
"$hostprof" "${args[@]}" 2>"$log" &
agent=$!
for _ in $(seq 300); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
	sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$log"; exit 1; }
sleep 2 # let the first ticks pass
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$agent/status"; }
size=$(curl -sf "http://127.0.0.1:$port/metrics" | wc -c)
gz=$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics" | wc -c)
printf '/metrics under %d concurrent clients, %d s per run, collectors: %s\n' "$clients" "$secs" \
	"${COLLECTORS:-default}"
printf '  page                      %d bytes plain, %d gzip\n' "$size" "$gz"
rss0=$(rss_mb)
c0=$(cpu_ticks)
sleep "$secs"
idle=$(echo "($(cpu_ticks) - $c0) / $tick / $secs" | bc -l)
printf '  agent idle                %.2f %% of one core\n' "$(echo "100 * $idle" | bc -l)"
run() { # label, http_load options
	local label=$1 out c0 c1 share
	shift
	c0=$(cpu_ticks)
	out=$("$load" --port "$port" --clients "$clients" --seconds "$secs" "$@")
	c1=$(cpu_ticks)
	share=$(echo "($c1 - $c0) / $tick / $secs" | bc -l)
	# http_load prints "key value" pairs
	set -- $out
	declare -A r
	while [ $# -ge 2 ]; do r[$1]=$2; shift 2; done
	printf '  %-24s %7.1f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s  agent CPU %5.1f %% (%.1f %% net of idle)\n' \
		"$label" "${r[req_per_s]}" "${r[p50_ms]}" "${r[p99_ms]}" "${r[errors]}" \
		"$(echo "100 * $share" | bc -l)" "$(echo "100 * ($share - $idle)" | bc -l)"
}
run "paced 128 req/s, plain" --rate 2.56
run "paced 128 req/s, gzip" --rate 2.56 --gzip
run "closed loop, plain"
run "closed loop, gzip" --gzip
printf '  agent RSS before / after  %s MB / %s MB\n' "$rss0" "$(rss_mb)"
