# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/bench/tcp_cost.sh and tcp_connect_cost.sh (sourced, not run): the veth pair into
# a private network namespace, the holders of attached programs, bpftrace's script and medians.
#
# The caller sets `tmp` (a scratch directory) and calls tcpb_cleanup from its EXIT trap.

tcpb_ns=hpbench$$
tcpb_veth=hpb$$h
tcpb_addr_h=10.203.$(($$ % 250)).1
tcpb_addr_n=10.203.$(($$ % 250)).2
tcpb_holder=
tcpb_server=

tcpb_cleanup() {
	[ -n "$tcpb_holder" ] && tcpb_stop_holder
	if [ -n "$tcpb_server" ]; then
		kill "$tcpb_server" 2>/dev/null || true
		wait "$tcpb_server" 2>/dev/null || true
	fi
	ip link del "$tcpb_veth" 2>/dev/null || true
	ip netns del "$tcpb_ns" 2>/dev/null || true
}

# The namespace $tcpb_ns reached from the host at $tcpb_addr_n over a veth pair ($tcpb_addr_h on the
# host side). With segments=mtu, GSO is limited to one segment on both ends, so every MTU-sized
# segment is its own skb (and its own tcp_probe), as on a NIC without offloads.
tcpb_netns_up() {
	local segments=${1:-gso}
	ip netns add "$tcpb_ns"
	ip link add "$tcpb_veth" type veth peer name eth0 netns "$tcpb_ns"
	ip addr add "$tcpb_addr_h/24" dev "$tcpb_veth"
	ip -n "$tcpb_ns" addr add "$tcpb_addr_n/24" dev eth0
	if [ "$segments" = mtu ]; then
		ip link set "$tcpb_veth" gso_max_segs 1
		ip -n "$tcpb_ns" link set eth0 gso_max_segs 1
	fi
	ip link set "$tcpb_veth" up
	ip -n "$tcpb_ns" link set eth0 up
	ip -n "$tcpb_ns" link set lo up
}

# Connect latency per remote port, srtt on every segment, retransmits and resets per service port
# (the lower of the two: never an ephemeral port, or a server's maps grow by one key per client),
# on the tracepoints bpftrace can use here: the nearest equivalent of the TCP collector (bcc-style,
# no rate limit, no lifetimes).
tcpb_bpftrace_cmd() {
	cat >"$tmp/tcp.bt" <<'BT'
tracepoint:sock:inet_sock_set_state /args->protocol == 6/ {
  if (args->newstate == 2) { @start[args->skaddr] = nsecs; }
  if (args->oldstate == 2 && args->newstate == 1 && @start[args->skaddr]) {
    @connect[args->dport] = hist(nsecs - @start[args->skaddr]);
  }
  if (args->newstate == 7) { delete(@start[args->skaddr]); }
}
tracepoint:tcp:tcp_probe {
  $port = args->sport < args->dport ? args->sport : args->dport;
  @rtt[$port] = hist(args->srtt >> 3);
}
tracepoint:tcp:tcp_retransmit_skb { @retrans[args->sport < args->dport ? args->sport : args->dport] = count(); }
tracepoint:tcp:tcp_receive_reset { @rst_rx[args->sport < args->dport ? args->sport : args->dport] = count(); }
tracepoint:tcp:tcp_send_reset { @rst_tx[args->reason] = count(); }
END { clear(@start); clear(@connect); clear(@rtt); clear(@retrans); clear(@rst_rx); clear(@rst_tx); }
BT
	# bpftrace 0.17 attaches `tracepoint:` through tracefs; when it is not mounted, bpftrace gets
	# a private mount namespace with its own tracefs mount (the host's mounts stay untouched).
	if [ -d /sys/kernel/tracing/events/tcp ]; then
		tcpb_bpftrace=(bpftrace "$tmp/tcp.bt")
	else
		tcpb_bpftrace=(unshare -m --propagation private sh -c
			"mount -t tracefs tracefs /sys/kernel/tracing && exec bpftrace $tmp/tcp.bt")
	fi
}

# Warns when BPF programs of another process already sit on the TCP hooks (another hostprof,
# a test's agent): "base" is then not bare, and every mode pays for them. Checked per pass.
tcpb_check_foreign() {
	local n
	n=$(bpftool prog show 2>/dev/null |
		grep -cE 'name (set_state|probe|retransmit|retransmit_synack|receive_reset|send_reset)_(btf|raw) ' || true)
	[ "$n" = 0 ] || echo "WARNING: $n TCP collector programs of another process are attached" \
		"(bpftool prog show): base is not bare in this pass" >&2
}

# Starts a holder process ($2...) and waits until its output ($tmp/holder.out) contains $1.
tcpb_start_holder() {
	local ready=$1 _
	shift
	: >"$tmp/holder.out"
	"$@" >"$tmp/holder.out" 2>&1 &
	tcpb_holder=$!
	for _ in $(seq 300); do
		grep -q "$ready" "$tmp/holder.out" && { sleep 0.5; return 0; }
		kill -0 "$tcpb_holder" 2>/dev/null || break
		sleep 0.1
	done
	echo "holder did not get ready: $*" >&2
	sed 's/^/    /' "$tmp/holder.out" >&2
	kill -INT "$tcpb_holder" 2>/dev/null || true
	wait "$tcpb_holder" 2>/dev/null || true
	tcpb_holder=
	return 1
}

# SIGINT, repeated every 5 s (bpftrace 0.17 now and then misses one), SIGKILL after 30 s.
tcpb_stop_holder() {
	local i
	for i in $(seq 300); do
		kill -0 "$tcpb_holder" 2>/dev/null || break
		if [ "$i" = 300 ]; then
			echo "holder $tcpb_holder ignored SIGINT for 30 s: killed" >&2
			kill -KILL "$tcpb_holder" 2>/dev/null || true
		elif [ $((i % 50)) = 1 ]; then
			kill -INT "$tcpb_holder" 2>/dev/null || true
		fi
		sleep 0.1
	done
	wait "$tcpb_holder" 2>/dev/null || true
	tcpb_holder=
}

# Attaches what mode $1 measures; returns 1 (with the reason on stderr) if it cannot attach.
#   base: nothing; empty: empty programs on the six hooks; tcp / tcp_nortt / tcp_raw: bpf/tcp.bpf.c
#   via $TCP_HOLD; tcp_stats: tcp with the kernel's run-time statistics on (prints per program runs
#   and ns/run); raw_stats: the same on the raw_tp path; every / every_stats: tcp sampling srtt on every segment (no rate limit: what the
#   benchmark must see as costlier); hostprof: $HOSTPROF serve --collectors tcp at its defaults; bpftrace.
tcpb_attach() {
	case $1 in
	base) ;;
	empty) tcpb_start_holder attached "$TCP_HOLD" empty ;;
	tcp) tcpb_start_holder attached "$TCP_HOLD" tcp ;;
	tcp_nortt) tcpb_start_holder attached "$TCP_HOLD" tcp-nortt ;;
	tcp_raw) tcpb_start_holder attached "$TCP_HOLD" tcp raw_tp ;;
	tcp_stats) tcpb_start_holder attached env TCP_HOLD_STATS=1 "$TCP_HOLD" tcp ;;
	raw_stats) tcpb_start_holder attached env TCP_HOLD_STATS=1 "$TCP_HOLD" tcp raw_tp ;;
	every_stats) tcpb_start_holder attached env TCP_HOLD_STATS=1 TCP_HOLD_RTT_NS=1 "$TCP_HOLD" tcp ;;
	every) tcpb_start_holder attached env TCP_HOLD_RTT_NS=1 "$TCP_HOLD" tcp ;;
	empty_stats) tcpb_start_holder attached env TCP_HOLD_STATS=1 "$TCP_HOLD" empty ;;
	parts_stats) tcpb_start_holder attached env TCP_HOLD_STATS=1 "$TCP_HOLD" parts ;;
	part_*) tcpb_start_holder attached env TCP_HOLD_STATS=1 TCP_HOLD_PART="$1" "$TCP_HOLD" parts ;;
	bpftrace) tcpb_start_holder Attaching "${tcpb_bpftrace[@]}" ;;
	hostprof)
		tcpb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		tcpb_start_holder "serving HTTP" "$HOSTPROF" serve --collectors tcp \
			--listen "127.0.0.1:$tcpb_port"
		;;
	*)
		echo "unknown mode $1" >&2
		exit 2
		;;
	esac
}

# Detaches mode $1, printing what the holder reported (drops, RTT samples) indented on stderr.
tcpb_detach() {
	if [ "$1" = hostprof ]; then
		# the agent's own CPU since it started (utime + stime, clock ticks)
		awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "    hostprof CPU since start: %.2f s\n", ($12 + $13) / hz}' \
			"/proc/$tcpb_holder/stat" >&2 || true
		curl -sf "http://127.0.0.1:$tcpb_port/metrics" |
			grep -E '^hostprof_(events_dropped_total\{collector="tcp"|tcp_rtt_seconds_count|tcp_connects_total)' |
			grep -v ' 0$' |
			sed 's/^/    /' >&2 || true
	fi
	[ -n "$tcpb_holder" ] && tcpb_stop_holder
	case $1 in
	tcp*) grep -v -e attached -e '^prog ' "$tmp/holder.out" | sed 's/^/    /' >&2 || true ;;
	esac
}

# The mode list into tcpb_modes: $TCP_MODES when set, else base empty, the agent's TCP collector
# (hostprof, when $HOSTPROF has it; else bpf/tcp.bpf.c held without the agent: tcp), the extra
# modes given as arguments, bpftrace.
tcpb_default_modes() {
	if [ -n "${TCP_MODES:-}" ]; then
		read -r -a tcpb_modes <<<"$TCP_MODES"
		return
	fi
	tcpb_modes=(base empty)
	if [ -n "${HOSTPROF:-}" ] && "$HOSTPROF" --help 2>&1 | grep -qE '^  tcp +'; then
		tcpb_modes+=(hostprof)
	else
		[ -n "${HOSTPROF:-}" ] && echo "$HOSTPROF has no tcp collector: bpf/tcp.bpf.c held by $TCP_HOLD instead" >&2
		tcpb_modes+=(tcp)
	fi
	tcpb_modes+=("$@" bpftrace)
}

tcpb_median() {
	tr ' ' '\n' | { grep . || true; } | sort -g |
		awk '{a[NR]=$1} END {if (NR) print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
