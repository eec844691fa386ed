# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the CPU profiler's output formats: folded, pprof (read by go tool pprof),
# record's files and summary, the HTML flame graph rendered by chromium; each against the burner.
"""CPU profile formats. Needs root, the burner (make e2e builds it), go, chromium and bpftool."""

import collections
import concurrent.futures
import gzip
import html
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zlib

import harness
from harness import Agent, check, diag, fetch, register
from cpu_lib import CHAINS, COMM, COUNT_TOLERANCE, FREQ, LEAVES, SHARE_TOLERANCE, Burner, \
    chain_ok, check_burner_profile, check_chains, check_count, describe, folded_stacks, \
    kallsyms_names, parse_folded, span_of, span_shares, timed_profile


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


# --- the HTML flame graph in a browser ------------------------------------------------------

def png_decode(path):
    """(width, height, bytes per pixel, [row bytes]) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    check(hdr, "%s has no IHDR" % path)
    width, height, depth, color, _, _, interlace = hdr
    check(depth == 8 and color in (2, 6) and not interlace, "unsupported PNG %s" % (hdr,))
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1:start + 1 + stride])
        png_unfilter(raw[start], line, prev, bpp)
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def png_unfilter(kind, line, prev, bpp):
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, prev))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        check(kind == 0, "bad PNG filter type %d" % kind)


def png_colors(rows, bpp):
    """Counter of pixel colours."""
    colors = collections.Counter()
    for row in rows:
        colors.update(row[i:i + bpp] for i in range(0, len(row), bpp))
    return colors


def chromium(args, tmp, timeout=120):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--user-data-dir=" + os.path.join(tmp, "profile"),
           # no network at all: the page must render from its own bytes
           "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000"] + args
    out = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    check(out.returncode == 0, "chromium %s exited %d: %s" % (
        args[-1], out.returncode, out.stderr.decode(errors="replace")[-300:]))
    return out.stdout.decode(errors="replace")


SCREENSHOT_KEEP = os.environ.get("HOSTPROF_E2E_SCREENSHOT")  # copy the PNG here to look at it


@register("cpu_html_chromium")
def test_cpu_html_chromium():
    check(shutil.which("chromium"), "chromium not found (install chromium)")
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-chromium-") as tmp:
        with Burner(4) as b, Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
            b.go()
            truth = b.finish()
            time.sleep(1.5)  # the last second reaches the retention ring at a tick
            status, headers, body = fetch(agent.base + "/flamegraph?since=10s")
        check(status == 200, "/flamegraph answered %d: %r" % (status, body[:200]))
        ctype = headers.get("Content-Type", "")
        check(ctype.startswith("text/html"), "/flamegraph Content-Type %r" % ctype)
        text = body.decode()
        check_self_contained(text, "/flamegraph")
        page = os.path.join(tmp, "flame.html")
        with open(page, "w") as f:
            f.write(text)
        png = os.path.join(tmp, "shot.png")
        chromium(["--screenshot=" + png, "--window-size=1200,800", "file://" + page], tmp)
        if SCREENSHOT_KEEP:
            shutil.copy(png, SCREENSHOT_KEEP)
        check_screenshot(png)
        _, want = truth.whole()
        for leaf in LEAVES:
            check_rendered_leaf(page, tmp, text, b.pid, leaf, want[leaf])


def check_screenshot(png):
    width, height, bpp, rows = png_decode(png)
    check((width, height) == (1200, 800), "screenshot is %dx%d" % (width, height))
    colors = png_colors(rows, bpp)
    background = colors.most_common(1)[0][1] / (width * height)
    # frames are filled boxes: several saturated colours that each cover a visible area
    boxes = [c for c, n in colors.items() if n >= 300 and max(c[:3]) - min(c[:3]) > 40]
    check(len(boxes) >= 3 and background <= 0.95, "screenshot does not look like a flame graph:"
          " %d colours, %d saturated ones in boxes, %.0f%% background" % (
              len(colors), len(boxes), background * 100))


def page_data(text):
    """The profile the page's script draws from (<script id="hp-data">)."""
    m = re.search(r'<script id="hp-data" type="application/json">(.*?)</script>', text, re.S)
    check(m, "no hp-data script in the flame graph page")
    return json.loads(m.group(1))


def focus_path(data, pid, chain):
    """The page's #focus= path (child indices, children sorted by name) to the heaviest stack
    of pid ending in chain, and that stack's names from the process node down."""
    procs = [i for i, (_, p) in enumerate(data["procs"]) if p == pid]
    check(len(procs) == 1, "pid %d is %d processes in hp-data" % (pid, len(procs)))
    funcs = data["funcs"]
    stacks = [st for st in data["stacks"] if st[0] == procs[0]]
    names = lambda st: [funcs[f][0] for f in st[2:]]
    mine = [st for st in stacks if chain_ok(names(st), chain)]
    check(mine, "no stack ending in %s in hp-data" % ";".join(chain))
    target = max(mine, key=lambda st: st[1])[2:]
    shown = [i for i, p in enumerate(data["procs"]) if any(st[0] == i for st in data["stacks"])]
    path = [shown.index(procs[0])]
    for depth in range(len(target)):
        ids = {st[2 + depth] for st in stacks
               if st[2:2 + depth] == target[:depth] and len(st) > 2 + depth}
        ordered = sorted(ids, key=lambda f: (funcs[f][0], 1 if funcs[f][2] else 0))
        path.append(ordered.index(target[depth]))
    return ".".join(map(str, path)), [funcs[f][0] for f in target]


def check_rendered_leaf(page, tmp, text, pid, leaf, want_pct):
    """Opens the page zoomed to leaf's stack and searching for leaf: after the script ran, the
    DOM shows the stack's names as breadcrumbs and the leaf's share of the samples."""
    path, names = focus_path(page_data(text), pid, CHAINS[leaf])
    search = "/^%s$/" % re.escape(leaf)
    url = "file://%s#focus=%s&search=%s" % (page, path, urllib.parse.quote(search, safe=""))
    dom = chromium(["--dump-dom", url], tmp)
    check(re.search(r'<body[^>]*data-status="ok"', dom), "%s: page script did not finish: %r"
          % (leaf, re.findall(r'<div id="msg">.*?</div>', dom)))
    crumbs = re.search(r'<div id="crumbs">(.*?)</div>', dom, re.S)
    shown = html.unescape(re.sub(r"<[^>]+>", "", crumbs.group(1))) if crumbs else ""
    want = " \u203a ".join(["all", "%s (%d)" % (COMM, pid)] + names)
    check(shown == want, "%s: breadcrumbs %r, want %r" % (leaf, shown, want))
    matched = re.search(r'<span id="matched">Matched: ([\d.]+)%', dom)
    check(matched, "%s: no 'Matched:' figure after searching %s" % (leaf, search))
    got = float(matched.group(1))
    check(abs(got - want_pct) <= SHARE_TOLERANCE, "%s: page says it matched %.2f%%, the burner "
          "measured %.1f%%" % (leaf, got, want_pct))
