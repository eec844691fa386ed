#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fails on an #include in user/ that crosses a layer upward (see docs/ARCHITECTURE.md).

Data flows up, dependencies point down: a file may include its own folder and the folders of
lower layers only. A collector's folder (collectors/<name>/) is private to it: other collectors,
the agent and record reach collectors through collectors/ (ops, registry, services) only. Usage: tests/lint/layers.py [USER_DIR]; exit 1 with one line per bad include.
"""
import os
import re
import sys

# rank of each top-level folder of user/; a folder may include only lower ranks (or itself)
RANKS = {
    "base": 0,
    "meta": 1, "symbolize": 1, "profile": 1,
    "stores": 2,
    "stacks": 3, "export": 3,
    "http": 4,
    "collectors": 5,
    "app": 6,
    ".": 7,  # main.c
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(rel):
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else "."


def check(root):
    bad = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            top = folder_of(rel)
            if top not in RANKS:
                bad.append(f"{rel}: folder '{top}' has no layer (add it to {__file__})")
                continue
            src = open(path, encoding="utf-8", errors="replace").read()
            for lineno, m in ((src.count("\n", 0, m.start()) + 1, m) for m in INCLUDE.finditer(src)):
                inc = m.group(1)
                local = os.path.join(os.path.dirname(rel), inc)
                if os.path.exists(os.path.join(root, local)):
                    target = os.path.normpath(local)
                elif os.path.exists(os.path.join(root, inc)):
                    target = os.path.normpath(inc)
                else:
                    continue  # include/ (BPF-shared types), skeletons, generated tables
                ttop = folder_of(target)
                why = None
                if ttop not in RANKS:
                    why = f"folder '{ttop}' has no layer"
                elif RANKS[ttop] > RANKS[top]:
                    why = f"'{top}' (layer {RANKS[top]}) may not include '{ttop}' (layer {RANKS[ttop]})"
                elif ttop == "collectors":
                    # a collector's folder is private: the agent, record and other collectors
                    # know collectors only through collectors/ (ops, registry, services)
                    mine, theirs = rel.split("/"), target.split("/")
                    if len(theirs) > 2 and (top != "collectors" or len(mine) <= 2
                                            or mine[1] != theirs[1]):
                        why = ("collectors/%s/ is private to that collector: include "
                               "collectors/ only" % theirs[1])
                if why:
                    bad.append(f"{rel}:{lineno}: includes \"{inc}\": {why}")
    return bad


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../user")
    bad = check(root)
    for line in bad:
        print(line)
    if bad:
        print(f"layers: {len(bad)} include(s) cross a layer upward", file=sys.stderr)
        sys.exit(1)
    print("layers: every include points down")
