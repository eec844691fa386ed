#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs each libFuzzer target for FUZZ_SECONDS on its committed seed corpus and prints
# "fuzz: N passed, M failed" last (read by tests/run_all.sh); a crash, leak or timeout fails.
#
# Usage: FUZZ_SECONDS=25 tests/fuzz/run.sh BUILD build/fuzz/fuzz_a build/fuzz/fuzz_b ...
# A target's new inputs go to BUILD/fuzz/corpus/NAME (the committed corpus is only read);
# a failing input is saved as BUILD/fuzz/crash-NAME-*. Figures per target: executions and
# coverage (libFuzzer's cov: and ft: at the end of the run).

set -u
build=${1:?usage: run.sh BUILD TARGET...}
shift
seconds=${FUZZ_SECONDS:-25}
passed=0
failed=0

for bin in "$@"; do
	name=$(basename "$bin")
	short=${name#fuzz_}
	seeds=tests/fuzz/corpus/$short
	scratch=$build/fuzz/corpus/$short
	log=$build/fuzz/$short.log
	echo "=== $name (${seconds} s)"
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "fuzz: $name: binary or seed corpus $seeds missing" >&2
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$scratch"
	# -timeout: one input running over 10 s is a hang; -rss_limit_mb bounds a leak or a blow-up
	"$bin" "$scratch" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$build/fuzz/crash-$short-" \
		>"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	echo "$name: ${execs:-?} executions; last status: ${stats:-none}"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: $name failed (exit $rc); the input is in $build/fuzz/crash-$short-*" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
