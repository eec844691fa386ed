#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every test suite (source lint, ASan+UBSan unit tests, each fuzz target for FUZZ_SECONDS, then end-to-end
# tests with real BPF, then the deployment: manifests and image) and prints
# one closing line "tests: N passed, M failed" that CI reads. Called by "make test".
set -u
build=${1:-build}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
status=0

bash tests/lint/run.sh 2>&1 | tee "$log/lint" || status=1
bash tests/run_unit.sh "$build"/san/tests/test_* 2>&1 | tee "$log/unit" || status=1
fuzzers=()
for src in tests/fuzz/fuzz_*.c; do
	fuzzers+=("$build/fuzz/$(basename "$src" .c)")
done
FUZZ_SECONDS=${FUZZ_SECONDS:-25} bash tests/fuzz/run.sh "$build" "${fuzzers[@]}" 2>&1 |
	tee "$log/fuzz" || status=1
HOSTPROF="$build/san/hostprof" WORKLOADS="$build/workloads" python3 tests/e2e/run.py 2>&1 |
	tee "$log/e2e" || status=1
bash tests/deploy/run.sh "$build" 2>&1 | tee "$log/deploy" || status=1

passed=0
failed=0
for suite in lint unit fuzz e2e deploy; do
	line=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log/$suite" | tail -1)
	if [ -z "$line" ]; then
		echo "$suite: no summary line (suite crashed?)"
		failed=$((failed + 1))
		status=1
		continue
	fi
	p=$(sed -E 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
done
[ "$failed" -eq 0 ] || status=1
echo
echo "tests: $passed passed, $failed failed"
exit $status
