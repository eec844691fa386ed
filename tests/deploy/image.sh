#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds deploy/daemonset/Containerfile with buildah (chroot isolation: no container engine) on a
# locally bootstrapped Debian base (no registry is reachable here), then runs the image's hostprof.
#
# Usage: bash tests/deploy/image.sh [BUILD_DIR]. Checks that hostprof --version and serve --help run
# inside the image (chroot of `buildah mount`), that the agent serves /healthz from the image
# mounted read-only (the DaemonSet's readOnlyRootFilesystem) with the host's /proc and /sys, that
# the image holds no shell, and prints its size. The base's debootstrap tarball is cached in
# BUILD_DIR/deploy/ and buildah's layer cache keeps the apt layer, so only the first run is slow.
# Prints "deploy-image: N passed, M failed" last; exit 77 (skip) without buildah or debootstrap.
# The images stay in buildah's store as the next run's cache (`buildah rmi --prune` frees them).
set -u
build=${1:-build}
cache=$build/deploy
base=localhost/hostprof-build-base:bookworm
image=localhost/hostprof:e2e
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
passed=0
failed=0
pass() { echo "PASS image $1"; passed=$((passed + 1)); }
fail() { echo "FAIL image $1"; failed=$((failed + 1)); }
finish() {
	echo "deploy-image: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
for tool in buildah debootstrap; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP image: $tool missing (make deps-test installs it)"
		echo "deploy-image: 0 passed, 0 failed"
		exit 77
	fi
done
mkdir -p "$cache"
tmp=$(mktemp -d /tmp/hostprof-image-XXXXXX)
ctr=""
cleanup() {
	[ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
t0=$(date +%s)

# 1. the build stage's base: debootstrap --variant=minbase, as a tarball cached across runs
tarball=$cache/debian-bookworm-minbase.tar.gz
if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
	if [ ! -s "$tarball" ]; then
		if ! debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
			tail -20 "$tmp/debootstrap.log"
			fail "base: debootstrap bookworm from $mirror failed"
			finish
		fi
		tar -C "$tmp/rootfs" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		rm -rf "$tmp/rootfs"
	fi
	bctr=$(buildah from scratch) &&
		buildah add "$bctr" "$tarball" / >/dev/null &&
		buildah config --cmd /bin/sh "$bctr" &&
		buildah commit --rm -q "$bctr" "$base" >/dev/null ||
		{ fail "base: cannot import $tarball as $base"; finish; }
fi
pass "base $base ($(($(date +%s) - t0)) s)"

# 2. the image, from the repository root as the README says
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
t1=$(date +%s)
if ! buildah bud --isolation chroot --layers -q -f deploy/daemonset/Containerfile \
	--build-arg BASE="$base" --build-arg GIT_REV="$rev" -t "$image" . >"$tmp/bud.log" 2>&1; then
	tail -30 "$tmp/bud.log"
	fail "build: buildah bud failed"
	finish
fi
pass "build ($(($(date +%s) - t1)) s)"

# 3. inside the image
ctr=$(buildah from -q "$image") && mnt=$(buildah mount "$ctr") || {
	fail "buildah from/mount $image"
	finish
}
out=$(chroot "$mnt" /usr/bin/hostprof --version 2>&1)
if [[ "$out" == *"0.1.0+$rev"* ]]; then pass "hostprof --version: $out"; else fail "--version printed: $out"; fi
out=$(chroot "$mnt" /usr/bin/hostprof serve --help 2>&1)
missing=""
for want in --auth-token-file --require --kubelet-pods-dir "  cpu " "  syscalls " "  offcpu " "  tcp "; do
	[[ "$out" == *"$want"* ]] || missing="$missing '$want'"
done
if [ -z "$missing" ]; then pass "hostprof serve --help"; else fail "serve --help lacks$missing: ${out:0:300}"; fi
shells=$(ls "$mnt"/bin/sh "$mnt"/usr/bin/sh "$mnt"/usr/bin/bash 2>/dev/null)
if [ -z "$shells" ]; then pass "no shell in the image"; else fail "the image has a shell: $shells"; fi

# the agent itself from the image, its root read-only, the host's /proc and /sys mounted
port=$((20000 + RANDOM % 20000))
mkdir -p "$mnt/proc" "$mnt/sys"
unshare -m --propagation private sh -c '
	set -e
	mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"
	mount --rbind /proc "$1/proc" && mount --rbind /sys "$1/sys"
	exec chroot "$1" /usr/bin/hostprof serve --listen 127.0.0.1:"$2" --collectors syscalls' \
	sh "$mnt" "$port" >"$tmp/agent.log" 2>&1 &
agent=$!
ok=""
for _ in $(seq 100); do
	if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then ok=1; break; fi
	kill -0 $agent 2>/dev/null || break
	sleep 0.2
done
metrics=$(curl -sf "http://127.0.0.1:$port/metrics" | grep -c '^hostprof_syscall_latency_seconds_bucket' || true)
kill $agent 2>/dev/null
wait $agent
rc=$?
if [ -n "$ok" ] && [ "$metrics" -gt 0 ] && [ $rc -eq 0 ]; then
	pass "agent serves from the read-only image ($metrics latency buckets, exit $rc)"
else
	tail -5 "$tmp/agent.log"
	fail "agent from the image: healthz=${ok:-no} buckets=$metrics exit=$rc"
fi

size=$(buildah images --format '{{.Size}}' "$image" | head -1)
files=$(cd "$mnt" && find . -type f | wc -l)
echo "    | image $image: $size, $files files ($(du -sh --apparent-size "$mnt" | cut -f1) unpacked); whole test $(($(date +%s) - t0)) s"
finish
