# SPDX-License-Identifier: GPL-2.0-only
# What the CPU profiler's test files share: tests/workloads/burner spends known, self-measured
# shares of its CPU time in known functions, and these helpers compare hostprof's output with that.
"""The burner, its ground truth (Truth) and the checks of a profile against it; used by
test_cpu.py, test_cpu_formats.py and test_symbols.py.

BURNER overrides the executable, e.g. BURNER=build/workloads/burner-nopie for a non-PIE run.
"""

import collections
import json
import os
import re
import signal
import time

from harness import WORKLOADS, ReadyProcess, check, fetch
BURNER = os.path.abspath(os.environ.get("BURNER", os.path.join(WORKLOADS, "burner")))
BURNER_NOPIE = os.path.join(WORKLOADS, "burner-nopie")
COMM = os.path.basename(BURNER)[:15]  # the burner's process name

FREQ = 99  # hostprof's default -F
EXE_LEAF, LIB_LEAF, CPP_LEAF = "burn_exe_leaf", "burn_lib_leaf", "hpburn::Spinner::spin(int)"
LEAVES = (EXE_LEAF, LIB_LEAF, CPP_LEAF)
# root -> leaf from main on; what sits above main (libc start code) is not checked
CHAINS = {
    EXE_LEAF: ["main", "burn_exe_top", "burn_exe_mid", EXE_LEAF],
    LIB_LEAF: ["main", LIB_LEAF],
    CPP_LEAF: ["main", "hpburn_spin_chunk", CPP_LEAF],
}
BURNER_FUNCS = {f for chain in CHAINS.values() for f in chain}
# Sample counts vs. the burner's own CPU time x frequency: both follow the time the burner was on
# a CPU, so they agree to a sample or two even on a busy host; 5 % covers window edges.
COUNT_TOLERANCE = 0.05
SHARE_TOLERANCE = 5.0  # points between a leaf's sampled share and the burner's measured one
PERF_TOLERANCE = 3.0  # points between hostprof's and perf's share of a function
CPU_DROP_REASONS = ("counts_map_full", "stack_map_full", "stack_hash_collision",
                    "kernel_stack_error", "user_stack_error",
                    "new_process_notification_lost", "stack_lost")
FOLDED_LINE_RE = re.compile(r"^[^;\n]+(;[^;\n]+)* [0-9]+$")


# --- the burner -------------------------------------------------------------------------------

class Truth:
    """The burner's JSON line: CPU time per leaf and a timeline of cumulative figures."""

    def __init__(self, doc):
        self.doc = doc
        self.pid = doc["pid"]
        self.cols = doc["columns"]
        self.rows = doc["timeline"]
        check(self.cols[2:] == list(LEAVES), "burner columns %s" % self.cols)
        check(len(self.rows) >= 2, "burner timeline has %d points" % len(self.rows))

    def _at(self, t):
        """Cumulative figures interpolated at monotonic time t (seconds), clamped to the harness."""
        t_ns = t * 1e9
        rows = self.rows
        if t_ns <= rows[0][0]:
            return rows[0][1:]
        for a, b in zip(rows, rows[1:]):
            if t_ns <= b[0]:
                w = (t_ns - a[0]) / max(1, b[0] - a[0])
                return [x + w * (y - x) for x, y in zip(a[1:], b[1:])]
        return rows[-1][1:]

    def window(self, t0, t1):
        """(CPU seconds, {leaf: share in %}) the burner measured between monotonic t0 and t1."""
        a, b = self._at(t0), self._at(t1)
        cpu = b[0] - a[0]
        check(cpu > 0, "burner used no CPU between %.2f and %.2f" % (t0, t1))
        return cpu / 1e9, {f: 100.0 * (y - x) / cpu for f, x, y in zip(LEAVES, a[1:], b[1:])}

    def whole(self):
        return self.window(self.rows[0][0] / 1e9, self.rows[-1][0] / 1e9)

    def covers(self, t0, t1, slack=0.25):
        """Whether the run spans t0..t1, give or take slack seconds (go() to first point)."""
        return self.rows[0][0] <= (t0 + slack) * 1e9 and (t1 - slack) * 1e9 <= self.rows[-1][0]


class Burner(ReadyProcess):
    """tests/workloads/burner started paused; go() releases it, finish() returns its Truth.
    prefix: a wrapper command (unshare, chroot); pid is then the burner's own, from its ready
    line."""

    def __init__(self, seconds, exe=None, shares=None, prefix=(), thread=None):
        self.seconds = seconds
        env = dict(os.environ, BURNER_THREAD=thread) if thread else None  # burn in that thread
        super().__init__(list(prefix) + [exe or BURNER, seconds] + list(shares or ()),
                         own_pid=False, env=env)

    def finish(self, stop=False):
        """Waits for the burner's JSON; stop: end the burn now (SIGTERM) instead of waiting."""
        if stop and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        truth = Truth(self.output(self.seconds + 60))
        check(truth.pid == self.pid, "burner JSON pid %d, ready line %d" % (truth.pid, self.pid))
        return truth


# --- profiles ----------------------------------------------------------------------------------

def profile(agent, query, fmt="json"):
    """GET /api/v1/profile/cpu?query&format=fmt; the parsed JSON, or the text for folded/html."""
    path = "/api/v1/profile/cpu?%s&format=%s" % (query, fmt)
    status, headers, body = fetch(agent.base + path)
    check(status == 200, "%s answered %d: %s" % (path, status, body[:300]))
    if fmt != "json":
        return body.decode()
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s Content-Type %r" % (path, ctype))
    return json.loads(body)


def timed_profile(agent, query, fmt="json"):
    """(answer, monotonic start, monotonic end) of one profile request."""
    t0 = time.monotonic()
    doc = profile(agent, query, fmt)
    return doc, t0, time.monotonic()


def json_stacks(doc, pid):
    """[(frames root..leaf as names, count)] of one process in a JSON profile."""
    return [(st["frames"], st["count"]) for st in doc["stacks"] if st["pid"] == pid]


def parse_folded(text):
    """[(frames root..leaf with the comm first, count)]; every line must fit flamegraph.pl."""
    stacks = []
    for line in text.splitlines():
        check(FOLDED_LINE_RE.match(line), "folded line does not fit flamegraph.pl: %r" % line)
        frames, count = line.rsplit(" ", 1)
        stacks.append((frames.split(";"), int(count)))
    return stacks


def folded_stacks(text, comm=COMM):
    """The stacks of one comm in a folded profile, without the comm."""
    return [(frames[1:], count) for frames, count in parse_folded(text) if frames[0] == comm]


def leaf_counts(stacks):
    counts = collections.Counter()
    for frames, count in stacks:
        counts[frames[-1] if frames else "(no frames)"] += count
    return counts


def shares_of(counts):
    total = sum(counts.values())
    check(total > 0, "no samples of the burner at all")
    return {f: 100.0 * n / total for f, n in counts.items()}


def describe(shares, n=6):
    top = sorted(shares.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join("%s %.1f%%" % kv for kv in top)


# --- checks against the burner's own figures ----------------------------------------------------

def span_of(t0, t1, *lengths):
    """Where a profile's window lies: somewhere inside [t0, t1] (the request, monotonic s), one
    of lengths long. A request's window starts when the agent gets to it (another request may
    hold the collector's lock, a drain may be slow), so only its length is known exactly."""
    return t0, t1, [min(l, t1 - t0) for l in lengths or (t1 - t0,)]


def cpu_range(truth, span):
    """(least, most) CPU seconds the burner measured in any window the span allows."""
    t0, t1, lengths = span
    check(truth.covers(t0, t1), "window %.2f-%.2f not inside the burner's "
          "run %.2f-%.2f" % (t0, t1, truth.rows[0][0] / 1e9, truth.rows[-1][0] / 1e9))
    found = []
    for length in lengths:
        free = t1 - t0 - length
        steps = max(1, int(free / 0.025))
        for k in range(steps + 1):
            start = t0 + free * k / steps
            found.append(truth.window(start, start + length)[0])
    return min(found), max(found)


def check_count(total, truth, span, where, freq=FREQ):
    """total samples of the burner ~ its own CPU seconds in the profile's window x frequency."""
    lo, hi = cpu_range(truth, span)
    low, high = lo * freq * (1 - COUNT_TOLERANCE), hi * freq * (1 + COUNT_TOLERANCE)
    check(low <= total <= high, "%s: %d samples, want %.0f..%.0f (the burner used %.2f..%.2f "
          "CPU s in a %s s window within %.2f s, at %d Hz, +-%d%%)" % (
              where, total, low, high, lo, hi, "/".join("%.2f" % l for l in span[2]),
              span[1] - span[0], freq, COUNT_TOLERANCE * 100))


def span_shares(truth, span):
    """The burner's leaf shares in the span (window placement hardly matters for shares)."""
    t0, t1, lengths = span
    return truth.window(max(t0, t1 - lengths[0]), t1)[1]


def check_leaf_shares(counts, truth, span, where, tolerance=SHARE_TOLERANCE):
    """>= 90 % of the samples on the three leaves, each within tolerance of the burner's share."""
    got = shares_of(counts)
    want = span_shares(truth, span)
    on_leaves = sum(got.get(f, 0) for f in LEAVES)
    check(on_leaves >= 90, "%s: only %.1f%% of the burner's samples on its leaves (%s)"
          % (where, on_leaves, describe(got)))
    for f in LEAVES:
        check(abs(got.get(f, 0) - want[f]) <= tolerance,
              "%s: %s has %.1f%% of the samples, the burner measured %.1f%% (+-%g points)"
              % (where, f, got.get(f, 0), want[f], tolerance))


def check_chains(stacks, where):
    """Every leaf's samples come (>= 95 %) through its expected chain from main, and nothing
    of the burner's own sits above main."""
    for leaf, chain in CHAINS.items():
        mine = [(frames, n) for frames, n in stacks if frames and frames[-1] == leaf]
        total = sum(n for _, n in mine)
        good = sum(n for frames, n in mine if chain_ok(frames, chain))
        bad = [";".join(frames) for frames, n in mine if not chain_ok(frames, chain)]
        check(total and good >= 0.95 * total, "%s: %d of %d %s samples have the chain %s; e.g. %s"
              % (where, good, total, leaf, ";".join(chain), bad[:2]))


def chain_ok(frames, chain):
    n = len(chain)
    return (len(frames) >= n and frames[-n:] == chain
            and not BURNER_FUNCS.intersection(frames[:-n]))


def check_burner_profile(stacks, total, truth, span, where):
    check_count(total, truth, span, where)
    check_leaf_shares(leaf_counts(stacks), truth, span, where)
    check_chains(stacks, where)


def check_json_header(doc, seconds, where):
    check(doc["frequency"] == FREQ, "%s: frequency %s, want %d" % (where, doc["frequency"], FREQ))
    check(doc["period_ns"] == 10 ** 9 // FREQ, "%s: period_ns %s, want %d"
          % (where, doc["period_ns"], 10 ** 9 // FREQ))
    check(abs(doc["duration_seconds"] - seconds) <= 1.0, "%s: duration_seconds %s, asked for %d"
          % (where, doc["duration_seconds"], seconds))
    total = sum(st["count"] for st in doc["stacks"])
    check(doc["total_samples"] == total, "%s: total_samples %s but the stacks sum to %d"
          % (where, doc["total_samples"], total))


def check_top(doc, where, modules):
    """top[]: each leaf's self count equals what the stacks say; modules as expected."""
    counts = leaf_counts((st["frames"], st["count"]) for st in doc["stacks"])
    top = {e["function"]: e for e in doc["top"]}
    for leaf in LEAVES:
        e = top.get(leaf)
        check(e is not None, "%s: %s missing from top (%s)" % (where, leaf, sorted(top)[:10]))
        check(e["self"] == counts[leaf], "%s: top says %s self %s, stacks say %d"
              % (where, leaf, e["self"], counts[leaf]))
        pct = 100.0 * counts[leaf] / doc["total_samples"]
        check(abs(e["self_percent"] - pct) < 0.05, "%s: %s self_percent %s, want %.2f"
              % (where, leaf, e["self_percent"], pct))
        check(os.path.basename(e["module"]) == modules[leaf], "%s: %s module %r, want .../%s"
              % (where, leaf, e["module"], modules[leaf]))


def burner_modules(exe):
    name = os.path.basename(exe)
    return {EXE_LEAF: name, LIB_LEAF: "libhpburn.so", CPP_LEAF: name}


def kallsyms_names():
    with open("/proc/kallsyms") as f:
        return {line.split()[2] for line in f if len(line.split()) >= 3}


# Fetches of outside resources; a user-clickable <a href> or a namespace URI is fine.
REMOTE_LOAD_RE = re.compile(
    r"(src\s*=|fetch\(|import\s*\(?|url\(|@import|\.open\(|<link\b[^>]*)\s*[\"'`]?\s*$",
    re.I)


def check_self_contained(text, where):
    check(not re.search(r"<script\b[^>]*\bsrc\s*=", text, re.I), "%s has <script src=" % where)
    check(not re.search(r"<link\b[^>]*\brel\s*=\s*[\"']?stylesheet", text, re.I),
          "%s links a stylesheet" % where)
    for m in re.finditer(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I):
        before = text[max(0, m.start() - 60):m.start()]
        check(not REMOTE_LOAD_RE.search(before), "%s loads %r (...%s)" % (
            where, m.group(0), before[-40:]))


def page_data(text):
    """The profile the page's script draws from (<script id="hp-data">)."""
    m = re.search(r'<script id="hp-data" type="application/json">(.*?)</script>', text, re.S)
    check(m, "no hp-data script in the flame graph page")
    return json.loads(m.group(1))
