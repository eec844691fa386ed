# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of files other users plant for the agent: an unprivileged process makes its
# /tmp/perf-PID.map a FIFO, a link to /dev/zero, or 150 MB large (issue 6, "Hostile files").
"""Hostile perf-map tests.

Needs root (the spinners run as nobody through setpriv) and, for the memory test, the optimized
build next to the sanitizer one (build/hostprof beside build/san/hostprof): ASan's quarantine
and shadow memory would make RSS figures meaningless.
"""

import os
import signal
import subprocess
import tempfile
import time

import harness
from harness import Agent, check, diag, fetch, register

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
MiB = 1 << 20
CLK_TCK = os.sysconf("SC_CLK_TCK")
FREQ = 99  # the agent's default sampling frequency


class Spinner:
    """/bin/sh as nobody: runs plant (shell code; $$ is its pid, the one the agent sees), prints
    "ready", then burns CPU until stopped; its perf map is removed afterwards."""

    def __init__(self, plant):
        self.proc = subprocess.Popen(NOBODY + ["/bin/sh", "-c", "%s\necho ready\nwhile :; do :; "
                                               "done" % plant],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd="/")
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            self.stop()
            raise harness.TestFailure("spinner did not start: %r" % line)

    @property
    def pid(self):
        return self.proc.pid

    @property
    def perf_map(self):
        return "/tmp/perf-%d.map" % self.pid

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        try:
            os.unlink(self.perf_map)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def timed_get(agent, path, limit):
    """GET path; fails if it does not answer 200 within limit seconds. Returns the body."""
    t0 = time.monotonic()
    try:
        status, _, body = fetch(agent.base + path, limit)
    except OSError as e:  # a timeout is the failure this module is about
        raise harness.TestFailure("%s: no answer within %.0f s (%s)" % (path, limit, e))
    took = time.monotonic() - t0
    check(status == 200, "%s answered %d: %r" % (path, status, body[:200]))
    check(took < limit, "%s took %.1f s" % (path, took))
    return body


def refused(metrics, reason):
    return metrics.value("hostprof_symbolizer_files_refused_total", reason=reason)


def stop_promptly(agent, limit=5.0):
    t0 = time.monotonic()
    agent.stop(signal.SIGTERM)
    took = time.monotonic() - t0
    check(took < limit, "agent took %.1f s to stop after SIGTERM" % took)


@register("hostile_perf_map_fifo")
def test_perf_map_fifo():
    """A FIFO as perf map: opening it used to block forever with the symbolizer lock held, so
    /metrics, profiles and finally /healthz hung and SIGTERM did not stop the agent."""
    with Spinner("mkfifo /tmp/perf-$$.map") as sp, Agent("--pid", str(sp.pid)) as agent:
        time.sleep(2.5)  # the first samples are drained and the spinner captured
        timed_get(agent, "/healthz", 5)
        timed_get(agent, "/metrics", 5)
        cpu0 = sp.cpu_seconds()
        doc = harness.json.loads(timed_get(agent, "/api/v1/profile/cpu?seconds=2&format=json", 10))
        cpu1 = sp.cpu_seconds()
        timed_get(agent, "/debug/pprof/profile?seconds=1", 10)
        m = agent.metrics()
        # ground truth: the spinner's own CPU time over the profile window
        want = (cpu1 - cpu0) * FREQ
        got = sum(st["count"] for st in doc["stacks"] if st["pid"] == sp.pid)
        check(want > 20 and 0.6 * want - 3 <= got <= 1.4 * want + 3,
              "profile has %d samples of the spinner, its CPU time says %.0f" % (got, want))
        check(refused(m, "not_regular") >= 1, "FIFO perf map not counted as refused: %s"
              % m.select("hostprof_symbolizer_files_refused_total"))
        check(os.path.exists(sp.perf_map), "the FIFO disappeared")
        stop_promptly(agent)


def agent_rchar(pid):
    with open("/proc/%d/io" % pid) as f:
        return int(next(l for l in f if l.startswith("rchar:")).split()[1])


@register("hostile_perf_map_dev_zero")
def test_perf_map_dev_zero():
    """A link to /dev/zero as perf map: the agent used to read 256 MiB of zeros at every
    re-capture (10 s). It must not read it at all."""
    with Spinner("ln -s /dev/zero /tmp/perf-$$.map") as sp, \
            Agent("--pid", str(sp.pid)) as agent:
        r0, t0 = agent_rchar(agent.pid), time.monotonic()
        time.sleep(12.5)  # first capture and one re-capture (every 10 s)
        timed_get(agent, "/metrics", 5)
        r1, took = agent_rchar(agent.pid), time.monotonic() - t0
        m = agent.metrics()
        check(r1 - r0 < 16 * MiB, "agent read %.1f MiB in %.1f s with /dev/zero as perf map"
              % ((r1 - r0) / MiB, took))
        check(refused(m, "symlink") >= 2, "perf map link refused %d times, want one per capture"
              % refused(m, "symlink"))
        check(m.value("hostprof_symbolizer_cache_bytes", cache="perf_map") == 0,
              "a perf map was cached")
        stop_promptly(agent)


def optimized_build():
    """build/hostprof next to build/san/hostprof, else the binary under test."""
    san = os.path.dirname(harness.HOSTPROF)
    opt = os.path.join(os.path.dirname(san), "hostprof")
    return opt if os.path.basename(san) == "san" and os.path.exists(opt) else harness.HOSTPROF


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        return int(next(l for l in f if l.startswith(field + ":")).split()[1])


def write_big_map(path, size):
    """A perf map of about size bytes (JIT-style names), owned by nobody."""
    line = "%x 40 LazyCompile:*handler_%07d /srv/app/bundle.js:%d\n"
    with open(path, "w") as f:
        written, i = 0, 0
        chunk = []
        while written < size:
            text = line % (0x7f0000000000 + i * 0x40, i, i % 997)
            chunk.append(text)
            written += len(text)
            i += 1
            if len(chunk) == 65536:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    os.chown(path, 65534, 65534)
    return written


BUDGET_MB = 256  # the default --symbol-cache-mb


def budget_case(agent, cg, src, spinners, samples):
    """Starts three spinners sharing the map src in cgroup cg, scrapes for 25 s, stops them and
    waits for the agent to forget them. (RSS before, VmHWM, RSS after, two scrapes.)"""
    time.sleep(2)
    base_rss = status_kib(agent.pid, "VmRSS") * 1024
    for _ in range(3):
        sp = Spinner("ln %s /tmp/perf-$$.map" % src)  # nobody owns src
        spinners.append(sp)
        harness.move_to_cgroup(cg, sp.pid)
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        # a scrape drains, and a drain waits for captures parsing 150 MB maps (~1 s of CPU
        # each, much longer on a loaded CI machine): this test is about memory, not latency
        m = harness.Metrics(timed_get(agent, "/metrics", 120).decode())
        samples.append(({c: m.value("hostprof_symbolizer_cache_bytes", cache=c)
                         for c in ("elf", "perf_map", "proc")},
                        status_kib(agent.pid, "VmRSS") * 1024))
        time.sleep(0.5)
    during = agent.metrics()
    hwm = status_kib(agent.pid, "VmHWM") * 1024
    for sp in spinners:
        sp.stop()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if agent.metrics().value("hostprof_symbolizer_cache_entries", cache="proc") == 0:
            break
        time.sleep(1)
    time.sleep(1)
    rss_after = status_kib(agent.pid, "VmRSS") * 1024
    after = agent.metrics()
    stop_promptly(agent)
    return base_rss, hwm, rss_after, during, after


@register("hostile_perf_map_memory_budget")
def test_perf_map_memory_budget():
    """Three unprivileged processes with 150 MB perf maps took the agent from 18 to 659 MiB and
    it stayed there. Now all caches share one budget and exited processes are freed."""
    exe = optimized_build()
    tmp = tempfile.mkdtemp(prefix="hostprof-e2e-maps-", dir="/tmp")
    os.chmod(tmp, 0o755)
    src = os.path.join(tmp, "map")
    size = write_big_map(src, 150 * 1000 * 1000)
    spinners, samples = [], []
    try:
        with harness.temp_cgroup("hostile") as cg:
            try:
                with Agent("--cgroup", cg, "--perf-map-max-mb", "160", exe=exe) as agent:
                    base_rss, hwm, rss_after, during, after = budget_case(agent, cg, src,
                                                                          spinners, samples)
            finally:
                for sp in spinners:  # before the cgroup is removed
                    sp.stop()
    finally:
        os.unlink(src)
        os.rmdir(tmp)
    peak_map = max(s[0]["perf_map"] for s in samples)
    peak_total = max(sum(s[0].values()) for s in samples)
    diag("refused: %s" % during.select("hostprof_symbolizer_files_refused_total"))
    diag("map file %.0f MB; agent RSS %.0f MiB before, peak %.0f MiB (VmHWM), %.0f MiB after "
         "exit; cache peak %.0f MiB (perf maps %.0f MiB)"
         % (size / 1e6, base_rss / MiB, hwm / MiB, rss_after / MiB, peak_total / MiB,
            peak_map / MiB))
    budget = BUDGET_MB * MiB
    evicted = during.value("hostprof_symbolizer_evictions_total", cache="perf_map",
                           reason="budget")
    # the maps were really read: a parsed map is about as large as its file
    check(peak_map >= 0.9 * size, "perf map cache peaked at %.0f MiB for %.0f MB maps"
          % (peak_map / MiB, size / 1e6))
    check(peak_total <= budget, "caches held %.0f MiB, budget %d MiB" % (peak_total / MiB,
                                                                         BUDGET_MB))
    check(evicted >= 2, "%d perf maps evicted for the budget; 3 maps of %.0f MB cannot share "
          "%d MiB" % (evicted, size / 1e6, BUDGET_MB))
    check(hwm - base_rss <= budget + 48 * MiB, "agent RSS grew by %.0f MiB at peak, budget %d MiB"
          % ((hwm - base_rss) / MiB, BUDGET_MB))
    check(after.value("hostprof_symbolizer_cache_bytes", cache="perf_map") == 0 and
          after.value("hostprof_symbolizer_cache_entries", cache="proc") == 0,
          "30 s after the processes exited the caches still hold %s"
          % after.select("hostprof_symbolizer_cache_bytes"))
    check(after.value("hostprof_symbolizer_evictions_total", cache="perf_map",
                      reason="exited") >= 1, "no perf map freed on exit")
    check(rss_after - base_rss <= 48 * MiB, "agent RSS still %.0f MiB above its start after the "
          "processes exited" % ((rss_after - base_rss) / MiB))


# Runs as nobody in a user + mount namespace of its own (unshare -Urm): bind-mounts argv[1] over
# its /tmp/perf-PID.map, then spins in code on an anonymous executable page at JIT_ADDR, which
# only a perf map can name.
JIT_ADDR = 0x7e0000000000
JIT_SPINNER = r"""
import ctypes, os, subprocess, sys
path = "/tmp/perf-%%d.map" %% os.getpid()
open(path, "w").close()
subprocess.run(["mount", "--bind", sys.argv[1], path], check=True)
libc = ctypes.CDLL(None)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
addr = libc.mmap(%d, 4096, 7, 0x22 | 0x100000, -1, 0)  # RWX, PRIVATE|ANON|FIXED_NOREPLACE
assert addr == %d
ctypes.memmove(addr, b"\xeb\xfe", 2)  # jmp .
print("ready", flush=True)
ctypes.CFUNCTYPE(None)(addr)()
""" % (JIT_ADDR, JIT_ADDR)


def jit_names(src):
    """Folded profile of a nobody process whose perf map is src bind-mounted in its own mount
    namespace: {frame name: samples}."""
    proc = subprocess.Popen(NOBODY + ["unshare", "-Urm", "/usr/bin/python3", "-c", JIT_SPINNER,
                                      src], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd="/")
    try:
        line = proc.stdout.readline()
        check(line == b"ready\n", "JIT spinner did not start: %r" % line)
        with Agent("--pid", str(proc.pid)) as agent:
            time.sleep(2.5)  # captured at its first samples
            body = timed_get(agent, "/api/v1/profile/cpu?seconds=2&format=folded", 10).decode()
            m = agent.metrics()
            stop_promptly(agent)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        try:  # the mount point it made in the host's /tmp outlives its namespace
            os.unlink("/tmp/perf-%d.map" % proc.pid)
        except OSError:
            pass
    names = {}
    for stack in body.splitlines():
        frames, count = stack.rsplit(" ", 1)
        for f in frames.split(";"):
            names[f] = names.get(f, 0) + int(count)
    return names, m


@register("hostile_perf_map_root_file_bind")
def test_perf_map_root_file_bind():
    """Any user can bind-mount a root-only file (/etc/shadow, /proc/kmsg) over its own perf map
    inside a user + mount namespace, and /proc/PID/root leads the agent there: the agent (root)
    read it and served its lines as that user's frame names. Only the process's own files are
    perf maps now; the control shows the same path works with a file nobody owns."""
    tmp = tempfile.mkdtemp(prefix="hostprof-e2e-bind-", dir="/tmp")
    os.chmod(tmp, 0o755)
    own, secret = os.path.join(tmp, "own.map"), os.path.join(tmp, "secret")
    try:
        with open(own, "w") as f:
            f.write("%x 1000 NOBODYS_OWN_JIT_FRAME\n" % JIT_ADDR)
        os.chown(own, 65534, 65534)
        with open(secret, "w") as f:
            f.write("%x 1000 ROOT_ONLY_SECRET_LINE\n" % JIT_ADDR)
        os.chmod(secret, 0o600)
        control, _ = jit_names(own)
        leaked, m = jit_names(secret)
    finally:
        for f in (own, secret):
            os.unlink(f)
        os.rmdir(tmp)
    check(control.get("NOBODYS_OWN_JIT_FRAME", 0) >= 20,
          "control: the process's own bind-mounted perf map names %d samples"
          % control.get("NOBODYS_OWN_JIT_FRAME", 0))
    check("ROOT_ONLY_SECRET_LINE" not in leaked, "a root-only file was read as nobody's perf map: "
          "%d samples named from it" % leaked.get("ROOT_ONLY_SECRET_LINE", 0))
    check(refused(m, "owner") >= 1, "root's file not counted as refused (owner): %s"
          % m.select("hostprof_symbolizer_files_refused_total"))
