# SPDX-License-Identifier: GPL-2.0-only
# The network the TCP tests build and their ground truth: a network namespace joined to the root
# namespace by a veth pair, nftables drop rules, tbf shaping, the kernel's SNMP counters, workloads.
"""Helpers of test_tcp.py.

Net() is a network namespace hpe2e<pid> with a veth pair: 10.77.0.1 / fd77::1 on the root side,
10.77.0.2 / fd77::2 inside. Everything it creates (the namespace, which takes the veth pair with
it, the root namespace's nftables table, qdiscs) is removed on the way out, on failure too.
Ground truth: tests/workloads/tcp_workload (clients time their own connects and round trips,
servers count their accepts and resets), the kernel's /proc/net/snmp and /proc/net/netstat of a
namespace (what nstat reads), and the known SYN retransmission schedule (1 s, then 2 s more)."""

import json
import os
import select
import socket
import subprocess
import time

from harness import WORKLOADS, ReadyProcess, check, diag

WL = "tcp_workload"
ROOT4, NS4 = "10.77.0.1", "10.77.0.2"
ROOT6, NS6 = "fd77::1", "fd77::2"
HIST_MIN_SHIFT, HIST_BUCKETS = 8, 28  # include/hp_hist.h


def run(argv, check_rc=True, input=None):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, input=input)
    if check_rc and out.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv), out.returncode,
                                                   (out.stderr or out.stdout).strip()[:300]))
    return out.stdout


class Net:
    """The namespace and veth pair (a context manager). ns: the namespace's name; exec(argv):
    argv run inside it; root_if / ns_if: the veth ends."""

    def __init__(self):
        self.ns = "hpe2e%d" % os.getpid()
        self.root_if, self.ns_if = "hpe%d" % os.getpid(), "eth0"
        self.root_table = None  # nftables table made in the root namespace
        self.qdiscs = []  # (namespace or None, interface)

    def __enter__(self):
        self.remove_stale()
        try:
            run(["ip", "netns", "add", self.ns])
            run(["ip", "link", "add", self.root_if, "type", "veth", "peer", "name", self.ns_if,
                 "netns", self.ns])
            run(["ip", "addr", "add", ROOT4 + "/24", "dev", self.root_if])
            run(["ip", "-6", "addr", "add", ROOT6 + "/64", "dev", self.root_if, "nodad"])
            run(["ip", "link", "set", self.root_if, "up"])
            run(self.exec(["ip", "addr", "add", NS4 + "/24", "dev", self.ns_if]))
            run(self.exec(["ip", "-6", "addr", "add", NS6 + "/64", "dev", self.ns_if, "nodad"]))
            run(self.exec(["ip", "link", "set", self.ns_if, "up"]))
            run(self.exec(["ip", "link", "set", "lo", "up"]))
            self.wait_link()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @staticmethod
    def remove_stale():
        """Namespaces, veths and root tables a killed run (its pid gone) left behind: they hold
        the addresses this run needs."""
        names = run(["ip", "netns", "list"]).split()
        tables = run(["nft", "list", "tables"]).split()
        for name in set(names + tables):
            pid = name[len("hpe2e"):]
            if not (name.startswith("hpe2e") and pid.isdigit()) or os.path.exists("/proc/" + pid):
                continue
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            subprocess.run(["ip", "link", "del", "hpe" + pid], capture_output=True)
            subprocess.run(["nft", "delete", "table", "inet", name], capture_output=True)

    def close(self):
        if self.root_table:
            subprocess.run(["nft", "delete", "table", "inet", self.root_table],
                           capture_output=True)
            self.root_table = None
        for ns, dev in self.qdiscs:
            subprocess.run((["ip", "netns", "exec", ns] if ns else [])
                           + ["tc", "qdisc", "del", "dev", dev, "root"], capture_output=True)
        self.qdiscs = []
        # deleting the namespace deletes its veth end, and with it the root side's
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.root_if], capture_output=True)

    def exec(self, argv):
        return ["ip", "netns", "exec", self.ns] + [str(a) for a in argv]

    def wait_link(self):
        """Both ends answer: a connect to a closed port inside is refused over IPv4 and IPv6
        (neighbours resolved before any agent starts, so no test counts these)."""
        deadline = time.monotonic() + 10
        for family, addr in ((socket.AF_INET, NS4), (socket.AF_INET6, NS6)):
            while True:
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(1)
                    try:
                        s.connect((addr, 9))
                    except ConnectionRefusedError:
                        break
                    except OSError:
                        pass
                if time.monotonic() > deadline:
                    raise RuntimeError("veth: %s does not answer" % addr)
                time.sleep(0.1)

    def anyip(self, prefix):
        """Every address of prefix (e.g. 10.78.0.0/16) local inside the namespace (a local route
        on lo: a socket may bind or be reached at any of them), and routed there from the root
        namespace through the veth (that route goes with the veth)."""
        run(self.exec(["ip", "route", "add", "local", prefix, "dev", "lo"]))
        run(["ip", "route", "add", prefix, "via", NS4, "dev", self.root_if])

    def sysctl(self, key, value):
        """A sysctl of the namespace (net.ipv4.* are per namespace)."""
        run(self.exec(["sysctl", "-q", "-w", "%s=%s" % (key, value)]))

    def nft(self, script, in_ns=True):
        """Loads an nftables script into the namespace, or into the root namespace (its own
        table, inet hpe2e<pid>, removed on close)."""
        if in_ns:
            run(self.exec(["nft", "-f", "-"]), input=script)
        else:
            self.root_table = self.ns
            run(["nft", "-f", "-"], input=script)

    def nft_flush(self, table, in_ns=True):
        run((self.exec([]) if in_ns else []) + ["nft", "delete", "table", "inet", table])
        if not in_ns:
            self.root_table = None

    def nft_counter(self, table, name, in_ns=True):
        """Packets counted by the named counter of a table."""
        out = run((self.exec([]) if in_ns else []) + ["nft", "-j", "list", "counter", "inet",
                                                      table, name])
        for obj in json.loads(out)["nftables"]:
            if "counter" in obj:
                return obj["counter"]["packets"]
        raise RuntimeError("no counter %s in %s" % (name, out[:200]))

    def tbf(self, rate, burst, limit, in_ns=False):
        """Shapes the egress of a veth end (root side unless in_ns) with a token bucket."""
        dev = self.ns_if if in_ns else self.root_if
        argv = ["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate, "burst", burst,
                "limit", limit]
        run(self.exec(argv) if in_ns else argv)
        self.qdiscs.append((self.ns if in_ns else None, dev))

    def snmp(self, in_ns=True):
        """The kernel's TCP counters of a namespace ("Tcp.RetransSegs", "TcpExt.TCPTimeouts"...),
        as nstat reads them: /proc/net/snmp and /proc/net/netstat seen from inside it."""
        text = run((self.exec([]) if in_ns else []) + ["cat", "/proc/net/snmp",
                                                       "/proc/net/netstat"])
        out, lines = {}, text.splitlines()
        for head, vals in zip(lines[0::2], lines[1::2]):
            names, values = head.split(), vals.split()
            if names[0] != values[0]:
                continue
            for n, v in zip(names[1:], values[1:]):
                out["%s.%s" % (names[0].rstrip(":"), n)] = int(v)
        return out


def snmp_delta(before, after, key):
    return after[key] - before[key]


# --- workloads ----------------------------------------------------------------------------------

def _argv(net, args):
    argv = [os.path.join(WORKLOADS, WL)] + [str(a) for a in args]
    return net.exec(argv) if net else argv


class Server(ReadyProcess):
    """tcp_workload serve ADDR PORT MODE (in the namespace when net is given): listening once
    constructed; stop() ends it and answers its JSON (accepts, bytes, resets)."""

    ready_timeout = 10

    def __init__(self, addr, port, mode, net=None):
        super().__init__(_argv(net, ["serve", addr, port, mode]), own_pid=False)

    def stop(self):
        self.go()
        return self.output(30)


class Client(ReadyProcess):
    """tcp_workload connect ADDR PORT N [opts] (in the namespace when net is given); run()
    answers its JSON: counts by outcome, times_ns of the connects that succeeded, sum_ns."""

    ready_timeout = 10

    def __init__(self, addr, port, n, *opts, net=None):
        self.n = n
        super().__init__(_argv(net, ["connect", addr, port, n] + list(opts)), own_pid=False)

    def run(self, timeout=120):
        self.go()
        gt = self.output(timeout)
        check(gt["n"] == self.n, "tcp_workload did not try %d connects: %s" % (self.n, gt))
        return gt


class Ping(ReadyProcess):
    """tcp_workload ping: go() connects and runs the warm-up rounds, warmed() waits for them,
    timed() runs the timed rounds and answers the JSON (rtt_ns, median_ns)."""

    ready_timeout = 10

    def __init__(self, addr, port, warm, n, size, net=None):
        super().__init__(_argv(net, ["ping", addr, port, warm, n, size]), own_pid=False)

    def go(self):
        self.proc.stdin.write(b"g")
        self.proc.stdin.flush()

    def warmed(self, timeout=60):
        ready, _, _ = select.select([self.proc.stderr], [], [], timeout)
        line = self.proc.stderr.readline().decode(errors="replace") if ready else ""
        check(line.strip() == "warm", "tcp_workload ping: no 'warm' line: %r" % line)

    def timed(self, timeout=120):
        self.proc.stdin.close()
        self.proc.stdin = None
        return self.output(timeout)


# --- log2 buckets (include/hp_hist.h) ----------------------------------------------------------

def bucket_of(ns):
    """hp_hist__bucket(): index of the bucket (2^(S+i-1), 2^(S+i)] ns that counts ns."""
    if ns <= 1 << HIST_MIN_SHIFT:
        return 0
    i = (int(ns) - 1).bit_length() - HIST_MIN_SHIFT
    return min(i, HIST_BUCKETS - 1)


def bound_s(i):
    """The upper bound (le) of bucket i in seconds; inf for the overflow bucket."""
    return float("inf") if i >= HIST_BUCKETS - 1 else (1 << (HIST_MIN_SHIFT + i)) / 1e9


def hist(metrics, family, **labels):
    """{le: cumulative count}, sum and count of the histogram series of family whose labels
    include these, summed over the matching series (none: empty)."""
    buckets, total, count = {}, 0.0, 0.0
    for l, v in metrics.select(family + "_bucket", **labels):
        le = float(l["le"])
        buckets[le] = buckets.get(le, 0) + v
    for _, v in metrics.select(family + "_sum", **labels):
        total += v
    for _, v in metrics.select(family + "_count", **labels):
        count += v
    return buckets, total, count


def hist_delta(before, after, family, **labels):
    """(cumulative bucket deltas {le: n}, sum delta s, count delta) between two scrapes."""
    b0, s0, c0 = hist(before, family, **labels)
    b1, s1, c1 = hist(after, family, **labels)
    return {le: b1[le] - b0.get(le, 0) for le in b1}, s1 - s0, c1 - c0


def bucket_check(deltas, times_ns, where, slack=0.05, wake_ns=3000000, missed=0):
    """Each value the client timed in its log2 bucket. For every bound le the histogram's
    cumulative count must lie between the client's values <= le when each is taken 5 % larger
    and those <= le when each is taken 5 % smaller, less wake_ns: a value within 5 % of a bound
    may sit on either side of it, and the kernel's span (SYN_SENT -> ESTABLISHED) lies inside
    the client's connect(), which also holds the syscall and the wake-up of the caller (up to
    ~3 ms when the host is loaded), so the kernel's value may only be that much smaller.
    missed: events the kernel skipped or never delivered, by which each count may fall short."""
    check(deltas, "%s: no histogram buckets" % where)
    for le in sorted(deltas):
        lo = sum(1 for t in times_ns if t * (1 + slack) / 1e9 <= le)
        hi = sum(1 for t in times_ns if min(t * (1 - slack), t - wake_ns) / 1e9 <= le)
        check(lo - missed <= deltas[le] <= hi, "%s: %d values <= le=%g s in the histogram; the "
              "client's own times put %d..%d there (bounds +-%d%%); deltas %s" % (
                  where, deltas[le], le, lo, hi, slack * 100,
                  {k: v for k, v in sorted(deltas.items()) if v}))


def same_bound(a, b):
    """Two le values name the same bound (the text form may round: 0.0335544 vs 0.033554432)."""
    return a == b or (a is not None and b is not None and abs(a - b) <= 1e-5 * max(a, b))


def hist_quantile_bucket(deltas, q):
    """The le of the bucket holding quantile q of cumulative deltas (None when empty)."""
    les = sorted(deltas)
    total = deltas[les[-1]] if les else 0
    if not total:
        return None
    for le in les:
        if deltas[le] >= q * total:
            return le
    return les[-1]


def wait_tick():
    """Events of the last moment reach /metrics at the agent's next drain (1 s ticks)."""
    time.sleep(1.5)


def log(text):
    diag(text)
