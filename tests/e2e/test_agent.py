# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the agent as a whole rather than one collector: its command line and start-up
# errors, HTTP routing and parameter errors, and a clean detach on SIGTERM/SIGINT.
"""Agent tests: CLI errors, HTTP errors, signals. Needs root and bpftool."""

import json
import os
import re
import signal
import socket
import tempfile
import threading
import time

from harness import Agent, TestFailure, bpf_prog_names, bpftool_progs, check, error_lines, \
    free_port, register, run_cli


def expect_json_error(agent, path, status, method="GET"):
    """Asserts a JSON error answer; (headers, its error message)."""
    got, headers, body = agent.get(path, method=method)
    check(got == status, "%s %s answered %d, want %d: %s" % (method, path, got, status, body[:200]))
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s %s Content-Type %r" % (method, path, ctype))
    try:
        doc = json.loads(body)
    except ValueError:
        raise TestFailure("%s %s body is not JSON: %r" % (method, path, body[:200]))
    check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
          "%s %s JSON has no error message: %r" % (method, path, body[:200]))
    return headers, doc["error"]


@register("http_errors")
def test_http_errors():
    api = "/api/v1/syscalls"
    with Agent() as agent:
        expect_json_error(agent, "/no/such/path", 404)
        for bad in ("abc", "-1s", "0", "1h", "", "10x", "5s5", "500ms"):
            expect_json_error(agent, api + "?window=" + bad, 400)
        for bad in ("bogus=1", "syscall=no_such_call", "limit=0", "sort=name"):
            expect_json_error(agent, api + "?" + bad, 400)
        expect_json_error(agent, "/metrics?x=1", 400)
        # a repeated, empty or NUL-cut parameter is an error, not the first/empty/cut value
        for bad in ("limit=5&limit=6", "syscall=", "syscall", "syscall=read%00x", "limit=5%00"):
            _, err = expect_json_error(agent, api + "?" + bad, 400)
            check(re.search(r"more than once|empty value|NUL byte", err),
                  "%s?%s: error %r does not say what is wrong" % (api, bad, err))
        prof = "/api/v1/profile/cpu?format=folded&"
        for bad in ("seconds=0.0001", "seconds=0.5", "comm=", "seconds=1%00"):
            expect_json_error(agent, prof + bad, 400)
        check_unknown_profile_kind(agent)
        for method in ("POST", "PUT", "DELETE"):
            for path in ("/metrics", api):
                headers, _ = expect_json_error(agent, path, 405, method=method)
                allow = headers.get("Allow", "")
                check("GET" in allow, "%s %s: Allow header %r lacks GET" % (method, path, allow))
        status, headers, body = agent.get("/")
        check(status == 200, "GET / answered %d" % status)
        check(headers.get("Content-Type", "").startswith("text/html"),
              "GET / Content-Type %r" % headers.get("Content-Type"))
        for link in ("/metrics", "/healthz", api):
            check('href="%s"' % link in body, "landing page does not link %s" % link)
        status, _, body = agent.get("/healthz")
        check(status == 200 and json.loads(body)["status"] == "ok",
              "/healthz answered %d %r" % (status, body))


def check_unknown_profile_kind(agent):
    """A profile kind no running collector produces is a 404 naming the kinds there are, for
    the API, with parameters or not; for the flame graph (the page exists) a 400."""
    for path, status in (("/api/v1/profile/nosuch", 404),
                         ("/api/v1/profile/nosuch?seconds=1&format=folded", 404),
                         ("/flamegraph?kind=nosuch", 400)):
        _, err = expect_json_error(agent, path, status)
        check(err == "unknown profile kind 'nosuch' (known kinds: cpu, offcpu)",
              "%s: error %r does not name the kind and the known kinds" % (path, err))

def check_record_unknown_profile():
    """record --profile with a kind no collector produces is a usage error (exit 2) that names
    the kinds, before anything is loaded or written."""
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-") as d:
        out = run_cli(["record", "--profile", "nosuch", "-d", "1s", "-o",
                       os.path.join(d, "x.folded")])
        check(out.returncode == 2 and "Usage" in out.stderr
              and "unknown --profile 'nosuch' (kinds: cpu, offcpu)" in out.stderr,
              "record --profile nosuch: exit %d, stderr %r" % (out.returncode, out.stderr[:300]))
        check(not os.listdir(d), "record --profile nosuch wrote %s" % os.listdir(d))


def sigterm_case(sig):
    with Agent() as agent:
        ids = agent.prog_ids()
        names = bpf_prog_names(ids)
        # the syscall collector's enter/exit and signal_deliver, one perf_event program
        # (attached once per CPU) and the cpu collector's exec/exit pair, the offcpu
        # collector's scheduler hooks (rseq_update where the kernel has it) and its own
        # exec/exit pair: all must go
        want = ["on_sample", "proc_exec_btf", "proc_exit_btf", "sig_deliver_btf",
                "sys_enter_btf", "sys_exit_btf", "switch_btf", "waking_btf",
                "wakeup_btf", "wakeup_new_btf", "proc_exec_btf", "proc_exit_btf"]
        # the tcp collector's six tracepoints, when the default set has it (its .opt_in)
        if agent.metrics().select("hostprof_collector_attach_info", collector="tcp"):
            want += ["set_state_btf", "probe_btf", "retransmit_btf", "retransmit_synack_btf",
                     "receive_reset_btf", "send_reset_btf"]
        want = sorted(want)
        got = sorted(n for n in names.values() if n != "rseq_btf")
        check(got == want, "agent holds programs %s" % names)
        agent.stop(sig)
        check("received %s" % sig.name in agent.stderr(), "log does not mention %s" % sig.name)
    # Link and program release finish after an RCU grace period, so the ids go away shortly
    # after the exit rather than at it; a program the agent leaked would stay.
    deadline = time.monotonic() + 5
    while True:
        left = [(p["id"], p.get("name")) for p in bpftool_progs() if p["id"] in ids
                or agent.pid in [x.get("pid") for x in p.get("pids", [])]]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(not left, "programs still loaded 5 s after %s: %s" % (sig.name, left))


@register("sigterm_detaches")
def test_sigterm_detaches():
    sigterm_case(signal.SIGTERM)
    sigterm_case(signal.SIGINT)


@register("cli_errors")
def test_cli_errors():
    listen = ["--listen", "127.0.0.1:%d" % free_port()]
    out = run_cli(["--bogus"])
    check(out.returncode == 2 and "Usage" in out.stderr,
          "--bogus: exit %d, stderr %r" % (out.returncode, out.stderr[:200]))
    out = run_cli(["serve", "--pid", "abc"] + listen)
    check(out.returncode == 2, "serve --pid abc: exit %d" % out.returncode)
    # contradictory options are a usage error before anything loads, not a failed start (1)
    for cmd in (["serve"] + listen, ["record", "--profile", "offcpu", "-d", "1s", "-o", "-"]):
        out = run_cli(cmd + ["--offcpu-min", "2ms", "--offcpu-max", "1ms"])
        check(out.returncode == 2 and "Usage" in out.stderr
              and "--offcpu-min (0.002 s) is above --offcpu-max (0.001 s)" in out.stderr
              and "attached" not in out.stderr,
              "%s --offcpu-min 2ms --offcpu-max 1ms: exit %d, stderr %r"
              % (cmd[0], out.returncode, out.stderr[:300]))
    out = run_cli(["--help"])
    check(out.returncode == 0 and "Usage" in out.stdout, "--help: exit %d" % out.returncode)
    out = run_cli(["--version"])
    check(out.returncode == 0 and re.match(r"hostprof \S+", out.stdout),
          "--version: exit %d, %r" % (out.returncode, out.stdout))
    btf = "/nonexistent-hostprof-e2e/vmlinux"
    out = run_cli(["serve", "--btf", btf] + listen)
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and "BTF" in lines[0] and btf in lines[0],
          "--btf %s: exit %d, error lines %s" % (btf, out.returncode, lines))
    out = run_cli(["serve"] + listen, user=65534)
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1
          and re.search(r"privilege|root|not allowed", lines[0], re.I),
          "non-root: exit %d, error lines %s" % (out.returncode, lines))
    # since 5.11 BPF memory is charged to the memory cgroup: CAP_SYS_RESOURCE is not needed
    release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
    check("CAP_BPF" in lines[0] and ("CAP_SYS_RESOURCE" in lines[0]) == (release < (5, 11)),
          "non-root on %s names the wrong capabilities: %r" % (os.uname().release, lines[0]))
    check_target_pid(listen)
    cg = "/nonexistent-hostprof-e2e/cgroup"
    out = run_cli(["serve", "--cgroup", cg] + listen)
    check(out.returncode == 2 and cg in out.stderr,
          "--cgroup %s: exit %d, stderr %r" % (cg, out.returncode, out.stderr[-300:]))
    check_port_in_use()
    check_record_output()
    check_record_unknown_profile()


def check_record_output():
    """record -o into a directory that does not exist fails at once with one line naming the
    file, instead of recording the whole --duration and then losing it."""
    bad = "/nonexistent-hostprof-e2e/out.folded"
    t0 = time.monotonic()
    out = run_cli(["record", "-d", "20s", "-o", bad], timeout=60)
    took = time.monotonic() - t0
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and bad in lines[0] and took < 5,
          "record -o %s: exit %d after %.1f s, error lines %s" % (bad, out.returncode, took, lines))
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-outdir-") as d:  # -o names a directory
        t0 = time.monotonic()
        out = run_cli(["record", "-d", "20s", "--format", "folded", "-o", d], timeout=60)
        took = time.monotonic() - t0
        lines = error_lines(out.stderr)
        check(out.returncode == 1 and len(lines) == 1 and d in lines[0] and took < 5
              and not [f for f in os.listdir(os.path.dirname(d))
                       if f.startswith(os.path.basename(d) + ".tmp.")],
              "record -o %s (a directory): exit %d after %.1f s, error lines %s"
              % (d, out.returncode, took, lines))


def check_target_pid(listen):
    """--pid of a process that does not exist, or of a thread, fails with one line naming it
    instead of recording nothing."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    gone = next(p for p in range(pid_max - 1, 1, -1) if not os.path.exists("/proc/%d" % p))
    for cmd in (["serve"] + listen, ["record", "-d", "1s", "-o", "/dev/null.folded"]):
        out = run_cli(cmd + ["--pid", str(gone)])
        lines = error_lines(out.stderr)
        check(out.returncode == 1 and len(lines) == 1 and "no such process" in lines[0]
              and str(gone) in lines[0], "%s --pid %d (no such process): exit %d, error lines %s"
              % (cmd[0], gone, out.returncode, lines))
    tid, release = [], threading.Event()
    t = threading.Thread(target=lambda: (tid.append(threading.get_native_id()), release.wait(30)))
    t.start()
    try:
        while not tid:
            time.sleep(0.01)
        out = run_cli(["serve", "--pid", str(tid[0])] + listen)
    finally:
        release.set()
        t.join()
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and "--pid %d" % os.getpid() in lines[0],
          "--pid of a thread (%d of %d): exit %d, error lines %s"
          % (tid[0], os.getpid(), out.returncode, lines))


def check_port_in_use():
    """A taken --listen port fails first, before any BPF work: exit 1 within a fraction of a
    second, one error line naming the address, no program loaded or attached on the way."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = "127.0.0.1:%d" % s.getsockname()[1]
        t0 = time.monotonic()
        out = run_cli(["serve", "--listen", addr, "-v"])
        took = time.monotonic() - t0
    lines = error_lines(out.stderr)
    check(out.returncode == 1 and len(lines) == 1 and addr in lines[0],
          "--listen on a taken port: exit %d, stderr lines %s" % (out.returncode, lines[-5:]))
    check(took < 0.5, "--listen on a taken port took %.2f s to fail" % took)
