# SPDX-License-Identifier: GPL-2.0-only
# What the off-CPU test files share: tests/workloads/offcpu_workload and the kernel's own
# accounting (/proc/.../schedstat), a pprof decoder, and sums of off-CPU time by leaf and waker.
"""Helpers of test_offcpu.py. Ground truth: the workload's nominal sleeps (20 ms x 100 in
leaf_sleep, 30 ms x 50 in leaf_pipe_wait), its threads' own wall - CPU clocks, and schedstat."""

import glob
import gzip
import json
import os
import select
import time

from harness import WORKLOADS, ReadyProcess, Workload, check, fetch

WL = "offcpu_workload"
COMM = WL[:15]  # the workload's process name (15 bytes fit in a comm)
SLEEP_LEAF, PIPE_LEAF, WAKER_FN, DECOY_LEAF = "leaf_sleep", "leaf_pipe_wait", "waker_fn", \
    "decoy_leaf"
SLEEP_TRUTH_S, PIPE_TRUTH_S = 100 * 0.020, 50 * 0.030  # nominal off-CPU seconds per leaf
TOLERANCE = 0.05
MARKER = "[woken by] "
BLOCKED_STATES = {"sleeping", "uninterruptible", "idle", "stopped", "other"}


# --- the workload -------------------------------------------------------------------------------

class SleepPipe(Workload):
    """offcpu_workload sleep_pipe; finish() checks the workload did all its sleeps and reads."""

    def __init__(self):
        super().__init__(WL, "sleep_pipe")

    def finish(self, timeout=60):
        gt = super().finish(timeout)
        check(gt["a"]["done"] == 100 and gt["b"]["done"] == 50 and gt["c"]["done"] == 50,
              "offcpu_workload did not finish its sleeps, reads and writes: %s" % gt)
        return gt


def offcpu_truth(thread):
    """Seconds a sleep_pipe thread was off-CPU in its loop, by its own clocks (wall - CPU)."""
    return (thread["wall_ns"] - thread["cpu_ns"]) / 1e9


def blocked_truth(thread):
    """Seconds it was blocked: off-CPU less the run-queue wait the kernel counted (run_delay)."""
    return (thread["wall_ns"] - thread["cpu_ns"] - thread["run_delay_ns"]) / 1e9


def leaf_truths(gt):
    """{leaf: (thread, least and most nominal blocked s, the thread's own blocked s, its off-CPU
    s)}. leaf_sleep: 2.0 s (100 x 20 ms). leaf_pipe_wait: B waits at least C's naps (1.5 s) and
    at most C's whole loop by C's clock (a late C, on a loaded host, makes B wait longer)."""
    return {SLEEP_LEAF: ("sleeper_a", SLEEP_TRUTH_S, SLEEP_TRUTH_S, blocked_truth(gt["a"]),
                         offcpu_truth(gt["a"])),
            PIPE_LEAF: ("pipe_b", PIPE_TRUTH_S, max(PIPE_TRUTH_S, gt["c"]["wall_ns"] / 1e9),
                        blocked_truth(gt["b"]), offcpu_truth(gt["b"]))}


class Decoy(Workload):
    """offcpu_workload decoy SECONDS: sleeps 10 ms at a time in decoy_leaf (comm offcpu_decoy)."""

    def __init__(self, seconds):
        super().__init__(WL, "decoy", seconds)


class BusyThreads(ReadyProcess):
    """offcpu_workload rq N SECONDS CPU: go() starts the spin without closing stdin, spun() waits
    for the threads to park, release() lets them exit. The tids are this process's tasks."""

    ready_timeout = 10

    def __init__(self, n, seconds, cpu):
        self.seconds = seconds
        super().__init__([os.path.join(WORKLOADS, WL), "rq", n, seconds, cpu])

    def go(self):
        self.proc.stdin.write(b"g")
        self.proc.stdin.flush()

    def spun(self):
        ready, _, _ = select.select([self.proc.stderr], [], [], self.seconds + 30)
        line = self.proc.stderr.readline().decode(errors="replace") if ready else ""
        check(line.strip() == "spun", "offcpu_workload rq: no 'spun' line: %r" % line)

    def release(self):
        self.proc.stdin.close()
        self.proc.stdin = None
        return self.output(30)


# --- the kernel's accounting -------------------------------------------------------------------

def schedstat(path):
    """(ns on CPU, ns waiting on a run queue, timeslices) of one /proc/.../schedstat; None when
    the task is gone."""
    try:
        with open(path) as f:
            run, wait, slices = f.read().split()[:3]
        return int(run), int(wait), int(slices)
    except (OSError, ValueError):
        return None


def process_schedstat(pid):
    """{tid: schedstat} of every thread of pid."""
    out = {}
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        st = schedstat(path)
        if st:
            out[int(path.split("/")[4])] = st
    return out


def host_schedstat():
    """{tid: schedstat} of every task on the host."""
    out = {}
    for path in glob.glob("/proc/[0-9]*/task/[0-9]*/schedstat"):
        st = schedstat(path)
        if st:
            out[int(path.split("/")[4])] = st
    return out


def schedstat_delta(before, after, field):
    """Sum of the field's growth over the tasks present in both snapshots."""
    return sum(after[t][field] - before[t][field] for t in before.keys() & after.keys())


# --- profiles -----------------------------------------------------------------------------------

def profile(agent, path, query):
    """GET path?query as JSON (path: /api/v1/profile/offcpu, /flamegraph, ...)."""
    url = "%s?%s" % (path, query)
    status, headers, body = fetch(agent.base + url)
    check(status == 200, "%s answered %d: %s" % (url, status, body[:300]))
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s Content-Type %r" % (url, ctype))
    return json.loads(body)


def offcpu(agent, query):
    return profile(agent, "/api/v1/profile/offcpu", query + "&format=json")


def split_waker(frames):
    """(wakee frames root..leaf, marker or None, waker frames leaf..root) of a JSON stack (root
    first): with waker=1 the waker part sits above the "[woken by] " marker."""
    for i, f in enumerate(frames):
        if f.startswith(MARKER):
            return frames[:i], f, frames[i + 1:]
    return frames, None, []


def stacks_with(doc, leaf, pid=None):
    """The JSON stacks (of pid) whose own (wakee) part holds leaf."""
    return [st for st in doc["stacks"] if (pid is None or st["pid"] == pid)
            and leaf in split_waker(st["frames"])[0]]


def weight_s(stacks):
    return sum(st["weight"] for st in stacks) / 1e9


def within(got, want, tol=TOLERANCE):
    return abs(got - want) <= tol * want


def wait_tick():
    """The last second of a run reaches the retention ring at the next tick."""
    time.sleep(1.5)


# --- pprof (gzip'd protobuf), decoded here so no hostprof code reads its own output -------------

def _varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of a protobuf message; value is an int or bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("protobuf wire type %d" % wire)
        yield num, wire, value


def _ints(wire, value):
    """A repeated integer field, packed (bytes) or not."""
    if wire == 0:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def pprof_decode(data):
    """A pprof profile as {"sample_types": [(type, unit)], "period_type": (type, unit),
    "comments": [..], "samples": [(values, {label: str}, [function names leaf first])]}."""
    msg = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    strings, types, period, comments = [], [], None, []
    raw_samples, locations, functions = [], {}, {}
    for num, wire, value in _fields(msg):
        if num == 6:
            strings.append(value.decode())
        elif num == 1:
            types.append({n: v for n, _, v in _fields(value)})
        elif num == 11:
            period = {n: v for n, _, v in _fields(value)}
        elif num == 13:
            comments.extend(_ints(wire, value))
        elif num == 2:
            raw_samples.append(value)
        elif num == 4:
            loc = {"lines": []}
            for n, w, v in _fields(value):
                if n == 1:
                    loc["id"] = v
                elif n == 4:
                    loc["lines"].append({a: b for a, _, b in _fields(v)}.get(1, 0))
            locations[loc["id"]] = loc["lines"]
        elif num == 5:
            fn = {n: v for n, _, v in _fields(value)}
            functions[fn.get(1, 0)] = fn.get(2, 0)
    vt = lambda d: (strings[d.get(1, 0)], strings[d.get(2, 0)])
    samples = []
    for body in raw_samples:
        locs, values, labels = [], [], {}
        for n, w, v in _fields(body):
            if n == 1:
                locs.extend(_ints(w, v))
            elif n == 2:
                values.extend(_ints(w, v))
            elif n == 3:
                lab = {a: b for a, _, b in _fields(v)}
                if lab.get(2):
                    labels[strings[lab[1]]] = strings[lab[2]]
                else:
                    labels[strings[lab[1]]] = lab.get(3, 0)
        names = []
        for loc in locs:  # leaf first; inlined lines innermost first
            names.extend(strings[functions.get(f, 0)] for f in locations.get(loc, []))
        samples.append((values, labels, names))
    return {"sample_types": [vt(t) for t in types], "period_type": vt(period or {}),
            "comments": [strings[c] for c in comments], "samples": samples}


def pprof_leaf_totals(prof, leaf, pid=None):
    """(events, ns) of the samples (of pid) whose own part (below any waker marker) holds leaf."""
    events = ns = 0
    for values, labels, names in prof["samples"]:
        if pid is not None and labels.get("pid") != pid and labels.get("pid") != str(pid):
            continue
        own = names
        for i in range(len(names) - 1, -1, -1):  # leaf first: the marker sits above the wakee
            if names[i].startswith(MARKER):
                own = names[i + 1:]
                break
        if leaf in own:
            events += values[0]
            ns += values[1]
    return events, ns
