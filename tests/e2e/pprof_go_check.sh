#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Reads hostprof's pprof output with the real "go tool pprof", the reference consumer: a profile
# that our own test decoder accepts but pprof rejects or misreads would still be useless.
#
# Usage: tests/e2e/pprof_go_check.sh build/tools/make_profile
# make_profile writes a profile with known stacks (see tests/tools/make_profile.c). Prints
# "pprof_go: N passed, M failed" last; exits 1 on any failure, 77 (skip) if go is not installed.

set -u

make_profile=${1:?usage: $0 path/to/make_profile}
if ! command -v go >/dev/null 2>&1; then
	echo "pprof_go: SKIP: go not found (apt-get install golang-go)"
	echo "pprof_go: 0 passed, 0 failed" # the summary line tests/run_all.sh looks for
	exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/hostprof-pprof.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# the go command wants a writable cache directory even to run pprof
export HOME=${HOME:-$dir} GOCACHE=${GOCACHE:-$dir/gocache}

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "  ok    $1"
}
bad() {
	failed=$((failed + 1))
	echo "  FAIL  $1"
}

if ! "$make_profile" "$dir" >/dev/null 2>"$dir/make_profile.log"; then
	echo "pprof_go: make_profile failed: $(cat "$dir/make_profile.log")"
	echo "pprof_go: 0 passed, 1 failed"
	exit 1
fi
pb=$dir/profile.pb.gz

# pprof [args...]: stdout in $out, stderr in $err; a non-empty stderr is a failure of its own
# (pprof warns there when it cannot use a mapping or tries to symbolize).
pprof() {
	out=$(go tool pprof "$@" "$pb" 2>"$dir/stderr")
	local rc=$?
	err=$(cat "$dir/stderr")
	if [ $rc -ne 0 ]; then
		bad "go tool pprof $* exited $rc: $err"
		return 1
	fi
	[ -z "$err" ] || bad "go tool pprof $* wrote to stderr: $err"
	return 0
}

# expect_row FLAT CUM NAME: a -top line "FLAT flat% sum% CUM cum% NAME"
expect_row() {
	local flat=$1 cum=$2 name=$3
	if awk -v f="$flat" -v c="$cum" -v n="$name" '
		NF >= 6 && $1 == f && $4 == c {
			s = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", s)
			if (s == n) found = 1
		}
		END { exit !found }' <<<"$out"; then
		ok "-top: $name flat=$flat cum=$cum"
	else
		bad "-top: no row '$flat ... $cum ... $name'"
	fi
}

expect_line() {
	if grep -qE -- "$2" <<<"$out"; then
		ok "$1"
	else
		bad "$1: no line matching /$2/"
	fi
}

echo "=== go tool pprof -top -sample_index=samples"
if pprof -top -sample_index=samples -nodecount=100; then
	echo "$out" | sed 's/^/    /'
	expect_line "sample type samples" '^Type: samples$'
	expect_line "main binary first, though libc was mapped first" '^File: app$'
	expect_line "build id of the main mapping" '^Build ID: 4a2f1c0de0ad$'
	expect_line "total" '^Duration: 30s, Total samples = 108 *$'
	expect_row 73 73 hot_leaf
	expect_row 20 20 memcpy
	expect_row 10 10 ksys_write
	expect_row 5 5 'weird;name'
	expect_row 0 108 main
	expect_row 0 93 compute
	expect_row 0 20 'std::vector<int, std::allocator<int> >::push_back(int const&)'
	expect_row 0 10 entry_SYSCALL_64
fi

echo "=== go tool pprof -top (cpu nanoseconds = samples x period)"
if pprof -top -nodecount=3; then
	expect_line "default sample type is cpu" '^Type: cpu$'
	# 108 samples x 10101010 ns = 1090.91 ms; hot_leaf 73 x 10101010 ns = 737.37 ms
	expect_line "cpu total" 'Total samples = 1090\.91ms'
	expect_row 737.37ms 737.37ms hot_leaf
fi

echo "=== go tool pprof -tags (pid, process and thread labels)"
if pprof -tags; then
	expect_line "process app" '\(95\.37%\): app$'
	expect_line "process tool" '\( 4\.63%\): tool$'
	expect_line "thread app-worker" '\(92\.59%\): app-worker$'
	expect_line "pid 100" '\(92\.59%\): 100$'
	expect_line "pid 200" '\( 2\.78%\): 200$'
fi

echo "=== go tool pprof -tagroot=process -traces (process as a root frame)"
if pprof -tagroot=process -traces -sample_index=samples; then
	# the pseudo frame is the label value, under the real root "main"
	expect_line "process pseudo frame" '^ +tool$'
fi

echo "pprof_go: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
