# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of symbolization against programs whose layout defeats naive symbolizers
# (tests/workloads/symbols): every expected name and count comes from binutils and the programs.
"""Symbol tests.

Needs root, binutils (nm, readelf) and the workloads of tests/workloads/symbols (make e2e).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import cpu_lib
import harness
from harness import Agent, ReadyProcess, check, diag, register

WORKLOADS = harness.WORKLOADS
FREQ = cpu_lib.FREQ
OFFSET_FRAME_RE = re.compile(r"^(.+)\+0x([0-9a-f]+)$")


# --- ground truth from binutils ------------------------------------------------------------------

def nm_symbols(path):
    """{name: (address, size or None)} of the defined symbols of path (nm -S)."""
    out = subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4:
            syms[f[3]] = (int(f[0], 16), int(f[1], 16))
        elif len(f) == 3:
            syms[f[2]] = (int(f[0], 16), None)
    return syms


def load_segments(path):
    """[(offset, vaddr, filesz)] of the PT_LOAD headers of path (readelf -lW)."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True,
                         check=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    check(segs, "readelf found no PT_LOAD in %s" % path)
    return segs


def offset_to_vaddr(segs, offset):
    for off, vaddr, filesz in segs:
        if off <= offset < off + filesz:
            return offset - off + vaddr
    return None


# --- workloads ----------------------------------------------------------------------------------

class Workload(ReadyProcess):
    """A tests/workloads/symbols program: "ready PID" on stderr, runs after go(), prints one JSON
    line (its own pid and CPU time) when it is done."""

    go_bytes = b"go\n"

    def __init__(self, exe, *args):
        super().__init__([exe] + list(args), own_pid=False)

    def finish(self, timeout=60):
        doc = self.output(timeout)
        check(doc["pid"] == self.pid, "workload JSON pid %d, ready %d" % (doc["pid"], self.pid))
        return doc


def profile_run(exe, *args, agent_args=()):
    """Runs the workload to its end under an agent limited to it; (its JSON, JSON profile of its
    whole run, metrics before, metrics after)."""
    with Workload(exe, *args) as w, \
            Agent("--collectors", "cpu", "--pid", str(w.pid), *agent_args) as agent:
        before = agent.metrics()
        w.go()
        truth = w.finish()
        time.sleep(2.2)  # two drains: every sample of the run is stored
        doc = cpu_lib.profile(agent, "since=5m&pid=%d" % w.pid)
        after = agent.metrics()
    return truth, doc, before, after


def check_total(total, cpu_ns, where, slack=3):
    """Samples of a whole run ~ the CPU seconds the program measured x frequency. Coarse (15 %):
    it catches lost or doubled samples of these programs; sampling precision is test_cpu.py's
    part, and on a host loaded 10 times over the kernel's period adjustment drifts by up to
    ~12 %."""
    want = cpu_ns / 1e9 * FREQ
    lo, hi = want * 0.85 - slack, want * 1.15 + slack
    check(lo <= total <= hi, "%s: %d samples, want %.0f..%.0f (%.3f CPU s at %d Hz)"
          % (where, total, lo, hi, cpu_ns / 1e9, FREQ))


def leaf_vaddrs(stacks, module, segs):
    """{leaf vaddr: samples} for leaves shown as module+0xOFFSET, and the other leaves' counts."""
    vaddrs, others = {}, {}
    for frames, n in stacks:
        leaf = frames[-1]
        m = OFFSET_FRAME_RE.match(leaf)
        v = offset_to_vaddr(segs, int(m.group(2), 16)) if m and m.group(1) == module else None
        if v is None:
            others[leaf] = others.get(leaf, 0) + n
        else:
            vaddrs[v] = vaddrs.get(v, 0) + n
    return vaddrs, others


def in_func(vaddr, sym):
    return sym[0] <= vaddr < sym[0] + sym[1]


# --- sizeless symbols ---------------------------------------------------------------------------

@register("symbols_sizeless_stub")
def test_sizeless_stub():
    """A stripped binary's .dynsym names only a sizeless asm stub before the hot function: the hot
    function's samples must stay sizeless+0xOFFSET (inside sizeless_hot per nm), never the stub."""
    exe = os.path.join(WORKLOADS, "sizeless")
    syms = nm_symbols(exe + ".full")
    stub, hot, main = syms["hp_sizeless_stub"], syms["sizeless_hot"], syms["main"]
    check(stub[0] < hot[0] < main[0], "workload layout: stub %#x, hot %#x, main %#x; the stub "
          "must come first" % (stub[0], hot[0], main[0]))
    truth, doc, _, _ = profile_run(exe, 2)
    stacks = cpu_lib.json_stacks(doc, truth["pid"])
    total = sum(n for _, n in stacks)
    named_stub = sum(n for frames, n in stacks if "hp_sizeless_stub" in frames)
    vaddrs, others = leaf_vaddrs(stacks, "sizeless", load_segments(exe))
    in_hot = sum(n for v, n in vaddrs.items() if in_func(v, hot))
    diag("sizeless: %d samples, %d in sizeless_hot by offset, %d name the stub; other leaves %s"
         % (total, in_hot, named_stub, sorted(others.items(), key=lambda kv: -kv[1])[:5]))
    check(named_stub == 0, "%d of %d samples name the sizeless stub hp_sizeless_stub (the hot "
          "function and main are not in .dynsym)" % (named_stub, total))
    check(in_hot >= 0.8 * total, "%d of %d samples are sizeless+0xOFF inside sizeless_hot "
          "(%#x+%#x), want >= 80%%; other leaves: %s" % (in_hot, total, hot[0], hot[1], others))
    check_total(total, truth["cpu_ns"], "sizeless whole run")
    # main calls sizeless_hot: its frame, too, must be an offset inside main
    callers = [frames[-2] for frames, n in stacks if len(frames) >= 2 for _ in range(n)]
    segs = load_segments(exe)
    in_main = 0
    for c in callers:
        m = OFFSET_FRAME_RE.match(c)
        if m and m.group(1) == "sizeless":
            v = offset_to_vaddr(segs, int(m.group(2), 16))
            in_main += v is not None and in_func(v, main)
    check(in_main >= 0.8 * total, "%d of %d samples have a caller frame inside main by offset"
          % (in_main, total))


# --- code moved to anonymous memory -------------------------------------------------------------

@register("symbols_anon_text")
def test_anon_text():
    """The program copies its text onto anonymous memory and mremaps it over the original range:
    samples there must still be named from the file (anontext_hot, per its .symtab)."""
    exe = os.path.join(WORKLOADS, "anontext")
    check("anontext_hot" in nm_symbols(exe), "anontext has no anontext_hot symbol")
    truth, doc, _, _ = profile_run(exe, 2)
    stacks = cpu_lib.json_stacks(doc, truth["pid"])
    total = sum(n for _, n in stacks)
    leaves = cpu_lib.leaf_counts(stacks)
    hot = leaves.get("anontext_hot", 0)
    anon = sum(n for frames, n in stacks if any(f.startswith("[anon]") for f in frames))
    diag("anontext: %d samples, %d in anontext_hot, %d with an [anon] frame; leaves %s"
         % (total, hot, anon, cpu_lib.describe(cpu_lib.shares_of(leaves))))
    check(hot >= 0.8 * total, "%d of %d samples named anontext_hot, want >= 80%% (leaves: %s)"
          % (hot, total, cpu_lib.describe(cpu_lib.shares_of(leaves))))
    check(anon == 0, "%d of %d samples still have an [anon] frame" % (anon, total))
    check_total(total, truth["cpu_ns"], "anontext whole run")
    chains = sum(n for frames, n in stacks if frames[-2:] == ["main", "anontext_hot"])
    check(chains >= 0.8 * total, "%d of %d samples have main -> anontext_hot" % (chains, total))


# --- truncated stacks ---------------------------------------------------------------------------

@register("symbols_stack_truncated")
def test_stack_truncated_not_dropped():
    """200 calls deep, every sample's stack is cut at 127 frames and kept: counted as truncated
    (once per sample), never as a dropped event."""
    exe = os.path.join(WORKLOADS, "deepstack")
    truth, doc, before, after = profile_run(exe, 2)
    stacks = cpu_lib.json_stacks(doc, truth["pid"])
    total = sum(n for _, n in stacks)
    marked = sum(n for frames, n in stacks if frames and frames[0] == "[truncated]")
    check(marked >= total - 2, "%d of %d samples carry the [truncated] root frame" % (
        marked, total))
    dropped = after.value("hostprof_events_dropped_total", collector="cpu",
                          reason="stack_truncated")
    check(not after.select("hostprof_events_dropped_total", reason="stack_truncated"),
          "hostprof_events_dropped_total{reason=\"stack_truncated\"} = %d: truncated samples are "
          "kept, not dropped" % dropped)
    drops = {l["reason"]: v for l, v in after.select("hostprof_events_dropped_total",
                                                      collector="cpu")}
    check(not any(drops.values()), "cpu drops for one deep process: %s" % drops)
    name = "hostprof_stacks_truncated_total"
    check((name, "counter") in after.types, "%s is not typed counter" % name)
    grew = after.value(name, collector="cpu") - before.value(name, collector="cpu")
    sampled = (after.value("hostprof_cpu_samples_total")
               - before.value("hostprof_cpu_samples_total"))
    check(grew == marked and marked <= sampled,
          "%s grew %d; the profile has %d truncated samples of %d (agent drained %d)"
          % (name, grew, marked, total, sampled))
    check_total(total, truth["cpu_ns"], "deepstack whole run")


# --- short-lived processes ----------------------------------------------------------------------

SHORT_RUNS = 40
SHORT_SECONDS = 0.03
UNRESOLVED_MAX = 0.02  # the target: at most 2 % of such samples keep unresolved frames


# In execve, past the point of no return, the user registers still point into the old image
# while the new one is being mapped: no capture, and no profiler, can name those user frames.
IN_EXEC = ("__x64_sys_execve", "bprm_execve", "load_elf_binary")


def in_exec(frames):
    return any(f in IN_EXEC for f in frames)


KERNEL_ENTRY_RE = re.compile(r"^(entry_SYSCALL|asm_|ret_from_fork|irqentry_)")


def user_frames(frames, ksyms):
    """The user part (root..leaf) of a JSON stack: what precedes the kernel entry frame."""
    for i, f in enumerate(frames):
        if KERNEL_ENTRY_RE.match(f):
            return frames[:i]
    return [] if frames and frames[0] in ksyms else frames


def unresolved(frames, module, ksyms):
    """The user leaf in no captured mapping ([unknown]) or without a name, or the program's own
    code without a name: what a late or early capture of the maps leaves. ([unknown] frames on
    the root side of a named leaf are return addresses the frame-pointer walk read from code built
    without frame pointers, libc's: garbage to every such unwinder, perf included.)"""
    user = user_frames(frames, ksyms)
    return bool(user) and (user[-1] == "[unknown]" or bool(OFFSET_FRAME_RE.match(user[-1])) or
                           any(f.startswith(module + "+0x") for f in user))


def perf_unresolved(script, comm):
    """(samples, samples whose user leaf perf could not name) of comm in perf script output,
    samples inside execve left out as above."""
    samples = bad = 0
    for block in script.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or not lines[0].split() or lines[0].split()[0] != comm:
            continue
        frames = [l.strip() for l in lines[1:]]
        if any(re.search(r"\b%s\b" % f, " ".join(frames)) for f in IN_EXEC):
            continue
        samples += 1
        user = [f for f in frames if "[kernel.kallsyms]" not in f]
        bad += bool(user) and "[unknown]" in user[0].split(" (")[0]
    return samples, bad


# Runs the short-lived program N times, each by fork + exec from a Python process that, as a
# supervisor would, works a few ms in the child before exec (so the child is often sampled
# before exec); prints the programs' JSON lines. Waits for a line on stdin first.
SPAWNER = r"""
import subprocess, sys, time
def setup():
    t = time.process_time()
    while time.process_time() - t < 0.004:
        pass
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    out = subprocess.run([sys.argv[1], sys.argv[3]], capture_output=True, check=True,
                         preexec_fn=setup)
    sys.stdout.write(out.stdout.decode())
"""


@register("symbols_short_lived")
def test_short_lived(agent_args=()):
    """40 runs of a 30 ms process, spawned by fork + exec inside a cgroup the agent profiles: nearly
    every sample must resolve (maps captured after exec and ld.so, before exit). perf records the
    same runs for the ratio."""
    exe = os.path.join(WORKLOADS, "shortlived")
    comm = os.path.basename(exe)
    perf = perf_data = None
    tmp = tempfile.mkdtemp(prefix="hostprof-e2e-short-")
    try:
        with harness.temp_cgroup("short") as cg:
            with Agent("--collectors", "cpu", "--cgroup", cg, *agent_args) as agent:
                spawner = subprocess.Popen([sys.executable, "-c", SPAWNER, exe, str(SHORT_RUNS),
                                            str(SHORT_SECONDS)], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE)
                harness.move_to_cgroup(cg, spawner.pid)
                if shutil.which("perf"):
                    perf_data = os.path.join(tmp, "perf.data")
                    perf = subprocess.Popen(["perf", "record", "-N", "-q", "-a", "-g", "-e",
                                             "cpu-clock", "-F", str(FREQ), "-o", perf_data],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1)
                out, _ = spawner.communicate(b"go\n", timeout=120)
                check(spawner.returncode == 0, "spawner exited %d" % spawner.returncode)
                runs = [json.loads(line) for line in out.decode().splitlines()]
                check(len(runs) == SHORT_RUNS, "%d runs reported" % len(runs))
                if perf:
                    perf.send_signal(signal.SIGINT)
                    perf.wait(timeout=60)
                time.sleep(2.2)  # two drains
                doc = cpu_lib.profile(agent, "since=5m&comm=%s" % comm)
                after = agent.metrics()
        theirs = ""
        if perf_data:
            script = subprocess.run(["perf", "script", "-i", perf_data, "--comm", comm, "-F",
                                     "comm,pid,ip,sym,dso"], capture_output=True, text=True,
                                    timeout=120).stdout
            p_total, p_bad = perf_unresolved(script, comm)
            theirs = "; perf record on the same runs: %d of %d" % (p_bad, p_total)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pids = {r["pid"] for r in runs}
    stacks = [(st["frames"], st["count"]) for st in doc["stacks"] if st["pid"] in pids]
    # each run also spends CPU outside the main it measured (exec, ld.so, exit; measured up to
    # ~9 ms on a loaded host): a sample per run of slack
    check_total(sum(n for _, n in stacks), sum(r["cpu_ns"] for r in runs),
                "%d shortlived runs" % SHORT_RUNS, slack=SHORT_RUNS)
    stacks = [(frames, n) for frames, n in stacks if not in_exec(frames)]
    total = sum(n for _, n in stacks)
    ksyms = cpu_lib.kallsyms_names()
    bad = sum(n for frames, n in stacks if unresolved(frames, comm, ksyms))
    named = sum(n for frames, n in stacks if "shortlived_hot" in frames)
    diag("shortlived: %d samples in %d runs (outside execve), %d with unresolved user frames, "
         "%d in shortlived_hot%s" % (total, len(runs), bad, named, theirs))
    for frames, n in stacks:
        if unresolved(frames, comm, ksyms):
            diag("  unresolved x%d: %s" % (n, ";".join(frames)))
    check(bad <= UNRESOLVED_MAX * total, "%d of %d samples of %d short-lived runs have unresolved "
          "user frames, want <= %d %%%s" % (bad, total, len(runs), UNRESOLVED_MAX * 100, theirs))
    drops = {l["reason"]: v for l, v in after.select("hostprof_events_dropped_total",
                                                      collector="cpu")}
    check("process_exit_notification_lost" in drops, "no process_exit_notification_lost series "
          "in %s" % sorted(drops))
    check(not any(drops.values()), "cpu drops: %s" % drops)
    # every process the agent sampled (the spawner and the runs, in the cgroup) has exited and
    # been drained: its captured state must be freed, not left to LRU eviction
    check(after.select("hostprof_map_max_entries", collector="agent",
                       map="symbolizer_processes"),
          "no symbolizer_processes series of the shared symbolizer (collector=\"agent\")")
    kept = after.value("hostprof_map_entries", collector="agent", map="symbolizer_processes")
    check(kept == 0, "%d processes still held by the symbolizer after all %d sampled ones exited"
          % (kept, len(runs) + 1))


@register("symbols_short_lived_raw_tp")
def test_short_lived_raw_tp():
    test_short_lived(("--attach", "raw_tp"))
