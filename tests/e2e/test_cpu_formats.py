# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the CPU profiler's output formats: folded, pprof (read by go tool pprof),
# record's files and summary, process/thread labels, host-wide grouping by process; each against
# self-measured programs.
"""CPU profile formats (the flame graph page in a browser: test_cpu_html.py). Needs root, the
burner and shortlived workloads (make e2e builds them), go and bpftool."""

import collections
import concurrent.futures
import gzip
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import WORKLOADS, Agent, check, diag, fetch, register
from cpu_lib import COMM, COUNT_TOLERANCE, FREQ, LEAVES, SHARE_TOLERANCE, Burner, \
    check_burner_profile, check_chains, check_count, check_self_contained, cpu_range, describe, \
    folded_stacks, kallsyms_names, page_data, parse_folded, profile, span_of, span_shares, \
    timed_profile

KERNEL_ONLY_RE = re.compile(r"^(entry_SYSCALL_64|do_syscall_64|__x64_sys_|asm_sysvec_|"
                            r"__sysvec_|hrtimer_|cpuidle_|default_idle|native_safe_halt)")


@register("cpu_folded_grammar")
def test_cpu_folded_grammar():
    # host-wide (idle CPUs and kernel threads give kernel frames), and at the same time only the
    # burner (pid=: another process may be called "burner" too), 60/25/15 this time
    with Burner(6, shares=(60, 25, 15)) as b, Agent("--collectors", "cpu") as agent:
        b.go()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            only = pool.submit(timed_profile, agent, "seconds=4&pid=%d" % b.pid, "folded")
            text, _, _ = timed_profile(agent, "seconds=4", fmt="folded")
            mine_text, t0, t1 = only.result()
        truth = b.finish()
    for answer in (text, mine_text):
        check(answer.endswith("\n"), "folded answer does not end with a newline")
    stacks = parse_folded(text)
    check(len({frames[0] for frames, _ in stacks}) > 1, "host-wide folded answer has one comm")
    ksyms = kallsyms_names()
    kernel_lines = 0
    for frames, _ in stacks:
        kernel_lines += check_kernel_frames(frames, ksyms)
    check(kernel_lines > 0, "no folded line has a kernel frame (host-wide, idle CPUs included)")
    mine = folded_stacks(mine_text)
    check(sum(n for _, n in mine) == sum(n for _, n in parse_folded(mine_text)),
          "pid=%d folded answer has lines of other comms" % b.pid)
    check_burner_profile(mine, sum(n for _, n in mine), truth, span_of(t0, t1, 4, t1 - t0),
                         "folded seconds=4")


def check_kernel_frames(frames, ksyms):
    """Kernel frames end in _[k], name kernel symbols and sit together at the leaf end. Returns
    whether the line has any."""
    kernel = [f.endswith("_[k]") for f in frames[1:]]
    if not any(kernel):
        bad = [f for f in frames[1:] if KERNEL_ONLY_RE.match(f)]
        check(not bad, "kernel frames without _[k]: %s in %s" % (bad, ";".join(frames)))
        return False
    first = kernel.index(True)
    check(all(kernel[first:]), "user frame below a kernel frame: %s" % ";".join(frames))
    for f in frames[1 + first:]:
        name = f[:-len("_[k]")]
        # BPF programs of other tools come and go, so theirs may be gone from kallsyms by now
        check(name in ksyms or re.match(r"^\S+\+0x[0-9a-f]+$|^bpf_(prog|trampoline)_", name),
              "kernel frame %r is not in /proc/kallsyms" % f)
    return True


def pprof_env(tmp):
    return dict(os.environ, HOME=tmp, PPROF_TMPDIR=tmp, GOTOOLCHAIN="local",
                GOCACHE=os.path.join(tmp, "gocache"))


PPROF_TOP_RE = re.compile(r"^\s*(\S+)\s+([\d.]+)%\s+([\d.]+)%\s+(\S+)\s+([\d.]+)%\s+(.+?)\s*$")


PPROF_TOTAL_RE = re.compile(r"^Duration: ([\d.]+)(m?s), Total samples = ([\d.]+)(m?s) ", re.M)


def pprof_top(source, tmp):
    """({function: flat %}, (duration s, samples)) from go tool pprof -top of a file or URL;
    pprof prints the samples as CPU time, so samples = that time / the sampling period."""
    out = subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=200", source],
                         capture_output=True, text=True, timeout=120, env=pprof_env(tmp))
    if out.returncode != 0:
        diag(out.stdout + out.stderr)
    check(out.returncode == 0, "go tool pprof -top %s exited %d: %s" % (
        source, out.returncode, out.stderr.strip().splitlines()[-1:]))
    flat = {}
    for line in out.stdout.splitlines():
        m = PPROF_TOP_RE.match(line)
        if m:
            flat[m.group(6)] = flat.get(m.group(6), 0) + float(m.group(2))
    check(flat, "go tool pprof -top printed no functions: %r" % out.stdout[:500])
    m = PPROF_TOTAL_RE.search(out.stdout)
    check(m, "go tool pprof -top printed no 'Duration: .., Total samples = ..' line: %r"
          % out.stdout[:500])
    secs = lambda v, unit: float(v) / (1000 if unit == "ms" else 1)
    return flat, (secs(m.group(1), m.group(2)), round(secs(m.group(3), m.group(4)) * FREQ))


def check_pprof_shares(flat, truth, span, where):
    want = span_shares(truth, span)
    for f in LEAVES:
        check(f in flat, "%s: %s not listed by go tool pprof -top (%s)" % (
            where, f, describe(flat)))
        check(abs(flat[f] - want[f]) <= SHARE_TOLERANCE,
              "%s: pprof flat %s %.1f%%, the burner measured %.1f%%" % (
                  where, f, flat[f], want[f]))


@register("cpu_pprof_go")
def test_cpu_pprof_go():
    check(shutil.which("go"), "go not found (install golang-go)")
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-pprof-") as tmp, \
            Burner(9) as b, Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
        b.go()
        url = agent.base + "/debug/pprof/profile?seconds=5"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            direct = pool.submit(pprof_top, url, tmp)
            t0 = time.monotonic()
            status, headers, body = fetch(url)
            t1 = time.monotonic()
            flat_url, total_url = direct.result()
        span = span_of(t0, t1, 5)
        check(status == 200, "/debug/pprof/profile answered %d: %r" % (status, body[:200]))
        ctype = headers.get("Content-Type")
        check(ctype == "application/octet-stream", "pprof Content-Type %r" % ctype)
        check(body[:2] == b"\x1f\x8b", "pprof body is not gzip: %r" % body[:8])
        check(len(gzip.decompress(body)) > 0, "pprof body decompresses to nothing")
        path = os.path.join(tmp, "cpu.pb.gz")
        with open(path, "wb") as f:
            f.write(body)
        flat_file, total_file = pprof_top(path, tmp)
        truth = b.finish()
    check(t1 - t0 >= 4.5, "seconds=5 answered after %.1f s" % (t1 - t0))
    check_pprof_shares(flat_file, truth, span, "pprof file")
    check_pprof_shares(flat_url, truth, span, "pprof URL")
    for where, (secs, samples) in (("pprof file", total_file), ("pprof URL", total_url)):
        check(abs(secs - 5) <= 0.5, "%s: Duration %.2f s for seconds=5" % (where, secs))
        # the URL fetch ran at about the same time, started by go a little later
        check_count(samples, truth, span_of(t0, t1 + 1, secs), where)


# --- hostprof record ------------------------------------------------------------------------

SUMMARY_RE = re.compile(r"^wrote (\S+): (\d+) samples in \d+ distinct stacks over ([\d.]+) s$",
                        re.M)
SUMMARY_TOP_RE = re.compile(r"^\s+([\d.]+)%\s+(\d+)\s+(.+)$", re.M)


def record_cmd(args):
    return [harness.HOSTPROF, "record"] + args


def check_clean(args, rc, output, want_rc=0):
    report = [m for m in harness.SANITIZER_MARKERS if m in output]
    if report or rc != want_rc:
        diag(output)
    check(not report, "record %s: sanitizer report" % " ".join(args))
    check(rc == want_rc, "record %s exited %s, want %d: %s" % (
        " ".join(args), rc, want_rc, output.strip().splitlines()[-1:]))


def record(args, want_rc=0, timeout=90):
    """Runs hostprof record to the end; its stdout + stderr."""
    out = subprocess.run(record_cmd(args), capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    check_clean(args, out.returncode, out.stdout + out.stderr, want_rc)
    return out.stdout + out.stderr


def summary(output, path):
    """(samples, seconds, {function: self %}) from record's closing summary."""
    m = SUMMARY_RE.search(output)
    check(m and m.group(1) == path, "no 'wrote %s: N samples in M distinct stacks over D s' "
          "in the summary: %r" % (path, output[-500:]))
    top = {f: float(pct) for pct, _, f in SUMMARY_TOP_RE.findall(output[m.end():])}
    check(re.search(r"^drops: ", output[m.end():], re.M), "summary has no drops line")
    return int(m.group(2)), float(m.group(3)), top


def check_summary(output, path, truth, t0, t1, where):
    """The summary's sample count matches the burner's CPU time over the seconds the summary
    says it recorded, somewhere between t0 and t1; its top functions are the burner's leaves
    at the burner's shares."""
    n, secs, top = summary(output, path)
    span = span_of(t0, t1, secs)
    check_count(n, truth, span, where)
    want = span_shares(truth, span)
    for leaf in LEAVES:
        check(abs(top.get(leaf, 0) - want[leaf]) <= SHARE_TOLERANCE, "%s: summary lists %s at "
              "%s%%, the burner measured %.1f%%" % (where, leaf, top.get(leaf), want[leaf]))
    return n, secs


def record_interrupted(args, after):
    """Starts hostprof record, sends SIGINT `after` seconds after the line saying it records
    and returns (output, monotonic time of that line, of the signal)."""
    proc = subprocess.Popen(record_cmd(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines, first = [], threading.Event()

    def reader():
        for raw in iter(lambda: proc.stdout.readline(), b""):
            lines.append(raw.decode(errors="replace"))
            if lines[-1].startswith("recording "):
                first.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        check(first.wait(30), "record printed no 'recording ...' line within 30 s: %r" % lines)
        t_line = time.monotonic()
        time.sleep(after)
        t_sig = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    t.join(5)
    output = "".join(lines)
    check_clean(args, rc, output)
    check("interrupted" in output, "record does not say it was interrupted: %r" % output[-300:])
    return output, t_line, t_sig


def folded_total(path):
    with open(path) as f:
        return sum(n for _, n in parse_folded(f.read()))


@register("cpu_record_cli")
def test_cpu_record_cli():
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-record-") as tmp, Burner(60) as b:
        b.go()
        pb = os.path.join(tmp, "x.pb.gz")
        t0 = time.monotonic()
        out = record(["--duration", "4s", "--pid", str(b.pid), "-o", pb])
        t1 = time.monotonic()
        flat, (_, pprof_samples) = pprof_top(pb, tmp)
        folded = os.path.join(tmp, "x.folded")
        out_int, t_line, t_sig = record_interrupted(["--duration", "30s", "--pid", str(b.pid),
                                                     "-o", folded], 2)
        with open(folded) as f:
            folded_text = f.read()
        page = os.path.join(tmp, "x.html")
        t2 = time.monotonic()
        out_html = record(["--duration", "2s", "--pid", str(b.pid), "-o", page])
        t3 = time.monotonic()
        with open(page) as f:
            text = f.read()
        bad = record(["--duration", "1s", "--format", "bogus", "-o",
                      os.path.join(tmp, "y.out")], want_rc=2)
        truth = b.finish(stop=True)
    n, secs = check_summary(out, pb, truth, t0, t1, "record --duration 4s")
    check(abs(secs - 4) <= 0.2, "record --duration 4s recorded %.1f s" % secs)
    check_pprof_shares(flat, truth, span_of(t0, t1, secs), "record .pb.gz")
    check(abs(pprof_samples - n) <= 0.01 * n + 1, "go tool pprof reads %d samples from %s, "
          "the summary says %d" % (pprof_samples, pb, n))
    n_int, secs_int = check_summary(out_int, folded, truth, t_line - 0.5, t_sig + 0.5, "SIGINT")
    check(abs(secs_int - (t_sig - t_line)) <= 0.5, "SIGINT %.1f s after start: summary says "
          "%.1f s" % (t_sig - t_line, secs_int))
    stacks = parse_folded(folded_text)
    check(sum(c for _, c in stacks) == n_int, "%s holds %d samples, the summary says %d"
          % (folded, sum(c for _, c in stacks), n_int))
    check_chains(folded_stacks(folded_text), "SIGINT folded")
    check_summary(out_html, page, truth, t2, t3, "record x.html")
    check(re.match(r"\s*<!doctype html>", text, re.I) and "</html>" in text,
          "x.html is not a whole HTML document")
    names = {f[0] for f in page_data(text)["funcs"]}
    check(set(LEAVES) <= names, "x.html's data lacks %s" % (set(LEAVES) - names))
    check_self_contained(text, "record x.html")
    check("bogus" in bad, "bad --format: message does not name it: %r" % bad[-300:])


@register("cpu_record_stdout_until_exit")
def test_cpu_record_stdout_until_exit():
    """record -o - writes folded text to standard output (no file named "-"), and record --pid
    stops when that process exits instead of running out its --duration."""
    args = ["--duration", "60s", "-o", "-"]
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-stdout-") as tmp, Burner(3) as b:
        with open(os.path.join(tmp, "..", os.path.basename(tmp) + ".out"), "w+") as stdout:
            proc = subprocess.Popen(record_cmd(args + ["--pid", str(b.pid)]), cwd=tmp,
                                    stdin=subprocess.DEVNULL, stdout=stdout,
                                    stderr=subprocess.PIPE, text=True)
            try:
                err = ""
                while not err.splitlines()[-1:] or not err.splitlines()[-1].startswith(
                        "recording "):
                    line = proc.stderr.readline()
                    check(line, "record printed no 'recording ...' line: %r" % err)
                    err += line
                t0 = time.monotonic()
                b.go()
                err += proc.stderr.read()
                rc = proc.wait(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            t1 = time.monotonic()
            stdout.seek(0)
            text = stdout.read()
            os.unlink(stdout.name)
        truth = b.finish()
        check_clean(args, rc, err)
        check(not os.listdir(tmp), "record -o - left files behind: %s" % os.listdir(tmp))
    check(t1 - t0 < 8, "record --pid of a 3 s burner ran %.1f s (want: stop at its exit)"
          % (t1 - t0))
    check("process %d exited" % b.pid in err,
          "record does not say its target exited: %r" % err[-300:])
    m = re.search(r"^wrote standard output: (\d+) samples", err, re.M)
    check(m, "no 'wrote standard output: N samples' summary: %r" % err[-300:])
    stacks = parse_folded(text)
    check(sum(c for _, c in stacks) == int(m.group(1)), "stdout holds %d samples, the summary "
          "says %s" % (sum(c for _, c in stacks), m.group(1)))
    check_chains(folded_stacks(text), "record -o -")
    cpu, _ = truth.whole()  # the burner ran inside the recording, from go() to its exit
    n = int(m.group(1))
    check(abs(n - cpu * FREQ) <= COUNT_TOLERANCE * cpu * FREQ + 2, "record -o -: %d samples, "
          "the burner used %.2f CPU s (%.0f at %d Hz)" % (n, cpu, cpu * FREQ, FREQ))


# --- process and thread labels -------------------------------------------------------------------

WORKER = "hp-pool-worker"  # the burning thread's name (PR_SET_NAME), not the process's


def proc_comms(pid):
    """{tid: comm} of pid's threads, read from /proc: names hostprof did not produce."""
    comms = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            comms[int(tid)] = f.read().rstrip("\n")
    return comms


PPROF_TAG_RE = re.compile(r"^\s+\S+ \(\s*([\d.]+)%\): (.*)$")


def pprof_tags(path, tmp):
    """{label: {value: share %}} from go tool pprof -tags of a pprof file."""
    out = subprocess.run(["go", "tool", "pprof", "-tags", path], capture_output=True, text=True,
                         timeout=120, env=pprof_env(tmp))
    check(out.returncode == 0, "go tool pprof -tags exited %d: %s" % (
        out.returncode, out.stderr.strip().splitlines()[-1:]))
    tags, key = {}, None
    for line in out.stdout.splitlines():
        m = PPROF_TAG_RE.match(line)
        if m and key:
            tags[key][m.group(2)] = float(m.group(1))
        elif line.strip().endswith(":") or ": Total" in line:
            key = line.strip().split(":")[0]
            tags[key] = {}
    return tags


@register("cpu_process_label")
def test_cpu_process_label():
    """A process whose sampled thread has its own name: every sample carries process = the
    thread-group leader's comm and thread = the burning thread's comm (both as /proc shows them),
    in JSON and pprof, and comm= finds the samples by either name."""
    with Burner(6, thread=WORKER) as b, Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
        b.go()
        time.sleep(0.5)  # the burning thread exists and has renamed itself
        comms = proc_comms(b.pid)
        doc, t0, t1 = timed_profile(agent, "seconds=3")
        by_process = profile(agent, "since=5s&comm=%s" % urllib.parse.quote(comms[b.pid]))
        by_thread = profile(agent, "since=5s&comm=%s" % WORKER)
        status, _, body = fetch(agent.base + "/api/v1/profile/cpu?since=5s&format=pprof")
        check(status == 200, "pprof answered %d" % status)
        truth = b.finish()
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-tags-") as tmp:
        path = os.path.join(tmp, "cpu.pb.gz")
        with open(path, "wb") as f:
            f.write(body)
        tags = pprof_tags(path, tmp)
    leader = comms[b.pid]
    workers = {tid: c for tid, c in comms.items() if tid != b.pid}
    check(leader == COMM and workers == {truth.doc["tid"]: WORKER},
          "burner threads per /proc: leader %r, others %s; want %r and {%d: %r}"
          % (leader, workers, COMM, truth.doc["tid"], WORKER))
    mine = [st for st in doc["stacks"] if st["pid"] == b.pid]
    labels = collections.Counter((st["process"], st["thread"]) for st in mine)
    # the main thread (named like the leader) runs too, briefly: it starts and joins the
    # worker and prints the report, so a sample may carry (leader, leader) -- never another pair
    check((leader, WORKER) in labels and set(labels) <= {(leader, WORKER), (leader, leader)}
          and labels[(leader, WORKER)] >= 0.95 * sum(labels.values()),
          "samples of pid %d labelled (process, thread) %s; /proc says the leader is %r and "
          "the burning thread %r" % (b.pid, dict(labels), leader, WORKER))
    # the labels are the point here; the exact count is checked by the tests above, so only
    # "most of the burner's samples are there" (robust on a loaded host)
    total = sum(st["count"] for st in mine)
    lo, hi = cpu_range(truth, span_of(t0, t1, 3, t1 - t0))
    check(0.5 * lo * FREQ <= total <= 1.5 * hi * FREQ, "seconds=3 with a named thread: %d "
          "samples, the burner used %.2f..%.2f CPU s" % (total, lo, hi))
    for name, answer in (("process", by_process), ("thread", by_thread)):
        got = sum(st["count"] for st in answer["stacks"] if st["pid"] == b.pid)
        check(got > 0 and got == answer["total_samples"],
              "comm=<%s name> found %d of the burner's samples (%d in total)"
              % (name, got, answer["total_samples"]))
    threads = tags.get("thread", {})
    check(list(tags.get("process", {})) == [leader] and set(threads) <= {WORKER, leader}
          and threads.get(WORKER, 0) >= 95,
          "go tool pprof -tags: process %s, thread %s; want only %r, and %r (>= 95 %%; the "
          "main thread %r may show briefly)" % (tags.get("process"), threads, leader, WORKER,
                                                leader))


# --- host-wide views: grouping by process ------------------------------------------------------

GOLDEN_RUNS = 200
GOLDEN_SECONDS = 0.02  # CPU seconds each run burns in its own function
GOLDEN_TOLERANCE = 0.02  # issue 7: the one box holds all the program's samples, +-2 %
GOLDEN_WINDOW = 40  # seconds each view records; the runs take ~6 s (more on a loaded host)


@register("cpu_group_by_process_golden")
def test_cpu_group_by_process_golden():
    """Issue 7's golden test: 200 short-lived runs of one program are ONE box of the program's
    name in the host-wide views (group_by=process, the default), holding all the samples of its
    200 pids (+-2 %); those samples follow the CPU time the kernel accounted to the runs (wait4
    rusage, coarse like test_symbols.py's check_total); group_by=pid splits it again. The views are
    seconds=N recordings around the runs (retention folds exited pids away after 10 s)."""
    src = os.path.join(WORKLOADS, "shortlived")
    check(os.path.exists(src), "%s missing (make e2e-build)" % src)
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-golden-") as tmp:
        # a name no other program on this shared host has (comm: 15 bytes at most)
        name = "hpgold%05d" % (os.getpid() % 100000)
        exe = os.path.join(tmp, name)
        shutil.copy(src, exe)
        with Agent("--collectors", "cpu") as agent, \
                concurrent.futures.ThreadPoolExecutor(4) as pool:
            window = "seconds=%d" % GOLDEN_WINDOW
            asked = [pool.submit(profile, agent, window, fmt)
                     for fmt in ("folded", "json", "html")]
            asked.append(pool.submit(profile, agent, window + "&group_by=pid", "folded"))
            time.sleep(2)  # the four recordings have subscribed
            t0 = time.monotonic()
            pids, cpu_s = set(), 0.0
            for _ in range(GOLDEN_RUNS):
                pid = os.posix_spawn(exe, [exe, str(GOLDEN_SECONDS)], dict(os.environ),
                                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull,
                                                    os.O_WRONLY, 0)])
                _, status, ru = os.wait4(pid, 0)
                check(os.waitstatus_to_exitcode(status) == 0, "%s exited %d" % (
                    name, os.waitstatus_to_exitcode(status)))
                pids.add(pid)
                cpu_s += ru.ru_utime + ru.ru_stime
            took = time.monotonic() - t0
            check(took < GOLDEN_WINDOW - 4, "the runs took %.1f s, more than the %d s window "
                  "holds" % (took, GOLDEN_WINDOW))
            folded, doc, page, by_pid = [f.result() for f in asked]
            bad = fetch(agent.base + "/api/v1/profile/cpu?since=5m&group_by=comm")
    lines = parse_folded(folded)
    box = sum(n for frames, n in lines if frames[0] == name)
    strays = {frames[0] for frames, _ in lines if name in frames[0] and frames[0] != name}
    check(not strays, "folded has other boxes for %s: %s" % (name, sorted(strays)[:5]))
    # the runs' samples while they ran the program: before exec switches the name (the spawn
    # and the kernel half of execve) a child is still "python3", and is not the program's
    runs = [st for st in doc["stacks"] if st["pid"] in pids]
    theirs = sum(st["count"] for st in runs if st["thread"] == name)
    before_exec = sum(st["count"] for st in runs if st["thread"] != name)
    diag("golden: %d runs, %.3f CPU s (rusage), box %r: %d samples; their %d pids: %d samples "
         "as %s, %d before exec" % (GOLDEN_RUNS, cpu_s, name, box, len(pids), theirs, name,
                                    before_exec))
    check(theirs > 0, "no samples of the %d pids of %s" % (len(pids), name))
    check(abs(box - theirs) <= GOLDEN_TOLERANCE * theirs, "box %s holds %d samples, its %d pids "
          "have %d (want +-%.0f %%)" % (name, box, len(pids), theirs, GOLDEN_TOLERANCE * 100))
    want = cpu_s * FREQ
    check(want * 0.85 - 3 <= box + before_exec <= want * 1.15 + 3, "box %s: %d samples, the runs used %.3f "
          "CPU s (%.0f samples at %d Hz)" % (name, box, cpu_s, want, FREQ))
    mine = [g for g in doc["groups"] if g["name"] == name]
    check(doc["group_by"] == "process" and len(mine) == 1 and mine[0]["count"] == box,
          "JSON groups for %s: %s (group_by %s), want one of %d samples"
          % (name, mine, doc["group_by"], box))
    boxes = [g for g in page_data(page)["groups"] if g[0] == name]
    check(len(boxes) == 1 and boxes[0][1] == box, "flame graph boxes for %s: %s, want one of %d "
          "samples" % (name, boxes, box))
    split = collections.Counter()
    for frames, n in parse_folded(by_pid):
        m = re.match(r"^%s \((\d+)\)$" % re.escape(name), frames[0])
        if m:
            split[int(m.group(1))] += n
    check(set(split) <= pids and len(split) >= GOLDEN_RUNS // 2 and sum(split.values()) == box,
          "group_by=pid: %d boxes for %s holding %d samples, want one per sampled run (of %d) "
          "holding %d" % (len(split), name, sum(split.values()), GOLDEN_RUNS, box))
    status, _, body = bad
    check(status == 400 and b"process, pid, thread, cgroup, pod or container" in body,
          "group_by=comm answered %d %r, want a 400 naming the values" % (status, body[:200]))
    never = os.path.join(tempfile.gettempdir(), "hostprof-e2e-never-%d.folded" % os.getpid())
    out = record(["--duration", "1s", "--group-by", "comm", "-o", never], want_rc=2)
    check("'comm'" in out and "process, pid, thread, cgroup, pod or container" in out and
          not os.path.exists(never), "record --group-by comm: %r" % out[-300:])
