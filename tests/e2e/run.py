#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of hostprof with real BPF: each test starts the agent, runs a ground-truth
# workload and checks the exact figures it reports. Prints "e2e: N passed, M failed" last (CI).
"""Usage: HOSTPROF=build/san/hostprof WORKLOADS=build/workloads python3 tests/e2e/run.py [FILTER]

FILTER selects the tests whose name contains it. Needs root, bpftool and promtool; the CPU
profiler's tests (cpu.py) also go, perf and chromium. syscalls_safety.py adds the syscall
collector's live-table, ABI and restart tests. A test whose kernel feature is missing prints SKIP.
"""

import contextlib
import importlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

HOSTPROF = os.path.abspath(os.environ.get("HOSTPROF", "build/hostprof"))
WORKLOADS = os.path.abspath(os.environ.get("WORKLOADS", "build/workloads"))

N_SLEEPS = 200  # nanosleep(10 ms) calls per sleeper run
M_OPENS = 500  # failing openat calls per sleeper run
HIST = "hostprof_syscall_latency_seconds"
LE_8MS, LE_16MS = "0.008388608", "0.016777216"  # the bucket a 10 ms sleep lands in
PROM_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")


class TestFailure(Exception):
    """An assertion about hostprof's behaviour did not hold; the message says which."""


class Skip(Exception):
    """The machine lacks what a test needs (e.g. a kernel feature): reported as SKIP with the
    reason, counted apart from passes and failures."""


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def diag(text):
    """Multi-line diagnostics go to stderr so stdout keeps one line per test."""
    for line in text.rstrip().splitlines():
        print("    | " + line, file=sys.stderr, flush=True)


# --- Prometheus text format -------------------------------------------------------------------

SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$")
LABEL_RE = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\\n]|\\.)*)"[ \t]*')
TYPE_RE = re.compile(r"^#[ \t]+TYPE[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)[ \t]+(\w+)[ \t]*$")


def unescape_label(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        check(m, "bad label set {%s}" % text)
        check(m.group(1) not in labels, "label %s repeated in {%s}" % (m.group(1), text))
        labels[m.group(1)] = unescape_label(m.group(2))
        pos = m.end()
        if pos < len(text):
            check(text[pos] == ",", "bad label separator in {%s}" % text)
            pos += 1
    return labels


def parse_value(text):
    check(re.fullmatch(r"[+-]?(Inf|NaN|[0-9.]+(e[+-]?[0-9]+)?)", text, re.I),
          "bad sample value %r" % text)
    return float(text)


class Metrics:
    """One parsed scrape: samples in order, # TYPE lines, and the raw text."""

    def __init__(self, text):
        self.text = text
        self.samples = []  # (name, labels, value)
        self.types = []  # (family, type) in order of appearance
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("#"):
                m = TYPE_RE.match(line)
                if m:
                    self.types.append((m.group(1), m.group(2)))
                continue
            m = SAMPLE_RE.match(line)
            check(m, "unparseable metrics line: %r" % line)
            self.samples.append((m.group(1), parse_labels(m.group(2) or ""),
                                 parse_value(m.group(3))))

    def select(self, name, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == w for k, w in labels.items())]

    def value(self, name, **labels):
        """The one sample of name whose labels include these; 0 when the series is absent."""
        found = self.select(name, **labels)
        check(len(found) <= 1, "%d samples match %s%s" % (len(found), name, labels))
        return found[0][1] if found else 0.0


def hist_delta(before, after, syscall):
    """Change of the syscall's latency histogram between two scrapes."""
    def get(m, suffix, **extra):
        return m.value(HIST + suffix, syscall=syscall, **extra)
    return {
        "in_bucket": (get(after, "_bucket", le=LE_16MS) - get(after, "_bucket", le=LE_8MS))
        - (get(before, "_bucket", le=LE_16MS) - get(before, "_bucket", le=LE_8MS)),
        "count": get(after, "_count") - get(before, "_count"),
        "sum": get(after, "_sum") - get(before, "_sum"),
    }


def errno_delta(before, after, syscall, errno_name):
    name = "hostprof_syscall_errors_total"
    return (after.value(name, syscall=syscall, errno=errno_name)
            - before.value(name, syscall=syscall, errno=errno_name))


# --- HTTP ---------------------------------------------------------------------------------------

def http(url, method="GET", timeout=20):
    """Returns (status, headers, body text) without raising on 4xx/5xx."""
    data = b"" if method in ("POST", "PUT") else None
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the agent ----------------------------------------------------------------------------------

class Agent:
    """hostprof serve on a free port; a context manager that asserts a clean exit (code 0, no
    sanitizer report) when it stops."""

    def __init__(self, *args, env=None, exe=None):
        self.exe = exe or HOSTPROF  # e.g. the optimized build where RSS is measured
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log = tempfile.NamedTemporaryFile(prefix="hostprof-e2e-", suffix=".log")
        self.proc = None
        self.rc = None

    def __enter__(self):
        cmd = [self.exe, "serve", "--listen", "127.0.0.1:%d" % self.port] + self.args
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT, env=self.env)
            self._wait_healthy(30)
        except BaseException:
            self._kill()
            self.log.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.proc.poll() is None or self.rc is None:
                self.stop(raise_on_error=exc_type is None)
            if exc_type is not None:
                # the test failed: show how the agent ended and what it logged
                diag("agent exit code %s; its log:\n%s" % (self.rc, self.stderr()))
        finally:
            self.log.close()
        return False

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def last_line(self):
        lines = self.stderr().strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                diag(self.stderr())
                raise TestFailure("agent %s exited with %d before /healthz answered: %s"
                                  % (" ".join(self.args), rc, self.last_line()))
            try:
                if http(self.base + "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        diag(self.stderr())
        raise TestFailure("agent not healthy after %d s" % timeout)

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, sig=signal.SIGTERM, raise_on_error=True):
        """Sends sig, waits up to 15 s and checks exit code 0 and a sanitizer-clean log."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._kill()
            self.rc = "killed"
            if raise_on_error:
                diag(self.stderr())
                raise TestFailure("agent did not exit within 15 s of %s" % sig.name)
        log = self.stderr()
        if not raise_on_error:
            return self.rc
        report = [m for m in SANITIZER_MARKERS if m in log]
        if report or self.rc != 0:
            diag(log)
            raise TestFailure("agent exit code %s after %s%s" % (
                self.rc, sig.name, "; sanitizer report: " + report[0] if report else ""))
        return self.rc

    def get(self, path, **kw):
        """GET path; for /metrics, a page rendered after this call began (the agent serves a
        page rendered once per tick), so a scrape right after a workload sees all of it."""
        t0 = time.time()
        answer = http(self.base + path, **kw)
        deadline = time.monotonic() + 3
        while (path.startswith("/metrics") and answer[0] == 200
               and float(answer[1].get("X-Hostprof-Rendered-At", "inf")) < t0
               and time.monotonic() < deadline):
            time.sleep(0.1)
            answer = http(self.base + path, **kw)
        return answer

    def metrics(self):
        status, headers, body = self.get("/metrics")
        check(status == 200, "/metrics answered %d: %s" % (status, body[:200]))
        return Metrics(body)

    def api(self, query):
        status, _, body = self.get("/api/v1/syscalls?" + query)
        check(status == 200, "/api/v1/syscalls?%s answered %d: %s" % (query, status, body[:300]))
        return json.loads(body)

    def prog_ids(self):
        """Ids of the BPF programs the agent holds (program and link fds), from /proc fdinfo."""
        ids = set()
        fdinfo = "/proc/%d/fdinfo" % self.pid
        for fd in os.listdir(fdinfo):
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    ids.update(int(m) for m in re.findall(r"^prog_id:\s*(\d+)", f.read(), re.M))
            except OSError:
                pass
        return ids


# --- the workload -------------------------------------------------------------------------------

class Workload:
    """A ground-truth program under tests/workloads speaking the sleeper protocol: "ready <pid>"
    on stderr, one byte on stdin to start, one JSON line on stdout at the end."""

    def __init__(self, *argv):
        self.argv = [os.path.join(WORKLOADS, argv[0])] + [
            a if isinstance(a, bytes) else str(a) for a in argv[1:]]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stderr], [], [], 10)
        line = self.proc.stderr.readline().decode() if ready else ""
        if line.split() != ["ready", str(self.proc.pid)]:
            self.kill()
            raise TestFailure("%s did not report ready: %r" % (argv[0], line))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    @property
    def pid(self):
        return self.proc.pid

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()

    def go(self):
        self.proc.stdin.write(b"g")
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() must not touch it again

    def finish(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        check(self.proc.returncode == 0, "%s exited %d: %s" % (
            os.path.basename(self.argv[0]), self.proc.returncode, err.decode(errors="replace")))
        return json.loads(out)

    def run(self):
        self.go()
        return self.finish()


class Sleeper(Workload):
    """tests/workloads/sleeper: n nanosleeps of 10 ms, m failing openat calls (comm: its name)."""

    def __init__(self, n, m, comm=None):
        self.n, self.m = n, m
        super().__init__(*(["sleeper", n, m] + ([comm] if comm else [])))

    def finish(self, timeout=60):
        gt = super().finish(timeout)
        check(gt["n"] == self.n and gt["enoent"] == self.m and gt["sleep_errors"] == 0,
              "sleeper's own counts are off: %s" % gt)
        return gt


def scrape_around(agent, sleeper, noise=None):
    """Scrapes /metrics, runs the sleeper to completion, scrapes again. noise: a second sleeper,
    run alongside, that the agent's filter must not count."""
    before = agent.metrics()
    gt = run_with_noise(sleeper, noise)
    return before, agent.metrics(), gt


def run_with_noise(sleeper, noise):
    if noise:
        noise.go()
    gt = sleeper.run()
    if noise:
        noise.finish()
    return gt


def noise_for(by_filter, n, m):
    """An untraced twin workload for filtered runs; a null context when tracing host-wide."""
    return Sleeper(n // 2, m // 2) if by_filter else contextlib.nullcontext()


# --- checks shared by several tests -------------------------------------------------------------

def check_nanosleeps(d, gt, exact):
    """d: hist_delta for nanosleep; gt: the sleeper's summary. exact: only the sleeper traced."""
    n, mean_sum = gt["n"], gt["sleep_sum_ns"] / 1e9
    where = "(%s) delta %s, sleeper saw %d of %d sleeps in the 8-16 ms bucket" % (
        "filtered" if exact else "host-wide", d, gt["sleep_in_bucket"], n)
    check(d["in_bucket"] >= 0.98 * n, "too few 8-16 ms nanosleeps " + where)
    check(d["count"] >= n, "_count grew less than N " + where)
    check(d["sum"] >= 0.95 * mean_sum, "_sum grew less than the sleeps took " + where)
    if not exact:
        return
    # the kernel's enter-to-exit time is inside the sleeper's own measurement, and >= 10 ms
    check(gt["sleep_in_bucket"] <= d["in_bucket"] <= n, "8-16 ms bucket off " + where)
    check(abs(d["in_bucket"] - n) <= 0.02 * n, "8-16 ms bucket not N +-2 % " + where)
    check(d["count"] == n, "_count delta is not exactly N " + where)
    check(abs(d["sum"] - mean_sum) <= 0.05 * mean_sum,
          "_sum delta not within 5 %% of the sleeper's own total %.4f s %s" % (mean_sum, where))


def nanosleep_case(agent_args, by_pid):
    with Sleeper(N_SLEEPS, 0) as sl, noise_for(by_pid, N_SLEEPS, 0) as noise:
        args = agent_args + (["--pid", str(sl.pid)] if by_pid else [])
        with Agent(*args) as agent:
            before, after, gt = scrape_around(agent, sl, noise)
    check_nanosleeps(hist_delta(before, after, "nanosleep"), gt, exact=by_pid)


def openat_case(agent_args, by_pid):
    with Sleeper(0, M_OPENS) as sl, noise_for(by_pid, 0, M_OPENS) as noise:
        args = agent_args + (["--pid", str(sl.pid)] if by_pid else [])
        with Agent(*args) as agent:
            before, after, gt = scrape_around(agent, sl, noise)
    got = errno_delta(before, after, "openat", "ENOENT")
    calls = hist_delta(before, after, "openat")["count"]
    if not by_pid:
        check(got >= gt["enoent"], "host-wide openat ENOENT grew %d < M=%d" % (got, gt["enoent"]))
        return
    check(got == gt["enoent"], "--pid openat ENOENT grew %d, want exactly %d" % (got, gt["enoent"]))
    check(calls == gt["m"], "--pid openat _count grew %d, want exactly %d" % (calls, gt["m"]))
    others = [(l, v) for l, v in after.select("hostprof_syscall_errors_total", syscall="openat")
              if l["errno"] != "ENOENT" and v]
    check(not others, "--pid: openat errors other than ENOENT: %s" % others)


def check_exposition(status, headers, body):
    """Structure of a /metrics answer: headers, TYPE lines, cumulative histograms."""
    check(status == 200, "/metrics answered %d" % status)
    ctype = headers.get("Content-Type")
    check(ctype == PROM_CONTENT_TYPE, "Content-Type %r, want %r" % (ctype, PROM_CONTENT_TYPE))
    m = Metrics(body)
    families = [f for f, _ in m.types]
    dup = sorted({f for f in families if families.count(f) > 1})
    check(not dup, "# TYPE given more than once for %s" % dup)
    types = dict(m.types)
    for name, _, _ in m.samples:
        check(family_of(name, types), "sample %s has no # TYPE line" % name)
    hists = [f for f, t in m.types if t == "histogram"]
    check(HIST in hists, "%s is not typed histogram" % HIST)
    nseries = sum(check_histogram(m, f) for f in hists)
    check(nseries > 0, "no histogram series at all")


def family_of(name, types):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return None


def check_histogram(m, family):
    """Checks every series of one histogram family; returns the number of series."""
    series = {}
    for labels, v in m.select(family + "_bucket"):
        check("le" in labels, "%s_bucket without le: %s" % (family, labels))
        key = tuple(sorted((k, w) for k, w in labels.items() if k != "le"))
        series.setdefault(key, []).append((labels["le"], v))
    for key, buckets in series.items():
        les = []
        for le, _ in buckets:
            try:
                les.append(float(le))
            except ValueError:
                raise TestFailure("%s%s: le=%r is not a float" % (family, dict(key), le))
        check(all(a < b for a, b in zip(les, les[1:])), "%s%s: le not increasing: %s"
              % (family, dict(key), [le for le, _ in buckets]))
        check(buckets[-1][0] == "+Inf", "%s%s: last bucket is not +Inf" % (family, dict(key)))
        counts = [v for _, v in buckets]
        check(all(a <= b for a, b in zip(counts, counts[1:])), "%s%s: buckets decrease: %s"
              % (family, dict(key), counts))
        count = m.value(family + "_count", **dict(key))
        check(m.select(family + "_count", **dict(key)), "%s%s: no _count" % (family, dict(key)))
        check(m.select(family + "_sum", **dict(key)), "%s%s: no _sum" % (family, dict(key)))
        check(counts[-1] == count, "%s%s: +Inf bucket %d != _count %d"
              % (family, dict(key), counts[-1], count))
    return len(series)


def check_attach_path(agent, path):
    log = agent.stderr()
    check("attached via %s" % path in log, "log does not say 'attached via %s'" % path)
    m = agent.metrics()
    got = {l["path"]: v
           for l, v in m.select("hostprof_collector_attach_info", collector="syscalls")}
    check(got == {path: 1}, "hostprof_collector_attach_info for syscalls is %s, want {%r: 1}"
          % (got, path))
    names = bpf_prog_names(agent.prog_ids())
    suffix = {"tp_btf": "btf", "raw_tp": "raw"}[path]
    # the default agent also runs the cpu collector: its perf_event program is on_sample, its
    # exec/exit hooks take the same attach path
    want = {"sys_enter_" + suffix, "sys_exit_" + suffix, "sig_deliver_" + suffix, "on_sample",
            "proc_exec_" + suffix, "proc_exit_" + suffix}
    check(set(names.values()) == want, "agent holds programs %s, want %s" % (names, want))


# --- bpftool ------------------------------------------------------------------------------------

def bpftool_progs():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 0, "bpftool prog show failed: %s" % out.stderr)
    return json.loads(out.stdout or "[]")


def bpf_prog_names(ids):
    return {p["id"]: p.get("name", "") for p in bpftool_progs() if p["id"] in ids}


# --- tests --------------------------------------------------------------------------------------

def test_nanosleep_histogram():
    nanosleep_case([], by_pid=False)
    nanosleep_case([], by_pid=True)


def test_openat_enoent():
    openat_case([], by_pid=False)
    openat_case([], by_pid=True)


def test_buckets_cumulative_and_inf():
    with Agent() as agent:
        with Sleeper(20, 20) as sl:
            sl.run()  # make sure the 8-16 ms bucket and an errno series are populated
        check_exposition(*agent.get("/metrics"))


def test_promtool_check():
    with Agent("--comm-top", "3") as agent:
        time.sleep(2.5)  # let the comm breakdown fill so its families are checked too
        status, _, body = agent.get("/metrics")
    check(status == 200, "/metrics answered %d" % status)
    promtool_check(body)


def promtool_check(body):
    promtool = shutil.which("promtool")
    check(promtool, "promtool not found in PATH (install the prometheus package)")
    out = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        diag(out.stdout + out.stderr)
    check(out.returncode == 0, "promtool check metrics exited %d: %s" % (
        out.returncode, (out.stdout + out.stderr).strip().splitlines()[:3]))


def api_entry(doc, syscall):
    found = [e for e in doc["syscalls"] if e["syscall"] == syscall]
    check(len(found) <= 1, "%s listed %d times" % (syscall, len(found)))
    return found[0] if found else None


def test_api_syscalls():
    with Sleeper(N_SLEEPS, M_OPENS) as sl, noise_for(True, N_SLEEPS, M_OPENS) as noise:
        with Agent("--pid", str(sl.pid)) as agent:
            gt = run_with_noise(sl, noise)
            finished = time.monotonic()
            cum = api_entry(agent.api("syscall=nanosleep"), "nanosleep")
            win = agent.api("syscall=nanosleep&window=5s")
            opens = api_entry(agent.api("syscall=openat"), "openat")
            time.sleep(max(0.0, finished + 3.2 - time.monotonic()))
            late = agent.api("syscall=nanosleep&window=1s")
    n = gt["n"]
    check(cum is not None, "nanosleep missing from the cumulative answer")
    check(cum["calls"] == n, "cumulative nanosleep calls %s, want %d" % (cum["calls"], n))
    lat = cum["latency_seconds"]
    check(lat["p50"] is not None and 0.008 <= lat["p50"] <= 0.0168, "p50 %s not in [8, 16.8] ms"
          % lat["p50"])
    check(lat["max"] is not None and lat["max"] >= 0.01, "max %s < 10 ms" % lat["max"])
    check(abs(lat["sum"] - gt["sleep_sum_ns"] / 1e9) <= 0.05 * gt["sleep_sum_ns"] / 1e9,
          "latency sum %s vs sleeper's own %s s" % (lat["sum"], gt["sleep_sum_ns"] / 1e9))
    check(win["window"]["cumulative"] is False and win["window"]["requested_seconds"] == 5
          and 0 < win["window"]["seconds"] <= 6, "window=5s answer has window %s" % win["window"])
    w = api_entry(win, "nanosleep")
    check(w is not None and w["calls"] == n, "window=5s nanosleep entry %s, want %d calls" % (w, n))
    check(opens is not None, "openat missing from the cumulative answer")
    got = opens["errors_by_errno"].get("ENOENT")
    check(got == gt["enoent"], "openat errors_by_errno.ENOENT %s, want %d" % (got, gt["enoent"]))
    check(opens["calls"] == gt["m"] and opens["errors"] == gt["m"],
          "openat calls/errors %s/%s, want %d" % (opens["calls"], opens["errors"], gt["m"]))
    lw = api_entry(late, "nanosleep")
    check(lw is None or lw["calls"] == 0, "window=1s 3 s after the run still has %s" % lw)


def expect_json_error(agent, path, status, method="GET"):
    """Asserts a JSON error answer; (headers, its error message)."""
    got, headers, body = agent.get(path, method=method)
    check(got == status, "%s %s answered %d, want %d: %s" % (method, path, got, status, body[:200]))
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s %s Content-Type %r" % (method, path, ctype))
    try:
        doc = json.loads(body)
    except ValueError:
        raise TestFailure("%s %s body is not JSON: %r" % (method, path, body[:200]))
    check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
          "%s %s JSON has no error message: %r" % (method, path, body[:200]))
    return headers, doc["error"]


def test_http_errors():
    api = "/api/v1/syscalls"
    with Agent() as agent:
        expect_json_error(agent, "/no/such/path", 404)
        for bad in ("abc", "-1s", "0", "1h", "", "10x", "5s5", "500ms"):
            expect_json_error(agent, api + "?window=" + bad, 400)
        for bad in ("bogus=1", "syscall=no_such_call", "limit=0", "sort=name"):
            expect_json_error(agent, api + "?" + bad, 400)
        expect_json_error(agent, "/metrics?x=1", 400)
        # a repeated, empty or NUL-cut parameter is an error, not the first/empty/cut value
        for bad in ("limit=5&limit=6", "syscall=", "syscall", "syscall=read%00x", "limit=5%00"):
            _, err = expect_json_error(agent, api + "?" + bad, 400)
            check(re.search(r"more than once|empty value|NUL byte", err),
                  "%s?%s: error %r does not say what is wrong" % (api, bad, err))
        prof = "/api/v1/profile/cpu?format=folded&"
        for bad in ("seconds=0.0001", "seconds=0.5", "comm=", "seconds=1%00"):
            expect_json_error(agent, prof + bad, 400)
        check_unknown_profile_kind(agent)
        for method in ("POST", "PUT", "DELETE"):
            for path in ("/metrics", api):
                headers, _ = expect_json_error(agent, path, 405, method=method)
                allow = headers.get("Allow", "")
                check("GET" in allow, "%s %s: Allow header %r lacks GET" % (method, path, allow))
        status, headers, body = agent.get("/")
        check(status == 200, "GET / answered %d" % status)
        check(headers.get("Content-Type", "").startswith("text/html"),
              "GET / Content-Type %r" % headers.get("Content-Type"))
        for link in ("/metrics", "/healthz", api):
            check('href="%s"' % link in body, "landing page does not link %s" % link)
        status, _, body = agent.get("/healthz")
        check(status == 200 and body.strip() == "ok", "/healthz answered %d %r" % (status, body))


def check_unknown_profile_kind(agent):
    """A profile kind no running collector produces is a 404 naming the kinds there are, for
    the API, with parameters or not, and for the flame graph."""
    for path in ("/api/v1/profile/nosuch", "/api/v1/profile/nosuch?seconds=1&format=folded",
                 "/flamegraph?kind=nosuch"):
        _, err = expect_json_error(agent, path, 404)
        check(err == "unknown profile kind 'nosuch' (known kinds: cpu)",
              "%s: error %r does not name the kind and the known kinds" % (path, err))


def check_record_unknown_profile():
    """record --profile with a kind no collector produces is a usage error (exit 2) that names
    the kinds, before anything is loaded or written."""
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-") as d:
        out = run_cli(["record", "--profile", "nosuch", "-d", "1s", "-o",
                       os.path.join(d, "x.folded")])
        check(out.returncode == 2 and "Usage" in out.stderr
              and "unknown --profile 'nosuch' (kinds: cpu)" in out.stderr,
              "record --profile nosuch: exit %d, stderr %r" % (out.returncode, out.stderr[:300]))
        check(not os.listdir(d), "record --profile nosuch wrote %s" % os.listdir(d))


def sigterm_case(sig):
    with Agent() as agent:
        ids = agent.prog_ids()
        names = bpf_prog_names(ids)
        # the syscall collector's enter/exit and signal_deliver, one perf_event program
        # (attached once per CPU) and the cpu collector's exec/exit pair: all must go
        check(sorted(names.values()) == ["on_sample", "proc_exec_btf", "proc_exit_btf",
                                         "sig_deliver_btf", "sys_enter_btf", "sys_exit_btf"],
              "agent holds programs %s" % names)
        agent.stop(sig)
        check("received %s" % sig.name in agent.stderr(), "log does not mention %s" % sig.name)
    # Link and program release finish after an RCU grace period, so the ids go away shortly
    # after the exit rather than at it; a program the agent leaked would stay.
    deadline = time.monotonic() + 5
    while True:
        left = [(p["id"], p.get("name")) for p in bpftool_progs() if p["id"] in ids
                or agent.pid in [x.get("pid") for x in p.get("pids", [])]]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(not left, "programs still loaded 5 s after %s: %s" % (sig.name, left))


def test_sigterm_detaches():
    sigterm_case(signal.SIGTERM)
    sigterm_case(signal.SIGINT)


def test_raw_tp_fallback():
    raw = ["--attach", "raw_tp"]
    with Agent(*raw) as agent:
        check_attach_path(agent, "raw_tp")
        check_exposition(*agent.get("/metrics"))
    nanosleep_case(raw, by_pid=True)
    openat_case(raw, by_pid=True)
    with Agent(env={"HOSTPROF_ATTACH": "raw_tp"}) as agent:
        check_attach_path(agent, "raw_tp")
    with Agent(env={"HOSTPROF_ATTACH": ""}) as agent:
        check_attach_path(agent, "tp_btf")


def run_cli(args, user=None, timeout=30):
    cmd = [HOSTPROF] + args
    if user:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    report = [m for m in SANITIZER_MARKERS if m in out.stderr]
    if report:
        diag(out.stderr)
    check(not report, "%s: sanitizer report" % " ".join(args))
    return out


def error_lines(stderr):
    """Every non-empty stderr line: a start-up failure must print exactly one, and no log."""
    return [l for l in stderr.splitlines() if l.strip()]


def test_cli_errors():
    listen = ["--listen", "127.0.0.1:%d" % free_port()]
    out = run_cli(["--bogus"])
    check(out.returncode == 2 and "Usage" in out.stderr,
          "--bogus: exit %d, stderr %r" % (out.returncode, out.stderr[:200]))
    out = run_cli(["serve", "--pid", "abc"] + listen)
    check(out.returncode == 2, "serve --pid abc: exit %d" % out.returncode)
    out = run_cli(["--help"])
    check(out.returncode == 0 and "Usage" in out.stdout, "--help: exit %d" % out.returncode)
    out = run_cli(["--version"])
    check(out.returncode == 0 and re.match(r"hostprof \S+", out.stdout),
          "--version: exit %d, %r" % (out.returncode, out.stdout))
    btf = "/nonexistent-hostprof-e2e/vmlinux"
    out = run_cli(["serve", "--btf", btf] + listen)
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and "BTF" in lines[0] and btf in lines[0],
          "--btf %s: exit %d, error lines %s" % (btf, out.returncode, lines))
    out = run_cli(["serve"] + listen, user=65534)
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1
          and re.search(r"privilege|root|not allowed", lines[0], re.I),
          "non-root: exit %d, error lines %s" % (out.returncode, lines))
    # since 5.11 BPF memory is charged to the memory cgroup: CAP_SYS_RESOURCE is not needed
    release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
    check("CAP_BPF" in lines[0] and ("CAP_SYS_RESOURCE" in lines[0]) == (release < (5, 11)),
          "non-root on %s names the wrong capabilities: %r" % (os.uname().release, lines[0]))
    check_target_pid(listen)
    cg = "/nonexistent-hostprof-e2e/cgroup"
    out = run_cli(["serve", "--cgroup", cg] + listen)
    check(out.returncode == 2 and cg in out.stderr,
          "--cgroup %s: exit %d, stderr %r" % (cg, out.returncode, out.stderr[-300:]))
    check_port_in_use()
    check_record_output()
    check_record_unknown_profile()


def check_record_output():
    """record -o into a directory that does not exist fails at once with one line naming the
    file, instead of recording the whole --duration and then losing it."""
    bad = "/nonexistent-hostprof-e2e/out.folded"
    t0 = time.monotonic()
    out = run_cli(["record", "-d", "20s", "-o", bad], timeout=60)
    took = time.monotonic() - t0
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and bad in lines[0] and took < 5,
          "record -o %s: exit %d after %.1f s, error lines %s" % (bad, out.returncode, took, lines))
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-outdir-") as d:  # -o names a directory
        t0 = time.monotonic()
        out = run_cli(["record", "-d", "20s", "--format", "folded", "-o", d], timeout=60)
        took = time.monotonic() - t0
        lines = error_lines(out.stderr)
        check(out.returncode == 1 and len(lines) == 1 and d in lines[0] and took < 5
              and not [f for f in os.listdir(os.path.dirname(d))
                       if f.startswith(os.path.basename(d) + ".tmp.")],
              "record -o %s (a directory): exit %d after %.1f s, error lines %s"
              % (d, out.returncode, took, lines))


def check_target_pid(listen):
    """--pid of a process that does not exist, or of a thread, fails with one line naming it
    instead of recording nothing."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    gone = next(p for p in range(pid_max - 1, 1, -1) if not os.path.exists("/proc/%d" % p))
    for cmd in (["serve"] + listen, ["record", "-d", "1s", "-o", "/dev/null.folded"]):
        out = run_cli(cmd + ["--pid", str(gone)])
        lines = error_lines(out.stderr)
        check(out.returncode == 1 and len(lines) == 1 and "no such process" in lines[0]
              and str(gone) in lines[0], "%s --pid %d (no such process): exit %d, error lines %s"
              % (cmd[0], gone, out.returncode, lines))
    tid, release = [], threading.Event()
    t = threading.Thread(target=lambda: (tid.append(threading.get_native_id()), release.wait(30)))
    t.start()
    try:
        while not tid:
            time.sleep(0.01)
        out = run_cli(["serve", "--pid", str(tid[0])] + listen)
    finally:
        release.set()
        t.join()
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and "--pid %d" % os.getpid() in lines[0],
          "--pid of a thread (%d of %d): exit %d, error lines %s"
          % (tid[0], os.getpid(), out.returncode, lines))


def check_port_in_use():
    """A taken --listen port fails first, before any BPF work: exit 1 within a fraction of a
    second, one error line naming the address, no program loaded or attached on the way."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = "127.0.0.1:%d" % s.getsockname()[1]
        t0 = time.monotonic()
        out = run_cli(["serve", "--listen", addr, "-v"])
        took = time.monotonic() - t0
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and addr in lines[0],
          "--listen on a taken port: exit %d, stderr lines %s" % (out.returncode, lines[-5:]))
    check(took < 0.5, "--listen on a taken port took %.2f s to fail" % took)


def cgroup2_root():
    """Mount point of a cgroup v2 hierarchy, and whether we mounted it ourselves."""
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1], False
    where = tempfile.mkdtemp(prefix="hostprof-e2e-cg2-")
    subprocess.run(["mount", "-t", "cgroup2", "none", where], check=True)
    return where, True


def rmdir_retry(path, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def temp_cgroup(tag):
    """A fresh, empty cgroup v2 directory; removed (after its tasks exited) on the way out."""
    root, mounted = cgroup2_root()
    cg = os.path.join(root, "hostprof-e2e-%s-%d" % (tag, os.getpid()))
    os.mkdir(cg)
    try:
        yield cg
    finally:
        rmdir_retry(cg)
        if mounted:
            subprocess.run(["umount", root])
            os.rmdir(root)


def move_to_cgroup(cg, pid):
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(pid))


def test_cgroup_filter():
    with temp_cgroup("filter") as cg:
        with Agent("--cgroup", cg) as agent:
            with Sleeper(N_SLEEPS, M_OPENS) as sl, noise_for(True, N_SLEEPS, M_OPENS) as noise:
                move_to_cgroup(cg, sl.pid)
                before, after, gt = scrape_around(agent, sl, noise)
    check_nanosleeps(hist_delta(before, after, "nanosleep"), gt, exact=True)
    got = errno_delta(before, after, "openat", "ENOENT")
    check(got == gt["enoent"], "--cgroup openat ENOENT grew %d, want %d" % (got, gt["enoent"]))
    calls = hist_delta(before, after, "openat")["count"]
    check(calls == gt["m"], "--cgroup openat _count grew %d, want %d" % (calls, gt["m"]))


COMM_CALLS = "hostprof_syscall_comm_calls_total"


def comm_sums(m):
    """Sum over every comm label of the comm calls counter, per syscall."""
    sums = {}
    for labels, v in m.select(COMM_CALLS):
        sums[labels["syscall"]] = sums.get(labels["syscall"], 0) + v
    return sums


def test_comm_breakdown():
    # only the sleeper traced: its comm is the one label and its figures are exact
    with Sleeper(N_SLEEPS, M_OPENS) as sl, noise_for(True, N_SLEEPS, M_OPENS) as noise:
        with Agent("--comm-top", "3", "--pid", str(sl.pid)) as agent:
            gt = run_with_noise(sl, noise)
            time.sleep(3.2)  # the breakdown lags the histograms by up to 2 ticks
            m = agent.metrics()
    comms = {l["comm"] for l, _ in m.select(COMM_CALLS)}
    check(comms == {"sleeper"}, "--pid: comm labels %s, want {'sleeper'}" % comms)
    got = m.value(COMM_CALLS, comm="sleeper", syscall="nanosleep")
    check(got == gt["n"], "comm=sleeper nanosleep calls %s, want %d" % (got, gt["n"]))
    errs = m.value("hostprof_syscall_comm_errors_total", comm="sleeper", syscall="openat")
    check(errs == gt["enoent"], "comm=sleeper openat errors %s, want %d" % (errs, gt["enoent"]))
    # host-wide: at most K names plus "other", and the per-comm sums agree with the histograms
    with Agent("--comm-top", "3") as agent:
        with Sleeper(N_SLEEPS // 4, 0) as sl:
            sl.run()
        early = agent.metrics()
        time.sleep(3.2)
        late = agent.metrics()
    comms = {l["comm"] for l, _ in late.select(COMM_CALLS)}
    check(len(comms) <= 4, "host-wide --comm-top 3 exported %d comms: %s" % (len(comms), comms))
    check("other" in comms, "host-wide: no comm=\"other\" series (%s)" % comms)
    check_comm_consistency(early, late)
    check_comm_escaping()


def check_comm_escaping():
    """A comm with a quote, a backslash, a newline and a byte that is not UTF-8 comes back as the
    same label value (the invalid byte as U+FFFD), and promtool accepts the exposition."""
    with Sleeper(20, 10, comm=b'e2e"q\\u\no\xff') as sl:
        with Agent("--comm-top", "3", "--pid", str(sl.pid)) as agent:
            gt = sl.run()
            time.sleep(3.2)
            status, _, body = agent.get("/metrics")
    check(status == 200, "/metrics answered %d" % status)
    m = Metrics(body)
    comm = 'e2e"q\\u\no\ufffd'
    comms = {l["comm"] for l, _ in m.select(COMM_CALLS)}
    check(comms == {comm}, "odd comm: labels %r, want {%r}" % (comms, comm))
    got = m.value(COMM_CALLS, comm=comm, syscall="nanosleep")
    check(got == gt["n"], "odd comm: nanosleep calls %s, want %d" % (got, gt["n"]))
    promtool_check(body)


def check_comm_consistency(early, late):
    """Per syscall: histogram count at the earlier scrape <= comm sum <= histogram count now."""
    full = late.value("hostprof_events_dropped_total", collector="syscalls",
                      reason="comm_map_full")
    sums = comm_sums(late)
    check(sums.get("nanosleep", 0) >= N_SLEEPS // 4, "host-wide comm nanosleep sum %s"
          % sums.get("nanosleep"))
    for labels, count in late.select(HIST + "_count"):
        sc = labels["syscall"]
        got = sums.get(sc, 0)
        check(got <= count, "%s: comm sum %d > histogram count %d" % (sc, got, count))
        if not full:
            was = early.value(HIST + "_count", syscall=sc)
            check(got >= was, "%s: comm sum %d < histogram count %d of 3 s earlier"
                  % (sc, got, was))


# Runs /bin/true 200 times once a line arrives on stdin; only builtins besides that, so exactly
# 200 execve calls happen in the shell's process tree after the go line.
FORK_STORM = 'read go; i=0; while [ $i -lt 200 ]; do /bin/true || exit 1; i=$((i+1)); done'


def fork_storm(cg=None):
    """Runs FORK_STORM to completion, moved into cgroup cg first when given."""
    sh = subprocess.Popen(["/bin/sh", "-c", FORK_STORM], stdin=subprocess.PIPE)
    try:
        if cg:
            move_to_cgroup(cg, sh.pid)
        sh.communicate(b"go\n", timeout=60)
    finally:
        if sh.poll() is None:
            sh.kill()
            sh.wait()
    check(sh.returncode == 0, "fork storm shell exited %d" % sh.returncode)


def check_storm_survived(agent, before, exact):
    after = agent.metrics()
    status, _, _ = agent.get("/healthz")
    check(status == 200, "/healthz answered %d after the fork storm" % status)
    execs = hist_delta(before, after, "execve")["count"]
    if exact:
        check(execs == 200, "--cgroup: execve _count grew %d, want exactly 200" % execs)
    else:
        check(execs >= 200, "execve _count grew %d, want >= 200" % execs)
    # the syscall collector's own counters; the cpu collector's (e.g. a deep stack somewhere on
    # the host counted as truncated) say nothing about task storage
    drops = {l["reason"]: v for l, v in
             after.select("hostprof_events_dropped_total", collector="syscalls")}
    check(set(drops) == {"syscall_nr_out_of_range", "task_storage_unavailable", "comm_map_full",
                         "restart_code_unresolved"}
          and not any(drops.values()), "syscalls events dropped: %s" % drops)


def test_exit_leaves_no_state():
    with Agent() as agent:
        before = agent.metrics()
        fork_storm()
        check_storm_survived(agent, before, exact=False)
    with temp_cgroup("storm") as cg:
        with Agent("--cgroup", cg) as agent:
            before = agent.metrics()
            fork_storm(cg)
            check_storm_survived(agent, before, exact=True)


TESTS = [
    ("nanosleep_histogram", test_nanosleep_histogram),
    ("openat_enoent", test_openat_enoent),
    ("buckets_cumulative_and_inf", test_buckets_cumulative_and_inf),
    ("promtool_check", test_promtool_check),
    ("api_syscalls", test_api_syscalls),
    ("http_errors", test_http_errors),
    ("sigterm_detaches", test_sigterm_detaches),
    ("raw_tp_fallback", test_raw_tp_fallback),
    ("cli_errors", test_cli_errors),
    ("cgroup_filter", test_cgroup_filter),
    ("comm_breakdown", test_comm_breakdown),
    ("exit_leaves_no_state", test_exit_leaves_no_state),
]


def run_one(name, fn):
    t0 = time.monotonic()
    try:
        fn()
    except Skip as e:
        print("SKIP %s: %s" % (name, e), flush=True)
        return None
    except TestFailure as e:
        print("FAIL %s: %s" % (name, str(e).replace("\n", " ")), flush=True)
        return False
    except Exception as e:  # a bug in the test or the environment, still a failure
        diag(traceback.format_exc())
        print("FAIL %s: %s: %s" % (name, type(e).__name__, str(e).replace("\n", " ")),
              flush=True)
        return False
    print("PASS %s" % name, flush=True)
    print("    | %s took %.1f s" % (name, time.monotonic() - t0), file=sys.stderr, flush=True)
    return True


# Test modules next to this file, each with a TESTS list of (name, function), run after TESTS.
MODULES = ["cpu", "syscalls_safety", "http_robust", "symbols", "hostile_files", "soak"]


def all_tests():
    """These tests, then each module's (the modules import this one as "run": registering
    __main__ under that name keeps one TestFailure class)."""
    sys.modules.setdefault("run", sys.modules[__name__])
    tests = list(TESTS)
    for name in MODULES:
        tests += importlib.import_module(name).TESTS
    return tests


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    passed = failed = skipped = 0
    for name, fn in all_tests():
        if pattern not in name:
            continue
        ok = run_one(name, fn)
        if ok is None:
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
    print("e2e: %d passed, %d failed%s" % (passed, failed,
                                           ", %d skipped" % skipped if skipped else ""),
          flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
