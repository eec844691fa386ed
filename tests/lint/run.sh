#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Source-tree checks that need no build: includes in user/ point down the layers, and every source
# file carries an SPDX license line. Prints "lint: N passed, M failed" for tests/run_all.sh.
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0

if python3 tests/lint/layers.py user; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

missing=$(git ls-files -co --exclude-standard -- '*.c' '*.cc' '*.h' '*.py' '*.sh' Makefile \
	'deploy/*.yaml' 'deploy/*/Containerfile' ':!vmlinux/*' | while read -r f; do
	[ -f "$f" ] && ! head -3 "$f" | grep -q 'SPDX-License-Identifier:' && echo "$f"
done)
if [ -z "$missing" ]; then
	echo "spdx: every source file names its license"
	passed=$((passed + 1))
else
	echo "spdx: no SPDX-License-Identifier line in the first 3 lines of:" $missing
	failed=$((failed + 1))
fi

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
