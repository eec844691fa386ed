# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of pod attribution: the cgroups and pod log directories a kubelet leaves on a
# node, workloads inside them, and profiles and per-pod metrics that must name the right pod.
"""Pod and container attribution (issue 10), against a layout built like a kubelet's
(pods_lib.Cluster): profile labels, group_by, filters, the per-pod /metrics families and their
bound, the API filters. Ground truth: which function each pod burns in (pod_worker's leaves
and the burner's), the workloads' own counts and clocks, /proc/PID/stat and schedstat.

A decoy pod shares the target's namespace and container name and does the same kinds of work
in other amounts and other functions, so a leak from one pod into the other changes a figure
that is checked exactly (or within a stated tolerance)."""

import concurrent.futures
import json
import math
import os
import urllib.parse

from harness import WORKLOADS, Agent, ReadyProcess, check, diag, fetch, register
from cpu_lib import COUNT_TOLERANCE, FREQ, LEAVES, Burner
from offcpu_lib import WL, BusyThreads, pprof_decode
from pods_lib import Cluster, Container, Pod, PodWorker, cpu_seconds, run_delay
from tcp_lib import ROOT4, Client, Net, Server, hist_delta, wait_tick

POD_LABELS = ("namespace", "pod", "container")
SINCE = "since=60s"
F_SC = "hostprof_pod_syscall_latency_seconds"
F_SC_ERR = "hostprof_pod_syscall_errors_total"
F_CPU = "hostprof_pod_cpu_seconds_total"
F_OFF = "hostprof_pod_offcpu_seconds_total"
F_RQ = "hostprof_pod_runqueue_latency_seconds"
F_TCP = "hostprof_pod_tcp_connect_latency_seconds"
F_RETR = "hostprof_pod_tcp_retransmits_total"
POD_FAMILIES = (F_SC, F_SC_ERR, F_CPU, F_OFF, F_RQ, F_TCP, F_RETR)
# Bad filter values: empty, and longer than any Kubernetes name (namespace 63, pod 253,
# container 63 characters).
BAD_FILTERS = (("pod", ""), ("pod", "p" * 254), ("namespace", ""), ("namespace", "n" * 64),
               ("container", ""), ("container", "c" * 64))


def make_pods():
    """The pods every test draws from: the target (two containers named only by the kubelet's
    symlinks), a guaranteed pod (cri-o, one container directory, no symlinks), the decoy
    (besteffort, docker, same namespace and container name as the target), a cgroupfs-driver
    pod and a pod no log directory names."""
    return {
        "target": Pod("shop", "checkout-7d9f8", [Container("app"), Container("sidecar")]),
        "guaranteed": Pod("batch", "syscaller-0", [Container("loop", "crio")],
                          qos="guaranteed", symlinks=False),
        "decoy": Pod("shop", "checkout-decoy", [Container("app", "docker")], qos="besteffort"),
        "cgroupfs": Pod("web", "frontend-5b6c", [Container("client")], driver="cgroupfs"),
        "anonymous": Pod("ghost", "orphan", [Container("busy")], named=False),
    }


def want_labels(c):
    """The labels hostprof must give samples of container c (empty ones absent)."""
    return {k: v for k, v in (("namespace", c.pod.ns_label), ("pod", c.pod.label),
                              ("container", c.label)) if v}


def labels_of(d):
    return {k: d[k] for k in POD_LABELS if d.get(k)}


def pod_sel(pod):
    """Prometheus labels of a pod's series."""
    return {"namespace": pod.ns_label, "pod": pod.label}


def get_json(agent, path, status=200):
    code, headers, body = fetch(agent.base + path)
    check(code == status, "%s answered %d, want %d: %s" % (path, code, status, body[:300]))
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("application/json"), "%s: Content-Type %r" % (path, ctype))
    return json.loads(body)


def get_pprof(agent, path):
    code, _, body = fetch(agent.base + path)
    check(code == 200, "%s answered %d: %s" % (path, code, body[:300]))
    return pprof_decode(body)


def q(**params):
    return urllib.parse.urlencode(params)


def bad_filters(agent, path, extra=""):
    """The answers to every bad filter value on path: [(url, status, Content-Type, body)],
    checked by check_bad_filters once the figures are (so one run shows every failure)."""
    out = []
    for name, value in BAD_FILTERS:
        url = "%s?%s%s=%s" % (path, extra, name, urllib.parse.quote(value))
        code, headers, body = fetch(agent.base + url)
        out.append((name, url, code, headers.get("Content-Type", ""), body))
    return out


def check_bad_filters(answers):
    """400 with a JSON error naming the parameter for every bad filter value."""
    for name, url, code, ctype, body in answers:
        check(code == 400 and ctype.startswith("application/json"), "%s answered %d (%s), "
              "want a 400 JSON error: %s" % (url, code, ctype, body[:200]))
        err = json.loads(body)
        check(name in err.get("error", ""), "%s: the 400 error does not name %s: %s" % (
            url, name, err))


# --- profiles: labels, group_by, filters --------------------------------------------------------

CPU_SECONDS = 5  # each burner's wall-clock burn


def sample_slack(mu):
    """How far a process's sample count may lie from mu = its CPU seconds x 99 Hz. The cpu-clock
    timer samples whatever runs when it fires: a process on a CPU for long stretches gets mu +-1
    samples (cpu_lib's 5 % covers window edges), but on a loaded host (load average 18 on these
    2 CPUs while the tests were written) it runs in slices of a few ms, each holding a sample
    with probability slice x 99 Hz, and the count is a sum of such draws: variance up to mu.
    Measured here: 0.19 CPU s gave 23 samples (mu 19), 0.38 s gave 32 (mu 38). Allowed: 5 % +
    3 standard deviations + 1."""
    return COUNT_TOLERANCE * mu + 3 * math.sqrt(mu) + 1


def pprof_checks(prof, by_pid, leaf_owner, where, min_samples=5):
    """Every sample of a workload's pid carries exactly its container's labels; every sample
    holding one of a container's leaf functions carries that container's labels (so no leaf
    shows up under another pod); each container's leaves were sampled. Returns
    {container: samples}."""
    counts = {}
    for values, labels, names in prof["samples"]:
        got = labels_of(labels)
        pid = labels.get("pid")
        pid = int(pid) if pid not in (None, "") else None
        if pid in by_pid:
            want = want_labels(by_pid[pid])
            check(got == want, "%s: a sample of pid %d (%r) has labels %s, want %s (its cgroup "
                  "%s, thread %s, %d samples, leaf %s)" % (
                      where, pid, by_pid[pid], got, want, labels.get("cgroup"),
                      labels.get("thread"), values[0], names[:1]))
            counts[by_pid[pid]] = counts.get(by_pid[pid], 0) + values[0]
        for name in names:
            owner = leaf_owner.get(name)
            if owner is not None:
                check(got == want_labels(owner), "%s: %s (burnt only by %r) in a sample "
                      "labelled %s (pid %s)" % (where, name, owner, got, pid))
    for c in set(by_pid.values()):
        n = counts.get(c, 0)
        check(n >= min_samples, "%s: only %d samples of %r" % (where, n, c))
    return counts


def json_stack_checks(doc, by_pid, where):
    """The JSON stacks of the workloads carry their container's fields; stacks of other
    processes (the agent, this test) carry none of a workload's. {pid: samples}."""
    counts = {}
    for st in doc["stacks"]:
        got = labels_of(st)
        c = by_pid.get(st["pid"])
        if c is not None:
            check(got == want_labels(c), "%s: a stack of pid %d (%r) has fields %s, want %s" % (
                where, st["pid"], c, got, want_labels(c)))
        else:
            check(not got or got not in [want_labels(x) for x in by_pid.values()],
                  "%s: pid %d (%s), no workload, has the fields %s" % (
                      where, st["pid"], st.get("process"), got))
        counts[st["pid"]] = counts.get(st["pid"], 0) + st["count"]
    return counts


def check_group_by(doc, by_pid, key, where):
    """group_by=pod|container: each stack's group is its pod's (namespace/pod) or container's
    (namespace/pod/container) name, [host] outside pods; group counts sum their stacks."""
    groups = doc["groups"]
    check(doc.get("group_by") == key, "%s: group_by %r" % (where, doc.get("group_by")))
    sums = [0] * len(groups)
    for st in doc["stacks"]:
        name = groups[st["group"]]["name"]
        c = by_pid.get(st["pid"])
        if c is not None:
            want = c.pod.group() + ("/" + c.label if key == "container" else "")
            check(name == want, "%s: pid %d (%r) is in group %r, want %r" % (
                where, st["pid"], c, name, want))
        elif not labels_of(st):
            check(name == "[host]", "%s: pid %d (%s), outside pods, is in group %r" % (
                where, st["pid"], st.get("process"), name))
        sums[st["group"]] += st["count"]
    for g, s in zip(groups, sums):
        check(g["count"] == s, "%s: group %r counts %d, its stacks %d" % (
            where, g["name"], g["count"], s))
    names = [g["name"] for g in groups]
    check(len(set(names)) == len(names), "%s: groups repeat: %s" % (where, names))


def check_filtered(doc, by_pid, allowed, full, where, absent_leaves=()):
    """A filtered JSON profile holds exactly the samples of the allowed containers' pids: the
    same counts per pid as the unfiltered profile full, nothing else."""
    want = {pid for pid, c in by_pid.items() if c in allowed}
    got = {}
    for st in doc["stacks"]:
        got[st["pid"]] = got.get(st["pid"], 0) + st["count"]
        for f in absent_leaves:
            check(f not in st["frames"], "%s: %s (not of this pod) in pid %d's stack" % (
                where, f, st["pid"]))
    check(set(got) == want, "%s: pids %s, want %s (%s)" % (
        where, sorted(got), sorted(want), [by_pid[p] for p in sorted(want)]))
    for pid in want:
        check(got[pid] == full.get(pid), "%s: pid %d has %d samples, %d unfiltered" % (
            where, pid, got[pid], full.get(pid, 0)))
    total = sum(got.values())
    check(doc["total_samples"] == total, "%s: total_samples %d, stacks sum to %d" % (
        where, doc["total_samples"], total))


@register("pods_cpu_profile")
def test_pods_cpu_profile():
    """Six pod_worker burners in five pods (every layout), each in a leaf of its own name,
    alive (parked) until the profiles are read. In pprof (retention and a seconds= profile on
    the Go path) and JSON every sample of each pid has its container's labels and each leaf
    appears only under its own pod; the target's samples match its CPU time (utime + stime) x
    99 Hz; group_by=pod|container groups; pod=, namespace=, container= return exactly the
    samples of the matching pids; bad values are 400."""
    pods = make_pods()
    t, g, d, fs, an = (pods[k] for k in ("target", "guaranteed", "decoy", "cgroupfs",
                                         "anonymous"))
    app, side = t.containers
    leaf_of = {app: "alpha", side: "bravo", g.containers[0]: "charlie", d.containers[0]: "delta",
               fs.containers[0]: "echo", an.containers[0]: "foxtrot"}
    with Cluster(list(pods.values())) as cl:
        workers = {c: cl.start(PodWorker(c, leaf, "burn", CPU_SECONDS))
                   for c, leaf in leaf_of.items()}
        by_pid = {w.pid: c for c, w in workers.items()}
        leaf_owner = {w.leaf: c for c, w in workers.items()}
        with Agent("--collectors", "cpu", "--kubelet-pods-dir", cl.pods_dir) as agent, \
                concurrent.futures.ThreadPoolExecutor(1) as pool:
            cpu0 = cpu_seconds(workers[app].pid)
            for w in workers.values():
                w.go()
            go_path = pool.submit(get_pprof, agent, "/debug/pprof/profile?seconds=3")
            for w in workers.values():
                w.done()
            cpu = cpu_seconds(workers[app].pid) - cpu0
            live = go_path.result()
            wait_tick()
            prof = get_pprof(agent, "/api/v1/profile/cpu?%s&format=pprof" % SINCE)
            docs = {extra: get_json(agent, "/api/v1/profile/cpu?%s&format=json%s" % (
                SINCE, extra)) for extra in (
                "", "&group_by=pod", "&group_by=container",
                "&" + q(pod=t.name), "&" + q(namespace="shop"), "&" + q(container="app"),
                "&" + q(pod=t.name, container="sidecar"), "&" + q(namespace="shop", pod=d.name),
                "&" + q(pod=an.uid), "&" + q(pod=fs.name, container="client"),
                "&" + q(namespace="batch", pod=t.name), "&" + q(pod="no-such-pod"))}
            filtered_pprof = get_pprof(agent, "/api/v1/profile/cpu?%s&format=pprof&%s" % (
                SINCE, q(pod=t.name)))
            bad = [a for path in ("/api/v1/profile/cpu", "/debug/pprof/profile", "/flamegraph")
                   for a in bad_filters(agent, path, "since=10s&")]
            indexed = agent.metrics().select("hostprof_kubelet_pods")
            named = sum(1 for p in pods.values() if p.named)
            check(not indexed or indexed[0][1] == named, "hostprof_kubelet_pods is %s, the "
                  "pod log directory holds %d pods" % (indexed[0][1] if indexed else None, named))
            for w in workers.values():
                w.release()
            diag("agent pid %d; workloads %s" % (agent.pid, {p: repr(c) for p, c in
                                                               by_pid.items()}))
    # pprof: labels of every workload sample, leaves only under their own pod
    counts = pprof_checks(prof, by_pid, leaf_owner, "pprof " + SINCE)
    diag("pprof samples per container: %s; the target's app used %.3f CPU s" % (
        {repr(c): n for c, n in counts.items()}, cpu))
    mu = cpu * FREQ
    slack = sample_slack(mu) + STAT_ABS * FREQ
    check(abs(counts[app] - mu) <= slack, "pprof: %d samples of %r, want %.0f +-%.0f (its "
          "utime + stime %.2f s x %d Hz, see sample_slack)" % (counts[app], app, mu, slack, cpu,
                                                              FREQ))
    pprof_checks(live, by_pid, leaf_owner, "/debug/pprof/profile?seconds=3", min_samples=1)
    # JSON: the same samples per pid as pprof, with the same fields
    full = json_stack_checks(docs[""], by_pid, "json")
    for pid, c in by_pid.items():
        check(full.get(pid, 0) == counts.get(c, 0), "json has %d samples of pid %d (%r), pprof "
              "%d" % (full.get(pid, 0), pid, c, counts.get(c, 0)))
    check_group_by(docs["&group_by=pod"], by_pid, "pod", "group_by=pod")
    check_group_by(docs["&group_by=container"], by_pid, "container", "group_by=container")
    # filters: exactly the matching pids, as many samples each as unfiltered
    leaf = {c: w.leaf for c, w in workers.items()}
    dapp = d.containers[0]
    cases = [
        ("&" + q(pod=t.name), {app, side}, [leaf[c] for c in leaf if c not in (app, side)]),
        ("&" + q(namespace="shop"), {app, side, dapp}, ()),
        ("&" + q(container="app"), {app, dapp}, ()),
        ("&" + q(pod=t.name, container="sidecar"), {side}, [leaf[app], leaf[dapp]]),
        ("&" + q(namespace="shop", pod=d.name), {dapp}, [leaf[app], leaf[side]]),
        ("&" + q(pod=an.uid), {an.containers[0]}, ()),
        ("&" + q(pod=fs.name, container="client"), {fs.containers[0]}, ()),
        ("&" + q(namespace="batch", pod=t.name), set(), ()),
        ("&" + q(pod="no-such-pod"), set(), ()),
    ]
    for extra, allowed, absent in cases:
        check_filtered(docs[extra], by_pid, allowed, full, "json" + extra, absent)
    fp = pprof_checks(filtered_pprof, {workers[app].pid: app, workers[side].pid: side},
                      leaf_owner, "pprof pod=" + t.name)
    pods_seen = {labels.get("pod") for _, labels, _ in filtered_pprof["samples"]}
    check(pods_seen == {t.name}, "pprof pod=%s has samples of pods %s" % (t.name, pods_seen))
    check(fp[app] == counts[app], "pprof pod=%s: %d samples of %r, %d unfiltered" % (
        t.name, fp[app], app, counts[app]))
    check_bad_filters(bad)


@register("pods_labels_after_exit")
def test_pods_labels_after_exit():
    """The burner (tests/workloads/burner, three known leaves) in the target's app container
    exits at the end of its burn, so its last samples are named after it is gone; meanwhile a
    process in a cgroup whose id equals the burner's cgroup id modulo 1024 (made so: a cache
    of cgroup names keyed by id modulo a power of two would hold only one of them) burns
    too. Every sample holding one of the burner's leaves carries the app container's labels,
    in the retention profile and in the pod= filter."""
    pods = make_pods()
    t = pods["target"]
    app = t.containers[0]
    with Cluster([t]) as cl:
        collider = cl.collider(app, 1024)
        burner = cl.start(Burner(3, prefix=app.prefix()), app)
        spin = cl.start(PodWorker(collider, "echo", "burn", 6))
        with Agent("--collectors", "cpu", "--kubelet-pods-dir", cl.pods_dir) as agent:
            spin.go()
            burner.go()
            burner.finish()
            spin.done()
            wait_tick()
            doc = get_json(agent, "/api/v1/profile/cpu?%s&format=json" % SINCE)
            mine = get_json(agent, "/api/v1/profile/cpu?%s&format=json&%s" % (
                SINCE, q(pod=t.name)))
            spin.release()
    want = want_labels(app)
    burnt = [st for st in doc["stacks"] if set(LEAVES) & set(st["frames"])]
    bad = [(st["pid"], labels_of(st), st.get("cgroup"), st["count"]) for st in burnt
           if labels_of(st) != want]
    total = sum(st["count"] for st in burnt)
    diag("%d samples hold the burner's leaves, %d of them without %s: %s" % (
        total, sum(b[3] for b in bad), want, bad[:3]))
    check(total >= 5, "only %d samples of the burner" % total)
    check(not bad, "%d of %d samples of the burner (exited) lack its labels %s: (pid, labels, "
          "cgroup, samples) %s" % (sum(b[3] for b in bad), total, want, bad[:3]))
    kept = sum(st["count"] for st in mine["stacks"] if set(LEAVES) & set(st["frames"]))
    check(kept == total, "pod=%s keeps %d of the burner's %d samples" % (t.name, kept, total))


# --- per-pod metrics ----------------------------------------------------------------------------

# Tolerances, each against the kernel's or the workload's own figure:
# - CPU: see sample_slack (sampling) + 20 ms per process (utime and stime in /proc/PID/stat are
#   each cut to 10 ms, USER_HZ).
# - off-CPU: the sleeps are 20 ms, above the 10 ms --offcpu-period, so every one is kept at its
#   length; the worker's wall - CPU - run_delay around its loop is the time it was blocked,
#   within the clock reads around it: 5 % (the off-CPU tests' tolerance) + 10 ms.
# - run queue: hostprof's waits and schedstat's run_delay are the same intervals (offcpu tests:
#   5 %); + 10 ms for the waits of reads at the ends.
STAT_ABS = 0.02
OFF_REL, OFF_ABS = 0.05, 0.01
RQ_REL, RQ_ABS = 0.05, 0.01


def vdso_clock():
    """Whether CLOCK_MONOTONIC is read without a syscall (the clocksource has a vDSO path)."""
    with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
        return f.read().strip() in ("tsc", "kvm-clock", "hyperv_clocksource_tsc_page",
                                    "arch_sys_counter")


def within(got, want, rel, absolute):
    return abs(got - want) <= rel * want + absolute


def counter_delta(m0, m1, family, pod):
    return m1.value(family, **pod_sel(pod)) - m0.value(family, **pod_sel(pod))


def hist_d(m0, m1, family, pod):
    """(_sum delta s, _count delta) of a pod's histogram series."""
    _, s, n = hist_delta(m0, m1, family, **pod_sel(pod))
    return s, n


def syscall_truth(gts):
    """(least, most) syscalls a pod's workers made between go and done, errors (exact)."""
    least = sum(gt["calls"] + gt["sleeps"] for gt in gts)
    most = least + sum(gt["extra_calls"] + (0 if vdso_clock() else gt["clock_calls"])
                       for gt in gts)
    return least, most, sum(gt["enoent"] for gt in gts)


def blocked_truth(gts):
    return sum((gt["sleep_wall_ns"] - gt["sleep_cpu_ns"] - gt["sleep_run_delay_ns"]) / 1e9
               for gt in gts if gt["sleeps"])


def api_syscall(doc, name):
    found = [e for e in doc["syscalls"] if e["syscall"] == name]
    check(len(found) <= 1, "%s listed %d times" % (name, len(found)))
    return found[0] if found else {"calls": 0, "errors": 0}


def runqueue_rows(agent, query, pids, truth, where):
    """/api/v1/runqueue?query: rows only of pids, their summed wait within RQ of truth."""
    doc = get_json(agent, "/api/v1/runqueue?" + query)
    rows = doc.get("rows", [])
    got = {r.get("pid") for r in rows}
    check(got and got <= set(pids), "%s: rows of pids %s, want only %s" % (
        where, sorted(got, key=str), sorted(pids)))
    total = sum(r["sum_seconds"] for r in rows)
    diag("%s: %.4f s in %d rows, schedstat %.4f s" % (where, total, len(rows), truth))
    check(within(total, truth, RQ_REL, RQ_ABS), "%s: %.4f s of run-queue wait, schedstat says "
          "%.4f s" % (where, total, truth))


@register("pods_metrics")
def test_pods_metrics():
    """--pod-metrics with the target (a burner and a sleeper), a guaranteed pod making 20,000
    failing openat calls and a decoy doing 4,000 of them, sleeping 0.4 s and burning 1.5 s:
    each pod's syscall count lies within its own calls + at most 12 of bookkeeping each,
    errors exactly its failing calls; CPU seconds its utime + stime (within sample_slack);
    off-CPU seconds the sleeps' blocked time (+-5 % + 10 ms); run-queue wait the schedstat
    run_delay (+-5 % + 10 ms). The guaranteed pod's log directory is written after the agent
    started: its series carry its name. /api/v1/syscalls, /api/v1/runqueue and the off-CPU
    profile filtered by pod, namespace, container answer the same pod's figures; bad filter
    values are 400."""
    pods = make_pods()
    t, g, d = pods["target"], pods["guaranteed"], pods["decoy"]
    app, side = t.containers
    loop, dapp = g.containers[0], d.containers[0]
    n_calls, n_decoy = 20000, 4000
    g.named = False  # its log directory appears once the agent runs: names are re-read
    with Cluster([t, g, d]) as cl:
        ws = {app: PodWorker(app, "alpha", "burn", 3),
              side: PodWorker(side, "bravo", "sleep", 60, 20),
              loop: PodWorker(loop, "charlie", "calls", n_calls),
              dapp: PodWorker(dapp, "delta", "sleep", 20, 20, "calls", n_decoy, "burn", 1.5)}
        for w in ws.values():
            cl.start(w)
        pid_of = {c: w.pid for c, w in ws.items()}
        with Agent("--collectors", "syscalls,cpu,offcpu", "--pod-metrics",
                   "--kubelet-pods-dir", cl.pods_dir) as agent:
            g.named = True
            cl.write_log_dir(g)
            wait_tick()
            wait_tick()
            m0 = agent.metrics()
            cpu0 = {c: cpu_seconds(p) for c, p in pid_of.items()}
            rd0 = {c: run_delay(p) for c, p in pid_of.items()}
            for w in ws.values():
                w.go()
            for w in ws.values():
                w.done()
            cpu1 = {c: cpu_seconds(p) for c, p in pid_of.items()}
            rd1 = {c: run_delay(p) for c, p in pid_of.items()}
            wait_tick()
            wait_tick()
            m1 = agent.metrics()
            api = {extra: get_json(agent, "/api/v1/syscalls?" + extra) for extra in (
                q(pod=g.name), q(namespace="batch", pod=g.name), q(pod=d.name),
                q(pod=t.name), q(pod=t.name, container="sidecar"),
                q(namespace="shop", container="app"), q(pod="no-such-pod"))}
            rq_truth = {c: rd1[c] - rd0[c] for c in ws}
            runqueue_rows(agent, q(pod=t.name), [pid_of[app], pid_of[side]],
                          rq_truth[app] + rq_truth[side], "/api/v1/runqueue?pod=" + t.name)
            runqueue_rows(agent, q(pod=t.name, container="sidecar"), [pid_of[side]],
                          rq_truth[side], "/api/v1/runqueue?pod=%s&container=sidecar" % t.name)
            runqueue_rows(agent, q(namespace="shop", pod=d.name), [pid_of[dapp]],
                          rq_truth[dapp], "/api/v1/runqueue?pod=" + d.name)
            offs = {p: get_json(agent, "/api/v1/profile/offcpu?%s&format=json&%s" % (
                SINCE, q(namespace=p.namespace, pod=p.name))) for p in (t, d)}
            bad = (bad_filters(agent, "/api/v1/syscalls") + bad_filters(agent, "/api/v1/runqueue")
                   + bad_filters(agent, "/api/v1/profile/offcpu", "since=10s&"))
            gts = {c: w.release() for c, w in ws.items()}
    for c, gt in gts.items():
        check(gt["enoent"] == gt["calls"] and gt["sleep_errors"] == 0,
              "%r: the worker's own calls failed otherwise: %s" % (c, gt))
    by_pod = {p: [gts[c] for c in p.containers] for p in (t, g, d)}
    for pod, mine in by_pod.items():
        least, most, errors = syscall_truth(mine)
        _, calls = hist_d(m0, m1, F_SC, pod)
        errs = counter_delta(m0, m1, F_SC_ERR, pod)
        diag("%s: %d syscalls (its own %d..%d), %d errors (its own %d)" % (
            pod, calls, least, most, errs, errors))
        check(least <= calls <= most, "%s{pod=%s}_count grew %d, the pod made %d..%d syscalls"
              % (F_SC, pod.label, calls, least, most))
        check(errs == errors, "%s{pod=%s} grew %d, the pod's workers had %d failing calls" % (
            F_SC_ERR, pod.label, errs, errors))
        cpu_truth = sum(cpu1[c] - cpu0[c] for c in pod.containers)
        cpu = counter_delta(m0, m1, F_CPU, pod)
        diag("%s: %.3f CPU s, utime+stime %.3f s" % (pod, cpu, cpu_truth))
        slack = sample_slack(cpu_truth * FREQ) / FREQ + STAT_ABS * len(pod.containers)
        check(abs(cpu - cpu_truth) <= slack,
              "%s{pod=%s} grew %.3f s, the pod's processes used %.3f s (utime+stime), +-%.3f s" % (
                  F_CPU, pod.label, cpu, cpu_truth, slack))
        off_truth = blocked_truth(mine)
        off = counter_delta(m0, m1, F_OFF, pod)
        diag("%s: %.3f s blocked, the workers' own %.3f s" % (pod, off, off_truth))
        check(within(off, off_truth, OFF_REL, OFF_ABS), "%s{pod=%s} grew %.3f s, the pod's "
              "workers were blocked %.3f s" % (F_OFF, pod.label, off, off_truth))
        rq_sum, rq_n = hist_d(m0, m1, F_RQ, pod)
        rq_want = sum(rq_truth[c] for c in pod.containers)
        diag("%s: %.4f s run-queue wait in %d waits, schedstat %.4f s" % (
            pod, rq_sum, rq_n, rq_want))
        check(within(rq_sum, rq_want, RQ_REL, RQ_ABS), "%s{pod=%s}_sum grew %.4f s, the pod's "
              "threads waited %.4f s (schedstat)" % (F_RQ, pod.label, rq_sum, rq_want))
    # the off-CPU profile filtered by pod: that pod's processes, with its fields, its blocked time
    for pod, doc in offs.items():
        pids = {pid_of[c]: c for c in pod.containers}
        json_stack_checks(doc, pids, "offcpu pod=" + pod.name)
        got = {st["pid"] for st in doc["stacks"]}
        check(got <= set(pids), "offcpu pod=%s: stacks of pids %s, want only %s" % (
            pod.name, sorted(got), sorted(pids)))
        weight = sum(st["weight"] for st in doc["stacks"]) / 1e9
        truth = blocked_truth(by_pod[pod])
        diag("offcpu pod=%s: %.3f s blocked, the workers' own %.3f s" % (pod.name, weight, truth))
        check(within(weight, truth, OFF_REL, OFF_ABS), "offcpu pod=%s: %.3f s blocked, the "
              "pod's workers were blocked %.3f s" % (pod.name, weight, truth))
    # the API, cumulative since the agent started (after the workers were ready): exact
    for extra, mine in (
            (q(pod=g.name), [loop]), (q(namespace="batch", pod=g.name), [loop]),
            (q(pod=d.name), [dapp]), (q(pod=t.name), [app, side]),
            (q(pod=t.name, container="sidecar"), [side]),
            (q(namespace="shop", container="app"), [app, dapp]), (q(pod="no-such-pod"), [])):
        doc = api[extra]
        want_open = sum(gts[c]["calls"] + gts[c]["opens"] for c in mine)
        want_err = sum(gts[c]["enoent"] for c in mine)
        want_sleep = sum(gts[c]["sleeps"] for c in mine)
        op, ns = api_syscall(doc, "openat"), api_syscall(doc, "nanosleep")
        by_errno = op.get("errors_by_errno") or {}  # null: the per-cgroup table has no errnos
        check(op["calls"] == want_open and op["errors"] == want_err
              and by_errno.get("ENOENT", want_err) == want_err,
              "/api/v1/syscalls?%s: openat %s, want %d calls, %d failing (ENOENT)" % (
                  extra, op, want_open, want_err))
        check(ns["calls"] == want_sleep, "/api/v1/syscalls?%s: %d nanosleep calls, want %d" % (
            extra, ns["calls"], want_sleep))
    check_bad_filters(bad)


# --- TCP and run-queue per pod; a pod named by its UID -----------------------------------------

class InContainer:
    """tcp_lib's net= hook (the command that runs its programs): inside a container's cgroup,
    and inside net's namespace when given (the cgroup first: ip netns exec mounts its own
    /sys, without the cgroup2 mount)."""

    def __init__(self, container, net=None):
        self.container, self.net = container, net

    def exec(self, argv):
        argv = [str(a) for a in argv]
        return self.container.prefix() + (self.net.exec(argv) if self.net else argv)


class PodBusyThreads(BusyThreads):
    """offcpu_workload rq (threads pinned to one CPU, so they wait on its run queue) inside a
    container."""

    def __init__(self, container, n, seconds, cpu):
        self.seconds = seconds
        ReadyProcess.__init__(self, container.prefix() + [os.path.join(WORKLOADS, WL), "rq", n,
                                                          seconds, cpu])


# The link of test_tcp.py: the client's side of the veth shaped to 1 Mbit/s, a 1000-byte
# datagram queued ahead of every SYN. Here it matters where the handshake ends: the SYN leaves
# the queue when the qdisc's timer fires, and the rest of the handshake runs in that softirq,
# on top of whatever task the CPU was running (often the decoy's burners), not in the client.
SHAPE = ("1mbit", "1600", "200kb")
PAD, DRAIN = 1000, 4


def unseen_allowance(want):
    """Connects the kernel never hands to a program: about one tracepoint hit in 200-400 on
    this VM's kernel, measured and explained in test_tcp.py (unseen_allowance there): 1.5 %."""
    return max(1, int(round(want * 0.015))) if want >= 5 else 0


def check_connects(got, want, where):
    check(want - unseen_allowance(want) <= got <= want, "%s: %d connects, the client made %d" % (
        where, got, want))


def tcp_rows(agent, query, port, want, where):
    """/api/v1/tcp?query: only active rows, all to port, want connects in all."""
    doc = get_json(agent, "/api/v1/tcp?" + query)
    rows = doc.get("rows", [])
    bad = [(r.get("direction"), r.get("peer")) for r in rows
           if r.get("direction") != "active" or r.get("port") != port]
    check(not bad, "%s: rows of other flows: %s (want only active ones to port %d)" % (
        where, bad, port))
    check_connects(sum(r["connects"] for r in rows), want, where)


@register("pods_tcp_runqueue")
def test_pods_tcp_runqueue():
    """--pod-metrics: 200 connects over the shaped veth from the cgroupfs-driver pod while the
    decoy burns both CPUs and makes 60 loopback connects of its own to another port: each pod
    counts its own connects exactly (but for the 1.5 % the kernel never delivers), their sum
    within the client's own connect() time, the server's accepts in no pod; two threads pinned
    to one CPU in the pod no log directory names (pod label: its UID, namespace "") wait on
    the run queue as long as their schedstat says (+-5 %); /api/v1/tcp and /api/v1/runqueue
    filtered by pod hold only that pod's flows and processes; bad filter values are 400."""
    pods = make_pods()
    fs, d, an = pods["cgroupfs"], pods["decoy"], pods["anonymous"]
    client, dapp, busy_c = fs.containers[0], d.containers[0], an.containers[0]
    k_web, k_decoy = 200, 60
    port, port_decoy = 7281, 7282
    with Cluster([fs, d, an]) as cl, Net() as net:
        net.tbf(*SHAPE, in_ns=True)
        with Server(ROOT4, port, "close") as srv, \
                Server("127.0.0.1", port_decoy, "close") as srv_d:
            web = cl.start(Client(ROOT4, port, k_web, "-p", PAD, "-P", DRAIN,
                                  net=InContainer(client, net)), client)
            dec = cl.start(Client("127.0.0.1", port_decoy, k_decoy, net=InContainer(dapp)),
                           dapp)
            burners = [cl.start(PodWorker(dapp, "delta", "burn", 6)) for _ in range(2)]
            busy = cl.start(PodBusyThreads(busy_c, 2, 2, sorted(os.sched_getaffinity(0))[-1]),
                            busy_c)
            with Agent("--collectors", "tcp,offcpu", "--pod-metrics", "--offcpu-period", "0",
                       "--kubelet-pods-dir", cl.pods_dir) as agent:
                m0 = agent.metrics()
                rd0 = run_delay(busy.pid)
                for b in burners:
                    b.go()
                busy.go()
                gt_web = web.run()
                gt_dec = dec.run()
                busy.spun()
                rd1 = run_delay(busy.pid)
                for b in burners:
                    b.done()
                wait_tick()
                wait_tick()
                m1 = agent.metrics()
                tcp_rows(agent, "window=60s&" + q(pod=fs.name), port, k_web,
                         "/api/v1/tcp?pod=" + fs.name)
                tcp_rows(agent, "window=60s&" + q(namespace="shop", pod=d.name,
                                                  container="app"),
                         port_decoy, k_decoy, "/api/v1/tcp?pod=%s&container=app" % d.name)
                runqueue_rows(agent, q(pod=an.uid), [busy.pid], rd1 - rd0,
                              "/api/v1/runqueue?pod=<uid>")
                bad = bad_filters(agent, "/api/v1/tcp")
                busy.release()
                for b in burners:
                    b.release()
                accepts = srv.stop()["accepts"]
                srv_d.stop()
    check(gt_web["ok"] == k_web and gt_dec["ok"] == k_decoy and accepts == k_web,
          "the clients' own connects failed: %s, %s (server accepted %d)" % (
              gt_web["ok"], gt_dec["ok"], accepts))
    for pod, gt, k in ((fs, gt_web, k_web), (d, gt_dec, k_decoy), (an, None, 0)):
        s, n = hist_d(m0, m1, F_TCP, pod)
        diag("%s: %d connects, %.4f s; the client's own %s" % (
            pod, n, s, "%d, %.4f s" % (gt["ok"], gt["sum_ns"] / 1e9) if gt else "none"))
        check_connects(n, k, "%s{pod=%s}_count" % (F_TCP, pod.label))
        if gt:
            # SYN_SENT -> ESTABLISHED lies inside the client's connect()
            check(0 < s <= gt["sum_ns"] / 1e9, "%s{pod=%s}_sum %.6f s, the client's connect() "
                  "calls took %.6f s" % (F_TCP, pod.label, s, gt["sum_ns"] / 1e9))
    rq_sum, rq_n = hist_d(m0, m1, F_RQ, an)
    diag("%s: %.4f s run-queue wait (%d waits), schedstat %.4f s" % (an, rq_sum, rq_n,
                                                                      rd1 - rd0))
    check(rd1 - rd0 >= 1.0, "the pinned threads waited only %.3f s: no contention" % (rd1 - rd0))
    check(within(rq_sum, rd1 - rd0, RQ_REL, RQ_ABS), "%s{namespace=\"\",pod=%s}_sum grew %.4f "
          "s, the pinned threads waited %.4f s (schedstat)" % (F_RQ, an.uid, rq_sum, rd1 - rd0))
    check_bad_filters(bad)


# --- the series bound ---------------------------------------------------------------------------

def pod_series(m, family):
    """The (namespace, pod) label pairs of a family's series."""
    name = family + "_count" if family.endswith("_seconds") else family
    return {(l.get("namespace"), l.get("pod")) for l, _ in m.select(name)}


def family_total(m, family, suffix=""):
    return sum(v for _, v in m.select(family + suffix))


@register("pods_top_k")
def test_pods_top_k():
    """--pod-top-k 2 with four pods making 8,000, 6,000, 4,000 and 2,000 failing openat calls
    and five 20 ms sleeps each: every hostprof_pod_* family has at most 2 + 1 series (the top
    two and pod="other"), hostprof_pod_series counts them and some deltas were folded; yet
    each family sums to what the four pods did (errors exactly, calls within the bookkeeping,
    blocked time within 5 % + 10 ms per pod), and no pod's own series holds more than the pod
    did."""
    pods = make_pods()
    chosen = [pods[k] for k in ("target", "guaranteed", "decoy", "cgroupfs")]
    calls = dict(zip(chosen, (8000, 6000, 4000, 2000)))
    leaves = dict(zip(chosen, ("alpha", "charlie", "delta", "echo")))
    with Cluster(chosen) as cl:
        ws = {p: cl.start(PodWorker(p.containers[0], leaves[p], "sleep", 5, 20, "calls",
                                    calls[p])) for p in chosen}
        # --cgroup: only this test's subtree, so pods other tests on the host make (kubepods
        # cgroups of their own) do not add to the sums
        with Agent("--collectors", "syscalls,offcpu", "--pod-metrics", "--pod-top-k", "2",
                   "--cgroup", cl.top, "--kubelet-pods-dir", cl.pods_dir) as agent:
            m0 = agent.metrics()
            for w in ws.values():
                w.go()
            for w in ws.values():
                w.done()
            wait_tick()
            wait_tick()
            m1 = agent.metrics()
            gts = {p: w.release() for p, w in ws.items()}
    families = [f for f in POD_FAMILIES if pod_series(m1, f)]
    diag("families with series: %s" % {f: sorted(pod_series(m1, f)) for f in families})
    check(F_SC in families and F_SC_ERR in families and F_OFF in families,
          "pod families missing: %s present" % families)
    for f in families:
        s = pod_series(m1, f)
        check(len(s) <= 3 and (len(s) < 3 or ("", "other") in s), "%s has %d series, want at "
              "most 2 pods and pod=\"other\": %s" % (f, len(s), sorted(s)))
    bound = {l.get("collector"): v for l, v in m1.select("hostprof_pod_series")}
    folded = {l.get("collector"): v for l, v in m1.select("hostprof_pod_series_folded_total")}
    diag("hostprof_pod_series %s, folded %s" % (bound, folded))
    # the gauge sums a collector's breakdowns (offcpu has two: blocked time and run queue)
    for collector, fams in (("syscalls", (F_SC,)), ("offcpu", (F_OFF, F_RQ))):
        held = sum(len(pod_series(m1, f) - {("", "other")}) for f in fams)
        check(bound.get(collector) == held, "hostprof_pod_series{collector=%s} is %s, /metrics "
              "shows %d pod series in %s" % (collector, bound.get(collector), held, fams))
    check(sum(folded.values()) > 0, "hostprof_pod_series_folded_total %s: four pods, two "
          "series, yet nothing folded" % folded)
    # the sums: every delta of the four pods is in some series
    least = sum(syscall_truth([gt])[0] for gt in gts.values())
    most = sum(syscall_truth([gt])[1] for gt in gts.values())
    got = family_total(m1, F_SC, "_count") - family_total(m0, F_SC, "_count")
    check(least <= got <= most, "%s_count summed over its series grew %d, the pods made "
          "%d..%d syscalls" % (F_SC, got, least, most))
    errs = family_total(m1, F_SC_ERR) - family_total(m0, F_SC_ERR)
    check(errs == sum(calls.values()), "%s summed over its series grew %d, the pods had %d "
          "failing calls" % (F_SC_ERR, errs, sum(calls.values())))
    blocked = sum(blocked_truth([gt]) for gt in gts.values())
    off = family_total(m1, F_OFF) - family_total(m0, F_OFF)
    check(within(off, blocked, OFF_REL, OFF_ABS * len(gts)), "%s summed over its series grew "
          "%.3f s, the pods were blocked %.3f s" % (F_OFF, off, blocked))
    for p, gt in gts.items():
        _, n = hist_d(m0, m1, F_SC, p)
        e = counter_delta(m0, m1, F_SC_ERR, p)
        check(n <= syscall_truth([gt])[1] and e <= gt["enoent"], "%s: its own series counts "
              "%d syscalls and %d errors, it made %d and %d" % (p, n, e, syscall_truth([gt])[1],
                                                                gt["enoent"]))
