# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the syscall collector: tests/workloads/sleeper makes known nanosleep and
# failing openat calls, and the latency histograms, errno counters and JSON API must show them.
"""Syscall collector tests: histograms, errno counts, the JSON API, filters, the comm breakdown,
the raw_tp fallback. Needs root, bpftool and promtool."""

import subprocess
import time

from harness import Agent, Metrics, Sleeper, bpf_prog_names, check, promtool_check, register, \
    move_to_cgroup, temp_cgroup
from syscalls_lib import HIST, M_OPENS, N_SLEEPS, check_exposition, check_nanosleeps, \
    errno_delta, hist_delta, nanosleep_case, noise_for, openat_case, run_with_noise, scrape_around


@register("nanosleep_histogram")
def test_nanosleep_histogram():
    nanosleep_case([], by_pid=False)
    nanosleep_case([], by_pid=True)


@register("openat_enoent")
def test_openat_enoent():
    openat_case([], by_pid=False)
    openat_case([], by_pid=True)


@register("buckets_cumulative_and_inf")
def test_buckets_cumulative_and_inf():
    with Agent() as agent:
        with Sleeper(20, 20) as sl:
            sl.run()  # make sure the 8-16 ms bucket and an errno series are populated
        check_exposition(*agent.get("/metrics"))


@register("promtool_check")
def test_promtool_check():
    with Agent("--comm-top", "3") as agent:
        time.sleep(2.5)  # let the comm breakdown fill so its families are checked too
        status, _, body = agent.get("/metrics")
    check(status == 200, "/metrics answered %d" % status)
    promtool_check(body)


def api_entry(doc, syscall):
    found = [e for e in doc["syscalls"] if e["syscall"] == syscall]
    check(len(found) <= 1, "%s listed %d times" % (syscall, len(found)))
    return found[0] if found else None


@register("api_syscalls")
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
    # exec/exit hooks take the same attach path; and the offcpu collector's scheduler hooks
    # (wakeup_new and rseq_update exist only as tp_btf; rseq_update where the kernel has it)
    want = {"sys_enter_" + suffix, "sys_exit_" + suffix, "sig_deliver_" + suffix, "on_sample",
            "proc_exec_" + suffix, "proc_exit_" + suffix, "switch_" + suffix,
            "waking_" + suffix, "wakeup_" + suffix}
    if path == "tp_btf":
        want.add("wakeup_new_btf")
    # the tcp collector's tracepoints, on the same path, when the default set has it
    tcp = {l["path"]: v for l, v in m.select("hostprof_collector_attach_info", collector="tcp")}
    if tcp:
        check(tcp == {path: 1}, "hostprof_collector_attach_info for tcp is %s, want {%r: 1}"
              % (tcp, path))
        want |= {p + "_" + suffix for p in ("set_state", "probe", "retransmit",
                                            "retransmit_synack", "receive_reset", "send_reset")}
    got = set(names.values()) - {"rseq_btf"}
    check(got == want, "agent holds programs %s, want %s" % (names, want))


@register("raw_tp_fallback")
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


@register("cgroup_filter")
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


@register("comm_breakdown")
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
                         "restart_code_unresolved", "bpf_program_recursion", "pod_map_full"}
          and not any(drops.values()), "syscalls events dropped: %s" % drops)


@register("exit_leaves_no_state")
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
