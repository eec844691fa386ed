#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
# Checks deploy/daemonset/*.yaml without a cluster: each document through the Kubernetes API's own
# typed models (unknown or misspelled fields fail), then hostprof's least-privilege policy.
"""Usage: /usr/bin/python3 tests/deploy/check_manifests.py [--self-test] [DIR]

Needs Debian's python3-kubernetes and python3-yaml (TEST_DEBS), hence /usr/bin/python3.

The client's deserializer (ApiClient.__deserialize) reads only the fields a model declares and
drops any other key silently, so each document is deserialised into its typed model (V1DaemonSet,
V1Service, ...) and serialised back: a key of the input missing from the round trip is an unknown
or misspelled field, a value that changed is of the wrong type. Required fields are checked by the
models themselves (client-side validation). PodMonitor (a Prometheus operator CRD, no model here)
is checked against the fields its schema defines that the example uses.

Policy (the DaemonSet's hostprof container): not privileged, no privilege escalation, capabilities
drop ALL and add exactly the list README.md documents, read-only root file system, hostPID with a
comment saying why and no other host namespace, only the known host paths and all mounts read-only,
liveness on /healthz and readiness on /readyz, CPU and memory requests and a memory limit, a
seccomp profile, tolerations for every taint, no API token, and a --listen that is loopback or
comes with --auth-token-file (never --insecure-listen).

--self-test breaks the manifests in known ways (a misspelled field, privileged: true, a missing
capability, ...) and fails unless the checker rejects each with the expected message.
Prints "deploy-manifests: N passed, M failed" last.
"""

import glob
import os
import re
import sys

import kubernetes.client
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DIR = os.path.join(REPO, "deploy", "daemonset")

MODELS = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
}
# monitoring.coreos.com/v1 PodMonitor: the fields of its CRD schema the example may use
PODMONITOR_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "spec": {"selector", "namespaceSelector", "podMetricsEndpoints", "jobLabel",
             "podTargetLabels", "sampleLimit"},
    "spec.selector": {"matchLabels", "matchExpressions"},
    "spec.namespaceSelector": {"matchNames", "any"},
    "spec.podMetricsEndpoints[]": {"port", "path", "scheme", "interval", "scrapeTimeout",
                                   "authorization", "bearerTokenSecret", "tlsConfig",
                                   "relabelings", "metricRelabelings", "honorLabels"},
    "spec.podMetricsEndpoints[].authorization": {"type", "credentials"},
    "spec.podMetricsEndpoints[].authorization.credentials": {"name", "key", "optional"},
}
HOST_PATHS = {"/sys/fs/cgroup", "/sys/kernel/btf", "/var/log/pods", "/var/log/containers"}
LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$")


class Problems(list):
    def add(self, where, msg):
        self.append("%s: %s" % (where, msg))


def round_trip_diff(given, back, path, problems, where):
    """Keys of given that back lacks (unknown fields) and values that differ."""
    if isinstance(given, dict):
        if not isinstance(back, dict):
            problems.add(where, "%s: an object where the model wants %r" % (path or ".", back))
            return
        for key, value in given.items():
            sub = "%s.%s" % (path, key) if path else key
            if key not in back:
                if value is None:
                    continue  # "key:" with no value is the same as no key
                problems.add(where, "unknown field %s (not in the API's model)" % sub)
            else:
                round_trip_diff(value, back[key], sub, problems, where)
    elif isinstance(given, list):
        if not isinstance(back, list) or len(back) != len(given):
            problems.add(where, "%s: a list the model reads as %r" % (path, back))
            return
        for i, (a, b) in enumerate(zip(given, back)):
            round_trip_diff(a, b, "%s[%d]" % (path, i), problems, where)
    elif given != back or type(given) is not type(back):
        problems.add(where, "%s: %r reads back as %r (wrong type?)" % (path, given, back))


PRIMITIVES = {"int": int, "str": str, "bool": bool, "float": (int, float)}


def check_types(value, typ, path, problems, where):
    """value against the model's declared type (the deserializer keeps a value it cannot
    convert, e.g. a list where an int belongs): a str where an int belongs is wrong here."""
    if value is None or typ == "object":  # IntOrString, Quantity: either is fine
        return
    m = re.match(r"^list\[(.*)\]$", typ)
    if m:
        if not isinstance(value, list):
            problems.add(where, "%s: %r is not a list (wrong type)" % (path, value))
            return
        for i, item in enumerate(value):
            check_types(item, m.group(1), "%s[%d]" % (path, i), problems, where)
        return
    m = re.match(r"^dict\(str, (.*)\)$", typ)
    if m:
        if not isinstance(value, dict):
            problems.add(where, "%s: %r is not a map (wrong type)" % (path, value))
            return
        for k, item in value.items():
            check_types(item, m.group(1), "%s.%s" % (path, k), problems, where)
        return
    if typ in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[typ]) and not (typ != "bool" and value is True or
                                                          typ != "bool" and value is False)
        if not ok:
            problems.add(where, "%s: %r is not a %s (wrong type)" % (path, value, typ))
        return
    if hasattr(value, "openapi_types"):
        for attr, sub in value.openapi_types.items():
            name = value.attribute_map[attr]
            check_types(getattr(value, attr), sub, "%s.%s" % (path, name) if path else name,
                        problems, where)
    elif typ not in ("datetime", "date"):
        problems.add(where, "%s: %r is not a %s (wrong type)" % (path, value, typ))


def check_typed(doc, where, problems, client):
    """The document's typed model, or None (the problem recorded)."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key == ("monitoring.coreos.com/v1", "PodMonitor"):
        check_podmonitor(doc, "", problems, where)
        return None
    model = MODELS.get(key)
    if not model:
        problems.add(where, "no typed model for apiVersion %s kind %s" % key)
        return None
    try:
        obj = client._ApiClient__deserialize(doc, model)
    except (ValueError, TypeError) as e:  # client-side validation: required fields, enums
        problems.add(where, "%s rejects it: %s" % (model, e))
        return None
    round_trip_diff(doc, client.sanitize_for_serialization(obj), "", problems, where)
    check_types(obj, model, "", problems, where)
    return obj


def check_podmonitor(node, path, problems, where):
    allowed = PODMONITOR_FIELDS.get(path)
    if isinstance(node, list):
        for item in node:
            check_podmonitor(item, path + "[]", problems, where)
        return
    if not isinstance(node, dict) or allowed is None:
        return  # a leaf, or a field whose contents the schema leaves open (labels)
    for key, value in node.items():
        sub = "%s.%s" % (path, key) if path else key
        if key not in allowed:
            problems.add(where, "unknown PodMonitor field %s" % sub)
        else:
            check_podmonitor(value, sub, problems, where)


def documented_caps(readme):
    """The capabilities README.md's "Capabilities" table lists, in order ("| `BPF` | ...")."""
    with open(readme) as f:
        text = f.read()
    m = re.search(r"^## Capabilities\n(.*?)(?=^## )", text, re.M | re.S)
    return re.findall(r"^\| `([A-Z_]+)` \|", m.group(1), re.M) if m else []


def preceding_comment(text, line_re):
    """The comment lines right above the first line matching line_re, joined."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(line_re, line):
            j, out = i - 1, []
            while j >= 0 and lines[j].strip().startswith("#"):
                out.insert(0, lines[j].strip().lstrip("# "))
                j -= 1
            return " ".join(out)
    return None


def check_daemonset(ds, text, caps_doc, problems, where):
    pod = ds.spec.template.spec
    if not pod.host_pid:
        problems.add(where, "hostPID is not true (profiles need every process of the node)")
    comment = preceding_comment(text, r"^\s+hostPID:\s*true\s*$") or ""
    if "process" not in comment.lower():
        problems.add(where, "hostPID: true has no comment above it saying why")
    for ns in ("host_network", "host_ipc"):
        if getattr(pod, ns):
            problems.add(where, "%s is set: the agent needs only the host's PID namespace" % ns)
    if pod.automount_service_account_token is not False:
        problems.add(where, "automountServiceAccountToken is not false (no API access needed)")
    if not any(t.operator == "Exists" and not t.key and not t.effect
               for t in pod.tolerations or []):
        problems.add(where, "no toleration {operator: Exists}: tainted nodes go unprofiled")
    seccomp = (pod.security_context and pod.security_context.seccomp_profile) or None
    if not seccomp or seccomp.type not in ("RuntimeDefault", "Unconfined", "Localhost"):
        problems.add(where, "no pod seccompProfile (README.md says which and why)")
    volumes = {v.name: v for v in pod.volumes or []}
    for v in volumes.values():
        if v.host_path and v.host_path.path not in HOST_PATHS:
            problems.add(where, "hostPath %s is not one the agent needs (%s)" % (
                v.host_path.path, ", ".join(sorted(HOST_PATHS))))
    hostprof = [c for c in pod.containers if c.name == "hostprof"]
    if not hostprof:
        problems.add(where, "no container named hostprof")
    for c in pod.containers + (pod.init_containers or []):
        cw = "%s container %s" % (where, c.name)
        sc = c.security_context
        if sc is None:
            problems.add(cw, "no securityContext")
            continue
        if sc.privileged is not False:
            problems.add(cw, "privileged is %s, want false" % sc.privileged)
        if sc.allow_privilege_escalation is not False:
            problems.add(cw, "allowPrivilegeEscalation is not false")
        if sc.read_only_root_filesystem is not True:
            problems.add(cw, "readOnlyRootFilesystem is not true")
        caps = sc.capabilities
        if not caps or caps.drop != ["ALL"]:
            problems.add(cw, "capabilities do not drop [ALL]")
        added = list(caps.add or []) if caps else []
        if c.name == "hostprof" and sorted(added) != sorted(caps_doc):
            problems.add(cw, "capabilities add %s, README.md documents %s" % (added, caps_doc))
        for m in c.volume_mounts or []:
            if m.read_only is not True:
                problems.add(cw, "volume mount %s (%s) is not readOnly" % (m.name, m.mount_path))
            if m.name not in volumes:
                problems.add(cw, "volume mount %s has no volume" % m.name)
        if c.name != "hostprof":
            continue
        for probe, path in (("liveness_probe", "/healthz"), ("readiness_probe", "/readyz")):
            p = getattr(c, probe)
            if not p or not p.http_get or p.http_get.path != path:
                problems.add(cw, "%s is not an httpGet of %s" % (probe, path))
        r = c.resources
        if not r or not (r.requests or {}).get("cpu") or not (r.requests or {}).get("memory") \
                or not (r.limits or {}).get("memory"):
            problems.add(cw, "resources need cpu and memory requests and a memory limit")
        check_listen(c, volumes, problems, cw)


def flag_values(args, name):
    out, it = [], iter(args)
    for a in it:
        if a == name:
            out.append(next(it, ""))
        elif a.startswith(name + "="):
            out.append(a[len(name) + 1:])
    return out


def check_listen(c, volumes, problems, where):
    args = list(c.command or []) + list(c.args or [])
    listen = flag_values(args, "--listen") or ["127.0.0.1:7747"]  # the agent's default
    if "--insecure-listen" in args:
        problems.add(where, "--insecure-listen serves profiles to anyone who reaches the port")
    if LOOPBACK.match(listen[-1]):
        return
    tokens = flag_values(args, "--auth-token-file")
    if not tokens:
        problems.add(where, "--listen %s is not loopback and has no --auth-token-file"
                     % listen[-1])
        return
    # the token file must come from a Secret, mounted read-only
    mount = [m for m in c.volume_mounts or []
             if tokens[-1].startswith(m.mount_path.rstrip("/") + "/")]
    vol = volumes.get(mount[0].name) if mount else None
    if not vol or not vol.secret:
        problems.add(where, "--auth-token-file %s is not in a Secret volume" % tokens[-1])


def check_dir(folder):
    client = kubernetes.client.ApiClient()
    problems = Problems()
    caps_doc = documented_caps(os.path.join(folder, "README.md"))
    if not caps_doc:
        problems.add("README.md", "no \"## Capabilities\" table of `NAME` rows")
    files = sorted(glob.glob(os.path.join(folder, "*.yaml")))
    if not files:
        problems.add(folder, "no *.yaml manifests")
    daemonsets = 0
    for path in files:
        with open(path) as f:
            text = f.read()
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            problems.add(os.path.basename(path), "not YAML: %s" % e)
            continue
        for i, doc in enumerate(docs):
            where = "%s#%d %s" % (os.path.basename(path), i, doc.get("kind", "?"))
            obj = check_typed(doc, where, problems, client)
            if isinstance(obj, kubernetes.client.V1DaemonSet):
                daemonsets += 1
                check_daemonset(obj, text, caps_doc, problems, where)
            if isinstance(obj, kubernetes.client.V1ServiceAccount) \
                    and obj.automount_service_account_token is not False:
                problems.add(where, "automountServiceAccountToken is not false")
    if daemonsets != 1:
        problems.add(folder, "%d DaemonSets, want 1" % daemonsets)
    return problems


# --- the checker's own test: each breakage must be caught, with its message -----------------------

BREAKAGES = [
    # (name, file, old text, new text, expected message fragment)
    ("misspelled field", "hostprof.yaml", "readOnlyRootFilesystem: true",
     "readOnlyRootFilesytem: true", "unknown field spec.template.spec.containers[0]"
                                    ".securityContext.readOnlyRootFilesytem"),
    ("privileged", "hostprof.yaml", "privileged: false", "privileged: true",
     "privileged is True"),
    ("missing capability", "hostprof.yaml", "add: [BPF, PERFMON, ", "add: [BPF, ",
     "README.md documents"),
    ("extra capability", "hostprof.yaml", "add: [BPF, ", "add: [SYS_ADMIN, BPF, ",
     "README.md documents"),
    ("writable mount", "hostprof.yaml", "mountPath: /var/log/pods\n              readOnly: true",
     "mountPath: /var/log/pods", "is not readOnly"),
    ("no liveness probe", "hostprof.yaml", "livenessProbe:", "livenessProb:",
     "liveness_probe is not an httpGet"),
    ("hostPID without comment", "hostprof.yaml", "      hostPID: true",
     "      # (moved)\n\n      hostPID: true", "hostPID: true has no comment"),
    ("open listen", "hostprof.yaml", "            - --auth-token-file=/etc/hostprof/token\n",
     "", "has no --auth-token-file"),
    ("insecure listen", "hostprof.yaml", "            - --kubelet-pods-dir=",
     "            - --insecure-listen\n            - --kubelet-pods-dir=", "--insecure-listen serves"),
    ("wrong type", "hostprof.yaml", "containerPort: 7747", "containerPort: [7747]",
     "wrong type"),
    ("debugfs mount", "hostprof.yaml", "path: /sys/kernel/btf\n",
     "path: /sys/kernel/debug\n", "hostPath /sys/kernel/debug is not one"),
    ("no resources", "hostprof.yaml", "            limits:\n              memory:",
     "            limits:\n              cpu:", "resources need"),
    ("podmonitor typo", "podmonitor.yaml", "podMetricsEndpoints:", "podMetricEndpoints:",
     "unknown PodMonitor field spec.podMetricEndpoints"),
]


def self_test(folder):
    import shutil
    import tempfile
    results = []
    for name, fname, old, new, want in BREAKAGES:
        with tempfile.TemporaryDirectory(prefix="hostprof-manifests-") as tmp:
            for f in os.listdir(folder):
                if f.endswith((".yaml", ".md")):
                    shutil.copy(os.path.join(folder, f), tmp)
            path = os.path.join(tmp, fname)
            with open(path) as f:
                text = f.read()
            if text.count(old) != 1:
                results.append((name, "the text to break occurs %d times" % text.count(old)))
                continue
            with open(path, "w") as f:
                f.write(text.replace(old, new))
            problems = check_dir(tmp)
            hit = [p for p in problems if want in p]
            results.append((name, "" if hit else "not rejected with %r; got %s" % (
                want, problems or "no problem")))
    return results


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    folder = args[0] if args else DEFAULT_DIR
    problems = check_dir(folder)
    for p in problems:
        print("  " + p)
    print("%s manifests %s" % ("FAIL" if problems else "PASS", folder))
    passed, failed = (0, 1) if problems else (1, 0)
    if "--self-test" in argv:
        for name, err in self_test(folder):
            print("%s checker rejects %s%s" % ("FAIL" if err else "PASS", name,
                                               ": " + err if err else ""))
            passed, failed = passed + (not err), failed + bool(err)
    print("deploy-manifests: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
