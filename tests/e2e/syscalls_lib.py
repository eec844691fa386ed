# SPDX-License-Identifier: GPL-2.0-only
# What the syscall collector's test files share: its metric names, the sleeper's ground truth
# compared with the latency histograms and errno counters, and the exposition checks.
"""Helpers of test_syscalls.py (and the HIST name for test_syscalls_safety.py, test_http.py)."""

import contextlib

from harness import PROM_CONTENT_TYPE, Metrics, Sleeper, Agent, TestFailure, check

N_SLEEPS = 200  # nanosleep(10 ms) calls per sleeper run
M_OPENS = 500  # failing openat calls per sleeper run
HIST = "hostprof_syscall_latency_seconds"
LE_8MS, LE_16MS = "0.008388608", "0.016777216"  # the bucket a 10 ms sleep lands in


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


# --- the sleeper's runs -------------------------------------------------------------------------

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
