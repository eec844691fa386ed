# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of graceful degradation: collectors made to fail for real (a verifier
# rejection, a missing kernel feature) while the others must keep serving exact figures.
"""A collector that cannot start on a node is down, in one log line and in
hostprof_collector_up{collector,reason}, and the agent serves the others; --require makes it
fatal (exit 1, that line alone), as is no collector at all. The failures are the kernel's own:

- verifier: --btf with a minimal BTF made by `bpftool gen min_core_btf` for the syscall
  collector's object only. The CPU collector's CO-RE relocations then find no kernel type,
  libbpf poisons those instructions and the verifier refuses the program (EINVAL) -- what an
  older kernel without a field does. The syscall collector, whose types are all there, runs.
- missing_feature: sysctl kernel.perf_event_max_sample_rate below the start-up probe's 99 Hz
  makes perf_event_open(cpu-clock) fail with EINVAL; the sysctl is restored as soon as the agent
  has started (the probe runs once, at start-up), so the window other users see is ~1 s.

Ground truth: the sleeper's own counts (exact, with --pid), the kernel's errno, the JSON and
log lines the agent must print."""

import json
import os
import re
import subprocess
import tempfile
import time

import harness
from harness import Agent, Sleeper, check, diag, error_lines, free_port, http, \
    promtool_check, register, run_cli
from syscalls_lib import M_OPENS, N_SLEEPS, errno_delta, hist_delta

SAMPLE_RATE = "/proc/sys/kernel/perf_event_max_sample_rate"


def syscalls_object():
    """The syscall collector's BPF object that make built beside the workloads."""
    obj = os.path.join(os.path.dirname(harness.WORKLOADS), "bpf", "syscalls.bpf.o")
    check(os.path.exists(obj), "%s missing (make e2e-build builds it)" % obj)
    return obj


def syscalls_only_btf(where):
    """A BTF with only the kernel types the syscall collector relocates against."""
    btf = os.path.join(where, "syscalls-only.btf")
    out = subprocess.run(["bpftool", "gen", "min_core_btf", "/sys/kernel/btf/vmlinux", btf,
                          syscalls_object()], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "bpftool gen min_core_btf failed: %s" % out.stderr.strip()[-300:])
    return btf


def problems(log):
    """Warn and error lines of the agent's log (its timestamped lines only)."""
    return [l for l in log.splitlines() if re.match(r"\S+Z (warn|error) ", l)]


def check_down_line(line, collector, reason, errno_text, what):
    check("collector %s is down (reason %s, %s)" % (collector, reason, errno_text) in line
          and "run with -v for the verifier log" in line,
          "%s: the line does not say collector %s is down (reason %s, %s) and point at -v: %r"
          % (what, collector, reason, errno_text, line))


def check_status_json(doc, want, what):
    """doc["collectors"] must be exactly want: {name: reason} ("" = up)."""
    got = {k: (v["up"], v["reason"]) for k, v in doc.get("collectors", {}).items()}
    exp = {k: (r == "", r) for k, r in want.items()}
    check(got == exp, "%s collectors %s, want %s" % (what, got, exp))


def check_up_series(m, want):
    got = {(l["collector"], l["reason"]): v for l, v in m.select("hostprof_collector_up")}
    exp = {(k, r): (1.0 if r == "" else 0.0) for k, r in want.items()}
    check(got == exp, "hostprof_collector_up %s, want %s" % (got, exp))


def check_degraded_agent(agent, sl, want, reason_line):
    """The agent runs with the syscall collector up and cpu down (want: {name: reason}); its
    syscall figures for the sleeper must be exact, its status the same everywhere."""
    before = agent.metrics()
    gt = sl.run()
    after = agent.metrics()
    # exact figures against the sleeper's own (not the share in the 8-16 ms bucket, which is
    # the machine's load: test_syscalls.py holds that)
    d = hist_delta(before, after, "nanosleep")
    check(d["count"] == gt["n"] and gt["sleep_in_bucket"] <= d["in_bucket"] <= gt["n"]
          and abs(d["sum"] - gt["sleep_sum_ns"] / 1e9) <= 0.05 * gt["sleep_sum_ns"] / 1e9,
          "nanosleep delta %s vs the sleeper's %s" % (d, gt))
    got = errno_delta(before, after, "openat", "ENOENT")
    check(got == gt["enoent"], "openat ENOENT grew %d, want exactly %d" % (got, gt["enoent"]))
    check_up_series(after, want)
    paths = {l["collector"] for l, _ in after.select("hostprof_collector_attach_info")}
    check(paths == {"syscalls"}, "attach_info for %s, want only syscalls" % sorted(paths))
    cpu = [n for n, _, _ in after.samples if n.startswith("hostprof_cpu_")]
    check(not cpu, "a down cpu collector still exports %s" % sorted(set(cpu))[:5])
    promtool_check(after.text)

    status, _, body = agent.get("/healthz")
    check(status == 200 and json.loads(body)["status"] == "ok", "/healthz %d %r" % (status, body))
    check_status_json(json.loads(body), want, "/healthz")
    # a collector asked for that could not load keeps the agent unready (not dead), naming it
    status, _, body = agent.get("/readyz")
    check(status == 503, "/readyz answered %d with cpu down: %s" % (status, body))
    doc = json.loads(body)
    check(doc["status"] == "not_ready" and doc["missing"] == ["collector:cpu"], "/readyz %r" % doc)
    check_status_json(doc, want, "/readyz")
    status, _, body = agent.get("/")
    check(status == 200 and "<code>cpu</code></td><td><b>down</b>: %s" % want["cpu"] in body
          and "<code>syscalls</code></td><td>running" in body,
          "the landing page does not show cpu down (%s) and syscalls running" % want["cpu"])
    status, _, _ = agent.get("/debug/pprof/profile?seconds=1")
    check(status == 404, "the down cpu collector's profile answered %d, want 404" % status)

    lines = problems(agent.stderr())
    check(len(lines) == 1, "want one warning line for the down collector, got %s" % lines)
    check_down_line(lines[0], "cpu", want["cpu"], reason_line, "the log")


def check_fatal(args, what, must_have):
    """hostprof ARGS fails at start-up: exit 1, one stderr line with every must_have in it."""
    t0 = time.monotonic()
    out = run_cli(args, timeout=120)
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and all(s in lines[0] for s in must_have),
          "%s: exit %d, error lines %s, want one with %s" % (what, out.returncode, lines,
                                                             must_have))
    return lines[0], time.monotonic() - t0


@register("degrade_verifier")
def test_degrade_verifier():
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-degrade-") as d:
        btf = syscalls_only_btf(d)
        base = ["--btf", btf, "--collectors", "syscalls,cpu"]
        want = {"syscalls": "", "cpu": "verifier"}
        with Sleeper(N_SLEEPS, M_OPENS) as sl:
            # --require syscalls: required and up, so ready
            with Agent(*(base + ["--pid", str(sl.pid), "--require", "syscalls"])) as agent:
                check_degraded_agent(agent, sl, want, "Invalid argument")
        listen = ["--listen", "127.0.0.1:%d" % free_port()]
        line, _ = check_fatal(["serve"] + listen + base + ["--require", "cpu"], "--require cpu",
                              ["hostprof: required collector cpu is down"])
        check_down_line(line, "cpu", "verifier", "Invalid argument", "--require cpu")
        check("BPF program load failed" in line, "the line does not quote libbpf: %r" % line)
        # -v: the log, the verifier's included, then that line last
        out = run_cli(["serve"] + listen + base + ["--require", "cpu", "-v"], timeout=120)
        tail = error_lines(out.stderr)[-1:]
        check(out.returncode == 1 and "-- BEGIN PROG LOAD LOG --" in out.stderr
              and tail == [line], "--require cpu -v: exit %d, no verifier log or last line %s"
              % (out.returncode, tail))
        # no collector at all is fatal too
        line, _ = check_fatal(["serve"] + listen + ["--btf", btf, "--collectors", "cpu"],
                              "only cpu, which cannot start",
                              ["hostprof: no collector could start: collector cpu is down"])
        check_down_line(line, "cpu", "verifier", "Invalid argument", "no collector")
        # record needs its collector: one line, nothing written
        out_file = os.path.join(d, "out.folded")
        line, took = check_fatal(["record", "--btf", btf, "-d", "20s", "-o", out_file],
                                 "record", ["hostprof: collector cpu is down"])
        check_down_line(line, "cpu", "verifier", "Invalid argument", "record")
        left = [f for f in os.listdir(d) if f.startswith("out.folded")]
        check(took < 15 and not left, "record took %.1f s, left %s" % (took, left))


class LowSampleRate:
    """kernel.perf_event_max_sample_rate below the probe's 99 Hz until restore() (or the end of
    the with block)."""

    def __init__(self, rate=50):
        self.rate = rate

    def __enter__(self):
        with open(SAMPLE_RATE) as f:
            self.saved = f.read().strip()
        with open(SAMPLE_RATE, "w") as f:
            f.write(str(self.rate))
        return self

    def restore(self):
        if self.saved is not None:
            with open(SAMPLE_RATE, "w") as f:
                f.write(self.saved)
            self.saved = None

    def __exit__(self, *exc):
        self.restore()
        return False


@register("degrade_missing_feature")
def test_degrade_missing_feature():
    want = {"syscalls": "", "cpu": "missing_feature"}
    why = "Operation not supported"
    with Sleeper(N_SLEEPS, M_OPENS) as sl:
        # the agent answers once started: the probe has run, the sysctl can go back
        with LowSampleRate() as low, Agent("--collectors", "syscalls,cpu",
                                           "--pid", str(sl.pid)) as agent:
            low.restore()
            check_degraded_agent(agent, sl, want, why)
            line = problems(agent.stderr())[0]
            check("cpu needs perf_event" in line and "kernel.perf_event_max_sample_rate" in line,
                  "the line does not name perf_event and the sysctl: %r" % line)
    listen = ["--listen", "127.0.0.1:%d" % free_port()]
    with LowSampleRate():
        line, _ = check_fatal(["serve"] + listen + ["--collectors", "syscalls,cpu", "--require",
                                                    "cpu"], "--require cpu",
                              ["hostprof: required collector cpu is down"])
    check_down_line(line, "cpu", "missing_feature", why, "--require cpu")
    with open(SAMPLE_RATE) as f:
        check(int(f.read()) >= 99, "the sysctl was not restored")


@register("degrade_readyz_first_page")
def test_degrade_readyz_first_page():
    """/readyz is 503 naming metrics_page until the first /metrics page is rendered, then 200
    for good; while it says ready, /metrics answers at once (the page exists). Polled from the
    first moment HTTP answers, with every collector (the first render symbolizes every
    process, so there is a window to see)."""
    seen = []
    with Agent() as agent:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _, body = http(agent.base + "/readyz", timeout=5)
            doc = json.loads(body)
            seen.append(status)
            if status == 503:
                check(doc["status"] == "not_ready" and doc["missing"] == ["metrics_page"],
                      "/readyz 503 names %r, want only metrics_page" % doc["missing"])
                continue
            check(status == 200 and doc["status"] == "ready", "/readyz %d %r" % (status, doc))
            t0 = time.monotonic()
            status, _, _ = http(agent.base + "/metrics", timeout=30)
            took = time.monotonic() - t0
            check(status == 200 and took < 0.5,
                  "/readyz said ready, yet /metrics took %.2f s (status %d)" % (took, status))
            if len([s for s in seen if s == 200]) >= 3:
                break
        check(seen and seen[-1] == 200, "/readyz never became ready: %s" % seen[-10:])
        first_ok = seen.index(200)
        check(all(s == 200 for s in seen[first_ok:]), "/readyz went back to 503: %s" % seen)
    diag("/readyz: %d answers 503 before the first page, then 200" % first_ok)
