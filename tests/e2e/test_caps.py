# SPDX-License-Identifier: GPL-2.0-only
# The DaemonSet's capability list, tested on the real agent: with exactly the manifest's list
# every collector starts and another user's process is profiled by name; without any one, a
# named thing breaks.
"""The agent runs as root (uid 0) with its bounding set cut to the capabilities that
deploy/daemonset/hostprof.yaml adds (what a container with `drop: [ALL]` and that `add:` list
gets), no_new_privs set (allowPrivilegeEscalation: false), in the host's PID namespace
(hostPID: true). The ground truth: tests/workloads/burner run by another uid (nobody), from
files only that uid may read (mode 0700), deleted once it runs (as after a package upgrade);
the test reads /proc/kallsyms with all capabilities for the kernel's names.

Each capability's reason, and what its removal must break here:
  BPF              bpf(): maps and programs            -> the agent does not start
  PERFMON          tracing programs, perf events        -> the agent does not start
  SYS_PTRACE       /proc/PID/maps, root, map_files of another uid's process -> no user names
  DAC_READ_SEARCH  files other users may read only (and cgroup id -> path) -> no user names
  SYSLOG           /proc/kallsyms addresses (zero without it) -> kernel frames [unknown]
  CHECKPOINT_RESTORE  /proc/PID/map_files, the only way to a deleted file -> no user names
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import Agent, Skip, check, diag, register
from cpu_lib import BURNER, CPP_LEAF, EXE_LEAF, LIB_LEAF, Burner, kallsyms_names

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(REPO, "deploy", "daemonset", "hostprof.yaml")
COLLECTORS = ("cpu", "syscalls", "offcpu", "tcp")
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-yaml (TEST_DEBS)

# The capability list as the DaemonSet's hostprof container adds it.
_READ_CAPS = r"""
import json, sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "DaemonSet":
        for c in doc["spec"]["template"]["spec"]["containers"]:
            if c["name"] == "hostprof":
                sc = c["securityContext"]["capabilities"]
                print(json.dumps({"add": sc.get("add", []), "drop": sc.get("drop", [])}))
"""


def daemonset_caps():
    out = subprocess.run([SYSTEM_PYTHON, "-c", _READ_CAPS, MANIFEST], capture_output=True,
                         text=True, timeout=30)
    check(out.returncode == 0 and out.stdout.strip(),
          "cannot read the capabilities of %s: %s" % (MANIFEST, out.stderr.strip()[-300:]))
    caps = json.loads(out.stdout)
    check(caps["drop"] == ["ALL"], "the DaemonSet drops %s, want [ALL]" % caps["drop"])
    check(caps["add"] and len(set(caps["add"])) == len(caps["add"]),
          "the DaemonSet's add list %s is empty or repeats a name" % caps["add"])
    return caps["add"]


class CapsAgent(Agent):
    """hostprof serve as uid 0 with only caps (Kubernetes names, "BPF") in its bounding,
    permitted and effective sets, and no_new_privs."""

    def __init__(self, caps, tmp, *args):
        wrapper = os.path.join(tmp, "hostprof-caps-%d" % len(os.listdir(tmp)))
        bounding = ",".join(["-all"] + ["+" + c.lower() for c in caps])
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec setpriv --bounding-set=%s --inh-caps=-all --no-new-privs '
                    '%s "$@"\n' % (bounding, harness.HOSTPROF))
        os.chmod(wrapper, 0o755)
        self.caps = caps
        super().__init__("--require", ",".join(COLLECTORS), *args, exe=wrapper)

    def check_caps(self):
        """The agent's effective set is exactly self.caps (the kernel's own view)."""
        with open("/proc/%d/status" % self.pid) as f:
            eff = int(re.search(r"^CapEff:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)
        with open("/usr/include/linux/capability.h") as f:  # the kernel's numbers
            numbers = dict(re.findall(r"^#define CAP_(\w+)\s+(\d+)\s*$", f.read(), re.M))
        want = 0
        for c in self.caps:
            check(c in numbers, "capability %s is not in linux/capability.h" % c)
            want |= 1 << int(numbers[c])
        check(eff == want, "agent CapEff %#x, want %#x (%s)" % (eff, want, ",".join(self.caps)))

    def folded(self, query):
        status, _, body = harness.fetch(self.base + "/api/v1/profile/cpu?format=folded&" + query)
        check(status == 200, "profile %s answered %d: %s" % (query, status, body[:200]))
        return [line.rsplit(" ", 1) for line in body.decode().splitlines() if line]


def user_names(agent, pid):
    """(named burner leaves, unnamed burner frames) in a 2 s profile of pid."""
    lines = agent.folded("seconds=2&pid=%d" % pid)
    frames = [f for stack, _ in lines for f in stack.split(";")[1:] if not f.endswith("_[k]")]
    check(frames, "no user frames of pid %d in 2 s" % pid)
    named = {f for f in frames if f in (EXE_LEAF, LIB_LEAF, CPP_LEAF)}
    unnamed = [f for f in frames if re.match(r"^(burner|libhpburn\.so)\+0x[0-9a-f]+$", f)]
    return named, unnamed


def kernel_frames(agent):
    """Kernel frame names (without _[k]) of a 2 s host-wide profile, while dd copies /dev/zero
    to /dev/null (nearly all of its time in the kernel), so the profile has kernel stacks to
    name whatever else the machine is doing."""
    dd = subprocess.Popen(["dd", "if=/dev/zero", "of=/dev/null", "bs=64k"],
                          stderr=subprocess.DEVNULL)
    try:
        lines = agent.folded("seconds=2")
    finally:
        dd.kill()
        dd.wait()
    names = [f[:-len("_[k]")] for stack, _ in lines for f in stack.split(";")[1:]
             if f.endswith("_[k]")]
    check(len(names) >= 20, "host-wide 2 s profile has %d kernel frames" % len(names))
    return names


def nobody_burner(tmp, seconds):
    """The burner and its library copied to a directory of nobody's, mode 0700 (only nobody may
    read them), started as nobody, then deleted: only /proc/PID/map_files reaches them."""
    d = os.path.join(tmp, "nobody")
    os.mkdir(d, 0o700)
    for src in (BURNER, os.path.join(os.path.dirname(BURNER), "libhpburn.so")):
        dst = os.path.join(d, os.path.basename(src))
        shutil.copy(src, dst)
        os.chmod(dst, 0o700)
        os.chown(dst, NOBODY, NOBODY)
    os.chown(d, NOBODY, NOBODY)
    b = Burner(seconds, exe=os.path.join(d, "burner"),
               prefix=("setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                       "--clear-groups"))
    shutil.rmtree(d)
    with open("/proc/%d/status" % b.pid) as f:
        check(re.search(r"^Uid:\s+%d\s" % NOBODY, f.read(), re.M), "burner is not nobody's")
    check(os.readlink("/proc/%d/exe" % b.pid).endswith(" (deleted)"), "burner not deleted")
    return b


def check_collectors_up(agent):
    m = agent.metrics()
    up = {l.get("collector"): v for l, v in m.select("hostprof_collector_up")}
    attached = {l.get("collector") for l, v in m.select("hostprof_collector_attach_info")
                if v == 1}
    for c in COLLECTORS:
        if up:
            check(up.get(c) == 1, "hostprof_collector_up{collector=%r} = %s" % (c, up.get(c)))
        check(c in attached, "collector %s has no hostprof_collector_attach_info 1" % c)
    status, _, body = agent.get("/readyz")
    check(status in (200, 404), "/readyz answered %d: %s" % (status, body[:200]))


@register("caps_daemonset")
def test_caps_daemonset():
    if not shutil.which("setpriv"):
        raise Skip("setpriv missing (util-linux)")
    caps = daemonset_caps()
    ksyms = kallsyms_names()
    breaks = {}  # capability -> what broke without it
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-caps-") as tmp:
        os.chmod(tmp, 0o711)  # nobody must reach tmp/nobody
        with nobody_burner(tmp, 120) as b:
            b.go()
            with CapsAgent(caps, tmp) as agent:
                agent.check_caps()
                check_collectors_up(agent)
                named, unnamed = user_names(agent, b.pid)
                check(named == {EXE_LEAF, LIB_LEAF, CPP_LEAF} and not unnamed,
                      "with %s: burner leaves named %s, unnamed frames %s"
                      % (caps, sorted(named), unnamed[:5]))
                kernel = kernel_frames(agent)
                bad = [k for k in kernel if k not in ksyms and not k.startswith("bpf_")]
                check(len(bad) <= len(kernel) // 20,
                      "with %s: %d of %d kernel frames are not kernel symbols: %s"
                      % (caps, len(bad), len(kernel), bad[:5]))
            for drop in caps:
                fewer = [c for c in caps if c != drop]
                breaks[drop] = without(fewer, tmp, b.pid, ksyms)
                diag("without %s: %s" % (drop, breaks[drop]))
            b.finish(stop=True)
    intact = [c for c, what in breaks.items() if not what]
    check(not intact, "nothing broke without %s: not needed, or untested here" % intact)


def without(caps, tmp, burner_pid, ksyms):
    """What breaks when the agent runs with caps (one of the DaemonSet's list fewer): a short
    description, or "" when everything still works."""
    try:
        agent = CapsAgent(caps, tmp).__enter__()
    except harness.TestFailure as e:
        return "the agent does not start: %s" % str(e)[-160:]
    try:
        agent.check_caps()
        named, unnamed = user_names(agent, burner_pid)
        if not named and unnamed:
            return "another user's process has no user names (%s)" % unnamed[0]
        check(named == {EXE_LEAF, LIB_LEAF, CPP_LEAF},
              "without one of %s: some burner leaves named (%s), not all or none" % (
                  caps, sorted(named)))
        kernel = kernel_frames(agent)
        if not [k for k in kernel if k in ksyms]:
            return "kernel frames unnamed (%s)" % kernel[0]
        return ""
    finally:
        agent.__exit__(None, None, None)
