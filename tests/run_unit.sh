#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the cmocka unit test binaries given as arguments and totals their test cases, so "make unit"
# ends with one summary line; a binary that crashes (ASan/UBSan abort, signal) counts as a failure.
#
# Usage: tests/run_unit.sh build/san/tests/test_a build/san/tests/test_b ...
# Prints "unit: N passed, M failed" last; exits 1 if any test failed or any binary crashed.

set -u

# cmocka must print its human-readable summary on stdout for the counting below.
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_XML_FILE

passed=0
failed=0
broken=0
log=$(mktemp "${TMPDIR:-/tmp}/hostprof-unit.XXXXXX")
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
	name=$(basename "$bin")
	echo "=== $name"
	if [ ! -x "$bin" ]; then
		echo "run_unit: $bin is missing or not executable" >&2
		failed=$((failed + 1))
		broken=1
		continue
	fi
	"$bin" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}

	# A binary may run several groups: sum every summary line.
	total=0 ok=0 p=0 f=0 summaries=0
	while IFS= read -r line; do
		case "$line" in
		'[==========] Running '*' test(s).')
			n=${line#'[==========] Running '}
			total=$((total + ${n%% *}))
			;;
		'[       OK ] '*)
			ok=$((ok + 1))
			;;
		'[  PASSED  ] '*' test(s).')
			n=${line#'[  PASSED  ] '}
			p=$((p + ${n%% *}))
			summaries=$((summaries + 1))
			;;
		'[  FAILED  ] '[0-9]*' test(s)'*)
			n=${line#'[  FAILED  ] '}
			f=$((f + ${n%% *}))
			;;
		esac
	done <"$log"

	if [ "$summaries" -eq 0 ] || [ $((p + f)) -lt "$total" ]; then
		# Died before cmocka could summarise: what reported OK passed, the rest failed.
		p=$ok
		f=$((total - ok))
		[ "$f" -lt 1 ] && f=1
		echo "run_unit: $name did not finish (exit status $rc); counting $f test(s) as failed" >&2
		broken=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# All cases passed but the process failed afterwards (e.g. LeakSanitizer at exit).
		echo "run_unit: $name exited with status $rc after its tests passed;" \
			"counting the binary as 1 failure" >&2
		f=1
		broken=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
