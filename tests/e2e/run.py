#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of hostprof with real BPF: runs every test that a tests/e2e/test_*.py file
# registers (harness.py says how to write one). Prints "e2e: N passed, M failed" last (CI).
"""Usage: HOSTPROF=build/san/hostprof WORKLOADS=build/workloads python3 tests/e2e/run.py
          [--list] [FILTER]

FILTER selects the tests whose name contains it; --list prints their names without running them.
Each test starts the agent, runs a ground-truth workload and checks the exact figures it reports.
Needs root, bpftool and promtool; the CPU profiler's tests (test_cpu*.py) also go, perf and
chromium. A test whose kernel feature is missing prints SKIP. Exit status 1 if any test failed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

if __name__ == "__main__":
    harness.discover(HERE)
    sys.exit(harness.main(sys.argv))
