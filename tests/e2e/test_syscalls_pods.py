# SPDX-License-Identifier: GPL-2.0-only
# The syscall collector's per-pod attribution (--pod-metrics): sleepers run in cgroups laid out as
# a kubelet's (systemd driver), named by a pod-log directory tree; the API's pod filters and the
# per-pod families must give each pod exactly its own calls, and a decoy pod none of them.
import os
import shutil
import tempfile

from harness import Agent, Sleeper, cgroup2_root, check, register, rmdir_retry

PODS = [  # namespace, pod, uid, container, nanosleeps, failing openats
    ("shop", "cart-1", "0a1b2c3d-1111-2222-3333-444455556666", "app", 12, 30),
    ("decoy", "cart-1", "9f8e7d6c-1111-2222-3333-444455556666", "app", 5, 7),
]


def make_layout(root, logs):
    """cgroup dirs kubepods.slice/.../cri-containerd-<id>.scope and /var/log/pods-like dirs;
    returns the container cgroups (innermost first for removal) and every dir made."""
    made, scopes = [], []
    base = os.path.join(root, "kubepods.slice", "kubepods-burstable.slice")
    for ns, pod, uid, container, _, _ in PODS:
        cid = (uid.replace("-", "") * 2)[:64]
        pod_cg = os.path.join(base, "kubepods-burstable-pod%s.slice" % uid.replace("-", "_"))
        scope = os.path.join(pod_cg, "cri-containerd-%s.scope" % cid)
        for d in (os.path.dirname(base), base, pod_cg, scope):
            if not os.path.isdir(d):
                os.mkdir(d)
                made.append(d)
        scopes.append(scope)
        os.makedirs(os.path.join(logs, "%s_%s_%s" % (ns, pod, uid), container))
    return scopes, made


@register("syscalls_pod_attribution")
def test_syscalls_pod_attribution():
    root, mounted = cgroup2_root()
    check(not mounted, "needs the host's cgroup2 mount (the agent resolves paths there)")
    logs = tempfile.mkdtemp(prefix="hostprof-e2e-pods-")
    scopes, made = [], []
    try:
        scopes, made = make_layout(root, logs)
        with Agent("--pod-metrics", "--kubelet-pods-dir", logs) as agent:
            gts = []
            for (ns, pod, _, _, n, m), scope in zip(PODS, scopes):
                with Sleeper(n, m) as sl:
                    with open(os.path.join(scope, "cgroup.procs"), "w") as f:
                        f.write(str(sl.pid))
                    gts.append(sl.run())
            for (ns, pod, _, container, n, m), gt in zip(PODS, gts):
                q = "namespace=%s&pod=%s" % (ns, pod)
                doc = agent.api(q + "&syscall=nanosleep")
                got = [e["calls"] for e in doc["syscalls"]]
                check(doc["cgroups"] == 1 and got == [gt["n"]],
                      "%s: nanosleep calls %s in %d cgroups, want [%d] in 1"
                      % (q, got, doc["cgroups"], gt["n"]))
                doc = agent.api(q + "&container=%s&syscall=openat" % container)
                errs = sum(e["errors"] for e in doc["syscalls"])
                check(errs == gt["enoent"], "%s: openat errors %d, want %d"
                      % (q, errs, gt["enoent"]))
                metrics = agent.metrics()
                count = metrics.value("hostprof_pod_syscall_latency_seconds_count",
                                      namespace=ns, pod=pod)
                errors = metrics.value("hostprof_pod_syscall_errors_total", namespace=ns,
                                       pod=pod)
                # every call of the pod's cgroup since it moved there: at least the sleeps
                # and openats, and no more than a few hundred besides (the decoy's 1000s
                # of calls would show)
                check(count is not None and gt["n"] + gt["enoent"] <= count
                      < gt["n"] + gt["enoent"] + 200,
                      "%s/%s: latency _count %s, want %d + a few"
                      % (ns, pod, count, gt["n"] + gt["enoent"]))
                check(errors is not None and gt["enoent"] <= errors < gt["enoent"] + 5,
                      "%s/%s: errors %s, want %d" % (ns, pod, errors, gt["enoent"]))
            status, _, body = agent.get("/api/v1/syscalls?pod=")
            check(status == 400, "pod= (empty) answered %d" % status)
        with Agent() as agent:
            status, _, body = agent.get("/api/v1/syscalls?pod=cart-1")
            check(status == 400 and "--pod-metrics" in body,
                  "pod= without --pod-metrics answered %d: %s" % (status, body[:200]))
    finally:
        for d in reversed(made):
            rmdir_retry(d)
        shutil.rmtree(logs, ignore_errors=True)
