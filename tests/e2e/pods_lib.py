# SPDX-License-Identifier: GPL-2.0-only
# The layout a kubelet would leave on a node, built by the pod attribution tests: kubepods cgroups
# (systemd and cgroupfs drivers) under the test's own subtree, pod log directories, workloads inside.
"""Helpers of test_pods.py.

Cluster(pods) is a context manager that builds, for each Pod:
- its container cgroups under <cgroup2 mount>/hpe2e-pods-<pid>/ (the test's own subtree), named
  as the kubelet's systemd driver names them (kubepods.slice/kubepods-burstable.slice/
  kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope; guaranteed pods directly
  under kubepods.slice) or as its cgroupfs driver does (kubepods/burstable/pod<uid>/<id>);
- unless the pod is anonymous, its log directories <tmp>/pods/<namespace>_<pod>_<uid>/
  <container>/0.log and, where asked, the kubelet's symlinks <tmp>/containers/
  <pod>_<namespace>_<container>-<id>.log (pass --kubelet-pods-dir cluster.pods_dir).
Processes start inside a container's cgroup through Container.prefix() (a shell writes its own
pid to cgroup.procs, then execs the program, so every syscall of the program runs in the pod).
On the way out, on failure too, every process of the subtree is killed (cgroup.kill), the
cgroups are removed bottom-up and the temporary directory is deleted.

Ground truth (what hostprof did not produce): each process's own JSON figures, /proc/PID/stat
(utime + stime), /proc/PID/task/*/schedstat (run-queue wait), /proc/PID/cgroup (where it runs).
"""

import glob
import os
import select
import shutil
import signal
import tempfile
import time
import uuid

import harness
from harness import WORKLOADS, ReadyProcess, check

SUBTREE_PREFIX = "hpe2e-pods-"
RUNTIMES = {"containerd": "cri-containerd-", "crio": "crio-", "docker": "docker-"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Container:
    def __init__(self, name, runtime="containerd"):
        check(runtime in RUNTIMES, "unknown runtime %s" % runtime)
        self.name = name
        self.runtime = runtime
        self.id = uuid.uuid4().hex + uuid.uuid4().hex  # 64 hex digits, as runtimes name them
        self.pod = None
        self.path = None  # absolute cgroup directory
        self.rel = None  # the cgroup path as /proc/PID/cgroup shows it ("/hpe2e-pods-1/...")

    def prefix(self):
        """argv prefix that runs a program inside this container's cgroup (same pid)."""
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.path]

    @property
    def label(self):
        """The container label hostprof must give: its name when the pod log directory names
        it, else the first 12 characters of its id."""
        return self.name if self.pod.named else self.id[:12]

    def __repr__(self):
        return "%s/%s" % (self.pod.label, self.label) if self.pod else self.name


class Pod:
    """namespace/name with a fresh UID; qos guaranteed|burstable|besteffort; driver systemd or
    cgroupfs; named=False leaves out its log directory (hostprof then shows the UID);
    symlinks=False leaves out the kubelet's container symlinks (a pod with one container
    directory is named without them)."""

    def __init__(self, namespace, name, containers, qos="burstable", driver="systemd",
                 named=True, symlinks=True):
        check(qos in ("guaranteed", "burstable", "besteffort"), "qos %s" % qos)
        check(driver in ("systemd", "cgroupfs"), "driver %s" % driver)
        self.namespace, self.name = namespace, name
        self.uid = str(uuid.uuid4())
        self.qos, self.driver = qos, driver
        self.named, self.symlinks = named, symlinks
        self.containers = containers
        for c in containers:
            c.pod = self

    @property
    def label(self):
        """The pod label hostprof must give: the name, or the UID when no log directory names
        it."""
        return self.name if self.named else self.uid

    @property
    def ns_label(self):
        return self.namespace if self.named else ""

    def group(self):
        """Its group_by=pod name: namespace/pod (the pod alone when the namespace is not
        known)."""
        return "%s/%s" % (self.ns_label, self.label) if self.ns_label else self.label

    def cgroup_dirs(self):
        """Relative cgroup directories: [pod dir, container dirs...] as the kubelet names them."""
        if self.driver == "systemd":
            uid = self.uid.replace("-", "_")
            if self.qos == "guaranteed":
                pod = "kubepods.slice/kubepods-pod%s.slice" % uid
            else:
                pod = "kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice" % (
                    self.qos, self.qos, uid)
            return pod, ["%s/%s%s.scope" % (pod, RUNTIMES[c.runtime], c.id)
                         for c in self.containers]
        pod = "kubepods/pod%s" % self.uid if self.qos == "guaranteed" else \
            "kubepods/%s/pod%s" % (self.qos, self.uid)
        return pod, ["%s/%s" % (pod, c.id) for c in self.containers]

    def __repr__(self):
        return self.group()


def cgroup2_mount():
    """The cgroup2 mount from /proc/self/mounts (on a hybrid host e.g. /sys/fs/cgroup/unified)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise harness.Skip("no cgroup2 hierarchy is mounted")


def kill_subtree(top, timeout=10):
    """Kills every process below top (cgroup.kill, else SIGKILL per pid) and removes the
    cgroups bottom-up."""
    if not os.path.isdir(top):
        return
    try:
        with open(os.path.join(top, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        for procs in glob.glob(os.path.join(top, "**", "cgroup.procs"), recursive=True):
            with open(procs) as f:
                for pid in f.read().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
    deadline = time.monotonic() + timeout
    for d, _, _ in sorted(os.walk(top), key=lambda w: -w[0].count("/")):
        while True:
            try:
                os.rmdir(d)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def remove_stale(root):
    """Subtrees a killed run (its pid gone) left behind."""
    for name in os.listdir(root):
        pid = name[len(SUBTREE_PREFIX):]
        if name.startswith(SUBTREE_PREFIX) and pid.isdigit() \
                and not os.path.exists("/proc/" + pid):
            kill_subtree(os.path.join(root, name))


class Cluster:
    """The pods' cgroups and log directories (a context manager); see the module doc."""

    def __init__(self, pods):
        self.pods = pods
        self.root = cgroup2_mount()
        self.top = os.path.join(self.root, "%s%d" % (SUBTREE_PREFIX, os.getpid()))
        self.tmp = None
        self.procs = []  # processes started through start(), killed on the way out

    @property
    def pods_dir(self):
        return os.path.join(self.tmp, "pods")

    def __enter__(self):
        remove_stale(self.root)
        if os.path.isdir(self.top):
            kill_subtree(self.top)
        try:
            self.tmp = tempfile.mkdtemp(prefix="hostprof-e2e-pods-")
            os.mkdir(self.pods_dir)
            os.mkdir(os.path.join(self.tmp, "containers"))
            os.mkdir(self.top)
            for pod in self.pods:
                self._build(pod)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _build(self, pod):
        pod_dir, dirs = pod.cgroup_dirs()
        os.makedirs(os.path.join(self.top, pod_dir))
        for c, d in zip(pod.containers, dirs):
            c.path = os.path.join(self.top, d)
            os.mkdir(c.path)
            c.rel = "/" + os.path.relpath(c.path, self.root)
        if pod.named:
            self.write_log_dir(pod)

    def write_log_dir(self, pod):
        """The kubelet's <namespace>_<pod>_<uid>/<container>/0.log and its symlinks."""
        logs = os.path.join(self.pods_dir, "%s_%s_%s" % (pod.namespace, pod.name, pod.uid))
        os.mkdir(logs)
        for c in pod.containers:
            os.mkdir(os.path.join(logs, c.name))
            log = os.path.join(logs, c.name, "0.log")
            with open(log, "w") as f:
                f.write("2026-11-30T20:00:00.000000000Z stdout F started\n")
            if pod.symlinks:
                os.symlink(log, os.path.join(self.tmp, "containers", "%s_%s_%s-%s.log" % (
                    pod.name, pod.namespace, c.name, c.id)))

    def close(self):
        for p in self.procs:
            try:
                p.kill()
            except Exception:  # noqa: BLE001 - cleanup goes on; the subtree kill follows
                pass
        try:
            kill_subtree(self.top)
        finally:
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, proc, container=None):
        """Registers a started process (killed on the way out); with container, checks that
        it runs there (/proc/PID/cgroup names the container's cgroup)."""
        self.procs.append(proc)
        if container:
            check_in(container, proc.pid)
        return proc

    def collider(self, container, modulus, tries=4096):
        """A cgroup outside any pod (<subtree>/collide/cN) whose id (its inode) equals the
        container's modulo modulus, as a Container to start processes in: cgroups are made
        until one fits (ids grow by the kernfs nodes each takes), the others removed."""
        want = os.stat(container.path).st_ino % modulus
        base = os.path.join(self.top, "collide")
        os.mkdir(base)
        for i in range(tries):
            d = os.path.join(base, "c%d" % i)
            os.mkdir(d)
            if os.stat(d).st_ino % modulus == want:
                c = Container("collider")
                c.path, c.rel = d, "/" + os.path.relpath(d, self.root)
                return c
            os.rmdir(d)
        raise harness.Skip("no cgroup id equal to %d modulo %d in %d tries" % (
            want, modulus, tries))

    def containers(self):
        return [c for p in self.pods for c in p.containers]


def proc_cgroup(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    return None


def check_in(container, pid):
    got = proc_cgroup(pid)
    check(got == container.rel, "pid %d runs in cgroup %s, want %s" % (pid, got, container.rel))


# --- workloads in containers -------------------------------------------------------------------

class PodWorker(ReadyProcess):
    """tests/workloads/pod_worker LEAF parts... inside a container: go() starts it, done() waits
    for the parts to end (it then idles, alive, until release() answers its JSON)."""

    ready_timeout = 15

    def __init__(self, container, leaf, *parts):
        self.container, self.leaf = container, "pod_leaf_" + leaf
        super().__init__(container.prefix() + [os.path.join(WORKLOADS, "pod_worker"), leaf]
                         + [str(p) for p in parts])
        try:
            check_in(container, self.pid)
        except BaseException:
            self.kill()
            raise

    def go(self):
        self.proc.stdin.write(b"g")
        self.proc.stdin.flush()

    def done(self, timeout=60):
        ready, _, _ = select.select([self.proc.stderr], [], [], timeout)
        line = self.proc.stderr.readline().decode(errors="replace") if ready else ""
        check(line.strip() == "done", "pod_worker %s: no 'done' line: %r" % (self.leaf, line))

    def release(self, timeout=30):
        self.proc.stdin.close()
        self.proc.stdin = None
        return self.output(timeout)


def cpu_seconds(pid):
    """utime + stime of a live process from /proc/PID/stat, in seconds (10 ms resolution)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def run_delay(pid):
    """Run-queue wait of every thread of pid so far, seconds (schedstat's second field)."""
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        with open(path) as f:
            total += int(f.read().split()[1])
    return total / 1e9
