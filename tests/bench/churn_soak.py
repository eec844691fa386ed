#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Soak benchmark for issue 6 "bounded memory under process churn": runs the agent while
# tests/workloads/churn starts short-lived processes at a fixed rate, samples its RSS, fds and CPU.
"""Usage: churn_soak.py --hostprof build/hostprof --churn build/workloads/churn [--rate 1000]
                  [--seconds 600] [--interval 5] [--spin-us 200] [--cgroup] [--json FILE]
                  [-- AGENT ARGS...]

Prints one line per sample (time, RSS, fds, agent CPU, a few self-metrics) and a summary: RSS at
start / steady (median of the last third) / max, the RSS slope over the last half (least squares,
MiB per minute), fd count range, agent CPU share of one core, and the exec rate churn reached.
Figures come from /proc/PID (kernel ground truth), not from the agent. tests/e2e/test_soak.py uses
its /proc readers and slope_per_minute for the one-minute CI version.
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
# self-metrics worth seeing next to RSS: store sizes and cache fills
METRIC_RE = re.compile(
    r'^(hostprof_map_entries\{collector="cpu",map="(?:[a-z_]+)"\}|hostprof_cpu_retention_\w+'
    r'(?:\{[^}]*\})?)\s+(\S+)$', re.M)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def proc_rss_split_kib(pid):
    """RSS by kind of mapping from /proc/PID/smaps: heap ([heap], the main arena), anon (other
    anonymous memory: thread arenas, large mallocs, BPF map mmaps), file (binary and libraries)."""
    split = {"heap": 0, "anon": 0, "file": 0}
    kind = "anon"
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split(None, 6)
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", head[0]):
                name = head[5].strip() if len(head) > 5 else ""
                kind = ("heap" if name == "[heap]" else
                        "file" if name.startswith("/") and not name.startswith("/memfd")
                        and "(deleted)" not in name else "anon")
            elif head[0] == "Rss:":
                split[kind] += int(head[1])
    return split


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def slope_per_minute(points):
    """Least-squares slope of (seconds, value) points, in value per minute."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(t for t, _ in points)
    my = statistics.fmean(v for _, v in points)
    den = sum((t - mx) ** 2 for t, _ in points)
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / den if den else 0.0


class Soak:
    """Agent + churn, sampled every interval seconds. run() returns the summary dict."""

    def __init__(self, hostprof, churn, rate, seconds, interval=5.0, agent_args=(), env=None,
                 spin_us=200, log=sys.stdout, cgroup=None):
        self.hostprof, self.churn = hostprof, churn
        self.rate, self.seconds, self.interval = rate, seconds, interval
        self.agent_args, self.spin_us = list(agent_args), spin_us
        self.cgroup = cgroup  # a cgroup v2 directory: churn runs in it, the agent filters on it
        if cgroup:
            self.agent_args += ["--cgroup", cgroup]
        self.env = dict(os.environ, **(env or {}))
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.agent_log = tempfile.NamedTemporaryFile(prefix="hostprof-soak-", suffix=".log")
        self.out = log
        self.agent = None
        self.samples = []  # dicts: t, rss_kib, fds, cpu_s, metrics

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
            return r.read().decode()

    def start_agent(self):
        cmd = [self.hostprof, "serve", "--listen", "127.0.0.1:%d" % self.port] + self.agent_args
        self.agent = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.agent_log,
                                      stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.agent.poll() is not None:
                raise RuntimeError("agent exited with %d: %s" % (self.agent.returncode,
                                                                 self.agent_output()[-2000:]))
            try:
                if self.get("/healthz", timeout=2) is not None:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("agent not healthy after 60 s")

    def agent_output(self):
        with open(self.agent_log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def sample(self, t0):
        pid = self.agent.pid
        s = {"t": time.monotonic() - t0, "rss_kib": proc_rss_kib(pid), "fds": proc_fds(pid),
             "cpu_s": proc_cpu_seconds(pid), "split_kib": proc_rss_split_kib(pid),
             "metrics": {}}
        try:
            for name, value in METRIC_RE.findall(self.get("/metrics")):
                s["metrics"][name] = float(value)
        except OSError as e:
            s["metrics"]["scrape_error"] = str(e)
        # RSS and fds again after the scrape, which itself allocates; the lower one is kept
        s["rss_kib"] = min(s["rss_kib"], proc_rss_kib(pid))
        self.samples.append(s)
        m = s["metrics"]
        short = " ".join("%s=%s" % (re.sub(r'^hostprof_|\{collector="cpu",map=|"|\}', "", k),
                                    "%g" % v if isinstance(v, float) else v)
                         for k, v in sorted(m.items()))
        sp = s["split_kib"]
        print("%6.0f s  rss %6.1f MiB (heap %.1f anon %.1f file %.1f)  fds %3d  cpu %6.1f s  %s" % (
            s["t"], s["rss_kib"] / 1024, sp["heap"] / 1024, sp["anon"] / 1024, sp["file"] / 1024,
            s["fds"], s["cpu_s"], short), file=self.out, flush=True)
        return s

    def run(self):
        self.start_agent()
        churn = None
        try:
            time.sleep(2)  # let start-up allocations (kallsyms) settle before the first sample
            t0 = time.monotonic()
            first = self.sample(t0)
            argv = [self.churn, str(self.rate), str(self.seconds), str(self.spin_us)]
            if self.cgroup:  # enter the cgroup before exec, so every child is born in it
                argv = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                        self.cgroup] + argv
            churn = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            next_t = t0 + self.interval
            while churn.poll() is None:
                time.sleep(max(0.0, next_t - time.monotonic()))
                next_t += self.interval
                if self.agent.poll() is not None:
                    raise RuntimeError("agent died during the soak: %s"
                                       % self.agent_output()[-3000:])
                self.sample(t0)
            out, err = churn.communicate()
            truth = json.loads(out.decode().strip().splitlines()[-1]) if out else {}
            if churn.returncode != 0:
                raise RuntimeError("churn exited %d: %s" % (churn.returncode, err.decode()))
            return self.summary(first, truth)
        finally:
            if churn and churn.poll() is None:
                churn.kill()
                churn.wait()

    def stop(self):
        """SIGTERM; returns (exit code, agent log)."""
        if self.agent and self.agent.poll() is None:
            self.agent.send_signal(signal.SIGTERM)
            try:
                self.agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.agent.kill()
                self.agent.wait()
        rc = self.agent.returncode if self.agent else None
        out = self.agent_output() if self.agent else ""
        self.agent_log.close()
        return rc, out

    def summary(self, first, truth):
        s = self.samples
        dur = s[-1]["t"] - first["t"]
        last_third = [x["rss_kib"] for x in s if x["t"] >= s[-1]["t"] * 2 / 3]
        last_half = [(x["t"], x["rss_kib"] / 1024) for x in s if x["t"] >= s[-1]["t"] / 2]
        return {
            "seconds": dur,
            "execs": truth.get("started", 0),
            "exec_rate": truth.get("started", 0) / truth["seconds"] if truth else 0,
            "rss_start_mib": first["rss_kib"] / 1024,
            "rss_steady_mib": statistics.median(last_third) / 1024,
            "rss_max_mib": max(x["rss_kib"] for x in s) / 1024,
            "rss_end_mib": s[-1]["rss_kib"] / 1024,
            "rss_slope_mib_per_min_last_half": slope_per_minute(last_half),
            "fds_start": first["fds"],
            "fds_min": min(x["fds"] for x in s),
            "fds_max": max(x["fds"] for x in s),
            "fds_end": s[-1]["fds"],
            "agent_cpu_percent": 100.0 * (s[-1]["cpu_s"] - first["cpu_s"]) / dur if dur else 0,
            "samples": [{k: v for k, v in x.items()} for x in s],
        }


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise RuntimeError("no cgroup2 mount")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hostprof", default="build/hostprof")
    ap.add_argument("--churn", default="build/workloads/churn")
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--interval", type=float, default=5)
    ap.add_argument("--spin-us", type=int, default=200)
    ap.add_argument("--json", help="also write the summary with every sample to this file")
    ap.add_argument("--cgroup", action="store_true",
                    help="run churn in a new cgroup and profile only that cgroup (--cgroup): "
                    "measures the churn alone on a machine busy with other work")
    ap.add_argument("agent_args", nargs="*", help="extra hostprof serve arguments (after --)")
    a = ap.parse_args()
    cg = None
    if a.cgroup:
        cg = os.path.join(cgroup2_root(), "hostprof-soak-%d" % os.getpid())
        os.mkdir(cg)
    soak = Soak(os.path.abspath(a.hostprof), os.path.abspath(a.churn), a.rate, a.seconds,
                a.interval, a.agent_args, spin_us=a.spin_us, cgroup=cg)
    try:
        res = soak.run()
    finally:
        rc, log = soak.stop()
        if cg:
            for _ in range(50):  # the last children may still be leaving it
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.1)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    print("soak: %.0f s, %d execs (%.0f/s, target %.0f/s), agent %s, exit %s" % (
        res["seconds"], res["execs"], res["exec_rate"], a.rate,
        " ".join(soak.agent_args) or "defaults", rc))
    print("  RSS start / steady / max / end   %.1f / %.1f / %.1f / %.1f MiB" % (
        res["rss_start_mib"], res["rss_steady_mib"], res["rss_max_mib"], res["rss_end_mib"]))
    print("  RSS slope over the last half     %+.2f MiB/min" % res["rss_slope_mib_per_min_last_half"])
    print("  fds start / min / max / end      %d / %d / %d / %d" % (
        res["fds_start"], res["fds_min"], res["fds_max"], res["fds_end"]))
    print("  agent CPU                        %.1f %% of one core" % res["agent_cpu_percent"])
    if rc != 0:
        print(log[-3000:], file=sys.stderr)
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
