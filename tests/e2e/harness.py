# SPDX-License-Identifier: GPL-2.0-only
# What every end-to-end test file shares: the agent under test, HTTP, the Prometheus text format,
# ground-truth workloads, check/Skip/TestFailure, and the registry and runner behind run.py.
"""The e2e harness. run.py imports every tests/e2e/test_*.py file, then runs what they registered.

A new collector's tests (say an off-CPU collector's) are one new file, tests/e2e/test_offcpu.py:

    # SPDX-License-Identifier: GPL-2.0-only
    # End-to-end tests of the off-CPU collector: <what ground truth the tests compare against>.
    # <second line of why this file exists>
    from harness import Agent, Skip, Sleeper, check, register

    @register("offcpu_sleeps")          # the name FILTER matches and PASS/FAIL lines print
    def test_offcpu_sleeps():
        with Sleeper(200, 0) as sl:                     # 200 nanosleeps of 10 ms, started paused
            with Agent("--collectors", "offcpu", "--pid", str(sl.pid)) as agent:
                before = agent.metrics()                # a parsed /metrics scrape (Metrics)
                gt = sl.run()                           # go, then the program's own JSON figures
                after = agent.metrics()
        check(..., "what is wrong, with the figures")   # else raises TestFailure

- Agent(*args) runs `hostprof serve --listen 127.0.0.1:<free port> *args` (so `--collectors NAME`
  limits it to one collector), waits for /healthz, and on leaving the with block sends SIGTERM and
  fails the test unless the agent exits 0 with a sanitizer-clean log. agent.get(path) answers
  (status, headers, text); agent.metrics() a Metrics; fetch(url) the body as bytes.
- Ground truth comes from programs under tests/workloads that measure themselves: Workload("name",
  args...) runs $WORKLOADS/name by the sleeper protocol (ready line, go byte, one JSON line);
  a program with another go line or behind a wrapper subclasses ReadyProcess (cpu_lib.Burner).
- register(name) adds the function to the suite. Names are unique across files (a repeat fails
  the file that repeats it, as does any import error); tests run file by file (sorted by name),
  each file's in definition order.
- Fail with check(cond, msg) or raise TestFailure(msg); any other exception also fails the test,
  with a traceback. A machine that lacks what the test needs (a kernel feature, a tool):
  raise Skip("why"), reported as SKIP and counted apart. Diagnostics go to diag(text) (stderr).
- A collector's helpers shared by several of its test files go in <collector>_lib.py beside them
  (cpu_lib.py, syscalls_lib.py); only test_*.py files are discovered.
- `python3 tests/e2e/run.py --list [FILTER]` prints the selected names without running them.
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
import time
import traceback
import urllib.error
import urllib.request

HOSTPROF = os.path.abspath(os.environ.get("HOSTPROF", "build/hostprof"))
WORKLOADS = os.path.abspath(os.environ.get("WORKLOADS", "build/workloads"))

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


def fetch(url, timeout=90):
    """(status, headers, body bytes) without raising on 4xx/5xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


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


# --- ground-truth programs ----------------------------------------------------------------------

class ReadyProcess:
    """A ground-truth program started paused: it prints "ready <pid>" on stderr once set up, waits
    for go() on stdin, then runs and prints one JSON line on stdout at its end. own_pid: the ready
    line must name the process we started; without it (behind a wrapper such as unshare) pid is
    the one the line names, and kill() stops that process too. env: the program's environment
    (default: ours)."""

    ready_timeout = 15  # seconds to wait for the ready line
    go_bytes = b"g"  # what go() writes to stdin before closing it

    def __init__(self, argv, own_pid=True, env=None):
        self.argv = [a if isinstance(a, bytes) else str(a) for a in argv]
        self.pid = None
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.proc.stderr], [], [], self.ready_timeout)
        line = self.proc.stderr.readline().decode(errors="replace") if ready else ""
        fields = line.split()
        if (len(fields) != 2 or fields[0] != "ready" or not fields[1].isdigit()
                or (own_pid and int(fields[1]) != self.proc.pid)):
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            os.set_blocking(self.proc.stderr.fileno(), False)  # a wrapper's child may hold it
            rest = (self.proc.stderr.read() or b"").decode(errors="replace")[-300:]
            self.kill()
            raise TestFailure("%s did not report ready: %r" % (self.name, line + rest))
        self.pid = int(fields[1])

    @property
    def name(self):
        return os.path.basename(self.argv[0] if isinstance(self.argv[0], str)
                                else self.argv[0].decode(errors="replace"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def kill(self):
        if self.proc.poll() is None:
            if self.pid and self.pid != self.proc.pid:  # behind a wrapper: stop it too
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()

    def go(self):
        self.proc.stdin.write(self.go_bytes)
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() must not touch it again

    def output(self, timeout):
        """Waits for the end; the JSON line it printed. Fails unless it exited 0."""
        out, err = self.proc.communicate(timeout=timeout)
        check(self.proc.returncode == 0, "%s exited %d: %s" % (
            self.name, self.proc.returncode, err.decode(errors="replace")[-300:]))
        return json.loads(out)


class Workload(ReadyProcess):
    """A program under $WORKLOADS speaking the sleeper protocol (tests/workloads/sleeper.c):
    "ready <pid>" on stderr, one byte on stdin to start, one JSON line on stdout at the end."""

    ready_timeout = 10

    def __init__(self, *argv):
        super().__init__([os.path.join(WORKLOADS, argv[0])] + list(argv[1:]))

    def finish(self, timeout=120):
        return self.output(timeout)

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


# --- tools and the system ----------------------------------------------------------------------

def promtool_check(body):
    promtool = shutil.which("promtool")
    check(promtool, "promtool not found in PATH (install the prometheus package)")
    out = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        diag(out.stdout + out.stderr)
    check(out.returncode == 0, "promtool check metrics exited %d: %s" % (
        out.returncode, (out.stdout + out.stderr).strip().splitlines()[:3]))


def bpftool_progs():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 0, "bpftool prog show failed: %s" % out.stderr)
    return json.loads(out.stdout or "[]")


def bpf_prog_names(ids):
    return {p["id"]: p.get("name", "") for p in bpftool_progs() if p["id"] in ids}


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


# --- the registry and the runner ----------------------------------------------------------------

TESTS = []  # (name, function) in registration order
BROKEN = []  # (file, error) of test files that failed to import: each counts as one failure


def register(name):
    """Decorator: adds the test function to the suite under name (what FILTER matches)."""
    def add(fn):
        if any(n == name for n, _ in TESTS):
            raise RuntimeError("e2e test %s registered twice (%s)" % (name, fn.__module__))
        TESTS.append((name, fn))
        return fn
    return add


def discover(folder):
    """Imports every test_*.py in folder, in name order; their @register calls fill TESTS. A file
    that fails to import (a syntax error, a name registered twice) goes to BROKEN, and the
    other files still run."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    for f in sorted(os.listdir(folder)):
        if f.startswith("test_") and f.endswith(".py"):
            try:
                importlib.import_module(f[:-3])
            except Exception as e:  # reported by main() as a failure, with the traceback
                diag(traceback.format_exc())
                BROKEN.append((f, "%s: %s" % (type(e).__name__, e)))
    return TESTS


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


def main(argv):
    """run.py's command line: [--list] [FILTER]. Runs (or, with --list, only prints the names
    of) the registered tests whose name contains FILTER; the exit status is 1 if any failed."""
    args = argv[1:]
    listing = bool(args) and args[0] == "--list"
    if listing:
        args = args[1:]
    pattern = args[0] if args else ""
    selected = [(name, fn) for name, fn in TESTS if pattern in name]
    for f, error in BROKEN:  # on stderr for --list, whose stdout is names only
        print("FAIL %s: does not import: %s" % (f, error.replace("\n", " ")), flush=True,
              file=sys.stderr if listing else sys.stdout)
    if listing:
        for name, _ in selected:
            print(name)
        return 1 if BROKEN else 0
    passed, failed, skipped = 0, len(BROKEN), 0
    for name, fn in selected:
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
