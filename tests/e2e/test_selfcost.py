# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of what hostprof shows about its own cost: its BPF programs' run counts and run
# time (the kernel's BPF statistics) and the standard process_* metrics, against /proc and bpftool.
"""Ground truth: a workload's exact number of getppid() calls (each runs the syscall collector's
sys_enter and sys_exit programs once), bpftool's view of the same programs (run_cnt and
run_time_ns read before and after the page was rendered), and /proc/PID of the agent for the
process metrics. Also: without CAP_SYS_ADMIN the kernel refuses BPF_ENABLE_STATS, which the
agent says in one line and in hostprof_bpf_stats_enabled 0 while its collectors run."""

import os
import re
import tempfile
import time

import harness
from harness import Agent, Workload, bpftool_progs, check, diag, promtool_check, register

N_CALLS = 200000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def prog_stats(agent):
    """{program name (15 chars, as the kernel keeps it): (run_cnt, run_time_ns)} of the agent's
    programs, from bpftool."""
    ids = agent.prog_ids()
    return {p.get("name", ""): (p.get("run_cnt", 0), p.get("run_time_ns", 0))
            for p in bpftool_progs() if p["id"] in ids}


def page_programs(m, collector):
    """{program: (runs, run_seconds)} of collector on the page m."""
    runs = {l["program"]: v for l, v in m.select("hostprof_bpf_program_runs_total",
                                                 collector=collector)}
    secs = {l["program"]: v for l, v in m.select("hostprof_bpf_program_run_seconds_total",
                                                 collector=collector)}
    check(runs and set(runs) == set(secs), "program series differ: runs %s, seconds %s"
          % (sorted(runs), sorted(secs)))
    return {p: (runs[p], secs[p]) for p in runs}


def bracketed_page(agent):
    """A /metrics page with the agent's programs' kernel figures read just before the request
    and just after the page came (it was rendered in between)."""
    lo = prog_stats(agent)
    m = agent.metrics()
    return lo, m, prog_stats(agent)


def check_against_bpftool(lo, page, hi):
    check(set(p[:15] for p in page) == set(lo) == set(hi),
          "the page's programs %s are not the agent's loaded ones %s" % (sorted(page), sorted(lo)))
    for prog, (runs, secs) in page.items():
        k = prog[:15]
        check(lo[k][0] <= runs <= hi[k][0],
              "%s: runs %d outside bpftool's %d..%d" % (prog, runs, lo[k][0], hi[k][0]))
        check(lo[k][1] / 1e9 - 1e-9 <= secs <= hi[k][1] / 1e9 + 1e-9,
              "%s: run seconds %.9f outside bpftool's %.9f..%.9f"
              % (prog, secs, lo[k][1] / 1e9, hi[k][1] / 1e9))


@register("selfcost_bpf_program_runs")
def test_selfcost_bpf_program_runs():
    with Workload("getppid_loop", N_CALLS) as wl, Agent("--collectors", "syscalls") as agent:
        fds = [os.readlink("/proc/%d/fd/%s" % (agent.pid, f))
               for f in os.listdir("/proc/%d/fd" % agent.pid)]
        check("anon_inode:bpf-stats" in fds, "the agent holds no BPF_ENABLE_STATS fd: %s"
              % sorted(set(fds)))
        lo0, m0, hi0 = bracketed_page(agent)
        gt = wl.run()
        lo1, m1, hi1 = bracketed_page(agent)
        check(m1.value("hostprof_bpf_stats_enabled") == 1, "hostprof_bpf_stats_enabled is not 1")
        promtool_check(m1.text)
    check(gt["ok"] == N_CALLS, "getppid_loop: %s" % gt)
    before, after = page_programs(m0, "syscalls"), page_programs(m1, "syscalls")
    check_against_bpftool(lo0, before, hi0)
    check_against_bpftool(lo1, after, hi1)
    hooks = {}
    for hook in ("sys_enter", "sys_exit"):
        progs = [p for p in after if p.startswith(hook + "_")]
        check(len(progs) == 1, "want one %s program, got %s" % (hook, sorted(after)))
        p = progs[0]
        runs = after[p][0] - before[p][0]
        secs = after[p][1] - before[p][1]
        hooks[hook] = (runs, secs)
        # every getppid enters and leaves once; the rest of the host adds, never removes
        check(runs >= N_CALLS, "%s ran %d times for %d getppid calls" % (p, runs, N_CALLS))
        check(secs > 0, "%s run seconds did not grow (%.9f)" % (p, secs))
        per_run = secs / runs * 1e9
        check(10 <= per_run <= 100000, "%s: %.0f ns per run is not a BPF program's" % (p, per_run))
    check(sum(r for r, _ in hooks.values()) >= 2 * N_CALLS, "runs %s < 2N" % hooks)
    diag("%d getppid in %.3f s: sys_enter +%d runs (%.0f ns each), sys_exit +%d (%.0f ns each)"
         % (N_CALLS, gt["seconds"], hooks["sys_enter"][0],
            hooks["sys_enter"][1] / hooks["sys_enter"][0] * 1e9, hooks["sys_exit"][0],
            hooks["sys_exit"][1] / hooks["sys_exit"][0] * 1e9))


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK, int(fields[19])  # utime+stime, start


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^%s:\s+(\d+) kB" % key, f.read(), re.M).group(1)) * 1024


def nofile_soft(pid):
    with open("/proc/%d/limits" % pid) as f:
        soft = re.search(r"^Max open files\s+(\S+)", f.read(), re.M).group(1)
    return float(2 ** 64 - 1) if soft == "unlimited" else float(soft)


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


@register("selfcost_process_metrics")
def test_selfcost_process_metrics():
    with open("/proc/stat") as f:
        btime = int(re.search(r"^btime (\d+)", f.read(), re.M).group(1))
    t_launch = time.time()
    with Agent("--collectors", "syscalls") as agent:
        pid = agent.pid
        cpu_prev = -1.0
        for attempt in range(6):
            # the page is rendered by the ticker; an fd the agent opens or closes in between
            # (a connection of ours) would make the exact comparison a race: retry then
            fds_lo = open_fds(pid)
            cpu_lo, start_ticks = proc_cpu_seconds(pid)
            time.sleep(1.2)  # a tick with no request in flight
            m = agent.metrics()
            cpu_hi, _ = proc_cpu_seconds(pid)
            fds_hi = open_fds(pid)
            rss, vsz = proc_status_kb(pid, "VmRSS"), proc_status_kb(pid, "VmSize")
            now = time.time()
            v = {n: m.value(n) for n in (
                "process_cpu_seconds_total", "process_resident_memory_bytes",
                "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                "process_start_time_seconds")}
            cpu = v["process_cpu_seconds_total"]
            check(cpu_lo <= cpu <= cpu_hi, "process_cpu_seconds_total %.2f outside /proc's "
                  "%.2f..%.2f" % (cpu, cpu_lo, cpu_hi))
            check(cpu >= cpu_prev, "process_cpu_seconds_total went back: %.2f after %.2f"
                  % (cpu, cpu_prev))
            cpu_prev = cpu
            check(cpu <= now - v["process_start_time_seconds"],
                  "%.2f CPU seconds in %.2f s of life" % (cpu, now - v["process_start_time_seconds"]))
            check(abs(v["process_resident_memory_bytes"] - rss) <= 0.1 * rss,
                  "RSS %d vs /proc's VmRSS %d" % (v["process_resident_memory_bytes"], rss))
            check(abs(v["process_virtual_memory_bytes"] - vsz) <= 0.1 * vsz,
                  "virtual memory %d vs /proc's VmSize %d" % (v["process_virtual_memory_bytes"], vsz))
            check(v["process_max_fds"] == nofile_soft(pid),
                  "process_max_fds %d vs /proc's limit %d" % (v["process_max_fds"], nofile_soft(pid)))
            start = btime + start_ticks / CLK_TCK
            check(abs(v["process_start_time_seconds"] - start) < 0.011
                  and abs(start - t_launch) < 2, "process_start_time_seconds %.2f, /proc says "
                  "%.2f, launched at %.2f" % (v["process_start_time_seconds"], start, t_launch))
            if fds_lo == fds_hi == v["process_open_fds"]:
                break
            diag("attempt %d: fds %d before, %d on the page, %d after"
                 % (attempt, fds_lo, v["process_open_fds"], fds_hi))
        check(fds_lo == fds_hi == v["process_open_fds"], "process_open_fds %d, /proc/%d/fd has "
              "%d..%d entries" % (v["process_open_fds"], pid, fds_lo, fds_hi))
        check(cpu_prev > 0, "no CPU time at all")
        promtool_check(m.text)


def others_hold_stats():
    """Whether some process holds BPF statistics on (a bpf-stats fd): they count for all."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "anon_inode:bpf-stats":
                    return True
        except OSError:
            pass
    return False


@register("selfcost_stats_refused")
def test_selfcost_stats_refused():
    """Without CAP_SYS_ADMIN (every other capability kept) BPF_ENABLE_STATS is refused: one
    warning naming the capability, hostprof_bpf_stats_enabled 0, the collector still up."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        stats_on = f.read().strip() == "1" or others_hold_stats()
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-nosysadmin-") as d:
        # the agent through setpriv: exec all the way, so its pid is the agent's
        wrapper = os.path.join(d, "hostprof")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec setpriv --bounding-set -sys_admin --inh-caps -sys_admin '
                    '"%s" "$@"\n' % harness.HOSTPROF)
        os.chmod(wrapper, 0o755)
        with Agent("--collectors", "syscalls", exe=wrapper) as agent:
            with open("/proc/%d/status" % agent.pid) as f:
                eff = int(re.search(r"^CapEff:\s+([0-9a-f]+)", f.read(), re.M).group(1), 16)
            check(not eff & (1 << 21), "the agent still has CAP_SYS_ADMIN (CapEff %x)" % eff)
            fds = [os.readlink("/proc/%d/fd/%s" % (agent.pid, f))
                   for f in os.listdir("/proc/%d/fd" % agent.pid)]
            m = agent.metrics()
            log = agent.stderr()
    warn = [l for l in log.splitlines() if re.match(r"\S+Z (warn|error) ", l)]
    check(len(warn) == 1 and "BPF_ENABLE_STATS needs CAP_SYS_ADMIN" in warn[0]
          and "Operation not permitted" in warn[0], "want one warning naming CAP_SYS_ADMIN: %s"
          % warn)
    check(m.value("hostprof_bpf_stats_enabled") == 0, "hostprof_bpf_stats_enabled is not 0")
    check("anon_inode:bpf-stats" not in fds, "a refused agent holds a bpf-stats fd")
    check(m.value("hostprof_collector_up", collector="syscalls") == 1, "syscalls is not up")
    if not stats_on:  # else the kernel counts for everyone
        runs = [v for _, v in m.select("hostprof_bpf_program_runs_total")]
        check(runs and not any(runs), "runs counted with statistics off: %s" % runs)
