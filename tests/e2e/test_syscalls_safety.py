# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the syscall collector against kernel data that changes while it is read, and
# of what its figures mean: compat ABIs named by their own tables, restarts kept apart from errors.
"""Syscall collector safety and ABI tests.

Workloads (make e2e builds them): sc_pairs (new (syscall, errno) pairs, one every 2 ms),
sc_abi (ia32 via int $0x80, x32), sc_restart (read/poll/ppoll interrupted by SIGALRM with
and without SA_RESTART, and by SIGSTOP/SIGCONT).
"""

import errno
import os
import subprocess
import threading
import time

import harness
from harness import Agent, Skip, Workload, check, diag, register
from syscalls_lib import HIST

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ERRORS, RESTARTS = "hostprof_syscall_errors_total", "hostprof_syscall_restarts_total"
COMM_CALLS, COMM_ERRORS = "hostprof_syscall_comm_calls_total", "hostprof_syscall_comm_errors_total"
COMM_LAG = 3.2  # the comm breakdown lags the histograms by up to 2 ticks
SCRAPERS = 8
LE_1MS, LE_2MS = "0.001048576", "0.002097152"  # the bucket a 1.5 ms sleep lands in


def syscall_table(abi):
    """nr -> name from the committed table (ground truth independent of hostprof)."""
    names = {}
    with open(os.path.join(ROOT, "user", "collectors", "syscalls", "syscalls_%s.tbl" % abi)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            nr, name = line.split()
            names[int(nr)] = name
    return names


def sc_name(table, nr):
    return table.get(nr, "sys_%d" % nr)


def series(m, name, **labels):
    """{label tuple: value} of every non-zero sample of name matching labels."""
    return {tuple(sorted(l.items())): v for l, v in m.select(name, **labels) if v}


# --- live tables under concurrent scrapes -------------------------------------------------------

def scrape_loop(agent, stop, results):
    """One /metrics client: scrapes until stop is set; records (status, error) of each."""
    while not stop.is_set():
        try:
            status = harness.http(agent.base + "/metrics", timeout=30)[0]
            results.append(status)
        except OSError as e:  # the agent died or hung: a failure the main thread reports
            results.append(repr(e))
            return


@register("syscalls_new_pairs_under_scrapes")
def test_syscalls_new_pairs_under_scrapes():
    """~180 (syscall, errno) pairs appear for the first time, one every 2 ms, while 8 clients
    scrape /metrics: the agent must neither overflow nor miscount (issue 6 reproduction)."""
    table = syscall_table("x86_64")
    for attempt in range(2):
        # the second attempt also drains the double-buffered comm map while scrapes run
        comm = ["--comm-top", "3"] if attempt else []
        with Workload("sc_pairs", 2000) as wl:
            with Agent("--pid", str(wl.pid), *comm) as agent:
                stop, results, threads = threading.Event(), [], []
                for _ in range(SCRAPERS):
                    t = threading.Thread(target=scrape_loop, args=(agent, stop, results))
                    t.start()
                    threads.append(t)
                try:
                    time.sleep(0.2)  # scrapers running before the first pair appears
                    gt = wl.run()
                    time.sleep(0.2)
                finally:
                    stop.set()
                    for t in threads:
                        t.join(60)
                bad = [r for r in results if r != 200]
                check(not bad, "scrapes failed while pairs appeared: %s" % bad[:5])
                check(len(results) >= 2 * SCRAPERS, "only %d scrapes ran" % len(results))
                if comm:
                    time.sleep(COMM_LAG)
                after = agent.metrics()
            # Agent.__exit__ has checked exit code 0 and a sanitizer-clean log here
        want = {}
        for nr, err, count in gt["pairs"]:
            if err:
                want[(sc_name(table, nr), errno.errorcode[err])] = count
        check(len(want) >= 170, "workload made only %d error pairs: %s" % (len(want), gt))
        got = {(l["syscall"], l["errno"]): v for l, v in after.select(ERRORS) if v}
        missing = {k: v for k, v in want.items() if got.get(k) != v}
        extra = {k: v for k, v in got.items() if k not in want}
        check(not missing and not extra,
              "error counts differ from the workload's (%d pairs, %d scrapes): want/got %s; "
              "unexpected %s" % (len(want), len(results),
                                 {k: (v, got.get(k)) for k, v in list(missing.items())[:8]},
                                 extra))
        if comm:
            per_syscall = {}
            for (name, _), v in want.items():
                per_syscall[name] = per_syscall.get(name, 0) + v
            got_comm = {l["syscall"]: v for l, v in after.select(COMM_ERRORS, comm="sc_pairs")
                        if v}
            check(got_comm == per_syscall, "comm=sc_pairs errors per syscall differ: %s" % {
                k: (v, got_comm.get(k)) for k, v in per_syscall.items() if got_comm.get(k) != v})
        abis = {l.get("abi") for l, v in after.select(ERRORS) if v}
        check(abis == {"x86_64"}, "error series ABIs %s, want only x86_64" % abis)
        diag("attempt %d: %d pairs exact, %d scrapes during the run" % (
            attempt + 1, len(want), len(results)))


# --- ABIs ---------------------------------------------------------------------------------------

def abi_case(abi, agent_args, n):
    with Workload("sc_abi", abi, n) as wl:
        with Agent("--pid", str(wl.pid), *agent_args) as agent:
            before = agent.metrics()
            gt = wl.run()
            after = agent.metrics()
            api = agent.api("abi=%s" % ("i386" if abi == "ia32" else "x32"))
    label = "i386" if abi == "ia32" else "x32"
    where = "(%s, %s)" % (abi, " ".join(agent_args) or "tp_btf")

    def count(m, syscall, abi_label, suffix="_count"):
        return m.value(HIST + suffix, syscall=syscall, abi=abi_label)

    def delta(syscall, abi_label, suffix="_count", **extra):
        return (after.value(HIST + suffix, syscall=syscall, abi=abi_label, **extra)
                - before.value(HIST + suffix, syscall=syscall, abi=abi_label, **extra))

    for name, key in (("getpid", "getpid_errno"), ("open", "open_errno"),
                      ("nanosleep", "nanosleep_errno")):
        got = delta(name, label)
        check(got == n, "%s %s _count grew %d, want exactly %d %s" % (label, name, got, n, where))
        errs = series(after, ERRORS, syscall=name, abi=label)
        if gt[key]:
            want = {(("abi", label), ("errno", errno.errorcode[gt[key]]),
                     ("syscall", name)): float(n)}
            check(errs == want, "%s %s errors %s, want %s %s" % (label, name, errs, want, where))
        else:
            check(not errs, "%s %s errors %s, the program saw none %s" % (label, name, errs,
                                                                           where))
    # the same numbers on x86_64 are other calls, which this program never made natively
    for name in ("writev", "fstat", "sync", "mkdir", "chdir", "rt_sigaction", "pause"):
        check(count(after, name, "x86_64") == 0,
              "x86_64 %s counted %d calls %s" % (name, count(after, name, "x86_64"), where))
    # native getpid kept apart: the workload checks each result against getpid(), and calls it
    # once more for its JSON line
    check(delta("getpid", "x86_64") == n + 1, "x86_64 getpid grew %d, want %d %s" % (
        delta("getpid", "x86_64"), n + 1, where))
    if abi == "ia32":
        in_bucket = (delta("nanosleep", label, "_bucket", le=LE_2MS)
                     - delta("nanosleep", label, "_bucket", le=LE_1MS))
        check(gt["sleep_in_bucket"] <= in_bucket <= n,
              "i386 nanosleep 1-2 ms bucket grew %d, the program measured %d of %d there %s"
              % (in_bucket, gt["sleep_in_bucket"], n, where))
        check(in_bucket >= 0.98 * n, "i386 nanosleep: only %d of %d in the 1-2 ms bucket %s"
              % (in_bucket, n, where))
    entries = {e["syscall"]: e for e in api["syscalls"]}
    check(all(e["abi"] == label for e in api["syscalls"]),
          "?abi=%s returned other ABIs: %s" % (label, [e["abi"] for e in api["syscalls"]]))
    for name in ("getpid", "open", "nanosleep"):
        check(name in entries and entries[name]["calls"] == n,
              "API %s %s: %s %s" % (label, name, entries.get(name), where))


@register("syscalls_abi_x32")
def test_syscalls_abi_x32():
    abi_case("x32", [], 500)
    abi_case("x32", ["--attach", "raw_tp"], 500)


@register("syscalls_abi_ia32")
def test_syscalls_abi_ia32():
    probe = subprocess.run([os.path.join(harness.WORKLOADS, "sc_abi"), "probe"])
    if probe.returncode == 3:
        raise Skip("int $0x80 faults on this kernel (ia32 emulation off)")
    check(probe.returncode == 0, "sc_abi probe exited %d" % probe.returncode)
    abi_case("ia32", [], 2000)
    abi_case("ia32", ["--attach", "raw_tp"], 2000)


# --- restarts and sigreturn ---------------------------------------------------------------------

def restart_case(agent_args, k):
    """sc_restart's five phases under one agent: every restart code's outcome, counted exactly."""
    comm = "--comm-top" in agent_args
    with Workload("sc_restart", k) as wl:
        with Agent("--pid", str(wl.pid), *agent_args) as agent:
            gt = wl.run()
            if comm:
                time.sleep(COMM_LAG)
            after = agent.metrics()
            api = agent.api("syscall=read")
    where = "(%s; program: %s)" % (" ".join(agent_args) or "tp_btf", gt)
    rs, ei, po, pp, st = (gt[p] for p in ("restart", "eintr", "poll", "ppoll", "stop"))
    # the program's own figures: every phase interrupted exactly k calls while they blocked; only
    # the SA_RESTART read phase and the stop phase saw no EINTR
    check(rs["interrupted"] == k and rs["eintr"] == 0
          and ei["interrupted"] == k and ei["eintr"] == k
          and po["interrupted"] == k and po["eintr"] == k
          and pp["interrupted"] == k and pp["eintr"] == k
          and st["interrupted"] == k and st["eintr"] == 0
          and gt["handled"] == rs["calls"] + ei["calls"] + po["calls"] + pp["calls"],
          "the workload's own counts are off %s" % where)

    # restarted: SA_RESTART reads and reads stopped/continued without a handler; eintr: the rest
    rkey = lambda sc, code, outcome: (("abi", "x86_64"), ("code", code), ("outcome", outcome),
                                      ("syscall", sc))
    want = {rkey("read", "ERESTARTSYS", "restarted"): float(rs["interrupted"] + st["interrupted"]),
            rkey("read", "ERESTARTSYS", "eintr"): float(ei["eintr"]),
            rkey("poll", "ERESTART_RESTARTBLOCK", "eintr"): float(po["eintr"]),
            rkey("ppoll", "ERESTARTNOHAND", "eintr"): float(pp["eintr"])}
    restarts = series(after, RESTARTS)
    check(restarts == want, "restarts by outcome %s, want %s %s" % (restarts, want, where))
    # the EINTRs the program saw are errors, exactly as many as it counted, and nothing else is
    ekey = lambda sc: (("abi", "x86_64"), ("errno", "EINTR"), ("syscall", sc))
    want = {ekey("read"): float(ei["eintr"]), ekey("poll"): float(po["eintr"]),
            ekey("ppoll"): float(pp["eintr"])}
    errs = series(after, ERRORS)
    check(errs == want, "errors %s, want exactly the program's EINTRs %s %s" % (errs, want, where))
    # each restarted read enters the kernel again; poll and ppoll never do
    reads = rs["reads"] + ei["reads"] + po["reads"] + pp["reads"] + st["reads"]
    want_calls = reads + rs["interrupted"] + st["interrupted"]
    calls = after.value(HIST + "_count", syscall="read", abi="x86_64")
    check(calls == want_calls, "read _count %d, want %d %s" % (calls, want_calls, where))
    for name, ph in (("poll", po), ("ppoll", pp)):
        got = after.value(HIST + "_count", syscall=name, abi="x86_64")
        check(got == ph["calls"], "%s _count %d, want %d %s" % (name, got, ph["calls"], where))
    sigret = after.value(HIST + "_count", syscall="rt_sigreturn", abi="x86_64")
    check(sigret == gt["handled"], "rt_sigreturn _count %d, want %d %s" % (
        sigret, gt["handled"], where))
    unresolved = after.value("hostprof_events_dropped_total", collector="syscalls",
                             reason="restart_code_unresolved")
    check(unresolved == 0, "%d restart codes unresolved %s" % (unresolved, where))
    if comm:
        got = after.value(COMM_CALLS, comm="sc_restart", syscall="read")
        check(got == want_calls, "comm read calls %d, want %d %s" % (got, want_calls, where))
        errs = {l["syscall"]: v for l, v in after.select(COMM_ERRORS) if v}
        want = {"read": ei["eintr"], "poll": po["eintr"], "ppoll": pp["eintr"]}
        check(errs == want, "comm errors %s, want the program's EINTRs %s %s"
              % (errs, want, where))
    (entry,) = api["syscalls"]
    restarted = rs["interrupted"] + st["interrupted"]
    check(entry["restarts"] == restarted and entry["interrupted"] == ei["eintr"]
          and entry["errors"] == ei["eintr"]
          and entry["restarts_by_code"] == {"ERESTARTSYS": restarted}
          and entry["interrupted_by_code"] == {"ERESTARTSYS": ei["eintr"]}
          and entry["errors_by_errno"] == {"EINTR": ei["eintr"]},
          "API read entry %s %s" % (entry, where))


@register("syscalls_restarts_apart")
def test_syscalls_restarts_apart():
    restart_case(["--comm-top", "3"], 20)
    restart_case(["--attach", "raw_tp"], 20)
