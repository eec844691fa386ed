# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the CPU profiler's sampling: sample counts and leaf shares against the
# burner's own CPU time, filters (pid, cgroup, since, containers), perf as a second opinion.
"""CPU sampling accuracy and the collector's life in the agent (concurrent requests, metrics,
shutdown). Needs root, the burner (make e2e builds it), perf, bpftool and promtool."""

import collections
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import harness
from harness import Agent, check, fetch, register
from cpu_lib import BURNER, BURNER_NOPIE, CPU_DROP_REASONS, FREQ, PERF_TOLERANCE, Burner, \
    burner_modules, check_burner_profile, check_count, check_json_header, check_top, describe, \
    folded_stacks, json_stacks, leaf_counts, parse_folded, profile, span_of, timed_profile


def leaves_case(exe):
    with Burner(9, exe=exe) as b:
        with Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
            b.go()
            doc, t0, t1 = timed_profile(agent, "seconds=6")
        truth = b.finish()
    where = "%s seconds=6" % os.path.basename(exe)
    check_json_header(doc, 6, where)
    others = {st["pid"] for st in doc["stacks"]} - {b.pid}
    check(not others, "%s: --pid %d profile has stacks of pids %s" % (where, b.pid, others))
    stacks = json_stacks(doc, b.pid)
    check_burner_profile(stacks, doc["total_samples"], truth,
                         span_of(t0, t1, doc["duration_seconds"]), where)
    check_top(doc, where, burner_modules(exe))


@register("cpu_burner_leaves")
def test_cpu_burner_leaves():
    leaves_case(BURNER)


@register("cpu_burner_leaves_nopie")
def test_cpu_burner_leaves_nopie():
    leaves_case(BURNER_NOPIE)


def expect_400(agent, query):
    path = "/api/v1/profile/cpu?" + query
    status, headers, body = fetch(agent.base + path, timeout=20)
    check(status == 400, "%s answered %d, want 400: %r" % (path, status, body[:200]))
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s Content-Type %r" % (path, ctype))
    doc = json.loads(body)
    check(isinstance(doc.get("error"), str) and doc["error"] and doc.get("status") == 400,
          "%s error body %r" % (path, body[:200]))


@register("cpu_since")
def test_cpu_since():
    # a symlink gives this burner a process name of its own (other test runs may burn too)
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-since-") as tmp, \
            Agent("--collectors", "cpu", "--retention", "30s") as agent:
        comm = "hpb-since-%d" % (os.getpid() % 100000)
        os.symlink(BURNER, os.path.join(tmp, comm))
        with Burner(5, exe=os.path.join(tmp, comm)) as b:
            b.go()
            truth = b.finish()
        time.sleep(1.5)  # the last second of the run reaches the retention ring at a tick
        t0 = time.monotonic()
        doc = profile(agent, "since=10s&pid=%d" % b.pid)
        took = time.monotonic() - t0
        check(took < 1.0, "since=10s took %.2f s, want < 1 s" % took)
        stacks = json_stacks(doc, b.pid)
        check(stacks, "since=10s has no stacks of the burner")
        start, end = truth.rows[0][0] / 1e9, truth.rows[-1][0] / 1e9
        check_burner_profile(stacks, doc["total_samples"], truth, span_of(start, end),
                             "since=10s")
        folded = profile(agent, "since=10s&comm=" + comm, fmt="folded")
        total = sum(n for _, n in folded_stacks(folded, comm))
        check(total == doc["total_samples"] and total == sum(n for _, n in parse_folded(folded)),
              "since=10s comm=%s folded has %d samples (%d of that comm), pid=%d json %d" % (
                  comm, sum(n for _, n in parse_folded(folded)), total, b.pid,
                  doc["total_samples"]))
        for bad in ("since=31s", "since=1h", "seconds=abc", "since=abc", "seconds=3&since=10s",
                    "since=10s&format=bogus", "since=10s&pid=abc", "seconds=0", "since=-5s"):
            expect_400(agent, bad)


@register("cpu_cgroup")
def test_cpu_cgroup():
    """--cgroup filters samples in the kernel, and every sample carries the cgroup's v2 path as
    the JSON "cgroup" field and the pprof "cgroup" label. A second burner outside the cgroup must
    be absent; the kept burner's count must match its own CPU time."""
    with harness.temp_cgroup("cpu") as cg, Agent("--collectors", "cpu", "--cgroup", cg) as agent:
        root, _ = harness.cgroup2_root()
        rel = "/" + os.path.relpath(cg, root)
        with Burner(6) as inside, Burner(6) as outside:
            harness.move_to_cgroup(cg, inside.pid)
            t0 = time.monotonic()
            inside.go()
            outside.go()
            doc = profile(agent, "seconds=4")
            t1 = time.monotonic()
            truth = inside.finish(stop=True)
            outside.finish(stop=True)
    pids = {st["pid"] for st in doc["stacks"]}
    check(pids == {inside.pid}, "--cgroup profile has pids %s, want only %d (outside: %d)" % (
        sorted(pids), inside.pid, outside.pid))
    cgroups = {st.get("cgroup") for st in doc["stacks"]}
    check(cgroups == {rel}, "cgroup fields %s, want {%r}" % (cgroups, rel))
    check_count(doc["total_samples"], truth, span_of(t0, t1, doc["duration_seconds"]),
                "--cgroup seconds=4")


def prog_names(agent):
    return sorted(harness.bpf_prog_names(agent.prog_ids()).values())


def online_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        ranges = [r.split("-") for r in f.read().strip().split(",")]
    return sum(int(r[-1]) - int(r[0]) + 1 for r in ranges)


def perf_event_fds(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[perf_event]"
        except OSError:
            pass
    return n


@register("cpu_concurrent_requests")
def test_cpu_concurrent_requests():
    with Burner(8) as b, Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
        before = (prog_names(agent), perf_event_fds(agent.pid))
        check(before[0].count("on_sample") == 1, "agent holds programs %s" % before[0])
        check(before[1] == online_cpus(), "agent has %d perf_event fds for %d online CPUs"
              % (before[1], online_cpus()))
        b.go()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            t0 = time.monotonic()
            futures = [pool.submit(timed_profile, agent, "seconds=3") for _ in range(3)]
            time.sleep(1.5)
            during = (prog_names(agent), perf_event_fds(agent.pid))
            answers = [f.result() for f in futures]
            took = time.monotonic() - t0
        truth = b.finish()
    check(during == before, "programs/perf_event fds changed during requests: %s -> %s"
          % (before, during))
    check(took < 5.5, "3 concurrent seconds=3 requests took %.1f s together" % took)
    for i, (doc, s, e) in enumerate(answers):
        where = "concurrent request %d" % i
        check(2.8 <= e - s <= 5.0, "%s took %.1f s" % (where, e - s))
        check_json_header(doc, 3, where)
        check_count(doc["total_samples"], truth, span_of(s, e, doc["duration_seconds"]), where)


PERF_REPORT_RE = re.compile(r"^\s*([\d.]+)%\s+\[([.k])\]\s+(.+?)\s*$")


def perf_leaf_shares(data, tmp):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-F",
                          "overhead,sym", "-g", "none", "--percent-limit", "0", "-q"],
                         capture_output=True, text=True, timeout=120, cwd=tmp)
    check(out.returncode == 0, "perf report exited %d: %s" % (out.returncode, out.stderr[-300:]))
    shares = collections.Counter()
    for line in out.stdout.splitlines():
        m = PERF_REPORT_RE.match(line)
        if m:
            shares[normalize(m.group(3))] += float(m.group(1))
    check(shares, "perf report printed no symbols: %r" % out.stdout[:300])
    return shares


def normalize(name):
    """perf prints C++ names without parameters and kernel names without _[k]."""
    return re.sub(r"\(.*\)$", "", name)


def top_names(shares, n=5):
    return [f for f, _ in sorted(shares.items(), key=lambda kv: -kv[1])[:n]]


@register("cpu_vs_perf")
def test_cpu_vs_perf():
    check(shutil.which("perf"), "perf not found (install linux-perf)")
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-perf-") as tmp, Burner(10) as b, \
            Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
        b.go()
        data = os.path.join(tmp, "perf.data")
        # -N: leave ~/.debug (perf's build-id cache) alone
        perf = subprocess.Popen(["perf", "record", "-N", "-e", "cpu-clock", "-F", str(FREQ), "-g",
                                 "-p", str(b.pid), "-o", data, "--", "sleep", "6"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        doc = profile(agent, "seconds=6")
        perf_out = perf.communicate(timeout=60)[0].decode(errors="replace")
        check(perf.returncode == 0, "perf record exited %d: %s" % (perf.returncode, perf_out))
        b.finish()
        theirs = perf_leaf_shares(data, tmp)
    ours = collections.Counter()
    for name, n in leaf_counts(json_stacks(doc, b.pid)).items():
        ours[normalize(name)] += 100.0 * n / doc["total_samples"]
    big = lambda s: {f for f, v in s.items() if v >= 3.0}
    check(big(ours) == big(theirs), "functions with >= 3%% differ: hostprof %s, perf %s"
          % (describe(ours), describe(theirs)))
    for f in set(top_names(ours)) | set(top_names(theirs)):
        check(abs(ours[f] - theirs[f]) <= PERF_TOLERANCE, "%s: hostprof %.1f%%, perf %.1f%% "
              "(hostprof: %s; perf: %s)" % (f, ours[f], theirs[f], describe(ours),
                                            describe(theirs)))


def shared_libs(exe):
    """Absolute paths of the libraries the dynamic loader maps for exe, loader included."""
    out = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True)
    libs = re.findall(r"(/\S+) \(0x", out.stdout)
    return [l for l in libs if not l.startswith(os.path.dirname(exe))]


# Runs in a new mount namespace: a tmpfs over $1 that only this namespace sees, the burner and its
# libraries copied into it, then chroot: /hpburn/burner exists nowhere in the host's namespace.
CONTAINER_SH = r"""
set -e
root=$1 lib=$2 libs=$3 exe=$4 seconds=$5
mount -t tmpfs hostprof-e2e "$root"
mkdir "$root/hpburn"
cp "$exe" "$root/hpburn/burner"
cp "$lib" "$root/hpburn/libhpburn.so"
for l in $libs; do cp -L --parents "$l" "$root"; done
mkdir "$root/proc"
mount -t proc proc "$root/proc"  # the loader resolves $ORIGIN through /proc/self/exe
exec chroot "$root" /hpburn/burner "$seconds"
"""


def container_burner(root, seconds):
    """A Burner running as /hpburn/burner inside a private mount namespace and chroot."""
    lib = os.path.join(os.path.dirname(BURNER), "libhpburn.so")
    prefix = ["unshare", "--mount", "--propagation", "private", "--fork", "--kill-child",
              "sh", "-c", CONTAINER_SH, "sh", root, lib, " ".join(shared_libs(BURNER))]
    return Burner(seconds, prefix=prefix)


@register("cpu_container")
def test_cpu_container():
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-ns-") as root:
        with container_burner(root, 9) as b:
            # the kernel prints the path from the namespace's mount point, which is an empty
            # directory here; the file itself is only reachable through /proc/PID/{root,map_files}
            exe = os.readlink("/proc/%d/exe" % b.pid)
            check(exe.endswith("/hpburn/burner") and not os.path.exists(exe)
                  and not os.path.exists("/hpburn") and not os.listdir(root),
                  "the container's burner %r is visible in the host namespace" % exe)
            with Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
                b.go()
                doc, t0, t1 = timed_profile(agent, "seconds=6")
            truth = b.finish()
    stacks = json_stacks(doc, b.pid)
    where = "container seconds=6"
    check_burner_profile(stacks, doc["total_samples"], truth,
                         span_of(t0, t1, doc["duration_seconds"]), where)
    check_top(doc, where, burner_modules("/hpburn/burner"))


# --- metrics ----------------------------------------------------------------------------------

@register("cpu_metrics")
def test_cpu_metrics():
    with Burner(9) as b, Agent("--pid", str(b.pid)) as agent:
        b.go()
        time.sleep(1.2)  # a full tick of samples in the counters, so both scrapes lag alike
        t_before = time.monotonic()
        before = agent.metrics()
        t_before_got = time.monotonic()
        doc, t0, t1 = timed_profile(agent, "seconds=4")
        time.sleep(1.2)
        t_after_asked = time.monotonic()
        status, _, body = agent.get("/metrics")
        t_after = time.monotonic()
        truth = b.finish(stop=True)
        expect_400(agent, "since=11m")  # beyond the default retention of 10 m
    check(status == 200, "/metrics answered %d" % status)
    after = harness.Metrics(body)
    attach = after.select("hostprof_collector_attach_info", collector="cpu")
    # the path of the exec/exit hooks; the sampling itself is perf_event always
    check([(l.get("path"), v) for l, v in attach] == [("tp_btf", 1.0)],
          "cpu attach info %s, want path=tp_btf 1" % attach)
    name = "hostprof_cpu_samples_total"
    check(("%s" % name, "counter") in after.types, "%s is not typed counter" % name)
    grew = after.value(name) - before.value(name)
    # /metrics is the page of a tick: agent.get waits for one rendered after it asked, so each
    # scrape's drain falls between asking and getting the answer
    check_count(grew, truth, span_of(t_before, t_after, t_after_asked - t_before_got,
                                     t_after - t_before), "%s delta" % name)
    check_count(doc["total_samples"], truth, span_of(t0, t1, doc["duration_seconds"]),
                "seconds=4")
    check(grew >= doc["total_samples"], "%s grew %d, less than the %d samples of the profile "
          "taken between the scrapes" % (name, grew, doc["total_samples"]))
    drops = {l["reason"]: v for l, v in after.select("hostprof_events_dropped_total",
                                                      collector="cpu")}
    check(set(CPU_DROP_REASONS) <= set(drops), "cpu drop reasons %s, want all of %s"
          % (sorted(drops), CPU_DROP_REASONS))
    check(not any(drops.values()), "cpu drops on a single burner: %s" % drops)
    # one burner has a few dozen distinct stacks: the stack table holds them all, evicts none
    name = "hostprof_stack_table_evictions_total"
    check((name, "counter") in after.types, "%s is not typed counter" % name)
    found = after.select(name, collector="cpu")
    check([v for _, v in found] == [0], "%s{collector=\"cpu\"} %s on a single burner, want 0"
          % (name, found))
    held = after.value("hostprof_map_entries", collector="cpu", map="stack_table")
    cap = after.value("hostprof_map_max_entries", collector="cpu", map="stack_table")
    check(0 < held <= min(cap, 1000), "stack table holds %s of %s stacks" % (held, cap))
    harness.promtool_check(body)


# --- shutdown -----------------------------------------------------------------------------------

@register("cpu_shutdown_pending_request")
def test_cpu_shutdown_pending_request():
    """SIGTERM while a client waits for seconds=30: the client gets a JSON 503 at once (not a
    reset connection, not a 30 s wait) and the agent still exits 0 with nothing attached."""
    result = {}

    def wait_for_profile(agent):
        t0 = time.monotonic()
        result["status"], _, result["body"] = harness.http(
            agent.base + "/debug/pprof/profile?seconds=30", timeout=60)
        result["took"] = time.monotonic() - t0

    with Agent() as agent:
        waiter = threading.Thread(target=wait_for_profile, args=(agent,))
        waiter.start()
        time.sleep(2)
        t0 = time.monotonic()
        agent.stop(signal.SIGTERM)
        exited = time.monotonic() - t0
        waiter.join(timeout=20)
    check(not waiter.is_alive(), "the waiting client never got an answer")
    check(result.get("status") == 503 and '"error"' in result.get("body", ""),
          "waiting client got %r %r, want a JSON 503" % (result.get("status"),
                                                         result.get("body", "")[:200]))
    check(result["took"] < 10, "waiting client answered after %.1f s" % result["took"])
    check(exited < 10, "agent took %.1f s to exit with a request in flight" % exited)
